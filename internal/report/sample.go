package report

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/evident-dev/evident/api/v1"
)

// Sample returns a small but complete report: two namespaces of pods and a
// host endpoint, services, flows, policy audit events, two nodes' CIS
// results and an evidence-coverage section. Templates are test-rendered
// against it (see Validate). Each call returns a new copy.
func Sample() *ReportData {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	end := start.Add(7 * 24 * time.Hour)
	at := func(d time.Duration) *metav1.Time { t := metav1.NewTime(start.Add(d)); return &t }
	pod := func(ns, name string) ResourceID {
		return ResourceID{Kind: "Pod", APIVersion: "v1", Namespace: ns, Name: name}
	}
	svc := func(ns, name string) ResourceID {
		return ResourceID{Kind: "Service", APIVersion: "v1", Namespace: ns, Name: name}
	}
	gnp := ResourceID{Kind: "GlobalNetworkPolicy", APIVersion: "projectcalico.org/v3", Name: "security.default-deny"}
	knp := ResourceID{Kind: "NetworkPolicy", APIVersion: "networking.k8s.io/v1", Namespace: "payroll", Name: "allow-frontend"}
	ns := func(name string) ResourceID { return ResourceID{Kind: "Namespace", APIVersion: "v1", Name: name} }
	return &ReportData{
		ReportName:     "weekly-payroll",
		ReportTypeName: "network-access",
		ReportSpec: v1.ReportSpec{
			ReportType: "network-access",
			Schedule:   "0 0 * * 1",
			Endpoints: &v1.EndpointsSelection{
				Selector:        "app in {'api', 'web'} && tier != 'test'",
				Namespaces:      &v1.NamesAndLabelsMatch{Names: []string{"payroll", "billing"}, Selector: "dept == 'finance'"},
				ServiceAccounts: &v1.NamesAndLabelsMatch{Names: []string{"api"}, Selector: "team == 'pay'"},
			},
		},
		ReportTypeSpec: v1.ReportTypeSpec{
			IncludeEndpointData:        true,
			IncludeEndpointFlowLogData: true,
			AuditEventsSelection: &v1.AuditEventsSelection{Resources: []v1.AuditResource{
				{Resource: "networkpolicies"}, {Resource: "globalnetworkpolicies"},
			}},
			IncludeCISBenchmarkData: true,
		},
		StartTime:      metav1.NewTime(start),
		EndTime:        metav1.NewTime(end),
		GenerationTime: metav1.NewTime(end.Add(30 * time.Minute)),
		Endpoints: []EndpointsReportEndpoint{
			{Endpoint: pod("billing", "web-7d9f-x2k4p"), IngressProtected: true, IngressFromInternet: true,
				AppliedPolicies: []ResourceID{gnp}, Services: []ResourceID{svc("billing", "web")},
				ServiceAccount: "default", FlowLogAggregationName: "web-7d9f-*"},
			{Endpoint: pod("payroll", "api-0"), IngressProtected: true, EgressProtected: true, EnvoyEnabled: true,
				EgressToOtherNamespace: true, AppliedPolicies: []ResourceID{gnp, knp},
				Services: []ResourceID{svc("payroll", "api")}, ServiceAccount: "api", FlowLogAggregationName: "api-0"},
			{Endpoint: ResourceID{Kind: "HostEndpoint", APIVersion: "projectcalico.org/v3", Name: "node-1-eth0"},
				IngressFromInternet: true, EgressToInternet: true, FlowLogAggregationName: "node-1"},
		},
		EndpointsSummary: EndpointsSummary{NumTotal: 3, NumServiceAccounts: 2, NumIngressProtected: 2,
			NumEgressProtected: 1, NumIngressFromInternet: 2, NumEgressToInternet: 1, NumEgressToOtherNamespace: 1,
			NumEnvoyEnabled: 1},
		Namespaces: []EndpointsReportNamespace{
			{Namespace: ns("billing"), IngressProtected: true, IngressFromInternet: true},
			{Namespace: ns("payroll"), IngressProtected: true, EgressProtected: true, EgressToOtherNamespace: true, EnvoyEnabled: true},
		},
		NamespacesSummary: EndpointsSummary{NumTotal: 2, NumIngressProtected: 2, NumEgressProtected: 1,
			NumIngressFromInternet: 1, NumEgressToOtherNamespace: 1, NumEnvoyEnabled: 1},
		Services: []EndpointsReportService{
			{Service: svc("billing", "web"), IngressProtected: true, IngressFromInternet: true},
			{Service: svc("payroll", "api"), IngressProtected: true, EnvoyEnabled: true},
		},
		ServicesSummary: EndpointsSummary{NumTotal: 2, NumIngressProtected: 2, NumIngressFromInternet: 1, NumEnvoyEnabled: 1},
		AuditEvents:     sampleAuditEvents(),
		AuditSummary:    AuditSummary{NumTotal: 3, NumCreate: 1, NumModify: 1, NumDelete: 1},
		Flows: []EndpointsReportFlow{
			{Source: FlowEndpoint{Kind: FlowKindPublic}, Destination: FlowEndpoint{Kind: FlowKindPod, Namespace: "billing", Name: "web-7d9f-*", NameIsAggregationPrefix: true}},
			{Source: FlowEndpoint{Kind: FlowKindPod, Namespace: "billing", Name: "web-7d9f-*", NameIsAggregationPrefix: true}, Destination: FlowEndpoint{Kind: FlowKindPod, Namespace: "payroll", Name: "api-0"}},
			{Source: FlowEndpoint{Kind: FlowKindPod, Namespace: "payroll", Name: "api-0"}, Destination: FlowEndpoint{Kind: FlowKindPrivate}},
		},
		CISBenchmark:        []CISBenchmarkNode{sampleNode("node-1", 2), sampleNode("node-2", 1)},
		CISBenchmarkSummary: CISBenchmarkSummary{Type: "kube", MedCount: 1, LowCount: 1},
		EvidenceCoverage: EvidenceCoverage{
			Baselines: []Baseline{{Kind: "namespaces", SnapshotTime: at(-6 * time.Hour)}, {Kind: "pods", SnapshotTime: at(-6 * time.Hour)}, {Kind: "tiers"}},
			Sources: []SourceCoverage{{Source: "webhook:prod-eu-1", FirstEvent: at(2 * time.Minute), LastEvent: at(7*24*time.Hour - time.Minute),
				Events: 18211, Gaps: []Gap{{From: *at(50 * time.Hour), To: *at(53 * time.Hour)}}}},
			GapThreshold:  metav1.Duration{Duration: time.Hour},
			Rejected:      []RejectedCount{{Reason: "truncated", Count: 2}},
			WithoutCreate: ObjectsWithoutCreate{Count: 1, Examples: []ResourceID{pod("payroll", "api-0")}},
			Notes:         []string{"3 hours without audit events from webhook:prod-eu-1"},
		},
	}
}

// sampleNode returns the CIS results of a node with the given number of
// failed tests.
func sampleNode(name string, failed int) CISBenchmarkNode {
	tests := []CISBenchmarkResult{
		{TestNumber: "1.1.1", TestDesc: "Ensure that the API server pod specification file permissions are set to 600", TestInfo: "chmod 600 /etc/kubernetes/manifests/kube-apiserver.yaml", Status: "PASS", Scored: true},
		{TestNumber: "1.1.2", TestDesc: "Ensure that the --anonymous-auth argument is set to false", TestInfo: "Edit the API server pod specification and set --anonymous-auth=false", Status: "FAIL", Scored: true},
		{TestNumber: "1.1.10", TestDesc: "Ensure that the --profiling argument is set to false", TestInfo: "Set --profiling=false", Status: "FAIL", Scored: true},
		{TestNumber: "1.1.3", TestDesc: "Ensure that the admission control plugin EventRateLimit is set", TestInfo: "Follow the documentation, \"EventRateLimit\", and set the parameters", Status: "WARN"},
	}
	if failed < 2 {
		tests[2].Status = "PASS"
	}
	pass := 3 - failed
	status := "LOW"
	if 100*pass/3 >= 50 {
		status = "MED"
	}
	return CISBenchmarkNode{
		NodeName: name, KubernetesVersion: "1.33.2", BenchmarksVersion: "cis-1.10",
		Summary: CISBenchmarkNodeSummary{Status: status, TotalPass: pass, TotalFail: failed, TotalInfo: 1, Total: 3},
		Results: []CISBenchmarkSectionResult{{Status: status, Section: "1.1", Desc: "Control Plane Node Configuration Files",
			Pass: pass, Fail: failed, Info: 1, Results: tests}},
	}
}

func sampleAuditEvents() []AuditEvent {
	return []AuditEvent{
		AuditEvent(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"5f0c7c4e-0b1a-4d39-9a51-1c1f0d3b8e01","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/payroll/networkpolicies","verb":"create","user":{"username":"paul","groups":["system:authenticated"]},"sourceIPs":["10.0.0.7"],"objectRef":{"resource":"networkpolicies","namespace":"payroll","name":"allow-frontend","apiGroup":"networking.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestReceivedTimestamp":"2026-01-05T09:12:03.000000Z","stageTimestamp":"2026-01-05T09:12:03.010000Z"}`),
		AuditEvent(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"5f0c7c4e-0b1a-4d39-9a51-1c1f0d3b8e02","stage":"ResponseComplete","requestURI":"/apis/projectcalico.org/v3/globalnetworkpolicies/security.default-deny","verb":"patch","user":{"username":"candice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.8"],"objectRef":{"resource":"globalnetworkpolicies","name":"security.default-deny","apiGroup":"projectcalico.org","apiVersion":"v3"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-01-06T14:40:00.000000Z","stageTimestamp":"2026-01-06T14:40:00.020000Z"}`),
		AuditEvent(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"5f0c7c4e-0b1a-4d39-9a51-1c1f0d3b8e03","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/billing/networkpolicies/legacy","verb":"delete","user":{"username":"david","groups":["system:authenticated"]},"sourceIPs":["10.0.0.9"],"objectRef":{"resource":"networkpolicies","namespace":"billing","name":"legacy","apiGroup":"networking.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-01-09T08:00:00.000000Z","stageTimestamp":"2026-01-09T08:00:00.005000Z"}`),
	}
}
