package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/selector"
	"github.com/google/go-cmp/cmp"
)

// universe generates random versions of a small, fixed set of objects, so
// that random sequences of sets and deletes keep hitting the same names.
type universe struct {
	r *rand.Rand
}

func (u universe) pick(options ...any) any { return options[u.r.IntN(len(options))] }

func (u universe) labels(keys map[string][]string) map[string]string {
	out := make(map[string]string)
	for k, vs := range keys {
		if u.r.IntN(3) > 0 {
			out[k] = vs[u.r.IntN(len(vs))]
		}
	}
	return out
}

// slot is one object identity of the universe and a generator of its
// versions.
type slot struct {
	kind     audit.Kind
	ns, name string
	gen      func(u universe) map[string]any
}

func propertySlots() []slot {
	var slots []slot
	add := func(group, resource, ns, name string, gen func(u universe) map[string]any) {
		slots = append(slots, slot{kindFor(group, resource), ns, name, gen})
	}
	calico := func(kind, ns, name string, spec func(u universe) map[string]any) func(u universe) map[string]any {
		return func(u universe) map[string]any {
			md := map[string]any{"name": name}
			if ns != "" {
				md["namespace"] = ns
			}
			return map[string]any{"apiVersion": u.pick("projectcalico.org/v3", "crd.projectcalico.org/v1"), "kind": kind, "metadata": md, "spec": spec(u)}
		}
	}
	for _, ns := range []string{"n0", "n1", "n2"} {
		add("", "namespaces", "", ns, func(u universe) map[string]any {
			return map[string]any{"metadata": map[string]any{"name": ns,
				"labels": u.labels(map[string][]string{"env": {"a", "b"}, "team": {"x", "y"}})}}
		})
		for _, sa := range []string{"s0", "s1"} {
			add("", "serviceaccounts", ns, sa, func(u universe) map[string]any {
				return map[string]any{"metadata": map[string]any{"name": sa, "namespace": ns,
					"labels": u.labels(map[string][]string{"role": {"r1", "r2"}})}}
			})
		}
		for i := range 4 {
			name := fmt.Sprintf("p%d", i)
			add("", "pods", ns, name, func(u universe) map[string]any { return randomPod(u, ns, name) })
		}
		for i := range 2 {
			name := fmt.Sprintf("svc%d", i)
			add("", "endpoints", ns, name, func(u universe) map[string]any { return randomEndpoints(u, ns, name) })
		}
		add("projectcalico.org", "networkpolicies", ns, "np", calico("NetworkPolicy", ns, "np", randomCalicoSpec(false)))
		add("projectcalico.org", "stagednetworkpolicies", ns, "snp", calico("StagedNetworkPolicy", ns, "snp", randomCalicoSpec(false)))
		add("networking.k8s.io", "networkpolicies", ns, "knp", func(u universe) map[string]any {
			return map[string]any{"metadata": map[string]any{"name": "knp", "namespace": ns}, "spec": randomK8sSpec(u)}
		})
		add("projectcalico.org", "stagedkubernetesnetworkpolicies", ns, "sknp", func(u universe) map[string]any {
			spec := randomK8sSpec(u)
			spec["stagedAction"] = u.pick("Set", "Delete", "")
			return map[string]any{"metadata": map[string]any{"name": "sknp", "namespace": ns}, "spec": spec}
		})
		add("projectcalico.org", "networksets", ns, "set", calico("NetworkSet", ns, "set", randomNetSetSpec))
	}
	for i := range 3 {
		name := fmt.Sprintf("g%d", i)
		add("projectcalico.org", "globalnetworkpolicies", "", name, calico("GlobalNetworkPolicy", "", name, randomCalicoSpec(true)))
	}
	add("projectcalico.org", "stagedglobalnetworkpolicies", "", "sg", calico("StagedGlobalNetworkPolicy", "", "sg", randomCalicoSpec(true)))
	for i := range 2 {
		name := fmt.Sprintf("gns%d", i)
		add("projectcalico.org", "globalnetworksets", "", name, calico("GlobalNetworkSet", "", name, randomNetSetSpec))
		hep := fmt.Sprintf("hep%d", i)
		add("projectcalico.org", "hostendpoints", "", hep, calico("HostEndpoint", "", hep, func(u universe) map[string]any {
			return map[string]any{"node": u.pick("node1", "node2"), "expectedIPs": u.pick([]string{}, []string{"10.0.0.1"}, []string{"10.9.9.9"})}
		}))
	}
	// Labels for host endpoints and network sets are set in the generators
	// through metadata below.
	for i := range slots {
		s := &slots[i]
		if s.kind.Resource != "hostendpoints" && s.kind.Resource != "networksets" && s.kind.Resource != "globalnetworksets" {
			continue
		}
		gen := s.gen
		s.gen = func(u universe) map[string]any {
			o := gen(u)
			labels := u.labels(map[string][]string{"feed": {"x", "y"}, "app": {"a", "b"}})
			if u.r.IntN(6) == 0 {
				// As Calico does, let a host endpoint or a global network set
				// pose as a member of a namespace.
				labels[selector.LabelNamespace] = "n0"
			}
			o["metadata"].(map[string]any)["labels"] = labels
			return o
		}
	}
	return slots
}

// propertyIPs are the addresses pods and services share.
func propertyIPs() []string { return []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"} }

func randomPod(u universe, ns, name string) map[string]any {
	labels := u.labels(map[string][]string{"app": {"a", "b", "c"}, "tier": {"web", "db"}})
	if u.r.IntN(6) == 0 {
		labels["pcns.env"] = "a" // hides the namespace's own env label
	}
	md := map[string]any{"name": name, "namespace": ns, "labels": labels}
	if u.r.IntN(2) == 0 {
		md["generateName"] = name[:1] + "-"
	}
	if u.r.IntN(3) == 0 {
		md["annotations"] = map[string]string{"sidecar.istio.io/status": "{}"}
	}
	status := map[string]any{"phase": u.pick("Running", "Running", "Pending", "Succeeded", "Failed")}
	if ip := u.pick("", propertyIPs()[0], propertyIPs()[1], propertyIPs()[2]); ip != "" {
		status["podIP"] = ip
	}
	return map[string]any{"metadata": md, "status": status, "spec": map[string]any{
		"serviceAccountName": u.pick("", "s0", "s1"),
		"initContainers":     u.pick([]any{}, []any{map[string]any{"image": "docker.io/istio/proxy_init:1"}}),
		"containers":         []any{map[string]any{"image": u.pick("nginx", "docker.io/istio/proxyv2:1")}},
	}}
}

func randomEndpoints(u universe, ns, name string) map[string]any {
	var addrs []any
	for range u.r.IntN(3) {
		a := map[string]any{"ip": propertyIPs()[u.r.IntN(len(propertyIPs()))]}
		if u.r.IntN(2) == 0 {
			a["targetRef"] = map[string]any{"kind": "Pod", "namespace": ns, "name": fmt.Sprintf("p%d", u.r.IntN(4))}
		}
		addrs = append(addrs, a)
	}
	return map[string]any{"metadata": map[string]any{"name": name, "namespace": ns},
		"subsets": []any{map[string]any{"addresses": addrs, "notReadyAddresses": []any{map[string]any{"ip": "10.0.0.4"}}}}}
}

func randomNetSetSpec(u universe) map[string]any {
	return map[string]any{"nets": u.pick([]string{}, []string{"10.1.0.0/16"}, []string{"203.0.113.0/24"}, []string{"fd00::/8", "10.0.0.0/8"})}
}

func randomEntity(u universe) map[string]any {
	return u.pick(
		map[string]any{},
		map[string]any{"selector": "feed == 'x'"},
		map[string]any{"selector": "feed == 'y' || app == 'a'"},
		map[string]any{"namespaceSelector": "env == 'a'"},
		map[string]any{"nets": []string{"10.0.0.0/8"}},
		map[string]any{"nets": []string{"8.8.8.0/24"}},
		map[string]any{"namespaceSelector": "all()", "selector": "feed == 'x'"},
		map[string]any{"notSelector": "app == 'a'"},
		map[string]any{"serviceAccounts": map[string]any{"names": []string{"s0"}}},
	).(map[string]any)
}

func randomRules(u universe, side string) []any {
	var rules []any
	for range u.r.IntN(3) {
		rules = append(rules, map[string]any{"action": u.pick("Allow", "Allow", "Deny"), side: randomEntity(u)})
	}
	return rules
}

func randomCalicoSpec(global bool) func(u universe) map[string]any {
	return func(u universe) map[string]any {
		spec := map[string]any{
			"selector":     u.pick("app == 'a'", "app in {'a', 'b'}", "tier == 'web'", "all()", "", "has(tier)", "pcns.env == 'a'", "pcsa.role == 'r1'", "projectcalico.org/serviceaccount == 's0'", "!has(app)"),
			"types":        u.pick([]string{}, []string{"Ingress"}, []string{"Egress"}, []string{"Ingress", "Egress"}),
			"ingress":      randomRules(u, "source"),
			"egress":       randomRules(u, "destination"),
			"stagedAction": u.pick("", "Set", "Delete"),
		}
		if u.r.IntN(3) == 0 {
			spec["serviceAccountSelector"] = u.pick("role == 'r1'", "all()")
		}
		if global && u.r.IntN(2) == 0 {
			spec["namespaceSelector"] = u.pick("env == 'a'", "all()", "team == 'x'")
		}
		return spec
	}
}

func randomK8sSpec(u universe) map[string]any {
	peers := func() any {
		return u.pick(nil, []any{},
			[]any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]string{"app": "a"}}}},
			[]any{map[string]any{"namespaceSelector": map[string]any{}}},
			[]any{map[string]any{"ipBlock": map[string]any{"cidr": "8.8.0.0/16"}}},
			[]any{map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/8"}}},
		)
	}
	var ingress, egress []any
	for range u.r.IntN(3) {
		ingress = append(ingress, map[string]any{"from": peers()})
	}
	for range u.r.IntN(2) {
		egress = append(egress, map[string]any{"to": peers()})
	}
	return map[string]any{
		"podSelector": u.pick(map[string]any{}, map[string]any{"matchLabels": map[string]string{"app": "a"}},
			map[string]any{"matchExpressions": []any{map[string]any{"key": "tier", "operator": "Exists"}}}),
		"policyTypes": u.pick([]string{}, []string{"Ingress"}, []string{"Egress"}, []string{"Ingress", "Egress"}),
		"ingress":     ingress,
		"egress":      egress,
	}
}

// TestIncrementalMatchesRebuild applies random sequences of sets and
// deletes and checks that the endpoints equal those of a cache built from
// scratch from the surviving objects, and that the notifications kept an
// observer's copy of every endpoint up to date.
func TestIncrementalMatchesRebuild(t *testing.T) {
	slots := propertySlots()
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			u := universe{rand.New(rand.NewPCG(uint64(seed), 7))}
			opts := DefaultOptions()
			opts.IncludeStaged = seed%2 == 0
			inScope := selector.MustParse(u.pick("", "pcns.env == 'a'", "app == 'a' || has(projectcalico.org/serviceaccount)").(string))

			c, err := NewCache(opts)
			if err != nil {
				t.Fatal(err)
			}
			if seed%3 == 0 {
				c.SetInScope(inScope) // before any object, and again later
			}
			observed := make(map[string]Endpoint)
			c.OnEndpoint(func(ep *Endpoint) {
				if ep.Deleted {
					delete(observed, ep.ID.String())
					return
				}
				observed[ep.ID.String()] = *ep
			})
			var steps []step
			for i := range 400 {
				s := slots[u.r.IntN(len(slots))]
				st := step{kind: s.kind, ns: s.ns, name: s.name}
				if u.r.IntN(5) > 0 {
					b, err := json.Marshal(s.gen(u))
					if err != nil {
						t.Fatal(err)
					}
					st.object = b
				}
				steps = append(steps, st)
				apply(t, c, steps[len(steps)-1:])
				if i == 200 {
					c.SetInScope(inScope)
				}
			}
			final := finalState(steps)
			u.r.Shuffle(len(final), func(i, j int) { final[i], final[j] = final[j], final[i] })
			rebuilt, err := NewCache(opts)
			if err != nil {
				t.Fatal(err)
			}
			apply(t, rebuilt, final)
			rebuilt.SetInScope(inScope)

			got, want := fullStates(c), fullStates(rebuilt)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("incremental differs from rebuilt (-rebuilt +incremental):\n%s", diff)
			}
			if diff := cmp.Diff(got, observed); diff != "" {
				t.Fatalf("notifications missed a change (-state +observed):\n%s", diff)
			}
			gotPolicies, wantPolicies := policyStates(c), policyStates(rebuilt)
			if diff := cmp.Diff(wantPolicies, gotPolicies); diff != "" {
				t.Fatalf("policies differ (-rebuilt +incremental):\n%s", diff)
			}
		})
	}
}

func fullStates(c *Cache) map[string]Endpoint {
	out := make(map[string]Endpoint)
	c.Endpoints(func(ep *Endpoint) { out[ep.ID.String()] = *ep })
	return out
}

func policyStates(c *Cache) map[string]string {
	out := make(map[string]string)
	c.Policies(func(p PolicyInfo) {
		out[p.ID.String()] = fmt.Sprintf("%v applied=%v endpoints=%d sel=%s", p.Flags, p.Applied, p.Endpoints, p.Selector)
	})
	return out
}
