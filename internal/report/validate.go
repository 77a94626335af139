package report

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
)

// ValidateTimeout bounds the time Validate spends rendering one template
// against all the sample variants.
const ValidateTimeout = 10 * time.Second

// Validate test-renders a report template against Sample and against four
// variants of it with one optional part missing: the report's endpoints
// selection, its namespaces selection, its service-accounts selection, and
// the report type's audit-events selection. It fails when the template
// does not parse or when any rendering fails, naming the variant. It has
// the signature GlobalReportType.Validate and Load take.
func Validate(t v1.ReportTemplate) error {
	ctx, cancel := context.WithTimeout(context.Background(), ValidateTimeout)
	defer cancel()
	return validateContext(ctx, t)
}

// validateContext is Validate bounded by ctx.
func validateContext(ctx context.Context, t v1.ReportTemplate) error {
	for _, v := range sampleVariants() {
		if _, err := renderNamed(ctx, t.Name, t.Template, v.data); err != nil {
			if v.name == "" {
				return err
			}
			return fmt.Errorf("%s: %w", v.name, err)
		}
	}
	return nil
}

type sampleVariant struct {
	name string // empty for the full sample
	data *ReportData
}

// sampleVariants returns Sample and the variants Validate renders.
func sampleVariants() []sampleVariant {
	noEndpoints := Sample()
	noEndpoints.ReportSpec.Endpoints = nil
	noNamespaces := Sample()
	noNamespaces.ReportSpec.Endpoints.Namespaces = nil
	noAccounts := Sample()
	noAccounts.ReportSpec.Endpoints.ServiceAccounts = nil
	noAudit := Sample()
	noAudit.ReportTypeSpec.AuditEventsSelection = nil
	return []sampleVariant{
		{"", Sample()},
		{"with no endpoints selection", noEndpoints},
		{"with no namespaces selection", noNamespaces},
		{"with no service accounts selection", noAccounts},
		{"with no audit events selection", noAudit},
	}
}
