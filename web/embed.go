// Package web holds the dashboard: a single-page app built from src/ by
// Vite into dist/, which is committed so that the Go build alone embeds
// it (the gateway serves it with a static route; portico all at /).
// `npm run build` in this directory refreshes dist/, and CI fails when
// the committed files differ from a fresh build.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Dist returns the built app: index.html, favicon.svg and the
// content-hashed files under assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a valid path; fs.Sub fails only on invalid ones
	}
	return sub
}
