package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GlobalAlert runs a query over a data set at a fixed period and raises an
// alert event for every result that meets its condition.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories=evident
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Data Set",type=string,JSONPath=`.spec.dataSet`
// +kubebuilder:printcolumn:name="Severity",type=integer,JSONPath=`.spec.severity`
// +kubebuilder:printcolumn:name="Active",type=boolean,JSONPath=`.status.active`
// +kubebuilder:printcolumn:name="Healthy",type=boolean,JSONPath=`.status.healthy`
// +kubebuilder:printcolumn:name="Last Executed",type=date,JSONPath=`.status.lastExecuted`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GlobalAlert struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says what to query, how often, and when to raise an event.
	Spec GlobalAlertSpec `json:"spec,omitempty"`
	// Status is written by the alert engine after every run.
	// +optional
	Status GlobalAlertStatus `json:"status,omitempty"`
}

// GlobalAlertList is a list of GlobalAlerts.
//
// +kubebuilder:object:root=true
type GlobalAlertList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the alerts.
	Items []GlobalAlert `json:"items"`
}

// GlobalAlertType is how an alert finds its events.
type GlobalAlertType string

// Alert types. Only RuleBased alerts are supported; AnomalyDetection is
// recognised so that it can be rejected with a clear message.
const (
	GlobalAlertTypeRuleBased        GlobalAlertType = "RuleBased"
	GlobalAlertTypeAnomalyDetection GlobalAlertType = "AnomalyDetection"
)

// Data sets an alert may query. Only DataSetAudit is supported.
const (
	DataSetAudit         = "audit"
	DataSetFlows         = "flows"
	DataSetDNS           = "dns"
	DataSetL7            = "l7"
	DataSetWAF           = "waf"
	DataSetVulnerability = "vulnerability"
)

// Metrics an alert may compute over its query results.
const (
	MetricAvg   = "avg"
	MetricMax   = "max"
	MetricMin   = "min"
	MetricSum   = "sum"
	MetricCount = "count"
)

// Conditions comparing a metric with the threshold.
const (
	ConditionEq    = "eq"
	ConditionNotEq = "not_eq"
	ConditionGt    = "gt"
	ConditionGte   = "gte"
	ConditionLt    = "lt"
	ConditionLte   = "lte"
)

// Defaults and limits of GlobalAlertSpec.
const (
	DefaultAlertPeriod   = 5 * time.Minute
	DefaultAlertLookback = 10 * time.Minute
	MinAlertPeriod       = time.Minute
	MinAlertLookback     = time.Minute
	// MaxAlertErrorConditions is how many error conditions the status keeps;
	// older ones are dropped first.
	MaxAlertErrorConditions = 10
)

// GlobalAlertSpec is the desired behaviour of a GlobalAlert.
type GlobalAlertSpec struct {
	// Type is how the alert finds its events. RuleBased, the default, runs
	// Query; AnomalyDetection is no longer supported.
	// +kubebuilder:validation:Enum=RuleBased;AnomalyDetection
	// +kubebuilder:default=RuleBased
	// +optional
	Type GlobalAlertType `json:"type,omitempty"`

	// Summary is a short text for the alert's events. It may refer to the
	// metric or to aggregateBy fields as ${name}.
	// +optional
	Summary string `json:"summary,omitempty"`

	// Description is the text of the alert's events. It may refer to the
	// metric (such as ${count}) or to aggregateBy fields as ${name}; each
	// reference is replaced with the value from the result that raised the
	// event.
	// +kubebuilder:validation:MinLength=1
	Description string `json:"description"`

	// Severity ranks the alert's events, from 1 (lowest) to 100.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Severity int `json:"severity"`

	// Period is the time between two runs of the query. It is at least one
	// minute and defaults to five.
	// +optional
	Period *metav1.Duration `json:"period,omitempty"`

	// Lookback is how far back from the time of a run the query looks. It
	// is at least one minute and defaults to ten.
	// +optional
	Lookback *metav1.Duration `json:"lookback,omitempty"`

	// DataSet is the data the query runs over; it is required for
	// RuleBased alerts. Only audit is supported.
	// +kubebuilder:validation:Enum=audit;flows;dns;l7;waf;vulnerability
	// +optional
	DataSet string `json:"dataSet,omitempty"`

	// Query selects the records of the data set, in the audit query
	// language; an empty query selects every record. It may contain
	// ${name} placeholders, each replaced by the set of values of the
	// substitution of that name.
	// +optional
	Query string `json:"query,omitempty"`

	// AggregateBy groups the selected records by the values of these
	// fields; each group that meets the condition raises one event.
	// +optional
	AggregateBy []string `json:"aggregateBy,omitempty"`

	// Field is the numeric field that the avg, max, min and sum metrics
	// are computed over. It must be empty for count and without a metric.
	// +optional
	Field string `json:"field,omitempty"`

	// Metric is computed over the selected records (or each group of
	// them): avg, max, min or sum of Field, or count. Without a metric,
	// every selected record (or every group) raises an event.
	// +kubebuilder:validation:Enum=avg;max;min;sum;count
	// +optional
	Metric string `json:"metric,omitempty"`

	// Condition compares the metric with Threshold: eq, not_eq, gt, gte,
	// lt or lte. It is required when a metric is set.
	// +kubebuilder:validation:Enum=eq;not_eq;gt;gte;lt;lte
	// +optional
	Condition string `json:"condition,omitempty"`

	// Threshold is the value the metric is compared with.
	// +optional
	Threshold float64 `json:"threshold,omitempty"`

	// Substitutions give the values of the ${name} placeholders in Query.
	// Names are matched without regard to case.
	// +optional
	Substitutions []GlobalAlertSubstitution `json:"substitutions,omitempty"`

	// Detector names the detector of an AnomalyDetection alert.
	// +optional
	Detector *DetectorParams `json:"detector,omitempty"`
}

// GlobalAlertSubstitution is a named list of values for a query
// placeholder. The values may use the * and ? wildcards.
type GlobalAlertSubstitution struct {
	// Name is the placeholder's name, without ${ and }.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Values replace the placeholder as a set: {"v1", "v2"}.
	// +optional
	Values []string `json:"values,omitempty"`
}

// DetectorParams names an anomaly detector.
type DetectorParams struct {
	// Name is the detector's name.
	Name string `json:"name"`
}

// GlobalAlertStatus is the alert engine's record of a GlobalAlert.
type GlobalAlertStatus struct {
	// LastUpdate is when the status last changed.
	// +optional
	LastUpdate *metav1.Time `json:"lastUpdate,omitempty"`

	// Active is true while the alert is being run.
	// +optional
	Active bool `json:"active"`

	// Healthy is true when the last run succeeded.
	// +optional
	Healthy bool `json:"healthy"`

	// LastExecuted is when the query last ran; the next run is one period
	// later.
	// +optional
	LastExecuted *metav1.Time `json:"lastExecuted,omitempty"`

	// LastEvent is when the alert last raised an event.
	// +optional
	LastEvent *metav1.Time `json:"lastEvent,omitempty"`

	// ErrorConditions are the most recent errors of the alert, newest last,
	// at most ten.
	// +optional
	ErrorConditions []ErrorCondition `json:"errorConditions,omitempty"`
}

// ErrorCondition is one error met while running an alert.
type ErrorCondition struct {
	// Message describes the error.
	Message string `json:"message"`
}
