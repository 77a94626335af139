package policy

import (
	"encoding/json"
	"testing"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/google/go-cmp/cmp"
)

func TestResourceIDString(t *testing.T) {
	tests := []struct {
		group, resource string
		namespace, name string
		want            string
	}{
		{"", "pods", "ns1", "pod-abc", "Pod.v1(ns1/pod-abc)"},
		{"", "namespaces", "", "ns", "Namespace.v1(ns)"},
		{"", "serviceaccounts", "ns", "sa", "ServiceAccount.v1(ns/sa)"},
		{"", "endpoints", "ns", "svc", "Endpoints.v1(ns/svc)"},
		{"networking.k8s.io", "networkpolicies", "ns", "name", "NetworkPolicy.networking.k8s.io/v1(ns/name)"},
		{"extensions", "networkpolicies", "ns", "name", "NetworkPolicy.networking.k8s.io/v1(ns/name)"},
		{"projectcalico.org", "networkpolicies", "ns1", "tier.np1", "NetworkPolicy(ns1/tier.np1)"},
		{"crd.projectcalico.org", "networkpolicies", "ns1", "tier.np1", "NetworkPolicy(ns1/tier.np1)"},
		{"projectcalico.org", "globalnetworkpolicies", "", "gnp1", "GlobalNetworkPolicy(gnp1)"},
		{"projectcalico.org", "stagednetworkpolicies", "ns", "s", "StagedNetworkPolicy(ns/s)"},
		{"projectcalico.org", "stagedglobalnetworkpolicies", "", "s", "StagedGlobalNetworkPolicy(s)"},
		{"projectcalico.org", "stagedkubernetesnetworkpolicies", "ns", "s", "StagedKubernetesNetworkPolicy(ns/s)"},
		{"projectcalico.org", "globalnetworksets", "", "g", "GlobalNetworkSet(g)"},
		{"projectcalico.org", "networksets", "ns", "n", "NetworkSet(ns/n)"},
		{"projectcalico.org", "tiers", "", "t", "Tier(t)"},
		{"projectcalico.org", "hostendpoints", "", "hep1", "HostEndpoint(hep1)"},
		// A namespace given for a cluster-scoped kind is dropped.
		{"projectcalico.org", "hostendpoints", "ns", "hep1", "HostEndpoint(hep1)"},
	}
	seen := make(map[audit.Kind]bool)
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			kind, ok := audit.LookupKind(tt.group, tt.resource)
			if !ok {
				t.Fatalf("no kind for %s %s", tt.group, tt.resource)
			}
			seen[kind] = true
			id := IDOf(kind, tt.namespace, tt.name)
			if got := id.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			text, err := id.MarshalText()
			if err != nil || string(text) != tt.want {
				t.Errorf("MarshalText() = %q, %v", text, err)
			}
		})
	}
	for _, k := range audit.Tracked() {
		if !seen[k] {
			t.Errorf("kind %s not covered", k)
		}
	}
}

func TestResourceIDOthers(t *testing.T) {
	tests := []struct {
		id   ResourceID
		want string
	}{
		{ServiceID("ns", "svc"), "Service.v1(ns/svc)"},
		{NamespaceID("ns"), "Namespace.v1(ns)"},
		{ResourceID{Kind: "Node", APIVersion: "v1", Name: "n1"}, "Node.v1(n1)"},
		{ResourceID{Kind: "Deployment", APIVersion: "apps/v1", Namespace: "ns", Name: "d"}, "Deployment.apps/v1(ns/d)"},
	}
	for _, tt := range tests {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("%#v: got %q, want %q", tt.id, got, tt.want)
		}
	}
	// As a JSON value and as a map key the text form is used.
	b, err := json.Marshal(map[string]any{"ids": []ResourceID{ServiceID("a", "b")}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"ids":["Service.v1(a/b)"]}`, string(b)); diff != "" {
		t.Error(diff)
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		f    Flags
		want string
	}{
		{0, "0"},
		{IngressProtected, "IngressProtected"},
		{EgressToInternet | IngressProtected | EnvoyEnabled, "IngressProtected|EgressToInternet|EnvoyEnabled"},
		{IngressFromOtherNamespace | EgressToOtherNamespace | 0x100, "IngressFromOtherNamespace|EgressToOtherNamespace|0x100"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%d: got %q, want %q", tt.f, got, tt.want)
		}
	}
	for _, name := range EnvoyEnabled.Names() {
		if f, err := ParseFlag(name); err != nil || f != EnvoyEnabled {
			t.Errorf("ParseFlag(%q) = %v, %v", name, f, err)
		}
	}
	if _, err := ParseFlag("Nope"); err == nil {
		t.Error("ParseFlag accepted an unknown name")
	}
	if !(IngressProtected | EgressProtected).Has(EgressProtected) || IngressProtected.Has(IngressProtected|EgressProtected) {
		t.Error("Has")
	}
}
