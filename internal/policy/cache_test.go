package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/selector"
	"github.com/google/go-cmp/cmp"
)

// kindFor returns a tracked kind; it panics on a typo.
func kindFor(group, resource string) audit.Kind {
	k, ok := audit.LookupKind(group, resource)
	if !ok {
		panic("no kind " + group + "/" + resource)
	}
	return k
}

// obj builds an object's JSON: metadata from ns, name and labels, plus
// top-level fields.
func obj(apiVersion, kind, ns, name string, labels map[string]string, fields map[string]any) []byte {
	md := map[string]any{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	if labels != nil {
		md["labels"] = labels
	}
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
	for k, v := range fields {
		o[k] = v
	}
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	return b
}

func newTestCache(t testing.TB, opts Options) (*Cache, *[]Endpoint) {
	t.Helper()
	c, err := NewCache(opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []Endpoint
	c.OnEndpoint(func(ep *Endpoint) { got = append(got, *ep) })
	return c, &got
}

func mustSet(t testing.TB, c *Cache, k audit.Kind, b []byte) {
	t.Helper()
	if err := c.Set(k, b); err != nil {
		t.Fatal(err)
	}
}

// notifyStep is one call in TestNotificationsAndIncrementalWork.
type notifyStep struct {
	name      string
	do        func()
	notified  []string // IDs, in order
	evals     int      // policy-selector evaluations; -1: not checked
	wantFlags map[string]Flags
}

func TestNotificationsAndIncrementalWork(t *testing.T) {
	c, got := newTestCache(t, DefaultOptions())
	steps := notificationSteps(t, c)
	for _, s := range steps {
		*got = nil
		before := c.evals
		s.do()
		var ids []string
		for _, ep := range *got {
			ids = append(ids, ep.ID.String())
		}
		if diff := cmp.Diff(s.notified, ids); diff != "" {
			t.Errorf("%s: notified (-want +got):\n%s", s.name, diff)
		}
		if s.evals >= 0 && c.evals-before != s.evals {
			t.Errorf("%s: %d selector evaluations, want %d", s.name, c.evals-before, s.evals)
		}
		for id, want := range s.wantFlags {
			var flags Flags
			found := false
			c.Endpoints(func(ep *Endpoint) {
				if ep.ID.String() == id {
					flags, found = ep.Flags, true
				}
			})
			if !found || flags != want {
				t.Errorf("%s: %s flags %v (found %v), want %v", s.name, id, flags, found, want)
			}
		}
	}
}

// notificationSteps is a sequence of calls with the endpoints each must
// notify and the selector evaluations it may cost.
func notificationSteps(t *testing.T, c *Cache) []notifyStep {
	var (
		pods = kindFor("", "pods")
		nss  = kindFor("", "namespaces")
		gnps = kindFor("projectcalico.org", "globalnetworkpolicies")
		nps  = kindFor("projectcalico.org", "networkpolicies")
		gnss = kindFor("projectcalico.org", "globalnetworksets")
		seps = kindFor("", "endpoints")
	)
	pod := func(ns, name, app, ip string) []byte {
		return obj("v1", "Pod", ns, name, map[string]string{"app": app},
			map[string]any{"status": map[string]any{"phase": "Running", "podIP": ip}})
	}
	gnp := func(name string, spec map[string]any) []byte {
		return obj("projectcalico.org/v3", "GlobalNetworkPolicy", "", name, nil, map[string]any{"spec": spec})
	}
	return []notifyStep{
		{"first pod", func() { mustSet(t, c, pods, pod("ns1", "p1", "a", "10.0.0.1")) },
			[]string{"Pod.v1(ns1/p1)"}, 0, nil},
		{"pods elsewhere", func() {
			mustSet(t, c, pods, pod("ns1", "p2", "b", "10.0.0.2"))
			mustSet(t, c, pods, pod("ns2", "q1", "a", "10.0.1.1"))
		}, []string{"Pod.v1(ns1/p2)", "Pod.v1(ns2/q1)"}, 0, nil},
		{"global policy re-evaluates every endpoint, notifies those it selects",
			func() { mustSet(t, c, gnps, gnp("g-a", map[string]any{"selector": "app == 'a'"})) },
			[]string{"Pod.v1(ns1/p1)", "Pod.v1(ns2/q1)"}, 3,
			map[string]Flags{"Pod.v1(ns1/p1)": IngressProtected, "Pod.v1(ns1/p2)": 0}},
		{"namespaced policy re-evaluates its namespace only",
			func() {
				mustSet(t, c, nps, obj("projectcalico.org/v3", "NetworkPolicy", "ns1", "np", nil,
					map[string]any{"spec": map[string]any{"selector": "app == 'b'", "types": []string{"Egress"}}}))
			},
			[]string{"Pod.v1(ns1/p2)"}, 2, map[string]Flags{"Pod.v1(ns1/p2)": EgressProtected}},
		{"status-only update re-evaluates nothing but notifies",
			func() {
				mustSet(t, c, pods, obj("v1", "Pod", "ns1", "p1", map[string]string{"app": "a"},
					map[string]any{"status": map[string]any{"phase": "Running", "podIP": "10.0.0.1",
						"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}}))
			},
			[]string{"Pod.v1(ns1/p1)"}, 0, nil},
		{"label change re-evaluates the global and own-namespace policies",
			func() { mustSet(t, c, pods, pod("ns1", "p1", "c", "10.0.0.1")) },
			[]string{"Pod.v1(ns1/p1)"}, 2, map[string]Flags{"Pod.v1(ns1/p1)": 0}},
		{"change to the labels of a pod alike re-evaluates nothing",
			func() { mustSet(t, c, pods, pod("ns1", "p1", "b", "10.0.0.1")) },
			[]string{"Pod.v1(ns1/p1)"}, 0, map[string]Flags{"Pod.v1(ns1/p1)": EgressProtected}},
		{"a namespace-selecting policy is tried in matching namespaces only",
			func() {
				mustSet(t, c, gnps, gnp("g-prod", map[string]any{"namespaceSelector": "env == 'prod'", "types": []string{"Egress"}}))
			}, nil, 0, nil},
		{"namespace labels re-evaluate only its endpoints",
			func() { mustSet(t, c, nss, obj("v1", "Namespace", "", "ns2", map[string]string{"env": "prod"}, nil)) },
			[]string{"Pod.v1(ns2/q1)"}, 2, map[string]Flags{"Pod.v1(ns2/q1)": IngressProtected | EgressProtected}},
		{"same namespace labels again: nothing",
			func() { mustSet(t, c, nss, obj("v1", "Namespace", "", "ns2", map[string]string{"env": "prod"}, nil)) },
			nil, 0, nil},
		{"rules-only policy change re-matches nothing",
			func() {
				mustSet(t, c, gnps, gnp("g-a", map[string]any{"selector": "app == 'a'",
					"ingress": []any{map[string]any{"action": "Allow", "source": map[string]any{"selector": "feed == 'x'"}}}}))
			},
			[]string{"Pod.v1(ns2/q1)"}, 0,
			map[string]Flags{"Pod.v1(ns2/q1)": IngressProtected | EgressProtected | IngressFromOtherNamespace}},
		{"public network set flips the rule's internet exposure",
			func() {
				mustSet(t, c, gnss, obj("projectcalico.org/v3", "GlobalNetworkSet", "", "feed", map[string]string{"feed": "x"},
					map[string]any{"spec": map[string]any{"nets": []string{"203.0.113.0/24"}}}))
			},
			[]string{"Pod.v1(ns2/q1)"}, 0,
			map[string]Flags{"Pod.v1(ns2/q1)": IngressProtected | EgressProtected | IngressFromOtherNamespace | IngressFromInternet}},
		{"network set made private",
			func() {
				mustSet(t, c, gnss, obj("projectcalico.org/v3", "GlobalNetworkSet", "", "feed", map[string]string{"feed": "x"},
					map[string]any{"spec": map[string]any{"nets": []string{"10.1.0.0/16"}}}))
			},
			[]string{"Pod.v1(ns2/q1)"}, 0,
			map[string]Flags{"Pod.v1(ns2/q1)": IngressProtected | EgressProtected | IngressFromOtherNamespace}},
		{"unrelated network set changes nothing",
			func() {
				mustSet(t, c, gnss, obj("projectcalico.org/v3", "GlobalNetworkSet", "", "other", map[string]string{"feed": "y"},
					map[string]any{"spec": map[string]any{"nets": []string{"0.0.0.0/0"}}}))
			}, nil, 0, nil},
		{"service membership by IP",
			func() {
				mustSet(t, c, seps, obj("v1", "Endpoints", "ns1", "svc", nil, map[string]any{
					"subsets": []any{map[string]any{"addresses": []any{map[string]any{"ip": "10.0.0.2"}}}}}))
			}, []string{"Pod.v1(ns1/p2)"}, 0, nil},
		{"policy deletion notifies what it applied to",
			func() { c.Delete(gnps, "", "g-prod") },
			[]string{"Pod.v1(ns2/q1)"}, 0,
			map[string]Flags{"Pod.v1(ns2/q1)": IngressProtected | IngressFromOtherNamespace}},
		{"finished pod is deleted",
			func() {
				mustSet(t, c, pods, obj("v1", "Pod", "ns1", "p2", nil, map[string]any{"status": map[string]any{"phase": "Succeeded"}}))
			}, []string{"Pod.v1(ns1/p2)"}, 0, nil},
		{"deleting an unknown object does nothing",
			func() { c.Delete(pods, "ns1", "p2"); c.Delete(gnps, "", "nope") }, nil, 0, nil},
	}
}

func TestDeletedNotification(t *testing.T) {
	pods := kindFor("", "pods")
	c, got := newTestCache(t, DefaultOptions())
	mustSet(t, c, kindFor("projectcalico.org", "globalnetworkpolicies"),
		obj("projectcalico.org/v3", "GlobalNetworkPolicy", "", "all", nil, map[string]any{"spec": map[string]any{}}))
	mustSet(t, c, pods, obj("v1", "Pod", "ns1", "p", nil, nil))
	c.Delete(pods, "ns1", "p")
	n := len(*got)
	if n != 2 {
		t.Fatalf("%d notifications, want 2", n)
	}
	del := (*got)[1]
	if !del.Deleted || del.Flags != IngressProtected || len(del.AppliedPolicies) != 1 {
		t.Errorf("deletion notification %+v: want Deleted with the last state", del)
	}
	count := 0
	c.Endpoints(func(*Endpoint) { count++ })
	if count != 0 {
		t.Errorf("%d endpoints left", count)
	}
	if info, _ := c.Policy(ResourceID{Kind: "GlobalNetworkPolicy", APIVersion: APIVersionCalico, Name: "all"}); info.Endpoints != 0 {
		t.Errorf("policy still applies to %d endpoints", info.Endpoints)
	}
}

// TestLateCallback sets objects before a callback is set, as a report
// loads the state at its start: the callback then hears only of later
// changes, and endpoints deleted meanwhile are not kept for it.
func TestLateCallback(t *testing.T) {
	pods := kindFor("", "pods")
	gnps := kindFor("projectcalico.org", "globalnetworkpolicies")
	gnp := func(name, sel string) []byte {
		return obj("projectcalico.org/v3", "GlobalNetworkPolicy", "", name, nil,
			map[string]any{"spec": map[string]any{"selector": sel}})
	}
	c, err := NewCache(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, c, pods, obj("v1", "Pod", "ns1", "a", map[string]string{"app": "a"}, nil))
	mustSet(t, c, pods, obj("v1", "Pod", "ns1", "b", map[string]string{"app": "b"}, nil))
	mustSet(t, c, gnps, gnp("g-a", "app == 'a'"))
	for i := range 500 {
		p := obj("v1", "Pod", "ns2", fmt.Sprintf("gone-%d", i), map[string]string{"app": "a"}, nil)
		mustSet(t, c, pods, p)
		c.Delete(pods, "ns2", fmt.Sprintf("gone-%d", i))
	}
	if len(c.queue) > 2*len(c.endpoints)+64 {
		t.Errorf("%d endpoints queued for %d endpoints", len(c.queue), len(c.endpoints))
	}
	var got []Endpoint
	c.OnEndpoint(func(ep *Endpoint) { got = append(got, *ep) })
	mustSet(t, c, gnps, gnp("g-c", "app == 'c'"))
	if len(got) != 0 {
		t.Errorf("a policy that selects nothing notified %d endpoints", len(got))
	}
	mustSet(t, c, gnps, gnp("g-b", "app == 'b'"))
	want := []Endpoint{{ID: IDOf(pods, "ns1", "b"), Namespace: "ns1", InScope: true, Flags: IngressProtected,
		AppliedPolicies: []ResourceID{IDOf(gnps, "", "g-b")}, FlowAggregationName: "b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
}

func TestSetInScope(t *testing.T) {
	c, got := newTestCache(t, DefaultOptions())
	pods := kindFor("", "pods")
	mustSet(t, c, pods, obj("v1", "Pod", "ns1", "a", map[string]string{"app": "a"}, nil))
	mustSet(t, c, pods, obj("v1", "Pod", "ns1", "b", map[string]string{"app": "b"}, nil))
	*got = nil
	c.SetInScope(selector.MustParse("app == 'a'"))
	if len(*got) != 1 || (*got)[0].ID.Name != "b" || (*got)[0].InScope {
		t.Errorf("SetInScope notified %+v, want b out of scope", *got)
	}
	*got = nil
	c.SetInScope(nil)
	if len(*got) != 1 || !(*got)[0].InScope {
		t.Errorf("SetInScope(nil) notified %+v, want b back in scope", *got)
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name    string
		kind    audit.Kind
		object  string
		wantErr string
	}{
		{"not json", kindFor("", "pods"), `{"metadata":`, "set pods"},
		{"no name", kindFor("", "pods"), `{"metadata":{"namespace":"a"}}`, "no metadata.name"},
		{"no namespace", kindFor("networking.k8s.io", "networkpolicies"), `{"metadata":{"name":"a"}}`, "no metadata.namespace"},
		{"wrong shape", kindFor("projectcalico.org", "globalnetworkpolicies"), `{"metadata":{"name":"a"},"spec":{"types":"Ingress"}}`, "globalnetworkpolicies.projectcalico.org"},
		{"bad port", kindFor("networking.k8s.io", "networkpolicies"), `{"metadata":{"name":"a","namespace":"b"},"spec":{"ingress":[{"ports":[{"port":[]}]}]}}`, "set networkpolicies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, got := newTestCache(t, DefaultOptions())
			err := c.Set(tt.kind, []byte(tt.object))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Set() error = %v, want one containing %q", err, tt.wantErr)
			}
			if len(*got) != 0 || len(c.endpoints) != 0 || len(c.policies) != 0 {
				t.Errorf("a failed Set changed the cache")
			}
		})
	}
	if !errors.Is(func() error {
		c, _ := NewCache(Options{})
		return c.Set(kindFor("", "pods"), []byte(`{"metadata":{}}`))
	}(), errNoName) {
		t.Error("missing name is not errNoName")
	}
}

func TestNewCacheBadRegex(t *testing.T) {
	for _, opts := range []Options{
		{Envoy: EnvoyOptions{ImageRegex: "("}},
		{Envoy: EnvoyOptions{InitImageRegex: "[z-a]"}},
	} {
		if _, err := NewCache(opts); err == nil {
			t.Errorf("NewCache(%+v) accepted a bad regex", opts)
		}
	}
}

func TestPrivateNetsOption(t *testing.T) {
	// With 203.0.113.0/24 declared private, a rule to it is not internet-exposed.
	opts := DefaultOptions()
	opts.PrivateNets = append(DefaultPrivateNets(), netip.MustParsePrefix("203.0.113.0/24"))
	c, _ := newTestCache(t, opts)
	gnps := kindFor("projectcalico.org", "globalnetworkpolicies")
	for name, net := range map[string]string{"declared": "203.0.113.0/25", "public": "198.51.100.0/24"} {
		mustSet(t, c, gnps, obj("projectcalico.org/v3", "GlobalNetworkPolicy", "", name, nil, map[string]any{"spec": map[string]any{
			"ingress": []any{map[string]any{"action": "Allow", "source": map[string]any{"nets": []string{net}}}}}}))
	}
	want := map[string]Flags{"declared": IngressProtected, "public": IngressProtected | IngressFromInternet}
	gotFlags := make(map[string]Flags)
	var order []string
	c.Policies(func(p PolicyInfo) {
		gotFlags[p.ID.Name] = p.Flags
		order = append(order, p.ID.String())
		if !p.Applied || p.Staged || p.Tier != "default" || p.Selector.String() != "all()" {
			t.Errorf("policy info %+v", p)
		}
	})
	if diff := cmp.Diff(want, gotFlags); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"GlobalNetworkPolicy(declared)", "GlobalNetworkPolicy(public)"}, order); diff != "" {
		t.Error(diff)
	}
}

func TestPolicySelectors(t *testing.T) {
	tests := []struct {
		name   string
		kind   audit.Kind
		object []byte
		want   string // canonical selector; "" = selects nothing
	}{
		{"calico np", kindFor("projectcalico.org", "networkpolicies"),
			obj("projectcalico.org/v3", "NetworkPolicy", "ns", "np", nil, map[string]any{"spec": map[string]any{
				"selector": "app == 'a'", "serviceAccountSelector": "role == 'x'"}}),
			`app == "a" && projectcalico.org/namespace == "ns" && pcsa.role == "x"`},
		{"calico np without selector", kindFor("projectcalico.org", "networkpolicies"),
			obj("projectcalico.org/v3", "NetworkPolicy", "ns", "np", nil, nil),
			`all() && projectcalico.org/namespace == "ns"`},
		{"gnp with namespace selector", kindFor("projectcalico.org", "globalnetworkpolicies"),
			obj("projectcalico.org/v3", "GlobalNetworkPolicy", "", "g", nil, map[string]any{"spec": map[string]any{
				"selector": "app == 'a'", "namespaceSelector": "env == 'prod'"}}),
			`app == "a" && pcns.env == "prod"`},
		{"gnp with all() namespace selector", kindFor("projectcalico.org", "globalnetworkpolicies"),
			obj("projectcalico.org/v3", "GlobalNetworkPolicy", "", "g", nil, map[string]any{"spec": map[string]any{
				"namespaceSelector": "all()", "serviceAccountSelector": "all()"}}),
			`has(projectcalico.org/namespace) && has(projectcalico.org/serviceaccount)`},
		{"gnp with bad selector", kindFor("projectcalico.org", "globalnetworkpolicies"),
			obj("projectcalico.org/v3", "GlobalNetworkPolicy", "", "g", nil, map[string]any{"spec": map[string]any{
				"namespaceSelector": "env =="}}), ``},
		{"k8s np", kindFor("networking.k8s.io", "networkpolicies"),
			obj("networking.k8s.io/v1", "NetworkPolicy", "ns", "k", nil, map[string]any{"spec": map[string]any{
				"podSelector": map[string]any{"matchLabels": map[string]string{"b": "2", "a": "1"}}}}),
			`projectcalico.org/orchestrator == "k8s" && a == "1" && b == "2" && projectcalico.org/namespace == "ns"`},
		{"k8s np selecting all", kindFor("networking.k8s.io", "networkpolicies"),
			obj("networking.k8s.io/v1", "NetworkPolicy", "ns", "k", nil, map[string]any{"spec": map[string]any{"podSelector": map[string]any{}}}),
			`projectcalico.org/orchestrator == "k8s" && projectcalico.org/namespace == "ns"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCache(t, DefaultOptions())
			mustSet(t, c, tt.kind, tt.object)
			var got string
			c.Policies(func(p PolicyInfo) { got = p.Selector.String() })
			if got != tt.want {
				t.Errorf("selector %q, want %q", got, tt.want)
			}
		})
	}
}
