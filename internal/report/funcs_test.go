package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/evident-dev/evident/api/v1"
)

// renderOK renders tmpl against d and fails the test on error.
func renderOK(t *testing.T, tmpl string, d *ReportData) string {
	t.Helper()
	out, err := Render(tmpl, d)
	if err != nil {
		t.Fatalf("Render(%q): %v", tmpl, err)
	}
	return out
}

func TestTemplateFunctions(t *testing.T) {
	d := sortedFixture(t)
	tests := []struct {
		name, tmpl, want string
	}{
		{"toJson", `{{ toJson .EndpointsSummary }}`, `{"numTotal":4,"numServiceAccounts":2,"numIngressProtected":3,"numEgressProtected":1,"numIngressFromInternet":2,"numEgressToInternet":1,"numIngressFromOtherNamespace":1,"numEgressToOtherNamespace":1,"numEnvoyEnabled":1}`},
		{"toJson no HTML escaping", `{{ toJson "<a&b>" }}`, `"<a&b>"`},
		{"toJson ResourceID", `{{ toJson (index .Endpoints 0).Endpoint }}`, `"HostEndpoint(node-a-eth0)"`},
		{"toYaml", `{{ toYaml .AuditSummary }}`, "numCreate: 1\nnumDelete: 1\nnumModify: 2\nnumTotal: 4\n"},
		{"toYaml list", `{{ toYaml .ReportSpec.Endpoints.Namespaces.Names }}`, "- payroll\n- billing\n"},
		{"joinN fewer", `{{ joinN ";" 5 .ReportSpec.Endpoints.Namespaces.Names }}`, "payroll;billing"},
		{"joinN cut", `{{ joinN ";" 1 (index .Endpoints 3).AppliedPolicies }}`, "GlobalNetworkPolicy(security.default-deny)"},
		{"joinN zero", `{{ joinN ";" 0 .ReportSpec.Endpoints.Namespaces.Names }}`, ""},
		{"joinN negative", `{{ joinN ";" -1 .ReportSpec.Endpoints.Namespaces.Names }}`, ""},
		{"joinN nil", `{{ joinN ";" 3 nil }}`, ""},
		{"joinN scalar", `{{ joinN ";" 3 "one" }}`, "one"},
		{"dateRfc3339 metav1.Time", `{{ dateRfc3339 .StartTime }}`, "2026-03-02T00:00:00Z"},
		{"dateRfc3339 *metav1.Time", `{{ dateRfc3339 (index .EvidenceCoverage.Baselines 0).SnapshotTime }}`, "2026-03-01T00:00:02Z"},
		{"dateRfc3339 nil *metav1.Time", `{{ dateRfc3339 (index .EvidenceCoverage.Baselines 2).SnapshotTime }}`, ""},
		{"dateRfc3339 time.Time", `{{ dateRfc3339 .EndTime.Time }}`, "2026-03-09T00:00:00Z"},
		{"dateRfc3339 nil", `{{ dateRfc3339 nil }}`, ""},
		{"sprig join of IDs", `{{ join "|" (index .Endpoints 1).Services }}`, "Service.v1(billing/web)|Service.v1(billing/web-canary)"},
		{"sprig arithmetic", `{{ sub 10 3 }} {{ add1 4 }} {{ int "7" }}`, "7 5 7"},
		{"sprig default", `{{ default "none" "" }}`, "none"},
		{"sprig toStrings", `{{ toStrings (list 1 2) }}`, "[1 2]"},
		{"ResourceID text", `{{ (index .Endpoints 2).Endpoint }}`, "Pod.v1(payroll/api-0)"},
		{"ResourceID fields", `{{ with (index .Endpoints 2).Endpoint }}{{ .Kind }} {{ .Namespace }} {{ .Name }}{{ end }}`, "Pod payroll api-0"},
		{"booleans", `{{ (index .Endpoints 1).IngressProtected }} {{ (index .Endpoints 1).EgressProtected }}`, "true false"},
		{"audit event map", `{{ range .AuditEvents }}{{ .Map.verb }} {{ .Map.objectRef.name }};{{ end }}`, "create allow-web;update default.allow-lb;patch security.default-deny;delete legacy;"},
		{"flowsPrefix by aggregation", `{{ flowsPrefix (index .Endpoints 1) }}`, "web-5d8f-*"},
		{"flowsPrefix host endpoint", `{{ flowsPrefix (index .Endpoints 0) }}`, "node-a"},
		{"flowsIngress", `{{ join ";" (flowsIngress (index .Endpoints 1)) }}`, "NetworkSet(billing/lb-ranges);Public"},
		{"flowsEgress", `{{ join ";" (flowsEgress (index .Endpoints 1)) }}`, "Pod.v1(payroll/api-*)"},
		{"flowsEgress host endpoint", `{{ join ";" (flowsEgress (index .Endpoints 0)) }}`, "Private"},
		{"flowsIngress none", `{{ len (flowsIngress (index .Endpoints 0)) }}`, "0"},
		{"cisTopFailedTests", `{{ range (cisTopFailedTests .).Tests }}{{ .TestNumber }}={{ .Count }} {{ end }}`, "1.1.10=2 1.2.1=1 "},
		{"cisResults", `{{ range cisResults .CISBenchmark "WARN" }}{{ .NodeName }}/{{ .Section }}/{{ .TestNumber }} {{ end }}`, "node-a/1.2/1.2.2 node-b/1.2/1.2.2 node-c/1.2/1.2.2 "},
		{"cisResults all", `{{ len (cisResults .CISBenchmark) }}`, "12"},
		{"csvCell", `{{ csvCell "=1+2" }}|{{ csvCell "a,b" }}|{{ csvCell "-1" }}`, `'=1+2|"a,b"|-1`},
		{"baseline text", `{{ range .EvidenceCoverage.Baselines }}{{ .Kind }}={{ .SnapshotText }} {{ end }}`, "namespaces=2026-03-01T00:00:02Z pods=2026-03-01T00:00:04Z tiers=none "},
		{"printf", `{{ printf "%05d" 42 }}`, "00042"},
		{"range over int", `{{ range 3 }}x{{ end }}`, "xxx"},
		{"define and template", `{{ define "row" }}[{{ . }}]{{ end }}{{ template "row" 1 }}{{ template "row" 2 }}`, "[1][2]"},
		{"bounded repeat", `{{ repeat 3 "ab" }}`, "ababab"},
		{"bounded until", `{{ until 3 }} {{ until -2 }}`, "[0 1 2] [0 -1]"},
		{"bounded untilStep", `{{ untilStep 0 10 4 }} {{ untilStep 5 0 -2 }} {{ untilStep 0 5 -1 }}`, "[0 4 8] [5 3 1] []"},
		{"bounded seq", `{{ seq 3 }}|{{ seq 2 4 }}|{{ seq 0 2 6 }}`, "1 2 3|2 3 4|0 2 4 6"},
		{"bounded indent", `{{ indent 2 "a\nb" }}|{{ nindent 1 "c" }}`, "  a\n  b|\n c"},
		{"bounded randAlpha", `{{ len (randAlpha 12) }}`, "12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := renderOK(t, tc.tmpl, d); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestTemplateFunctionErrors(t *testing.T) {
	tests := []struct {
		name, tmpl, want string
	}{
		{"env removed", `{{ env "HOME" }}`, `function "env" not defined`},
		{"expandenv removed", `{{ expandenv "$HOME" }}`, `function "expandenv" not defined`},
		{"getHostByName removed", `{{ getHostByName "localhost" }}`, `function "getHostByName" not defined`},
		{"genPrivateKey removed", `{{ genPrivateKey "rsa" }}`, `function "genPrivateKey" not defined`},
		{"dateRfc3339 bad type", `{{ dateRfc3339 "yesterday" }}`, "dateRfc3339: cannot format a string"},
		{"toJson bad value", `{{ toJson (index .AuditEvents 0) }}`, "toJson"},
		{"repeat negative", `{{ repeat -1 "a" }}`, "negative count"},
		{"indent negative", `{{ indent -1 "a" }}`, "negative width"},
		{"fail", `{{ fail "stop here" }}`, "stop here"},
		{"panicking function", `{{ randInt 5 5 }}`, "error calling randInt"},
		{"missing field", `{{ .Nope }}`, "can't evaluate field Nope"},
	}
	d := Sample()
	d.AuditEvents = []AuditEvent{AuditEvent(`{"broken":`)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(tc.tmpl, d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDateRFC3339Types(t *testing.T) {
	at := time.Date(2026, 1, 2, 4, 5, 6, 0, time.FixedZone("X", 3600))
	mt := metav1.NewTime(at)
	var nilTime *time.Time
	var nilMeta *metav1.Time
	for _, v := range []any{at, &at, mt, &mt} {
		got, err := dateRFC3339(v)
		if err != nil || got != "2026-01-02T03:05:06Z" {
			t.Errorf("dateRFC3339(%T) = %q, %v", v, got, err)
		}
	}
	for _, v := range []any{nilTime, nilMeta, nil} {
		if got, err := dateRFC3339(v); err != nil || got != "" {
			t.Errorf("dateRFC3339(%T nil) = %q, %v", v, got, err)
		}
	}
}

func TestFlowsByEndpointName(t *testing.T) {
	// Flows recorded under the pod's own name win over its aggregation
	// name.
	d := &ReportData{
		Endpoints: []EndpointsReportEndpoint{{
			Endpoint:               ResourceID{Kind: "Pod", APIVersion: "v1", Namespace: "ns", Name: "db-0"},
			FlowLogAggregationName: "db-*",
		}},
		Flows: []EndpointsReportFlow{
			{Source: FlowEndpoint{Kind: FlowKindPod, Namespace: "ns", Name: "db-0"}, Destination: FlowEndpoint{Kind: FlowKindPublic}},
			{Source: FlowEndpoint{Kind: FlowKindPod, Namespace: "ns", Name: "db-0"}, Destination: FlowEndpoint{Kind: FlowKindPublic}},
			{Source: FlowEndpoint{Kind: FlowKindPod, Namespace: "ns", Name: "db-*", NameIsAggregationPrefix: true}, Destination: FlowEndpoint{Kind: FlowKindPrivate}},
			{Source: FlowEndpoint{Kind: FlowKindPod, Namespace: "other", Name: "x"}, Destination: FlowEndpoint{Kind: FlowKindPod, Namespace: "ns", Name: "db-0"}},
		},
	}
	got := renderOK(t, `{{ range .Endpoints }}{{ flowsPrefix . }}|{{ join ";" (flowsIngress .) }}|{{ join ";" (flowsEgress .) }}{{ end }}`, d)
	if want := "db-0|Pod.v1(other/x)|Public"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A pointer to an endpoint works too.
	r := newRenderer(t.Context(), d)
	if got := r.flowsPrefix(d.Endpoints[0]); got != "db-0" {
		t.Errorf("flowsPrefix = %q", got)
	}
	if got := renderOK(t, `{{ flowsPrefix (index .Endpoints 0) }}`, &ReportData{Endpoints: d.Endpoints}); got != "" {
		t.Errorf("flowsPrefix without flows = %q", got)
	}
}

func TestCISTopFailedTestsLimit(t *testing.T) {
	d := sortedFixture(t)
	one := 1
	d.ReportSpec.CIS = &v1.CISBenchmarkParams{NumFailedTests: &one}
	if got := cisTopFailedTests(d); len(got.Tests) != 1 || got.Tests[0].TestNumber != "1.1.10" || got.Tests[0].Count != 2 {
		t.Errorf("with numFailedTests 1: %+v", got)
	}
	d.ReportSpec.CIS = nil // default 5
	if got := cisTopFailedTests(d); len(got.Tests) != 2 {
		t.Errorf("default limit: %+v", got)
	}
	if got := cisTopFailedTests(nil); got.Tests == nil || len(got.Tests) != 0 {
		t.Errorf("nil report: %+v", got)
	}
	// Ties are in test-index order.
	d = &ReportData{CISBenchmark: []CISBenchmarkNode{{NodeName: "n", Results: []CISBenchmarkSectionResult{{Section: "1", Results: []CISBenchmarkResult{
		{TestNumber: "1.10", Status: "FAIL"}, {TestNumber: "1.9", Status: "FAIL"}, {TestNumber: "1.2", Status: "PASS"},
	}}}}}}
	var nums []string
	for _, ft := range cisTopFailedTests(d).Tests {
		nums = append(nums, ft.TestNumber)
	}
	if diff := cmp.Diff([]string{"1.9", "1.10"}, nums); diff != "" {
		t.Errorf("tie order (-want +got):\n%s", diff)
	}
}

func TestRenderLimits(t *testing.T) {
	tests := []struct {
		name, tmpl string
		want       error
	}{
		{"output", `{{ range 70 }}{{ repeat 1048576 "x" }}{{ end }}`, ErrOutputTooLarge},
		{"repeat", `{{ repeat 100000000 "abc" }}`, ErrOutputTooLarge},
		{"until", `{{ until 100000000 }}`, ErrOutputTooLarge},
		{"untilStep", `{{ untilStep 0 100000000 1 }}`, ErrOutputTooLarge},
		{"seq", `{{ seq 100000000 }}`, ErrOutputTooLarge},
		{"indent", `{{ indent 100000000 "a" }}`, ErrOutputTooLarge},
		{"randAlpha", `{{ randAlpha 100000000 }}`, ErrOutputTooLarge},
		{"doubling string", `{{ $s := "x" }}{{ range 40 }}{{ $s = cat $s $s }}{{ end }}`, ErrOutputTooLarge},
		{"csv output", `{{ $c := csv }}{{ $c.AddColumn "a" "{{ repeat 1048576 \"x\" }}" }}{{ $c.Render (until 70) }}`, ErrOutputTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(tc.tmpl, Sample())
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}
