package gateway

import "sync"

// bufferPool recycles the 32 KiB buffers that copy bodies between client and
// upstream, so streaming a response allocates nothing per request.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32*1024); return &b }}}
}

// Get implements httputil.BufferPool.
func (b *bufferPool) Get() []byte { return *(b.p.Get().(*[]byte)) }

// Put implements httputil.BufferPool.
func (b *bufferPool) Put(buf []byte) {
	if cap(buf) != 32*1024 {
		return
	}
	buf = buf[:cap(buf)]
	b.p.Put(&buf)
}
