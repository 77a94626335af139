package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evident-dev/evident/internal/auth"
	"github.com/evident-dev/evident/internal/server"
)

func TestPublicEndpoints(t *testing.T) {
	ready := errors.New("store not open yet")
	e := newTestEnv(t, func(o *server.Options) {
		o.Ready = func(context.Context) error { return ready }
	})
	if r := e.get(t, "", "/healthz").want(t, http.StatusOK); string(r.body) != "ok\n" {
		t.Errorf("healthz: %q", r.body)
	}
	if msg := e.get(t, "", "/readyz").errorAnswer(t, http.StatusServiceUnavailable); msg != "not ready" {
		t.Errorf("readyz: %q", msg)
	}
	if !strings.Contains(e.logs.String(), "store not open yet") {
		t.Errorf("the readiness failure is not logged")
	}
	want := server.Version{Version: "v1.2.3", BuildDate: "2026-11-20", GitTagRef: "refs/tags/v1.2.3", GitCommit: "abc123"}
	for _, p := range []string{"/version", "/compliance/version"} {
		r := e.get(t, "", p).want(t, http.StatusOK)
		if diff := cmp.Diff(want, decode[server.Version](t, r)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", p, diff)
		}
	}
	e2 := newTestEnv(t)
	e2.get(t, "", "/readyz").want(t, http.StatusOK)
}

func TestAuthentication(t *testing.T) {
	e := newTestEnv(t)
	const path = "/api/v1/audit/events?limit=1"
	for _, tc := range []struct {
		name   string
		header []string
		want   int
	}{
		{"no credentials", nil, http.StatusUnauthorized},
		{"unknown token", []string{"Authorization", "Bearer nope"}, http.StatusUnauthorized},
		{"other scheme", []string{"Authorization", "Basic dG9rZW4tYWxpY2U6"}, http.StatusUnauthorized},
		{"bearer", []string{"Authorization", "Bearer token-alice"}, http.StatusOK},
		{"lower-case scheme", []string{"Authorization", "bearer token-alice"}, http.StatusOK},
		{"session cookie", []string{"Cookie", server.SessionCookie + "=token-alice"}, http.StatusOK},
		{"bad session cookie", []string{"Cookie", server.SessionCookie + "=nope"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.request(t, http.MethodGet, "", path, nil, tc.header...)
			if tc.want != http.StatusOK {
				r.errorAnswer(t, tc.want)
				if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate %q", got)
				}
				return
			}
			r.want(t, tc.want)
		})
	}
	if strings.Contains(e.logs.String(), "token-alice") || strings.Contains(e.logs.String(), "nope") {
		t.Errorf("a token reached the log:\n%s", e.logs)
	}
	if !strings.Contains(e.logs.String(), "user=alice") {
		t.Errorf("the log does not name the user:\n%s", e.logs)
	}
}

func TestCookieCrossOrigin(t *testing.T) {
	e := newTestEnv(t)
	body := `{"apiVersion":"evident.dev/v1","kind":"GlobalAlert","metadata":{"name":"x"},"spec":{"summary":"s","description":"d","severity":100,"dataSet":"audit","query":"verb = create"}}`
	cookie := server.SessionCookie + "=token-admin"
	// A forged cross-site request carrying the cookie is refused.
	r := e.request(t, http.MethodPut, "", "/api/v1/globalalerts/x", strings.NewReader(body),
		"Cookie", cookie, "Sec-Fetch-Site", "cross-site")
	r.errorAnswer(t, http.StatusForbidden)
	// The same from the dashboard's own origin, or with a bearer token, is not.
	e.request(t, http.MethodPut, "", "/api/v1/globalalerts/x", strings.NewReader(body),
		"Cookie", cookie, "Sec-Fetch-Site", "same-origin").want(t, http.StatusCreated)
	e.request(t, http.MethodPut, "token-admin", "/api/v1/globalalerts/x", strings.NewReader(body),
		"Sec-Fetch-Site", "cross-site").want(t, http.StatusOK)
}

func TestBackendFailures(t *testing.T) {
	t.Run("authenticator", func(t *testing.T) {
		e := newTestEnv(t, func(o *server.Options) { o.Authn = failingAuth{} })
		e.get(t, "token-alice", "/api/v1/audit/events").errorAnswer(t, http.StatusServiceUnavailable)
		if !strings.Contains(e.logs.String(), "unexpected EOF") {
			t.Errorf("the cause is not logged:\n%s", e.logs)
		}
	})
	t.Run("authorizer", func(t *testing.T) {
		e := newTestEnv(t, func(o *server.Options) { o.Authz = failingAuth{} })
		for _, p := range []string{"/api/v1/audit/events", "/api/v1/reports", "/compliance/reports/" + idDev1 + "/download",
			"/api/v1/globalreports", "/api/v1/state"} {
			if msg := e.get(t, "token-alice", p).errorAnswer(t, http.StatusServiceUnavailable); strings.Contains(msg, "EOF") {
				t.Errorf("%s: the cause reached the caller: %q", p, msg)
			}
		}
	})
	t.Run("store", func(t *testing.T) {
		e := newTestEnv(t)
		e.st.Close()
		e.get(t, "token-alice", "/api/v1/audit/events").errorAnswer(t, http.StatusServiceUnavailable)
		e.get(t, "token-admin", "/api/v1/reports").errorAnswer(t, http.StatusServiceUnavailable)
	})
}

func TestRouting(t *testing.T) {
	e := newTestEnv(t)
	e.get(t, "token-admin", "/api/v1/nothing").errorAnswer(t, http.StatusNotFound)
	e.get(t, "", "/").errorAnswer(t, http.StatusNotFound)
	r := e.request(t, http.MethodPost, "token-admin", "/api/v1/reports", nil)
	r.errorAnswer(t, http.StatusMethodNotAllowed)
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow %q", allow)
	}

	var seen []string
	dash := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := auth.UserFrom(r.Context())
		seen = append(seen, r.URL.Path+":"+u.Name+":"+map[bool]string{true: "user", false: "anonymous"}[ok])
		if r.URL.Path == "/boom" {
			panic("dashboard bug")
		}
		w.Write([]byte("dashboard"))
	})
	e = newTestEnv(t, func(o *server.Options) { o.Dashboard = dash })
	e.get(t, "", "/").want(t, http.StatusOK)
	e.request(t, http.MethodGet, "", "/reports", nil, "Cookie", server.SessionCookie+"=token-paul").want(t, http.StatusOK)
	e.get(t, "nope", "/login").want(t, http.StatusOK)
	// API paths never reach the dashboard.
	e.get(t, "token-admin", "/api/v1/nothing").errorAnswer(t, http.StatusNotFound)
	if msg := e.get(t, "", "/boom").errorAnswer(t, http.StatusInternalServerError); msg != "internal server error" {
		t.Errorf("panic answer %q", msg)
	}
	want := []string{"/::anonymous", "/reports:paul:user", "/login::anonymous", "/boom::anonymous"}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("dashboard requests (-want +got):\n%s", diff)
	}
	if !strings.Contains(e.logs.String(), "dashboard bug") {
		t.Errorf("the panic is not logged")
	}
}

func TestMetrics(t *testing.T) {
	e := newTestEnv(t)
	e.get(t, "token-alice", "/api/v1/audit/events?limit=1").want(t, http.StatusOK)
	e.get(t, "token-alice", "/api/v1/audit/events/202611-1").want(t, http.StatusOK)
	e.get(t, "token-eve", "/metrics").errorAnswer(t, http.StatusForbidden)
	e.get(t, "", "/metrics").errorAnswer(t, http.StatusUnauthorized)
	r := e.get(t, "token-prometheus", "/metrics").want(t, http.StatusOK)
	for _, want := range []string{
		`evident_http_requests_total{code="200",method="GET",route="GET /api/v1/audit/events"} 1`,
		`evident_http_requests_total{code="200",method="GET",route="GET /api/v1/audit/events/{id}"} 1`,
		`evident_http_requests_total{code="403",method="GET",route="GET /metrics"} 1`,
		`evident_http_request_duration_seconds_count{route="GET /api/v1/audit/events"} 1`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A second server on the same registry shares the metrics.
	if _, err := server.New(server.Options{Store: e.st, Authn: failingAuth{}, Authz: failingAuth{}, Metrics: e.metrics}); err != nil {
		t.Errorf("second server: %v", err)
	}
}
