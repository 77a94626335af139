package sqlite

import (
	"testing"

	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.Context(), Options{Dir: t.TempDir(), BlockEvents: 4, SmallBlockEvents: 2})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
