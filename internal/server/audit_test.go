package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"

	"github.com/evident-dev/evident/internal/server"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

const totalEvents = 234

func TestTimeline(t *testing.T) {
	e := newTestEnv(t)
	page := func(t *testing.T, query string) server.EventPage {
		t.Helper()
		return decode[server.EventPage](t, e.get(t, "token-alice", "/api/v1/audit/events?"+query).want(t, http.StatusOK))
	}

	t.Run("paging", func(t *testing.T) {
		seen := map[string]bool{}
		after, pages := "", 0
		for {
			p := page(t, "limit=100&after="+url.QueryEscape(after))
			pages++
			for i, it := range p.Items {
				if seen[it.ID] {
					t.Fatalf("event %s twice", it.ID)
				}
				seen[it.ID] = true
				if it.Event != nil {
					t.Fatalf("body without body=true")
				}
				if i > 0 && it.Time.After(p.Items[i-1].Time) {
					t.Fatalf("not newest first at %d", i)
				}
			}
			if p.Next == "" {
				break
			}
			after = p.Next
		}
		if len(seen) != totalEvents || pages != 3 {
			t.Errorf("%d events in %d pages", len(seen), pages)
		}
		if p := page(t, ""); len(p.Items) != 100 {
			t.Errorf("default page size %d", len(p.Items))
		}
	})

	t.Run("shape", func(t *testing.T) {
		p := page(t, "namespace=dev&name=allow-frontend&verb=create&body=true")
		if len(p.Items) != 1 || p.Next != "" {
			t.Fatalf("%d items, next %q", len(p.Items), p.Next)
		}
		it := p.Items[0]
		var ev auditv1.Event
		if err := json.Unmarshal(it.Event, &ev); err != nil {
			t.Fatal(err)
		}
		got := []any{it.Cluster, it.Source[:5], it.Stage, it.Verb, it.Resource, it.APIGroup, it.Namespace, it.Name, it.Code, it.AuditID}
		want := []any{"default", "file:", "ResponseComplete", "create", "networkpolicies", "networking.k8s.io", "dev",
			"allow-frontend", 201, string(ev.AuditID)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if !it.Time.Equal(ev.RequestReceivedTimestamp.Time) || !it.StageTime.Equal(ev.StageTimestamp.Time) {
			t.Errorf("times %v %v", it.Time, it.StageTime)
		}
		// The raw JSON has exactly the documented keys.
		var raw map[string]json.RawMessage
		r := e.get(t, "token-alice", "/api/v1/audit/events?limit=1")
		var pg struct{ Items []map[string]json.RawMessage }
		if err := json.Unmarshal(r.body, &pg); err != nil {
			t.Fatal(err)
		}
		raw = pg.Items[0]
		var keys []string
		for k := range raw {
			keys = append(keys, k)
		}
		for _, k := range []string{"id", "cluster", "source", "time", "stageTime", "auditID", "stage", "verb", "user",
			"resource", "subresource", "apiGroup", "namespace", "name", "code"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("key %s missing from %v", k, keys)
			}
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			check func(server.EventItem) bool
		}{
			{"verb=patch", func(it server.EventItem) bool { return it.Verb == "patch" }},
			{"verb=create,delete&resource=networkpolicies", func(it server.EventItem) bool {
				return (it.Verb == "create" || it.Verb == "delete") && it.Resource == "networkpolicies"
			}},
			{"code=403&code=409", func(it server.EventItem) bool { return it.Code == 403 || it.Code == 409 }},
			{"query=" + url.QueryEscape("objectRef.namespace = dev AND responseStatus.code >= 200"),
				func(it server.EventItem) bool { return it.Namespace == "dev" }},
			{"from=2026-11-23T04:10:00Z&to=2026-11-23T04:12:00Z", func(it server.EventItem) bool {
				return it.Time.Minute() >= 10 && it.Time.Minute() < 12
			}},
			{"since=3d", func(server.EventItem) bool { return true }},
		} {
			p := page(t, tc.query+"&limit=10000")
			if len(p.Items) == 0 {
				t.Errorf("%s: nothing", tc.query)
			}
			for _, it := range p.Items {
				if !tc.check(it) {
					t.Errorf("%s: %+v", tc.query, it)
					break
				}
			}
		}
		if p := page(t, "since=1d"); len(p.Items) != 0 {
			t.Errorf("since=1d (the log is older): %d events", len(p.Items))
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, q := range []string{"limit=0", "limit=10001", "limit=x", "code=99", "code=abc", "since=1h&from=now-2h",
			"from=yesterday", "from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z", "query=" + url.QueryEscape("verb = bogus"),
			"body=maybe", "after=garbage"} {
			msg := e.get(t, "token-alice", "/api/v1/audit/events?"+q).errorAnswer(t, http.StatusBadRequest)
			if !strings.Contains(msg, "parameter") {
				t.Errorf("%s: %q names no parameter", q, msg)
			}
		}
		for _, tok := range []string{"token-eve", "token-paul", "token-candice"} {
			e.get(t, tok, "/api/v1/audit/events").errorAnswer(t, http.StatusForbidden)
			e.get(t, tok, "/api/v1/audit/counts").errorAnswer(t, http.StatusForbidden)
			e.get(t, tok, "/api/v1/audit/export").errorAnswer(t, http.StatusForbidden)
		}
		e.get(t, "token-admin", "/api/v1/audit/events").want(t, http.StatusOK)
	})
}

func TestEventDetail(t *testing.T) {
	e := newTestEnv(t)
	p := decode[server.EventPage](t, e.get(t, "token-alice", "/api/v1/audit/events?limit=1").want(t, http.StatusOK))
	id := p.Items[0].ID
	it := decode[server.EventItem](t, e.get(t, "token-alice", "/api/v1/audit/events/"+id).want(t, http.StatusOK))
	if it.ID != id || it.AuditID != p.Items[0].AuditID || len(it.Event) == 0 {
		t.Errorf("detail %+v", it)
	}
	e.get(t, "token-alice", "/api/v1/audit/events/202611-999999").errorAnswer(t, http.StatusNotFound)
	e.get(t, "token-alice", "/api/v1/audit/events/garbage").errorAnswer(t, http.StatusNotFound)
	e.get(t, "token-eve", "/api/v1/audit/events/"+id).errorAnswer(t, http.StatusForbidden)
}

func TestCounts(t *testing.T) {
	e := newTestEnv(t)
	c := decode[server.CountsResponse](t, e.get(t, "token-alice", "/api/v1/audit/counts?bucket=1m").want(t, http.StatusOK))
	var n int64
	for _, x := range c.Counts {
		n += x.Count
		if x.Start.Second() != 0 || !strings.HasPrefix(x.Source, "file:") {
			t.Errorf("count %+v", x)
		}
	}
	if n != totalEvents || c.Bucket != "1m0s" || len(c.Counts) < 2 {
		t.Errorf("%d events in %d buckets of %s", n, len(c.Counts), c.Bucket)
	}
	c = decode[server.CountsResponse](t, e.get(t, "token-alice", "/api/v1/audit/counts?verb=patch").want(t, http.StatusOK))
	if len(c.Counts) != 1 || c.Bucket != "1h0m0s" {
		t.Errorf("patches per hour: %+v", c)
	}
	for _, q := range []string{"bucket=1s", "bucket=x", "bucket=1m&from=2026-01-01T00:00:00Z"} {
		e.get(t, "token-alice", "/api/v1/audit/counts?"+q).errorAnswer(t, http.StatusBadRequest)
	}
}

func TestExport(t *testing.T) {
	e := newTestEnv(t)
	filename := func(t *testing.T, r response) string {
		t.Helper()
		d, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
		if err != nil || d != "attachment" {
			t.Fatalf("Content-Disposition %q: %v", r.Header.Get("Content-Disposition"), err)
		}
		return params["filename"]
	}

	r := e.get(t, "token-alice", "/api/v1/audit/export?format=json").want(t, http.StatusOK)
	var list auditv1.EventList
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		t.Fatal(err)
	}
	if list.Kind != "EventList" || list.APIVersion != "audit.k8s.io/v1" || len(list.Items) != totalEvents {
		t.Errorf("json: %s %s %d", list.Kind, list.APIVersion, len(list.Items))
	}
	if got := filename(t, r); got != "audit-events-beginning-20261125T120000Z.json" {
		t.Errorf("json file name %q", got)
	}

	r = e.get(t, "token-alice", "/api/v1/audit/export?format=yaml&resource=networkpolicies&from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z").
		want(t, http.StatusOK)
	var ylist auditv1.EventList
	if err := yaml.UnmarshalStrict(r.body, &ylist); err != nil {
		t.Fatalf("yaml: %v\n%s", err, r.body[:min(len(r.body), 500)])
	}
	if len(ylist.Items) == 0 || ylist.Items[0].ObjectRef.Resource != "networkpolicies" || ylist.Kind != "EventList" {
		t.Errorf("yaml: %d items", len(ylist.Items))
	}
	if got := filename(t, r); got != "audit-events-20261123T000000Z-20261124T000000Z.yaml" {
		t.Errorf("yaml file name %q", got)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("yaml content type %q", ct)
	}

	r = e.get(t, "token-alice", "/api/v1/audit/export?format=jsonl").want(t, http.StatusOK)
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var ev auditv1.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.AuditID == "" {
			t.Fatalf("line %d: %v", lines+1, err)
		}
		lines++
	}
	if lines != totalEvents {
		t.Errorf("jsonl: %d lines", lines)
	}

	// Empty exports are still well-formed.
	for _, f := range []string{"json", "yaml", "jsonl"} {
		r := e.get(t, "token-alice", "/api/v1/audit/export?since=1h&format="+f).want(t, http.StatusOK)
		var empty auditv1.EventList
		if f != "jsonl" {
			if err := yaml.Unmarshal(r.body, &empty); err != nil || empty.Kind != "EventList" || len(empty.Items) != 0 {
				t.Errorf("empty %s: %v %q", f, err, r.body)
			}
		} else if len(r.body) != 0 {
			t.Errorf("empty jsonl: %q", r.body)
		}
	}
	e.get(t, "token-alice", "/api/v1/audit/export?format=csv").errorAnswer(t, http.StatusBadRequest)

	small := newTestEnv(t, func(o *server.Options) { o.ExportLimit = 100 })
	msg := small.get(t, "token-alice", "/api/v1/audit/export").errorAnswer(t, http.StatusRequestEntityTooLarge)
	if !strings.Contains(msg, "234 events") || !strings.Contains(msg, "limit of 100") {
		t.Errorf("limit message %q", msg)
	}
	small.get(t, "token-alice", "/api/v1/audit/export?verb=patch").want(t, http.StatusOK)
}

func TestChangelog(t *testing.T) {
	e := newTestEnv(t)
	r := e.get(t, "token-alice", "/api/v1/changelog/networkpolicies/dev/allow-frontend").want(t, http.StatusOK)
	cl := decode[server.Changelog](t, r)
	if cl.Kind != "networkpolicies.networking.k8s.io" || cl.Namespace != "dev" || cl.Name != "allow-frontend" || cl.Cluster != "default" {
		t.Errorf("changelog of %s %s/%s in %s", cl.Kind, cl.Namespace, cl.Name, cl.Cluster)
	}
	if len(cl.Versions) < 2 || cl.Versions[0].Verb != "create" || len(cl.Versions[1].Diff) == 0 || cl.Versions[0].Object != nil {
		t.Fatalf("versions %+v", cl.Versions)
	}
	cl = decode[server.Changelog](t, e.get(t, "token-alice", "/api/v1/changelog/networkpolicies.networking.k8s.io/dev/allow-frontend?objects=true").
		want(t, http.StatusOK))
	if cl.Versions[0].Object == nil {
		t.Errorf("objects=true left out the objects")
	}
	cl = decode[server.Changelog](t, e.get(t, "token-alice", "/api/v1/changelog/namespaces/-/dev").want(t, http.StatusOK))
	if cl.Kind != "namespaces" || cl.Namespace != "" || cl.Versions[0].Verb != "create" {
		t.Errorf("namespace changelog %+v", cl)
	}

	e.get(t, "token-alice", "/api/v1/changelog/widgets/dev/x").errorAnswer(t, http.StatusBadRequest)
	e.get(t, "token-alice", "/api/v1/changelog/pods/-/web-1").errorAnswer(t, http.StatusBadRequest)
	e.get(t, "token-alice", "/api/v1/changelog/networkpolicies/dev/missing").errorAnswer(t, http.StatusNotFound)
	e.get(t, "token-alice", "/api/v1/changelog/networkpolicies/dev/allow-frontend?cluster=other").errorAnswer(t, http.StatusNotFound)
	e.get(t, "token-eve", "/api/v1/changelog/networkpolicies/dev/allow-frontend").errorAnswer(t, http.StatusForbidden)
}

func TestState(t *testing.T) {
	e := newTestEnv(t)
	st := decode[server.State](t, e.get(t, "token-alice", "/api/v1/state?at=2026-11-23T06:00:00Z&resource=namespaces").want(t, http.StatusOK))
	var names []string
	for _, it := range st.Items {
		if it.Kind != "namespaces" || it.Object != nil || it.Cluster != "default" {
			t.Errorf("item %+v", it)
		}
		names = append(names, it.Name)
	}
	if !st.At.Equal(day(23).Add(6*60*60*1e9)) || !strings.Contains(strings.Join(names, ","), "dev") {
		t.Errorf("state at %v: %v", st.At, names)
	}
	st = decode[server.State](t, e.get(t, "token-alice", "/api/v1/state?at=2026-11-23T06:00:00Z&resource=pods&namespace=dev&objects=true").
		want(t, http.StatusOK))
	if len(st.Items) == 0 {
		t.Fatal("no pods")
	}
	for _, it := range st.Items {
		if it.Namespace != "dev" || len(it.Object) == 0 {
			t.Errorf("item %+v", it)
		}
	}
	before := decode[server.State](t, e.get(t, "token-alice", "/api/v1/state?at=2026-11-22T00:00:00Z").want(t, http.StatusOK))
	if len(before.Items) != 0 || before.Items == nil {
		t.Errorf("before the log: %+v", before)
	}
	if all := decode[server.State](t, e.get(t, "token-alice", "/api/v1/state").want(t, http.StatusOK)); !all.At.Equal(now) {
		t.Errorf("default time %v", all.At)
	}
	e.get(t, "token-alice", "/api/v1/state?at=soon").errorAnswer(t, http.StatusBadRequest)
	e.get(t, "token-alice", "/api/v1/state?resource=widgets").errorAnswer(t, http.StatusBadRequest)
	e.get(t, "token-eve", "/api/v1/state").errorAnswer(t, http.StatusForbidden)
}

// flakyStore reads pages of 100 events and fails after the first, and
// fails after the first object of a state.
type flakyStore struct {
	*sqlite.Store
	calls atomic.Int32
}

var errFlaky = errors.New("disk on fire")

func (f *flakyStore) Events(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	if f.calls.Add(1) > 1 {
		return store.EventPage{}, errFlaky
	}
	q.Limit = 100
	return f.Store.Events(ctx, q)
}

func (f *flakyStore) StateAt(ctx context.Context, at time.Time, q store.VersionQuery) iter.Seq2[store.Version, error] {
	return func(yield func(store.Version, error) bool) {
		for v, err := range f.Store.StateAt(ctx, at, q) {
			if !yield(v, err) || err != nil {
				return
			}
			yield(store.Version{}, errFlaky)
			return
		}
	}
}

// TestBrokenOff checks that a stream failing after it has begun is broken
// off rather than ended as if it were complete.
func TestBrokenOff(t *testing.T) {
	e := newTestEnv(t, func(o *server.Options) { o.Store = &flakyStore{Store: o.Store.(*sqlite.Store)} })
	for _, p := range []string{"/api/v1/audit/export?format=jsonl", "/api/v1/state?at=2026-11-24T00:00:00Z"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+p, nil)
		req.Header.Set("Authorization", "Bearer token-alice")
		// The client sees the connection end early: before the answer
		// or in its body.
		resp, err := e.srv.Client().Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if err == nil {
			t.Errorf("%s: a broken stream looked complete", p)
		}
	}
	if n := strings.Count(e.logs.String(), "disk on fire"); n != 2 {
		t.Errorf("causes logged %d times:\n%s", n, e.logs)
	}
}
