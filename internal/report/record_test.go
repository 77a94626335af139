package report

import (
	stdjson "encoding/json"
	"testing"

	json "github.com/goccy/go-json"
)

// TestRecordMatchesEncodingJSON pins that the faster encoder writes what
// encoding/json would.
func TestRecordMatchesEncodingJSON(t *testing.T) {
	r := &Report{ID: "x", ReportData: *Sample(), UISummary: "{}"}
	a, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := stdjson.Marshal(r)
	if string(a) != string(b) {
		t.Errorf("differ:\n%s\n%s", a, b)
	}
}
