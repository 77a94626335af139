package synth

// Spec builders for the policy kinds. Kubernetes NetworkPolicy specs keep
// the field order of the Go type; Calico specs are rendered key-sorted.

// selector is a metav1.LabelSelector with matchLabels; no pairs gives {}
// (select everything).
func selector(kvs ...string) *node {
	if len(kvs) == 0 {
		return obj()
	}
	return obj(kv("matchLabels", labelsNode(labelsOf(kvs...))))
}

func npPort(proto string, port int) *node {
	return obj(kv("protocol", str(proto)), kv("port", num(port)))
}

func npPods(kvs ...string) *node { return obj(kv("podSelector", selector(kvs...))) }

func npNamespaces(kvs ...string) *node { return obj(kv("namespaceSelector", selector(kvs...))) }

func npIPBlock(cidr string, except ...string) *node {
	ib := obj(kv("cidr", str(cidr)))
	if len(except) > 0 {
		ib.set("except", strs(except...))
	}
	return obj(kv("ipBlock", ib))
}

// npRule is an ingress (from) or egress (to) rule.
func npRule(egress bool, ports []*node, peers ...*node) *node {
	r := obj()
	if len(ports) > 0 {
		r.set("ports", arr(ports...))
	}
	if len(peers) > 0 {
		key := "from"
		if egress {
			key = "to"
		}
		r.set(key, arr(peers...))
	}
	return r
}

// npSpec builds a NetworkPolicySpec; policyTypes are filled in as the API
// server does (Ingress always, Egress when there are egress rules).
func npSpec(podSel *node, ingress, egress []*node, types ...string) *node {
	s := obj(kv("podSelector", podSel))
	if len(ingress) > 0 {
		s.set("ingress", arr(ingress...))
	}
	if len(egress) > 0 {
		s.set("egress", arr(egress...))
	}
	if len(types) == 0 {
		types = []string{"Ingress"}
		if len(egress) > 0 {
			types = append(types, "Egress")
		}
	}
	s.set("policyTypes", strs(types...))
	return s
}

// npOrder restores the Go field order after an edit.
func npOrder(s *node) { s.orderKeys("podSelector", "ingress", "egress", "policyTypes") }

// entity is a Calico rule source or destination.
type entity struct {
	selector, namespaceSelector string
	nets                        []string
	ports                       []int
}

func (e entity) node() *node {
	n := obj()
	if e.namespaceSelector != "" {
		n.set("namespaceSelector", str(e.namespaceSelector))
	}
	if len(e.nets) > 0 {
		n.set("nets", strs(e.nets...))
	}
	if len(e.ports) > 0 {
		ps := arr()
		for _, p := range e.ports {
			ps.items = append(ps.items, num(p))
		}
		n.set("ports", ps)
	}
	if e.selector != "" {
		n.set("selector", str(e.selector))
	}
	return n
}

// calRule is a Calico rule; protocol "" leaves it unset.
func calRule(action, protocol string, src, dst entity) *node {
	r := obj(kv("action", str(action)))
	if d := dst.node(); len(d.fields) > 0 {
		r.set("destination", d)
	}
	if protocol != "" {
		r.set("protocol", str(protocol))
	}
	if s := src.node(); len(s.fields) > 0 {
		r.set("source", s)
	}
	return r
}

// calSpec builds a Calico (Global)NetworkPolicy spec. tier "" is the
// default tier.
func calSpec(tier string, order int, sel string, ingress, egress []*node, types ...string) *node {
	s := obj()
	if len(egress) > 0 {
		s.set("egress", arr(egress...))
	}
	if len(ingress) > 0 {
		s.set("ingress", arr(ingress...))
	}
	s.set("order", num(order))
	s.set("selector", str(sel))
	if tier != "" {
		s.set("tier", str(tier))
	}
	if len(types) == 0 {
		if len(ingress) > 0 || len(egress) == 0 {
			types = append(types, "Ingress")
		}
		if len(egress) > 0 {
			types = append(types, "Egress")
		}
	}
	s.set("types", strs(types...))
	return s
}

// policyName prefixes a Calico policy name with its tier, as tiered
// policies are named.
func policyName(tier, name string) string {
	if tier == "" {
		return name
	}
	return tier + "." + name
}

func netsSpec(nets ...string) *node { return obj(kv("nets", strs(nets...))) }

func tierSpec(order int) *node {
	return obj(kv("defaultAction", str("Deny")), kv("order", num(order)))
}

func hostEndpointSpec(h *host) *node {
	return obj(kv("expectedIPs", strs(h.ip)), kv("interfaceName", str("eth0")), kv("node", str(h.name)))
}
