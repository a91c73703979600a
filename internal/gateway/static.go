package gateway

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/router"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// staticLabel is the service label of static routes in metrics and logs.
const staticLabel = "static"

// staticHandler answers a static route: the last step of the request
// pipeline in place of the proxy, after limits, CORS, authentication and
// rate limits have run as on any route.
type staticHandler struct {
	src  fileSource
	disk *diskFiles // src when it is a directory, to be closed with the runtime
	// wildcard is the path template's wildcard parameter, whose value
	// names the file; "" names it by the whole path.
	wildcard     string
	index        string
	fallback     string
	immutable    []string // directory prefixes without their leading '/'
	cacheControl []string
	headers      []headerField // sent with every response
	respRules    *headerRules
	log          *slog.Logger
}

// Response header fields of every static response besides the route's
// Content-Security-Policy. The referrer policy is the browsers' default,
// stated so that no page can weaken it: strict-origin-when-cross-origin
// sends other origins only the origin, never a path. no-referrer would be
// stricter, but browsers then send "Origin: null" with a plain HTML form's
// POST, which the gateway's CSRF check (auth.trusted_origins) refuses; a
// page that posts only with fetch tightens it with its own <meta
// name="referrer">, as the dashboard does.
var staticHeaders = []headerField{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"strict-origin-when-cross-origin"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
	{"X-Frame-Options", []string{"DENY"}},
}

// headerField is a field set on every response. Its one-element value is
// shared by the responses: nothing writes into it, and appending to it
// copies.
type headerField struct {
	key   string
	value []string
}

var immutableCacheControl = []string{config.StaticImmutableCacheControl}

// compileStatic builds the handler of a static route. A directory is
// opened now, so that a missing one fails the start or the reload; an
// embedded filesystem must be registered in Options.Files.
func (g *Gateway) compileStatic(rc *config.Route, tmpl *router.Template, respRules *headerRules) (*staticHandler, error) {
	sc := rc.Static
	s := &staticHandler{
		wildcard:     tmpl.WildcardName(),
		index:        sc.Index,
		fallback:     sc.Fallback,
		cacheControl: []string{sc.CacheControl},
		headers:      append(slices.Clone(staticHeaders), headerField{"Content-Security-Policy", []string{sc.ContentSecurityPolicy}}),
		respRules:    respRules,
		log:          g.log,
	}
	for _, p := range sc.Immutable {
		s.immutable = append(s.immutable, strings.TrimPrefix(p, "/"))
	}
	if sc.Dir != "" {
		d, err := openDisk(sc.Dir)
		if err != nil {
			return nil, fmt.Errorf("static.dir: %w", err)
		}
		s.src, s.disk = d, d
		return s, nil
	}
	src, err := g.embeddedFS(sc.Embedded)
	if err != nil {
		return nil, fmt.Errorf("static.embedded: %w", err)
	}
	s.src = src
	return s, nil
}

// embeddedFS returns the registered filesystem name, read into memory the
// first time a configuration names it and kept for later reloads: it is
// built into the program and does not change. Callers hold g.mu (or are
// New).
func (g *Gateway) embeddedFS(name string) (*embeddedFiles, error) {
	if e := g.embedded[name]; e != nil {
		return e, nil
	}
	fsys, ok := g.files[name]
	if !ok {
		if len(g.files) == 0 {
			return nil, fmt.Errorf("no filesystem named %q: the program registers none", name)
		}
		return nil, fmt.Errorf("no filesystem named %q; the program registers %s", name,
			strings.Join(slices.Sorted(maps.Keys(g.files)), ", "))
	}
	e, err := loadEmbedded(fsys)
	if err != nil {
		return nil, fmt.Errorf("read filesystem %q: %w", name, err)
	}
	g.embedded[name] = e
	return e, nil
}

// close releases the handler's directory.
func (s *staticHandler) close() {
	if s.disk != nil {
		s.disk.close()
	}
}

// serve answers r, whose normalised path is path, with a file: the one its
// name names, a directory's index, or the fallback of a client-side route;
// otherwise a 404 problem.
func (s *staticHandler) serve(w http.ResponseWriter, r *http.Request, path string, params *router.Params) {
	h := w.Header()
	for _, f := range s.headers {
		h[f.key] = f.value
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		problem.Write(w, r, problem.MethodNotAllowed("A static route serves only GET and HEAD."))
		return
	}
	rest := path
	if s.wildcard != "" {
		rest = params.Get(s.wildcard)
	}
	name, dir, ok := staticName(rest)
	if !ok {
		s.notFound(w, r)
		return
	}
	file := name
	if dir {
		file = joinName(name, s.index)
	}
	f, err := s.src.open(file)
	switch {
	case err == nil:
		s.send(w, r, file, f)
		return
	case errors.Is(err, errIsDir) && !dir:
		// As a web server does, so that the index's relative links resolve.
		loc := path + "/"
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		h.Set("Location", loc)
		s.respRules.apply(h)
		w.WriteHeader(http.StatusMovedPermanently)
		return
	case !notFound(err) && !errors.Is(err, errIsDir):
		s.log.Warn("static file unreadable", slog.String("file", file), slog.String("error", err.Error()),
			slog.String("request_id", h.Get("X-Request-Id")))
	default:
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errIsDir) {
			s.log.Debug("static file refused", slog.String("file", file), slog.String("error", err.Error()))
		}
	}
	if s.fallback != "" && (dir || !hasExtension(name)) {
		h.Add("Vary", "Accept") // the answer depends on it
		if acceptsHTML(r.Header.Values("Accept")) {
			f, err := s.src.open(s.fallback)
			if err == nil {
				s.send(w, r, s.fallback, f)
				return
			}
			s.log.Warn("static fallback missing", slog.String("file", s.fallback), slog.String("error", err.Error()))
		}
	}
	s.notFound(w, r)
}

func (s *staticHandler) notFound(w http.ResponseWriter, r *http.Request) {
	problem.Write(w, r, problem.NotFound("No route or file matches the request."))
}

// send answers with f, the file name, or its precompressed variant when
// one exists and the client accepts it. http.ServeContent does the
// conditional requests and ranges; its error answers become problems.
func (s *staticHandler) send(w http.ResponseWriter, r *http.Request, name string, f *staticFile) {
	h := w.Header()
	hasBr, hasGzip := s.src.exists(name+".br"), s.src.exists(name+".gz")
	if hasBr || hasGzip {
		h.Add("Vary", "Accept-Encoding")
		if enc := chooseEncoding(r.Header.Values("Accept-Encoding"), hasBr, hasGzip); enc != "" {
			ext := ".br"
			if enc == codingGzip {
				ext = ".gz"
			}
			if v, err := s.src.open(name + ext); err == nil {
				f.close()
				f = v
				h["Content-Encoding"] = []string{enc}
				// ServeContent leaves the length out when the body is
				// encoded, for compressing writers that this is not.
				h["Content-Length"] = []string{strconv.FormatInt(f.size, 10)}
			}
		}
	}
	defer f.close()
	h["Content-Type"] = contentType(name)
	h["Etag"] = []string{f.etag}
	h["Cache-Control"] = s.cacheControlOf(name)
	s.respRules.apply(h)
	http.ServeContent(&staticWriter{ResponseWriter: w, r: r}, r, "", f.mod, f.content)
}

// cacheControlOf returns the Cache-Control of the file name.
func (s *staticHandler) cacheControlOf(name string) []string {
	for _, p := range s.immutable {
		if strings.HasPrefix(name, p) {
			return immutableCacheControl
		}
	}
	return s.cacheControl
}

// joinName joins a directory name ("" for the root) and a file name.
func joinName(dir, file string) string {
	if dir == "" {
		return file
	}
	return dir + "/" + file
}

// staticWriter turns the plain-text error answers of http.ServeContent
// (412, 416, 500) into problem documents, dropping the file's own fields.
type staticWriter struct {
	http.ResponseWriter
	r      *http.Request
	failed bool
}

func (w *staticWriter) WriteHeader(code int) {
	if code < http.StatusBadRequest {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.failed = true
	h := w.Header()
	for _, k := range [...]string{"Content-Encoding", "Etag", "Last-Modified", "Accept-Ranges"} {
		delete(h, k)
	}
	var p *problem.Problem
	switch code {
	case http.StatusPreconditionFailed:
		p = problem.New(code, "precondition-failed", "Precondition failed",
			"The file does not satisfy the request's If-Match or If-Unmodified-Since.")
	case http.StatusRequestedRangeNotSatisfiable:
		// Content-Range, "bytes */SIZE", stays: it tells the client the size.
		p = problem.New(code, "range-not-satisfiable", "Range not satisfiable",
			"The requested range does not overlap the file.")
	default:
		delete(h, "Content-Range")
		p = problem.Internal()
	}
	problem.Write(w.ResponseWriter, w.r, p)
}

func (w *staticWriter) Write(b []byte) (int, error) {
	if w.failed {
		return len(b), nil // ServeContent's plain-text message
	}
	return w.ResponseWriter.Write(b)
}
