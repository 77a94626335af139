package report

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRenderDeadline(t *testing.T) {
	tests := []struct{ name, tmpl string }{
		{"long range", `{{ range 1000000000 }}{{ end }}`},
		{"nested ranges", `{{ range 100000 }}{{ range 100000 }}{{ end }}{{ end }}`},
		{"range with else", `{{ range 1000000000 }}{{ else }}none{{ end }}`},
		{"range in if", `{{ if true }}{{ range 1000000000 }}{{ end }}{{ end }}`},
		{"range in with", `{{ with . }}{{ range 1000000000 }}{{ end }}{{ end }}`},
		{"range in define", `{{ define "a" }}{{ range 1000000000 }}{{ end }}{{ end }}{{ template "a" }}`},
		{"range in block", `{{ block "b" . }}{{ range 1000000000 }}{{ end }}{{ end }}`},
		{"binary recursion", `{{ define "a" }}{{ if lt . 40 }}{{ template "a" (add1 .) }}{{ template "a" (add1 .) }}{{ end }}{{ end }}{{ template "a" 0 }}`},
		{"csv cells", `{{ $c := csv }}{{ $c.AddColumn "a" "{{ range 1000000000 }}{{ end }}" }}{{ $c.Render (list 1 2) }}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := RenderContext(ctx, tc.tmpl, Sample())
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v, want the deadline", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("stopped after %v", d)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := RenderContext(ctx, "plain", Sample()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestRenderRecursionDepth(t *testing.T) {
	_, err := Render(`{{ define "a" }}{{ template "a" }}{{ end }}{{ template "a" }}`, Sample())
	if err == nil || !strings.Contains(err.Error(), "maximum template depth") {
		t.Errorf("error %v", err)
	}
}

func TestRenderNilData(t *testing.T) {
	if got, err := Render(`{{ .ReportName }}{{ len .Endpoints }}`, nil); err != nil || got != "0" {
		t.Errorf("Render against nil = %q, %v", got, err)
	}
}

func TestRenderParseError(t *testing.T) {
	_, err := Render(`{{ if }}`, Sample())
	if err == nil || !strings.HasPrefix(err.Error(), "parse template: ") {
		t.Errorf("error %v", err)
	}
}

func TestRenderErrorLocation(t *testing.T) {
	_, err := Render("line one\n{{ range 2 }}{{ .Nope }}{{ end }}", Sample())
	if err == nil || !strings.Contains(err.Error(), "report:2:") {
		t.Errorf("error %v, want it to name line 2", err)
	}
}

func TestExecuteRecoversPanics(t *testing.T) {
	r := newRenderer(t.Context(), Sample())
	tmpl, err := r.parse("p", `{{ .Boom }}`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.execute(tmpl, panicky{})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("error %v", err)
	}
}

// panicky is data whose method panics.
type panicky struct{}

func (panicky) Boom() string { panic("boom") }
