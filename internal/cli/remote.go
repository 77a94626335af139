package cli

import (
	"context"
	"fmt"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/store"
)

// newRemote connects the query commands to an Evident server.
func newRemote(server, token string) (auditSource, error) {
	return nil, fmt.Errorf("--server %s: querying a server is not supported by this build yet; run the command where the data directory is", server)
}

func (e *env) remoteApply(ctx context.Context, objs []v1.Object) error {
	_, err := newRemote(e.server, e.token)
	return err
}

func (e *env) remoteGet(ctx context.Context, kind string, name []string) ([]v1.Object, error) {
	_, err := newRemote(e.server, e.token)
	return nil, err
}

func (e *env) remoteDelete(ctx context.Context, kind, name string) error {
	_, err := newRemote(e.server, e.token)
	return err
}

func (e *env) remoteReports(ctx context.Context, q store.ReportQuery) ([]store.ReportRecord, int, error) {
	_, err := newRemote(e.server, e.token)
	return nil, 0, err
}

func (e *env) remoteDownload(ctx context.Context, id string, formats []string) ([]byte, string, error) {
	_, err := newRemote(e.server, e.token)
	return nil, "", err
}
