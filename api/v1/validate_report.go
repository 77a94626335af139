package v1

import (
	"fmt"

	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/evident-dev/evident/internal/selector"
)

// Default fills in the defaults of the CIS parameters, when they are
// present: numFailedTests 5, highThreshold 100, medThreshold 50.
func (r *GlobalReport) Default() {
	c := r.Spec.CIS
	if c == nil {
		return
	}
	if c.NumFailedTests == nil {
		c.NumFailedTests = ptrTo(DefaultCISNumFailedTests)
	}
	if c.HighThreshold == nil {
		c.HighThreshold = ptrTo(DefaultCISHighThreshold)
	}
	if c.MedThreshold == nil {
		c.MedThreshold = ptrTo(DefaultCISMedThreshold)
	}
}

// Validate checks the report: its name is a DNS subdomain, reportType is
// a valid name, the schedule parses and fires at most twice an hour (see
// ParseSchedule; an empty schedule is allowed and never fires), the
// selectors parse, the names are valid namespace and service-account
// names, and the CIS parameters are in range. Fields left unset are judged
// by their defaults. Whether the report type exists is for the caller to
// check.
func (r *GlobalReport) Validate() field.ErrorList {
	errs := validateObjectName(r.Name)
	spec := field.NewPath("spec")
	errs = append(errs, validateName(r.Spec.ReportType, spec.Child("reportType"))...)
	if r.Spec.Schedule != "" {
		if _, err := ParseSchedule(r.Spec.Schedule); err != nil {
			errs = append(errs, field.Invalid(spec.Child("schedule"), r.Spec.Schedule, err.Error()))
		}
	}
	errs = append(errs, metavalidation.ValidateLabels(r.Spec.JobNodeSelector, spec.Child("jobNodeSelector"))...)
	errs = append(errs, validateEndpoints(r.Spec.Endpoints, spec.Child("endpoints"))...)
	errs = append(errs, validateCIS(r.Spec.CIS, spec.Child("cis"))...)
	return errs
}

// validateObjectName checks metadata.name: a DNS subdomain, which also
// keeps "_" out of names (report identifiers are split on it).
func validateObjectName(name string) field.ErrorList {
	return validateName(name, field.NewPath("metadata", "name"))
}

// validateName checks a required name in DNS-subdomain form.
func validateName(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

// validateEndpoints checks the selectors and names of an endpoint
// selection.
func validateEndpoints(e *EndpointsSelection, p *field.Path) field.ErrorList {
	if e == nil {
		return nil
	}
	errs := validateSelector(e.Selector, p.Child("selector"))
	errs = append(errs, validateNamesAndLabels(e.Namespaces, p.Child("namespaces"), validation.IsDNS1123Label)...)
	// Service-account names, like those of most Kubernetes objects, are
	// DNS subdomains.
	errs = append(errs, validateNamesAndLabels(e.ServiceAccounts, p.Child("serviceAccounts"), validation.IsDNS1123Subdomain)...)
	return errs
}

// validateNamesAndLabels checks the names (with isName) and the selector of
// a match.
func validateNamesAndLabels(m *NamesAndLabelsMatch, p *field.Path, isName func(string) []string) field.ErrorList {
	if m == nil {
		return nil
	}
	var errs field.ErrorList
	for i, n := range m.Names {
		for _, msg := range isName(n) {
			errs = append(errs, field.Invalid(p.Child("names").Index(i), n, msg))
		}
	}
	return append(errs, validateSelector(m.Selector, p.Child("selector"))...)
}

// validateSelector checks that s is a Calico selector.
func validateSelector(s string, p *field.Path) field.ErrorList {
	if _, err := selector.Parse(s); err != nil {
		return field.ErrorList{field.Invalid(p, s, err.Error())}
	}
	return nil
}

// validateCIS checks the CIS benchmark parameters, judging unset values by
// their defaults.
func validateCIS(c *CISBenchmarkParams, p *field.Path) field.ErrorList {
	if c == nil {
		return nil
	}
	var errs field.ErrorList
	if c.NumFailedTests != nil && *c.NumFailedTests <= 0 {
		errs = append(errs, field.Invalid(p.Child("numFailedTests"), *c.NumFailedTests, "must be greater than 0"))
	}
	high, med := valueOr(c.HighThreshold, DefaultCISHighThreshold), valueOr(c.MedThreshold, DefaultCISMedThreshold)
	inRange := true
	for _, t := range []struct {
		name string
		v    *int
	}{{"highThreshold", c.HighThreshold}, {"medThreshold", c.MedThreshold}} {
		if t.v != nil && (*t.v < 0 || *t.v > 100) {
			errs = append(errs, field.Invalid(p.Child(t.name), *t.v, "must be between 0 and 100"))
			inRange = false
		}
	}
	if inRange && high <= med {
		errs = append(errs, field.Invalid(p.Child("highThreshold"), high,
			fmt.Sprintf("must be greater than medThreshold (%d)", med)))
	}
	for i, f := range c.ResultsFilters {
		fp := p.Child("resultsFilters").Index(i)
		if f.BenchmarkSelection != nil && f.BenchmarkSelection.KubernetesVersion == "" {
			errs = append(errs, field.Required(fp.Child("benchmarkSelection", "kubernetesVersion"), ""))
		}
		errs = append(errs, validateNonEmpty(f.Include, fp.Child("include"))...)
		errs = append(errs, validateNonEmpty(f.Exclude, fp.Child("exclude"))...)
	}
	return errs
}

// validateNonEmpty reports the empty entries of a list.
func validateNonEmpty(list []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, s := range list {
		if s == "" {
			errs = append(errs, field.Invalid(p.Index(i), s, "must not be empty"))
		}
	}
	return errs
}

func ptrTo[T any](v T) *T { return &v }

func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
