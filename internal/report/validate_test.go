package report

import (
	"context"
	"strings"
	"testing"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name, tmpl string
		want       string // empty: valid
	}{
		{"plain text", "hello", ""},
		{"guarded endpoints", `{{ with .ReportSpec.Endpoints }}{{ with .Namespaces }}{{ .Selector }}{{ end }}{{ end }}`, ""},
		{"guarded audit", `{{ with .ReportTypeSpec.AuditEventsSelection }}{{ len .Resources }}{{ end }}`, ""},
		{"syntax error", `{{ range .Endpoints }}`, "parse template"},
		{"unknown function", `{{ frobnicate . }}`, `function "frobnicate" not defined`},
		{"unknown field", `{{ .Endpoints.Nope }}`, "can't evaluate field Nope"},
		{"fails on the sample", `{{ index .Endpoints 99 }}`, "index out of range"},
		{"needs endpoints", `{{ .ReportSpec.Endpoints.Selector }}`, "with no endpoints selection"},
		{"needs namespaces", `{{ with .ReportSpec.Endpoints }}{{ .Namespaces.Selector }}{{ end }}`, "with no namespaces selection"},
		{"needs service accounts", `{{ with .ReportSpec.Endpoints }}{{ .ServiceAccounts.Names }}{{ end }}`, "with no service accounts selection"},
		{"needs audit selection", `{{ .ReportTypeSpec.AuditEventsSelection.Resources }}`, "with no audit events selection"},
		{"runaway", `{{ range 1000000000 }}{{ range 1000000000 }}{{ end }}{{ end }}`, "deadline"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			err := validateContext(ctx, v1.ReportTemplate{Name: "x.csv", Template: tc.tmpl})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestValidateNamesTheTemplate(t *testing.T) {
	err := Validate(v1.ReportTemplate{Name: "summary.csv", Template: "ok\n{{ .Nope }}"})
	if err == nil || !strings.Contains(err.Error(), "summary.csv:2:") {
		t.Errorf("error %v, want it to name summary.csv line 2", err)
	}
}

func TestValidateThroughGlobalReportType(t *testing.T) {
	rt := &v1.GlobalReportType{}
	rt.Name = "custom"
	rt.Spec.UISummaryTemplate = v1.ReportTemplate{Name: "ui", Template: `{"n": {{ len .Endpoints }}}`}
	rt.Spec.DownloadTemplates = []v1.ReportTemplate{
		{Name: "ok.csv", Template: `{{ $c := csv }}{{ $c.AddColumn "e" "{{ .Endpoint }}" }}{{ $c.Render .Endpoints }}`},
		{Name: "bad.csv", Template: `{{ .ReportSpec.Endpoints.Selector }}`},
	}
	errs := rt.Validate(Validate)
	if len(errs) != 1 || errs[0].Field != "spec.downloadTemplates[1].template" {
		t.Fatalf("errors %v, want one on downloadTemplates[1]", errs)
	}
	if !strings.Contains(errs[0].Detail, "with no endpoints selection") {
		t.Errorf("detail %q", errs[0].Detail)
	}
}

func TestSampleVariants(t *testing.T) {
	vs := sampleVariants()
	if len(vs) != 5 {
		t.Fatalf("%d variants", len(vs))
	}
	if vs[1].data.ReportSpec.Endpoints != nil || vs[2].data.ReportSpec.Endpoints.Namespaces != nil ||
		vs[3].data.ReportSpec.Endpoints.ServiceAccounts != nil || vs[4].data.ReportTypeSpec.AuditEventsSelection != nil {
		t.Error("a variant still has the part it should lack")
	}
	// The variants do not share state with each other or later samples.
	if Sample().ReportSpec.Endpoints == nil || Sample().ReportSpec.Endpoints.Namespaces == nil {
		t.Error("Sample shares state with its variants")
	}
	s := Sample()
	s.Sort()
	if diff := len(s.Endpoints); diff != 3 || len(s.AuditEvents) != 3 || len(s.CISBenchmark) != 2 || len(s.Flows) != 3 {
		t.Errorf("sample is missing data: %+v", s)
	}
}
