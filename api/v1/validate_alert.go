package v1

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/evident-dev/evident/internal/query"
)

// Default fills in the type (RuleBased), the period (5m) and the lookback
// (10m) when they are unset.
func (a *GlobalAlert) Default() {
	if a.Spec.Type == "" {
		a.Spec.Type = GlobalAlertTypeRuleBased
	}
	if a.Spec.Period == nil {
		a.Spec.Period = &metav1.Duration{Duration: DefaultAlertPeriod}
	}
	if a.Spec.Lookback == nil {
		a.Spec.Lookback = &metav1.Duration{Duration: DefaultAlertLookback}
	}
}

// Validate checks the alert. Only RuleBased alerts over the audit data set
// are accepted. The description is required and the severity lies in
// 1..100; period and lookback, when set, are at least a minute; the query
// parses once its ${name} placeholders are substituted; the metric, field
// and condition fit together; and every ${name} in the description and
// summary is the metric or an aggregateBy field. An empty type is judged as
// RuleBased and unset durations by their defaults.
func (a *GlobalAlert) Validate() field.ErrorList {
	errs := validateObjectName(a.Name)
	s := &a.Spec
	spec := field.NewPath("spec")
	switch s.Type {
	case "", GlobalAlertTypeRuleBased:
	case GlobalAlertTypeAnomalyDetection:
		return append(errs, field.Invalid(spec.Child("type"), s.Type,
			"AnomalyDetection alerts are no longer supported; use RuleBased"))
	default:
		return append(errs, field.NotSupported(spec.Child("type"), s.Type,
			[]GlobalAlertType{GlobalAlertTypeRuleBased}))
	}
	if s.Description == "" {
		errs = append(errs, field.Required(spec.Child("description"), ""))
	}
	if s.Severity < 1 || s.Severity > 100 {
		errs = append(errs, field.Invalid(spec.Child("severity"), s.Severity, "must be between 1 and 100"))
	}
	errs = append(errs, validateDuration(s.Period, MinAlertPeriod, spec.Child("period"))...)
	errs = append(errs, validateDuration(s.Lookback, MinAlertLookback, spec.Child("lookback"))...)
	if s.Detector != nil {
		errs = append(errs, field.Forbidden(spec.Child("detector"), "applies only to AnomalyDetection alerts"))
	}
	errs = append(errs, validateDataSetAndQuery(s, spec)...)
	errs = append(errs, validateMetric(s, spec)...)
	for i, f := range s.AggregateBy {
		if f == "" {
			errs = append(errs, field.Invalid(spec.Child("aggregateBy").Index(i), f, "must not be empty"))
		}
	}
	errs = append(errs, validateAlertText(s, s.Description, spec.Child("description"))...)
	errs = append(errs, validateAlertText(s, s.Summary, spec.Child("summary"))...)
	return errs
}

// validateDuration checks an optional duration against its minimum.
func validateDuration(d *metav1.Duration, min time.Duration, p *field.Path) field.ErrorList {
	if d != nil && d.Duration < min {
		return field.ErrorList{field.Invalid(p, d.Duration.String(), "must be at least "+min.String())}
	}
	return nil
}

// validateDataSetAndQuery checks the data set, the substitutions and the
// query.
func validateDataSetAndQuery(s *GlobalAlertSpec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.DataSet {
	case DataSetAudit:
	case "":
		errs = append(errs, field.Required(spec.Child("dataSet"), "RuleBased alerts need a data set; only audit is supported"))
	case DataSetFlows, DataSetDNS, DataSetL7, DataSetWAF, DataSetVulnerability:
		errs = append(errs, field.Invalid(spec.Child("dataSet"), s.DataSet,
			"this data set is not supported yet; only audit is"))
	default:
		errs = append(errs, field.NotSupported(spec.Child("dataSet"), s.DataSet, []string{DataSetAudit}))
	}
	for i, sub := range s.Substitutions {
		if sub.Name == "" {
			errs = append(errs, field.Required(spec.Child("substitutions").Index(i).Child("name"), ""))
		}
	}
	q, err := s.SubstitutedQuery()
	if err != nil {
		return append(errs, field.Invalid(spec.Child("query"), s.Query, err.Error()))
	}
	if s.DataSet == DataSetAudit {
		if err := query.Validate(q); err != nil {
			errs = append(errs, field.Invalid(spec.Child("query"), s.Query, err.Error()))
		}
	}
	return errs
}

// validateMetric checks that metric, field and condition fit together.
func validateMetric(s *GlobalAlertSpec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	metric, fld, cond := spec.Child("metric"), spec.Child("field"), spec.Child("condition")
	switch s.Metric {
	case "":
		if s.Field != "" {
			errs = append(errs, field.Forbidden(fld, "needs a metric (avg, max, min or sum)"))
		}
	case MetricCount:
		if s.Field != "" {
			errs = append(errs, field.Forbidden(fld, "must be empty for the count metric"))
		}
	case MetricAvg, MetricMax, MetricMin, MetricSum:
		if s.Field == "" {
			errs = append(errs, field.Required(fld, "the "+s.Metric+" metric needs a field"))
		}
	default:
		errs = append(errs, field.NotSupported(metric, s.Metric,
			[]string{MetricAvg, MetricMax, MetricMin, MetricSum, MetricCount}))
	}
	switch s.Condition {
	case "":
		if s.Metric != "" {
			errs = append(errs, field.Required(cond, "a metric needs a condition"))
		}
	case ConditionEq, ConditionNotEq, ConditionGt, ConditionGte, ConditionLt, ConditionLte:
	default:
		errs = append(errs, field.NotSupported(cond, s.Condition,
			[]string{ConditionEq, ConditionNotEq, ConditionGt, ConditionGte, ConditionLt, ConditionLte}))
	}
	return errs
}

// validateAlertText checks that every ${name} in an event text is the
// metric or an aggregateBy field.
func validateAlertText(s *GlobalAlertSpec, text string, p *field.Path) field.ErrorList {
	vars, err := TemplateVariables(text)
	if err != nil {
		return field.ErrorList{field.Invalid(p, shorten(text), err.Error())}
	}
	var allowed []string
	if s.Metric != "" {
		allowed = append(allowed, s.Metric)
	}
	allowed = append(allowed, s.AggregateBy...)
	var errs field.ErrorList
	for _, v := range vars {
		if slices.Contains(allowed, v) {
			continue
		}
		msg := fmt.Sprintf("${%s} is neither the metric nor an aggregateBy field", v)
		if len(allowed) > 0 {
			msg += " (may use: " + strings.Join(allowed, ", ") + ")"
		} else {
			msg += " (this alert has neither)"
		}
		errs = append(errs, field.Invalid(p, shorten(text), msg))
	}
	return errs
}

// TemplateVariables returns the names of the ${name} references in text, in
// order and with repeats. A "${" without a closing "}" is an error.
func TemplateVariables(text string) ([]string, error) {
	var vars []string
	rest := text
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			return vars, nil
		}
		end := strings.IndexByte(rest[i+2:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unterminated ${ at offset %d", len(text)-len(rest)+i)
		}
		vars = append(vars, rest[i+2:i+2+end])
		rest = rest[i+2+end+1:]
	}
}

// SubstitutedQuery returns the query with each ${name} placeholder
// replaced by the values of the substitution of that name (compared without
// regard to case), written as a set: {"v1", "v2"}. A placeholder with no
// substitution, with more than one, or whose substitution has no values is
// an error.
func (s *GlobalAlertSpec) SubstitutedQuery() (string, error) {
	vars, err := TemplateVariables(s.Query)
	if err != nil {
		return "", err
	}
	q := s.Query
	for _, v := range vars {
		sub, err := s.substitution(v)
		if err != nil {
			return "", err
		}
		var members []string
		for _, val := range sub.Values {
			if val != "" {
				members = append(members, strconv.Quote(val))
			}
		}
		if len(members) == 0 {
			return "", fmt.Errorf("substitution %q has no values", sub.Name)
		}
		q = strings.Replace(q, "${"+v+"}", "{"+strings.Join(members, ", ")+"}", 1)
	}
	return q, nil
}

// substitution finds the one substitution named name, ignoring case.
func (s *GlobalAlertSpec) substitution(name string) (*GlobalAlertSubstitution, error) {
	var found *GlobalAlertSubstitution
	for i := range s.Substitutions {
		if !strings.EqualFold(s.Substitutions[i].Name, name) {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("more than one substitution is named %q", name)
		}
		found = &s.Substitutions[i]
	}
	if found == nil {
		return nil, errors.New("no substitution is named " + strconv.Quote(name))
	}
	return found, nil
}
