package config

// Static serves files: the route answers GET and HEAD from a directory on
// disk or from a filesystem the program registered (the dashboard built
// into the binary), instead of proxying. The route's wildcard parameter
// names the file; a path template without one names the file by the whole
// request path.
type Static struct {
	// Dir is a directory on disk; a relative one is resolved against the
	// configuration file's directory. Exactly one of Dir and Embedded is
	// set. Files are read on every request (a rebuilt web app is served at
	// once); symbolic links may not lead out of the directory.
	Dir string `yaml:"dir"`
	// Embedded names a filesystem the program registered
	// (gateway.Options.Files), read once when the gateway starts.
	Embedded string `yaml:"embedded"`
	// Index is the file served for a request naming a directory. Default
	// "index.html". Directories are never listed.
	Index string `yaml:"index"`
	// Fallback, when set, is the file served, with status 200, for a
	// client-side route of a single-page app: a request whose last path
	// segment has no file extension, whose Accept names text/html, and
	// that names no file. Empty (the default) answers such requests 404.
	Fallback string `yaml:"fallback"`
	// Immutable lists directories (path prefixes from the route's root,
	// such as "/assets/") whose files are content-hashed and never change:
	// they are sent with "Cache-Control: public, max-age=31536000,
	// immutable". Empty (the default) lists none.
	Immutable []string `yaml:"immutable"`
	// CacheControl is the Cache-Control of every other file. Default
	// "no-cache": browsers revalidate (cheaply, with the ETag) so that a
	// new index.html is seen at once.
	CacheControl string `yaml:"cache_control"`
	// ContentSecurityPolicy is sent with every response of the route.
	// Default DefaultStaticCSP, a strict policy for an app that loads
	// everything from, and calls only, its own origin.
	ContentSecurityPolicy string `yaml:"content_security_policy"`
}

// Defaults of static routes.
const (
	DefaultStaticIndex        = "index.html"
	DefaultStaticCacheControl = "no-cache"
	// DefaultStaticCSP admits scripts, styles, fonts, images and API calls
	// of the page's own origin only (images also as data: URLs), no
	// plugins, no <base>, no framing and no form posts elsewhere: what a
	// Vite-built single-page app served by, and calling, the gateway needs.
	DefaultStaticCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
		"frame-ancestors 'none'; form-action 'self'"
	// StaticImmutableCacheControl is the Cache-Control of the files under
	// Static.Immutable.
	StaticImmutableCacheControl = "public, max-age=31536000, immutable"
)

// staticDefaults fills the routes' static blocks, resolving a relative
// dir against the configuration file's directory, as server.tls does for
// its files.
func staticDefaults(c *Config) {
	base := sourceDir(c)
	for _, r := range c.Routes {
		if r == nil || r.Static == nil {
			continue
		}
		s := r.Static
		s.Dir = resolvePath(base, s.Dir)
		setString(&s.Index, DefaultStaticIndex)
		setString(&s.CacheControl, DefaultStaticCacheControl)
		setString(&s.ContentSecurityPolicy, DefaultStaticCSP)
	}
}
