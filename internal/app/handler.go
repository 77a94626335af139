package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/evident-dev/evident/internal/dashboard"
	"github.com/evident-dev/evident/internal/ingest"
	"github.com/evident-dev/evident/internal/server"
)

// handler builds the HTTP handler: the API, the webhook receiver (one for
// every webhook source's cluster; the server authorises each cluster) and
// the dashboard at "/".
func (a *App) handler(opts Options) (http.Handler, error) {
	hook := ingest.NewWebhook(a.appender(), ingest.WebhookOptions{
		MaxBodySize: a.cfg.Limits.MaxWebhookBody, MaxEventSize: a.cfg.Limits.MaxEventSize, Logger: a.log,
		Authenticate: server.WebhookAuthenticate,
	})
	a.hooks = append(a.hooks, hook)
	dash, err := dashboard.New(dashboard.Options{Store: a.Store, Registry: a.Registry, Authn: a.Authn, Authz: a.Authz,
		Cluster: a.cfg.Cluster, Now: a.clock.Now, Logger: a.log.With("component", "dashboard"),
		SecureCookies: a.cfg.SecureCookies, Schedule: a.scheduleOptions()})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	v := opts.Version
	srv, err := server.New(server.Options{
		Store: a.Store, Registry: a.Registry, Webhook: hook, WebhookClusters: a.cfg.WebhookClusters(),
		Authn: a.Authn, Authz: a.Authz, Metrics: a.metrics.reg, Ready: a.ready,
		Version: server.Version{Version: v.Version, BuildDate: v.BuildDate, GitTagRef: v.GitTagRef, GitCommit: v.GitCommit},
		Logger:  a.log.With("component", "http"), Now: a.clock.Now, Dashboard: dash,
	})
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	return srv, nil
}

// ready reports whether the server can do its job: the store answers and
// no file source has failed recently.
func (a *App) ready(ctx context.Context) error {
	if _, err := a.Store.Checkpoint(ctx, "readiness"); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if t := a.sourceFailed.Load(); t != 0 && time.Since(time.Unix(0, t)) < 30*time.Second {
		return fmt.Errorf("an audit log source failed recently")
	}
	return nil
}
