package configsstore_test

import (
	"testing"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/configs/configsstore"
	"github.com/portico-gw/portico/internal/configs/configstest"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

func TestStoreConformance(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			configstest.RunStoreSuite(t, func(t *testing.T) configs.Store {
				s, err := configsstore.Open(t.Context(), b.Open(t))
				if err != nil {
					t.Fatalf("open store: %v", err)
				}
				return s
			})
		})
	}
}
