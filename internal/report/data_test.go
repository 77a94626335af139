package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evident-dev/evident/internal/policy"
)

func TestReportJSONRoundTrip(t *testing.T) {
	d := sortedFixture(t)
	r := &Report{ID: "weekly-finance_network-access_8b368b5a-64a7-54b0-a8a2-8a714dec3e82", ReportData: *d, UISummary: `{"a":1}`}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"id", "uiSummary", "reportName", "reportTypeName", "reportSpec", "reportTypeSpec",
		"startTime", "endTime", "generationTime", "endpoints", "endpointsSummary", "namespaces", "namespacesSummary",
		"services", "servicesSummary", "auditEvents", "auditSummary", "flows", "cisBenchmark", "cisBenchmarkSummary",
		"evidenceCoverage"} {
		if _, ok := top[key]; !ok {
			t.Errorf("stored report has no %q", key)
		}
	}
	if len(top) != 21 {
		t.Errorf("stored report has %d keys, want 21", len(top))
	}
}

func TestReportJSONOmitsZeroes(t *testing.T) {
	d := &ReportData{
		ReportName: "r",
		Endpoints: []EndpointsReportEndpoint{{
			Endpoint: ResourceID{Kind: "HostEndpoint", APIVersion: "projectcalico.org/v3", Name: "h"},
		}},
		EndpointsSummary: EndpointsSummary{NumTotal: 1},
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, absent := range []string{"ingressProtected", "envoyEnabled", "appliedPolicies", "numIngressProtected",
		"namespacesSummary", "servicesSummary", "auditSummary", "cisBenchmarkSummary", "evidenceCoverage",
		"auditEvents", "flows", `"namespace"`} {
		if strings.Contains(got, absent) {
			t.Errorf("JSON has %s: %s", absent, got)
		}
	}
	if !strings.Contains(got, `"endpointsSummary":{"numTotal":1}`) {
		t.Errorf("JSON lacks the summary: %s", got)
	}
	if !strings.Contains(got, `"endpoint":"HostEndpoint(h)"`) {
		t.Errorf("JSON form of the endpoint ID: %s", got)
	}
}

func TestAuditEventJSON(t *testing.T) {
	raw := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create","objectRef":{"name":"x"}}`
	var events []AuditEvent
	if err := json.Unmarshal([]byte("[ "+raw+" , null ]"), &events); err != nil {
		t.Fatal(err)
	}
	if string(events[0]) != raw {
		t.Errorf("event kept as %s", events[0])
	}
	b, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[" + raw + ",null]"; string(b) != want {
		t.Errorf("marshalled %s, want %s", b, want)
	}
	if m := events[0].Map(); m["verb"] != "create" {
		t.Errorf("Map() = %v", m)
	}
	if m := AuditEvent("not json").Map(); m != nil {
		t.Errorf("Map() of bad JSON = %v", m)
	}
	var empty AuditEvent
	if b, _ := json.Marshal(empty); string(b) != "null" {
		t.Errorf("empty event marshals as %s", b)
	}
}

func TestReportSummary(t *testing.T) {
	r := &Report{ID: "x", ReportData: *sortedFixture(t), UISummary: "{}"}
	s := r.Summary()
	if s.Endpoints != nil || s.Namespaces != nil || s.Services != nil || s.AuditEvents != nil || s.Flows != nil {
		t.Error("Summary kept a list")
	}
	if s.EndpointsSummary.NumTotal != 4 || s.AuditSummary.NumTotal != 4 || s.ID != "x" || s.UISummary != "{}" {
		t.Errorf("Summary lost a summary: %+v", s)
	}
	if len(r.Endpoints) != 4 {
		t.Error("Summary changed the report")
	}
}

func TestResourceIDString(t *testing.T) {
	tests := []struct {
		id   ResourceID
		want string
	}{
		{ResourceID{Kind: "Pod", APIVersion: "v1", Namespace: "ns1", Name: "pod-abc"}, "Pod.v1(ns1/pod-abc)"},
		{ResourceID{Kind: "HostEndpoint", APIVersion: "projectcalico.org/v3", Name: "hep1"}, "HostEndpoint(hep1)"},
		{ResourceID{Kind: "NetworkPolicy", APIVersion: "projectcalico.org/v3", Namespace: "ns1", Name: "tier.np1"}, "NetworkPolicy(ns1/tier.np1)"},
		{ResourceID{Kind: "GlobalNetworkPolicy", APIVersion: "projectcalico.org/v3", Name: "gnp1"}, "GlobalNetworkPolicy(gnp1)"},
		{ResourceID{Kind: "NetworkPolicy", APIVersion: "networking.k8s.io/v1", Namespace: "ns", Name: "name"}, "NetworkPolicy.networking.k8s.io/v1(ns/name)"},
		{ResourceID{Kind: "Service", APIVersion: "v1", Namespace: "ns", Name: "svc"}, "Service.v1(ns/svc)"},
		{ResourceID{Kind: "Namespace", APIVersion: "v1", Name: "ns"}, "Namespace.v1(ns)"},
	}
	for _, tc := range tests {
		if got := tc.id.String(); got != tc.want {
			t.Errorf("%+v prints %q, want %q", tc.id, got, tc.want)
		}
	}
	pids := []policy.ResourceID{policy.ServiceID("ns", "svc"), policy.NamespaceID("ns")}
	ids := ResourceIDs(pids)
	if ids[0].String() != "Service.v1(ns/svc)" || ids[1] != (ResourceID{Kind: "Namespace", APIVersion: "v1", Name: "ns"}) {
		t.Errorf("ResourceIDs = %v", ids)
	}
	if ResourceIDs(nil) != nil {
		t.Error("ResourceIDs(nil) is not nil")
	}
}

func TestFlowEndpointString(t *testing.T) {
	tests := []struct {
		e    FlowEndpoint
		want string
	}{
		{FlowEndpoint{Kind: "Pod", Namespace: "ns", Name: "nginx-*", NameIsAggregationPrefix: true}, "Pod.v1(ns/nginx-*)"},
		{FlowEndpoint{Kind: "Pod", Namespace: "ns", Name: "db-0"}, "Pod.v1(ns/db-0)"},
		{FlowEndpoint{Kind: "HostEndpoint", Namespace: "-", Name: "node-1"}, "HostEndpoint(node-1)"},
		{FlowEndpoint{Kind: "GlobalNetworkSet", Name: "feeds"}, "GlobalNetworkSet(feeds)"},
		{FlowEndpoint{Kind: "Public"}, "Public"},
		{FlowEndpoint{Kind: "Private", Name: "pvt"}, "Private"},
		{FlowEndpoint{Kind: "NetworkSet", Namespace: "ns", Name: "set"}, "NetworkSet(ns/set)"},
		{FlowEndpoint{Kind: "Other", Name: "x"}, "Other(x)"},
	}
	for _, tc := range tests {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("%+v prints %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestSort(t *testing.T) {
	d := loadFixture(t)
	d.Sort()
	var eps, policies, flows, nodes, tests, events []string
	for _, e := range d.Endpoints {
		eps = append(eps, e.Endpoint.String())
	}
	for _, p := range d.Endpoints[3].AppliedPolicies {
		policies = append(policies, p.String())
	}
	for _, f := range d.Flows {
		flows = append(flows, f.Source.String()+">"+f.Destination.String())
	}
	for _, n := range d.CISBenchmark {
		nodes = append(nodes, n.NodeName)
	}
	for _, s := range d.CISBenchmark[2].Results {
		for _, r := range s.Results {
			tests = append(tests, r.TestNumber)
		}
	}
	for _, e := range d.AuditEvents {
		events = append(events, e.Map()["verb"].(string))
	}
	check := func(what string, want, got []string) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}
	check("endpoints", []string{"HostEndpoint(node-a-eth0)", "Pod.v1(billing/web-5d8f-abcde)", "Pod.v1(payroll/api-0)", "Pod.v1(payroll/api-1)"}, eps)
	check("applied policies", []string{"GlobalNetworkPolicy(security.default-deny)", "NetworkPolicy.networking.k8s.io/v1(payroll/allow-web)"}, policies)
	check("flows", []string{
		"HostEndpoint(node-a)>Private",
		"NetworkSet(billing/lb-ranges)>Pod.v1(billing/web-5d8f-*)",
		"Pod.v1(billing/web-5d8f-*)>Pod.v1(payroll/api-*)",
		"Pod.v1(payroll/api-*)>GlobalNetworkSet(partner-feeds)",
		"Public>Pod.v1(billing/web-5d8f-*)",
	}, flows)
	check("nodes", []string{"node-a", "node-b", "node-c"}, nodes)
	check("tests of node-c", []string{"1.1.2", "1.1.10", "1.2.1", "1.2.2"}, tests)
	check("audit events", []string{"create", "update", "patch", "delete"}, events)
	if got := d.EvidenceCoverage.Rejected[0].Reason; got != "malformed" {
		t.Errorf("rejected reasons not sorted: %v", d.EvidenceCoverage.Rejected)
	}
	if got := d.EvidenceCoverage.Sources[0].Source; !strings.HasPrefix(got, "file:") {
		t.Errorf("sources not sorted: %v", got)
	}
	// Sorting is idempotent.
	again := sortedFixture(t)
	again.Sort()
	if diff := cmp.Diff(d, again); diff != "" {
		t.Errorf("second Sort changed the data (-first +second):\n%s", diff)
	}
}

func TestCompareIndex(t *testing.T) {
	ordered := []string{"", "1", "1.1", "1.1.2", "1.1.9", "1.1.10", "1.2", "1.10", "2", "2.a", "2.b", "10", "a"}
	for i, a := range ordered {
		for j, b := range ordered {
			got := CompareIndex(a, b)
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("CompareIndex(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}
