package policy

import (
	"github.com/evident-dev/evident/internal/audit"
)

// API versions that appear in resource IDs.
const (
	APIVersionCore       = "v1"
	APIVersionNetworking = "networking.k8s.io/v1"
	APIVersionCalico     = "projectcalico.org/v3"
)

// ResourceID names one object the way compliance reports print it.
type ResourceID struct {
	Kind       string
	APIVersion string
	Namespace  string
	Name       string
}

// String returns Kind[.apiVersion]([namespace/]name). The apiVersion part
// is left out for projectcalico.org/v3 objects:
//
//	Pod.v1(ns1/pod-abc)
//	HostEndpoint(hep1)
//	NetworkPolicy(ns1/tier.np1)
//	NetworkPolicy.networking.k8s.io/v1(ns/name)
//	Namespace.v1(ns)
func (r ResourceID) String() string {
	n := len(r.Kind) + len(r.APIVersion) + len(r.Namespace) + len(r.Name) + 4
	b := make([]byte, 0, n)
	b = append(b, r.Kind...)
	if r.APIVersion != APIVersionCalico {
		b = append(b, '.')
		b = append(b, r.APIVersion...)
	}
	b = append(b, '(')
	if r.Namespace != "" {
		b = append(b, r.Namespace...)
		b = append(b, '/')
	}
	b = append(b, r.Name...)
	b = append(b, ')')
	return string(b)
}

// MarshalText implements encoding.TextMarshaler with String.
func (r ResourceID) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// IDOf returns the ResourceID of an object of a tracked kind. The namespace
// is dropped for cluster-scoped kinds.
func IDOf(kind audit.Kind, namespace, name string) ResourceID {
	if !kind.Namespaced() {
		namespace = ""
	}
	return ResourceID{Kind: kind.Name, APIVersion: apiVersionOf(kind.Group), Namespace: namespace, Name: name}
}

// ServiceID returns the ID of the Service behind an Endpoints object.
func ServiceID(namespace, name string) ResourceID {
	return ResourceID{Kind: "Service", APIVersion: APIVersionCore, Namespace: namespace, Name: name}
}

// NamespaceID returns the ID of a namespace.
func NamespaceID(name string) ResourceID {
	return ResourceID{Kind: "Namespace", APIVersion: APIVersionCore, Name: name}
}

// apiVersionOf maps a canonical tracked group to the version printed in IDs.
func apiVersionOf(group string) string {
	switch group {
	case audit.GroupCore:
		return APIVersionCore
	case audit.GroupNetworking:
		return APIVersionNetworking
	case audit.GroupCalico:
		return APIVersionCalico
	}
	return group
}
