package authn_test

import (
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/gateway/authn"
)

// benchCredentials returns a real session and API key of a, which runs on
// the wall clock.
func benchCredentials(b *testing.B) (*authServer, []namedCredential) {
	b.Helper()
	a := newAuthServerAt(b, auth.Options{}, time.Now())
	session := a.mustSession(b, "bench@example.com")
	return a, []namedCredential{{"session", session}, {"api_key", a.mustAPIKey(b, session)}}
}

type namedCredential struct {
	name string
	c    authn.Credential
}

// BenchmarkExchangeCached is the hot path: a credential exchanged moments
// ago. The cache TTL is raised so that no miss falls into the timing.
func BenchmarkExchangeCached(b *testing.B) {
	a, creds := benchCredentials(b)
	x := a.mustExchanger(b, authn.Options{CacheTTL: time.Minute, Now: time.Now})
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
	a.wantExchanges(b, "cached", int64(len(creds)))
}

// BenchmarkExchangeUncached is a miss: one exchange with the real auth
// service, in process, over loopback HTTP (lookup in SQLite, an ES256
// signature, JSON both ways).
func BenchmarkExchangeUncached(b *testing.B) {
	a, creds := benchCredentials(b)
	x := a.mustExchanger(b, authn.Options{CacheTTL: -1})
	for _, nc := range creds {
		b.Run(nc.name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := x.Exchange(ctx, nc.c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
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
