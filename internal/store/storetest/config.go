package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/query"
	"github.com/evident-dev/evident/internal/store"
)

func testResources(t *testing.T, s store.Store) {
	rs, ok := s.(store.Resources)
	if !ok {
		t.Skip("backend keeps no resources")
	}
	ctx := t.Context()
	v, err := rs.PutResource(ctx, "GlobalReport", "daily", []byte(`{"a":1}`), 0)
	if err != nil || v != 1 {
		t.Fatalf("create: %d %v", v, err)
	}
	if _, err := rs.PutResource(ctx, "GlobalReport", "daily", []byte(`{"a":2}`), 0); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second create: %v", err)
	}
	if _, err := rs.PutResource(ctx, "GlobalReport", "daily", []byte(`{"a":2}`), 7); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: %v", err)
	}
	if v, err = rs.PutResource(ctx, "GlobalReport", "daily", []byte(`{"a":2}`), 1); err != nil || v != 2 {
		t.Fatalf("update: %d %v", v, err)
	}
	rs.PutResource(ctx, "GlobalReport", "annual", []byte(`{}`), 0)
	rs.PutResource(ctx, "GlobalReportType", "daily", []byte(`{}`), 0)
	got, err := rs.GetResource(ctx, "GlobalReport", "daily")
	if err != nil || string(got.Object) != `{"a":2}` || got.Version != 2 {
		t.Errorf("get: %+v %v", got, err)
	}
	list, err := rs.ListResources(ctx, "GlobalReport")
	if err != nil || len(list) != 2 || list[0].Name != "annual" {
		t.Errorf("list: %+v %v", list, err)
	}
	if err := rs.DeleteResource(ctx, "GlobalReport", "daily"); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.GetResource(ctx, "GlobalReport", "daily"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get deleted: %v", err)
	}
	if err := rs.DeleteResource(ctx, "GlobalReport", "daily"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

func testReports(t *testing.T, s store.Store) {
	rs, ok := s.(store.Reports)
	if !ok {
		t.Skip("backend keeps no reports")
	}
	ctx := t.Context()
	day := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	put := func(id, name, typ string, start, end int) {
		t.Helper()
		if err := rs.PutReport(ctx, store.ReportRecord{ID: id, Name: name, Type: typ, Start: day(start), End: day(end),
			Generated: day(end).Add(time.Hour), UISummary: `{"x":1}`, Data: []byte(`{"reportName":"` + name + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	put("a1", "daily", "inventory", 0, 1)
	put("a2", "daily", "inventory", 1, 2)
	put("b1", "weekly", "network-access", 0, 7)
	put("c1", "audit", "policy-audit", 3, 4)
	put("a2", "daily", "inventory", 1, 2) // re-run of the same interval replaces it
	got, err := rs.GetReport(ctx, "a2")
	if err != nil || string(got.Data) != `{"reportName":"daily"}` || got.UISummary != `{"x":1}` || !got.End.Equal(day(2)) {
		t.Errorf("get: %+v %v", got, err)
	}
	ids := func(q store.ReportQuery) ([]string, int) {
		t.Helper()
		rr, total, err := rs.ListReports(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rr {
			if r.Data != nil {
				t.Error("listing carries data")
			}
			out = append(out, r.ID)
		}
		return out, total
	}
	byStart := []store.ReportSort{{Field: "startTime", Descending: true}, {Field: "reportTypeName"}, {Field: "reportName"}}
	tests := []struct {
		name  string
		q     store.ReportQuery
		want  []string
		total int
	}{
		{"all", store.ReportQuery{Sort: byStart}, []string{"c1", "a2", "a1", "b1"}, 4},
		{"names or types", store.ReportQuery{Names: []string{"weekly"}, Types: []string{"policy-audit"}, Sort: byStart}, []string{"c1", "b1"}, 2},
		{"time range", store.ReportQuery{From: day(2), To: day(3), Sort: byStart}, []string{"c1", "a2"}, 2},
		{"to only", store.ReportQuery{To: day(0), Sort: byStart}, []string{"a1", "b1"}, 2},
		{"page", store.ReportQuery{Sort: byStart, Offset: 1, Limit: 2}, []string{"a2", "a1"}, 4},
		{"allowed", store.ReportQuery{Sort: byStart, Allowed: func(n, _ string) bool { return n == "daily" }}, []string{"a2", "a1"}, 2},
		{"by end asc", store.ReportQuery{Sort: []store.ReportSort{{Field: "endTime"}}}, []string{"a1", "a2", "c1", "b1"}, 4},
	}
	for _, tt := range tests {
		got, total := ids(tt.q)
		if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.total {
			t.Errorf("%s: total %d (-want +got):\n%s", tt.name, total, diff)
		}
	}
	if _, _, err := rs.ListReports(ctx, store.ReportQuery{Sort: []store.ReportSort{{Field: "bogus"}}}); err == nil {
		t.Error("bad sort field accepted")
	}
	last, ok, err := rs.LastReport(ctx, "daily")
	if err != nil || !ok || last.ID != "a2" {
		t.Errorf("last: %+v %v %v", last, ok, err)
	}
	if _, ok, _ := rs.LastReport(ctx, "nope"); ok {
		t.Error("last report of an unknown name")
	}
	if _, err := rs.GetReport(ctx, "zzz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing report: %v", err)
	}
}

func testEventCounts(t *testing.T, s store.Store) {
	b := &store.Batch{Source: "file:a"}
	for i, at := range []time.Duration{0, 10 * time.Minute, 70 * time.Minute, 3 * time.Hour} {
		b.Events = append(b.Events, Event(t, E{ID: fmt.Sprint("a", i), Name: "p", At: at, Verb: []string{"create", "patch"}[i%2]}))
	}
	if _, err := s.Append(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(t.Context(), &store.Batch{Source: "webhook:x", Events: []audit.Event{Event(t, E{ID: "w", Name: "p", At: 5 * time.Minute})}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.EventCounts(t.Context(), store.EventQuery{}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range got {
		lines = append(lines, fmt.Sprintf("%s %s %d", c.Start.Format("15:04"), c.Source, c.N))
	}
	want := []string{"12:00 file:a 2", "12:00 webhook:x 1", "13:00 file:a 1", "15:00 file:a 1"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	page, err := s.Events(t.Context(), store.EventQuery{Sources: []string{"webhook:x"}})
	if err != nil || len(page.Events) != 1 || page.Events[0].AuditID != "w" {
		t.Errorf("events of one source: %+v %v", page.Events, err)
	}
	cond, _ := query.Parse("verb = patch AND level = RequestResponse") // level needs the bodies
	got, err = s.EventCounts(t.Context(), store.EventQuery{Cond: cond, From: t0.Add(time.Minute)}, time.Hour)
	if err != nil || len(got) != 2 || got[0].N != 1 || got[1].N != 1 {
		t.Errorf("filtered counts: %+v %v", got, err)
	}
}
