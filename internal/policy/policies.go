package policy

import (
	"slices"
	"strings"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/selector"
)

// policyKey identifies a policy: "group/Kind" plus namespace and name.
type policyKey struct {
	kind string
	nsName
}

// policy is the cache's record of one policy of any kind.
type policy struct {
	key    policyKey
	def    policyDef
	idText string
	ns     *namespace // nil for global policies
	slot   int        // the policy's number among the live ones
	active bool       // counts as an applied policy under the options

	static    Flags                   // protection, other-namespace and net-based internet flags
	refs      map[*ruleSelector]Flags // rule selectors in use, with the internet flag each can set
	flags     Flags                   // static plus the rule selectors' network-set exposure
	matched   map[*view]struct{}      // the views it applies to
	endpoints int                     // the endpoints of those views
}

// PolicyInfo describes a policy as the cache sees it.
type PolicyInfo struct {
	ID ResourceID
	// Selector is the endpoint selector in Calico form (namespace and
	// service-account selectors folded in); nil when the policy's
	// selectors do not parse, in which case it selects nothing.
	Selector *selector.Selector
	Flags    Flags
	// Applied reports whether the policy counts as applied: false for a
	// staged policy unless staged policies are included, and always for a
	// staged Delete.
	Applied   bool
	Staged    bool
	Tier      string
	Order     *float64
	Endpoints int // endpoints it applies to now
}

// isPolicyKind reports whether k is one of the network policy kinds.
func isPolicyKind(k audit.Kind) bool {
	switch k.Group + "/" + k.Name {
	case audit.GroupNetworking + "/NetworkPolicy",
		audit.GroupCalico + "/NetworkPolicy",
		audit.GroupCalico + "/GlobalNetworkPolicy",
		audit.GroupCalico + "/StagedNetworkPolicy",
		audit.GroupCalico + "/StagedGlobalNetworkPolicy",
		audit.GroupCalico + "/StagedKubernetesNetworkPolicy":
		return true
	}
	return false
}

// decodePolicy decodes and converts a policy of any kind.
func decodePolicy(kind audit.Kind, data []byte) (policyDef, error) {
	switch {
	case kind.Group == audit.GroupNetworking:
		var k k8sPolicy
		if err := decode(data, &k, &k.Metadata, true); err != nil {
			return policyDef{}, err
		}
		return k8sDef(IDOf(kind, k.Metadata.Namespace, k.Metadata.Name), &k.Metadata, &k.Spec), nil
	case kind.Name == "StagedKubernetesNetworkPolicy":
		var s stagedK8sPolicy
		if err := decode(data, &s, &s.Metadata, true); err != nil {
			return policyDef{}, err
		}
		d := k8sDef(IDOf(kind, s.Metadata.Namespace, s.Metadata.Name), &s.Metadata, &s.Spec.NetworkPolicySpec)
		d.staged = true
		d.deleted = strings.EqualFold(s.Spec.StagedAction, "Delete")
		return d, nil
	}
	var p calicoPolicy
	if err := decode(data, &p, &p.Metadata, kind.Namespaced()); err != nil {
		return policyDef{}, err
	}
	id := IDOf(kind, p.Metadata.Namespace, p.Metadata.Name)
	return calicoDef(id, &p, strings.HasPrefix(kind.Name, "Staged")), nil
}

func (c *Cache) setPolicy(kind audit.Kind, data []byte) error {
	def, err := decodePolicy(kind, data)
	if err != nil {
		return err
	}
	key := policyKey{kind.Group + "/" + kind.Name, nsName{def.namespace, def.id.Name}}
	p := c.policies[key]
	fresh := p == nil
	if fresh {
		p = &policy{key: key, idText: def.id.String(), slot: c.newSlot(), matched: make(map[*view]struct{})}
		c.policies[key] = p
		if def.namespace != "" {
			p.ns = c.namespaceFor(def.namespace)
			p.ns.policies[p] = struct{}{}
		} else {
			c.globalPolicies[p] = struct{}{}
		}
	}
	rematch := fresh || p.def.selText != def.selText || p.active != c.isActive(&def)
	if p.ns == nil {
		c.setNamespaceFilter(p, def.nsFilter)
	}
	p.def = def
	p.active = c.isActive(&def)
	p.static = c.staticFlags(&def)
	c.setRuleSelectors(p)
	c.updateFlags(p)
	if rematch {
		c.rematchPolicy(p)
	}
	return nil
}

// setNamespaceFilter files a global policy as plain or filtered and
// records in each namespace whether its filter matches there.
func (c *Cache) setNamespaceFilter(p *policy, filter *selector.Selector) {
	if _, ok := c.filtered[p]; ok {
		delete(c.filtered, p)
		for _, ns := range c.namespaces {
			delete(ns.filtered, p)
		}
	}
	delete(c.plainGlobals, p)
	if filter == nil {
		c.plainGlobals[p] = struct{}{}
		return
	}
	c.filtered[p] = struct{}{}
	for _, ns := range c.namespaces {
		if filter.Matches(scopeLabels{ns}) {
			ns.filtered[p] = struct{}{}
		}
	}
}

func (c *Cache) isActive(d *policyDef) bool {
	return !d.staged || c.includeStaged && !d.deleted
}

// rematchPolicy re-evaluates p against the endpoints it could apply to:
// the pods of its namespace, or of the namespaces a global policy's
// namespace filter accepts, or all pods; and the host endpoints.
func (c *Cache) rematchPolicy(p *policy) {
	switch {
	case p.ns != nil:
		for v := range p.ns.views {
			c.matchPair(p, v)
		}
	case p.def.nsFilter != nil:
		// Pods of namespaces the filter rejects cannot match, unless their
		// own labels hide the namespace's; those matched so far may go.
		for _, ns := range c.namespaces {
			_, pass := ns.filtered[p]
			for v := range ns.views {
				if pass || v.ownPcns {
					c.matchPair(p, v)
				}
			}
		}
		for v := range p.matched {
			c.matchPair(p, v)
		}
	default:
		for _, v := range c.views {
			if v.kind == kindPod {
				c.matchPair(p, v)
			}
		}
	}
	for v := range c.hostViews {
		c.matchPair(p, v)
	}
}

func (c *Cache) deletePolicy(key policyKey) {
	p := c.policies[key]
	if p == nil {
		return
	}
	for v := range p.matched {
		v.removePolicy(p)
		c.touchMembers(v)
	}
	clear(p.matched)
	p.endpoints = 0
	if p.ns != nil {
		delete(p.ns.policies, p)
	} else {
		c.setNamespaceFilter(p, nil)
		delete(c.plainGlobals, p)
		delete(c.globalPolicies, p)
	}
	p.def = policyDef{}
	c.setRuleSelectors(p)
	delete(c.policies, key)
	c.freeSlot(p.slot)
}

// staticFlags are the flags that depend on the policy alone: its types,
// and the exposure of each Allow rule's peer that does not depend on
// network sets.
func (c *Cache) staticFlags(d *policyDef) Flags {
	f := d.types
	namespaced := d.namespace != ""
	for _, pr := range d.ingress {
		f |= c.peerFlags(&pr, namespaced, IngressFromOtherNamespace, IngressFromInternet)
	}
	for _, pr := range d.egress {
		f |= c.peerFlags(&pr, namespaced, EgressToOtherNamespace, EgressToInternet)
	}
	return f
}

// peerFlags applies the exposure rules to one Allow rule's peer:
//   - other namespaces: no nets, and the policy is global or the peer has
//     a namespaceSelector; or, in a namespaced policy, neither a selector
//     nor nets;
//   - internet: no selector, and no nets or a public net. (A selector that
//     matches a network set with a public net is handled by the rule
//     selector index.)
func (c *Cache) peerFlags(pr *peer, namespaced bool, otherNS, internet Flags) Flags {
	var f Flags
	if !namespaced || pr.namespaceSelector {
		if len(pr.nets) == 0 {
			f |= otherNS
		}
	} else if !pr.hasSelector && len(pr.nets) == 0 {
		f |= otherNS
	}
	if !pr.hasSelector && (len(pr.nets) == 0 || anyPublic(pr.nets, c.private)) {
		f |= internet
	}
	return f
}

// updateFlags recomputes p's flags from its static flags and the network
// sets its rule selectors match and, when they change, the flags of the
// endpoints it applies to.
func (c *Cache) updateFlags(p *policy) {
	f := p.static
	for rs, dir := range p.refs {
		if rs.public > 0 {
			f |= dir
		}
	}
	if f == p.flags {
		return
	}
	old := p.flags
	p.flags = f
	for v := range p.matched {
		if v.policyFlagsChanged(old, f) {
			c.touchMembers(v)
		}
	}
}

// Policy returns what the cache knows about a policy.
func (c *Cache) Policy(id ResourceID) (PolicyInfo, bool) {
	group := ""
	switch id.APIVersion {
	case APIVersionNetworking:
		group = audit.GroupNetworking
	case APIVersionCalico:
		group = audit.GroupCalico
	}
	p := c.policies[policyKey{group + "/" + id.Kind, nsName{id.Namespace, id.Name}}]
	if p == nil {
		return PolicyInfo{}, false
	}
	return p.info(), true
}

// Policies calls fn for every policy, in ID order.
func (c *Cache) Policies(fn func(PolicyInfo)) {
	ps := make([]*policy, 0, len(c.policies))
	for _, p := range c.policies {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *policy) int { return strings.Compare(a.idText, b.idText) })
	for _, p := range ps {
		fn(p.info())
	}
}

func (p *policy) info() PolicyInfo {
	return PolicyInfo{
		ID:        p.def.id,
		Selector:  p.def.sel,
		Flags:     p.flags,
		Applied:   p.active,
		Staged:    p.def.staged,
		Tier:      p.def.tier,
		Order:     p.def.order,
		Endpoints: p.endpoints,
	}
}
