package policy

import (
	"net/netip"
	"strings"

	"github.com/evident-dev/evident/internal/selector"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// policyDef is a policy in the form its flags are computed from: the
// endpoint selector and rule peers as Calico's datastore conversion
// writes them (namespace and service-account selectors folded in with the
// pcns./pcsa. prefixes, the policy's own namespace added for namespaced
// policies).
type policyDef struct {
	id        ResourceID
	namespace string             // "" for global policies
	sel       *selector.Selector // nil: selects nothing (a selector that does not parse)
	nsFilter  *selector.Selector // global policies: the namespace part of sel, a necessary condition
	selText   string             // canonical sel, for change detection
	staged    bool
	deleted   bool  // a staged policy whose stagedAction is Delete
	types     Flags // IngressProtected and/or EgressProtected
	ingress   []peer
	egress    []peer
	tier      string
	order     *float64
}

// peer is the remote side of one Allow rule: the source of an ingress
// rule or the destination of an egress rule.
type peer struct {
	hasSelector       bool               // the converted rule selector is non-empty
	sel               *selector.Selector // nil when absent or when it does not parse
	namespaceSelector bool               // the rule names a namespaceSelector
	nets              []netip.Prefix     // parseable nets only
}

// orchestratorK8s is the selector every converted Kubernetes policy and
// peer starts from.
func orchestratorK8s() *selector.Selector {
	return selector.MustParse(selector.LabelOrchestrator + ` == "k8s"`)
}

const (
	hasNamespace      = "has(" + selector.LabelNamespace + ")"
	hasServiceAccount = "has(" + selector.LabelServiceAccount + ")"
)

// eq returns key == value, or nil when value cannot be written as a
// literal (it holds both quote characters).
func eq(key, value string) *selector.Selector {
	q := `"`
	if strings.Contains(value, `"`) {
		if strings.Contains(value, "'") {
			return nil
		}
		q = "'"
	}
	s, err := selector.Parse(key + " == " + q + value + q)
	if err != nil {
		return nil
	}
	return s
}

// parseReplacing parses s and then rewrites its canonical form by
// replacing each old[i] with new[i], the textual rewrite Calico applies to
// all() and global() in prefixed namespace selectors.
func parseReplacing(s *selector.Selector, pairs ...string) (*selector.Selector, bool) {
	text := s.String()
	for i := 0; i+1 < len(pairs); i += 2 {
		text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
	}
	out, err := selector.Parse(text)
	return out, err == nil
}

// calicoDef converts a Calico NetworkPolicy, GlobalNetworkPolicy or a
// staged form of either.
func calicoDef(id ResourceID, p *calicoPolicy, staged bool) policyDef {
	ns := p.Metadata.Namespace
	d := policyDef{
		id:        id,
		namespace: ns,
		staged:    staged,
		deleted:   staged && strings.EqualFold(p.Spec.StagedAction, "Delete"),
		types:     calicoTypes(&p.Spec),
		tier:      p.Spec.Tier,
		order:     p.Spec.Order,
	}
	if d.tier == "" {
		d.tier = "default"
	}
	if ns != "" {
		d.sel = namespacedSelector(&p.Spec, ns)
	} else {
		d.sel, d.nsFilter = globalSelector(&p.Spec)
	}
	for _, r := range p.Spec.Ingress {
		if isAllow(r.Action) {
			d.ingress = append(d.ingress, calicoPeer(&r.Source, ns))
		}
	}
	for _, r := range p.Spec.Egress {
		if isAllow(r.Action) {
			d.egress = append(d.egress, calicoPeer(&r.Destination, ns))
		}
	}
	d.selText = d.sel.String()
	return d
}

func isAllow(action string) bool { return strings.EqualFold(action, "Allow") }

// calicoTypes returns the policy types, defaulted as the Calico API server
// defaults them on write: Ingress when there are no egress rules, Egress
// when there are only egress rules, both when there are both.
func calicoTypes(s *calicoPolicySpec) Flags {
	var f Flags
	for _, t := range s.Types {
		switch strings.ToLower(t) {
		case "ingress":
			f |= IngressProtected
		case "egress":
			f |= EgressProtected
		}
	}
	if len(s.Types) > 0 {
		return f
	}
	switch {
	case len(s.Egress) == 0:
		return IngressProtected
	case len(s.Ingress) == 0:
		return EgressProtected
	}
	return IngressProtected | EgressProtected
}

// namespacedSelector is (selector) && projectcalico.org/namespace == ns,
// ANDed with the pcsa.-prefixed serviceAccountSelector.
func namespacedSelector(s *calicoPolicySpec, ns string) *selector.Selector {
	sel, err := selector.Parse(s.Selector)
	if err != nil {
		return nil
	}
	nsEq := eq(selector.LabelNamespace, ns)
	if nsEq == nil {
		return nil
	}
	var sa *selector.Selector
	if s.ServiceAccountSelector != "" {
		p, err := selector.Parse(s.ServiceAccountSelector)
		if err != nil {
			return nil
		}
		sa = p.Prefix(selector.PrefixServiceAccount)
	}
	return selector.And(sel, nsEq, sa)
}

// globalSelector is the selector ANDed with the pcns.-prefixed
// namespaceSelector (all() then meaning "any namespaced endpoint") and the
// pcsa.-prefixed serviceAccountSelector (all() meaning "any endpoint with
// a service account"). It also returns the namespace part on its own: it
// reads only pcns. labels and projectcalico.org/namespace, and the whole
// selector cannot match where it does not.
func globalSelector(s *calicoPolicySpec) (sel, nsFilter *selector.Selector) {
	if s.Selector != "" {
		p, err := selector.Parse(s.Selector)
		if err != nil {
			return nil, nil
		}
		sel = p
	}
	if s.NamespaceSelector != "" {
		p, err := selector.Parse(s.NamespaceSelector)
		if err != nil {
			return nil, nil
		}
		// The rewrite of the combined text equals the AND of the rewritten
		// parts, so the rewritten namespace part is a conjunct of the result.
		var ok bool
		prefixed := p.Prefix(selector.PrefixNamespace)
		if nsFilter, ok = parseReplacing(prefixed, "all()", hasNamespace); !ok {
			return nil, nil
		}
		if sel, ok = parseReplacing(selector.And(sel, prefixed), "all()", hasNamespace); !ok {
			return nil, nil
		}
	}
	if s.ServiceAccountSelector != "" {
		p, err := selector.Parse(s.ServiceAccountSelector)
		if err != nil {
			return nil, nil
		}
		var ok bool
		if sel, ok = parseReplacing(selector.And(sel, p.Prefix(selector.PrefixServiceAccount)), "all()", hasServiceAccount); !ok {
			return nil, nil
		}
	}
	if sel == nil {
		return selector.All(), nil
	}
	return sel, nsFilter
}

// selectorPart is one optional part of a rule selector.
type selectorPart struct {
	sel     *selector.Selector
	present bool // the part was given
	bad     bool // it was given but does not parse
}

func (p selectorPart) and(q selectorPart) selectorPart {
	switch {
	case !p.present:
		return q
	case !q.present:
		return p
	}
	out := selectorPart{present: true, bad: p.bad || q.bad}
	if !out.bad {
		out.sel = selector.And(p.sel, q.sel)
	}
	return out
}

func parsePart(s string, prefix string, pairs ...string) selectorPart {
	if s == "" {
		return selectorPart{}
	}
	p, err := selector.Parse(s)
	if err != nil {
		return selectorPart{present: true, bad: true}
	}
	if prefix != "" {
		p = p.Prefix(prefix)
	}
	if len(pairs) > 0 {
		var ok bool
		if p, ok = parseReplacing(p, pairs...); !ok {
			return selectorPart{present: true, bad: true}
		}
	}
	return selectorPart{sel: p, present: true}
}

// prefixedNamespacePart is the namespace part of a rule selector built
// from a namespaceSelector: prefixed with pcns., with all() rewritten to
// "any namespaced endpoint" and global() to "any non-namespaced one".
func prefixedNamespacePart(s *selector.Selector) selectorPart {
	out, ok := parseReplacing(s.Prefix(selector.PrefixNamespace),
		"all()", hasNamespace, "global()", "!"+hasNamespace)
	return selectorPart{sel: out, present: true, bad: !ok}
}

// ownNamespacePart scopes a rule of a namespaced policy to the policy's
// namespace; global policies have no such part.
func ownNamespacePart(ns string) selectorPart {
	if ns == "" {
		return selectorPart{}
	}
	s := eq(selector.LabelNamespace, ns)
	return selectorPart{sel: s, present: true, bad: s == nil}
}

// calicoPeer converts one side of a Calico rule. The rule selector is the
// service-account and endpoint selectors ANDed, then scoped by the
// namespace part whenever any selector (or a namespaceSelector or
// notSelector) is given.
func calicoPeer(er *entityRule, ns string) peer {
	var sel selectorPart
	if sa := er.ServiceAccounts; sa != nil {
		sel = parsePart(sa.Selector, selector.PrefixServiceAccount)
		if len(sa.Names) > 0 {
			names, err := selector.In(selector.LabelServiceAccount, sa.Names...)
			sel = sel.and(selectorPart{sel: names, present: true, bad: err != nil})
		}
	}
	sel = sel.and(parsePart(er.Selector, ""))
	if sel.present || er.NotSelector != "" || er.NamespaceSelector != "" {
		nsPart := ownNamespacePart(ns)
		if er.NamespaceSelector != "" {
			if s, err := selector.Parse(er.NamespaceSelector); err != nil {
				nsPart = selectorPart{present: true, bad: true}
			} else {
				nsPart = prefixedNamespacePart(s)
			}
		}
		sel = nsPart.and(sel)
	}
	p := peer{
		hasSelector:       sel.present,
		namespaceSelector: er.NamespaceSelector != "",
		nets:              parseNets(er.Nets),
	}
	if !sel.bad {
		p.sel = sel.sel
	}
	return p
}

// k8sDef converts a Kubernetes NetworkPolicy (or the spec of a staged
// one) as Calico's Kubernetes converter does.
func k8sDef(id ResourceID, m *meta, spec *networkingv1.NetworkPolicySpec) policyDef {
	ns := m.Namespace
	d := policyDef{id: id, namespace: ns, tier: "default"}
	order := 1000.0
	d.order = &order
	for _, t := range spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			d.types |= IngressProtected
		case networkingv1.PolicyTypeEgress:
			d.types |= EgressProtected
		}
	}
	if d.types == 0 {
		d.types = IngressProtected
	}
	if podSel, ok := k8sPodSelector(&spec.PodSelector); ok {
		if nsEq := eq(selector.LabelNamespace, ns); nsEq != nil {
			d.sel = selector.And(podSel, nsEq)
		}
	}
	for _, r := range spec.Ingress {
		d.ingress = appendK8sPeers(d.ingress, r.From, ns)
	}
	for _, r := range spec.Egress {
		d.egress = appendK8sPeers(d.egress, r.To, ns)
	}
	d.selText = d.sel.String()
	return d
}

// k8sPodSelector is projectcalico.org/orchestrator == "k8s" ANDed with the
// converted pod selector; an absent or empty pod selector adds nothing.
func k8sPodSelector(ls *metav1.LabelSelector) (*selector.Selector, bool) {
	if ls == nil || len(ls.MatchLabels) == 0 && len(ls.MatchExpressions) == 0 {
		return orchestratorK8s(), true
	}
	s, err := selector.FromLabelSelector(ls)
	if err != nil {
		return nil, false
	}
	return selector.And(orchestratorK8s(), s), true
}

// appendK8sPeers appends the peers of one Kubernetes rule; a rule without
// peers allows everything and becomes one empty peer.
func appendK8sPeers(out []peer, peers []networkingv1.NetworkPolicyPeer, ns string) []peer {
	if len(peers) == 0 {
		return append(out, peer{})
	}
	for i := range peers {
		out = append(out, k8sPeer(&peers[i], ns))
	}
	return out
}

// k8sPeer converts one Kubernetes peer. An ipBlock becomes nets with no
// selector (a CIDR that does not parse leaves the peer empty, as in
// Calico); any other peer gets a selector that requires
// projectcalico.org/orchestrator == "k8s", so it never matches a network
// set.
func k8sPeer(p *networkingv1.NetworkPolicyPeer, ns string) peer {
	if p.IPBlock != nil {
		n, err := netip.ParsePrefix(strings.TrimSpace(p.IPBlock.CIDR))
		if err != nil {
			return peer{}
		}
		return peer{nets: []netip.Prefix{n.Masked()}}
	}
	out := peer{hasSelector: true, namespaceSelector: p.NamespaceSelector != nil}
	podSel, ok := k8sPodSelector(p.PodSelector)
	if !ok {
		return out
	}
	nsPart := ownNamespacePart(ns)
	if p.NamespaceSelector != nil {
		s, err := selector.FromLabelSelector(p.NamespaceSelector)
		if err != nil {
			return out
		}
		nsPart = prefixedNamespacePart(s)
	}
	if !nsPart.bad {
		out.sel = selector.And(nsPart.sel, podSel)
	}
	return out
}
