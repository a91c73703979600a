package authn_test

import (
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
)

// BenchmarkExchangeCached is the hot path: a credential exchanged moments
// ago, a session and an API key of a fake auth on the wall clock. The
// cache TTL is raised so that no miss falls into the timing. The miss, an
// exchange with the real auth service, is BenchmarkExchangeUncached in
// internal/e2e.
func BenchmarkExchangeCached(b *testing.B) {
	fa := mustFakeAuthWith(b, authntest.Options{Now: time.Now})
	creds := []struct {
		name string
		c    authn.Credential
	}{{"session", fakeSession}, {"api_key", fa.grantKey("key_1", apiKey)}}
	x := fakeExchanger(b, fa, authn.Options{CacheTTL: time.Minute, Now: time.Now})
	for _, nc := range creds {
		mustExchange(b, x, nc.c)
		b.Run(nc.name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := x.Exchange(ctx, nc.c); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(nc.name+"/parallel", func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := x.Exchange(ctx, nc.c); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	fa.wantExchanges(b, "cached", int64(len(creds)))
}

func BenchmarkExtract(b *testing.B) {
	for name, headers := range map[string][]string{
		"cookie": {"Cookie", "theme=dark; " + authn.DefaultCookieName + "=" + sessionToken + "; lang=en"},
		"bearer": {"Authorization", "Bearer " + accessToken},
	} {
		r := request(headers...)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok, err := authn.Extract(r, authn.ExtractOptions{}); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
