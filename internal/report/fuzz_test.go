package report

import (
	"context"
	"testing"
	"time"
)

// FuzzRender renders arbitrary template text against the sample report:
// it must return (an error or output) without panicking, and within its
// deadline.
func FuzzRender(f *testing.F) {
	for _, rt := range DefaultTypes() {
		f.Add(rt.Spec.UISummaryTemplate.Template)
		for _, t := range rt.Spec.DownloadTemplates {
			f.Add(t.Template)
		}
	}
	for _, s := range []string{
		"",
		"plain text",
		`{{ range 100 }}{{ . }}{{ end }}`,
		`{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}`,
		`{{ $c := csv }}{{ $c.AddColumn "a" "{{ .Endpoint }}" }}{{ $c.Render .Endpoints }}`,
		`{{ $c := csv }}{{ $c.AddColumn "a" "{{ $d := csv }}{{ $d.Render . }}" }}{{ $c.Render . }}`,
		`{{ toYaml . }}{{ toJson .Flows }}`,
		`{{ range .AuditEvents }}{{ .Map.verb }}{{ end }}`,
		`{{ repeat 10 "x" | indent 2 }}`,
		`{{ index .Endpoints 5 }}`,
		`{{ slice .ReportName 3 1 }}`,
		`{{ printf "%*d" 10000000 1 }}`,
		`{{ break }}`,
		`{{ with $x := 1 }}{{ $x = 2 }}{{ end }}`,
		`{{ flowsIngress (index .Endpoints 0) | joinN ";" 1 }}`,
	} {
		f.Add(s)
	}
	data := Sample()
	data.Sort()
	f.Fuzz(func(t *testing.T, tmpl string) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		out, err := RenderContext(ctx, tmpl, data)
		if err == nil && len(out) > MaxOutputBytes {
			t.Errorf("output of %d bytes", len(out))
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("rendering took %v", d)
		}
	})
}
