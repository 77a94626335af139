package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/auth"
	"github.com/evident-dev/evident/internal/ingest"
	"github.com/evident-dev/evident/internal/registry"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/server"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

// The XSS payloads of the hostile audit events.
const (
	xssName        = `x<script>window.__xss=1</script>`
	xssAnnotation  = `<img src=x onerror="window.__xss=2">`
	xssAgent       = `<script>window.__xss=3</script><img src=x onerror="window.__xss=3">`
	xssAnnotation2 = `"><svg onload="window.__xss=4">`
)

// apiMicro is the API server's timestamp layout (metav1.MicroTime).
const apiMicro = "2006-01-02T15:04:05.000000Z07:00"

// The users of the tests: an administrator and the seed's RBAC example,
// with the audit trail granted to candice only.
func testTokens() map[string]auth.User {
	return map[string]auth.User{
		"admin-token":   {Name: "admin", Groups: []string{auth.GroupMasters}},
		"paul-token":    {Name: "paul"},
		"candice-token": {Name: "candice"},
		"david-token":   {Name: "david"},
	}
}

// testNow is the dashboard's clock: shortly after the real API server's
// log (2026-11-23T04:09 to 04:11 UTC) and the hostile events (04:30).
func testNow() time.Time { return time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC) }

// harness is a store with real data, a registry, generated reports, and
// the dashboard mounted in the HTTP API server (whose export and download
// endpoints its pages link to), on a real HTTP server.
type harness struct {
	st      *sqlite.Store
	reg     *registry.Registry
	authn   auth.Authenticator
	authz   auth.Authorizer
	handler http.Handler
	srv     *httptest.Server
	reports map[string]*report.Report // by GlobalReport name
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := ingest.ImportFile(ctx, st, "../../testdata/real-apiserver/audit.log", ingest.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, &store.Batch{Source: "test:hostile", Events: hostileEvents(t)}); err != nil {
		t.Fatal(err)
	}
	h := &harness{st: st, reports: map[string]*report.Report{}}
	clock := testNow
	h.reg = registry.New(st, registry.Options{Defaults: report.DefaultTypes(), Render: report.Validate, Now: clock})
	if err := h.reg.InstallDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	h.applyReports(t)
	h.generateReports(t)

	tokens, err := auth.NewTokens(testTokens())
	if err != nil {
		t.Fatal(err)
	}
	rbac, err := auth.LoadRBAC("testdata/rbac-seed.yaml", "testdata/rbac-auditlogs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h.authn, h.authz = tokens, rbac
	h.handler, err = New(Options{Store: st, Registry: h.reg, Authn: tokens, Authz: rbac, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	api, err := server.New(server.Options{Store: st, Registry: h.reg, Authn: tokens, Authz: rbac, Now: clock,
		Dashboard: h.handler})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(api)
	t.Cleanup(h.srv.Close)
	return h
}

// applyReports applies the seed's example GlobalReports and two more:
// dev-inventory (the report the seed's RBAC lets david see) and a
// policy audit of every namespace.
func (h *harness) applyReports(t testing.TB) {
	t.Helper()
	data, err := os.ReadFile("../../config/samples/globalreports.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte(`
---
apiVersion: evident.dev/v1
kind: GlobalReport
metadata: {name: dev-inventory}
spec:
  reportType: inventory
  endpoints: {namespaces: {names: [dev]}}
  schedule: 0 * * * *
---
apiVersion: evident.dev/v1
kind: GlobalReport
metadata: {name: hourly-policy-audit}
spec:
  reportType: policy-audit
  schedule: 0 * * * *
`)...)
	objs, err := v1.Load("globalreports.yaml", data, report.Validate)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if _, err := h.reg.Apply(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

// generateReports runs every GlobalReport over the hour of the log.
func (h *harness) generateReports(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	engine := report.NewEngine(h.st, report.EngineOptions{Now: testNow})
	runner := &report.Runner{Engine: engine, Types: h.reg, Reports: h.st}
	reps, err := h.reg.ListReports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	for _, rep := range reps {
		r, err := runner.Generate(ctx, rep, start, start.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		h.reports[rep.Name] = r
	}
}

// hostileEvents are a create and a patch of a NetworkPolicy whose name,
// annotations and user agent carry script payloads.
func hostileEvents(t testing.TB) []audit.Event {
	t.Helper()
	obj := func(rv string, ann map[string]string, port int) map[string]any {
		return map[string]any{
			"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1",
			"metadata": map[string]any{"name": xssName, "namespace": "dev", "uid": "6a1c1f5e-0000-4000-8000-000000000055",
				"resourceVersion": rv, "labels": map[string]string{"app": xssName}, "annotations": ann},
			"spec": map[string]any{"podSelector": map[string]any{"matchLabels": map[string]string{"app": "web"}},
				"policyTypes": []string{"Ingress"},
				"ingress":     []any{map[string]any{"ports": []any{map[string]any{"port": port}}}}},
		}
	}
	event := func(id, verb string, at time.Time, code int, o map[string]any) audit.Event {
		ev := map[string]any{
			"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse", "auditID": id,
			"stage": "ResponseComplete", "verb": verb,
			"requestURI": "/apis/networking.k8s.io/v1/namespaces/dev/networkpolicies",
			"user":       map[string]any{"username": "mallory", "groups": []string{"system:authenticated"}},
			"sourceIPs":  []string{"10.0.0.9"}, "userAgent": xssAgent,
			"objectRef": map[string]any{"resource": "networkpolicies", "namespace": "dev", "name": xssName,
				"apiGroup": "networking.k8s.io", "apiVersion": "v1"},
			"responseStatus":           map[string]any{"metadata": map[string]any{}, "code": code},
			"requestObject":            o,
			"responseObject":           o,
			"requestReceivedTimestamp": at.Format(apiMicro),
			"stageTimestamp":           at.Add(5 * time.Millisecond).Format(apiMicro),
			"annotations":              map[string]string{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": xssAnnotation},
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // keep the payloads as raw < and > in the stored body
		if err := enc.Encode(ev); err != nil {
			t.Fatal(err)
		}
		e, err := audit.Decode(buf.Bytes(), "")
		if err != nil {
			t.Fatal(err)
		}
		e.Cluster = "default"
		return e
	}
	at := time.Date(2026, 11, 23, 4, 30, 0, 0, time.UTC)
	return []audit.Event{
		event("0b9d2c1e-1111-4a4a-9c9c-000000000001", "create", at, 201,
			obj("9001", map[string]string{"note": xssAnnotation}, 80)),
		event("0b9d2c1e-1111-4a4a-9c9c-000000000002", "patch", at.Add(time.Minute), 200,
			obj("9002", map[string]string{"note": xssAnnotation2}, 8080)),
	}
}

// reportID returns the ID of the report generated for a GlobalReport.
func (h *harness) reportID(t testing.TB, name string) string {
	t.Helper()
	r, ok := h.reports[name]
	if !ok {
		t.Fatalf("no report generated for %s", name)
	}
	return r.ID
}

// get fetches a path as a user ("" for anonymous) without following
// redirects.
func (h *harness) get(t testing.TB, token, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: token})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	return resp, buf.String()
}

func storeQuery(limit int) store.EventQuery { return store.EventQuery{Limit: limit} }

func withUser(ctx context.Context, name string) context.Context {
	return auth.WithUser(ctx, auth.User{Name: name})
}

func storeQueryName(name string) store.EventQuery { return store.EventQuery{Names: []string{name}} }

// reportDownload renders one format of a report as the API would.
func reportDownload(w io.Writer, r *report.Report, rt *v1.GlobalReportType, format string) (string, string, error) {
	return report.Download(w, r, &rt.Spec, []string{format})
}
