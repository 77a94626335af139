package synth

import (
	"fmt"
	"time"
)

// seedPolicies creates the tiers, network sets, host endpoints and
// policies that exist when the history starts: a fixed cast whose
// protection and exposure differ (default-deny, allow-all ingress,
// namespace-selector and ipBlock rules, public network sets), then
// generated policies up to Options.Policies.
func (s *sim) seedPolicies(t time.Time) {
	w, k, u := s.w, s.w.k, &s.w.users
	at := func() time.Time { t = t.Add(s.rnd.between(time.Hour, 30*time.Hour)); return t }
	var seed seedFunc = func(kind *kindInfo, ns string, name string, spec *node, owner *user, labels ...string) *object {
		var n *namespace
		if ns != "" {
			n = s.namespace(ns)
		}
		o := s.newObject(kind, n, name, spec, owner)
		o.m.labels = labelsOf(labels...)
		s.seedObject(o, at(), true)
		return o
	}

	// Tiers and sets.
	seed(k.tier, "", "default", obj(kv("defaultAction", str("Deny")), kv("order", num(1000000))), u.bob)
	seed(k.tier, "", "security", tierSpec(100), u.bob)
	seed(k.tier, "", "platform", tierSpec(200), u.alice)
	seed(k.globalNetworkSet, "", "internet", netsSpec("0.0.0.0/0"), u.bob, "zone", "internet")
	seed(k.globalNetworkSet, "", "google-dns", netsSpec("8.8.8.0/24", "8.8.4.0/24"), u.bob, "dns-provider", "google")
	seed(k.globalNetworkSet, "", "corp-vpn", netsSpec("10.8.0.0/16"), u.bob, "zone", "corp")
	seed(k.globalNetworkSet, "", "threat-feed", netsSpec("192.0.2.0/24", "198.18.0.0/15"), u.bob, "threat-feed", "true")
	seed(k.networkSet, "payable", "payment-processors", netsSpec("198.51.100.0/24"), u.argocd, "role", "payment-gateway")
	seed(k.networkSet, "collections", "partner-sftp", netsSpec("203.0.113.0/24"), u.argocd, "role", "partner")
	for i, h := range w.hosts[:min(2, len(w.hosts))] {
		seed(k.hostEndpoint, "", h.name+"-eth0", hostEndpointSpec(h), u.alice, "host-endpoint", "ingress", "node-role", []string{"edge", "edge-backup"}[i])
	}

	s.seedGlobalPolicies(seed)
	s.seedNamespacedPolicies(seed)

	fixed := 0
	for _, o := range w.objects {
		if o.policy {
			fixed++
		}
	}
	for i := fixed; i < s.opts.Policies; i++ {
		s.seedGenerated(i, at)
	}
}

// seedFunc creates one object before the history.
type seedFunc func(kind *kindInfo, ns string, name string, spec *node, owner *user, labels ...string) *object

// seedGlobalPolicies creates the cluster-wide policies.
func (s *sim) seedGlobalPolicies(seed seedFunc) {
	k, u := s.w.k, &s.w.users
	dns := calRule("Allow", "UDP", entity{}, entity{selector: "k8s-app == 'kube-dns'", ports: []int{53}})
	seed(k.globalPolicy, "", "security.default-deny", calSpec("security", 1000, "projectcalico.org/namespace not in {'kube-system', 'argocd'}",
		nil, []*node{dns}, "Ingress", "Egress"), u.bob)
	seed(k.globalPolicy, "", "security.block-threat-feeds", calSpec("security", 10, "all()",
		[]*node{calRule("Deny", "", entity{selector: "threat-feed == 'true'"}, entity{})},
		[]*node{calRule("Deny", "", entity{}, entity{selector: "threat-feed == 'true'"})}), u.bob)
	seed(k.globalPolicy, "", "platform.allow-internet-egress", calSpec("platform", 100, "internet-egress == 'allowed'",
		nil, []*node{calRule("Allow", "TCP", entity{}, entity{nets: []string{"0.0.0.0/0"}, ports: []int{443}})}), u.alice)
	seed(k.globalPolicy, "", "platform.allow-monitoring", calSpec("platform", 50, "all()",
		[]*node{calRule("Allow", "TCP", entity{namespaceSelector: "kubernetes.io/metadata.name == 'monitoring'"}, entity{ports: []int{9090, 15020}})}, nil), u.alice)
	seed(k.stagedGlobalPolicy, "", "security.staged-deny-egress", withStaged(calSpec("security", 900, "env == 'dev'",
		nil, []*node{calRule("Deny", "", entity{}, entity{nets: []string{"0.0.0.0/0"}})})), u.bob)

}

// seedNamespacedPolicies creates the policies of the fixed namespaces.
func (s *sim) seedNamespacedPolicies(seed seedFunc) {
	k, u := s.w.k, &s.w.users
	// Accounts: Git-managed, mostly locked down.
	seed(k.networkPolicy, "payable", "default-deny", npSpec(selector(), nil, nil, "Ingress", "Egress"), u.argocd)
	seed(k.networkPolicy, "payable", "allow-dns", npSpec(selector(), nil, []*node{npRule(true,
		[]*node{npPort("UDP", 53), npPort("TCP", 53)}, obj(kv("podSelector", selector("k8s-app", "kube-dns")), kv("namespaceSelector", selector("kubernetes.io/metadata.name", "kube-system"))))}), u.argocd)
	seed(k.networkPolicy, "payable", "allow-ledger-from-invoices", npSpec(selector("app", "ledger"),
		[]*node{npRule(false, []*node{npPort("TCP", 8080)}, npPods("app", "invoices"))}, nil), u.argocd)
	seed(k.calicoPolicy, "payable", "platform.allow-payment-gateway", calSpec("platform", 200, "app == 'notifier' || app == 'invoices'",
		nil, []*node{calRule("Allow", "TCP", entity{}, entity{selector: "role == 'payment-gateway'", ports: []int{443}})}), u.argocd)
	seed(k.networkPolicy, "collections", "default-deny-ingress", npSpec(selector(), nil, nil, "Ingress"), u.argocd)
	seed(k.networkPolicy, "collections", "allow-partner-sftp", npSpec(selector("app", "collector"),
		[]*node{npRule(false, []*node{npPort("TCP", 22)}, npIPBlock("203.0.113.0/24"))}, nil), u.argocd)
	seed(k.networkPolicy, "payroll", "allow-from-accounts", npSpec(selector("app", "payroll-api"),
		[]*node{npRule(false, []*node{npPort("TCP", 8080)}, npNamespaces("department", "accounts"))}, nil), u.argocd)
	seed(k.calicoPolicy, "payroll", "security.payroll-egress", calSpec("security", 300, "all()",
		nil, []*node{calRule("Allow", "TCP", entity{}, entity{nets: []string{"10.20.0.0/16"}, ports: []int{5432}})}), u.argocd)

	// Engineering: edited by hand.
	seed(k.calicoPolicy, "widgets", "platform.widgets-controller", calSpec("platform", 150, "app == 'widget-controller'",
		nil, []*node{calRule("Allow", "TCP", entity{}, entity{nets: []string{"10.96.0.1/32"}, ports: []int{443}})}), u.carol)
	seed(k.networkPolicy, "widgets", "allow-api-from-ui", npSpec(selector("app", "widget-api"),
		[]*node{npRule(false, []*node{npPort("TCP", 8080)}, npPods("app", "widget-ui"))}, nil), u.carol)
	seed(k.networkPolicy, "storefront", "allow-web-ingress", npSpec(selector("app", "web"),
		[]*node{npRule(false, []*node{npPort("TCP", 8080)}, npIPBlock("0.0.0.0/0", "10.0.0.0/8"))}, nil), u.carol)
	seed(k.networkPolicy, "storefront", "allow-cart-from-web", npSpec(selector("app", "cart"),
		[]*node{npRule(false, []*node{npPort("TCP", 8080)}, npPods("app", "web"))}, nil), u.carol)
	seed(k.stagedPolicy, "storefront", "platform.tighten-checkout", withStaged(calSpec("platform", 120, "app == 'checkout'",
		[]*node{calRule("Allow", "TCP", entity{selector: "app == 'web'"}, entity{ports: []int{8080}})}, nil)), u.carol)
	seed(k.networkPolicy, "dev", "allow-all-ingress", npSpec(selector(), []*node{obj()}, nil), u.carol)
	seed(k.stagedK8sPolicy, "dev", "restrict-dev", withStaged(npSpec(selector(), nil, nil, "Ingress")), u.carol)
	seed(k.networkPolicy, "sandbox", "sandbox-open-egress", npSpec(selector(), nil, []*node{obj()}, "Egress"), u.carol)
	seed(k.calicoPolicy, "sandbox", "default.sandbox-experiments", calSpec("default", 500, "app == 'experiments'",
		[]*node{calRule("Allow", "TCP", entity{namespaceSelector: "env == 'dev'"}, entity{})}, nil), u.carol)
	seed(k.networkSet, "sandbox", "scratch-hosts", netsSpec("172.20.0.0/16"), u.carol, "role", "scratch")
}

// withStaged adds the stagedAction of a staged policy.
func withStaged(spec *node) *node {
	spec.set("stagedAction", str("Set"))
	return spec
}

// appNamespaces are the namespaces whose workloads policies are written
// for.
func (s *sim) appNamespaces() []*namespace {
	var out []*namespace
	for _, ns := range s.w.namespaces {
		if !ns.gone && !ns.deleting && !ns.isSystem() && ns.m.name != "sandbox" && len(ns.deployments) > 0 {
			out = append(out, ns)
		}
	}
	return out
}

// seedGenerated creates the i-th generated policy: a namespaced policy
// for one of a namespace's workloads, or now and then a global one.
func (s *sim) seedGenerated(i int, at func() time.Time) {
	k, u := s.w.k, &s.w.users
	nss := s.appNamespaces()
	ns := nss[i%len(nss)]
	d := pick(s.rnd, ns.deployments)
	peer := pick(s.rnd, ns.deployments)
	owner := pick(s.rnd, []*user{u.argocd, u.alice, u.bob, u.carol, u.carol})
	var kind *kindInfo
	var spec *node
	name := fmt.Sprintf("%s-%s-%d", d.name, []string{"ingress", "egress", "access", "isolation"}[i%4], i)
	switch x := s.rnd.intn(100); {
	case x < 45:
		kind, spec = k.networkPolicy, s.genNetworkPolicy(d, peer)
	case x < 75:
		tier := pick(s.rnd, []string{"platform", "security", "default"})
		kind, spec = k.calicoPolicy, s.genCalicoPolicy(d, peer)
		spec.set("tier", str(tier))
		name = policyName(tier, name)
	case x < 88:
		kind, ns = k.globalPolicy, nil
		spec = s.genGlobalPolicy(i)
		name = policyName("platform", fmt.Sprintf("global-%d", i))
		owner = pick(s.rnd, []*user{u.bob, u.alice, u.argocd})
	case x < 94:
		kind, spec = k.stagedPolicy, withStaged(s.genCalicoPolicy(d, peer))
		name = policyName("platform", name)
		spec.set("tier", str("platform"))
	default:
		kind, spec = k.stagedK8sPolicy, withStaged(s.genNetworkPolicy(d, peer))
	}
	o := s.newObject(kind, ns, name, spec, owner)
	s.seedObject(o, at(), owner == u.argocd || s.rnd.chance(0.4))
}

// genNetworkPolicy returns one of the common NetworkPolicy shapes.
func (s *sim) genNetworkPolicy(d, peer *deployment) *node {
	sel := selector("app", d.name)
	port := []*node{npPort("TCP", int(d.port))}
	switch s.rnd.intn(8) {
	case 0:
		return npSpec(selector(), nil, nil, "Ingress", "Egress")
	case 1:
		return npSpec(sel, []*node{npRule(false, port, npNamespaces("department", d.ns.label("department")))}, nil)
	case 2:
		return npSpec(sel, []*node{npRule(false, port, npIPBlock(pick(s.rnd, []string{"203.0.113.0/24", "10.30.0.0/16", "198.51.100.0/25"})))}, nil)
	case 3:
		return npSpec(sel, []*node{npRule(false, port)}, nil)
	case 4:
		return npSpec(sel, nil, []*node{npRule(true, []*node{npPort("TCP", 5432)}, npIPBlock("10.20.0.0/16"))})
	default:
		return npSpec(sel, []*node{npRule(false, port, npPods("app", peer.name))}, nil)
	}
}

// genCalicoPolicy returns one of the common Calico NetworkPolicy shapes.
func (s *sim) genCalicoPolicy(d, peer *deployment) *node {
	sel := "app == '" + d.name + "'"
	switch s.rnd.intn(6) {
	case 0:
		return calSpec("", 100+s.rnd.intn(900), sel, []*node{calRule("Allow", "TCP", entity{namespaceSelector: "department == '" + d.ns.label("department") + "'"}, entity{ports: []int{int(d.port)}})}, nil)
	case 1:
		return calSpec("", 100+s.rnd.intn(900), sel, nil, []*node{calRule("Allow", "TCP", entity{}, entity{selector: "dns-provider == 'google'", ports: []int{53, 443}})})
	case 2:
		return calSpec("", 100+s.rnd.intn(900), sel, []*node{calRule("Deny", "", entity{nets: []string{"192.0.2.0/24"}}, entity{})}, nil, "Ingress")
	case 3:
		return calSpec("", 100+s.rnd.intn(900), sel, []*node{calRule("Pass", "", entity{}, entity{})}, nil)
	default:
		return calSpec("", 100+s.rnd.intn(900), sel, []*node{calRule("Allow", "TCP", entity{selector: "app == '" + peer.name + "'"}, entity{ports: []int{int(d.port)}})}, nil)
	}
}

// genGlobalPolicy returns a GlobalNetworkPolicy over a slice of the
// cluster.
func (s *sim) genGlobalPolicy(i int) *node {
	switch i % 3 {
	case 0:
		return calSpec("platform", 300+i%500, "tier == 'backend'", []*node{calRule("Allow", "TCP", entity{selector: "tier == 'frontend'"}, entity{ports: []int{8080}})}, nil)
	case 1:
		return calSpec("platform", 300+i%500, "has(deployment)", nil, []*node{calRule("Allow", "TCP", entity{}, entity{selector: "zone == 'corp'", ports: []int{443}})})
	}
	return calSpec("platform", 300+i%500, "env == 'dev'", []*node{calRule("Allow", "TCP", entity{nets: []string{"10.8.0.0/16"}}, entity{})}, nil)
}
