package policy

import (
	"maps"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/selector"
)

// netset is a GlobalNetworkSet or NetworkSet. Rule selectors see its own
// labels; a NetworkSet also carries projectcalico.org/namespace, so the
// rules of a namespaced policy (whose selectors are scoped to the policy's
// namespace) match only the NetworkSets of that namespace and no
// GlobalNetworkSet. Namespace labels are not inherited by network sets.
type netset struct {
	labels    selector.Map
	public    bool // some net's network address is public
	matchedBy map[*ruleSelector]struct{}
}

// ruleSelector is one distinct Allow-rule selector, shared by every policy
// peer that uses it, with the network sets it matches.
type ruleSelector struct {
	text    string
	sel     *selector.Selector
	refs    map[*policy]struct{}
	matched map[*netset]struct{}
	public  int // matched sets with a public net
}

func (c *Cache) setNetworkSet(kind audit.Kind, data []byte) error {
	var n networkSet
	if err := decode(data, &n, &n.Metadata, kind.Namespaced()); err != nil {
		return err
	}
	labels := make(selector.Map, len(n.Metadata.Labels)+1)
	maps.Copy(labels, n.Metadata.Labels)
	if kind.Namespaced() {
		labels[selector.LabelNamespace] = n.Metadata.Namespace
	}
	public := anyPublic(parseNets(n.Spec.Nets), c.private)
	key := nsName{n.Metadata.Namespace, n.Metadata.Name}
	ns := c.netsets[key]
	if ns == nil {
		ns = &netset{matchedBy: make(map[*ruleSelector]struct{})}
		c.netsets[key] = ns
	} else if ns.public == public && maps.Equal(ns.labels, labels) {
		return nil
	}
	wasPublic := ns.public
	ns.labels, ns.public = labels, public
	toggled := make(map[*ruleSelector]struct{})
	for _, rs := range c.ruleSels {
		_, was := ns.matchedBy[rs]
		now := rs.sel.Matches(labels)
		if now && !was {
			ns.matchedBy[rs] = struct{}{}
			rs.matched[ns] = struct{}{}
		} else if was && !now {
			delete(ns.matchedBy, rs)
			delete(rs.matched, ns)
		}
		rs.adjust(was && wasPublic, now && public, toggled)
	}
	c.recomputeRuleSelectors(toggled)
	return nil
}

func (c *Cache) deleteNetworkSet(key nsName) {
	ns := c.netsets[key]
	if ns == nil {
		return
	}
	toggled := make(map[*ruleSelector]struct{})
	for rs := range ns.matchedBy {
		delete(rs.matched, ns)
		rs.adjust(ns.public, false, toggled)
	}
	delete(c.netsets, key)
	c.recomputeRuleSelectors(toggled)
}

// adjust moves rs's public count from one contribution to another and
// records rs in toggled when its exposure flips.
func (rs *ruleSelector) adjust(before, after bool, toggled map[*ruleSelector]struct{}) {
	if before == after {
		return
	}
	was := rs.public > 0
	if after {
		rs.public++
	} else {
		rs.public--
	}
	if was != (rs.public > 0) {
		toggled[rs] = struct{}{}
	}
}

// recomputeRuleSelectors recomputes the flags of the policies using rule
// selectors whose exposure flipped, and of the endpoints they apply to.
func (c *Cache) recomputeRuleSelectors(toggled map[*ruleSelector]struct{}) {
	seen := make(map[*policy]struct{})
	for rs := range toggled {
		for p := range rs.refs {
			if _, ok := seen[p]; ok {
				continue
			}
			seen[p] = struct{}{}
			c.updateFlags(p)
		}
	}
}

// setRuleSelectors points p at the rule selectors its current definition
// uses, creating and releasing shared entries as needed.
func (c *Cache) setRuleSelectors(p *policy) {
	old := p.refs
	p.refs = nil
	add := func(peers []peer, dir Flags) {
		for i := range peers {
			if pr := &peers[i]; pr.hasSelector && pr.sel != nil {
				if p.refs == nil {
					p.refs = make(map[*ruleSelector]Flags)
				}
				rs := c.ruleSelectorFor(pr.sel)
				p.refs[rs] |= dir
				rs.refs[p] = struct{}{}
			}
		}
	}
	add(p.def.ingress, IngressFromInternet)
	add(p.def.egress, EgressToInternet)
	for rs := range old {
		if _, ok := p.refs[rs]; ok {
			continue
		}
		delete(rs.refs, p)
		if len(rs.refs) == 0 {
			for ns := range rs.matched {
				delete(ns.matchedBy, rs)
			}
			delete(c.ruleSels, rs.text)
		}
	}
}

// ruleSelectorFor returns the shared entry for sel, matching a new one
// against every network set.
func (c *Cache) ruleSelectorFor(sel *selector.Selector) *ruleSelector {
	text := sel.String()
	if rs := c.ruleSels[text]; rs != nil {
		return rs
	}
	rs := &ruleSelector{
		text:    text,
		sel:     sel,
		refs:    make(map[*policy]struct{}),
		matched: make(map[*netset]struct{}),
	}
	for _, ns := range c.netsets {
		if sel.Matches(ns.labels) {
			rs.matched[ns] = struct{}{}
			ns.matchedBy[rs] = struct{}{}
			if ns.public {
				rs.public++
			}
		}
	}
	c.ruleSels[text] = rs
	return rs
}
