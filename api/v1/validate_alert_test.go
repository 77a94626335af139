package v1

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestGlobalAlertValidate(t *testing.T) {
	valid := func() *GlobalAlert {
		return &GlobalAlert{
			ObjectMeta: metav1.ObjectMeta{Name: "policy-deletes"},
			Spec: GlobalAlertSpec{
				Summary:     "${count} deletes in ${objectRef.namespace}",
				Description: "${user.username} deleted ${count} policies",
				Severity:    50,
				DataSet:     DataSetAudit,
				Query:       "verb = delete AND objectRef.resource IN ${resources}",
				AggregateBy: []string{"user.username", "objectRef.namespace"},
				Metric:      MetricCount,
				Condition:   ConditionGt,
				Threshold:   3,
				Substitutions: []GlobalAlertSubstitution{
					{Name: "Resources", Values: []string{"networkpolicies", "globalnetworkpolicies"}},
				},
			},
		}
	}
	minute := func(n int) *metav1.Duration { return &metav1.Duration{Duration: time.Duration(n) * time.Minute} }
	tests := []struct {
		name   string
		change func(s *GlobalAlertSpec)
		want   []string
	}{
		{"valid", func(*GlobalAlertSpec) {}, nil},
		{"minimal", func(s *GlobalAlertSpec) {
			*s = GlobalAlertSpec{Description: "an audit event", Severity: 1, DataSet: DataSetAudit}
		}, nil},
		{"explicit RuleBased and durations", func(s *GlobalAlertSpec) {
			s.Type, s.Period, s.Lookback = GlobalAlertTypeRuleBased, minute(1), minute(60)
		}, nil},
		{"sum over a field", func(s *GlobalAlertSpec) {
			s.Metric, s.Field, s.Description, s.Summary = MetricSum, "responseStatus.code", "${sum}", ""
		}, nil},
		{"anomaly detection", func(s *GlobalAlertSpec) { s.Type = GlobalAlertTypeAnomalyDetection }, []string{
			`spec.type: Invalid value: "AnomalyDetection": AnomalyDetection alerts are no longer supported; use RuleBased`}},
		{"unknown type", func(s *GlobalAlertSpec) { s.Type = "Fancy" }, []string{
			`spec.type: Unsupported value: "Fancy": supported values: "RuleBased"`}},
		{"missing description", func(s *GlobalAlertSpec) { s.Description = "" }, []string{"spec.description: Required value"}},
		{"severity zero", func(s *GlobalAlertSpec) { s.Severity = 0 }, []string{
			"spec.severity: Invalid value: 0: must be between 1 and 100"}},
		{"severity above 100", func(s *GlobalAlertSpec) { s.Severity = 101 }, []string{
			"spec.severity: Invalid value: 101: must be between 1 and 100"}},
		{"short period", func(s *GlobalAlertSpec) { s.Period = &metav1.Duration{Duration: 30 * time.Second} }, []string{
			`spec.period: Invalid value: "30s": must be at least 1m0s`}},
		{"short lookback", func(s *GlobalAlertSpec) { s.Lookback = minute(0) }, []string{
			`spec.lookback: Invalid value: "0s": must be at least 1m0s`}},
		{"missing data set", func(s *GlobalAlertSpec) { s.DataSet = "" }, []string{
			"spec.dataSet: Required value: RuleBased alerts need a data set; only audit is supported"}},
		{"flows data set", func(s *GlobalAlertSpec) { s.DataSet = DataSetFlows }, []string{
			`spec.dataSet: Invalid value: "flows": this data set is not supported yet; only audit is`}},
		{"unknown data set", func(s *GlobalAlertSpec) { s.DataSet = "logs" }, []string{
			`spec.dataSet: Unsupported value: "logs": supported values: "audit"`}},
		{"bad query", func(s *GlobalAlertSpec) { s.Query = "verb = bogus" }, []string{
			`spec.query: Invalid value: "verb = bogus": query "verb = bogus": column 8: verb must be one of get, list, watch, create, update, patch, delete`}},
		{"unknown query key", func(s *GlobalAlertSpec) { s.Query = "colour = red" }, []string{
			`spec.query: Invalid value: "colour = red": query "colour = red": column 1: unknown key "colour"; valid keys are apiVersion, auditID, kind, level, name, objectRef.apiGroup, objectRef.apiVersion, objectRef.name, objectRef.resource, objectRef.namespace, requestReceivedTimestamp, requestURI, responseObject.apiVersion, responseObject.kind, responseStatus.code, sourceIPs, stage, stageTimestamp, timestamp, user.groups, user.username, verb`}},
		{"placeholder without substitution", func(s *GlobalAlertSpec) { s.Query = "verb IN ${verbs}" }, []string{
			`spec.query: Invalid value: "verb IN ${verbs}": no substitution is named "verbs"`}},
		{"placeholder matching two substitutions", func(s *GlobalAlertSpec) {
			s.Substitutions = append(s.Substitutions, GlobalAlertSubstitution{Name: "RESOURCES", Values: []string{"x"}})
		}, []string{
			`spec.query: Invalid value: "verb = delete AND objectRef.resource IN ${resources}": more than one substitution is named "resources"`}},
		{"substitution without values", func(s *GlobalAlertSpec) { s.Substitutions[0].Values = []string{""} }, []string{
			`spec.query: Invalid value: "verb = delete AND objectRef.resource IN ${resources}": substitution "Resources" has no values`}},
		{"substitution without name", func(s *GlobalAlertSpec) {
			s.Substitutions = append(s.Substitutions, GlobalAlertSubstitution{Values: []string{"x"}})
		}, []string{"spec.substitutions[1].name: Required value"}},
		{"unterminated placeholder in query", func(s *GlobalAlertSpec) { s.Query = "verb IN ${verbs" }, []string{
			`spec.query: Invalid value: "verb IN ${verbs": unterminated ${ at offset 8`}},
		{"field without metric", func(s *GlobalAlertSpec) {
			s.Metric, s.Condition, s.Field = "", "", "responseStatus.code"
			s.Description, s.Summary = "x", ""
		}, []string{"spec.field: Forbidden: needs a metric (avg, max, min or sum)"}},
		{"field with count", func(s *GlobalAlertSpec) { s.Field = "responseStatus.code" }, []string{
			"spec.field: Forbidden: must be empty for the count metric"}},
		{"avg without field", func(s *GlobalAlertSpec) { s.Metric, s.Description, s.Summary = MetricAvg, "${avg}", "" }, []string{
			"spec.field: Required value: the avg metric needs a field"}},
		{"unknown metric", func(s *GlobalAlertSpec) { s.Metric, s.Description, s.Summary = "median", "x", "" }, []string{
			`spec.metric: Unsupported value: "median": supported values: "avg", "max", "min", "sum", "count"`}},
		{"metric without condition", func(s *GlobalAlertSpec) { s.Condition = "" }, []string{
			"spec.condition: Required value: a metric needs a condition"}},
		{"unknown condition", func(s *GlobalAlertSpec) { s.Condition = ">" }, []string{
			`spec.condition: Unsupported value: ">": supported values: "eq", "not_eq", "gt", "gte", "lt", "lte"`}},
		{"detector on a rule", func(s *GlobalAlertSpec) { s.Detector = &DetectorParams{Name: "port-scan"} }, []string{
			"spec.detector: Forbidden: applies only to AnomalyDetection alerts"}},
		{"empty aggregateBy entry", func(s *GlobalAlertSpec) { s.AggregateBy = append(s.AggregateBy, "") }, []string{
			`spec.aggregateBy[2]: Invalid value: "": must not be empty`}},
		{"unknown variable in description", func(s *GlobalAlertSpec) { s.Description = "${verb} by ${user.username}" }, []string{
			`spec.description: Invalid value: "${verb} by ${user.username}": ${verb} is neither the metric nor an aggregateBy field (may use: count, user.username, objectRef.namespace)`}},
		{"metric variable of another metric", func(s *GlobalAlertSpec) { s.Summary = "${sum}" }, []string{
			`spec.summary: Invalid value: "${sum}": ${sum} is neither the metric nor an aggregateBy field (may use: count, user.username, objectRef.namespace)`}},
		{"variable without metric or aggregateBy", func(s *GlobalAlertSpec) {
			*s = GlobalAlertSpec{Description: "${count}", Severity: 1, DataSet: DataSetAudit}
		}, []string{
			`spec.description: Invalid value: "${count}": ${count} is neither the metric nor an aggregateBy field (this alert has neither)`}},
		{"unterminated variable in summary", func(s *GlobalAlertSpec) { s.Summary = "${count} in ${objectRef.namespace" }, []string{
			`spec.summary: Invalid value: "${count} in ${objectRef.namespace": unterminated ${ at offset 12`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := valid()
			tt.change(&a.Spec)
			if diff := cmp.Diff(tt.want, errorStrings(a.Validate())); diff != "" {
				t.Errorf("Validate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGlobalAlertDefault(t *testing.T) {
	a := &GlobalAlert{}
	a.Default()
	want := GlobalAlertSpec{
		Type:     GlobalAlertTypeRuleBased,
		Period:   &metav1.Duration{Duration: 5 * time.Minute},
		Lookback: &metav1.Duration{Duration: 10 * time.Minute},
	}
	if diff := cmp.Diff(want, a.Spec); diff != "" {
		t.Errorf("Default mismatch (-want +got):\n%s", diff)
	}
	set := &GlobalAlert{Spec: GlobalAlertSpec{Period: &metav1.Duration{Duration: time.Hour}}}
	set.Default()
	if set.Spec.Period.Duration != time.Hour {
		t.Errorf("Default replaced a set period: %v", set.Spec.Period)
	}
}

func TestSubstitutedQuery(t *testing.T) {
	s := GlobalAlertSpec{
		Query: `verb IN ${verbs} AND (user.username IN ${Users} OR user.username IN ${users})`,
		Substitutions: []GlobalAlertSubstitution{
			{Name: "VERBS", Values: []string{"create", "", "delete"}},
			{Name: "users", Values: []string{`system:*`, `say "hi"`}},
		},
	}
	got, err := s.SubstitutedQuery()
	if err != nil {
		t.Fatal(err)
	}
	want := `verb IN {"create", "delete"} AND (user.username IN {"system:*", "say \"hi\""} OR user.username IN {"system:*", "say \"hi\""})`
	if got != want {
		t.Errorf("SubstitutedQuery\n got %s\nwant %s", got, want)
	}
}

func TestTemplateVariables(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{"no variables, $ and { alone", nil, ""},
		{"${a} and ${b.c} and ${a}", []string{"a", "b.c", "a"}, ""},
		{"${}", []string{""}, ""},
		{"$${a}}", []string{"a"}, ""},
		{"${a", nil, "unterminated ${ at offset 0"},
		{"${a} ${b", nil, "unterminated ${ at offset 5"},
	}
	for _, tt := range tests {
		got, err := TemplateVariables(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("TemplateVariables(%q) error %v, want %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("TemplateVariables(%q): %v", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("TemplateVariables(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}
