package storetest

import (
	"encoding/json"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/query"
	"github.com/evident-dev/evident/internal/store"
)

var podKind = audit.Kind{Resource: "pods", Name: "Pod"}
var nsKind = audit.Kind{Resource: "namespaces", Name: "Namespace"}

// history summarises an object's versions as "verb@offset" strings.
func history(t *testing.T, s store.Store, kind audit.Kind, ns, name string) []string {
	t.Helper()
	vs, err := s.History(t.Context(), store.ObjectKey{Cluster: "default", Kind: kind, Namespace: ns, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		s := v.Verb + "@" + v.Time.Sub(t0).Round(time.Second).String()
		if v.Cascade {
			s += "(cascade)"
		}
		if !v.Deleted && v.Object == nil {
			t.Errorf("version %s of %s has no object", s, name)
		}
		out = append(out, s)
	}
	return out
}

func testVersions(t *testing.T, s store.Store) {
	appendEvents(t, s,
		E{ID: "c", Verb: "create", NS: "n", Name: "p", RV: "1"},
		E{ID: "u2", Verb: "patch", NS: "n", Name: "p", RV: "5", At: 20 * time.Second},
	)
	// A late event slots in between, in another batch.
	appendEvents(t, s, E{ID: "u1", Verb: "update", NS: "n", Name: "p", RV: "3", At: 10 * time.Second})
	appendEvents(t, s, E{ID: "d", Verb: "delete", NS: "n", Name: "p", At: 30 * time.Second})
	want := []string{"create@0s", "update@10s", "patch@20s", "delete@30s"}
	if diff := cmp.Diff(want, history(t, s, podKind, "n", "p")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	vs, _ := s.History(t.Context(), store.ObjectKey{Cluster: "default", Kind: podKind, Namespace: "n", Name: "p"})
	if len(vs) == 4 && (vs[1].ResourceVersion != "3" || vs[1].User != "alice" || vs[1].AuditID != "u1" || !strings.Contains(string(vs[1].Object), `"n":"u1"`)) {
		t.Errorf("version fields: %+v", vs[1])
	}
	// State between versions follows the chain.
	for _, c := range []struct {
		at   time.Duration
		want string
	}{{5 * time.Second, "c"}, {15 * time.Second, "u1"}, {25 * time.Second, "u2"}, {35 * time.Second, ""}} {
		got := ""
		for v, err := range s.StateAt(t.Context(), t0.Add(c.at), store.VersionQuery{WithObject: true}) {
			if err != nil {
				t.Fatal(err)
			}
			got += v.AuditID
		}
		if got != c.want {
			t.Errorf("state at %v = %q, want %q", c.at, got, c.want)
		}
	}
	for i, v := range vs {
		if v.First != (i == 0) {
			t.Errorf("version %d First = %v", i, v.First)
		}
	}
	// An object first seen through a patch, whose creation arrives later.
	appendEvents(t, s, E{ID: "q2", Verb: "patch", NS: "n", Name: "q", At: 20 * time.Second})
	qv, _ := s.History(t.Context(), store.ObjectKey{Cluster: "default", Kind: podKind, Namespace: "n", Name: "q"})
	if len(qv) != 1 || !qv[0].First {
		t.Errorf("first seen through a patch: %+v", qv)
	}
	appendEvents(t, s, E{ID: "q1", Verb: "create", NS: "n", Name: "q", At: 10 * time.Second})
	qv, _ = s.History(t.Context(), store.ObjectKey{Cluster: "default", Kind: podKind, Namespace: "n", Name: "q"})
	if len(qv) != 2 || !qv[0].First || qv[1].First || qv[0].Verb != "create" {
		t.Errorf("after the late create: %+v", qv)
	}
	// Re-appending adds no versions.
	if res := appendEvents(t, s, E{ID: "u1", Verb: "update", NS: "n", Name: "p", RV: "3", At: 10 * time.Second}); res.Versions != 0 {
		t.Errorf("duplicate made %d versions", res.Versions)
	}
}

func testFailedWrites(t *testing.T, s store.Store) {
	res := appendEvents(t, s,
		E{ID: "ok", Verb: "create", NS: "n", Name: "p"},
		E{ID: "denied", Verb: "delete", NS: "n", Name: "p", Code: 403, At: time.Second},
		E{ID: "conflict", Verb: "create", NS: "n", Name: "p", Code: 409, At: 2 * time.Second},
		E{ID: "untracked", Verb: "create", Resource: "configmaps", NS: "n", Name: "c", At: 3 * time.Second},
		E{ID: "started", Verb: "patch", Stage: audit.StageResponseStarted, NS: "n", Name: "p", At: 4 * time.Second},
	)
	if res.Stored != 5 || res.Versions != 1 {
		t.Errorf("append: %+v, want 5 stored and 1 version", res)
	}
	if diff := cmp.Diff([]string{"create@0s"}, history(t, s, podKind, "n", "p")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if got := ids(all(t, s, store.EventQuery{Codes: []int{403, 409}})); len(got) != 2 {
		t.Errorf("denied events in timeline: %v", got)
	}
}

func testNamespaceCascade(t *testing.T, s store.Store) {
	appendEvents(t, s,
		E{ID: "ns", Verb: "create", Resource: "namespaces", Name: "team"},
		E{ID: "p1", Verb: "create", NS: "team", Name: "a", At: time.Second},
		E{ID: "p2", Verb: "create", NS: "team", Name: "b", At: time.Second},
		E{ID: "p2d", Verb: "delete", NS: "team", Name: "b", At: 2 * time.Second},
		E{ID: "np", Verb: "create", Group: "networking.k8s.io", Resource: "networkpolicies", NS: "team", Name: "deny", At: 3 * time.Second},
		E{ID: "other", Verb: "create", NS: "other", Name: "a", At: 3 * time.Second},
		E{ID: "nsd", Verb: "delete", Resource: "namespaces", Name: "team", At: 10 * time.Second},
		// Recreated afterwards: a new life for the same name.
		E{ID: "p1again", Verb: "create", NS: "team", Name: "a", At: 20 * time.Second},
	)
	if diff := cmp.Diff([]string{"create@1s", "delete@10s(cascade)", "create@20s"}, history(t, s, podKind, "team", "a")); diff != "" {
		t.Errorf("pod a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"create@1s", "delete@2s"}, history(t, s, podKind, "team", "b")); diff != "" {
		t.Errorf("pod b (-want +got):\n%s", diff)
	}
	np := audit.Kind{Group: "networking.k8s.io", Resource: "networkpolicies", Name: "NetworkPolicy"}
	if diff := cmp.Diff([]string{"create@3s", "delete@10s(cascade)"}, history(t, s, np, "team", "deny")); diff != "" {
		t.Errorf("policy (-want +got):\n%s", diff)
	}
	alive := stateNames(t, s, t0.Add(15*time.Second))
	if diff := cmp.Diff([]string{"pods/other/a"}, alive); diff != "" {
		t.Errorf("alive after deletion (-want +got):\n%s", diff)
	}
}

func stateNames(t *testing.T, s store.Store, at time.Time) []string {
	var out []string
	for v, err := range s.StateAt(t.Context(), at, store.VersionQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v.Kind.Resource+"/"+v.Namespace+"/"+v.Name)
	}
	sort.Strings(out)
	return out
}

func testLateCascade(t *testing.T, s store.Store) {
	appendEvents(t, s,
		E{ID: "ns", Verb: "create", Resource: "namespaces", Name: "team"},
		E{ID: "nsd", Verb: "delete", Resource: "namespaces", Name: "team", At: 10 * time.Second},
	)
	// The pod's creation arrives after the namespace's deletion was stored.
	appendEvents(t, s, E{ID: "late", Verb: "create", NS: "team", Name: "a", At: 5 * time.Second})
	if diff := cmp.Diff([]string{"create@5s", "delete@10s(cascade)"}, history(t, s, podKind, "team", "a")); diff != "" {
		t.Errorf("late pod (-want +got):\n%s", diff)
	}
}

func testStateAndChanges(t *testing.T, s store.Store) {
	appendEvents(t, s,
		E{ID: "a1", Verb: "create", NS: "n", Name: "a"},
		E{ID: "b1", Verb: "create", NS: "n", Name: "b", At: time.Second},
		E{ID: "ns", Verb: "create", Resource: "namespaces", Name: "n", At: time.Second},
		E{ID: "a2", Verb: "patch", NS: "n", Name: "a", At: 10 * time.Second},
		E{ID: "b2", Verb: "delete", NS: "n", Name: "b", At: 20 * time.Second},
	)
	var got []string
	for v, err := range s.Changes(t.Context(), t0.Add(2*time.Second), t0.Add(21*time.Second), store.VersionQuery{WithObject: true}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v.AuditID)
	}
	if diff := cmp.Diff([]string{"a2", "b2"}, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	var kinds []string
	for v, err := range s.StateAt(t.Context(), t0.Add(15*time.Second), store.VersionQuery{Kinds: []audit.Kind{nsKind}, WithObject: true}) {
		if err != nil {
			t.Fatal(err)
		}
		var obj struct{ Kind string }
		if err := json.Unmarshal(v.Object, &obj); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, obj.Kind+":"+v.Name)
	}
	if diff := cmp.Diff([]string{"Namespace:n"}, kinds); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
}

func testRejections(t *testing.T, s store.Store) {
	b := &store.Batch{Source: "file:x", Events: []audit.Event{Event(t, E{ID: "1", Name: "a"})}, Rejects: []store.Rejection{
		{Location: "x:2", Reason: audit.ReasonMalformed, Message: "invalid JSON"},
		{Location: "x:3", Reason: audit.ReasonMalformed, Message: "invalid JSON"},
		{Location: "x:9", Reason: audit.ReasonOversized, Message: "too big"},
	}}
	if _, err := s.Append(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.RejectTotal != 3 || st.Events != 1 || len(st.Sources) != 1 {
		t.Fatalf("stats: %+v", st)
	}
	src := st.Sources[0]
	want := map[audit.ErrorReason]int64{audit.ReasonMalformed: 2, audit.ReasonOversized: 1}
	if diff := cmp.Diff(want, src.Rejected); diff != "" || src.Events != 1 || len(src.RecentErrors) != 3 || src.RecentErrors[0].Location != "x:9" {
		t.Errorf("source stats %+v, rejected diff %s", src, diff)
	}
}

func testRetention(t *testing.T, s store.Store) {
	appendEvents(t, s,
		E{ID: "old", Verb: "create", NS: "n", Name: "keep", At: -40 * 24 * time.Hour},
		E{ID: "gone", Verb: "create", NS: "n", Name: "gone", At: -40 * 24 * time.Hour},
		E{ID: "goned", Verb: "delete", NS: "n", Name: "gone", At: -39 * 24 * time.Hour},
		E{ID: "new", Verb: "create", NS: "n", Name: "fresh"},
	)
	dropped, err := s.DropBefore(t.Context(), t0.Add(-5*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 1 {
		t.Fatalf("dropped %v, want one partition", dropped)
	}
	if got := ids(all(t, s, store.EventQuery{})); !cmp.Equal(got, []string{"new"}) {
		t.Errorf("events after retention: %v", got)
	}
	// The object alive at the cutoff keeps its version and body.
	vs, err := s.History(t.Context(), store.ObjectKey{Cluster: "default", Kind: podKind, Namespace: "n", Name: "keep"})
	if err != nil || len(vs) != 1 || !strings.Contains(string(vs[0].Object), `"name":"keep"`) {
		t.Fatalf("kept object: %+v %v", vs, err)
	}
	if got := stateNames(t, s, t0.Add(time.Second)); !cmp.Equal(got, []string{"pods/n/fresh", "pods/n/keep"}) {
		t.Errorf("state after retention: %v", got)
	}
	if _, err := s.Event(t.Context(), vs[0].EventID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event of dropped partition: %v", err)
	}
}

func testTimelineConds(t *testing.T, s store.Store) {
	appendEvents(t, s,
		E{ID: "1", Verb: "create", User: "alice", NS: "a", Name: "x", Code: 201, Level: "Metadata", SourceIP: "10.0.0.7"},
		E{ID: "2", Verb: "patch", User: "system:serviceaccount:kube-system:rs", NS: "a", Name: "y", At: time.Minute},
		E{ID: "3", Verb: "delete", User: "bob", NS: "b", Name: "x", Code: 403, At: 2 * time.Minute, SourceIP: "192.168.1.1"},
	)
	tests := []struct {
		q    string
		want []string
	}{
		{`verb = create`, []string{"1"}},
		{`verb != create`, []string{"3", "2"}},
		{`user.username IN {"system:serviceaccount:*"}`, []string{"2"}},
		{`NOT user.username IN {"system:serviceaccount:*"} AND objectRef.namespace = a`, []string{"1"}},
		{`responseStatus.code >= 400`, []string{"3"}},
		{`level = Metadata`, []string{"1"}},
		{`sourceIPs = 192.168.0.0/16`, []string{"3"}},
		{`user.groups = team-bob OR name = y`, []string{"3", "2"}},
		{`requestReceivedTimestamp >= "2026-03-10T12:01:00Z"`, []string{"3", "2"}},
		{`objectRef.name = x AND verb IN {del*}`, []string{"3"}},
		{`verb = create OR level = Metadata AND verb = get`, []string{"1"}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			c, err := query.Parse(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ids(all(t, s, store.EventQuery{Cond: c, Limit: 1}))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// realLog is the real kube-apiserver output shared by the repository's tests.
const realLog = "../../../testdata/real-apiserver/audit.log"

func testRealLog(t *testing.T, s store.Store) {
	f, err := os.Open(realLog)
	if err != nil {
		t.Fatalf("real log: %v", err)
	}
	defer f.Close()
	r, err := audit.NewReader(f, audit.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := &store.Batch{Source: "file:audit.log"}
	for {
		l, err := r.Next()
		if err != nil {
			break
		}
		evs, rejects := audit.DecodeLine(l, "audit.log", 0)
		if len(rejects) > 0 {
			t.Fatal(rejects[0])
		}
		for i := range evs {
			evs[i].Cluster = "default"
		}
		b.Events = append(b.Events, evs...)
	}
	res, err := s.Append(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 234 {
		t.Errorf("stored %d of 234", res.Stored)
	}
	got := all(t, s, store.EventQuery{WithBody: true})
	byID := map[string]audit.Event{}
	for _, ev := range b.Events {
		byID[ev.AuditID+ev.Stage] = ev
	}
	for _, ev := range got {
		orig := byID[ev.AuditID+ev.Stage]
		if string(ev.Body) != string(orig.Body) {
			t.Fatalf("event %s body differs after storage", ev.AuditID)
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time.After(got[i-1].Time) {
			t.Fatalf("timeline not newest first at %d", i)
		}
	}
}

// testOrderIndependence checks that the versions recorded do not depend on
// the order events arrive in: each batch order gives the same histories.
func testOrderIndependence(t *testing.T, open func() store.Store) {
	es := []E{
		{ID: "ns", Verb: "create", Resource: "namespaces", Name: "team"},
		{ID: "a", Verb: "create", NS: "team", Name: "a", At: time.Second},
		{ID: "b", Verb: "create", NS: "team", Name: "b", At: time.Second},
		{ID: "a2", Verb: "patch", NS: "team", Name: "a", At: 2 * time.Second},
		{ID: "bd", Verb: "delete", NS: "team", Name: "b", At: 9 * time.Second},
		{ID: "nsd1", Verb: "delete", Resource: "namespaces", Name: "team", At: 10 * time.Second},
		{ID: "ad", Verb: "delete", NS: "team", Name: "a", At: 11 * time.Second},
		{ID: "nsd2", Verb: "delete", Resource: "namespaces", Name: "team", At: 12 * time.Second},
		{ID: "c", Verb: "create", NS: "team", Name: "c", At: 20 * time.Second},
	}
	summary := func(s store.Store) string {
		var out []string
		for _, n := range []string{"a", "b", "c"} {
			out = append(out, n+":"+strings.Join(history(t, s, podKind, "team", n), ","))
		}
		return strings.Join(out, " ")
	}
	ref := open()
	defer ref.Close()
	appendEvents(t, ref, es...)
	want := summary(ref)
	orders := [][]int{{8, 7, 6, 5, 4, 3, 2, 1, 0}, {5, 7, 0, 1, 2, 3, 4, 6, 8}, {0, 6, 1, 7, 2, 8, 3, 4, 5}}
	for _, order := range orders {
		s := open()
		for _, i := range order {
			appendEvents(t, s, es[i]) // one event per batch: each arrives late or early
		}
		if got := summary(s); got != want {
			t.Errorf("order %v:\n got %s\nwant %s", order, got, want)
		}
		s.Close()
	}
}

func testBaselines(t *testing.T, s store.Store) {
	bs, ok := s.(store.Baselines)
	if !ok {
		t.Skip("backend keeps no baselines")
	}
	appendEvents(t, s,
		E{ID: "a", Verb: "create", NS: "n", Name: "a", RV: "10"},
		E{ID: "b", Verb: "patch", NS: "n", Name: "b", RV: "11", At: 5 * time.Second},
	)
	obj := func(name, rv string) store.BaselineObject {
		return store.BaselineObject{Namespace: "n", Name: name, UID: "uid-" + name, ResourceVersion: rv,
			Object: []byte(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"` + name + `","namespace":"n","resourceVersion":"` + rv + `"}}`)}
	}
	base := &store.Baseline{Cluster: "default", Kind: podKind, Time: t0.Add(10 * time.Second), Source: "snapshot:pods.json",
		Objects: []store.BaselineObject{obj("a", "10"), obj("c", "12")}}
	res, err := bs.ImportBaseline(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	if res != (store.BaselineResult{Added: 1, Unchanged: 1, Ended: 1}) {
		t.Errorf("first import: %+v", res)
	}
	if got := stateNames(t, s, t0.Add(11*time.Second)); !cmp.Equal(got, []string{"pods/n/a", "pods/n/c"}) {
		t.Errorf("state after baseline: %v", got)
	}
	vs, err := s.History(t.Context(), store.ObjectKey{Cluster: "default", Kind: podKind, Namespace: "n", Name: "c"})
	if err != nil || len(vs) != 1 || !vs[0].Baseline || !vs[0].First || !strings.Contains(string(vs[0].Object), `"name":"c"`) {
		t.Errorf("baseline version: %+v %v", vs, err)
	}
	if res, err := bs.ImportBaseline(t.Context(), base); err != nil || res != (store.BaselineResult{Unchanged: 2}) {
		t.Errorf("re-import: %+v %v", res, err)
	}
	// A baseline from before auditing began gives the objects that predate it.
	early := &store.Baseline{Cluster: "default", Kind: podKind, Time: t0.Add(-time.Hour), Source: "snapshot:old.json",
		Objects: []store.BaselineObject{obj("d", "1")}}
	if _, err := bs.ImportBaseline(t.Context(), early); err != nil {
		t.Fatal(err)
	}
	if got := stateNames(t, s, t0.Add(time.Second)); !cmp.Equal(got, []string{"pods/n/a", "pods/n/d"}) {
		t.Errorf("state with the early baseline: %v", got)
	}
	infos, err := bs.ListBaselines(t.Context(), "default")
	if err != nil || len(infos) != 3 || infos[0].Source != "snapshot:old.json" || infos[1].Objects != 2 {
		t.Errorf("baselines: %+v %v", infos, err)
	}
}
