package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"
)

const realLog = "../../testdata/real-apiserver/audit.log"

// run executes the command line with the given data directory.
func run(t *testing.T, data string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runIn(t, data, "", args...)
}

func runIn(t *testing.T, data, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	all := append([]string{"--data", data}, args...)
	code := Execute(context.Background(), all, IO{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// imported returns a data directory holding the real API-server log.
func imported(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	if code, out, errs := run(t, data, "ingest", realLog); code != 0 || !strings.Contains(out, "stored 234") {
		t.Fatalf("ingest: %d %s %s", code, out, errs)
	}
	return data
}

func TestTimelineExportsAreAuditV1(t *testing.T) {
	data := imported(t)
	code, out, errs := run(t, data, "timeline", "--all", "--limit", "100", "-o", "json")
	if code != 0 {
		t.Fatalf("%d %s", code, errs)
	}
	var list auditv1.EventList
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		t.Fatalf("json export is not an audit.k8s.io/v1 EventList: %v", err)
	}
	if list.Kind != "EventList" || list.APIVersion != "audit.k8s.io/v1" || len(list.Items) != 234 {
		t.Fatalf("list: %s %s %d items", list.Kind, list.APIVersion, len(list.Items))
	}
	for i, ev := range list.Items {
		if ev.AuditID == "" || ev.Kind != "Event" || ev.APIVersion != "audit.k8s.io/v1" {
			t.Fatalf("item %d: %+v", i, ev.TypeMeta)
		}
		if i > 0 && ev.RequestReceivedTimestamp.After(list.Items[i-1].RequestReceivedTimestamp.Time) {
			t.Fatalf("item %d is newer than the one before", i)
		}
	}
	code, out, _ = run(t, data, "timeline", "--resource", "networkpolicies", "--verb", "patch", "--limit", "3", "-o", "yaml")
	var ylist auditv1.EventList
	if err := yaml.UnmarshalStrict([]byte(out), &ylist); err != nil || code != 0 {
		t.Fatalf("yaml export: %v", err)
	}
	if len(ylist.Items) != 3 || ylist.Continue == "" || ylist.Items[0].Verb != "patch" || ylist.Items[0].ObjectRef.Resource != "networkpolicies" {
		t.Errorf("filtered yaml page: %d items, continue %q", len(ylist.Items), ylist.Continue)
	}
	// The next page continues where the cursor says.
	_, out2, _ := run(t, data, "timeline", "--resource", "networkpolicies", "--verb", "patch", "--limit", "3", "--after", ylist.Continue, "-o", "yaml")
	var next auditv1.EventList
	if err := yaml.Unmarshal([]byte(out2), &next); err != nil || len(next.Items) == 0 || next.Items[0].AuditID == ylist.Items[2].AuditID {
		t.Errorf("second page: %v %d", err, len(next.Items))
	}
}

func TestJSONLinesExportReimports(t *testing.T) {
	data := imported(t)
	_, out, _ := run(t, data, "timeline", "--all", "-o", "jsonl")
	other := filepath.Join(t.TempDir(), "other")
	code, sum, errs := runIn(t, other, out, "ingest", "--cluster", "default", "-")
	if code != 0 || !strings.Contains(sum, "stored 234") {
		t.Fatalf("reimport: %d %s %s", code, sum, errs)
	}
	// Importing the original log into the same store now stores nothing.
	if _, sum, _ := run(t, other, "ingest", realLog); !strings.Contains(sum, "stored 0, duplicates 234") {
		t.Errorf("log after export: %s", sum)
	}
}

func TestTimelineTableAndFilters(t *testing.T) {
	data := imported(t)
	code, out, errs := run(t, data, "timeline", "--code", "403", "--all")
	if code != 0 {
		t.Fatal(errs)
	}
	if n := strings.Count(out, " 403 "); n != 4 {
		t.Errorf("403 rows: %d\n%s", n, out)
	}
	_, out, _ = run(t, data, "timeline", "-q", `responseStatus.code IN {"40?"} AND verb = create`, "--all", "-o", "csv")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "time,cluster,user,verb") {
		t.Errorf("csv:\n%s", out)
	}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"timeline", "--since", "3x"}, 2, `--since: duration "3x"`},
		{[]string{"timeline", "-q", "verb = bogus"}, 2, "column 8"},
		{[]string{"timeline", "--from", "2026-11-23", "--to", "2026-11-22"}, 2, "is not before"},
		{[]string{"timeline", "--code", "42"}, 2, "--code 42"},
		{[]string{"timeline", "-o", "xml"}, 2, `-o "xml"`},
		{[]string{"changelog", "configmaps", "x"}, 2, "not a tracked kind"},
		{[]string{"changelog", "pods", "dev/nope"}, 1, "no recorded versions"},
		{[]string{"state"}, 2, "--at is required"},
		{[]string{"state", "--at", "yesterday"}, 2, "--at: time"},
		{[]string{"nope"}, 2, "unknown command"},
		{[]string{"timeline", "--since", "300000d"}, 2, "at most 106751d"},
		{[]string{"demo", "--days", "0"}, 2, "--days 0: want 1 to 3660"},
		{[]string{"demo", "--days", "100000"}, 2, "--days 100000: want 1 to 3660"},
	}
	for _, tt := range tests {
		code, _, errs := run(t, data, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.msg) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, errs, tt.code, tt.msg)
		}
	}
	if code, _, errs := run(t, filepath.Join(t.TempDir(), "none"), "timeline"); code != 1 || !strings.Contains(errs, "evident ingest") {
		t.Errorf("no data: %d %s", code, errs)
	}
}

func TestChangelogShowsEachVersionAndDiff(t *testing.T) {
	data := imported(t)
	code, out, errs := run(t, data, "changelog", "networkpolicies", "dev/allow-frontend")
	if code != 0 {
		t.Fatal(errs)
	}
	for _, want := range []string{
		"networkpolicies.networking.k8s.io dev/allow-frontend: 7 versions",
		"admin  create 201",
		"+     - port: 443",
		"+   egress:",
		"+     owner: netops",
		"deleted (delete)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("changelog lacks %q:\n%s", want, out)
		}
	}
	for _, noise := range []string{"managedFields", "resourceVersion:", "uid:", "creationTimestamp"} {
		if strings.Contains(out, noise) {
			t.Errorf("changelog shows %s", noise)
		}
	}
	_, out, _ = run(t, data, "changelog", "networkpolicies", "allow-frontend", "-n", "dev", "-o", "json")
	var log []struct {
		Verb   string
		Diff   []struct{ Op, Text string }
		Object map[string]any
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || len(log) != 7 || log[1].Object == nil || len(log[1].Diff) == 0 {
		t.Fatalf("json changelog: %v %d", err, len(log))
	}
}

func TestStateAt(t *testing.T) {
	data := imported(t)
	// Between the creation of dev/allow-frontend and its deletion.
	code, out, errs := run(t, data, "state", "--at", "2026-11-23T04:10:00Z", "--resource", "networkpolicies.networking.k8s.io")
	if code != 0 || !strings.Contains(out, "allow-frontend") {
		t.Fatalf("%d %s %s", code, out, errs)
	}
	_, out, _ = run(t, data, "state", "--at", "2026-11-23T04:10:00Z", "-n", "dev", "-o", "yaml")
	var list struct {
		Kind  string
		Items []map[string]any
	}
	if err := yaml.Unmarshal([]byte(out), &list); err != nil || list.Kind != "List" || len(list.Items) == 0 {
		t.Fatalf("yaml state: %v %+v", err, list.Kind)
	}
	for _, it := range list.Items {
		md, _ := it["metadata"].(map[string]any)
		if md["namespace"] != "dev" {
			t.Errorf("object outside dev: %v", md)
		}
	}
	_, out, _ = run(t, data, "state", "--at", "2026-11-23T04:00:00Z")
	if strings.Contains(out, "allow-frontend") {
		t.Error("an object shows before it was created")
	}
}

func TestAuditPolicy(t *testing.T) {
	code, out, _ := run(t, t.TempDir(), "audit-policy")
	var p auditv1.Policy
	if err := yaml.UnmarshalStrict([]byte(out), &p); err != nil || code != 0 {
		t.Fatalf("policy: %v", err)
	}
	if len(p.OmitStages) != 1 || p.OmitStages[0] != auditv1.StageRequestReceived || p.Rules[0].Level != auditv1.LevelRequestResponse {
		t.Errorf("policy: %+v", p)
	}
	var groups []string
	for _, g := range p.Rules[0].Resources {
		groups = append(groups, g.Group+":"+strings.Join(g.Resources, ","))
	}
	got := strings.Join(groups, " ")
	for _, want := range []string{":pods,pods/status,namespaces,serviceaccounts,endpoints", "networking.k8s.io:networkpolicies",
		"projectcalico.org:networkpolicies,globalnetworkpolicies", "crd.projectcalico.org:"} {
		if !strings.Contains(got, want) {
			t.Errorf("policy resources lack %q: %s", want, got)
		}
	}
	for platform, want := range map[string]string{"kubeadm": "--audit-policy-file=", "kops": "auditPolicyFile:", "eks": "clusterLogging"} {
		if _, out, _ := run(t, t.TempDir(), "audit-policy", "--platform", platform); !strings.Contains(out, want) {
			t.Errorf("%s instructions lack %q", platform, want)
		}
	}
}

func TestIngestReportsRejectsAndStatusShowsThem(t *testing.T) {
	raw, err := os.ReadFile(realLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	bad := lines[0] + "{broken}\n" + lines[1] + `{"auditID":"x","stage":"Done","requestReceivedTimestamp":"2026-01-01T00:00:00Z"}` + "\n" + lines[2]
	path := filepath.Join(t.TempDir(), "bad.log")
	os.WriteFile(path, []byte(bad), 0o600)
	data := filepath.Join(t.TempDir(), "data")
	code, out, errs := run(t, data, "ingest", "--cluster", "prod", path)
	if code != 0 || !strings.Contains(out, "stored 3") || !strings.Contains(errs, "bad.log:2: invalid JSON") ||
		!strings.Contains(errs, `bad.log:4: event x has unknown stage "Done"`) || !strings.Contains(errs, "bad-value 1, malformed 1") {
		t.Fatalf("%d\n%s\n%s", code, out, errs)
	}
	_, out, _ = run(t, data, "status")
	if !strings.Contains(out, "Events:     3") || !strings.Contains(out, "malformed:1") || !strings.Contains(out, "bad.log:2") {
		t.Errorf("status:\n%s", out)
	}
	_, out, _ = run(t, data, "status", "-o", "json")
	var st statusDoc
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Rejected != 2 || st.Events != 3 {
		t.Errorf("status json: %v %+v", err, st)
	}
}

func TestTimeFlagsRelative(t *testing.T) {
	f := timelineFlags{since: "1h", limit: 10}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	q, err := f.eventQuery(now)
	if err != nil || !q.From.Equal(now.Add(-time.Hour)) {
		t.Errorf("since: %v %v", q.From, err)
	}
	f = timelineFlags{since: "1h", from: "now", limit: 10}
	if _, err := f.eventQuery(now); err == nil {
		t.Error("--since with --from accepted")
	}
}

func TestDevQueryBench(t *testing.T) {
	data := imported(t)
	prof := filepath.Join(t.TempDir(), "changelog.prof")
	code, out, errs := run(t, data, "dev", "query-bench", "--n", "20", "--cpuprofile", prof)
	if code != 0 {
		t.Fatalf("query-bench: %d %s", code, errs)
	}
	for _, want := range []string{"timeline page (100 rows, 20 queries over 234 events)", "changelog of networkpolicies.networking.k8s.io dev/allow-frontend (7 versions", "CPU profile of 50 more changelogs written to"} {
		if !strings.Contains(out, want) {
			t.Errorf("query-bench output lacks %q:\n%s", want, out)
		}
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("profile: %v", err)
	}
	if code, _, errs := run(t, t.TempDir(), "dev", "query-bench"); code == 0 || !strings.Contains(errs, "empty") {
		t.Errorf("query-bench on an empty store: %d %s", code, errs)
	}
}
