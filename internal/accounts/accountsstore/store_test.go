package accountsstore_test

import (
	"testing"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/accounts/accountsstore"
	"github.com/portico-gw/portico/internal/accounts/accountstest"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

func TestStoreConformance(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			accountstest.RunStoreSuite(t, func(t *testing.T) accounts.Store {
				s, err := accountsstore.Open(t.Context(), b.Open(t))
				if err != nil {
					t.Fatalf("open store: %v", err)
				}
				return s
			})
		})
	}
}
