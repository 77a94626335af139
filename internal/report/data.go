package report

import (
	"bytes"
	"encoding/json"
	"errors"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/evident-dev/evident/api/v1"
)

// ReportData is everything one report holds: the template context of its
// UI summary and downloads, and (as part of Report) the stored document.
//
// Zero counts and false flags are left out of the JSON form. The slices are
// in the order of Sort, which the report engine applies before a report is
// rendered or stored, so every rendering of a report is byte-for-byte
// reproducible.
type ReportData struct {
	ReportName     string            `json:"reportName"`
	ReportTypeName string            `json:"reportTypeName"`
	ReportSpec     v1.ReportSpec     `json:"reportSpec"`
	ReportTypeSpec v1.ReportTypeSpec `json:"reportTypeSpec"`
	StartTime      metav1.Time       `json:"startTime"`
	EndTime        metav1.Time       `json:"endTime"`
	GenerationTime metav1.Time       `json:"generationTime"`

	// Endpoints are the endpoints in scope at any time of the interval.
	Endpoints        []EndpointsReportEndpoint `json:"endpoints,omitempty"`
	EndpointsSummary EndpointsSummary          `json:"endpointsSummary,omitzero"`

	// Namespaces are the namespaces of the in-scope endpoints.
	Namespaces        []EndpointsReportNamespace `json:"namespaces,omitempty"`
	NamespacesSummary EndpointsSummary           `json:"namespacesSummary,omitzero"`

	// Services are the services of the in-scope endpoints.
	Services        []EndpointsReportService `json:"services,omitempty"`
	ServicesSummary EndpointsSummary         `json:"servicesSummary,omitzero"`

	// AuditEvents are the selected audit events of the interval, oldest
	// first.
	AuditEvents  []AuditEvent `json:"auditEvents,omitempty"`
	AuditSummary AuditSummary `json:"auditSummary,omitzero"`

	// Flows are the distinct source and destination pairs of the traffic
	// to or from in-scope endpoints.
	Flows []EndpointsReportFlow `json:"flows,omitempty"`

	// CISBenchmark holds the latest CIS benchmark results of each node.
	CISBenchmark        []CISBenchmarkNode  `json:"cisBenchmark,omitempty"`
	CISBenchmarkSummary CISBenchmarkSummary `json:"cisBenchmarkSummary,omitzero"`

	// EvidenceCoverage says what evidence the report was computed from.
	EvidenceCoverage EvidenceCoverage `json:"evidenceCoverage,omitzero"`
}

// EndpointsReportEndpoint is one in-scope endpoint (a pod or a host
// endpoint). The protection and Envoy flags are true when they held
// throughout the interval; the exposure flags when they held at any time.
type EndpointsReportEndpoint struct {
	Endpoint                  ResourceID   `json:"endpoint"`
	IngressProtected          bool         `json:"ingressProtected,omitempty"`
	EgressProtected           bool         `json:"egressProtected,omitempty"`
	IngressFromInternet       bool         `json:"ingressFromInternet,omitempty"`
	EgressToInternet          bool         `json:"egressToInternet,omitempty"`
	IngressFromOtherNamespace bool         `json:"ingressFromOtherNamespace,omitempty"`
	EgressToOtherNamespace    bool         `json:"egressToOtherNamespace,omitempty"`
	EnvoyEnabled              bool         `json:"envoyEnabled,omitempty"`
	AppliedPolicies           []ResourceID `json:"appliedPolicies,omitempty"`
	Services                  []ResourceID `json:"services,omitempty"`
	ServiceAccount            string       `json:"serviceAccount,omitempty"`
	// FlowLogAggregationName is the name flow logs aggregate the endpoint
	// under: <generateName>* for a pod that has one, else its name; the
	// node of a host endpoint.
	FlowLogAggregationName string `json:"flowLogAggregationName,omitempty"`
}

// EndpointsReportNamespace rolls up the in-scope endpoints of a namespace:
// it is protected (or Envoy-enabled) when all of them were, and exposed
// when any of them was.
type EndpointsReportNamespace struct {
	Namespace                 ResourceID `json:"namespace"`
	IngressProtected          bool       `json:"ingressProtected,omitempty"`
	EgressProtected           bool       `json:"egressProtected,omitempty"`
	IngressFromInternet       bool       `json:"ingressFromInternet,omitempty"`
	EgressToInternet          bool       `json:"egressToInternet,omitempty"`
	IngressFromOtherNamespace bool       `json:"ingressFromOtherNamespace,omitempty"`
	EgressToOtherNamespace    bool       `json:"egressToOtherNamespace,omitempty"`
	EnvoyEnabled              bool       `json:"envoyEnabled,omitempty"`
}

// EndpointsReportService rolls up the in-scope endpoints of a service in
// the same way; services have no egress flags.
type EndpointsReportService struct {
	Service                   ResourceID `json:"service"`
	IngressProtected          bool       `json:"ingressProtected,omitempty"`
	IngressFromInternet       bool       `json:"ingressFromInternet,omitempty"`
	IngressFromOtherNamespace bool       `json:"ingressFromOtherNamespace,omitempty"`
	EnvoyEnabled              bool       `json:"envoyEnabled,omitempty"`
}

// EndpointsSummary counts the endpoints, namespaces or services of a
// report. NumServiceAccounts is set for endpoints only, and services have
// no egress counts.
type EndpointsSummary struct {
	NumTotal                     int `json:"numTotal,omitempty"`
	NumServiceAccounts           int `json:"numServiceAccounts,omitempty"`
	NumIngressProtected          int `json:"numIngressProtected,omitempty"`
	NumEgressProtected           int `json:"numEgressProtected,omitempty"`
	NumIngressFromInternet       int `json:"numIngressFromInternet,omitempty"`
	NumEgressToInternet          int `json:"numEgressToInternet,omitempty"`
	NumIngressFromOtherNamespace int `json:"numIngressFromOtherNamespace,omitempty"`
	NumEgressToOtherNamespace    int `json:"numEgressToOtherNamespace,omitempty"`
	NumEnvoyEnabled              int `json:"numEnvoyEnabled,omitempty"`
}

// AuditSummary counts the audit events of a report: creates, modifications
// (update and patch) and deletes.
type AuditSummary struct {
	NumTotal  int `json:"numTotal,omitempty"`
	NumCreate int `json:"numCreate,omitempty"`
	NumModify int `json:"numModify,omitempty"`
	NumDelete int `json:"numDelete,omitempty"`
}

// EndpointsReportFlow is traffic seen from Source to Destination.
type EndpointsReportFlow struct {
	Source      FlowEndpoint `json:"source"`
	Destination FlowEndpoint `json:"destination"`
}

// CISBenchmarkNode is the latest CIS benchmark result of one node.
type CISBenchmarkNode struct {
	NodeName          string                      `json:"nodeName"`
	KubernetesVersion string                      `json:"kubernetesVersion,omitempty"`
	BenchmarksVersion string                      `json:"benchmarksVersion,omitempty"`
	Summary           CISBenchmarkNodeSummary     `json:"summary,omitzero"`
	Results           []CISBenchmarkSectionResult `json:"results,omitempty"`
}

// CISBenchmarkNodeSummary scores a node: PASS and FAIL results count
// towards Total, INFO and WARN results are TotalInfo. Status is HIGH, MED
// or LOW.
type CISBenchmarkNodeSummary struct {
	Status    string `json:"status,omitempty"`
	TotalPass int    `json:"totalPass,omitempty"`
	TotalFail int    `json:"totalFail,omitempty"`
	TotalInfo int    `json:"totalInfo,omitempty"`
	Total     int    `json:"total,omitempty"`
}

// CISBenchmarkSectionResult scores one section of the benchmark on a node.
type CISBenchmarkSectionResult struct {
	Status  string               `json:"status,omitempty"`
	Section string               `json:"section"`
	Desc    string               `json:"desc,omitempty"`
	Pass    int                  `json:"pass,omitempty"`
	Fail    int                  `json:"fail,omitempty"`
	Info    int                  `json:"info,omitempty"`
	Results []CISBenchmarkResult `json:"results,omitempty"`
}

// CISBenchmarkResult is the result of one test: Status is PASS, FAIL, WARN
// or INFO, and TestInfo holds the remediation advice.
type CISBenchmarkResult struct {
	TestNumber string `json:"testNumber"`
	TestDesc   string `json:"testDesc,omitempty"`
	TestInfo   string `json:"testInfo,omitempty"`
	Status     string `json:"status"`
	Scored     bool   `json:"scored,omitempty"`
}

// CISBenchmarkSummary counts the nodes by status.
type CISBenchmarkSummary struct {
	Type      string `json:"type,omitempty"`
	HighCount int    `json:"highCount,omitempty"`
	MedCount  int    `json:"medCount,omitempty"`
	LowCount  int    `json:"lowCount,omitempty"`
}

// AuditEvent is one audit.k8s.io/v1 event, kept as the JSON the API
// server wrote (camelCase keys), and written out unchanged. In templates,
// .Map gives the decoded event: {{ .Map.verb }}, {{ .Map.objectRef.name }}.
type AuditEvent json.RawMessage

// MarshalJSON returns the event's JSON; an empty event is null.
func (e AuditEvent) MarshalJSON() ([]byte, error) {
	if len(e) == 0 {
		return []byte("null"), nil
	}
	return e, nil
}

// UnmarshalJSON keeps a copy of data.
func (e *AuditEvent) UnmarshalJSON(data []byte) error {
	if e == nil {
		return errors.New("report: UnmarshalJSON on nil AuditEvent")
	}
	*e = append((*e)[:0], bytes.TrimSpace(data)...)
	return nil
}

// Map decodes the event into maps, slices and JSON scalars (numbers are
// float64). An event that does not decode gives nil.
func (e AuditEvent) Map() map[string]any {
	var m map[string]any
	if err := json.Unmarshal(e, &m); err != nil {
		return nil
	}
	return m
}

// Report is a stored report: its identity, its data and its rendered UI
// summary.
type Report struct {
	// ID is the report's identity; see ReportID.
	ID string `json:"id"`
	ReportData
	// UISummary is the rendered UI summary template, normally JSON. It is
	// empty when the template failed to render.
	UISummary string `json:"uiSummary,omitempty"`
}

// Summary returns a copy of the report without its large per-item lists
// (endpoints, namespaces, services, audit events and flows), the form
// report listings return. The summaries and counts are kept.
func (r *Report) Summary() *Report {
	s := *r
	s.Endpoints = nil
	s.Namespaces = nil
	s.Services = nil
	s.AuditEvents = nil
	s.Flows = nil
	return &s
}
