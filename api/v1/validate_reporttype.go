package v1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate checks the report type: its name is a DNS subdomain, the UI
// summary template and every download template have a valid name and a
// non-empty template, and no two templates share a name. render, when not
// nil, test-renders each template; its error is reported on the template.
// The report engine provides it, rendering against sample report data.
func (t *GlobalReportType) Validate(render func(ReportTemplate) error) field.ErrorList {
	errs := validateObjectName(t.Name)
	spec := field.NewPath("spec")
	ui := t.Spec.UISummaryTemplate
	errs = append(errs, validateTemplate(ui, spec.Child("uiSummaryTemplate"), render)...)
	first := make(map[string]int) // download template name -> index
	for i, dt := range t.Spec.DownloadTemplates {
		p := spec.Child("downloadTemplates").Index(i)
		errs = append(errs, validateTemplate(dt, p, render)...)
		if dt.Name == "" {
			continue
		}
		switch j, dup := first[dt.Name]; {
		case dt.Name == ui.Name:
			errs = append(errs, field.Invalid(p.Child("name"), dt.Name,
				"must differ from the name of uiSummaryTemplate"))
		case dup:
			errs = append(errs, field.Invalid(p.Child("name"), dt.Name,
				fmt.Sprintf("is already the name of downloadTemplates[%d]", j)))
		default:
			first[dt.Name] = i
		}
	}
	return errs
}

// validateTemplate checks one template's name and text and test-renders it.
func validateTemplate(t ReportTemplate, p *field.Path, render func(ReportTemplate) error) field.ErrorList {
	errs := validateName(t.Name, p.Child("name"))
	if t.Template == "" {
		return append(errs, field.Required(p.Child("template"), ""))
	}
	if render != nil {
		if err := render(t); err != nil {
			errs = append(errs, field.Invalid(p.Child("template"), shorten(t.Template), err.Error()))
		}
	}
	return errs
}

// shorten cuts a long value for an error message; template texts can run
// to pages.
func shorten(s string) string {
	const max = 60
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-3]) + "..."
}
