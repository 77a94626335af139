package report

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/policy"
	"github.com/evident-dev/evident/internal/selector"
	"github.com/evident-dev/evident/internal/store"
)

// Store is what the engine reads: object versions, audit events, baselines
// and rejections.
type Store interface {
	StateAt(ctx context.Context, t time.Time, q store.VersionQuery) iter.Seq2[store.Version, error]
	Changes(ctx context.Context, from, to time.Time, q store.VersionQuery) iter.Seq2[store.Version, error]
	Events(ctx context.Context, q store.EventQuery) (store.EventPage, error)
	EventCounts(ctx context.Context, q store.EventQuery, bucket time.Duration) ([]store.Count, error)
	ListBaselines(ctx context.Context, cluster string) ([]store.BaselineInfo, error)
	Rejections(ctx context.Context, source string, from, to time.Time, limit int) ([]store.Rejection, error)
}

// EngineOptions configure an Engine.
type EngineOptions struct {
	Cluster string         // the cluster reports describe; default "default"
	Policy  policy.Options // Envoy detection, staged policies, private nets
	// GapThreshold is the longest silence of a source inside a report's
	// interval that is not reported as a gap (default 1h).
	GapThreshold time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
}

// Engine computes reports from the store (seed spec §5): the state at the
// start of the interval (newest baseline plus object versions), replayed
// through every change in the interval.
type Engine struct {
	st   Store
	opts EngineOptions
}

// NewEngine returns an engine over a store.
func NewEngine(st Store, opts EngineOptions) *Engine {
	if opts.Cluster == "" {
		opts.Cluster = "default"
	}
	if opts.GapThreshold <= 0 {
		opts.GapThreshold = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Policy.Envoy == (policy.EnvoyOptions{}) {
		opts.Policy.Envoy = policy.DefaultOptions().Envoy
	}
	return &Engine{st: st, opts: opts}
}

// Run computes the report of a GlobalReport over [start, end].
func (e *Engine) Run(ctx context.Context, rep *v1.GlobalReport, rt *v1.GlobalReportType, start, end time.Time) (*Report, error) {
	if !start.Before(end) {
		return nil, fmt.Errorf("report %s: start %s is not before end %s", rep.Name, start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	start, end = start.UTC(), end.UTC()
	data := ReportData{
		ReportName: rep.Name, ReportTypeName: rt.Name, ReportSpec: rep.Spec, ReportTypeSpec: rt.Spec,
		StartTime: metav1.NewTime(start), EndTime: metav1.NewTime(end),
	}
	cov := newCoverage(e.opts.GapThreshold)
	var scope *scopeResult
	spec := rt.Spec
	if spec.IncludeEndpointData || spec.AuditEventsSelection != nil && rep.Spec.Endpoints != nil {
		sel, err := InScopeSelector(rep.Spec.Endpoints)
		if err != nil {
			return nil, fmt.Errorf("report %s: endpoints: %w", rep.Name, err)
		}
		if scope, err = e.replay(ctx, sel, start, end, cov); err != nil {
			return nil, fmt.Errorf("report %s: %w", rep.Name, err)
		}
		if spec.IncludeEndpointData {
			scope.fill(&data)
		}
		if spec.IncludeEndpointFlowLogData {
			cov.note("Flow logs are not collected by this installation: the traffic columns are empty.")
		}
	}
	if spec.AuditEventsSelection != nil {
		if err := e.auditEvents(ctx, &data, spec.AuditEventsSelection, rep.Spec.Endpoints != nil, scope, start, end); err != nil {
			return nil, fmt.Errorf("report %s: audit events: %w", rep.Name, err)
		}
	}
	if spec.IncludeCISBenchmarkData {
		cov.note("No CIS benchmark results are collected by this installation: the benchmark sections are empty.")
	}
	if err := e.coverage(ctx, cov, start, end); err != nil {
		return nil, fmt.Errorf("report %s: evidence coverage: %w", rep.Name, err)
	}
	data.EvidenceCoverage = cov.result()
	data.GenerationTime = metav1.NewTime(e.opts.Now().UTC().Truncate(time.Second))
	data.Sort()
	r := &Report{ID: ReportID(rep.Name, rt.Name, start, end), ReportData: data}
	summary, err := RenderContext(ctx, spec.UISummaryTemplate.Template, &r.ReportData)
	if err != nil {
		// As the original does: the report is kept, without its summary.
		e.opts.Logger.Warn("UI summary not rendered", "report", rep.Name, "type", rt.Name, "err", err)
	}
	r.UISummary = summary
	return r, nil
}

// InScopeSelector builds the combined in-scope endpoint selector of seed
// spec §5.3; nil selects every endpoint.
func InScopeSelector(es *v1.EndpointsSelection) (*selector.Selector, error) {
	if es == nil {
		return selector.All(), nil
	}
	var parts []*selector.Selector
	if es.Selector != "" {
		s, err := selector.Parse(es.Selector)
		if err != nil {
			return nil, fmt.Errorf("selector: %w", err)
		}
		parts = append(parts, s)
	}
	add := func(m *v1.NamesAndLabelsMatch, prefix, label, what string) error {
		if m == nil {
			return nil
		}
		if m.Selector != "" {
			s, err := selector.Parse(m.Selector)
			if err != nil {
				return fmt.Errorf("%s.selector: %w", what, err)
			}
			has, err := selector.Has(label)
			if err != nil {
				return err
			}
			parts = append(parts, s.Prefix(prefix), has)
		}
		if len(m.Names) > 0 {
			in, err := selector.In(label, m.Names...)
			if err != nil {
				return fmt.Errorf("%s.names: %w", what, err)
			}
			parts = append(parts, in)
		}
		return nil
	}
	if err := add(es.Namespaces, selector.PrefixNamespace, selector.LabelNamespace, "namespaces"); err != nil {
		return nil, err
	}
	if err := add(es.ServiceAccounts, selector.PrefixServiceAccount, selector.LabelServiceAccount, "serviceAccounts"); err != nil {
		return nil, err
	}
	return selector.And(parts...), nil
}

// replay rebuilds the state at start and replays the interval's changes,
// accumulating every in-scope endpoint's flags.
func (e *Engine) replay(ctx context.Context, sel *selector.Selector, start, end time.Time, cov *coverage) (*scopeResult, error) {
	cache, err := policy.NewCache(e.opts.Policy)
	if err != nil {
		return nil, fmt.Errorf("policy model: %w", err)
	}
	cache.SetInScope(sel)
	q := store.VersionQuery{Clusters: []string{e.opts.Cluster}, WithObject: true}
	for v, err := range prefetch(ctx, e.st.StateAt(ctx, start, q)) {
		if err != nil {
			return nil, fmt.Errorf("state at start: %w", err)
		}
		cov.version(v)
		if err := apply(cache, v); err != nil {
			cov.undecodable(v, err)
		}
	}
	acc := newAccumulator()
	cache.Endpoints(acc.observe) // the state at the start is the first observation
	cache.OnEndpoint(acc.observe)
	for v, err := range prefetch(ctx, e.st.Changes(ctx, start, end, q)) {
		if err != nil {
			return nil, fmt.Errorf("changes in the interval: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cov.version(v)
		if err := apply(cache, v); err != nil {
			cov.undecodable(v, err)
		}
	}
	return acc.result(cache), nil
}

// prefetch reads a sequence on its own goroutine, ahead of the consumer:
// loading and decompressing objects overlaps with replaying them.
func prefetch(ctx context.Context, seq iter.Seq2[store.Version, error]) iter.Seq2[store.Version, error] {
	type item struct {
		v   store.Version
		err error
	}
	return func(yield func(store.Version, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ch := make(chan item, 4096)
		go func() {
			defer close(ch)
			for v, err := range seq {
				select {
				case ch <- item{v, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}()
		for it := range ch {
			if !yield(it.v, it.err) {
				return
			}
		}
	}
}

// apply feeds one version to the model.
func apply(c *policy.Cache, v store.Version) error {
	if v.Deleted {
		c.Delete(v.Kind, v.Namespace, v.Name)
		return nil
	}
	if len(v.Object) == 0 {
		return errors.New("no object recorded")
	}
	return c.Set(v.Kind, v.Object)
}

// kindOfEvent maps an audit event's resource to a tracked kind.
func kindOfEvent(ev *store.StoredEvent) (audit.Kind, bool) {
	return audit.LookupKind(ev.APIGroup, ev.Resource)
}
