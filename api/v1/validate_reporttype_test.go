package v1

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestGlobalReportTypeValidate(t *testing.T) {
	valid := func() *GlobalReportType {
		return &GlobalReportType{
			ObjectMeta: metav1.ObjectMeta{Name: "policy-audit"},
			Spec: ReportTypeSpec{
				UISummaryTemplate: ReportTemplate{Name: "ui-summary", Template: `{"heading": "x"}`},
				DownloadTemplates: []ReportTemplate{
					{Name: "summary.csv", Description: "one row", Template: "a,b"},
					{Name: "events.json", Template: "{{ toJson .AuditEvents }}"},
				},
			},
		}
	}
	tests := []struct {
		name   string
		change func(rt *GlobalReportType)
		render func(ReportTemplate) error
		want   []string
	}{
		{"valid", func(*GlobalReportType) {}, nil, nil},
		{"no download templates", func(rt *GlobalReportType) { rt.Spec.DownloadTemplates = nil }, nil, nil},
		{"missing name", func(rt *GlobalReportType) { rt.Name = "" }, nil, []string{"metadata.name: Required value"}},
		{"missing ui summary", func(rt *GlobalReportType) { rt.Spec.UISummaryTemplate = ReportTemplate{} }, nil, []string{
			"spec.uiSummaryTemplate.name: Required value",
			"spec.uiSummaryTemplate.template: Required value",
		}},
		{"bad template name", func(rt *GlobalReportType) { rt.Spec.DownloadTemplates[0].Name = "Summary_CSV" }, nil, []string{
			`spec.downloadTemplates[0].name: Invalid value: "Summary_CSV": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
		}},
		{"empty download template", func(rt *GlobalReportType) { rt.Spec.DownloadTemplates[1].Template = "" }, nil, []string{
			"spec.downloadTemplates[1].template: Required value",
		}},
		{"download named like the ui summary", func(rt *GlobalReportType) { rt.Spec.DownloadTemplates[1].Name = "ui-summary" }, nil, []string{
			`spec.downloadTemplates[1].name: Invalid value: "ui-summary": must differ from the name of uiSummaryTemplate`,
		}},
		{"duplicate download names", func(rt *GlobalReportType) {
			rt.Spec.DownloadTemplates = append(rt.Spec.DownloadTemplates, ReportTemplate{Name: "summary.csv", Template: "x"})
		}, nil, []string{
			`spec.downloadTemplates[2].name: Invalid value: "summary.csv": is already the name of downloadTemplates[0]`,
		}},
		{"render errors", func(*GlobalReportType) {}, func(rt ReportTemplate) error {
			if rt.Name == "events.json" {
				return errors.New(`template: events.json:1: function "toJson" not defined`)
			}
			return nil
		}, []string{
			`spec.downloadTemplates[1].template: Invalid value: "{{ toJson .AuditEvents }}": template: events.json:1: function "toJson" not defined`,
		}},
		{"long template is shortened", func(rt *GlobalReportType) {
			rt.Spec.UISummaryTemplate.Template = "0123456789012345678901234567890123456789012345678901234567890123456789"
		}, func(ReportTemplate) error { return errors.New("bad") }, []string{
			`spec.uiSummaryTemplate.template: Invalid value: "012345678901234567890123456789012345678901234567890123456...": bad`,
			`spec.downloadTemplates[0].template: Invalid value: "a,b": bad`,
			`spec.downloadTemplates[1].template: Invalid value: "{{ toJson .AuditEvents }}": bad`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := valid()
			tt.change(rt)
			if diff := cmp.Diff(tt.want, errorStrings(rt.Validate(tt.render))); diff != "" {
				t.Errorf("Validate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
