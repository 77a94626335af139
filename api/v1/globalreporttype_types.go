package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GlobalReportType describes a kind of report: the data gathered for it and
// the templates that turn that data into a summary and downloadable files.
// GlobalReports refer to it by name.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories=evident
// +kubebuilder:printcolumn:name="Endpoints",type=boolean,JSONPath=`.spec.includeEndpointData`
// +kubebuilder:printcolumn:name="Flows",type=boolean,JSONPath=`.spec.includeEndpointFlowLogData`
// +kubebuilder:printcolumn:name="CIS",type=boolean,JSONPath=`.spec.includeCISBenchmarkData`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GlobalReportType struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec holds the templates and the data selection.
	Spec ReportTypeSpec `json:"spec,omitempty"`
}

// GlobalReportTypeList is a list of GlobalReportTypes.
//
// +kubebuilder:object:root=true
type GlobalReportTypeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the report types.
	Items []GlobalReportType `json:"items"`
}

// ReportTypeSpec is the content of a GlobalReportType.
type ReportTypeSpec struct {
	// UISummaryTemplate is rendered once when a report is generated; its
	// output, normally JSON, is stored with the report and shown in report
	// listings.
	UISummaryTemplate ReportTemplate `json:"uiSummaryTemplate"`

	// DownloadTemplates each produce one downloadable file of the report.
	// A template's name is both the format to ask for and the suffix of the
	// file name, so the names must differ from each other and from the UI
	// summary template's name.
	// +optional
	DownloadTemplates []ReportTemplate `json:"downloadTemplates,omitempty"`

	// IncludeEndpointData gathers the endpoints, namespaces and services in
	// scope and how policies protect them over the report interval.
	// +optional
	IncludeEndpointData bool `json:"includeEndpointData,omitempty"`

	// IncludeEndpointFlowLogData also gathers the traffic flows between
	// endpoints. It has effect only together with IncludeEndpointData.
	// +optional
	IncludeEndpointFlowLogData bool `json:"includeEndpointFlowLogData,omitempty"`

	// AuditEventsSelection gathers the audit events of the resources it
	// lists. When it is absent the report has no audit events.
	// +optional
	AuditEventsSelection *AuditEventsSelection `json:"auditEventsSelection,omitempty"`

	// IncludeCISBenchmarkData gathers the CIS benchmark results of the
	// cluster's nodes.
	// +optional
	IncludeCISBenchmarkData bool `json:"includeCISBenchmarkData,omitempty"`
}

// ReportTemplate is one named Go text/template that renders report data.
type ReportTemplate struct {
	// Name identifies the template. For a download template it is also the
	// format name and the suffix of the downloaded file, such as
	// summary.csv.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Description says what the rendered output contains.
	// +optional
	Description string `json:"description,omitempty"`

	// Template is the plain-text Go text/template source.
	// +kubebuilder:validation:MinLength=1
	Template string `json:"template"`
}

// AuditEventsSelection lists the resources whose audit events a report
// includes.
type AuditEventsSelection struct {
	// Resources are matched against each audit event's object reference;
	// an event is included when any of them matches.
	// +optional
	Resources []AuditResource `json:"resources,omitempty"`
}

// AuditResource matches the object an audit event is about. A field left
// empty matches any value.
type AuditResource struct {
	// Resource is the lower-case plural resource name, such as
	// networkpolicies.
	// +optional
	Resource string `json:"resource,omitempty"`

	// APIGroup is the resource's API group.
	// +optional
	APIGroup string `json:"apiGroup,omitempty"`

	// APIVersion is the resource's API version.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Name is the object's name.
	// +optional
	Name string `json:"name,omitempty"`

	// Namespace is the object's namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}
