package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/evident-dev/evident/internal/policy"
)

// ResourceID names one object in a report. Its text form (String), which
// is also its JSON form, is the one every report prints:
// Kind[.apiVersion]([namespace/]name). UnmarshalText reads it back.
//
// It has the fields of policy.ResourceID in the same order, so either
// converts to the other with a plain conversion: ResourceID(id).
type ResourceID struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// String returns Kind[.apiVersion]([namespace/]name), leaving out the
// apiVersion of projectcalico.org/v3 objects: Pod.v1(ns1/pod-abc),
// HostEndpoint(hep1), NetworkPolicy.networking.k8s.io/v1(ns/name).
func (r ResourceID) String() string { return policy.ResourceID(r).String() }

// MarshalText writes the text form.
func (r ResourceID) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads the text form: Kind, then "." and the apiVersion
// unless it is projectcalico.org/v3, then "(", the namespace and "/" if
// any, the name, and ")".
func (r *ResourceID) UnmarshalText(b []byte) error {
	s := string(b)
	open := strings.IndexByte(s, '(')
	if open < 1 || !strings.HasSuffix(s, ")") {
		return fmt.Errorf("resource ID %q: want Kind[.apiVersion]([namespace/]name)", s)
	}
	head, inner := s[:open], s[open+1:len(s)-1]
	kind, version, dotted := strings.Cut(head, ".")
	if !dotted {
		version = policy.APIVersionCalico
	}
	ns, name, namespaced := strings.Cut(inner, "/")
	if !namespaced {
		ns, name = "", inner
	}
	*r = ResourceID{Kind: kind, APIVersion: version, Namespace: ns, Name: name}
	return nil
}

// UnmarshalJSON reads the text form, or an object with the keys kind,
// apiVersion, namespace and name.
func (r *ResourceID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return r.UnmarshalText([]byte(s))
	}
	type plain ResourceID
	return json.Unmarshal(b, (*plain)(r))
}

// ResourceIDs converts the IDs of package policy.
func ResourceIDs(ids []policy.ResourceID) []ResourceID {
	if ids == nil {
		return nil
	}
	out := make([]ResourceID, len(ids))
	for i, id := range ids {
		out[i] = ResourceID(id)
	}
	return out
}

// The kinds of flow endpoints.
const (
	FlowKindPod              = "Pod"
	FlowKindHostEndpoint     = "HostEndpoint"
	FlowKindGlobalNetworkSet = "GlobalNetworkSet"
	FlowKindNetworkSet       = "NetworkSet"
	FlowKindPublic           = "Public"  // a public network outside the cluster
	FlowKindPrivate          = "Private" // a private network outside the cluster
)

// FlowEndpoint is one end of a traffic flow.
type FlowEndpoint struct {
	Kind string `json:"kind"`
	// Name is the endpoint's name or, when NameIsAggregationPrefix is set,
	// the aggregated name of its replica set, such as nginx-5d8f*.
	Name                    string `json:"name,omitempty"`
	NameIsAggregationPrefix bool   `json:"nameIsAggregationPrefix,omitempty"`
	Namespace               string `json:"namespace,omitempty"`
}

// String returns the form reports print:
//
//	Pod.v1(ns/name)             a pod (the name may be a prefix, nginx-*)
//	HostEndpoint(name)          a host endpoint
//	GlobalNetworkSet(name)      a global network set
//	Public, Private             a network outside the cluster
//	Kind(ns/name)               anything else; Kind(name) without a namespace
func (e FlowEndpoint) String() string {
	switch e.Kind {
	case FlowKindPod:
		return "Pod.v1(" + e.Namespace + "/" + e.Name + ")"
	case FlowKindHostEndpoint, FlowKindGlobalNetworkSet:
		return e.Kind + "(" + e.Name + ")"
	case FlowKindPublic, FlowKindPrivate:
		return e.Kind
	}
	if e.Namespace == "" {
		return e.Kind + "(" + e.Name + ")"
	}
	return e.Kind + "(" + e.Namespace + "/" + e.Name + ")"
}
