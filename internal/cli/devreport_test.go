package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

// benchArgs are the flags of a small report benchmark.
func benchArgs(days string, extra ...string) []string {
	return append([]string{"dev", "report-bench", "--scale", "small", "--history-days", days, "--window-events", "800",
		"--history-events-per-day", "1200", "--runs", "1"}, extra...)
}

var resultLine = regexp.MustCompile(`(?m)^result history_days=(\d+) events=(\d+) versions=(\d+) store_bytes=\d+ median_s=[0-9.]+$`)

// A store with history gives the same report as one without: the history
// only adds what the report must look past.
func TestReportBenchHistoryKeepsTheReport(t *testing.T) {
	dir := t.TempDir()
	outs := map[string]string{}
	for _, days := range []string{"1", "3"} {
		data := filepath.Join(dir, days)
		code, out, errs := run(t, data, benchArgs(days)...)
		if code != 0 {
			t.Fatalf("report-bench --history-days %s: exit %d\n%s\n%s", days, code, out, errs)
		}
		if !strings.Contains(errs, "building the store") || !strings.Contains(errs, "window: 800 events") {
			t.Errorf("--history-days %s: no build progress:\n%s", days, errs)
		}
		if days == "3" && !strings.Contains(errs, "history: 2 days from 2026-05-30") {
			t.Errorf("no history progress:\n%s", errs)
		}
		for _, want := range []string{"run 1: ", "median ", "peak RSS ", "endpoints, ", "replayed "} {
			if !strings.Contains(out, want) {
				t.Errorf("--history-days %s: output lacks %q:\n%s", days, want, out)
			}
		}
		outs[days] = out
	}
	r1, r3 := resultLine.FindStringSubmatch(outs["1"]), resultLine.FindStringSubmatch(outs["3"])
	if r1 == nil || r3 == nil {
		t.Fatalf("no result lines:\n%s\n%s", outs["1"], outs["3"])
	}
	if e1, e3 := atoi(t, r1[2]), atoi(t, r3[2]); e1 != 800 || e3 < 800+2000 {
		t.Errorf("events in the stores: 1 day %d, 3 days %d", e1, e3)
	}
	replayed := regexp.MustCompile(`(?m)^report \S+: .*$`)
	if a, b := replayed.FindString(outs["1"]), replayed.FindString(outs["3"]); a == "" || a != b {
		t.Errorf("the report's size or replayed versions differ:\n%s\n%s", a, b)
	}
	d1, d3 := storedReport(t, filepath.Join(dir, "1")), storedReport(t, filepath.Join(dir, "3"))
	if len(d1.Endpoints) == 0 {
		t.Fatal("the report has no endpoints")
	}
	if diff := cmp.Diff(d1, d3); diff != "" {
		t.Errorf("the report over the store with history differs (-1 day +3 days):\n%s", diff)
	}

	// A second run reuses the store and profiles one more run when asked;
	// other flags on it are refused.
	prof := filepath.Join(dir, "report.prof")
	code, out, errs := run(t, filepath.Join(dir, "3"), benchArgs("3", "--runs", "2", "--cpuprofile", prof)...)
	if code != 0 || !strings.Contains(errs, "using the store") || strings.Contains(errs, "building") || !strings.Contains(out, "run 2: ") ||
		!strings.Contains(out, "CPU profile of one more run written to") {
		t.Errorf("rerun: exit %d\n%s\n%s", code, out, errs)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("profile: %v", err)
	}
	if code, _, errs := run(t, filepath.Join(dir, "3"), benchArgs("2")...); code != 1 || !strings.Contains(errs, "built with other flags") {
		t.Errorf("other flags: exit %d, %s", code, errs)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// storedReport reads the benchmark's generated report back.
func storedReport(t *testing.T, data string) report.ReportData {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Options{Dir: data, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	last, ok, err := st.LastReport(t.Context(), benchReport)
	if err != nil || !ok {
		t.Fatalf("%s: no stored report: %v", data, err)
	}
	rec, err := st.GetReport(t.Context(), last.ID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.FromRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	return r.ReportData
}

func TestReportBenchRefusesOtherData(t *testing.T) {
	data := imported(t)
	code, _, errs := run(t, data, benchArgs("1")...)
	if code != 1 || !strings.Contains(errs, "not a report benchmark store") {
		t.Errorf("exit %d: %s", code, errs)
	}
	for _, args := range [][]string{
		benchArgs("0"),
		benchArgs("1", "--scale", "huge"),
		benchArgs("1", "--runs", "0"),
	} {
		if code, _, errs := run(t, t.TempDir(), args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
		}
	}
}

// The history is audit.k8s.io/v1 events in time order, in which every pod
// created is deleted before the history ends.
func TestHistoryEvents(t *testing.T) {
	o := reportBenchOptions{scale: "small", seed: 3, windowEvents: 10}
	gen, err := windowGenerator(o)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := gen.Baseline(benchStart)
	if err != nil {
		t.Fatal(err)
	}
	baselines, err := parseBenchBaselines(lists)
	if err != nil {
		t.Fatal(err)
	}
	from := benchStart.Add(-24 * time.Hour)
	hist, err := newHistoryGen(baselines, from, benchStart, 1500, 3)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := hist.write(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if n < 1300 || n > 1500 {
		t.Errorf("%d events, want about 1500", n)
	}
	alive := map[string]bool{}
	counts := map[string]int{}
	var prev time.Time
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	for i := 1; sc.Scan(); i++ {
		var ev auditv1.Event
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("line %d: %v\n%s", i, err, sc.Bytes())
		}
		at := ev.RequestReceivedTimestamp.Time
		if at.Before(prev) || at.Before(from) || !ev.StageTimestamp.Time.Before(benchStart) {
			t.Fatalf("line %d: received %v after %v, outside [%v, %v)", i, at, prev, from, benchStart)
		}
		prev = at
		ref := ev.ObjectRef
		counts[ev.Verb+" "+ref.Resource+"/"+ref.Subresource]++
		if ref.Resource != "pods" {
			continue
		}
		var obj struct {
			Metadata struct{ Name, Namespace, UID string }
		}
		if err := json.Unmarshal(ev.ResponseObject.Raw, &obj); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		key := obj.Metadata.Namespace + "/" + obj.Metadata.Name
		switch {
		case ev.Verb == "create" && ref.Subresource == "":
			alive[key] = true
		case ev.Verb == "delete" && strings.Contains(string(ev.RequestObject.Raw), `"gracePeriodSeconds":0`):
			delete(alive, key)
		}
	}
	if len(alive) != 0 {
		t.Errorf("%d pods outlive the history", len(alive))
	}
	pods := counts["create pods/"]
	for _, k := range []string{"create pods/binding", "patch pods/status"} {
		if counts[k] < pods {
			t.Errorf("%d %s for %d pods", counts[k], k, pods)
		}
	}
	patches := counts["patch namespaces/"] + counts["patch networkpolicies/"] + counts["patch globalnetworkpolicies/"]
	if pods < 150 || patches < 50 {
		t.Errorf("event mix: %v", counts)
	}
}
