package report

import (
	"github.com/evident-dev/evident/internal/policy"
)

// ResourceID names one object in a report. Its text form (String) is the
// one every report prints, Kind[.apiVersion]([namespace/]name); its JSON
// form is an object with the keys kind, apiVersion, namespace and name, so
// a stored report decodes back without parsing text.
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
