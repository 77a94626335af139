package audit

import (
	"net/url"
	"sort"
	"strings"
	"time"
)

// Kind identifies a tracked resource kind independent of the API group
// spelling it arrived under (projectcalico.org and crd.projectcalico.org are
// the same Calico kinds; extensions networkpolicies are networking.k8s.io's).
type Kind struct {
	Group    string // canonical group: "", "networking.k8s.io" or "projectcalico.org"
	Resource string // lower-case plural, as in objectRef.resource
	Name     string // the object kind, e.g. "NetworkPolicy"
}

// The canonical groups of the tracked kinds.
const (
	GroupCore       = ""
	GroupNetworking = "networking.k8s.io"
	GroupCalico     = "projectcalico.org"
)

// String is "resource" for core kinds and "resource.group" otherwise, the
// form kubectl accepts.
func (k Kind) String() string {
	if k.Group == "" {
		return k.Resource
	}
	return k.Resource + "." + k.Group
}

// Namespaced reports whether objects of the kind live in a namespace.
func (k Kind) Namespaced() bool {
	switch k.Resource {
	case "namespaces", "globalnetworkpolicies", "stagedglobalnetworkpolicies",
		"globalnetworksets", "tiers", "hostendpoints":
		return false
	}
	return true
}

var trackedKinds = []Kind{
	{GroupCore, "pods", "Pod"},
	{GroupCore, "namespaces", "Namespace"},
	{GroupCore, "serviceaccounts", "ServiceAccount"},
	{GroupCore, "endpoints", "Endpoints"},
	{GroupNetworking, "networkpolicies", "NetworkPolicy"},
	{GroupCalico, "networkpolicies", "NetworkPolicy"},
	{GroupCalico, "globalnetworkpolicies", "GlobalNetworkPolicy"},
	{GroupCalico, "stagednetworkpolicies", "StagedNetworkPolicy"},
	{GroupCalico, "stagedkubernetesnetworkpolicies", "StagedKubernetesNetworkPolicy"},
	{GroupCalico, "stagedglobalnetworkpolicies", "StagedGlobalNetworkPolicy"},
	{GroupCalico, "globalnetworksets", "GlobalNetworkSet"},
	{GroupCalico, "networksets", "NetworkSet"},
	{GroupCalico, "tiers", "Tier"},
	{GroupCalico, "hostendpoints", "HostEndpoint"},
}

// Tracked lists the kinds whose writes become object versions, in a fixed
// order: the core kinds, networking.k8s.io, then the Calico kinds.
func Tracked() []Kind { return append([]Kind(nil), trackedKinds...) }

// CanonicalGroup maps an API group to the group its tracked kinds are
// filed under.
func CanonicalGroup(group string) string {
	switch group {
	case "crd.projectcalico.org":
		return GroupCalico
	case "extensions":
		return GroupNetworking
	}
	return group
}

// LookupKind finds the tracked kind for an API group and resource.
func LookupKind(group, resource string) (Kind, bool) {
	group = CanonicalGroup(group)
	for _, k := range trackedKinds {
		if k.Group == group && k.Resource == resource {
			return k, true
		}
	}
	return Kind{}, false
}

// ParseKind resolves what a user typed for a kind: "pods",
// "networkpolicies.networking.k8s.io", "globalnetworkpolicies",
// "NetworkPolicy", "netpol" and the like. A bare name that two groups share
// ("networkpolicies") is ambiguous; all matches are returned.
func ParseKind(s string) []Kind {
	s = strings.TrimSpace(s)
	resource, group, hasGroup := strings.Cut(s, ".")
	lower := strings.ToLower(resource)
	switch lower {
	case "po", "pod":
		lower = "pods"
	case "ns", "namespace":
		lower = "namespaces"
	case "sa", "serviceaccount":
		lower = "serviceaccounts"
	case "ep":
		lower = "endpoints"
	case "netpol", "networkpolicy":
		lower = "networkpolicies"
	case "gnp", "globalnetworkpolicy":
		lower = "globalnetworkpolicies"
	}
	var out []Kind
	for _, k := range trackedKinds {
		if k.Resource != lower && !strings.EqualFold(k.Name, resource) && strings.ToLower(k.Name)+"s" != lower {
			continue
		}
		if hasGroup && k.Group != CanonicalGroup(group) {
			continue
		}
		out = append(out, k)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}

// Change describes the object version an event produced.
type Change struct {
	Kind            Kind
	Namespace       string
	Name            string
	UID             string
	ResourceVersion string
	Time            time.Time // stageTimestamp: when the write took effect
	Deleted         bool
	HasObject       bool // the responseObject is the object (not a Status)
}

// changeOf reports the object version ev produced, or nil. Only completed,
// successful (2xx), persisted (not dry-run) create/update/patch/delete
// requests on tracked kinds count; of subresources only status does, since
// its response is the whole object.
func changeOf(ev *Event, resp *responseObject) *Change {
	if ev.Stage != StageResponseComplete || ev.Code < 200 || ev.Code > 299 {
		return nil
	}
	switch ev.Verb {
	case "create", "update", "patch", "delete":
	default:
		return nil
	}
	if ev.Subresource != "" && ev.Subresource != "status" {
		return nil
	}
	kind, ok := LookupKind(ev.APIGroup, ev.Resource)
	if !ok || isDryRun(ev.RequestURI) {
		return nil
	}
	c := &Change{Kind: kind, Namespace: ev.Namespace, Name: ev.Name, Time: ev.StageTime, Deleted: ev.Verb == "delete"}
	if resp != nil && resp.Kind == kind.Name {
		c.HasObject = true
		c.UID = resp.Metadata.UID
		c.ResourceVersion = resp.Metadata.ResourceVersion
		if resp.Metadata.Namespace != "" {
			c.Namespace = resp.Metadata.Namespace
		}
	}
	if !kind.Namespaced() {
		c.Namespace = ""
	}
	if c.Name == "" || !c.Deleted && !c.HasObject {
		return nil // nothing to identify, or no object to record
	}
	return c
}

func isDryRun(requestURI string) bool {
	_, query, ok := strings.Cut(requestURI, "?")
	if !ok || !strings.Contains(query, "dryRun") {
		return false
	}
	v, err := url.ParseQuery(query)
	return err == nil && len(v["dryRun"]) > 0 && v.Get("dryRun") != ""
}
