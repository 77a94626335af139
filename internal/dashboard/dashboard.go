package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/auth"
	"github.com/evident-dev/evident/internal/schedule"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/web"
)

// Store is what the dashboard reads from the store (sqlite.Store
// implements it).
type Store interface {
	Events(ctx context.Context, q store.EventQuery) (store.EventPage, error)
	Event(ctx context.Context, id string) (store.StoredEvent, error)
	EventCounts(ctx context.Context, q store.EventQuery, bucket time.Duration) ([]store.Count, error)
	History(ctx context.Context, key store.ObjectKey) ([]store.Version, error)
	StateAt(ctx context.Context, t time.Time, q store.VersionQuery) iter.Seq2[store.Version, error]
	ListReports(ctx context.Context, q store.ReportQuery) ([]store.ReportRecord, int, error)
	GetReport(ctx context.Context, id string) (store.ReportRecord, error)
}

// Registry is what the dashboard reads of the configuration objects
// (registry.Registry implements it).
type Registry interface {
	ListReports(ctx context.Context) ([]*v1.GlobalReport, error)
	GetReportType(ctx context.Context, name string) (*v1.GlobalReportType, error)
}

// Options configure the dashboard. Store, Authn and Authz are required.
type Options struct {
	Store Store
	// Registry serves the GlobalReports of the schedules page and the
	// current report types of download links; without it the schedules
	// page is empty and downloads use the report type saved in each
	// report.
	Registry Registry
	Authn    auth.Authenticator
	Authz    auth.Authorizer
	// Cluster is the cluster whose objects the policies, changelog and
	// state pages show; default "default".
	Cluster string
	Now     func() time.Time
	Logger  *slog.Logger
	// SecureCookies marks the session cookie Secure even on plain HTTP
	// requests (behind a TLS-terminating proxy). It is always Secure on
	// TLS requests.
	SecureCookies bool
	// Schedule are the scheduler's options, for computing next runs the
	// way the scheduler does; the zero value means its defaults.
	Schedule schedule.Options
}

// SessionCookie is the cookie that holds a signed-in user's bearer token.
const SessionCookie = "evident_session"

// handler serves the dashboard.
type handler struct {
	opts   Options
	log    *slog.Logger
	pages  *pages
	mux    *http.ServeMux
	csrf   *http.CrossOriginProtection
	static http.Handler
}

// New returns the dashboard's handler. It serves "/", "/login", "/logout",
// "/reports...", "/timeline...", "/policies...", "/schedules..." and
// "/static/...".
func New(opts Options) (http.Handler, error) {
	switch {
	case opts.Store == nil:
		return nil, errors.New("dashboard: a store is required")
	case opts.Authn == nil || opts.Authz == nil:
		return nil, errors.New("dashboard: an authenticator and an authorizer are required")
	}
	if opts.Cluster == "" {
		opts.Cluster = "default"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	assets := web.FS()
	pg, err := loadPages(assets)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	h := &handler{opts: opts, log: opts.Logger, pages: pg, mux: http.NewServeMux(),
		csrf: http.NewCrossOriginProtection(), static: http.StripPrefix("/static/", http.FileServerFS(static))}
	h.routes()
	return h, nil
}

func (h *handler) routes() {
	h.mux.HandleFunc("GET /static/", h.serveStatic)
	h.mux.HandleFunc("GET /login", h.loginForm)
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.HandleFunc("POST /logout", h.logout)

	h.page("GET /{$}", h.home)
	h.page("GET /reports", h.reportList)
	h.page("GET /reports/{id}", h.reportView)
	h.page("GET /timeline", h.timeline)
	h.page("GET /timeline/events/{id}", h.eventView)
	h.page("GET /policies", h.policyList)
	h.page("GET /policies/changelog/{resource}/{namespace}/{name}", h.changelog)
	h.page("GET /policies/state", h.stateLookup)
	h.page("GET /policies/state/{resource}/{namespace}/{name}", h.stateView)
	h.page("GET /schedules", h.scheduleList)
	h.page("GET /schedules/{name}", h.scheduleView)
	h.page("/", h.notFound)
}

// ServeHTTP implements http.Handler: every response gets the security
// headers.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy allows the server's own scripts, styles and
// images only: no inline script, inline style, plugin, frame or base URL.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (h *handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r) // no directory listings
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	h.static.ServeHTTP(w, r)
}

// request is what a page handler gets: the request, its user and what the
// user may open.
type request struct {
	*http.Request
	user auth.User
	nav  navPerms
}

// pageFunc renders one page; a returned error becomes an error page.
type pageFunc func(w http.ResponseWriter, r *request) error

// page registers a handler that needs a signed-in user.
func (h *handler) page(pattern string, fn pageFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		u, ok, err := h.user(r)
		if err != nil {
			h.fail(w, r, nil, unavailable("cannot check your sign-in now", err))
			return
		}
		if !ok {
			h.toLogin(w, r)
			return
		}
		req := &request{Request: r, user: u}
		if req.nav, err = h.navPerms(r.Context(), u); err != nil {
			h.fail(w, r, req, unavailable("cannot check your permissions now", err))
			return
		}
		if err := fn(w, req); err != nil {
			h.fail(w, r, req, err)
		}
	})
}

// navPerms say which sections the user may open.
type navPerms struct {
	Reports, Timeline, Policies, Schedules bool
}

func (h *handler) navPerms(ctx context.Context, u auth.User) (navPerms, error) {
	var n navPerms
	var err error
	if n.Reports, err = h.allowed(ctx, u, "list", "globalreports", ""); err != nil {
		return n, err
	}
	if n.Timeline, err = h.allowed(ctx, u, "list", "auditlogs", ""); err != nil {
		return n, err
	}
	if n.Policies, err = h.allowed(ctx, u, "get", "auditlogs", ""); err != nil {
		return n, err
	}
	n.Schedules = n.Reports
	return n, nil
}

// allowed asks the authorizer about a resource of group evident.dev.
func (h *handler) allowed(ctx context.Context, u auth.User, verb, resource, name string) (bool, error) {
	ok, err := auth.Allowed(ctx, h.opts.Authz, u, verb, auth.GroupEvident, resource, name)
	if err != nil {
		return false, fmt.Errorf("authorize %s %s: %w", verb, resource, err)
	}
	return ok, nil
}

// require returns a 403 error unless the user may perform verb.
func (h *handler) require(r *request, verb, resource, name string) error {
	ok, err := h.allowed(r.Context(), r.user, verb, resource, name)
	if err != nil {
		return unavailable("cannot check your permissions now", err)
	}
	if !ok {
		return forbidden(verb, resource, name)
	}
	return nil
}

// home sends the user to the first section they may open.
func (h *handler) home(w http.ResponseWriter, r *request) error {
	switch {
	case r.nav.Reports:
		http.Redirect(w, r.Request, "/reports", http.StatusSeeOther)
	case r.nav.Timeline:
		http.Redirect(w, r.Request, "/timeline", http.StatusSeeOther)
	case r.nav.Policies:
		http.Redirect(w, r.Request, "/policies", http.StatusSeeOther)
	default:
		return h.render(w, r, http.StatusOK, "home.html", "Welcome", "", nil)
	}
	return nil
}

func (h *handler) notFound(_ http.ResponseWriter, _ *request) error {
	return notFound("There is no such page.")
}

// now is the dashboard's current time, in UTC.
func (h *handler) now() time.Time { return h.opts.Now().UTC() }
