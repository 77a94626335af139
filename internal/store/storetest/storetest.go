// Package storetest is the conformance suite every store backend passes.
//
// A backend's test calls [Run] with a function that opens a fresh, empty
// store; each sub-test gets its own.
package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
)

// Opener opens an empty store for one test. The suite closes it.
type Opener func(t *testing.T) store.Store

// Run runs the conformance suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"AppendAndDeduplicate", testAppendDedup},
		{"Checkpoint", testCheckpoint},
		{"TimelineOrderAndPaging", testTimelinePaging},
		{"TimelineFilters", testTimelineFilters},
		{"TimelineQueryConditions", testTimelineConds},
		{"EventByID", testEventByID},
		{"VersionsInOrderAndLate", testVersions},
		{"FailedWritesMakeNoVersion", testFailedWrites},
		{"NamespaceDeletionCascades", testNamespaceCascade},
		{"LateEventInDeletedNamespace", testLateCascade},
		{"StateAtAndChanges", testStateAndChanges},
		{"Rejections", testRejections},
		{"Retention", testRetention},
		{"Baselines", testBaselines},
		{"Resources", testResources},
		{"Reports", testReports},
		{"EventCounts", testEventCounts},
		{"RealAPIServerLog", testRealLog},
	}
	t.Run("OrderIndependence", func(t *testing.T) {
		testOrderIndependence(t, func() store.Store { return open(t) })
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// E describes a test event.
type E struct {
	ID       string
	Stage    string // default ResponseComplete
	At       time.Duration
	Verb     string
	User     string
	Group    string
	Resource string
	Sub      string
	NS, Name string
	Code     int
	RV       string
	UID      string
	Level    string
	SourceIP string
	Cluster  string
	Object   string // responseObject JSON; default: an object of the right kind for 2xx
}

// kindName is the object kind of a resource in tests.
func kindName(group, resource string) string {
	if k, ok := audit.LookupKind(group, resource); ok {
		return k.Name
	}
	return "ConfigMap"
}

// Event builds and decodes an audit event.
func Event(t testing.TB, e E) audit.Event {
	t.Helper()
	if e.Stage == "" {
		e.Stage = audit.StageResponseComplete
	}
	if e.Verb == "" {
		e.Verb = "create"
	}
	if e.User == "" {
		e.User = "alice"
	}
	if e.Resource == "" {
		e.Resource = "pods"
	}
	if e.Code == 0 {
		e.Code = 200
	}
	if e.Level == "" {
		e.Level = "RequestResponse"
	}
	if e.SourceIP == "" {
		e.SourceIP = "10.1.2.3"
	}
	if e.UID == "" {
		e.UID = "uid-" + e.Name
	}
	ts := t0.Add(e.At)
	var ref strings.Builder
	fmt.Fprintf(&ref, `{"resource":%q`, e.Resource)
	if e.NS != "" {
		fmt.Fprintf(&ref, `,"namespace":%q`, e.NS)
	}
	fmt.Fprintf(&ref, `,"name":%q`, e.Name)
	if e.Group != "" {
		fmt.Fprintf(&ref, `,"apiGroup":%q`, e.Group)
	}
	if e.Sub != "" {
		fmt.Fprintf(&ref, `,"subresource":%q`, e.Sub)
	}
	ref.WriteString(`,"apiVersion":"v1"}`)
	obj := e.Object
	if obj == "" {
		if e.Code >= 200 && e.Code < 300 {
			obj = fmt.Sprintf(`{"kind":%q,"apiVersion":"v1","metadata":{"name":%q,"namespace":%q,"uid":%q,"resourceVersion":%q,"labels":{"app":"web"}},"spec":{"n":%q}}`,
				kindName(e.Group, e.Resource), e.Name, e.NS, e.UID, e.RV, e.ID)
		} else {
			obj = fmt.Sprintf(`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","details":{"name":%q},"code":%d}`, e.Name, e.Code)
		}
	}
	body := fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":%q,"auditID":%q,"stage":%q,"requestURI":"/x","verb":%q,`+
		`"user":{"username":%q,"groups":["system:authenticated","team-%s"]},"sourceIPs":[%q],"userAgent":"kubectl","objectRef":%s,`+
		`"responseStatus":{"metadata":{},"code":%d},"responseObject":%s,"requestReceivedTimestamp":%q,"stageTimestamp":%q}`,
		e.Level, e.ID, e.Stage, e.Verb, e.User, e.User, e.SourceIP, ref.String(), e.Code, obj,
		ts.Format(time.RFC3339Nano), ts.Add(5*time.Millisecond).Format(time.RFC3339Nano))
	ev, err := audit.Decode([]byte(body), "")
	if err != nil {
		t.Fatalf("test event %s: %v", e.ID, err)
	}
	ev.Cluster = e.Cluster
	if ev.Cluster == "" {
		ev.Cluster = "default"
	}
	return ev
}

func appendEvents(t *testing.T, s store.Store, es ...E) store.AppendResult {
	t.Helper()
	b := &store.Batch{Source: "test"}
	for _, e := range es {
		b.Events = append(b.Events, Event(t, e))
	}
	res, err := s.Append(t.Context(), b)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return res
}

// all reads the whole timeline for a query, following cursors.
func all(t *testing.T, s store.Store, q store.EventQuery) []store.StoredEvent {
	t.Helper()
	var out []store.StoredEvent
	for range 10000 {
		page, err := s.Events(t.Context(), q)
		if err != nil {
			t.Fatalf("events: %v", err)
		}
		out = append(out, page.Events...)
		if page.Next == "" {
			return out
		}
		q.After = page.Next
	}
	t.Fatal("pagination does not end")
	return nil
}

func ids(evs []store.StoredEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.AuditID)
	}
	return out
}

func testAppendDedup(t *testing.T, s store.Store) {
	es := []E{{ID: "a", Name: "p1", NS: "ns"}, {ID: "b", Name: "p2", NS: "ns", At: time.Second}, {ID: "a", Stage: audit.StageResponseStarted, Name: "p1", NS: "ns"}}
	res := appendEvents(t, s, es...)
	if res.Stored != 3 || res.Duplicates != 0 {
		t.Errorf("first append: %+v", res)
	}
	res = appendEvents(t, s, append(es, E{ID: "c", Name: "p3", NS: "ns"}, E{ID: "c", Name: "p3", NS: "ns"})...)
	if res.Stored != 1 || res.Duplicates != 4 {
		t.Errorf("second append: %+v, want 1 stored, 4 duplicates", res)
	}
	// The same auditID and stage from another cluster is a different event.
	res = appendEvents(t, s, E{ID: "a", Name: "p1", NS: "ns", Cluster: "other"})
	if res.Stored != 1 {
		t.Errorf("other cluster: %+v", res)
	}
	if got := len(all(t, s, store.EventQuery{})); got != 5 {
		t.Errorf("stored %d events, want 5", got)
	}
}

func testCheckpoint(t *testing.T, s store.Store) {
	ctx := t.Context()
	if cp, err := s.Checkpoint(ctx, "file:a"); err != nil || cp != nil {
		t.Fatalf("empty checkpoint = %q, %v", cp, err)
	}
	for _, cp := range []string{"one", "two"} {
		if _, err := s.Append(ctx, &store.Batch{Source: "file:a", Events: []audit.Event{Event(t, E{ID: cp, Name: cp})}, Checkpoint: []byte(cp)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Append(ctx, &store.Batch{Source: "file:a"}); err != nil { // nil checkpoint keeps the old one
		t.Fatal(err)
	}
	if cp, err := s.Checkpoint(ctx, "file:a"); err != nil || string(cp) != "two" {
		t.Errorf("checkpoint = %q, %v", cp, err)
	}
	if cp, _ := s.Checkpoint(ctx, "file:b"); cp != nil {
		t.Errorf("other source has checkpoint %q", cp)
	}
}

func testTimelinePaging(t *testing.T, s store.Store) {
	var es []E
	var want []string
	for i := range 250 {
		// Several events share a timestamp; two months are covered.
		id := fmt.Sprintf("e%03d", i)
		es = append(es, E{ID: id, Name: "p", NS: "ns", At: time.Duration(i/3) * 12 * time.Hour})
		want = append(want, id)
	}
	appendEvents(t, s, es...)
	slices.Reverse(want)
	for _, limit := range []int{1, 7, 100, 1000} {
		got := all(t, s, store.EventQuery{Limit: limit})
		if diff := cmp.Diff(want, ids(got)); diff != "" {
			t.Fatalf("limit %d: order (-want +got):\n%s", limit, diff)
		}
	}
	if _, err := s.Events(t.Context(), store.EventQuery{After: "garbage"}); err == nil {
		t.Error("bad cursor accepted")
	}
}

func testTimelineFilters(t *testing.T, s store.Store) {
	appendEvents(t, s,
		E{ID: "1", Verb: "create", User: "alice", Resource: "pods", NS: "a", Name: "x", Code: 201},
		E{ID: "2", Verb: "patch", User: "bob", Group: "networking.k8s.io", Resource: "networkpolicies", NS: "a", Name: "np", At: time.Minute},
		E{ID: "3", Verb: "delete", User: "bob", Resource: "pods", NS: "b", Name: "x", Code: 403, At: 2 * time.Minute},
		E{ID: "4", Verb: "patch", User: "carol", Resource: "pods", Sub: "status", NS: "b", Name: "y", At: 3 * time.Minute},
	)
	tests := []struct {
		name string
		q    store.EventQuery
		want []string
	}{
		{"all", store.EventQuery{}, []string{"4", "3", "2", "1"}},
		{"verb", store.EventQuery{Verbs: []string{"patch"}}, []string{"4", "2"}},
		{"verbs", store.EventQuery{Verbs: []string{"create", "delete"}}, []string{"3", "1"}},
		{"user", store.EventQuery{Users: []string{"bob"}}, []string{"3", "2"}},
		{"resource", store.EventQuery{Resources: []string{"pods"}}, []string{"4", "3", "1"}},
		{"subresource", store.EventQuery{Resources: []string{"pods/status"}}, []string{"4"}},
		{"group", store.EventQuery{APIGroups: []string{"networking.k8s.io"}}, []string{"2"}},
		{"namespace", store.EventQuery{Namespaces: []string{"b"}}, []string{"4", "3"}},
		{"name", store.EventQuery{Names: []string{"x"}}, []string{"3", "1"}},
		{"code", store.EventQuery{Codes: []int{403}}, []string{"3"}},
		{"from-to", store.EventQuery{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, []string{"3", "2"}},
		{"unknown value", store.EventQuery{Users: []string{"nobody"}}, nil},
		{"combined", store.EventQuery{Verbs: []string{"patch"}, Namespaces: []string{"a"}}, []string{"2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ids(all(t, s, tt.q))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func testEventByID(t *testing.T, s store.Store) {
	ev := Event(t, E{ID: "one", Name: "p", NS: "n"})
	if _, err := s.Append(t.Context(), &store.Batch{Source: "test", Events: []audit.Event{ev}}); err != nil {
		t.Fatal(err)
	}
	page, err := s.Events(t.Context(), store.EventQuery{WithBody: true})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("events: %v %v", page, err)
	}
	got, err := s.Event(t.Context(), page.Events[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Body) != string(ev.Body) || string(page.Events[0].Body) != string(ev.Body) {
		t.Errorf("body changed:\n got %s\nwant %s", got.Body, ev.Body)
	}
	if got.Source != "test" || got.Cluster != "default" || got.Name != "p" || got.Stage != ev.Stage || !got.Time.Equal(ev.Time) || !got.StageTime.Equal(ev.StageTime) {
		t.Errorf("envelope: %+v", got)
	}
	if _, err := s.Event(t.Context(), "nope"); err == nil {
		t.Error("bad id found")
	}
}
