package v1

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// errorStrings renders a validation result for comparison.
func errorStrings(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestSeedReportsAreValid(t *testing.T) {
	data, err := os.ReadFile("../../config/samples/globalreports.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Load("globalreports.yaml", data, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(objs) != 5 {
		t.Errorf("%d objects, want 5", len(objs))
	}
}

func TestGlobalReportValidate(t *testing.T) {
	valid := func() *GlobalReport {
		return &GlobalReport{
			ObjectMeta: metav1.ObjectMeta{Name: "daily.inventory-1"},
			Spec: ReportSpec{
				ReportType:      "inventory",
				Schedule:        "0 0 * * *",
				JobNodeSelector: map[string]string{"kubernetes.io/os": "linux"},
				Endpoints: &EndpointsSelection{
					Selector:        "app == 'web' && has(tier)",
					Namespaces:      &NamesAndLabelsMatch{Names: []string{"default", "kube-system"}, Selector: "dept == 'x'"},
					ServiceAccounts: &NamesAndLabelsMatch{Names: []string{"builder", "ci.bot"}, Selector: "all()"},
				},
				CIS: &CISBenchmarkParams{
					NumFailedTests: ptrTo(3), HighThreshold: ptrTo(90), MedThreshold: ptrTo(60),
					ResultsFilters: []CISBenchmarkFilter{{
						BenchmarkSelection: &CISBenchmarkSelection{KubernetesVersion: "1.13"},
						Exclude:            []string{"1.1"}, Include: []string{"1.1.2"},
					}},
				},
			},
		}
	}
	tests := []struct {
		name   string
		change func(r *GlobalReport)
		want   []string
	}{
		{"valid", func(*GlobalReport) {}, nil},
		{"minimal", func(r *GlobalReport) { r.Spec = ReportSpec{ReportType: "inventory"} }, nil},
		{"empty schedule never fires", func(r *GlobalReport) { r.Spec.Schedule = "" }, nil},
		{"hourly descriptor", func(r *GlobalReport) { r.Spec.Schedule = "@hourly" }, nil},
		{"twice an hour", func(r *GlobalReport) { r.Spec.Schedule = "0,30 * * * *" }, nil},
		{"three times an hour", func(r *GlobalReport) { r.Spec.Schedule = "0,20,40 * * * *" }, []string{
			`spec.schedule: Invalid value: "0,20,40 * * * *": fires 3 times an hour; at most 2 schedules are permitted per hour`}},
		{"every five minutes", func(r *GlobalReport) { r.Spec.Schedule = "*/5 * * * *" }, []string{
			`spec.schedule: Invalid value: "*/5 * * * *": fires 12 times an hour; at most 2 schedules are permitted per hour`}},
		{"every ten minutes", func(r *GlobalReport) { r.Spec.Schedule = "@every 10m" }, []string{
			`spec.schedule: Invalid value: "@every 10m": fires every 10m0s; at most 2 schedules are permitted per hour (every 30m0s)`}},
		{"bad cron", func(r *GlobalReport) { r.Spec.Schedule = "daily" }, []string{
			`spec.schedule: Invalid value: "daily": not a valid cron schedule: expected exactly 5 fields, found 1: [daily]`}},
		{"missing name", func(r *GlobalReport) { r.Name = "" }, []string{"metadata.name: Required value"}},
		{"underscore in name", func(r *GlobalReport) { r.Name = "a_b" }, []string{
			`metadata.name: Invalid value: "a_b": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
		{"missing report type", func(r *GlobalReport) { r.Spec.ReportType = "" }, []string{"spec.reportType: Required value"}},
		{"report type not a name", func(r *GlobalReport) { r.Spec.ReportType = "Inventory" }, []string{
			`spec.reportType: Invalid value: "Inventory": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
		{"bad node selector", func(r *GlobalReport) { r.Spec.JobNodeSelector = map[string]string{"a b": "x"} }, []string{
			`spec.jobNodeSelector: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`}},
		{"bad endpoint selector", func(r *GlobalReport) { r.Spec.Endpoints.Selector = "app = 'web'" }, []string{
			`spec.endpoints.selector: Invalid value: "app = 'web'": selector "app = 'web'": column 5: expected '==' (a single '=' is not an operator)`}},
		{"bad namespace selector", func(r *GlobalReport) { r.Spec.Endpoints.Namespaces.Selector = "has(" }, []string{
			`spec.endpoints.namespaces.selector: Invalid value: "has(": selector "has(": column 5: expected a label`}},
		{"bad service account selector", func(r *GlobalReport) { r.Spec.Endpoints.ServiceAccounts.Selector = "a ==" }, []string{
			`spec.endpoints.serviceAccounts.selector: Invalid value: "a ==": selector "a ==": column 5: expected a quoted string`}},
		{"namespace name not a label", func(r *GlobalReport) { r.Spec.Endpoints.Namespaces.Names[1] = "kube.system" }, []string{
			`spec.endpoints.namespaces.names[1]: Invalid value: "kube.system": must not contain dots`}},
		{"service account name", func(r *GlobalReport) { r.Spec.Endpoints.ServiceAccounts.Names[0] = "" }, []string{
			`spec.endpoints.serviceAccounts.names[0]: Invalid value: "": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
		{"zero failed tests", func(r *GlobalReport) { r.Spec.CIS.NumFailedTests = ptrTo(0) }, []string{
			"spec.cis.numFailedTests: Invalid value: 0: must be greater than 0"}},
		{"threshold above 100", func(r *GlobalReport) { r.Spec.CIS.HighThreshold = ptrTo(101) }, []string{
			"spec.cis.highThreshold: Invalid value: 101: must be between 0 and 100"}},
		{"negative threshold", func(r *GlobalReport) { r.Spec.CIS.MedThreshold = ptrTo(-1) }, []string{
			"spec.cis.medThreshold: Invalid value: -1: must be between 0 and 100"}},
		{"high equal to med", func(r *GlobalReport) { r.Spec.CIS.HighThreshold = ptrTo(60) }, []string{
			"spec.cis.highThreshold: Invalid value: 60: must be greater than medThreshold (60)"}},
		{"high below the default med", func(r *GlobalReport) { r.Spec.CIS = &CISBenchmarkParams{HighThreshold: ptrTo(40)} }, []string{
			"spec.cis.highThreshold: Invalid value: 40: must be greater than medThreshold (50)"}},
		{"med above the default high", func(r *GlobalReport) { r.Spec.CIS = &CISBenchmarkParams{MedThreshold: ptrTo(100)} }, []string{
			"spec.cis.highThreshold: Invalid value: 100: must be greater than medThreshold (100)"}},
		{"filter without version", func(r *GlobalReport) { r.Spec.CIS.ResultsFilters[0].BenchmarkSelection.KubernetesVersion = "" }, []string{
			"spec.cis.resultsFilters[0].benchmarkSelection.kubernetesVersion: Required value"}},
		{"empty filter entry", func(r *GlobalReport) { r.Spec.CIS.ResultsFilters[0].Include = []string{""} }, []string{
			`spec.cis.resultsFilters[0].include[0]: Invalid value: "": must not be empty`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.change(r)
			if diff := cmp.Diff(tt.want, errorStrings(r.Validate())); diff != "" {
				t.Errorf("Validate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGlobalReportDefault(t *testing.T) {
	r := &GlobalReport{Spec: ReportSpec{CIS: &CISBenchmarkParams{MedThreshold: ptrTo(20)}}}
	r.Default()
	want := &CISBenchmarkParams{NumFailedTests: ptrTo(5), HighThreshold: ptrTo(100), MedThreshold: ptrTo(20)}
	if diff := cmp.Diff(want, r.Spec.CIS); diff != "" {
		t.Errorf("Default mismatch (-want +got):\n%s", diff)
	}
	none := &GlobalReport{}
	none.Default()
	if none.Spec.CIS != nil {
		t.Errorf("Default added CIS parameters to a report without them")
	}
}

func TestLoad(t *testing.T) {
	in := `apiVersion: evident.dev/v1
kind: GlobalReportType
metadata: {name: t}
spec:
  uiSummaryTemplate: {name: ui, template: "{}"}
  downloadTemplates:
  - name: a.csv
    template: "{{ .Bad }}"
---
apiVersion: v1
kind: List
items:
- apiVersion: evident.dev/v1
  kind: GlobalReport
  metadata:
    name: r
  spec:
    reportType: inventory
    schedule: "*/5 * * * *"
    cis:
      highThreshold: 10
- apiVersion: projectcalico.org/v3
  kind: GlobalReport
  metadata: {name: r}
  spec:
    reportType: inventory
---
apiVersion: evident.dev/v1
kind: GlobalAlert
metadata: {name: a}
spec:
  severity: 100
  dataSet: audit
`
	render := func(rt ReportTemplate) error {
		if strings.Contains(rt.Template, "Bad") {
			return errors.New("template: a.csv:1:3: can't evaluate field Bad")
		}
		return nil
	}
	_, err := Load("all.yaml", []byte(in), render)
	want := []string{
		`all.yaml: document 1 (line 8): spec.downloadTemplates[0].template: Invalid value: "{{ .Bad }}": template: a.csv:1:3: can't evaluate field Bad`,
		`all.yaml: document 2 (line 19): items[0].spec.schedule: Invalid value: "*/5 * * * *": fires 12 times an hour; at most 2 schedules are permitted per hour`,
		`all.yaml: document 2 (line 21): items[0].spec.cis.highThreshold: Invalid value: 10: must be greater than medThreshold (50)`,
		`all.yaml: document 2 (line 24): items[1].metadata.name: Duplicate value: "r": GlobalReport "r" is also defined in document 2`,
		`all.yaml: document 3 (line 31): spec.description: Required value`,
	}
	if err == nil {
		t.Fatal("Load succeeded")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("Load errors mismatch (-want +got):\n%s", diff)
	}

	objs, err := Load("ok.yaml", []byte("apiVersion: evident.dev/v1\nkind: GlobalAlert\nmetadata: {name: a}\n"+
		"spec: {severity: 1, description: d, dataSet: audit}\n"), nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if a := objs[0].(*GlobalAlert); a.Spec.Type != GlobalAlertTypeRuleBased || a.Spec.Period == nil {
		t.Errorf("Load did not apply defaults: %+v", a.Spec)
	}
}

func TestLineOf(t *testing.T) {
	in := `metadata:
  name: x
  labels:
    app.kubernetes.io/name: y
spec:
  list:
  - a
  - b: 1
    c: 2
  alias: *x
`
	docs, err := readYAMLDocuments("f", []byte(strings.Replace(in, "name: x", "name: &x x", 1)))
	if err != nil {
		t.Fatal(err)
	}
	root := docs[0].node
	tests := []struct {
		path string
		want int
	}{
		{"", 1},
		{"metadata.name", 2},
		{"metadata.labels[app.kubernetes.io/name]", 4},
		{"spec.list", 6},
		{"spec.list[0]", 7},
		{"spec.list[1].c", 9},
		{"spec.list[5]", 6},
		{"spec.missing.deeper", 5},
		{"spec.alias", 10},
	}
	for _, tt := range tests {
		if got := lineOf(root, tt.path); got != tt.want {
			t.Errorf("lineOf(%q) = %d, want %d", tt.path, got, tt.want)
		}
	}
}
