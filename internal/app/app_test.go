package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/schedule"
)

// t0 is when the tests' fake clock starts: minutes before the real
// API server's events (2026-11-23T04:09–04:10Z).
var t0 = time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)

const tokens = `tok-admin,admin,1,"system:masters"
tok-paul,paul,2
tok-candice,candice,3
tok-david,david,4
`

// testLogger logs to the test's output when it runs with -v.
func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// harness is a running `evident serve` with a fake clock.
type harness struct {
	t      *testing.T
	dir    string
	clock  *schedule.FakeClock
	url    string
	cancel context.CancelFunc
	done   chan error
}

func writeConfig(t *testing.T, dir string) string {
	t.Helper()
	rbac, err := os.ReadFile("../auth/testdata/rbac-seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"tokens.csv": tokens, "rbac.yaml": string(rbac)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := `listen: 127.0.0.1:0
store: {path: ./data}
sources:
- webhook: {}
auth:
  tokensFile: tokens.csv
  rbacFiles: [rbac.yaml]
reports: {maxJobRetries: 2}
`
	path := filepath.Join(dir, "evident.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// start runs the server until stop.
func start(t *testing.T, dir string, clock *schedule.FakeClock) *harness {
	t.Helper()
	cfg, err := LoadConfig(filepath.Join(dir, "evident.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, clock: clock, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	ready := make(chan string, 1)
	go func() {
		h.done <- Serve(ctx, Options{Config: cfg, Clock: clock, Ready: func(addr string) { ready <- addr },
			PollInterval: time.Minute, Logger: testLogger(t)})
	}()
	select {
	case addr := <-ready:
		h.url = "http://" + addr
	case err := <-h.done:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return h
}

func (h *harness) stop() {
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("serve returned %v", err)
	}
}

func (h *harness) do(method, path, token string, body []byte) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (h *harness) report(name string) *v1.GlobalReport {
	h.t.Helper()
	code, body := h.do("GET", "/api/v1/globalreports/"+name, "tok-admin", nil)
	if code != 200 {
		h.t.Fatalf("get %s: %d %s", name, code, body)
	}
	var r v1.GlobalReport
	if err := json.Unmarshal(body, &r); err != nil {
		h.t.Fatal(err)
	}
	return &r
}

// advance moves the fake clock in one-minute steps and, at each, waits
// for the scheduler to go quiet (no active jobs left running).
func (h *harness) advance(d time.Duration, names ...string) {
	h.t.Helper()
	end := h.clock.Now().Add(d)
	for h.clock.Now().Before(end) {
		h.clock.Advance(time.Minute)
		h.settle(names...)
	}
}

// settle waits until no named report has an active job or one that is
// due. Jobs that wait for the clock (a retry's backoff, the scheduler's
// next poll) are let through by nudging the fake clock forward a minute
// whenever the reports' status has not changed for a moment.
func (h *harness) settle(names ...string) {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last, since := "", time.Now()
	for {
		busy := false
		var state strings.Builder
		for _, n := range names {
			r := h.report(n)
			next, ok := schedule.NextRun(r, h.clock.Now(), schedule.Options{})
			busy = busy || len(r.Status.ActiveReportJobs) > 0 || ok && !next.After(h.clock.Now())
			raw, _ := json.Marshal(r.Status)
			state.Write(raw)
		}
		if !busy {
			return
		}
		if state.String() != last {
			last, since = state.String(), time.Now()
		} else if time.Since(since) > 200*time.Millisecond {
			h.clock.Advance(time.Minute)
			since = time.Now()
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("scheduler did not settle at %v", h.clock.Now())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ends lists the interval ends of a report's stored reports.
func (h *harness) ends(name string) []string {
	h.t.Helper()
	code, body := h.do("GET", "/api/v1/reports?reportName="+name+"&maxItems=all&sortBy=endTime/ascending", "tok-admin", nil)
	if code != 200 {
		h.t.Fatalf("list: %d %s", code, body)
	}
	var list struct {
		Reports []struct {
			EndTime        time.Time
			GenerationTime time.Time
		}
	}
	json.Unmarshal(body, &list)
	var out []string
	for _, r := range list.Reports {
		out = append(out, r.EndTime.UTC().Format("02T15:04"))
	}
	return out
}

func (h *harness) postWebhookBodies() {
	h.t.Helper()
	raw, err := os.ReadFile("../../testdata/real-apiserver/webhook-bodies.json")
	if err != nil {
		h.t.Fatal(err)
	}
	var bodies []json.RawMessage
	json.Unmarshal(raw, &bodies)
	for i, b := range bodies {
		if code, msg := h.do("POST", "/ingest/v1/audit", "tok-admin", b); code != 200 {
			h.t.Fatalf("webhook body %d: %d %s", i, code, msg)
		}
	}
}

func (h *harness) apply(token, plural, name, manifest string) int {
	h.t.Helper()
	code, body := h.do("PUT", "/api/v1/"+plural+"/"+name, token, []byte(manifest))
	if code >= 300 && code != 403 {
		h.t.Fatalf("apply %s: %d %s", name, code, body)
	}
	return code
}

const hourly = `apiVersion: projectcalico.org/v3
kind: GlobalReport
metadata: {name: hourly-accounts-networkaccess}
spec:
  reportType: network-access
  endpoints:
    namespaces:
      names: ["payable", "collections", "payroll"]
  schedule: 0 * * * *
`

const daily = `apiVersion: projectcalico.org/v3
kind: GlobalReport
metadata: {name: daily-production-inventory}
spec:
  reportType: inventory
  endpoints:
    selector: deployment == 'production'
  schedule: 0 0 * * *
`

func TestServeSchedulesReportsAndEnforcesRBAC(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir)
	clock := schedule.NewFakeClock(t0)
	h := start(t, dir, clock)
	h.postWebhookBodies()

	// paul manages report configuration; candice and david may not.
	if code := h.apply("tok-candice", "globalreports", "hourly-accounts-networkaccess", hourly); code != 403 {
		t.Errorf("candice applied a GlobalReport: %d", code)
	}
	h.apply("tok-paul", "globalreports", "hourly-accounts-networkaccess", hourly)
	h.apply("tok-paul", "globalreports", "daily-production-inventory", daily)
	// A report whose type goes missing fails, is retried, and is recorded.
	h.apply("tok-admin", "globalreporttypes", "fragile", `{"apiVersion":"evident.dev/v1","kind":"GlobalReportType","metadata":{"name":"fragile"},
		"spec":{"uiSummaryTemplate":{"name":"s","template":"{}"},"includeEndpointData":true}}`)
	h.apply("tok-admin", "globalreports", "fragile", `{"apiVersion":"evident.dev/v1","kind":"GlobalReport","metadata":{"name":"fragile"},
		"spec":{"reportType":"fragile","schedule":"0 * * * *"}}`)
	if code, body := h.do("DELETE", "/api/v1/globalreporttypes/fragile", "tok-admin", nil); code != 200 {
		t.Fatalf("delete type: %d %s", code, body)
	}
	names := []string{"hourly-accounts-networkaccess", "daily-production-inventory", "fragile"}

	// 04:00 → 07:40: hourly intervals 04:00–05:00 (creation to the first
	// tick), 05:00–06:00, 06:00–07:00; each runs 30 minutes after its end.
	h.advance(3*time.Hour+40*time.Minute, names...)
	if got, want := h.ends("hourly-accounts-networkaccess"), []string{"23T05:00", "23T06:00", "23T07:00"}; !slices.Equal(got, want) {
		t.Errorf("hourly reports end at %v, want %v", got, want)
	}
	st := h.report("hourly-accounts-networkaccess").Status
	if st.LastScheduledReportJob == nil || !st.LastScheduledReportJob.End.Time.Equal(t0.Add(3*time.Hour)) ||
		len(st.LastSuccessfulReportJobs) != 2 || !st.LastSuccessfulReportJobs[1].End.Time.Equal(t0.Add(3*time.Hour)) ||
		len(st.ActiveReportJobs) != 0 || len(st.LastFailedReportJobs) != 0 {
		t.Errorf("hourly status: %+v", st)
	}
	if !strings.HasPrefix(st.LastSuccessfulReportJobs[0].Job.Name, "evident-report.hourly-accounts-networkaccess-") {
		t.Errorf("job name %q", st.LastSuccessfulReportJobs[0].Job.Name)
	}
	// The fragile report's jobs failed after their retries (2 here, at 1m
	// and 2m) and only the last 3 failures are kept.
	fst := h.report("fragile").Status
	if len(fst.LastFailedReportJobs) != 3 || len(fst.LastSuccessfulReportJobs) != 0 || fst.LastFailedReportJobs[2].JobCompletionTime == nil {
		t.Errorf("fragile status: %+v", fst)
	}
	if len(h.ends("fragile")) != 0 {
		t.Error("a failed job stored a report")
	}

	// Suspend the daily report over its first tick; resuming catches up.
	suspended := strings.Replace(daily, "schedule:", "suspend: true\n  schedule:", 1)
	h.apply("tok-paul", "globalreports", "daily-production-inventory", suspended)
	clock.Set(time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC))
	h.settle(names...)
	if got := h.ends("daily-production-inventory"); len(got) != 0 {
		t.Errorf("suspended report ran: %v", got)
	}
	h.apply("tok-paul", "globalreports", "daily-production-inventory", daily)
	h.advance(5*time.Minute, names...)
	if got := h.ends("daily-production-inventory"); !slices.Equal(got, []string{"24T00:00"}) {
		t.Errorf("after resuming: %v", got)
	}
	// The hourly report caught up every hour up to 01:00 (02:00's job waits
	// for its 30-minute delay).
	if got := h.ends("hourly-accounts-networkaccess"); len(got) != 21 || got[20] != "24T01:00" {
		t.Errorf("hourly after the jump: %d reports, last %v", len(got), got[len(got)-1])
	}

	checkReportRBAC(t, h)
	h.stop()
}

// checkReportRBAC checks what the seed's three users may see and do with
// reports (spec §7.5).
func checkReportRBAC(t *testing.T, h *harness) {
	// dev-inventory, with a report type of its own name, as the seed's RBAC
	// example assumes.
	_, body := h.do("GET", "/api/v1/globalreporttypes/inventory", "tok-admin", nil)
	var rt v1.GlobalReportType
	if err := json.Unmarshal(body, &rt); err != nil {
		t.Fatal(err)
	}
	dev := &v1.GlobalReportType{TypeMeta: rt.TypeMeta, Spec: rt.Spec}
	dev.Name = "dev-inventory"
	raw, _ := json.Marshal(dev)
	h.apply("tok-admin", "globalreporttypes", "dev-inventory", string(raw))
	h.apply("tok-paul", "globalreports", "dev-inventory", `{"apiVersion":"projectcalico.org/v3","kind":"GlobalReport",
		"metadata":{"name":"dev-inventory"},"spec":{"reportType":"dev-inventory","endpoints":{"namespaces":{"names":["dev"]}},"schedule":"0 0 * * *"}}`)
	h.clock.Set(time.Date(2026, 11, 25, 0, 45, 0, 0, time.UTC))
	h.settle("hourly-accounts-networkaccess", "daily-production-inventory", "fragile", "dev-inventory")
	if got := h.ends("dev-inventory"); !slices.Equal(got, []string{"25T00:00"}) {
		t.Fatalf("dev-inventory reports: %v", got)
	}

	type listing struct {
		Reports []struct {
			ID, Name, Type  string
			DownloadURL     string `json:"downloadUrl"`
			DownloadFormats []struct{ Name string }
			UISummary       json.RawMessage
		}
		Count int
	}
	list := func(token string) (int, listing) {
		code, body := h.do("GET", "/compliance/reports?maxItems=all", token, nil)
		var l listing
		json.Unmarshal(body, &l)
		return code, l
	}
	_, all := list("tok-admin")
	var devID, otherID string
	for _, r := range all.Reports {
		if r.Name == "dev-inventory" {
			devID = r.ID
		} else if otherID == "" {
			otherID = r.ID
		}
	}
	if devID == "" || otherID == "" || all.Count != len(all.Reports) {
		t.Fatalf("admin listing: %d reports", all.Count)
	}
	// paul lists every report, without download links.
	code, l := list("tok-paul")
	if code != 200 || l.Count != all.Count || l.Reports[0].DownloadURL != "" || l.Reports[0].DownloadFormats != nil {
		t.Errorf("paul: %d, %d reports, url %q", code, l.Count, l.Reports[0].DownloadURL)
	}
	if code, _ := h.do("GET", "/compliance/reports/"+devID+"/download?format=summary.csv", "tok-paul", nil); code != 401 {
		t.Errorf("paul downloaded: %d", code)
	}
	// candice lists and downloads every report.
	code, l = list("tok-candice")
	if code != 200 || l.Count != all.Count || !strings.HasPrefix(l.Reports[0].DownloadURL, "/compliance/reports/") || len(l.Reports[0].DownloadFormats) == 0 {
		t.Errorf("candice: %d, %d reports", code, l.Count)
	}
	req, _ := http.NewRequest("GET", h.url+"/compliance/reports/"+otherID+"/download?format=summary.csv", nil)
	req.Header.Set("Authorization", "Bearer tok-candice")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cd := resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 || !strings.Contains(cd, "-summary.csv") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("candice's download: %d %q", resp.StatusCode, cd)
	}
	// david lists and downloads only dev-inventory.
	code, l = list("tok-david")
	if code != 200 || l.Count != 1 || l.Reports[0].Name != "dev-inventory" || l.Reports[0].DownloadURL == "" {
		t.Errorf("david: %d %+v", code, l)
	}
	code, body = h.do("GET", "/compliance/reports/"+devID+"/download?format=summary.csv&format=endpoints.csv", "tok-david", nil)
	if code != 200 || !bytes.HasPrefix(body, []byte("PK")) {
		t.Errorf("david's zip: %d", code)
	}
	if code, body := h.do("GET", "/compliance/reports/"+otherID+"/download?format=summary.csv", "tok-david", nil); code != 401 || bytes.Contains(body, []byte(otherID)) {
		t.Errorf("david downloaded another report: %d %s", code, body)
	}
	// Nobody but the admin reads the audit trail.
	for _, tok := range []string{"tok-paul", "tok-candice", "tok-david"} {
		if code, _ := h.do("GET", "/api/v1/audit/events", tok, nil); code != 403 {
			t.Errorf("%s read the timeline: %d", tok, code)
		}
	}
	if code, body := h.do("GET", "/api/v1/audit/events?limit=1000", "tok-admin", nil); code != 200 || bytes.Count(body, []byte(`"auditID"`)) != 234 {
		t.Errorf("admin timeline: %d", code)
	}
}

// generated maps each stored report of a GlobalReport to its generation
// time, by interval end.
func (h *harness) generated(name string) map[string]time.Time {
	h.t.Helper()
	_, body := h.do("GET", "/api/v1/reports?reportName="+name+"&maxItems=all", "tok-admin", nil)
	var list struct {
		Reports []struct {
			ID             string
			EndTime        time.Time
			GenerationTime time.Time
		}
	}
	if err := json.Unmarshal(body, &list); err != nil {
		h.t.Fatal(err)
	}
	out := map[string]time.Time{}
	for _, r := range list.Reports {
		k := r.EndTime.UTC().Format("02T15:04")
		if _, dup := out[k]; dup {
			h.t.Fatalf("two reports for the interval ending %s", k)
		}
		out[k] = r.GenerationTime
	}
	return out
}

// TestRestartLosesAndRepeatsNothing stops the server in the middle of a
// schedule (a job possibly running) and starts it again later: every
// interval is produced exactly once, and those finished before the stop
// are not produced again.
func TestRestartLosesAndRepeatsNothing(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir)
	clock := schedule.NewFakeClock(t0)
	h := start(t, dir, clock)
	h.postWebhookBodies()
	h.apply("tok-paul", "globalreports", "hourly-accounts-networkaccess", hourly)
	name := "hourly-accounts-networkaccess"
	h.advance(3*time.Hour+40*time.Minute, name)
	before := h.generated(name)
	if len(before) != 3 {
		t.Fatalf("before the stop: %v", before)
	}
	// The 07:00–08:00 job becomes due at 08:30; stop right after it may
	// have started.
	clock.Set(t0.Add(4*time.Hour + 31*time.Minute))
	h.stop()

	// Down for two hours; then up again.
	clock.Set(t0.Add(6*time.Hour + 35*time.Minute))
	h = start(t, dir, clock)
	h.settle(name)
	after := h.generated(name)
	var ends []string
	for k := range after {
		ends = append(ends, k)
	}
	slices.Sort(ends)
	if want := []string{"23T05:00", "23T06:00", "23T07:00", "23T08:00", "23T09:00", "23T10:00"}; !slices.Equal(ends, want) {
		t.Errorf("intervals after the restart: %v, want %v", ends, want)
	}
	for k, gen := range before {
		if !after[k].Equal(gen) {
			t.Errorf("interval ending %s was produced again (%v, then %v)", k, gen, after[k])
		}
	}
	st := h.report(name).Status
	if st.LastScheduledReportJob == nil || !st.LastScheduledReportJob.End.Time.Equal(t0.Add(6*time.Hour)) || len(st.ActiveReportJobs) != 0 {
		t.Errorf("status after the restart: %+v", st)
	}
	h.stop()
}
