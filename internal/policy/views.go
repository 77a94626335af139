package policy

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/evident-dev/evident/internal/selector"
)

// view is what selectors see of an endpoint. Pods of one namespace and
// service account with the same labels, like host endpoints with the same
// labels, see the same labels, so they share one view: it is matched
// against the policies and the in-scope selector once for all of them.
type view struct {
	key     string
	kind    endpointKind
	labels  selector.Map    // the endpoints' own labels
	pseudo  pseudoLabels    // pods only
	ns      *namespace      // pods only
	sa      *serviceAccount // pods with a service account
	merged  selector.Merged // what selectors are matched against
	members map[*endpoint]struct{}
	// ownPcns is set when the pods' own labels include pcns. keys, which
	// hide their namespace's: namespace filters do not apply to them.
	ownPcns bool

	inScope bool
	// applied are the policies that apply, sorted by ID; counts has, per
	// flag bit, how many of them carry it, and flags the bits counted.
	applied      []*policy
	appliedSlots slotSet
	counts       flagCounts
	flags        Flags
	ids          []ResourceID // the applied policies' IDs, shared by the members' published views
	idsStale     bool
}

// pseudoLabels are the labels Calico adds to a pod's own.
type pseudoLabels struct {
	namespace      string
	serviceAccount string
	hasSA          bool
}

// Get implements selector.Labels.
func (p *pseudoLabels) Get(key string) (string, bool) {
	switch key {
	case selector.LabelNamespace:
		return p.namespace, true
	case selector.LabelOrchestrator:
		return "k8s", true
	case selector.LabelServiceAccount:
		return p.serviceAccount, p.hasSA
	}
	return "", false
}

// podView returns the view of the pods of a namespace and service account
// with the given labels, creating and matching it if needed.
func (c *Cache) podView(ns, sa string, labels map[string]string) *view {
	b := appendViewKey(c.keyScratch[:0], kindPod, ns, sa, labels)
	c.keyScratch = b
	if v := c.views[string(b)]; v != nil {
		return v
	}
	v := c.newView(string(b), kindPod, labels)
	v.pseudo = pseudoLabels{namespace: ns, serviceAccount: sa, hasSA: sa != "" && len(sa) < maxServiceAccountLabel}
	v.ns = c.namespaceFor(ns)
	v.ns.views[v] = struct{}{}
	v.merged = selector.Merged{&v.pseudo, v.labels, v.ns}
	if sa != "" {
		v.sa = c.serviceAccountFor(nsName{ns, sa})
		v.sa.views[v] = struct{}{}
		v.merged = append(v.merged, v.sa)
	}
	for k := range labels {
		if strings.HasPrefix(k, selector.PrefixNamespace) {
			v.ownPcns = true
			break
		}
	}
	c.matchView(v)
	c.updateInScope(v)
	return v
}

// hostView returns the view of the host endpoints with the given labels,
// creating and matching it if needed.
func (c *Cache) hostView(labels map[string]string) *view {
	b := appendViewKey(c.keyScratch[:0], kindHost, "", "", labels)
	c.keyScratch = b
	if v := c.views[string(b)]; v != nil {
		return v
	}
	v := c.newView(string(b), kindHost, labels)
	v.merged = selector.Merged{v.labels}
	c.hostViews[v] = struct{}{}
	c.matchView(v)
	c.updateInScope(v)
	return v
}

func (c *Cache) newView(key string, kind endpointKind, labels map[string]string) *view {
	v := &view{key: key, kind: kind, labels: labels, members: make(map[*endpoint]struct{})}
	c.views[key] = v
	return v
}

// appendViewKey appends the identity of a view: the kind, namespace,
// service account and labels, each string length-prefixed.
func appendViewKey(b []byte, kind endpointKind, ns, sa string, labels map[string]string) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = append(b, byte(kind))
	str(ns)
	str(sa)
	var buf [16]string
	keys := buf[:0]
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		str(k)
		str(labels[k])
	}
	return b
}

// moveTo makes v the endpoint's view.
func (c *Cache) moveTo(ep *endpoint, v *view) {
	if ep.view == v {
		return
	}
	c.leave(ep)
	ep.view = v
	v.members[ep] = struct{}{}
	for _, p := range v.applied {
		p.endpoints++
	}
}

// leave takes the endpoint out of its view, which it keeps pointing to,
// and drops the view when it was the last one in it.
func (c *Cache) leave(ep *endpoint) {
	v := ep.view
	if v == nil {
		return
	}
	if _, ok := v.members[ep]; !ok {
		return
	}
	delete(v.members, ep)
	for _, p := range v.applied {
		p.endpoints--
	}
	if len(v.members) > 0 {
		return
	}
	for _, p := range v.applied {
		delete(p.matched, v)
	}
	if v.ns != nil {
		delete(v.ns.views, v)
	}
	if v.sa != nil {
		delete(v.sa.views, v)
	}
	delete(c.hostViews, v)
	delete(c.views, v.key)
}

// touchMembers queues the view's endpoints for notification.
func (c *Cache) touchMembers(v *view) {
	for ep := range v.members {
		c.touch(ep)
	}
}

// matchView re-evaluates which policies apply to v: the global policies,
// and the policies of its namespace (for host endpoints, of the namespace
// their own projectcalico.org/namespace label names, if any). Of the
// global policies with a namespace filter, pods are matched only against
// those whose filter matches their namespace. Policies applied so far that
// were not candidates are re-checked so they can go.
func (c *Cache) matchView(v *view) {
	home := v.ns
	filtered := v.ns != nil && !v.ownPcns
	if v.kind == kindHost {
		if name, ok := v.labels[selector.LabelNamespace]; ok {
			home = c.namespaces[name]
		}
	}
	if filtered {
		for p := range c.plainGlobals {
			c.matchPair(p, v)
		}
		for p := range v.ns.filtered {
			c.matchPair(p, v)
		}
	} else {
		for p := range c.globalPolicies {
			c.matchPair(p, v)
		}
	}
	if home != nil {
		for p := range home.policies {
			c.matchPair(p, v)
		}
	}
	// Backwards, as matchPair may remove the policy at i.
	for i := len(v.applied) - 1; i >= 0; i-- {
		p := v.applied[i]
		stale := p.ns != nil && p.ns != home
		if p.ns == nil && filtered && p.def.nsFilter != nil {
			_, ok := v.ns.filtered[p]
			stale = !ok
		}
		if stale {
			c.matchPair(p, v)
		}
	}
}

// matchPair updates whether policy p applies to v, with v's flags.
func (c *Cache) matchPair(p *policy, v *view) {
	c.evals++
	m := p.active && p.def.sel.Matches(v.merged)
	if m == v.appliedSlots.has(p.slot) {
		return
	}
	if m {
		v.addPolicy(p)
		p.matched[v] = struct{}{}
		p.endpoints += len(v.members)
	} else {
		v.removePolicy(p)
		delete(p.matched, v)
		p.endpoints -= len(v.members)
	}
	c.touchMembers(v)
}

// updateInScope re-evaluates the in-scope selector for v.
func (c *Cache) updateInScope(v *view) {
	if in := c.inScope.Matches(v.merged); in != v.inScope {
		v.inScope = in
		c.touchMembers(v)
	}
}
