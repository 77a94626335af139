package dashboard

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestPagesHonourRBAC asks for every page as each user and checks the
// status: the seed's RBAC for reports, auditlogs for candice only.
func TestPagesHonourRBAC(t *testing.T) {
	h := newHarness(t)
	weekly := "/reports/" + h.reportID(t, "weekly-full-inventory")
	dev := "/reports/" + h.reportID(t, "dev-inventory")
	changelog := "/policies/changelog/networkpolicies.networking.k8s.io/dev/allow-frontend"
	state := "/policies/state/networkpolicies.networking.k8s.io/dev/allow-frontend?at=2026-11-23T04:10:00Z"
	ev := firstEventPath(t, h)
	tests := []struct {
		path                        string
		admin, paul, candice, david int
	}{
		{"/reports", 200, 200, 200, 200},
		{weekly, 200, 200, 200, 403},
		{dev, 200, 200, 200, 200},
		{"/timeline", 200, 403, 200, 403},
		{ev, 200, 403, 200, 403},
		{"/policies", 200, 403, 200, 403},
		{changelog, 200, 403, 200, 403},
		{state, 200, 403, 200, 403},
		{"/schedules", 200, 200, 200, 200},
		{"/schedules/weekly-full-inventory", 200, 200, 200, 403},
		{"/schedules/dev-inventory", 200, 200, 200, 200},
		{"/no-such-page", 404, 404, 404, 404},
		{"/reports/nope_inventory_00000000-0000-0000-0000-000000000000", 404, 404, 404, 403},
	}
	for _, tc := range tests {
		for tok, want := range map[string]int{"admin-token": tc.admin, "paul-token": tc.paul,
			"candice-token": tc.candice, "david-token": tc.david} {
			t.Run(tok+tc.path, func(t *testing.T) {
				resp, body := h.get(t, tok, tc.path)
				if resp.StatusCode != want {
					t.Fatalf("status %d, want %d\n%s", resp.StatusCode, want, body)
				}
				if want == http.StatusForbidden {
					if !strings.Contains(body, "You don&#39;t have access") {
						t.Errorf("403 page does not say so:\n%s", body)
					}
					for _, leak := range []string{"allow-frontend", "<table", "weekly-full-inventory"} {
						if strings.Contains(body, leak) && !strings.Contains(tc.path, leak) {
							t.Errorf("403 page shows %q", leak)
						}
					}
				}
			})
		}
	}
}

func firstEventPath(t *testing.T, h *harness) string {
	t.Helper()
	page, err := h.st.Events(t.Context(), storeQuery(1))
	if err != nil || len(page.Events) == 0 {
		t.Fatalf("no events: %v", err)
	}
	return "/timeline/events/" + url.PathEscape(page.Events[0].ID)
}

func TestAnonymousIsSentToSignIn(t *testing.T) {
	h := newHarness(t)
	for _, tok := range []string{"", "not-a-token"} {
		resp, _ := h.get(t, tok, "/timeline?since=7d")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("token %q: status %d, want 303", tok, resp.StatusCode)
		}
		if loc := resp.Header.Get("Location"); loc != "/login?next="+url.QueryEscape("/timeline?since=7d") {
			t.Errorf("token %q: redirected to %q", tok, loc)
		}
	}
	resp, body := h.get(t, "", "/login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="token"`) {
		t.Fatalf("sign-in page: %d\n%s", resp.StatusCode, body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/login", "/reports", "/timeline", "/static/app.css", "/nope"} {
		resp, _ := h.get(t, "admin-token", path)
		want := map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
	}
}

// TestLogin signs in through the form and checks the cookie and the
// cross-origin refusals.
func TestLogin(t *testing.T) {
	h := newHarness(t)
	post := func(token string, hdr map[string]string, useTLS bool) *httptest.ResponseRecorder {
		form := url.Values{"token": {token}, "next": {"/timeline?since=1h"}}
		req := httptest.NewRequest(http.MethodPost, "http://dash.example/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if useTLS {
			req.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		return rec
	}
	t.Run("valid token", func(t *testing.T) {
		for _, useTLS := range []bool{false, true} {
			rec := post("candice-token", map[string]string{"Origin": "http://dash.example", "Sec-Fetch-Site": "same-origin"}, useTLS)
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/timeline?since=1h" {
				t.Fatalf("status %d, location %q", rec.Code, rec.Header().Get("Location"))
			}
			c := rec.Result().Cookies()
			if len(c) != 1 || c[0].Name != SessionCookie || c[0].Value != "candice-token" || !c[0].HttpOnly ||
				c[0].SameSite != http.SameSiteStrictMode || c[0].Secure != useTLS || c[0].Path != "/" {
				t.Errorf("TLS %v: cookie %+v", useTLS, c)
			}
		}
	})
	t.Run("bad token", func(t *testing.T) {
		rec := post("wrong", nil, false)
		if rec.Code != http.StatusUnauthorized || len(rec.Result().Cookies()) != 0 {
			t.Fatalf("status %d, cookies %v", rec.Code, rec.Result().Cookies())
		}
		if !strings.Contains(rec.Body.String(), "was not accepted") {
			t.Errorf("no message:\n%s", rec.Body.String())
		}
	})
	for name, hdr := range map[string]map[string]string{
		"Sec-Fetch-Site": {"Sec-Fetch-Site": "cross-site"},
		"Origin":         {"Origin": "http://evil.example"},
		"Referer":        {"Referer": "http://evil.example/page"},
	} {
		t.Run("cross-origin "+name, func(t *testing.T) {
			rec := post("candice-token", hdr, false)
			if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
				t.Fatalf("status %d, cookies %v", rec.Code, rec.Result().Cookies())
			}
		})
	}
	t.Run("secure option", func(t *testing.T) {
		d, err := New(Options{Store: h.st, Authn: h.authn, Authz: h.authz, SecureCookies: true})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("token=admin-token"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, req)
		if c := rec.Result().Cookies(); len(c) != 1 || !c[0].Secure {
			t.Errorf("cookies %+v", c)
		}
	})
	t.Run("logout", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "http://dash.example/logout", nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: "admin-token"})
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		c := rec.Result().Cookies()
		if rec.Code != http.StatusSeeOther || len(c) != 1 || c[0].MaxAge >= 0 {
			t.Errorf("status %d, cookies %+v", rec.Code, c)
		}
	})
}

func TestSafeNext(t *testing.T) {
	tests := map[string]string{
		"":                       "/",
		"/timeline?since=1h":     "/timeline?since=1h",
		"//evil.example/":        "/",
		"/\\evil.example":        "/",
		"https://evil.example/":  "/",
		"javascript:alert(1)":    "/",
		"/login?next=/reports":   "/",
		"/reports/a_b_c#summary": "/reports/a_b_c#summary",
	}
	for in, want := range tests {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUserFromContext uses the user an enclosing server authenticated.
func TestUserFromContext(t *testing.T) {
	h := newHarness(t)
	req := httptest.NewRequest(http.MethodGet, "/schedules", nil)
	req = req.WithContext(withUser(req.Context(), "paul"))
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "paul") {
		t.Fatalf("status %d", rec.Code)
	}
}

// TestPagesAreFast renders each page once and reports slow ones; the
// budget is generous so that a loaded machine does not fail it.
func TestPagesAreFast(t *testing.T) {
	h := newHarness(t)
	for _, p := range []string{"/reports", "/reports/" + h.reportID(t, "weekly-full-inventory"), "/timeline",
		"/timeline?since=30d", "/policies", "/schedules",
		"/policies/changelog/networkpolicies.networking.k8s.io/dev/allow-frontend"} {
		h.get(t, "admin-token", p) // warm up
		start := time.Now()
		resp, _ := h.get(t, "admin-token", p)
		d := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", p, resp.StatusCode)
		}
		t.Logf("%s: %s", p, d)
		if d > time.Second {
			t.Errorf("%s took %s", p, d)
		}
	}
}
