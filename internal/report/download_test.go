package report

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/evident-dev/evident/api/v1"
)

func fixtureReport(t *testing.T) (*Report, *v1.ReportTypeSpec) {
	d := sortedFixture(t)
	d.ReportName = "weekly-full-inventory"
	d.ReportTypeName = "inventory"
	r := &Report{ID: ReportID(d.ReportName, d.ReportTypeName, d.StartTime.Time, d.EndTime.Time), ReportData: *d}
	return r, &defaultType(t, "inventory").Spec
}

func TestDownloadOneFormat(t *testing.T) {
	r, rt := fixtureReport(t)
	var b bytes.Buffer
	ct, name, err := Download(&b, r, rt, []string{"endpoints.csv", "endpoints.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if ct != "text/plain" || name != "inventory_weekly-full-inventory_20260302000000-20260309000000-endpoints.csv" {
		t.Errorf("content type %q, file name %q", ct, name)
	}
	want, err := Render(rt.DownloadTemplates[1].Template, &r.ReportData)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func readZip(t *testing.T, b []byte) (names []string, bodies map[string]string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	bodies = map[string]string{}
	for _, f := range zr.File {
		if f.Method != zip.Deflate {
			t.Errorf("%s is not deflated", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		bodies[f.Name] = string(body)
	}
	return names, bodies
}

func TestDownloadZip(t *testing.T) {
	r, rt := fixtureReport(t)
	var b bytes.Buffer
	ct, name, err := Download(&b, r, rt, []string{"summary.csv", "services.csv", "summary.csv", EvidenceCoverageFormat})
	if err != nil {
		t.Fatal(err)
	}
	if ct != "application/zip" || name != "inventory_weekly-full-inventory_20260302000000-20260309000000.zip" {
		t.Errorf("content type %q, file name %q", ct, name)
	}
	names, bodies := readZip(t, b.Bytes())
	prefix := "inventory_weekly-full-inventory_20260302000000-20260309000000-"
	if diff := cmp.Diff([]string{prefix + "summary.csv", prefix + "services.csv", prefix + EvidenceCoverageFormat}, names); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	services, _ := Render(rt.DownloadTemplates[3].Template, &r.ReportData)
	if bodies[prefix+"services.csv"] != services {
		t.Errorf("services.csv entry:\n%s", bodies[prefix+"services.csv"])
	}
	var cov EvidenceCoverage
	if err := json.Unmarshal([]byte(bodies[prefix+EvidenceCoverageFormat]), &cov); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.EvidenceCoverage, cov); diff != "" {
		t.Errorf("evidence coverage (-want +got):\n%s", diff)
	}
	// The same request gives the same bytes.
	var again bytes.Buffer
	if _, _, err := Download(&again, r, rt, []string{"summary.csv", "services.csv", EvidenceCoverageFormat}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), again.Bytes()) {
		t.Error("zip is not reproducible")
	}
}

func TestDownloadNoFormats(t *testing.T) {
	r, rt := fixtureReport(t)
	var b bytes.Buffer
	ct, name, err := Download(&b, r, rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "application/zip" || !strings.HasSuffix(name, ".zip") {
		t.Errorf("content type %q, file name %q", ct, name)
	}
	if names, _ := readZip(t, b.Bytes()); len(names) != 0 {
		t.Errorf("entries %v, want none", names)
	}
}

func TestDownloadErrors(t *testing.T) {
	r, rt := fixtureReport(t)
	var b bytes.Buffer
	_, _, err := Download(&b, r, rt, []string{"summary.csv", "nope.csv"})
	var unknown *UnknownFormatError
	if !errors.As(err, &unknown) || unknown.Format != "nope.csv" {
		t.Fatalf("error %v, want an UnknownFormatError", err)
	}
	want := []string{"summary.csv", "endpoints.csv", "namespaces.csv", "services.csv", EvidenceCoverageFormat}
	if diff := cmp.Diff(want, unknown.Known); diff != "" {
		t.Errorf("known formats (-want +got):\n%s", diff)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %d bytes before failing", b.Len())
	}

	broken := *rt
	broken.DownloadTemplates = []v1.ReportTemplate{{Name: "bad.csv", Template: `{{ fail "no" }}`}}
	_, _, err = Download(&b, r, &broken, []string{"bad.csv"})
	var rerr *RenderError
	if !errors.As(err, &rerr) || rerr.Format != "bad.csv" || !strings.Contains(err.Error(), "no") {
		t.Fatalf("error %v, want a RenderError", err)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %d bytes before failing", b.Len())
	}

	if _, _, err := Download(failingWriter{}, r, rt, []string{"summary.csv"}); err == nil || errors.As(err, &rerr) {
		t.Errorf("write failure: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestDownloadEvidenceOverride(t *testing.T) {
	r, rt := fixtureReport(t)
	own := *rt
	own.DownloadTemplates = append([]v1.ReportTemplate{{Name: EvidenceCoverageFormat, Template: "custom"}}, rt.DownloadTemplates...)
	var b bytes.Buffer
	if _, _, err := Download(&b, r, &own, []string{EvidenceCoverageFormat}); err != nil || b.String() != "custom" {
		t.Errorf("got %q, %v; want the type's own template", b.String(), err)
	}
	if n := strings.Count(strings.Join(formatNames(Formats(&own)), " "), EvidenceCoverageFormat); n != 1 {
		t.Errorf("%s listed %d times", EvidenceCoverageFormat, n)
	}
	// A report whose type is unknown still has the evidence format.
	b.Reset()
	if _, _, err := Download(&b, r, nil, []string{EvidenceCoverageFormat}); err != nil || !strings.Contains(b.String(), `"baselines"`) {
		t.Errorf("got %q, %v", b.String(), err)
	}
}

func formatNames(fs []Format) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func TestFormats(t *testing.T) {
	fs := Formats(&defaultType(t, "policy-audit").Spec)
	if diff := cmp.Diff([]string{"summary.csv", "events.json", "events.yaml", EvidenceCoverageFormat}, formatNames(fs)); diff != "" {
		t.Errorf("formats (-want +got):\n%s", diff)
	}
	for _, f := range fs {
		if f.Description == "" {
			t.Errorf("%s has no description", f.Name)
		}
	}
}
