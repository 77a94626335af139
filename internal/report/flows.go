package report

import (
	"slices"
	"strings"
)

// flowKey identifies a flow end: its kind, namespace and (possibly
// aggregated) name.
type flowKey struct{ kind, namespace, name string }

// flowIndex maps each pod or host endpoint seen in a report's flows to
// the other ends of its flows.
type flowIndex struct {
	ingress map[flowKey][]FlowEndpoint // destination -> sources
	egress  map[flowKey][]FlowEndpoint // source -> destinations
}

// globalNamespace is the namespace flow logs give ends that have none.
const globalNamespace = "-"

func keyOf(e FlowEndpoint) (flowKey, bool) {
	if e.Kind != FlowKindPod && e.Kind != FlowKindHostEndpoint {
		return flowKey{}, false
	}
	ns := e.Namespace
	if ns == globalNamespace {
		ns = ""
	}
	return flowKey{e.Kind, ns, e.Name}, true
}

func newFlowIndex(flows []EndpointsReportFlow) *flowIndex {
	x := &flowIndex{ingress: map[flowKey][]FlowEndpoint{}, egress: map[flowKey][]FlowEndpoint{}}
	for _, f := range flows {
		if k, ok := keyOf(f.Destination); ok {
			x.ingress[k] = append(x.ingress[k], f.Source)
		}
		if k, ok := keyOf(f.Source); ok {
			x.egress[k] = append(x.egress[k], f.Destination)
		}
	}
	for _, m := range []map[flowKey][]FlowEndpoint{x.ingress, x.egress} {
		for k, ends := range m {
			slices.SortFunc(ends, func(a, b FlowEndpoint) int { return strings.Compare(a.String(), b.String()) })
			m[k] = slices.Compact(ends)
		}
	}
	return x
}

func (x *flowIndex) has(k flowKey) bool {
	_, in := x.ingress[k]
	_, out := x.egress[k]
	return in || out
}

// flowKeyOf returns the key the flows of ep were recorded under: its own
// name if any flow names it, else its aggregation name if any flow names
// that; ok is false when there are no flows for it.
func (r *renderer) flowKeyOf(ep EndpointsReportEndpoint) (k flowKey, name string, ok bool) {
	if r.flows == nil {
		r.flows = newFlowIndex(r.data.Flows)
	}
	id := ep.Endpoint
	if k := (flowKey{id.Kind, id.Namespace, id.Name}); r.flows.has(k) {
		return k, id.Name, true
	}
	if ep.FlowLogAggregationName != "" {
		if k := (flowKey{id.Kind, id.Namespace, ep.FlowLogAggregationName}); r.flows.has(k) {
			return k, ep.FlowLogAggregationName, true
		}
	}
	return flowKey{}, "", false
}

// flowsPrefix is the name the flows of ep were recorded under (its name
// or its aggregation name), or "" when it has none.
func (r *renderer) flowsPrefix(ep EndpointsReportEndpoint) string {
	_, name, _ := r.flowKeyOf(ep)
	return name
}

// flowsIngress lists the sources of the flows to ep, sorted and distinct.
func (r *renderer) flowsIngress(ep EndpointsReportEndpoint) []FlowEndpoint {
	k, _, ok := r.flowKeyOf(ep)
	if !ok {
		return nil
	}
	return slices.Clone(r.flows.ingress[k])
}

// flowsEgress lists the destinations of the flows from ep, sorted and
// distinct.
func (r *renderer) flowsEgress(ep EndpointsReportEndpoint) []FlowEndpoint {
	k, _, ok := r.flowKeyOf(ep)
	if !ok {
		return nil
	}
	return slices.Clone(r.flows.egress[k])
}
