package v1

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// seedReports are the seed's five example GlobalReports as Decode must
// return them.
func seedReports() []Object {
	report := func(name string, spec ReportSpec) Object {
		return &GlobalReport{
			TypeMeta:   metav1.TypeMeta{APIVersion: "evident.dev/v1", Kind: "GlobalReport"},
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       spec,
		}
	}
	return []Object{
		report("weekly-full-inventory", ReportSpec{
			ReportType: "inventory", Schedule: "0 0 * * 0",
			JobNodeSelector: map[string]string{"nodetype": "infrastructure"},
		}),
		report("daily-production-inventory", ReportSpec{
			ReportType: "inventory", Schedule: "0 0 * * *",
			Endpoints: &EndpointsSelection{Selector: "deployment == 'production'"},
		}),
		report("hourly-accounts-networkaccess", ReportSpec{
			ReportType: "network-access", Schedule: "0 * * * *",
			Endpoints: &EndpointsSelection{Namespaces: &NamesAndLabelsMatch{
				Names: []string{"payable", "collections", "payroll"}}},
		}),
		report("daily-accounts-networkaccess", ReportSpec{
			ReportType: "network-access", Schedule: "0 0 * * *",
			Endpoints: &EndpointsSelection{Namespaces: &NamesAndLabelsMatch{Selector: "department == 'accounts'"}},
		}),
		report("monthly-widgets-controller-tigera-policy-audit", ReportSpec{
			ReportType: "policy-audit", Schedule: "0 0 1 * *",
			Endpoints: &EndpointsSelection{
				ServiceAccounts: &NamesAndLabelsMatch{Names: []string{"controller"}},
				Namespaces:      &NamesAndLabelsMatch{Names: []string{"widgets"}},
			},
		}),
	}
}

func TestDecodeSeedSamples(t *testing.T) {
	data, err := os.ReadFile("../../config/samples/globalreports.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode("globalreports.yaml", data)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if diff := cmp.Diff(seedReports(), got); diff != "" {
		t.Errorf("Decode mismatch (-want +got):\n%s", diff)
	}
	// The sample is the seed file with one comment line added.
	seed, err := os.ReadFile("/work/shared/spec/seed-examples/globalreports.yaml")
	if err == nil {
		_, rest, _ := strings.Cut(string(data), "\n")
		if rest != string(seed) {
			t.Errorf("config/samples/globalreports.yaml differs from the seed's examples")
		}
	}
}

func TestDecode(t *testing.T) {
	alert := &GlobalAlert{
		TypeMeta:   metav1.TypeMeta{APIVersion: "evident.dev/v1", Kind: "GlobalAlert"},
		ObjectMeta: metav1.ObjectMeta{Name: "a/b"},
		Spec: GlobalAlertSpec{
			Description: "x", Severity: 100, DataSet: "audit",
			Period: &metav1.Duration{Duration: 90 * time.Second},
		},
	}
	rt := &GlobalReportType{
		TypeMeta:   metav1.TypeMeta{APIVersion: "evident.dev/v1", Kind: "GlobalReportType"},
		ObjectMeta: metav1.ObjectMeta{Name: "t", Labels: map[string]string{LabelGlobalReportType: "t"}},
		Spec: ReportTypeSpec{
			UISummaryTemplate: ReportTemplate{Name: "ui", Template: "{}"},
			DownloadTemplates: []ReportTemplate{{Name: "a.csv", Template: "x"}},
			AuditEventsSelection: &AuditEventsSelection{Resources: []AuditResource{
				{Resource: "networkpolicies", APIGroup: "networking.k8s.io"}}},
		},
	}
	report := func(name string) *GlobalReport {
		return &GlobalReport{
			TypeMeta:   metav1.TypeMeta{APIVersion: "evident.dev/v1", Kind: "GlobalReport"},
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       ReportSpec{ReportType: "inventory"},
		}
	}
	tests := []struct {
		name string
		in   string
		want []Object
	}{
		{"evident group", "apiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata: {name: r}\nspec: {reportType: inventory}\n",
			[]Object{report("r")}},
		{"calico group", "apiVersion: projectcalico.org/v3\nkind: GlobalReport\nmetadata: {name: r}\nspec: {reportType: inventory}\n",
			[]Object{report("r")}},
		{"empty documents and comments", "---\n# nothing\n---\n---\napiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata: {name: r}\nspec: {reportType: inventory}\n---\n",
			[]Object{report("r")}},
		{"empty input", "", nil},
		{"CRLF line endings", "apiVersion: evident.dev/v1\r\nkind: GlobalReport\r\nmetadata:\r\n  name: r\r\nspec:\r\n  reportType: inventory\r\n",
			[]Object{report("r")}},
		{"report type", `apiVersion: evident.dev/v1
kind: GlobalReportType
metadata:
  name: t
  labels: {global-report-type: t}
spec:
  uiSummaryTemplate: {name: ui, template: "{}"}
  downloadTemplates:
  - name: a.csv
    template: x
  auditEventsSelection:
    resources: [{resource: networkpolicies, apiGroup: networking.k8s.io}]
`, []Object{rt}},
		{"JSON with escapes YAML lacks", "{\"apiVersion\": \"evident.dev/v1\", \"kind\": \"GlobalAlert\",\n" +
			"\t\"metadata\": {\"name\": \"a\\/b\"},\n\t\"spec\": {\"description\": \"x\", \"severity\": 100, \"dataSet\": \"audit\", \"period\": \"1m30s\"}}\n",
			[]Object{alert}},
		{"JSON stream", `{"apiVersion": "evident.dev/v1", "kind": "GlobalReport", "metadata": {"name": "a"}, "spec": {"reportType": "inventory"}}
{"apiVersion": "evident.dev/v1", "kind": "GlobalReport", "metadata": {"name": "b"}, "spec": {"reportType": "inventory"}}`,
			[]Object{report("a"), report("b")}},
		{"YAML flow mapping read as YAML", "{apiVersion: evident.dev/v1, kind: GlobalReport, metadata: {name: r}, spec: {reportType: inventory}}",
			[]Object{report("r")}},
		{"kubectl List", `apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:
- apiVersion: projectcalico.org/v3
  kind: GlobalReport
  metadata: {name: a}
  spec: {reportType: inventory}
- apiVersion: evident.dev/v1
  kind: GlobalReport
  metadata: {name: b}
  spec: {reportType: inventory}
`, []Object{report("a"), report("b")}},
		{"typed List with implied kind", `apiVersion: evident.dev/v1
kind: GlobalReportList
items:
- metadata: {name: a}
  spec: {reportType: inventory}
- kind: GlobalReport
  metadata: {name: b}
  spec: {reportType: inventory}
`, []Object{report("a"), report("b")}},
		{"anchors and merge keys", `apiVersion: evident.dev/v1
kind: GlobalReport
metadata: {name: r}
spec:
  <<: &base {reportType: inventory, schedule: "0 0 * * *"}
  schedule: ""
`, []Object{report("r")}},
		{"null values", "apiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata: {name: r, labels: null}\nspec:\n  reportType: inventory\n  endpoints: ~\n",
			[]Object{report("r")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode("in", []byte(tt.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeStatus(t *testing.T) {
	in := `apiVersion: evident.dev/v1
kind: GlobalReport
metadata: {name: r, creationTimestamp: 2026-01-01T00:00:00Z}
spec: {reportType: inventory, suspend: true}
status:
  lastSuccessfulReportJobs:
  - start: 2026-01-01T00:00:00Z
    end: "2026-01-02T00:00:00Z"
    job: {kind: Job, namespace: evident, name: j1}
    jobCompletionTime: 2026-01-02T00:40:00Z
  lastScheduledReportJob: {start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z, job: null}
`
	objs, err := Decode("r.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	day := func(d, h, m int) metav1.Time { return metav1.NewTime(time.Date(2026, 1, d, h, m, 0, 0, time.UTC)) }
	end := day(2, 0, 40)
	want := ReportStatus{
		LastSuccessfulReportJobs: []CompletedReportJob{{
			ReportJob:         ReportJob{Start: day(1, 0, 0), End: day(2, 0, 0), Job: &corev1.ObjectReference{Kind: "Job", Namespace: "evident", Name: "j1"}},
			JobCompletionTime: &end,
		}},
		LastScheduledReportJob: &ReportJob{Start: day(1, 0, 0), End: day(2, 0, 0)},
	}
	r := objs[0].(*GlobalReport)
	if diff := cmp.Diff(want, r.Status); diff != "" {
		t.Errorf("status mismatch (-want +got):\n%s", diff)
	}
	if r.Spec.Suspend == nil || !*r.Spec.Suspend || !r.CreationTimestamp.Equal(&metav1.Time{Time: day(1, 0, 0).Time}) {
		t.Errorf("suspend %v, creationTimestamp %v", r.Spec.Suspend, r.CreationTimestamp)
	}
}

func TestDecodeErrors(t *testing.T) {
	const head = "apiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata: {name: r}\n"
	tests := []struct {
		name string
		in   string
		want string // the error text
	}{
		{"unknown field", "apiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata: {name: r}\nspec: {reportType: x}\n---\n" +
			head + "spec:\n  reportType: x\n  schedul: '0 0 * * *'\n",
			"reports.yaml: document 2 (line 11): spec.schedul: unknown field"},
		{"field names are case-sensitive", head + "spec:\n  ReportType: x\n",
			"reports.yaml: document 1 (line 5): spec.ReportType: unknown field"},
		{"unknown top-level field", head + "specs: {}\n",
			"reports.yaml: document 1 (line 4): specs: unknown field"},
		{"duplicate field", head + "spec:\n  reportType: x\n  reportType: y\n",
			"reports.yaml: document 1 (line 6): spec.reportType: duplicate field"},
		{"bad YAML", head + "spec:\n  reportType: x\n   schedule: y\n",
			"reports.yaml: document 1 (line 6): invalid YAML: mapping values are not allowed in this context"},
		{"bad YAML in second document", head + "---\n" + head + "spec: [\n",
			"reports.yaml: document 2 (line 8): invalid YAML: did not find expected node content"},
		{"number for a string", head + "spec:\n  reportType: 5\n",
			`reports.yaml: document 1 (line 5): spec.reportType: expected a string, got number 5 (quote it to make it a string)`},
		{"string for a bool", head + "spec:\n  reportType: x\n  suspend: 'yes'\n",
			`reports.yaml: document 1 (line 6): spec.suspend: expected true or false, got string "yes"`},
		{"list for a map", head + "spec:\n  reportType: x\n  jobNodeSelector: [a]\n",
			"reports.yaml: document 1 (line 6): spec.jobNodeSelector: expected a mapping, got a list"},
		{"map value", head + "spec:\n  reportType: x\n  jobNodeSelector: {a: {b: c}}\n",
			"reports.yaml: document 1 (line 6): spec.jobNodeSelector[a]: expected a string, got a mapping"},
		{"list element", head + "spec:\n  reportType: x\n  endpoints:\n    namespaces:\n      names:\n      - a\n      - [b]\n",
			"reports.yaml: document 1 (line 10): spec.endpoints.namespaces.names[1]: expected a string, got a list"},
		{"bad time", head + "spec: {reportType: x}\nstatus:\n  activeReportJobs:\n  - {start: yesterday, end: null}\n",
			`reports.yaml: document 1 (line 7): status.activeReportJobs[0].start: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{"bad duration", "apiVersion: evident.dev/v1\nkind: GlobalAlert\nmetadata: {name: a}\nspec:\n  period: 5 minutes\n",
			`reports.yaml: document 1 (line 5): spec.period: time: unknown unit " minutes" in duration "5 minutes"`},
		{"fraction for an int", "apiVersion: evident.dev/v1\nkind: GlobalAlert\nmetadata: {name: a}\nspec:\n  severity: 1.5\n",
			"reports.yaml: document 1 (line 5): spec.severity: expected an integer, got number 1.5"},
		{"infinite threshold", "apiVersion: evident.dev/v1\nkind: GlobalAlert\nmetadata: {name: a}\nspec:\n  threshold: .inf\n",
			"reports.yaml: document 1 (line 5): spec.threshold: expected a finite number, got number .inf"},
		{"unsupported apiVersion", "apiVersion: batch/v1\nkind: GlobalReport\n",
			`reports.yaml: document 1 (line 1): apiVersion: apiVersion "batch/v1" is not supported; use evident.dev/v1 (or projectcalico.org/v3)`},
		{"unsupported kind", "apiVersion: evident.dev/v1\nkind: Pod\n",
			`reports.yaml: document 1 (line 2): kind: kind "Pod" is not one of GlobalReport, GlobalReportType, GlobalAlert or their lists`},
		{"missing kind", "apiVersion: evident.dev/v1\nmetadata: {name: x}\n",
			"reports.yaml: document 1 (line 1): kind: required field is missing"},
		{"not a mapping", "- a\n- b\n",
			"reports.yaml: document 1 (line 1): a manifest must be a mapping with apiVersion and kind, not a list"},
		{"list item", "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(head, "\n", "\n  ") + "spec: {reportTyp: x}\n",
			"reports.yaml: document 1 (line 7): items[0].spec.reportTyp: unknown field"},
		{"wrong kind in typed list", "apiVersion: evident.dev/v1\nkind: GlobalAlertList\nitems:\n- kind: GlobalReport\n",
			`reports.yaml: document 1 (line 4): items[0].kind: kind "GlobalReport" in a list of GlobalAlert`},
		{"duplicate list field", "apiVersion: v1\nkind: List\nitems: []\nitems: []\n",
			"reports.yaml: document 1 (line 4): items: duplicate field"},
		{"unknown list field", "apiVersion: v1\nkind: List\nitem: []\n",
			"reports.yaml: document 1 (line 3): item: unknown field"},
		{"bad JSON", "{\"apiVersion\": \"evident.dev/v1\",\n \"kind\": \"GlobalReport\",\n \"spec\": {\"reportType\" \"x\"}}",
			"reports.yaml: document 1 (line 3): invalid JSON: invalid character '\"' after object key"},
		{"truncated JSON", "{\"apiVersion\": \"evident.dev/v1\",\n \"kind\": \"GlobalReport\",\n",
			"reports.yaml: document 1 (line 2): invalid JSON: unexpected end of input"},
		{"JSON unknown field", "{\"apiVersion\": \"evident.dev/v1\",\n \"kind\": \"GlobalReport\",\n \"spec\": {\n  \"reportType\": \"x\",\n  \"bogus\": 1}}",
			"reports.yaml: document 1 (line 5): spec.bogus: unknown field"},
		{"alias bomb", "apiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata:\n  managedFields:\n  - fieldsV1:\n" +
			"      a: &a [x, x, x, x, x, x, x, x, x, x]\n      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
			"      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
			"      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n" +
			"      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
			"reports.yaml: document 1 (line 6): metadata.managedFields[0].fieldsV1.*: document too large after expanding aliases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode("reports.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("Decode = %v, want error %q", objs, tt.want)
			}
			if objs != nil {
				t.Errorf("Decode returned objects with an error")
			}
			if got := firstLine(err.Error()); !matchError(got, tt.want) {
				t.Errorf("error\n got %s\nwant %s", got, tt.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("error %T is not a *DecodeError", err)
			}
		})
	}
}

// matchError reports whether an error text matches want, in which ".*:"
// stands for any field path suffix.
func matchError(got, want string) bool {
	prefix, suffix, wild := strings.Cut(want, "*:")
	if !wild {
		return got == want
	}
	return strings.HasPrefix(got, prefix) && strings.HasSuffix(got, suffix)
}

// firstLine returns the first of several joined errors.
func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

func TestDecodeReportsEveryDocument(t *testing.T) {
	in := "apiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata: {name: a, bogus: 1}\n---\n" +
		"apiVersion: evident.dev/v1\nkind: GlobalAlert\nspec: {severity: x, dataSet: 1}\n"
	_, err := Decode("f.yaml", []byte(in))
	want := "f.yaml: document 1 (line 3): metadata.bogus: unknown field\n" +
		`f.yaml: document 2 (line 7): spec.severity: expected an integer, got string "x"` + "\n" +
		"f.yaml: document 2 (line 7): spec.dataSet: expected a string, got number 1 (quote it to make it a string)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}
}

func TestDecodeErrorsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: evident.dev/v1\nkind: GlobalReport\nspec:\n")
	for i := range 50 {
		b.WriteString("  f" + strings.Repeat("x", i) + ": 1\n")
	}
	_, err := Decode("f.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("no error")
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != maxErrorsPerDocument {
		t.Errorf("%d errors, want %d", n, maxErrorsPerDocument)
	}
}
