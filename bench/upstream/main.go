// Command upstream is the benchmark's upstream: a minimal net/http server
// that answers GET /v1/... with a fixed JSON body of about 1 KB, so that
// the proxies in front of it are what the benchmark measures.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// body builds a JSON object of about 1 KB.
func body() []byte {
	var b strings.Builder
	b.WriteString(`{"id":"item-0001","kind":"item","attributes":{`)
	for i := 0; b.Len() < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"field_%02d":"value-%02d-abcdefghijklmnop"`, i, i)
	}
	b.WriteString("}}\n")
	return []byte(b.String())
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen `address`")
	flag.Parse()

	payload := body()
	size := strconv.Itoa(len(payload))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{size}
		w.Write(payload)
	})
	// /v1/delay/MS/... answers the same body after MS milliseconds (at most
	// 10 s), standing in for a service that takes time.
	mux.HandleFunc("GET /v1/delay/{ms}/", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.PathValue("ms"))
		if err != nil || ms < 0 || ms > 10000 {
			http.Error(w, "bad delay", http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{size}
		w.Write(payload)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	log.Fatal(http.Serve(ln, mux))
}
