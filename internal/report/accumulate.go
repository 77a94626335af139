package report

import (
	"context"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/policy"
	"github.com/evident-dev/evident/internal/query"
	"github.com/evident-dev/evident/internal/store"
)

// badBits are the flags an endpoint must keep throughout the interval;
// the accumulator records their absence. The exposure flags count when
// they held at any time.
const (
	keepBits   = policy.IngressProtected | policy.EgressProtected | policy.EnvoyEnabled
	exposeBits = policy.IngressFromInternet | policy.EgressToInternet | policy.IngressFromOtherNamespace | policy.EgressToOtherNamespace
	// Services carry no egress statistics.
	serviceBits = policy.IngressProtected | policy.EnvoyEnabled | policy.IngressFromInternet | policy.IngressFromOtherNamespace
)

// endpointAcc is what an in-scope endpoint showed over the interval: bad
// holds each keep-bit that was missing at some point and each exposure bit
// that was set at some point.
type endpointAcc struct {
	id        policy.ResourceID
	namespace string
	host      bool
	sa        string
	aggName   string
	bad       policy.Flags
	policies  map[policy.ResourceID]bool
	services  map[policy.ResourceID]bool
}

// accumulator follows the endpoints through the replay (seed spec §5.4).
type accumulator struct {
	eps map[policy.ResourceID]*endpointAcc
}

func newAccumulator() *accumulator {
	return &accumulator{eps: map[policy.ResourceID]*endpointAcc{}}
}

// observe records one state of an endpoint; only in-scope states count.
func (a *accumulator) observe(ep *policy.Endpoint) {
	if ep.Deleted || !ep.InScope {
		return
	}
	acc, ok := a.eps[ep.ID]
	if !ok {
		acc = &endpointAcc{id: ep.ID, namespace: ep.Namespace, host: ep.ID.Kind == "HostEndpoint",
			policies: map[policy.ResourceID]bool{}, services: map[policy.ResourceID]bool{}}
		a.eps[ep.ID] = acc
	}
	acc.bad |= keepBits&^ep.Flags | exposeBits&ep.Flags
	if ep.ServiceAccount != "" {
		acc.sa = ep.ServiceAccount
	}
	acc.aggName = ep.FlowAggregationName
	for _, p := range ep.AppliedPolicies {
		acc.policies[p] = true
	}
	for _, s := range ep.Services {
		acc.services[s] = true
	}
}

// scopeResult is the outcome of the replay: the in-scope endpoints and
// what is related to them.
type scopeResult struct {
	acc        *accumulator
	namespaces map[string]policy.Flags            // bad bits, per namespace of in-scope endpoints
	services   map[policy.ResourceID]policy.Flags // bad bits, per service
	sas        map[[2]string]bool                 // (namespace, service account)
	policies   map[policy.ResourceID]bool         // applied to an in-scope endpoint at some time
}

func (a *accumulator) result(_ *policy.Cache) *scopeResult {
	r := &scopeResult{acc: a, namespaces: map[string]policy.Flags{}, services: map[policy.ResourceID]policy.Flags{},
		sas: map[[2]string]bool{}, policies: map[policy.ResourceID]bool{}}
	for _, ep := range a.eps {
		if !ep.host {
			r.namespaces[ep.namespace] |= ep.bad
		}
		for s := range ep.services {
			r.services[s] |= ep.bad
		}
		if ep.sa != "" {
			r.sas[[2]string{ep.namespace, ep.sa}] = true
		}
		for p := range ep.policies {
			r.policies[p] = true
		}
	}
	return r
}

// fill writes the endpoint, namespace and service sections.
func (r *scopeResult) fill(d *ReportData) {
	d.Endpoints = make([]EndpointsReportEndpoint, 0, len(r.acc.eps))
	for _, ep := range r.acc.eps {
		good := ^ep.bad
		d.Endpoints = append(d.Endpoints, EndpointsReportEndpoint{
			Endpoint:                  ResourceID(ep.id),
			IngressProtected:          good.Has(policy.IngressProtected),
			EgressProtected:           good.Has(policy.EgressProtected),
			EnvoyEnabled:              good.Has(policy.EnvoyEnabled),
			IngressFromInternet:       ep.bad.Has(policy.IngressFromInternet),
			EgressToInternet:          ep.bad.Has(policy.EgressToInternet),
			IngressFromOtherNamespace: ep.bad.Has(policy.IngressFromOtherNamespace),
			EgressToOtherNamespace:    ep.bad.Has(policy.EgressToOtherNamespace),
			AppliedPolicies:           sortedIDs(ep.policies),
			Services:                  sortedIDs(ep.services),
			ServiceAccount:            ep.sa,
			FlowLogAggregationName:    ep.aggName,
		})
	}
	d.EndpointsSummary = summarise(len(d.Endpoints), func(yield func(bad policy.Flags) bool) {
		for _, ep := range r.acc.eps {
			if !yield(ep.bad) {
				return
			}
		}
	}, keepBits|exposeBits)
	d.EndpointsSummary.NumServiceAccounts = len(r.sas)
	d.Namespaces = make([]EndpointsReportNamespace, 0, len(r.namespaces))
	for ns, bad := range r.namespaces {
		good := ^bad
		d.Namespaces = append(d.Namespaces, EndpointsReportNamespace{
			Namespace:                 ResourceID(policy.NamespaceID(ns)),
			IngressProtected:          good.Has(policy.IngressProtected),
			EgressProtected:           good.Has(policy.EgressProtected),
			EnvoyEnabled:              good.Has(policy.EnvoyEnabled),
			IngressFromInternet:       bad.Has(policy.IngressFromInternet),
			EgressToInternet:          bad.Has(policy.EgressToInternet),
			IngressFromOtherNamespace: bad.Has(policy.IngressFromOtherNamespace),
			EgressToOtherNamespace:    bad.Has(policy.EgressToOtherNamespace),
		})
	}
	d.NamespacesSummary = summarise(len(d.Namespaces), func(yield func(policy.Flags) bool) {
		for _, bad := range r.namespaces {
			if !yield(bad) {
				return
			}
		}
	}, keepBits|exposeBits)
	d.Services = make([]EndpointsReportService, 0, len(r.services))
	for id, bad := range r.services {
		good := ^bad
		d.Services = append(d.Services, EndpointsReportService{
			Service:                   ResourceID(id),
			IngressProtected:          good.Has(policy.IngressProtected),
			EnvoyEnabled:              good.Has(policy.EnvoyEnabled),
			IngressFromInternet:       bad.Has(policy.IngressFromInternet),
			IngressFromOtherNamespace: bad.Has(policy.IngressFromOtherNamespace),
		})
	}
	d.ServicesSummary = summarise(len(d.Services), func(yield func(policy.Flags) bool) {
		for _, bad := range r.services {
			if !yield(bad) {
				return
			}
		}
	}, serviceBits)
}

// summarise counts entries: protected/Envoy when the bit was never missing,
// exposed when it was ever set; only the bits in scope are counted.
func summarise(total int, all func(func(policy.Flags) bool), bits policy.Flags) EndpointsSummary {
	s := EndpointsSummary{NumTotal: total}
	count := func(bad policy.Flags, f policy.Flags, keep bool, n *int) {
		if bits&f == 0 {
			return
		}
		if keep && !bad.Has(f) || !keep && bad.Has(f) {
			*n++
		}
	}
	for bad := range all {
		count(bad, policy.IngressProtected, true, &s.NumIngressProtected)
		count(bad, policy.EgressProtected, true, &s.NumEgressProtected)
		count(bad, policy.EnvoyEnabled, true, &s.NumEnvoyEnabled)
		count(bad, policy.IngressFromInternet, false, &s.NumIngressFromInternet)
		count(bad, policy.EgressToInternet, false, &s.NumEgressToInternet)
		count(bad, policy.IngressFromOtherNamespace, false, &s.NumIngressFromOtherNamespace)
		count(bad, policy.EgressToOtherNamespace, false, &s.NumEgressToOtherNamespace)
	}
	return s
}

func sortedIDs(set map[policy.ResourceID]bool) []ResourceID {
	if len(set) == 0 {
		return nil
	}
	type keyed struct {
		key string
		id  ResourceID
	}
	ks := make([]keyed, 0, len(set))
	for id := range set {
		ks = append(ks, keyed{id.String(), ResourceID(id)})
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	out := make([]ResourceID, len(ks))
	for i, k := range ks {
		out[i] = k.id
	}
	return out
}

// auditEvents adds the interval's audit events selected by the report
// type (seed spec §5.5): completed create/update/patch/delete requests on
// the selected resources, oldest first; with an endpoints selection, only
// those related to the in-scope endpoints.
func (e *Engine) auditEvents(ctx context.Context, d *ReportData, sel *v1.AuditEventsSelection, filtered bool,
	scope *scopeResult, start, end time.Time) error {
	var resources store.Or
	for _, r := range sel.Resources {
		var and store.And
		for _, f := range []struct {
			field store.Field
			value string
		}{{store.FieldObjectResource, r.Resource}, {store.FieldObjectAPIGroup, r.APIGroup},
			{store.FieldObjectAPIVersion, r.APIVersion}, {store.FieldObjectName, r.Name}, {store.FieldObjectNamespace, r.Namespace}} {
			if f.value != "" {
				and = append(and, store.Cmp{Field: f.field, Op: store.OpEq, Value: query.Normalize(f.field, f.value)})
			}
		}
		resources = append(resources, and)
	}
	cond := store.And{
		store.Cmp{Field: store.FieldStage, Op: store.OpEq, Value: audit.StageResponseComplete},
		store.In{Field: store.FieldVerb, Patterns: []string{"create", "update", "patch", "delete"}},
		resources,
	}
	// The interval is (start, end], as the original queries it.
	q := store.EventQuery{Clusters: []string{e.opts.Cluster}, From: start, To: end.Add(time.Microsecond), Cond: cond, Limit: 1000, WithBody: true}
	var events []store.StoredEvent
	for {
		page, err := e.st.Events(ctx, q)
		if err != nil {
			return err
		}
		for _, ev := range page.Events {
			if ev.Time.Equal(start) || isDryRun(&ev) {
				continue
			}
			if filtered && !scope.related(&ev) {
				continue
			}
			events = append(events, ev)
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	// Pages come newest first; reports list events in time order.
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		d.AuditEvents = append(d.AuditEvents, AuditEvent(ev.Body))
		d.AuditSummary.NumTotal++
		switch ev.Verb {
		case "create":
			d.AuditSummary.NumCreate++
		case "update", "patch":
			d.AuditSummary.NumModify++
		case "delete":
			d.AuditSummary.NumDelete++
		}
	}
	return nil
}

// isDryRun reports a request that changed nothing (dryRun=All).
func isDryRun(ev *store.StoredEvent) bool {
	d, err := audit.Decode(ev.Body, "")
	return err == nil && d.Change == nil && d.Code >= 200 && d.Code < 300 && dryRunURI(d.RequestURI)
}

func dryRunURI(uri string) bool {
	for i := 0; i+7 <= len(uri); i++ {
		if uri[i:i+7] == "dryRun=" {
			return true
		}
	}
	return false
}

// related reports whether an event concerns the in-scope endpoints (seed
// spec §5.5): their namespaces, service accounts, themselves, the policies
// applied to them and their services.
func (r *scopeResult) related(ev *store.StoredEvent) bool {
	if r == nil {
		return false
	}
	k, ok := kindOfEvent(ev)
	if !ok {
		return false
	}
	switch k.Group + "/" + k.Name {
	case "/Namespace":
		_, ok := r.namespaces[ev.Name]
		return ok
	case "/ServiceAccount":
		return r.sas[[2]string{ev.Namespace, ev.Name}]
	case "/Pod", audit.GroupCalico + "/HostEndpoint":
		_, ok := r.acc.eps[policy.IDOf(k, ev.Namespace, ev.Name)]
		return ok
	case "/Endpoints":
		_, ok := r.services[policy.ServiceID(ev.Namespace, ev.Name)]
		return ok
	case audit.GroupNetworking + "/NetworkPolicy", audit.GroupCalico + "/NetworkPolicy", audit.GroupCalico + "/GlobalNetworkPolicy":
		return r.policies[policy.IDOf(k, ev.Namespace, ev.Name)]
	}
	return false
}

// coverage collects the evidence-coverage section.
type coverage struct {
	gap           time.Duration
	kinds         map[string]bool
	withoutCreate ObjectsWithoutCreate
	seen          map[policy.ResourceID]bool
	notes         []string
	out           EvidenceCoverage
}

func newCoverage(gap time.Duration) *coverage {
	return &coverage{gap: gap, kinds: map[string]bool{}, seen: map[policy.ResourceID]bool{}}
}

func (c *coverage) note(s string) { c.notes = append(c.notes, s) }

// version notes a version the replay used: its kind, and whether it is
// the first of an object that was not created in front of the audit trail.
func (c *coverage) version(v store.Version) {
	c.kinds[v.Kind.String()] = true
	if !v.First || v.Baseline || v.Verb == "create" {
		return
	}
	id := policy.IDOf(v.Kind, v.Namespace, v.Name)
	if c.seen[id] {
		return
	}
	c.seen[id] = true
	c.withoutCreate.Count++
	if len(c.withoutCreate.Examples) < MaxWithoutCreateExamples {
		c.withoutCreate.Examples = append(c.withoutCreate.Examples, ResourceID(id))
	}
}

func (c *coverage) undecodable(v store.Version, err error) {
	if len(c.notes) < 50 {
		c.note("Skipped a version of " + policy.IDOf(v.Kind, v.Namespace, v.Name).String() + " at " +
			v.Time.Format(time.RFC3339) + ": " + err.Error())
	}
}

func (c *coverage) result() EvidenceCoverage {
	out := c.out
	out.WithoutCreate = c.withoutCreate
	out.Notes = c.notes
	out.GapThreshold = metav1.Duration{Duration: c.gap}
	return out
}

// coverage fills baselines, source coverage and rejections.
func (e *Engine) coverage(ctx context.Context, c *coverage, start, end time.Time) error {
	bases, err := e.st.ListBaselines(ctx, e.opts.Cluster)
	if err != nil {
		return err
	}
	newest := map[string]time.Time{}
	for _, b := range bases {
		if !b.Time.After(start) {
			newest[b.Kind.String()] = b.Time
		}
	}
	for _, k := range audit.Tracked() {
		b := Baseline{Kind: k.String()}
		if t, ok := newest[k.String()]; ok {
			mt := metav1.NewTime(t)
			b.SnapshotTime = &mt
		}
		c.out.Baselines = append(c.out.Baselines, b)
	}
	sources, err := e.sourceCoverage(ctx, start, end, c.gap)
	if err != nil {
		return err
	}
	c.out.Sources = sources
	if len(sources) == 0 {
		c.note("No audit events were received for the interval: changes in it, if any, are not in this report.")
	}
	rejects, err := e.st.Rejections(ctx, "", start, end, 1_000_000)
	if err != nil {
		return err
	}
	byReason := map[string]int64{}
	for _, r := range rejects {
		byReason[string(r.Reason)]++
	}
	for reason, n := range byReason {
		c.out.Rejected = append(c.out.Rejected, RejectedCount{Reason: reason, Count: n})
	}
	sort.Slice(c.out.Rejected, func(i, j int) bool { return c.out.Rejected[i].Reason < c.out.Rejected[j].Reason })
	return nil
}

// sourceCoverage finds, for each source, its events in [start, end], the
// first and last of them, and every silence longer than gap (between start,
// each event and end). Counting uses minute buckets; the times at the edges
// of the first and last bucket and of each silence are then read exactly.
func (e *Engine) sourceCoverage(ctx context.Context, start, end time.Time, gap time.Duration) ([]SourceCoverage, error) {
	bucket := time.Minute
	if n := end.Sub(start) / 50_000; n > bucket {
		bucket = n.Truncate(time.Minute)
	}
	q := store.EventQuery{Clusters: []string{e.opts.Cluster}, From: start, To: end.Add(time.Microsecond)}
	counts, err := e.st.EventCounts(ctx, q, bucket)
	if err != nil {
		return nil, err
	}
	bySource := map[string][]store.Count{}
	var names []string
	for _, n := range counts {
		if _, ok := bySource[n.Source]; !ok {
			names = append(names, n.Source)
		}
		bySource[n.Source] = append(bySource[n.Source], n)
	}
	sort.Strings(names)
	var out []SourceCoverage
	for _, src := range names {
		sc, err := e.coverSource(ctx, src, bySource[src], start, end, bucket, gap)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

func (e *Engine) coverSource(ctx context.Context, src string, buckets []store.Count, start, end time.Time,
	bucket, gap time.Duration) (SourceCoverage, error) {
	sc := SourceCoverage{Source: src}
	// edge returns the oldest (or newest) event time of a bucket.
	edge := func(b store.Count, newest bool) (time.Time, error) {
		q := store.EventQuery{Clusters: []string{e.opts.Cluster}, Sources: []string{src},
			From: maxTime(b.Start, start), To: minTime(b.Start.Add(bucket), end.Add(time.Microsecond)), Limit: 1}
		if !newest {
			q.Limit = int(b.N)
		}
		page, err := e.st.Events(ctx, q)
		if err != nil || len(page.Events) == 0 {
			return b.Start, err
		}
		if newest {
			return page.Events[0].Time, nil
		}
		return page.Events[len(page.Events)-1].Time, nil
	}
	first, err := edge(buckets[0], false)
	if err != nil {
		return sc, err
	}
	last, err := edge(buckets[len(buckets)-1], true)
	if err != nil {
		return sc, err
	}
	ft, lt := metav1.NewTime(first), metav1.NewTime(last)
	sc.FirstEvent, sc.LastEvent = &ft, &lt
	addGap := func(from, to time.Time) {
		if to.Sub(from) > gap {
			sc.Gaps = append(sc.Gaps, Gap{From: metav1.NewTime(from), To: metav1.NewTime(to)})
		}
	}
	addGap(start, first)
	for i, b := range buckets {
		sc.Events += b.N
		if i == 0 {
			continue
		}
		prev := buckets[i-1]
		// A silence can only lie between buckets whose edges are far apart.
		if b.Start.Sub(prev.Start.Add(bucket)) <= gap-2*bucket {
			continue
		}
		from, err := edge(prev, true)
		if err != nil {
			return sc, err
		}
		to, err := edge(b, false)
		if err != nil {
			return sc, err
		}
		addGap(from, to)
	}
	addGap(last, end)
	return sc, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
