package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// healthz answers GET /healthz: the process is up.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
	return nil
}

// readyz answers GET /readyz: the server can serve (Options.Ready).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Ready != nil {
		if err := s.opts.Ready(r.Context()); err != nil {
			return unavailable("not ready", err)
		}
	}
	return s.healthz(w, r)
}

// version answers GET /version and /compliance/version.
func (s *Server) version(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, s.opts.Version)
	return nil
}

// serveMetrics answers GET /metrics (needs get metrics).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	if err := s.require(r.Context(), "get", "metrics", ""); err != nil {
		return err
	}
	promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{ErrorLog: slogPrinter{s}}).ServeHTTP(w, r)
	return nil
}

// clusterKey carries the cluster a webhook request was authorised for.
type clusterKey struct{}

// ingest answers POST /ingest/v1/audit[?cluster=NAME]: it authorises
// create auditevents/<cluster> and hands the request to the webhook with
// the cluster in its context.
func (s *Server) ingest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cluster := r.URL.Query().Get("cluster")
	if cluster == "" {
		cluster = s.opts.WebhookClusters[0]
	}
	if err := s.require(ctx, "create", "auditevents", cluster); err != nil {
		return err
	}
	if !slices.Contains(s.opts.WebhookClusters, cluster) {
		return badRequest("cluster %q is not received here", cluster)
	}
	s.opts.Webhook.ServeHTTP(w, r.WithContext(context.WithValue(ctx, clusterKey{}, cluster)))
	return nil
}

// WebhookAuthenticate returns the cluster the server authorised a webhook
// request for. It fits ingest.WebhookOptions.Authenticate: a request that
// did not pass through the server's checks is refused (ok=false).
func WebhookAuthenticate(r *http.Request) (cluster string, ok bool, err error) {
	cluster, ok = r.Context().Value(clusterKey{}).(string)
	return cluster, ok, nil
}

// slogPrinter passes the metrics handler's errors to the log.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) { p.s.log.Error("serve metrics", "err", fmt.Sprint(v...)) }
