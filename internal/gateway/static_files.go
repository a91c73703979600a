package gateway

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"
)

// fileSource is where a static route's files come from: a directory on
// disk or a filesystem registered by the program.
type fileSource interface {
	// open opens name, a clean relative path ("" is the root). It returns
	// errIsDir for a directory and an error wrapping fs.ErrNotExist for
	// anything that is not a regular file of the source.
	open(name string) (*staticFile, error)
	// exists reports whether name is a regular file, for the variants
	// beside a file.
	exists(name string) bool
}

// errIsDir is open's answer for a directory.
var errIsDir = errors.New("is a directory")

// staticFile is one opened file with what its response needs.
type staticFile struct {
	content io.ReadSeeker
	closer  io.Closer // nil for files in memory
	size    int64
	mod     time.Time // zero when unknown (embedded files)
	etag    string    // strong, quoted: a hash of the content
}

func (f *staticFile) close() {
	if f.closer != nil {
		f.closer.Close()
	}
}

// contentETag returns the strong entity tag of content with sum h: 128
// bits of its SHA-256, which no two versions of a file share by chance.
func contentETag(sum []byte) string {
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// embeddedFiles is a registered filesystem read into memory once, with
// every file's entity tag computed up front. Hidden files and directories
// are left out, so they can never be served.
type embeddedFiles struct {
	files map[string]*embeddedFile
	dirs  map[string]bool
}

type embeddedFile struct {
	data []byte
	mod  time.Time
	etag string
}

// loadEmbedded reads every regular file of fsys.
func loadEmbedded(fsys fs.FS) (*embeddedFiles, error) {
	e := &embeddedFiles{files: map[string]*embeddedFile{}, dirs: map[string]bool{"": true}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			if name != "." {
				e.dirs[name] = true
			}
		case d.Type().IsRegular():
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return err
			}
			var mod time.Time
			if fi, err := d.Info(); err == nil {
				mod = fi.ModTime()
			}
			sum := sha256.Sum256(data)
			e.files[name] = &embeddedFile{data: data, mod: mod, etag: contentETag(sum[:])}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := e.gzipVariants(); err != nil {
		return nil, err
	}
	return e, nil
}

// gzipMinSize is the smallest file given a gzip variant in memory: below
// it the saving is less than the headers' cost.
const gzipMinSize = 1024

// gzipTypes are the extensions of text files worth compressing.
var gzipTypes = map[string]bool{".html": true, ".htm": true, ".js": true, ".mjs": true, ".css": true, ".json": true,
	".map": true, ".webmanifest": true, ".svg": true, ".txt": true, ".xml": true, ".wasm": true}

// gzipVariants gives every text file that has no gzip variant beside it
// one made in memory, at the best compression, once: a filesystem built
// into the program need not carry compressed copies. A variant that
// saves less than an eighth is not kept.
func (e *embeddedFiles) gzipVariants() error {
	var buf bytes.Buffer
	for name, f := range e.files {
		if len(f.data) < gzipMinSize || !gzipTypes[path.Ext(name)] || e.files[name+".gz"] != nil {
			continue
		}
		buf.Reset()
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return err
		}
		if _, err := zw.Write(f.data); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if buf.Len() > len(f.data)-len(f.data)/8 {
			continue
		}
		data := bytes.Clone(buf.Bytes())
		sum := sha256.Sum256(data)
		e.files[name+".gz"] = &embeddedFile{data: data, mod: f.mod, etag: contentETag(sum[:])}
	}
	return nil
}

func (e *embeddedFiles) open(name string) (*staticFile, error) {
	if f := e.files[name]; f != nil {
		return &staticFile{content: bytes.NewReader(f.data), size: int64(len(f.data)), mod: f.mod, etag: f.etag}, nil
	}
	if e.dirs[name] {
		return nil, errIsDir
	}
	return nil, fs.ErrNotExist
}

func (e *embeddedFiles) exists(name string) bool { return e.files[name] != nil }

// diskFiles serves a directory through an os.Root, so that no name, and
// no symbolic link inside the directory, can reach a file outside it.
// Files are opened on every request, so a rebuilt app is served at once;
// their entity tags are cached by name, size and modification time.
type diskFiles struct {
	dir string

	// mu guards root, which is replaced when dir comes to name another
	// directory (a build that removed and recreated it).
	mu   sync.RWMutex
	root *os.Root

	etags etagCache
}

// openDisk opens dir as a root.
func openDisk(dir string) (*diskFiles, error) {
	root, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	return &diskFiles{dir: dir, root: root, etags: etagCache{m: map[string]etagEntry{}}}, nil
}

func openDir(dir string) (*os.Root, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := root.Stat("."); err != nil || !fi.IsDir() {
		root.Close()
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	return root, nil
}

func (d *diskFiles) open(name string) (*staticFile, error) {
	f, err := d.openFile(name)
	if errors.Is(err, fs.ErrNotExist) && d.refresh() {
		f, err = d.openFile(name)
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, err
	case fi.IsDir():
		f.Close()
		return nil, errIsDir
	case !fi.Mode().IsRegular():
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file: %w", name, fs.ErrNotExist)
	}
	etag, err := d.etags.get(name, fi, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &staticFile{content: f, closer: f, size: fi.Size(), mod: fi.ModTime(), etag: etag}, nil
}

func (d *diskFiles) openFile(name string) (*os.File, error) {
	if name == "" {
		name = "."
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.root.Open(name)
}

func (d *diskFiles) exists(name string) bool {
	d.mu.RLock()
	fi, err := d.root.Stat(name)
	d.mu.RUnlock()
	return err == nil && fi.Mode().IsRegular()
}

// refresh reopens the root when dir now names another directory than the
// one open, and reports whether it did. It runs only when a file is
// missing, which is also what a replaced directory looks like.
func (d *diskFiles) refresh() bool {
	now, err := os.Stat(d.dir)
	if err != nil {
		return false
	}
	d.mu.RLock()
	open, err := d.root.Stat(".")
	d.mu.RUnlock()
	if err == nil && os.SameFile(now, open) {
		return false
	}
	root, err := openDir(d.dir)
	if err != nil {
		return false
	}
	d.mu.Lock()
	old := d.root
	d.root = root
	d.mu.Unlock()
	old.Close()
	d.etags.clear()
	return true
}

func (d *diskFiles) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.root.Close()
}

// etagCache remembers the entity tags of disk files, so that each version
// of a file is hashed once.
type etagCache struct {
	mu sync.RWMutex
	m  map[string]etagEntry
}

type etagEntry struct {
	size int64
	mod  time.Time
	etag string
}

// maxETags bounds the cache; a directory with more files than this is
// hashed again after the cache is emptied.
const maxETags = 1 << 14

// get returns the entity tag of f, the file name with info fi, hashing
// its content unless the cache knows this version. f is left at its start.
func (c *etagCache) get(name string, fi fs.FileInfo, f io.ReadSeeker) (string, error) {
	c.mu.RLock()
	e, ok := c.m[name]
	c.mu.RUnlock()
	if ok && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e.etag, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", name, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("hash %s: %w", name, err)
	}
	etag := contentETag(h.Sum(nil))
	c.mu.Lock()
	if len(c.m) >= maxETags {
		clear(c.m)
	}
	c.m[name] = etagEntry{size: fi.Size(), mod: fi.ModTime(), etag: etag}
	c.mu.Unlock()
	return etag, nil
}

func (c *etagCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// notFound reports whether an open error means that there is no such file
// to serve: missing, a path through a file, a symbolic link that leaves
// the root or loops, or a file the gateway may not read.
func notFound(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, syscall.ELOOP) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, syscall.ENAMETOOLONG) || escapes(err)
}

// escapes reports os.Root's refusal of a name that leads out of the root,
// whose error is not exported.
func escapes(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes")
}

// Content types by extension. Go's mime package knows some of these only
// from the host's mime.types, which differs between machines and images.
var staticTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".htm":         "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".wasm":        "application/wasm",
	".woff2":       "font/woff2",
	".woff":        "font/woff",
	".ttf":         "font/ttf",
	".otf":         "font/otf",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/vnd.microsoft.icon",
	".txt":         "text/plain; charset=utf-8",
	".xml":         "application/xml",
	".pdf":         "application/pdf",
	".gz":          "application/gzip",
}

// staticTypeFields holds staticTypes as header values, shared by the
// responses (see headerField).
var staticTypeFields = func() map[string][]string {
	m := make(map[string][]string, len(staticTypes))
	for ext, t := range staticTypes {
		m[ext] = []string{t}
	}
	return m
}()

// contentType returns the Content-Type of name by its extension: the table
// above, then the mime package; a file of unknown type is sent as
// application/octet-stream, never sniffed.
func contentType(name string) []string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := staticTypeFields[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return []string{t}
	}
	return []string{"application/octet-stream"}
}

var (
	_ fileSource = (*embeddedFiles)(nil)
	_ fileSource = (*diskFiles)(nil)
)
