package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/evident-dev/evident/internal/auth"
	"github.com/evident-dev/evident/internal/ingest"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

// Options configure `evident serve`.
type Options struct {
	DataDir     string
	Listen      string
	Cluster     string
	TokensFile  string
	MaxBodySize int64
	Logger      *slog.Logger
	// Ready, when set, receives the address the server listens on.
	Ready func(addr string)
}

// Serve runs the server until ctx ends, then shuts down gracefully: it
// stops accepting requests, lets requests in flight finish and commits
// queued webhook batches before closing the store.
func Serve(ctx context.Context, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.TokensFile == "" {
		return errors.New("serve: a tokens file is required (--tokens-file): every request must authenticate")
	}
	tokens, err := auth.LoadTokenFile(opts.TokensFile)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: opts.DataDir})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer st.Close()
	hook := ingest.NewWebhook(st, ingest.WebhookOptions{
		Cluster: opts.Cluster, MaxBodySize: opts.MaxBodySize, Logger: log,
		Authenticate: func(r *http.Request) (string, bool, error) {
			token, ok := auth.BearerToken(r.Header)
			if !ok {
				return "", false, nil
			}
			_, ok, err := tokens.AuthenticateToken(r.Context(), token)
			return "", ok, err
		},
	})
	defer hook.Close()
	mux := http.NewServeMux()
	mux.Handle("POST /ingest/v1/audit", hook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}
	log.Info("serving", "addr", ln.Addr().String(), "data", opts.DataDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	log.Info("shutting down")
	return srv.Shutdown(shutdown)
}
