package server

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/auth"
	"github.com/evident-dev/evident/internal/registry"
	"github.com/evident-dev/evident/internal/store"
)

// Store is what the server reads from the store.
type Store interface {
	Events(ctx context.Context, q store.EventQuery) (store.EventPage, error)
	Event(ctx context.Context, id string) (store.StoredEvent, error)
	EventCounts(ctx context.Context, q store.EventQuery, bucket time.Duration) ([]store.Count, error)
	History(ctx context.Context, key store.ObjectKey) ([]store.Version, error)
	StateAt(ctx context.Context, t time.Time, q store.VersionQuery) iter.Seq2[store.Version, error]
	ListReports(ctx context.Context, q store.ReportQuery) ([]store.ReportRecord, int, error)
	GetReport(ctx context.Context, id string) (store.ReportRecord, error)
}

// Registry keeps the configuration objects (registry.Registry).
type Registry interface {
	Apply(ctx context.Context, obj v1.Object) (registry.Outcome, error)
	Get(ctx context.Context, kind, name string) (v1.Object, error)
	List(ctx context.Context, kind string) ([]v1.Object, error)
	Delete(ctx context.Context, kind, name string) error
	GetReportType(ctx context.Context, name string) (*v1.GlobalReportType, error)
}

// Version describes the build, served at /version and /compliance/version.
type Version struct {
	Version   string `json:"version"`
	BuildDate string `json:"buildDate"`
	GitTagRef string `json:"gitTagRef"`
	GitCommit string `json:"gitCommit"`
}

// DefaultExportLimit is the most events one export may hold unless
// Options.ExportLimit says otherwise.
const DefaultExportLimit = 1_000_000

// Options configure a Server. Store, Authn and Authz are required.
type Options struct {
	Store Store
	// Registry serves the configuration objects; nil leaves their
	// endpoints out, and report listings use the report type saved in each
	// report.
	Registry Registry
	// Webhook is the audit webhook receiver (ingest.Webhook), mounted at
	// POST /ingest/v1/audit; nil leaves the endpoint out.
	Webhook http.Handler
	// WebhookClusters are the cluster names accepted at
	// /ingest/v1/audit?cluster=NAME; the first is the default. Empty means
	// just "default".
	WebhookClusters []string
	Authn           auth.Authenticator
	Authz           auth.Authorizer
	// Metrics registers the HTTP metrics; Gatherer serves /metrics. When
	// Metrics is nil a private registry is used for both. When Gatherer is
	// nil and Metrics is also a Gatherer (a *prometheus.Registry), that is
	// served.
	Metrics  prometheus.Registerer
	Gatherer prometheus.Gatherer
	// Ready reports whether the server can serve (/readyz); nil: always.
	Ready   func(ctx context.Context) error
	Version Version
	Logger  *slog.Logger
	Now     func() time.Time
	// Dashboard is mounted at "/" (everything the API does not serve);
	// nil answers 404 there.
	Dashboard http.Handler
	// ExportLimit caps the events of one export (DefaultExportLimit when 0).
	ExportLimit int
	// MaxBodySize bounds the body of a configuration object (4 MiB when 0).
	MaxBodySize int64
}

// Server is the HTTP API. It implements http.Handler.
type Server struct {
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	metrics  *httpMetrics
	gatherer prometheus.Gatherer
	csrf     *http.CrossOriginProtection
}

// New builds a server.
func New(opts Options) (*Server, error) {
	switch {
	case opts.Store == nil:
		return nil, errors.New("server: a store is required")
	case opts.Authn == nil || opts.Authz == nil:
		return nil, errors.New("server: an authenticator and an authorizer are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if len(opts.WebhookClusters) == 0 {
		opts.WebhookClusters = []string{"default"}
	}
	if opts.ExportLimit <= 0 {
		opts.ExportLimit = DefaultExportLimit
	}
	if opts.MaxBodySize <= 0 {
		opts.MaxBodySize = 4 << 20
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux(), csrf: http.NewCrossOriginProtection()}
	reg, gath := opts.Metrics, opts.Gatherer
	if reg == nil {
		r := prometheus.NewRegistry()
		reg, gath = r, r
	}
	if g, ok := reg.(prometheus.Gatherer); ok && gath == nil {
		gath = g
	}
	s.gatherer = gath
	m, err := newHTTPMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.metrics = m
	s.routes()
	return s, nil
}

// access says whether a route needs an authenticated caller.
type access int

const (
	public access = iota
	authenticated
)

// handlerFunc is a route's handler; a returned error is written as the
// response (see writeError).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) routes() {
	s.handle("GET /healthz", public, s.healthz)
	s.handle("GET /readyz", public, s.readyz)
	s.handle("GET /version", public, s.version)
	s.handle("GET /compliance/version", public, s.version)
	if s.gatherer != nil {
		s.handle("GET /metrics", authenticated, s.serveMetrics)
	}

	s.handle("GET /api/v1/audit/events", authenticated, s.timeline)
	s.handle("GET /api/v1/audit/events/{id}", authenticated, s.event)
	s.handle("GET /api/v1/audit/export", authenticated, s.export)
	s.handle("GET /api/v1/audit/counts", authenticated, s.counts)
	s.handle("GET /api/v1/changelog/{resource}/{namespace}/{name}", authenticated, s.changelog)
	s.handle("GET /api/v1/state", authenticated, s.state)

	for _, prefix := range []string{"/api/v1/reports", "/compliance/reports"} {
		s.handle("GET "+prefix, authenticated, s.reportList(prefix))
		s.handle("GET "+prefix+"/{id}/download", authenticated, s.reportDownload)
	}

	if s.opts.Registry != nil {
		for plural, kind := range resourceKinds {
			base := "/api/v1/" + plural
			s.handle("GET "+base, authenticated, s.resourceList(plural, kind))
			s.handle("GET "+base+"/{name}", authenticated, s.resourceGet(plural, kind))
			s.handle("PUT "+base+"/{name}", authenticated, s.resourcePut(plural, kind))
			s.handle("DELETE "+base+"/{name}", authenticated, s.resourceDelete(plural, kind))
		}
	}
	if s.opts.Webhook != nil {
		s.handle("POST /ingest/v1/audit", authenticated, s.ingest)
	}
}

// handle registers a route: the handler runs after authentication (when
// the route needs it) and its error, if any, becomes the response.
func (s *Server) handle(pattern string, a access, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		info := infoFrom(r.Context())
		info.route = r.Pattern
		if a == authenticated {
			u, err := s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			info.user = u.Name
			r = r.WithContext(auth.WithUser(r.Context(), u))
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// isAPIPath reports whether the API owns a path; anything else goes to
// the dashboard.
func isAPIPath(p string) bool {
	for _, pre := range []string{"/api/", "/compliance/", "/ingest/"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	switch p {
	case "/api", "/compliance", "/ingest", "/metrics", "/healthz", "/readyz", "/version":
		return true
	}
	return false
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.observe(w, r, s.dispatch)
}

// dispatch sends a request to its route, to the dashboard, or answers
// 404/405 in JSON.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	if s.opts.Dashboard != nil && !isAPIPath(r.URL.Path) {
		s.serveDashboard(w, r)
		return
	}
	// The mux answers 404, 405 (with Allow) or a redirect to a clean
	// path; errors are rewritten as JSON.
	s.mux.ServeHTTP(&jsonStatusWriter{ResponseWriter: w, s: s, r: r}, r)
}

// serveDashboard passes a request to the dashboard, with the user in its
// context when the request carries valid credentials.
func (s *Server) serveDashboard(w http.ResponseWriter, r *http.Request) {
	info := infoFrom(r.Context())
	info.route = "dashboard"
	if tok, _ := credentials(r); tok != "" {
		if u, ok, err := s.opts.Authn.AuthenticateToken(r.Context(), tok); err == nil && ok {
			info.user = u.Name
			r = r.WithContext(auth.WithUser(r.Context(), u))
		}
	}
	s.opts.Dashboard.ServeHTTP(w, r)
}

// jsonStatusWriter turns the mux's plain-text error answers into JSON
// errors.
type jsonStatusWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	swallow bool
}

func (j *jsonStatusWriter) WriteHeader(code int) {
	if code < 400 {
		j.ResponseWriter.WriteHeader(code)
		return
	}
	j.swallow = true
	msg := "no such endpoint"
	if code == http.StatusMethodNotAllowed {
		msg = "method " + j.r.Method + " is not allowed here"
	}
	j.s.writeError(j.ResponseWriter, j.r, errorf(code, "%s", msg))
}

func (j *jsonStatusWriter) Write(b []byte) (int, error) {
	if j.swallow {
		return len(b), nil
	}
	return j.ResponseWriter.Write(b)
}
