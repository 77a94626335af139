package dashboard

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// A report's UI summary is the JSON its type's uiSummaryTemplate renders:
//
//	{"heading": "...", "type": "panel", "widgets": [
//	  {"type": "radialbarchart", "heading": "Endpoints",
//	   "summary": {"label": "Total", "total": 12},
//	   "data": [{"label": "Protected ingress", "value": 9}, ...]},
//	  {"type": "cis-benchmark-nodes", ..., "data": [{"label": "HIGH", "value": 3, "desc": "..."}]},
//	  {"type": "cis-benchmark-tests", "topFailedTests": {"tests": [{"index", "description", "failedCount"}]}}]}
//
// User-defined report types may render anything; what does not have this
// shape is shown as text.

type summaryDoc struct {
	Heading string          `json:"heading"`
	Widgets []summaryWidget `json:"widgets"`
}

type summaryWidget struct {
	Type    string `json:"type"`
	Heading string `json:"heading"`
	Summary *struct {
		Label string      `json:"label"`
		Total json.Number `json:"total"`
	} `json:"summary"`
	Data []struct {
		Label string      `json:"label"`
		Value json.Number `json:"value"`
		Desc  string      `json:"desc"`
	} `json:"data"`
	TopFailedTests *struct {
		Tests []struct {
			Index       string          `json:"index"`
			Description string          `json:"description"`
			FailedCount json.RawMessage `json:"failedCount"`
		} `json:"tests"`
	} `json:"topFailedTests"`
}

// summaryItem is one labelled value of a widget.
type summaryItem struct {
	Label string
	Value float64
	Desc  string
}

// summaryView is a UI summary ready for the templates.
type summaryView struct {
	Heading string
	Widgets []widgetView
	// Text is the summary as text when it is not a widget document.
	Text string
}

// widgetView is one widget: Kind says how it is drawn.
type widgetView struct {
	Kind       string // "rings", "segments", "tests" or "list"
	Heading    string
	TotalLabel string
	Total      string
	Rings      []ring
	Segments   []segment
	Items      []summaryItem
	Tests      []failedTest
}

type failedTest struct {
	Index, Description, Count string
}

// maxSummaryText bounds the text shown for a summary that is not JSON.
const maxSummaryText = 2000

// parseSummary turns a stored UI summary into a view; nil when empty.
func parseSummary(s string) *summaryView {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var doc summaryDoc
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || len(doc.Widgets) == 0 {
		return &summaryView{Text: truncate(s, maxSummaryText)}
	}
	v := &summaryView{Heading: doc.Heading}
	for _, w := range doc.Widgets {
		v.Widgets = append(v.Widgets, widget(w))
	}
	return v
}

func widget(w summaryWidget) widgetView {
	out := widgetView{Heading: w.Heading}
	var total float64
	hasTotal := false
	if w.Summary != nil {
		out.TotalLabel = w.Summary.Label
		if f, err := w.Summary.Total.Float64(); err == nil {
			total, hasTotal = f, true
			out.Total = fmtNumber(f)
		}
	}
	for _, d := range w.Data {
		f, _ := d.Value.Float64()
		out.Items = append(out.Items, summaryItem{Label: d.Label, Value: f, Desc: d.Desc})
	}
	switch {
	case w.TopFailedTests != nil:
		out.Kind = "tests"
		for _, t := range w.TopFailedTests.Tests {
			out.Tests = append(out.Tests, failedTest{Index: t.Index, Description: t.Description, Count: rawScalar(t.FailedCount)})
		}
	case w.Type == "cis-benchmark-nodes" && len(out.Items) > 0:
		out.Kind = "segments"
		out.Segments = buildSegments(out.Items)
	case hasTotal && len(out.Items) > 0 && len(out.Items) <= len(ringRadii()):
		out.Kind = "rings"
		out.Rings = buildRings(total, out.Items)
	default:
		out.Kind = "list"
	}
	return out
}

// rawScalar prints a JSON string or number without quotes.
func rawScalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// truncate shortens s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
