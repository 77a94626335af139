package report

import (
	"fmt"
	"testing"
)

// benchReport is a report of n endpoints over 100 namespaces, each with
// two policies, a service and two flows.
func benchReport(n int) *ReportData {
	d := Sample()
	d.Endpoints = nil
	d.Flows = nil
	for i := range n {
		ns := fmt.Sprintf("ns-%03d", i%100)
		name := fmt.Sprintf("app-%d-7d9f-%05d", i%10, i)
		d.Endpoints = append(d.Endpoints, EndpointsReportEndpoint{
			Endpoint:         ResourceID{Kind: "Pod", APIVersion: "v1", Namespace: ns, Name: name},
			IngressProtected: i%2 == 0, EgressProtected: i%3 == 0, IngressFromInternet: i%7 == 0,
			AppliedPolicies: []ResourceID{
				{Kind: "GlobalNetworkPolicy", APIVersion: "projectcalico.org/v3", Name: "security.default-deny"},
				{Kind: "NetworkPolicy", APIVersion: "networking.k8s.io/v1", Namespace: ns, Name: fmt.Sprintf("allow-%d", i%10)},
			},
			Services:               []ResourceID{{Kind: "Service", APIVersion: "v1", Namespace: ns, Name: fmt.Sprintf("svc-%d", i%10)}},
			ServiceAccount:         "default",
			FlowLogAggregationName: fmt.Sprintf("app-%d-7d9f-*", i%10),
		})
		agg := FlowEndpoint{Kind: FlowKindPod, Namespace: ns, Name: fmt.Sprintf("app-%d-7d9f-*", i%10), NameIsAggregationPrefix: true}
		d.Flows = append(d.Flows,
			EndpointsReportFlow{Source: FlowEndpoint{Kind: FlowKindPublic}, Destination: agg},
			EndpointsReportFlow{Source: agg, Destination: FlowEndpoint{Kind: FlowKindPod, Namespace: ns, Name: fmt.Sprintf("db-%d", i%5)}})
	}
	d.Sort()
	return d
}

// BenchmarkRenderEndpoints renders the network-access endpoints.csv of a
// 10,000-endpoint report, the largest default download.
func BenchmarkRenderEndpoints(b *testing.B) {
	d := benchReport(10_000)
	var tmpl string
	for _, rt := range DefaultTypes() {
		if rt.Name == "network-access" {
			tmpl = rt.Spec.DownloadTemplates[1].Template
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(tmpl, d); err != nil {
			b.Fatal(err)
		}
	}
}
