package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/auth"
	"github.com/evident-dev/evident/internal/ingest"
	"github.com/evident-dev/evident/internal/registry"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/server"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

// realLog holds 234 events recorded on a real API server on 2026-11-23.
const realLog = "../../testdata/real-apiserver/audit.log"

// now is the test servers' clock.
var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func day(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }

// testReports are the reports every test server holds: name, start, end.
var testReports = []struct {
	name       string
	start, end time.Time
}{
	{"weekly-full-inventory", day(16), day(23)},
	{"weekly-full-inventory", day(23), day(24)},
	{"daily-production-inventory", day(23), day(24)},
	{"dev-inventory", day(22), day(23)},
	{"dev-inventory", day(23), day(24)},
	{"fragile-report", day(24), day(25)},
}

// reportID is the id of one of testReports.
func reportID(name, typ string, start, end time.Time) string {
	return report.ReportID(name, typ, start, end)
}

// Ids of some of the test reports.
var (
	idWeekly1  = reportID("weekly-full-inventory", "inventory", day(16), day(23))
	idWeekly2  = reportID("weekly-full-inventory", "inventory", day(23), day(24))
	idDaily    = reportID("daily-production-inventory", "inventory", day(23), day(24))
	idDev1     = reportID("dev-inventory", "dev-inventory", day(22), day(23))
	idDev2     = reportID("dev-inventory", "dev-inventory", day(23), day(24))
	idFragile  = reportID("fragile-report", "fragile", day(24), day(25))
	allReports = []string{idWeekly1, idWeekly2, idDaily, idDev1, idDev2, idFragile}
)

// syncBuffer is a log destination safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEnv is a server over a real SQLite store holding the real log and
// generated reports, with the token file and RBAC from testdata.
type testEnv struct {
	dir     string // the store's data directory
	handler http.Handler
	st      *sqlite.Store
	reg     *registry.Registry
	srv     *httptest.Server
	logs    *syncBuffer
	metrics *prometheus.Registry
}

// templateDir is a data directory holding the real log, the test
// resources and the generated reports, built once by TestMain; every test
// server works on a copy.
var templateDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "evident-server-test-")
	if err != nil {
		panic(err)
	}
	templateDir = filepath.Join(dir, "data")
	code := func() int {
		if err := buildTemplate(templateDir); err != nil {
			fmt.Fprintln(os.Stderr, "build test data:", err)
			return 1
		}
		return m.Run()
	}()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildTemplate fills a data directory with the real log, the resources of
// testdata/resources.yaml and the reports of testReports.
func buildTemplate(dir string) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: dir, NoSync: true})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := ingest.ImportFile(ctx, st, realLog, ingest.ImportOptions{}); err != nil {
		return err
	}
	reg := newRegistry(st)
	if err := reg.InstallDefaults(ctx); err != nil {
		return err
	}
	if err := applyFile(ctx, reg, "testdata/resources.yaml"); err != nil {
		return err
	}
	if err := generateReports(ctx, st, reg); err != nil {
		return err
	}
	return st.Close()
}

func newRegistry(st *sqlite.Store) *registry.Registry {
	return registry.New(st, registry.Options{Defaults: report.DefaultTypes(), Render: report.Validate,
		Now: func() time.Time { return now }})
}

// newTestEnv starts a server on a copy of the template data directory.
func newTestEnv(t *testing.T, mods ...func(*server.Options)) *testEnv {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(dir, os.DirFS(templateDir)); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), sqlite.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := newRegistry(st)
	tokens, err := auth.LoadTokenFile("testdata/tokens.csv")
	if err != nil {
		t.Fatal(err)
	}
	rbac, err := auth.LoadRBAC("testdata/rbac-seed.yaml", "testdata/rbac-evident.yaml")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	hook := ingest.NewWebhook(st, ingest.WebhookOptions{Authenticate: server.WebhookAuthenticate})
	t.Cleanup(hook.Close)
	metrics := prometheus.NewRegistry()
	opts := server.Options{
		Store: st, Registry: reg, Webhook: hook, WebhookClusters: []string{"default", "staging"},
		Authn: tokens, Authz: rbac, Metrics: metrics,
		Version: server.Version{Version: "v1.2.3", BuildDate: "2026-11-20", GitTagRef: "refs/tags/v1.2.3", GitCommit: "abc123"},
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     func() time.Time { return now },
	}
	for _, m := range mods {
		m(&opts)
	}
	s, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &testEnv{dir: dir, handler: s, st: st, reg: reg, srv: srv, logs: logs, metrics: metrics}
}

func applyFile(ctx context.Context, reg *registry.Registry, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	objs, err := v1.Load(path, data, report.Validate)
	if err != nil {
		return err
	}
	sort.SliceStable(objs, func(i, j int) bool {
		return registry.KindOf(objs[i]) == v1.KindGlobalReportType && registry.KindOf(objs[j]) != v1.KindGlobalReportType
	})
	for _, o := range objs {
		if _, err := reg.Apply(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// generateReports runs the report engine for testReports, each generated
// an hour after its end.
func generateReports(ctx context.Context, st *sqlite.Store, reg *registry.Registry) error {
	for _, tr := range testReports {
		rep, err := reg.GetReport(ctx, tr.name)
		if err != nil {
			return err
		}
		gen := tr.end.Add(time.Hour)
		eng := report.NewEngine(st, report.EngineOptions{Cluster: "default", Now: func() time.Time { return gen }})
		runner := &report.Runner{Engine: eng, Types: reg, Reports: st}
		if _, err := runner.Generate(ctx, rep, tr.start, tr.end); err != nil {
			return fmt.Errorf("generate %s: %w", tr.name, err)
		}
	}
	return nil
}

// response is an answer read whole.
type response struct {
	*http.Response
	body []byte
}

// request sends a request with a bearer token ("" for none).
func (e *testEnv) request(t *testing.T, method, token, path string, body io.Reader, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp, b}
}

func (e *testEnv) get(t *testing.T, token, path string) response {
	t.Helper()
	return e.request(t, http.MethodGet, token, path, nil)
}

// want fails unless the answer has the status.
func (r response) want(t *testing.T, code int) response {
	t.Helper()
	if r.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d; body: %s", r.Request.Method, r.Request.URL.RequestURI(), r.StatusCode, code, r.body)
	}
	return r
}

// errorAnswer checks that an answer is a JSON error with the status and
// returns its message.
func (r response) errorAnswer(t *testing.T, code int) string {
	t.Helper()
	r.want(t, code)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error content type %q", ct)
	}
	var eb struct {
		Error string `json:"error"`
		Code  int    `json:"code"`
	}
	if err := json.Unmarshal(r.body, &eb); err != nil || eb.Code != code || eb.Error == "" {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if !bytes.HasSuffix(r.body, []byte("\n")) {
		t.Errorf("error body does not end with a newline")
	}
	return eb.Error
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", strings.TrimSpace(string(r.body)), err)
	}
	return v
}

// failingAuth is an authenticator and authorizer whose backend is down.
type failingAuth struct{}

func (failingAuth) AuthenticateToken(context.Context, string) (auth.User, bool, error) {
	return auth.User{}, false, io.ErrUnexpectedEOF
}

func (failingAuth) Authorize(context.Context, auth.Attributes) (auth.Decision, error) {
	return auth.Decision{}, io.ErrUnexpectedEOF
}

func metaTime(t time.Time) metav1.Time { return metav1.NewTime(t) }

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
