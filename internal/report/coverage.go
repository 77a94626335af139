package report

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EvidenceCoverage states what evidence a report was computed from, so a
// reader can judge how complete it is: the baseline each tracked kind
// started from, how well the audit stream covered the interval, what was
// rejected, and anything else the engine had to assume.
type EvidenceCoverage struct {
	// Baselines lists, for each tracked kind, the snapshot the state at
	// the start of the interval was rebuilt from.
	Baselines []Baseline `json:"baselines,omitempty"`

	// Sources lists the audit sources that delivered events for the
	// interval, with the first and last event each delivered in it.
	Sources []SourceCoverage `json:"sources,omitempty"`

	// GapThreshold is the longest stretch without events from a source
	// that is not reported as a gap.
	GapThreshold metav1.Duration `json:"gapThreshold,omitzero"`

	// Rejected counts, by reason, the audit inputs rejected during the
	// interval.
	Rejected []RejectedCount `json:"rejected,omitempty"`

	// WithoutCreate counts the objects first seen through an update,
	// patch or delete rather than a create or a snapshot: their earlier
	// state is unknown.
	WithoutCreate ObjectsWithoutCreate `json:"objectsWithoutCreate,omitzero"`

	// Notes are free-text remarks, such as data a report type asks for
	// that was not collected.
	Notes []string `json:"notes,omitempty"`
}

// Baseline is the starting point of one tracked kind.
type Baseline struct {
	// Kind is the resource, "pods" for core kinds and "resource.group"
	// otherwise, such as networkpolicies.networking.k8s.io.
	Kind string `json:"kind"`
	// SnapshotTime is when the snapshot used was taken; null when there
	// was none, and the kind's state was built from audit events alone.
	SnapshotTime *metav1.Time `json:"snapshotTime"`
}

// SnapshotText is the snapshot time in RFC 3339 (UTC), or "none".
func (b Baseline) SnapshotText() string {
	if b.SnapshotTime == nil {
		return "none"
	}
	return b.SnapshotTime.UTC().Format(time.RFC3339)
}

// SourceCoverage is how one audit source covered the interval.
type SourceCoverage struct {
	// Source names the source, such as file:/var/log/audit.log or
	// webhook:prod-eu-1.
	Source string `json:"source"`
	// FirstEvent and LastEvent are the times of the first and last event
	// of the interval; both are null when the source sent none.
	FirstEvent *metav1.Time `json:"firstEvent"`
	LastEvent  *metav1.Time `json:"lastEvent"`
	// Events is how many events of the interval the source delivered.
	Events int64 `json:"events,omitempty"`
	// Gaps are the stretches of the interval, longer than the threshold,
	// without any event from the source, including at either end.
	Gaps []Gap `json:"gaps,omitempty"`
}

// Gap is a stretch of time without evidence.
type Gap struct {
	From metav1.Time `json:"from"`
	To   metav1.Time `json:"to"`
}

// RejectedCount is how many inputs were rejected for one reason.
type RejectedCount struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// ObjectsWithoutCreate counts the objects of a report whose history starts
// without a create, with a few of them as examples.
type ObjectsWithoutCreate struct {
	Count    int          `json:"count,omitempty"`
	Examples []ResourceID `json:"examples,omitempty"`
}

// MaxWithoutCreateExamples is how many examples ObjectsWithoutCreate keeps.
const MaxWithoutCreateExamples = 10
