package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GlobalReport schedules a compliance report: which report type to produce,
// for which endpoints, and how often. Each tick of the schedule closes one
// report interval and opens the next.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories=evident
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.reportType`
// +kubebuilder:printcolumn:name="Schedule",type=string,JSONPath=`.spec.schedule`
// +kubebuilder:printcolumn:name="Suspended",type=boolean,JSONPath=`.spec.suspend`
// +kubebuilder:printcolumn:name="Last Scheduled",type=date,JSONPath=`.status.lastScheduledReportJob.end`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GlobalReport struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says what the report covers and when it runs.
	Spec ReportSpec `json:"spec,omitempty"`
	// Status records the report jobs run for this report. Only the
	// scheduler writes it.
	// +optional
	Status ReportStatus `json:"status,omitempty"`
}

// GlobalReportList is a list of GlobalReports.
//
// +kubebuilder:object:root=true
type GlobalReportList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the reports.
	Items []GlobalReport `json:"items"`
}

// ReportSpec is the desired state of a GlobalReport.
type ReportSpec struct {
	// ReportType names the GlobalReportType whose templates and data
	// selection produce this report.
	// +kubebuilder:validation:MinLength=1
	ReportType string `json:"reportType"`

	// Endpoints narrows the report to the endpoints it selects. When it is
	// absent every endpoint is in scope.
	// +optional
	Endpoints *EndpointsSelection `json:"endpoints,omitempty"`

	// Schedule is a standard five-field cron expression (or a descriptor
	// such as @daily). Every tick ends one report interval and starts the
	// next; the first report runs from the creation of the
	// GlobalReport to the first tick. It may fire at most twice an hour. An
	// empty schedule means that no report is ever started.
	// +optional
	Schedule string `json:"schedule,omitempty"`

	// JobNodeSelector adds node-selector labels to the pods that generate
	// this report's jobs when they run as Kubernetes Jobs. Labels already
	// set by the pod template take precedence, and the selector is ignored
	// when the template pins the pod to a node.
	// +optional
	JobNodeSelector map[string]string `json:"jobNodeSelector,omitempty"`

	// Suspend stops new report jobs from being started while it is true;
	// jobs already running finish normally. When it is set back to false,
	// the intervals missed in the meantime are caught up, as far back as the
	// catch-up window allows.
	// +optional
	Suspend *bool `json:"suspend,omitempty"`

	// CIS tunes the cis-benchmark report type; other types ignore it.
	// +optional
	CIS *CISBenchmarkParams `json:"cis,omitempty"`
}

// EndpointsSelection picks the endpoints a report covers. An endpoint is in
// scope when it satisfies every condition that is set.
type EndpointsSelection struct {
	// Selector is a Calico selector over the endpoints' own labels.
	// +optional
	Selector string `json:"selector,omitempty"`

	// Namespaces restricts the report to endpoints in the matching
	// namespaces.
	// +optional
	Namespaces *NamesAndLabelsMatch `json:"namespaces,omitempty"`

	// ServiceAccounts restricts the report to endpoints that run as the
	// matching service accounts.
	// +optional
	ServiceAccounts *NamesAndLabelsMatch `json:"serviceAccounts,omitempty"`
}

// NamesAndLabelsMatch matches namespaces or service accounts by name, by
// labels, or both; when both are given a match must satisfy both.
type NamesAndLabelsMatch struct {
	// Names lists the names that match.
	// +optional
	Names []string `json:"names,omitempty"`

	// Selector is a Calico selector over the labels of the namespace or
	// service account.
	// +optional
	Selector string `json:"selector,omitempty"`
}

// Defaults of CISBenchmarkParams, filled in by GlobalReport.Default.
const (
	DefaultCISNumFailedTests = 5
	DefaultCISHighThreshold  = 100
	DefaultCISMedThreshold   = 50
)

// CISBenchmarkParams tunes the cis-benchmark report.
type CISBenchmarkParams struct {
	// IncludeUnscoredTests also lists the results of tests that do not count
	// towards the benchmark score.
	// +optional
	IncludeUnscoredTests bool `json:"includeUnscoredTests,omitempty"`

	// NumFailedTests is how many of the most frequently failed tests the
	// report shows. It defaults to 5.
	// +kubebuilder:validation:Minimum=1
	// +optional
	NumFailedTests *int `json:"numFailedTests,omitempty"`

	// ResultsFilters include or exclude tests for the Kubernetes versions
	// they select.
	// +optional
	ResultsFilters []CISBenchmarkFilter `json:"resultsFilters,omitempty"`

	// HighThreshold is the percentage of passing tests at or above which a
	// node is rated high. It lies between 0 and 100, above MedThreshold,
	// and defaults to 100.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	HighThreshold *int `json:"highThreshold,omitempty"`

	// MedThreshold is the percentage of passing tests at or above which a
	// node is rated medium. It lies between 0 and 100 and defaults to 50.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	MedThreshold *int `json:"medThreshold,omitempty"`
}

// CISBenchmarkFilter includes or excludes benchmark tests by their index
// (such as 1.1.2) or by a section index (such as 1.1).
type CISBenchmarkFilter struct {
	// BenchmarkSelection limits the filter to some Kubernetes versions;
	// without it the filter applies to all.
	// +optional
	BenchmarkSelection *CISBenchmarkSelection `json:"benchmarkSelection,omitempty"`

	// Exclude lists tests or sections to leave out.
	// +optional
	Exclude []string `json:"exclude,omitempty"`

	// Include lists tests or sections to keep; it wins over Exclude.
	// +optional
	Include []string `json:"include,omitempty"`
}

// CISBenchmarkSelection selects benchmark results by Kubernetes version.
type CISBenchmarkSelection struct {
	// KubernetesVersion matches versions by prefix, so 1.13 matches every
	// 1.13.x release.
	// +kubebuilder:validation:MinLength=1
	KubernetesVersion string `json:"kubernetesVersion"`
}

// ReportStatus is the scheduler's record of a GlobalReport's jobs.
type ReportStatus struct {
	// LastSuccessfulReportJobs are the most recent jobs that succeeded,
	// oldest end time first, trimmed to the successful-jobs history limit.
	// +optional
	LastSuccessfulReportJobs []CompletedReportJob `json:"lastSuccessfulReportJobs,omitempty"`

	// LastFailedReportJobs are the most recent jobs that failed, oldest end
	// time first, trimmed to the failed-jobs history limit.
	// +optional
	LastFailedReportJobs []CompletedReportJob `json:"lastFailedReportJobs,omitempty"`

	// ActiveReportJobs are the jobs that have not finished yet.
	// +optional
	ActiveReportJobs []ReportJob `json:"activeReportJobs,omitempty"`

	// LastScheduledReportJob is the job with the latest end time that is
	// already in the past; its end is where the next report interval
	// starts.
	// +optional
	LastScheduledReportJob *ReportJob `json:"lastScheduledReportJob,omitempty"`
}

// ReportJob is one run of a report over the interval [Start, End].
type ReportJob struct {
	// Start is the beginning of the report interval.
	Start metav1.Time `json:"start"`

	// End is the end of the report interval.
	End metav1.Time `json:"end"`

	// Job refers to the job that generates the report. It is null for an
	// interval recovered from the report archive.
	// +nullable
	// +optional
	Job *corev1.ObjectReference `json:"job"`
}

// CompletedReportJob is a ReportJob that has finished.
type CompletedReportJob struct {
	ReportJob `json:",inline"`

	// JobCompletionTime is when the job finished.
	// +optional
	JobCompletionTime *metav1.Time `json:"jobCompletionTime,omitempty"`
}
