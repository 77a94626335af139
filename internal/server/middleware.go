package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evident-dev/evident/internal/auth"
)

// SessionCookie is the cookie that carries a caller's token for the
// dashboard, as an alternative to the Authorization header.
const SessionCookie = "evident_session"

// reqInfo collects what the log line and the metrics of a request need;
// the route wrapper and writeError fill it in.
type reqInfo struct {
	route string
	user  string
	cause error
}

type infoKey struct{}

// infoFrom returns the request's info; requests that did not pass through
// ServeHTTP get a throwaway one.
func infoFrom(ctx context.Context) *reqInfo {
	if i, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush lets streaming handlers push what they wrote.
func (w *statusWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe runs next with panic recovery, then logs the request and
// records its metrics.
func (s *Server) observe(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	start := time.Now()
	info := &reqInfo{}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	sw := &statusWriter{ResponseWriter: w}
	aborted := false
	defer func() {
		p := recover()
		if p != nil {
			if p == http.ErrAbortHandler { // a deliberate abort of a streamed response
				aborted = true
			} else {
				info.cause = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
				if sw.status == 0 {
					s.writeError(sw, r, errorf(http.StatusInternalServerError, "internal server error"))
				}
			}
		}
		s.record(r, info, sw, time.Since(start), aborted)
		if aborted {
			panic(p)
		}
	}()
	next(sw, r)
}

// record writes the request's log line and metrics.
func (s *Server) record(r *http.Request, info *reqInfo, sw *statusWriter, d time.Duration, aborted bool) {
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	route := info.route
	if route == "" {
		route = "unmatched"
	}
	s.metrics.requests.WithLabelValues(route, methodLabel(r.Method), strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())

	level := slog.LevelInfo
	switch {
	case status >= 500 || aborted:
		level = slog.LevelError
	case route == "GET /healthz" || route == "GET /readyz" || route == "GET /metrics":
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
		slog.Int("status", status), slog.Duration("duration", d), slog.Int64("bytes", sw.bytes),
	}
	if info.user != "" {
		attrs = append(attrs, slog.String("user", info.user))
	}
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	if info.cause != nil {
		attrs = append(attrs, slog.Any("err", info.cause))
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

// methodLabel keeps the method label's values few: any method that is not
// a standard one counts as "other".
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// credentials returns the token a request carries and whether it came
// from the session cookie.
func credentials(r *http.Request) (token string, fromCookie bool) {
	if t, ok := auth.BearerToken(r.Header); ok {
		return t, false
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", false
}

// authenticate identifies the caller. Cookie-authenticated requests with
// an unsafe method must come from the same origin.
func (s *Server) authenticate(r *http.Request) (auth.User, error) {
	tok, fromCookie := credentials(r)
	if tok == "" {
		return auth.User{}, unauthorized("authentication required: send a bearer token")
	}
	if fromCookie {
		if err := s.csrf.Check(r); err != nil {
			return auth.User{}, errorf(http.StatusForbidden, "cross-origin request refused").withCause(err)
		}
	}
	u, ok, err := s.opts.Authn.AuthenticateToken(r.Context(), tok)
	switch {
	case err != nil:
		return auth.User{}, unavailable("cannot authenticate now", fmt.Errorf("authenticate: %w", err))
	case !ok:
		return auth.User{}, unauthorized("invalid or expired token")
	}
	return u, nil
}

// allowed asks the authorizer whether the request's user may perform verb
// on a resource (of group evident.dev); name is empty for collections.
func (s *Server) allowed(ctx context.Context, verb, resource, name string) (bool, error) {
	u, ok := auth.UserFrom(ctx)
	if !ok {
		return false, errors.New("no authenticated user in the request")
	}
	ok, err := auth.Allowed(ctx, s.opts.Authz, u, verb, auth.GroupEvident, resource, name)
	if err != nil {
		return false, fmt.Errorf("authorize %s %s: %w", verb, resource, err)
	}
	return ok, nil
}

// require answers 403 unless the user may perform verb on the resource,
// and 503 when the authorizer cannot decide.
func (s *Server) require(ctx context.Context, verb, resource, name string) error {
	ok, err := s.allowed(ctx, verb, resource, name)
	if err != nil {
		return unavailable("cannot authorize now", err)
	}
	if !ok {
		what := resource
		if name != "" {
			what += " " + strconv.Quote(name)
		}
		return errorf(http.StatusForbidden, "forbidden: you may not %s %s", verb, what)
	}
	return nil
}

// httpMetrics are the request metrics.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evident_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "evident_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route"}),
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the equal collector already registered
// (a second server on the same registry shares its metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("register metrics: %w", err)
	}
	return c, nil
}
