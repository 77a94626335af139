package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

const realLog = "../../testdata/real-apiserver/audit.log"
const realBodies = "../../testdata/real-apiserver/webhook-bodies.json"

func openStore(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), sqlite.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// stored lists every stored event as "auditID stage cluster" plus its body.
func stored(t *testing.T, s store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	q := store.EventQuery{Limit: 500, WithBody: true}
	for {
		page, err := s.Events(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			k := e.AuditID + " " + e.Stage + " " + e.Cluster
			if _, dup := out[k]; dup {
				t.Fatalf("event %s stored twice", k)
			}
			out[k] = string(e.Body)
		}
		if page.Next == "" {
			return out
		}
		q.After = page.Next
	}
}

func TestImportRealLogResumesAndDeduplicates(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx := t.Context()
	sum, err := ImportFile(ctx, s, realLog, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 234 || sum.Stored != 234 || sum.Rejected != 0 || sum.Versions == 0 {
		t.Fatalf("first import: %+v", sum)
	}
	resumed := -1
	sum, err = ImportFile(ctx, s, realLog, ImportOptions{Resumed: func(l int) { resumed = l }})
	if err != nil || sum.Read != 0 || resumed != 234 {
		t.Fatalf("second import: %+v resumed=%d err=%v", sum, resumed, err)
	}
	sum, err = ImportFile(ctx, s, realLog, ImportOptions{FromStart: true})
	if err != nil || sum.Stored != 0 || sum.Duplicates != 234 || sum.Versions != 0 {
		t.Fatalf("import from start: %+v %v", sum, err)
	}
	if n := len(stored(t, s)); n != 234 {
		t.Errorf("%d events stored", n)
	}
}

func TestImportKeepsGoodLinesAndCountsBadOnes(t *testing.T) {
	raw, err := os.ReadFile(realLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	var buf bytes.Buffer
	for i, l := range lines[:10] {
		buf.WriteString(l)
		switch i {
		case 2:
			buf.WriteString("{not json}\n")
		case 4:
			buf.WriteString(l[:len(l)/2] + "\n") // truncated
		case 6:
			buf.WriteString(`{"auditID":"x","stage":"ResponseComplete","requestReceivedTimestamp":"2026-01-01T00:00:00Z","verb":42}` + "\n")
		case 7:
			buf.WriteString(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"big","stage":"ResponseComplete","requestReceivedTimestamp":"2026-01-01T00:00:00Z","x":"` +
				strings.Repeat("z", 70000) + "\"}\n")
		}
	}
	path := filepath.Join(t.TempDir(), "mixed.log")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, t.TempDir())
	sum, err := ImportFile(t.Context(), s, path, ImportOptions{Options: Options{MaxEventSize: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[audit.ErrorReason]int64{audit.ReasonMalformed: 1, audit.ReasonTruncated: 1, audit.ReasonWrongType: 1, audit.ReasonOversized: 1}
	if diff := cmp.Diff(want, sum.ByReason); diff != "" || sum.Stored != 10 {
		t.Errorf("summary %+v; reasons (-want +got):\n%s", sum, diff)
	}
	var locs []string
	for _, r := range sum.Rejects {
		locs = append(locs, r.Location)
	}
	if diff := cmp.Diff([]string{"mixed.log:4", "mixed.log:7", "mixed.log:10", "mixed.log:12"}, locs); diff != "" {
		t.Errorf("reject locations (-want +got):\n%s", diff)
	}
	st, err := s.Stats(t.Context())
	if err != nil || st.RejectTotal != 4 {
		t.Errorf("stored rejections: %d %v", st.RejectTotal, err)
	}
}

func TestImportReaderGzipAndDocuments(t *testing.T) {
	s := openStore(t, t.TempDir())
	f, err := os.Open(realBodies)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, err := ImportReader(t.Context(), s, f, "stdin", Options{Cluster: "prod"})
	if err != nil || sum.Stored != 234 {
		t.Fatalf("%+v %v", sum, err)
	}
	for k := range stored(t, s) {
		if !strings.HasSuffix(k, " prod") {
			t.Fatalf("event %s not stamped with the cluster", k)
		}
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFollowSurvivesRotationAndRestart(t *testing.T) {
	raw, err := os.ReadFile(realLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(raw), "\n")+"\n", "\n")
	lines = lines[:len(lines)-1]
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	appendLines := func(ls []string) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if _, err := f.WriteString(l); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
	}
	s := openStore(t, t.TempDir())
	count := func() int { return len(stored(t, s)) }
	start := func() (stop func()) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			done <- Follow(ctx, s, path, FollowOptions{Options: Options{FlushEvery: 20 * time.Millisecond}, Poll: 10 * time.Millisecond})
		}()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("follow: %v", err)
			}
		}
	}

	appendLines(lines[:50])
	stop := start()
	eventually(t, "first 50 events", func() bool { return count() == 50 })
	// A half-written line is not read until it is complete.
	appendLines([]string{lines[50][:100]})
	appendLines([]string{lines[50][100:]})
	eventually(t, "the completed line", func() bool { return count() == 51 })
	// Rotation: the API server renames the file and starts a new one.
	appendLines(lines[51:80])
	if err := os.Rename(path, filepath.Join(dir, "audit-2026-11-23T04-10-00.000.log")); err != nil {
		t.Fatal(err)
	}
	appendLines(lines[80:120])
	eventually(t, "events after rotation", func() bool { return count() == 120 })
	stop()

	// Down while the file rotates twice more: the restart reads the rest of
	// the checkpointed file's backup, every newer backup, then the live file.
	appendLines(lines[120:150])
	os.Rename(path, filepath.Join(dir, "audit-2026-11-23T04-11-00.000.log"))
	appendLines(lines[150:180])
	os.Rename(path, filepath.Join(dir, "audit-2026-11-23T04-12-00.000.log"))
	appendLines(lines[180:200])
	stop = start()
	eventually(t, "catch-up after restart", func() bool { return count() == 200 })
	appendLines(lines[200:])
	eventually(t, "all events", func() bool { return count() == 234 })
	stop()

	// Restart once more with nothing new: nothing is stored twice.
	stop = start()
	time.Sleep(50 * time.Millisecond)
	stop()
	got := stored(t, s)
	if len(got) != 234 {
		t.Errorf("%d events after restarts, want 234", len(got))
	}
}

func TestManyBatchesKeepOrderAndCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gen.log")
	writeGenerated(t, path, 12000)
	s := openStore(t, t.TempDir())
	var progress []int64
	sum, err := ImportFile(t.Context(), s, path, ImportOptions{Options: Options{BatchEvents: 1000,
		Progress: func(p Progress) { progress = append(progress, p.Read) }}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Stored != 12000 || len(progress) < 8 || !sort.SliceIsSorted(progress, func(i, j int) bool { return progress[i] < progress[j] }) {
		t.Errorf("summary %+v, progress %v", sum, progress)
	}
}

// writeGenerated writes n small, distinct audit events as JSON lines.
func writeGenerated(t testing.TB, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		ts := base.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)
		fmt.Fprintf(f, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"gen-%08d","stage":"ResponseComplete",`+
			`"requestURI":"/api/v1/namespaces/ns%d/pods","verb":"create","user":{"username":"user%d"},"objectRef":{"resource":"pods","namespace":"ns%d","name":"p%d","apiVersion":"v1"},`+
			`"responseStatus":{"code":201},"responseObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p%d","namespace":"ns%d","uid":"u%d","resourceVersion":"%d"}},`+
			`"requestReceivedTimestamp":%q,"stageTimestamp":%q}`+"\n", i, i%7, i%5, i%7, i, i, i%7, i, i+1, ts, ts)
	}
}
