package dashboard

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evident-dev/evident/internal/store"
)

func TestParseSummary(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		kinds   []string // widget kinds, in order
		text    string
		heading string
	}{
		{name: "empty", in: " "},
		{name: "inventory", heading: "Inscope vs Protected", kinds: []string{"rings", "rings"},
			in: `{"heading": "Inscope vs Protected", "type": "panel", "widgets": [
			  {"type": "radialbarchart", "heading": "Endpoints", "summary": {"label": "Total", "total": 12},
			   "data": [{"label": "Protected ingress", "value": 9}, {"label": "Protected egress", "value": 3}]},
			  {"type": "radialbarchart", "heading": "Namespaces", "summary": {"label": "Total", "total": 2},
			   "data": [{"label": "Protected ingress", "value": 1}, {"label": "Protected egress", "value": 0}]}]}`},
		{name: "cis", heading: "Kubernetes CIS Benchmark", kinds: []string{"segments", "tests"},
			in: `{"heading": "Kubernetes CIS Benchmark", "type": "row", "widgets": [
			  {"type": "cis-benchmark-nodes", "heading": "Node Failure Summary", "summary": {"label": "Total", "total": 4},
			   "data": [{"label": "HIGH", "value": 2, "desc": "At least 100% of tests passing"},
			            {"label": "MED", "value": 1, "desc": "At least 50% of tests passing"},
			            {"label": "LOW", "value": 1, "desc": "Fewer than 50% of tests passing"}]},
			  {"type": "cis-benchmark-tests", "heading": "Top Failed Tests",
			   "topFailedTests": {"tests": [{"index": "1.1.1", "description": "x", "failedCount": "3"}]}}]}`},
		{name: "unknown widget", kinds: []string{"list"},
			in: `{"widgets": [{"type": "gauge", "heading": "Score", "data": [{"label": "a", "value": 1.5}]}]}`},
		{name: "not JSON", in: "12 unprotected", text: "12 unprotected"},
		{name: "JSON without widgets", in: `{"unprotected": 12}`, text: `{"unprotected": 12}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := parseSummary(tc.in)
			if strings.TrimSpace(tc.in) == "" {
				if v != nil {
					t.Fatalf("summary of nothing: %+v", v)
				}
				return
			}
			var kinds []string
			for _, w := range v.Widgets {
				kinds = append(kinds, w.Kind)
			}
			if diff := cmp.Diff(tc.kinds, kinds); diff != "" || v.Text != tc.text || v.Heading != tc.heading {
				t.Errorf("kinds (-want +got):\n%s\ntext %q, heading %q", diff, v.Text, v.Heading)
			}
		})
	}
}

func TestRingsAndSegments(t *testing.T) {
	rings := buildRings(12, []summaryItem{{Label: "a", Value: 9}, {Label: "b", Value: 30}, {Label: "c", Value: -1}})
	// 9 of 12 of a circle of radius 52; more than the total is a full
	// circle; less than nothing is empty.
	if rings[0].Dash != "245.0 326.7" || rings[1].Dash != "251.3 251.3" || rings[2].Dash != "0.0 175.9" {
		t.Errorf("dashes %q %q %q", rings[0].Dash, rings[1].Dash, rings[2].Dash)
	}
	if rings[0].Percent != "75%" || rings[0].Value != "9" {
		t.Errorf("ring %+v", rings[0])
	}
	segs := buildSegments([]summaryItem{{Label: "HIGH", Value: 1}, {Label: "MED", Value: 1}, {Label: "LOW", Value: 2}})
	if segs[2].X != "150.0" || segs[2].W != "150.0" || segs[2].Class != "seg-low" {
		t.Errorf("segments %+v", segs)
	}
	if truncate("héllo", 2) != "h…" {
		t.Errorf("truncate splits a character: %q", truncate("héllo", 2))
	}
}

func TestBarChart(t *testing.T) {
	from := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	counts := []store.Count{
		{Source: "a", Start: from.Add(time.Hour), N: 3},
		{Source: "b", Start: from.Add(time.Hour), N: 4},
		{Source: "a", Start: from.Add(5 * time.Hour), N: 10},
		{Source: "a", Start: from.Add(-time.Hour), N: 99}, // outside the range
	}
	c := buildBarChart(counts, from, from.Add(24*time.Hour), time.Hour, "hour",
		func(s, e time.Time) string { return s.Format(time.RFC3339) })
	if c.Total != 17 || c.Max != 10 || c.NBar != 24 || len(c.Bars) != 2 {
		t.Fatalf("total %d, max %d, %d slots, %d bars", c.Total, c.Max, c.NBar, len(c.Bars))
	}
	if c.Bars[0].Title != "2026-11-23 01:00:00Z: 7 events" || c.Bars[0].Href != "2026-11-23T01:00:00Z" {
		t.Errorf("bar %+v", c.Bars[0])
	}
	if c.YTicks[2].Label != "10" {
		t.Errorf("top of the scale %q", c.YTicks[2].Label)
	}
	for in, want := range map[int64]int64{0: 1, 1: 1, 3: 5, 7: 10, 10: 10, 11: 20, 240: 500} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", in, got, want)
		}
	}
	for span, want := range map[time.Duration]time.Duration{time.Hour: time.Minute, 6 * time.Hour: 10 * time.Minute,
		24 * time.Hour: time.Hour, 30 * 24 * time.Hour: time.Hour, 365 * 24 * time.Hour: 24 * time.Hour} {
		if got, _ := chartBucket(span); got != want {
			t.Errorf("bucket of %s = %s, want %s", span, got, want)
		}
	}
}

// TestHostileContentIsEscaped checks the HTML itself: the payloads of the
// hostile events appear only escaped, on every page that shows them.
func TestHostileContentIsEscaped(t *testing.T) {
	h := newHarness(t)
	page, err := h.st.Events(t.Context(), storeQueryName(xssName))
	if err != nil || len(page.Events) == 0 {
		t.Fatalf("hostile events: %v", err)
	}
	obj := "networkpolicies.networking.k8s.io/dev/x%3Cscript%3Ewindow.__xss=1%3C%2Fscript%3E"
	for _, p := range []string{"/timeline?since=all", "/timeline/events/" + page.Events[0].ID, "/timeline/events/" + page.Events[1].ID,
		"/policies?namespace=dev", "/policies/changelog/" + obj, "/policies/state/" + obj,
		"/reports/" + h.reportID(t, "hourly-policy-audit"), "/reports/" + h.reportID(t, "dev-inventory")} {
		resp, body := h.get(t, "admin-token", p)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", p, resp.StatusCode)
		}
		for _, raw := range []string{"<script>window", "<img src=x", "<svg onload", `onerror="window`} {
			if strings.Contains(body, raw) {
				t.Errorf("%s: the page holds %q unescaped", p, raw)
			}
		}
		if !strings.Contains(body, "x&lt;script&gt;window.__xss=1&lt;/script&gt;") {
			t.Errorf("%s: the hostile name is not shown", p)
		}
	}
}
