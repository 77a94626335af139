package report

import (
	"bytes"
	"os"
	"strings"
	"testing"

	v1 "github.com/evident-dev/evident/api/v1"
)

// TestDocumentedCustomType checks the custom report type of docs/reports.md
// (kept as config/samples/unprotected-pods.yaml) validates and renders.
func TestDocumentedCustomType(t *testing.T) {
	raw, err := os.ReadFile("../../config/samples/unprotected-pods.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := v1.Load("unprotected-pods.yaml", raw, Validate)
	if err != nil {
		t.Fatal(err)
	}
	rt := objs[0].(*v1.GlobalReportType)
	r := &Report{ReportData: *Sample()}
	var buf bytes.Buffer
	if _, _, err := Download(&buf, r, &rt.Spec, []string{"unprotected.csv"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if lines[0] != "endpoint,policies" || len(lines) < 2 {
		t.Errorf("unprotected.csv:\n%s", buf.String())
	}
	for _, ep := range r.Endpoints {
		listed := strings.Contains(buf.String(), ep.Endpoint.String())
		if listed == ep.IngressProtected {
			t.Errorf("%s: protected %v but listed %v", ep.Endpoint, ep.IngressProtected, listed)
		}
	}
}
