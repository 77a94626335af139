package store

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/evident-dev/evident/internal/audit"
)

// Sentinel errors every backend returns (wrapped) for the same conditions.
var (
	ErrNotFound    = errors.New("not found")
	ErrClosed      = errors.New("store is closed")
	ErrBadCursor   = errors.New("bad page cursor")
	ErrUnavailable = errors.New("store is unavailable") // cannot write now (disk full, read-only); callers answer 503
)

// Batch is a unit of ingest: events from one source, the inputs rejected
// while reading them, and the source's checkpoint after them. A backend
// commits the events and the checkpoint together; the checkpoint never gets
// ahead of the stored events.
type Batch struct {
	Source     string // e.g. "file:/var/log/kubernetes/audit.log", "webhook:prod"
	Events     []audit.Event
	Rejects    []Rejection
	Checkpoint []byte // opaque to the store; nil leaves the stored one as it is
}

// Rejection is an input a source could not store, kept for status and
// evidence coverage.
type Rejection struct {
	Source   string
	Location string
	Reason   audit.ErrorReason
	Message  string
	At       time.Time // when it was rejected
}

// AppendResult counts what a batch did.
type AppendResult struct {
	Stored     int // new events
	Duplicates int // events already stored, by (cluster, auditID, stage)
	Versions   int // new object versions
}

// StoredEvent is an event as read back, with its store-assigned ID.
type StoredEvent struct {
	ID     string
	Source string
	audit.Event
}

// EventQuery selects events for the timeline. Empty fields do not filter.
// Results are ordered newest first by (Time, ID).
type EventQuery struct {
	From, To   time.Time // From inclusive, To exclusive; zero means unbounded
	Clusters   []string
	Sources    []string // e.g. "webhook:prod", "file:/var/log/audit.log"
	Verbs      []string
	Resources  []string // objectRef.resource, optionally "resource/subresource"
	APIGroups  []string
	Namespaces []string
	Names      []string
	Users      []string
	Codes      []int
	Cond       Cond // query DSL; nil matches all
	Limit      int  // page size; DefaultPageSize when 0
	After      string
	WithBody   bool // load bodies (exports); the table view does not need them
}

// Count is how many events a source delivered in the bucket starting at
// Start.
type Count struct {
	Source string
	Start  time.Time
	N      int64
}

// DefaultPageSize is the timeline page size when none is given.
const DefaultPageSize = 100

// EventPage is one page of a timeline. Next is the cursor for the page
// after this one, empty on the last page.
type EventPage struct {
	Events []StoredEvent
	Next   string
}

// ObjectKey names one object across its lifetimes (deleted and recreated
// objects share a key and differ by UID).
type ObjectKey struct {
	Cluster   string
	Kind      audit.Kind
	Namespace string
	Name      string
}

// Version is one recorded state of an object: what a write left behind.
// Object is the object as the API server returned it; it is nil for a
// deletion without a body and until loaded (see VersionQuery.WithObject).
type Version struct {
	ObjectKey
	UID             string
	ResourceVersion string
	Time            time.Time
	Verb            string
	User            string
	AuditID         string // set when objects are loaded (History, WithObject)
	EventID         string // the event that recorded it (for a cascade: the namespace's deletion)
	Code            int
	Deleted         bool
	Cascade         bool // ended by the deletion of its namespace, not by its own event
	Baseline        bool // from an imported baseline snapshot, not from an event
	First           bool // the earliest version recorded for the object
	Object          []byte
}

// VersionQuery selects object versions.
type VersionQuery struct {
	Clusters   []string
	Kinds      []audit.Kind // empty: every tracked kind
	Namespaces []string
	WithObject bool
}

// Stats describe what the store holds, for `evident status`.
type Stats struct {
	Events      int64
	Versions    int64
	Bytes       int64
	Oldest      time.Time
	Newest      time.Time
	Partitions  []Partition
	Sources     []SourceStats
	RejectTotal int64
}

// Partition is one time partition of the event store.
type Partition struct {
	Name     string
	From, To time.Time
	Events   int64
	Bytes    int64
}

// SourceStats describe one ingest source.
type SourceStats struct {
	Source       string
	Events       int64
	LastEvent    time.Time // newest event time from the source
	LastIngest   time.Time // when it last delivered
	Rejected     map[audit.ErrorReason]int64
	RecentErrors []Rejection // newest first, a bounded number
}

// Store is the contract every backend implements and store/storetest checks.
type Store interface {
	// Append stores a batch atomically with its checkpoint.
	Append(ctx context.Context, b *Batch) (AppendResult, error)
	// Checkpoint returns the last checkpoint committed for a source.
	Checkpoint(ctx context.Context, source string) ([]byte, error)

	// Events returns one timeline page.
	Events(ctx context.Context, q EventQuery) (EventPage, error)
	// Event returns one event with its body.
	Event(ctx context.Context, id string) (StoredEvent, error)
	// EventCounts counts the events a query selects (its Limit and After
	// are ignored) per source and time bucket; buckets start at multiples
	// of bucket since the Unix epoch. Empty buckets are left out.
	EventCounts(ctx context.Context, q EventQuery, bucket time.Duration) ([]Count, error)

	// History returns every version of one object, oldest first, with objects.
	History(ctx context.Context, key ObjectKey) ([]Version, error)
	// StateAt yields the newest version of every object alive at t (not
	// deleted), in no particular order.
	StateAt(ctx context.Context, t time.Time, q VersionQuery) iter.Seq2[Version, error]
	// Changes yields the versions recorded in (from, to], oldest first.
	Changes(ctx context.Context, from, to time.Time, q VersionQuery) iter.Seq2[Version, error]

	// Stats describes the store.
	Stats(ctx context.Context) (Stats, error)
	// DropBefore deletes every partition that holds only events older than
	// cutoff and returns the names of the partitions it dropped. Versions
	// still current at cutoff keep their objects.
	DropBefore(ctx context.Context, cutoff time.Time) ([]string, error)

	Close() error
}

// Baseline is one kind's objects as listed from the cluster at a point in
// time: what existed before (or regardless of) the audit trail.
type Baseline struct {
	Cluster string
	Kind    audit.Kind
	Time    time.Time
	Source  string // where it came from, e.g. "snapshot:pods.json"
	Objects []BaselineObject
}

// BaselineObject is one listed object.
type BaselineObject struct {
	Namespace, Name, UID, ResourceVersion string
	Object                                []byte
}

// BaselineResult counts what importing a baseline changed.
type BaselineResult struct {
	Added     int // objects recorded as a new version at the baseline's time
	Unchanged int // objects whose recorded version at that time was the same
	Ended     int // objects recorded as alive then that the listing did not have
}

// BaselineInfo describes an imported baseline.
type BaselineInfo struct {
	Cluster  string
	Kind     audit.Kind
	Time     time.Time
	Source   string
	Objects  int
	Imported time.Time
}

// Baselines is implemented by stores that keep baseline snapshots.
type Baselines interface {
	// ImportBaseline records a listing: each object not already recorded in
	// the same version at that time becomes a version, and each object of
	// the kind recorded as alive then but absent from the listing ends.
	ImportBaseline(ctx context.Context, b *Baseline) (BaselineResult, error)
	// ListBaselines returns the imported baselines of a cluster ("" for all),
	// oldest first.
	ListBaselines(ctx context.Context, cluster string) ([]BaselineInfo, error)
}

// Resource is a configuration object (GlobalReport, GlobalReportType,
// GlobalAlert) kept by the store in standalone mode.
type Resource struct {
	Kind    string
	Name    string
	Object  []byte // the whole object as JSON, status included
	Version int64  // increases with every write; 0 for "must not exist"
}

// Resources is implemented by stores that keep configuration objects.
type Resources interface {
	// PutResource writes an object. With ifVersion > 0 the write happens
	// only if the stored object still has that version (else ErrConflict);
	// with ifVersion == 0 it happens only if none is stored. It returns the
	// new version.
	PutResource(ctx context.Context, kind, name string, obj []byte, ifVersion int64) (int64, error)
	GetResource(ctx context.Context, kind, name string) (Resource, error)
	ListResources(ctx context.Context, kind string) ([]Resource, error)
	DeleteResource(ctx context.Context, kind, name string) error
}

// ErrConflict is returned when a conditional write finds another version.
var ErrConflict = errors.New("conflict: the object was changed or created meanwhile")

// ReportRecord is a generated report. Data is its full ReportData as JSON
// and is left out of listings.
type ReportRecord struct {
	ID         string
	Name       string
	Type       string
	Start, End time.Time
	Generated  time.Time
	UISummary  string
	Data       []byte
}

// ReportSort is one sort key of a report listing.
type ReportSort struct {
	Field      string // reportName, reportTypeName, generationTime, startTime or endTime
	Descending bool
}

// ReportQuery selects reports (seed semantics: names and types are ORed; a
// report matches the time range when its start or end lies in [From, To]).
type ReportQuery struct {
	Names, Types []string
	From, To     time.Time
	Sort         []ReportSort
	Offset       int
	Limit        int // 0: no limit
	// Allowed, when set, keeps only the reports it accepts (authorisation),
	// before paging and counting.
	Allowed func(name, reportType string) bool
}

// Reports is implemented by stores that keep generated reports.
type Reports interface {
	// PutReport stores a report, replacing one with the same ID.
	PutReport(ctx context.Context, r ReportRecord) error
	GetReport(ctx context.Context, id string) (ReportRecord, error)
	// ListReports returns a page of summaries and the number of matches.
	ListReports(ctx context.Context, q ReportQuery) ([]ReportRecord, int, error)
	// LastReport returns the report of that name with the latest end.
	LastReport(ctx context.Context, name string) (ReportRecord, bool, error)
}
