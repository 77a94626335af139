package cli

import (
	"context"
	"iter"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

// auditSource is what the query commands read: the local store, or an
// Evident server (--server).
type auditSource interface {
	Events(ctx context.Context, q store.EventQuery) (store.EventPage, error)
	History(ctx context.Context, key store.ObjectKey) ([]store.Version, error)
	StateAt(ctx context.Context, t time.Time, q store.VersionQuery) iter.Seq2[store.Version, error]
	Close() error
}

// auditSource opens the source the global flags name.
func (e *env) auditSource(ctx context.Context) (auditSource, error) {
	if e.server != "" {
		return newRemote(e.server, e.token)
	}
	return e.openStoreRead(ctx)
}
