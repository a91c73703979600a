package authstore_test

import (
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/auth/authtest"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

func TestStoreConformance(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			authtest.RunStoreSuite(t, func(t *testing.T) auth.Store {
				s, err := authstore.Open(t.Context(), b.Open(t))
				if err != nil {
					t.Fatalf("open store: %v", err)
				}
				return s
			})
		})
	}
}
