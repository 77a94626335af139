package synth

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// change is what a mutation did to an object's spec.
type change struct {
	keys      []string // top-level spec keys changed; a key absent from the spec was removed
	jsonPatch *node    // the same change as a JSON patch, when it is an append
}

// mutate changes an object's spec the way people change policies: ports
// and peers added or removed, rules opened to everything and closed again,
// orders moved, nets added to sets.
func (s *sim) mutate(o *object) change {
	switch o.k {
	case s.w.k.networkPolicy, s.w.k.stagedK8sPolicy:
		return s.mutateNetworkPolicy(o)
	case s.w.k.globalNetworkSet, s.w.k.networkSet:
		return s.mutateNets(o)
	case s.w.k.tier:
		o.spec.set("order", num(50+s.rnd.intn(20)*10))
		return change{keys: []string{"order"}}
	case s.w.k.hostEndpoint:
		ips := o.spec.get("expectedIPs")
		if len(ips.items) > 1 {
			ips.items = ips.items[:1]
		} else {
			ips.items = append(ips.items, str(fmt.Sprintf("192.168.%d.%d", 10+s.rnd.intn(20), 2+s.rnd.intn(250))))
		}
		return change{keys: []string{"expectedIPs"}}
	}
	return s.mutateCalicoPolicy(o)
}

// maxItems bounds rules, ports, peers and nets so that a policy edited
// for months stays the size of a real one.
const maxItems = 3

func (s *sim) mutateNetworkPolicy(o *object) change {
	sp := o.spec
	defer npOrder(sp)
	ingress := sp.get("ingress")
	var rules []*node
	if ingress != nil {
		rules = ingress.items
	}
	switch s.rnd.intn(6) {
	case 0: // another port on the first rule
		if len(rules) > 0 {
			if ports := rules[0].get("ports"); ports != nil && len(ports.items) < maxItems {
				ports.items = append(ports.items, npPort("TCP", pick(s.rnd, []int{443, 8443, 9090, 8081})))
				return change{keys: []string{"ingress"}}
			}
		}
	case 1: // another peer on the first rule
		if len(rules) > 0 {
			if from := rules[0].get("from"); from != nil && len(from.items) < maxItems {
				from.items = append(from.items, npNamespaces("env", pick(s.rnd, []string{"prod", "staging"})))
				return change{keys: []string{"ingress"}}
			}
		}
	case 2: // an ipBlock rule (public or private)
		if len(rules) > 0 && len(rules) < maxItems {
			rule := npRule(false, []*node{npPort("TCP", 443)}, npIPBlock(pick(s.rnd, []string{"203.0.113.0/24", "10.40.0.0/16", "198.51.100.128/25"})))
			ingress.items = append(ingress.items, rule)
			return change{keys: []string{"ingress"}, jsonPatch: jsonAdd("/spec/ingress/-", rule)}
		}
	case 3: // drop the last rule
		if len(rules) > 1 {
			ingress.items = rules[:len(rules)-1]
			return change{keys: []string{"ingress"}}
		}
	case 4: // egress to the database network, or no egress rules
		if sp.get("egress") != nil {
			sp.del("egress")
			types := strs("Ingress")
			if ingress == nil {
				types = strs("Ingress", "Egress")
			}
			sp.set("policyTypes", types)
			return change{keys: []string{"egress", "policyTypes"}}
		}
		sp.set("egress", arr(npRule(true, []*node{npPort("TCP", 5432)}, npIPBlock("10.20.0.0/16"))))
		sp.set("policyTypes", strs("Ingress", "Egress"))
		return change{keys: []string{"egress", "policyTypes"}}
	}
	// Otherwise set the port of the first rule (or give it a first rule).
	if len(rules) == 0 {
		sp.set("ingress", arr(npRule(false, []*node{npPort("TCP", 8080)}, npPods("app", "gateway"))))
		return change{keys: []string{"ingress"}}
	}
	rules[0].set("ports", arr(npPort("TCP", pick(s.rnd, []int{8080, 8443, 9000}))))
	rules[0].orderKeys("ports", "from")
	return change{keys: []string{"ingress"}}
}

func (s *sim) mutateCalicoPolicy(o *object) change {
	sp := o.spec
	switch s.rnd.intn(5) {
	case 0:
		sp.set("order", num(10+s.rnd.intn(99)*10))
		return change{keys: []string{"order"}}
	case 1, 2: // another allowed source
		rule := calRule("Allow", "TCP", pick(s.rnd, []entity{
			{selector: "app == 'gateway'"},
			{namespaceSelector: "env == 'prod'"},
			{nets: []string{"10.8.0.0/16"}},
			{nets: []string{"198.51.100.0/24"}},
		}), entity{ports: []int{8080}})
		ing := sp.get("ingress")
		if ing == nil {
			sp.set("ingress", arr(rule))
			s.ensureType(sp, "Ingress")
			return change{keys: []string{"ingress", "types"}}
		}
		if len(ing.items) < maxItems {
			ing.items = append(ing.items, rule)
			return change{keys: []string{"ingress"}, jsonPatch: jsonAdd("/spec/ingress/-", rule)}
		}
	}
	for _, key := range []string{"ingress", "egress"} { // drop a rule
		if rs := sp.get(key); rs != nil && len(rs.items) >= maxItems {
			rs.items = rs.items[:len(rs.items)-1]
			return change{keys: []string{key}}
		}
	}
	eg := sp.get("egress")
	rule := calRule("Allow", "TCP", entity{}, entity{nets: []string{pick(s.rnd, []string{"0.0.0.0/0", "10.20.0.0/16", "8.8.8.0/24"})}, ports: []int{443}})
	if eg == nil {
		sp.set("egress", arr(rule))
		s.ensureType(sp, "Egress")
		return change{keys: []string{"egress", "types"}}
	}
	eg.items = append(eg.items, rule)
	return change{keys: []string{"egress"}, jsonPatch: jsonAdd("/spec/egress/-", rule)}
}

// ensureType adds a policy type to a Calico spec.
func (s *sim) ensureType(sp *node, typ string) {
	types := sp.get("types")
	for _, t := range types.items {
		if t.s == typ {
			return
		}
	}
	types.items = append(types.items, str(typ))
}

func (s *sim) mutateNets(o *object) change {
	nets := o.spec.get("nets")
	if len(nets.items) > maxItems || len(nets.items) > 1 && s.rnd.chance(0.4) {
		nets.items = nets.items[:len(nets.items)-1]
		return change{keys: []string{"nets"}}
	}
	cidr := pick(s.rnd, []string{"203.0.113." + strconv.Itoa(s.rnd.intn(16)*16) + "/28", "10.60." + strconv.Itoa(s.rnd.intn(250)) + ".0/24", "8.8.8.0/24"})
	nets.items = append(nets.items, str(cidr))
	return change{keys: []string{"nets"}, jsonPatch: jsonAdd("/spec/nets/-", str(cidr))}
}

func jsonAdd(path string, v *node) *node {
	return arr(obj(kv("op", str("add")), kv("path", str(path)), kv("value", v)))
}

// presentKeys keeps the keys still in the spec (ownership of removed
// fields is dropped, not claimed).
func presentKeys(o *object, keys []string) []string {
	return slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return o.spec.get(k) == nil })
}

// editObject has u change o's spec and send it the way u works: Argo CD
// applies; people patch, apply, JSON-patch or replace.
func (s *sim) editObject(o *object, u *user) {
	c := s.mutate(o)
	if len(c.keys) == 0 {
		return
	}
	present := presentKeys(o, c.keys)
	if u == s.w.users.argocd {
		s.applyObject(o, u, c.keys)
		return
	}
	switch x := s.rnd.intn(100); {
	case x < 20 && c.jsonPatch != nil:
		s.patchObject(o, u, "kubectl-patch", c.jsonPatch.appendJSON(nil, false), o.specPaths(present...), true)
	case x < 55:
		s.patchObject(o, u, "kubectl-patch", patchBody(o, c.keys, nil), o.specPaths(present...), true)
	case x < 80:
		s.patchObject(o, u, "kubectl-edit", patchBody(o, c.keys, nil), o.specPaths(present...), true)
	case x < 90:
		s.applyObject(o, u, c.keys)
	default:
		if s.rnd.chance(0.4) {
			// Someone else's write won the race: the replace conflicts,
			// the client re-reads and replaces again.
			s.conflict(o, u, o.m.rv-uint64(1+s.rnd.intn(40)), o.spec)
		}
		s.updateObject(o, u, o.specPaths(present...))
	}
}

// labelObject is kubectl label or annotate on an object.
func (s *sim) labelObject(o *object, u *user) {
	if s.rnd.chance(0.5) {
		k, v := "reviewed-by", u.name
		if s.rnd.chance(0.5) {
			k, v = "compliance/pci", pick(s.rnd, []string{"in-scope", "out-of-scope"})
		}
		o.m.labels = setLabel(o.m.labels, k, v)
		body := obj(kv("metadata", obj(kv("labels", obj(kv(k, str(v))))))).appendJSON(nil, true)
		s.patchObject(o, u, "kubectl-label", body, []string{fieldPath("f:metadata", "f:labels", "f:"+k)}, false)
		return
	}
	v := "CHG-" + strconv.Itoa(10000+s.rnd.intn(90000))
	o.m.annotations = setLabel(o.m.annotations, "change-ticket", v)
	body := obj(kv("metadata", obj(kv("annotations", obj(kv("change-ticket", str(v))))))).appendJSON(nil, true)
	s.patchObject(o, u, "kubectl-annotate", body, []string{fieldPath("f:metadata", "f:annotations", "f:change-ticket")}, false)
}

// people returns the humans who edit policies.
func (s *sim) people() []*user {
	u := &s.w.users
	return []*user{u.alice, u.bob, u.carol}
}

// randomPolicyWrite is one policy write from the everyday mix: mostly
// edits by each object's owner, with labels, short-lived debug policies,
// and now and then a denied request or a conflict.
func (s *sim) randomPolicyWrite() {
	objs := s.w.objects
	if len(objs) == 0 {
		return
	}
	o := pick(s.rnd, objs)
	u := o.owner
	if u == nil || s.rnd.chance(0.15) {
		u = pick(s.rnd, s.people())
	}
	switch x := s.rnd.intn(1000); {
	case x < 20:
		s.deniedAttempt(o)
	case x < 30:
		s.alreadyExists(o, pick(s.rnd, s.people()))
	case x < 60:
		s.debugPolicy()
	case x < 130:
		if u == s.w.users.argocd {
			u = pick(s.rnd, s.people())
		}
		s.labelObject(o, u)
	default:
		s.editObject(o, u)
	}
}

// deniedAttempt is a request RBAC refuses: mallory trying to remove or
// change a policy, or carol trying to change a cluster-wide one.
func (s *sim) deniedAttempt(o *object) {
	u := s.w.users.mallory
	verb := pick(s.rnd, []string{"delete", "delete", "patch", "update"})
	if o.ns == nil && s.rnd.chance(0.3) {
		u, verb = s.w.users.carol, "patch"
	}
	query := ""
	switch verb {
	case "patch":
		query = "fieldManager=kubectl-patch"
	case "update":
		query = "fieldManager=kubectl-replace&fieldValidation=Strict"
	}
	s.forbidden(verb, u, o.k, o.namespaceName(), o.m.name, query)
}

// debugPolicy is a person opening a namespace with an allow-all policy to
// debug something, and removing it hours later.
func (s *sim) debugPolicy() {
	nss := s.appNamespaces()
	if len(nss) == 0 {
		return
	}
	ns := pick(s.rnd, nss)
	u := pick(s.rnd, s.people())
	spec := npSpec(selector("app", pick(s.rnd, ns.deployments).name), []*node{obj()}, nil)
	o := s.newObject(s.w.k.networkPolicy, ns, "temp-debug-"+s.rnd.suffix(5), spec, u)
	o.m.labels = labelsOf("purpose", "debug")
	s.createObject(o, u, false)
	s.after(s.rnd.between(20*time.Minute, 30*time.Hour), func() {
		if !o.gone && !ns.deleting {
			s.deleteObject(o, pick(s.rnd, []*user{u, u, s.w.users.alice}))
		}
	})
}
