package dashboard

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evident-dev/evident/internal/store"
)

func TestParseTimeline(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		query   string
		want    store.EventQuery // Cond is checked separately
		since   string
		errPart string
	}{
		{name: "default range", query: "", since: "24h",
			want: store.EventQuery{From: now.Add(-24 * time.Hour), Limit: 100}},
		{name: "preset", query: "since=7d", since: "7d",
			want: store.EventQuery{From: now.Add(-7 * 24 * time.Hour), Limit: 100}},
		{name: "all time", query: "since=all", since: "all", want: store.EventQuery{Limit: 100}},
		{name: "custom from and to imply custom", query: "from=2026-11-01&to=2026-11-02T10:00:00Z", since: "custom",
			want: store.EventQuery{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
				To: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), Limit: 100}},
		{name: "datetime-local input", query: "since=custom&from=2026-11-23T04:10", since: "custom",
			want: store.EventQuery{From: time.Date(2026, 11, 23, 4, 10, 0, 0, time.UTC), Limit: 100}},
		{name: "relative custom", query: "since=custom&from=now-90m", since: "custom",
			want: store.EventQuery{From: now.Add(-90 * time.Minute), Limit: 100}},
		{name: "lists, repeated or comma-separated", query: "since=all&verb=create,patch&verb=create&resource=pods,+networkpolicies&namespace=dev&name=a&user=alice&code=403,409&limit=10&after=c1",
			since: "all", want: store.EventQuery{Verbs: []string{"create", "patch"}, Resources: []string{"pods", "networkpolicies"},
				Namespaces: []string{"dev"}, Names: []string{"a"}, Users: []string{"alice"}, Codes: []int{403, 409}, Limit: 10, After: "c1"}},
		{name: "bad range", query: "since=yesterday", errPart: "Time range"},
		{name: "bad from", query: "since=custom&from=soon", errPart: "From:"},
		{name: "from after to", query: "from=2026-11-02&to=2026-11-01", errPart: "must be before"},
		{name: "bad verb", query: "verb=destroy", errPart: `Verb "destroy"`},
		{name: "bad code", query: "code=99", errPart: `Response code "99"`},
		{name: "bad limit", query: "limit=100000", errPart: "Page size"},
		{name: "bad query", query: "query=verb+%3D", errPart: "Query:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			f, q, errs := parseTimeline(v, now)
			if tc.errPart != "" {
				if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), tc.errPart) {
					t.Fatalf("errors %q, want one containing %q", errs, tc.errPart)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors: %q", errs)
			}
			if f.Since != tc.since {
				t.Errorf("since %q, want %q", f.Since, tc.since)
			}
			q.Cond = nil
			if diff := cmp.Diff(tc.want, q); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimelineQueryDSL(t *testing.T) {
	v := url.Values{"query": {`verb IN {create, delete} AND responseStatus.code >= 400`}}
	_, q, errs := parseTimeline(v, time.Now())
	if len(errs) > 0 || q.Cond == nil {
		t.Fatalf("errors %q, condition %v", errs, q.Cond)
	}
}

// TestExportSelectsThePage: the export link carries the same filters with
// the range as absolute times.
func TestExportSelectsThePage(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	v, _ := url.ParseQuery("since=1h&verb=delete&resource=pods&query=user.username+%3D+alice&after=xyz")
	f, _, errs := parseTimeline(v, now)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := f.exportValues("json")
	want := url.Values{"format": {"json"}, "from": {"2026-11-23T11:00:00Z"}, "verb": {"delete"}, "resource": {"pods"},
		"query": {"user.username = alice"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("export parameters (-want +got):\n%s", diff)
	}
	// The API reads them back to the same query.
	_, q1, _ := parseTimeline(v, now)
	_, q2, errs := parseTimeline(got, now)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	q1.Cond, q2.Cond, q1.After = nil, nil, ""
	if diff := cmp.Diff(q1, q2); diff != "" {
		t.Errorf("export selects other events (-page +export):\n%s", diff)
	}
}

// FuzzParseTimeline: any query string is either refused with messages or
// gives a valid query, and the page's own links read back to the same
// filter.
func FuzzParseTimeline(f *testing.F) {
	for _, s := range []string{"", "since=7d", "since=custom&from=2026-11-01&to=now", "verb=get,list&code=404",
		"query=verb+IN+%7Bcreate%7D", "since=all&name=a,b,,c&limit=5", "since=custom&from=now-1d&to=now-2d", "limit=-1"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, q, errs := parseTimeline(v, now)
		if len(errs) > 0 {
			return
		}
		if q.Limit < 1 || q.Limit > maxPageSize {
			t.Fatalf("limit %d", q.Limit)
		}
		if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
			t.Fatalf("empty range %s..%s", q.From, q.To)
		}
		again, q2, errs := parseTimeline(fl.pageValues(), now)
		if len(errs) > 0 {
			t.Fatalf("page link of %q refused: %q", raw, errs)
		}
		q.Cond, q2.Cond, q.After = nil, nil, ""
		if diff := cmp.Diff(q, q2); diff != "" {
			t.Fatalf("page link of %q selects other events:\n%s", raw, diff)
		}
		if again.Since != fl.Since {
			t.Fatalf("range %q became %q", fl.Since, again.Since)
		}
	})
}
