package policy

import (
	"errors"
	"fmt"

	json "github.com/goccy/go-json"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// The decoded forms below hold only the fields the model reads. Kubernetes
// specs use the k8s.io/api types; object metadata and pods use small
// structs with the same JSON names, so that decoding skips managedFields,
// conditions and container statuses (a full corev1.Pod decodes about six
// times slower, and pods are by far the most frequent update).

// meta is the subset of metav1.ObjectMeta the model reads.
type meta struct {
	Name         string            `json:"name"`
	GenerateName string            `json:"generateName"`
	Namespace    string            `json:"namespace"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
}

// object is any object of which only the metadata matters (Namespace,
// ServiceAccount, Tier).
type object struct {
	Metadata meta `json:"metadata"`
}

// image is a container with only its image.
type image struct {
	Image string `json:"image"`
}

// pod is the subset of corev1.Pod the model reads.
type pod struct {
	Metadata podMeta `json:"metadata"`
	Spec     struct {
		ServiceAccountName string  `json:"serviceAccountName"`
		InitContainers     []image `json:"initContainers"`
		Containers         []image `json:"containers"`
	} `json:"spec"`
	Status struct {
		Phase  corev1.PodPhase `json:"phase"`
		PodIP  string          `json:"podIP"`
		PodIPs []corev1.PodIP  `json:"podIPs"`
	} `json:"status"`
}

// podMeta is meta with the labels and annotations left raw: most pod
// updates leave them as they were, and comparing bytes is much cheaper
// than building maps.
type podMeta struct {
	Name         string          `json:"name"`
	GenerateName string          `json:"generateName"`
	Namespace    string          `json:"namespace"`
	Labels       json.RawMessage `json:"labels"`
	Annotations  json.RawMessage `json:"annotations"`
}

// decodePod decodes a pod, checking that it is named and namespaced.
func decodePod(data []byte) (*pod, error) {
	var p pod
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	if p.Metadata.Name == "" {
		return nil, errNoName
	}
	if p.Metadata.Namespace == "" {
		return nil, fmt.Errorf("object %q has no metadata.namespace", p.Metadata.Name)
	}
	return &p, nil
}

// stringMap decodes a raw labels or annotations object; absent and null
// give nil.
func stringMap(raw json.RawMessage) (map[string]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// endpoints is a core/v1 Endpoints object.
type endpoints struct {
	Metadata meta                    `json:"metadata"`
	Subsets  []corev1.EndpointSubset `json:"subsets"`
}

// k8sPolicy is a networking.k8s.io/v1 NetworkPolicy.
type k8sPolicy struct {
	Metadata meta                           `json:"metadata"`
	Spec     networkingv1.NetworkPolicySpec `json:"spec"`
}

// stagedK8sPolicy is a projectcalico.org/v3 StagedKubernetesNetworkPolicy:
// a Kubernetes NetworkPolicy spec plus a staged action.
type stagedK8sPolicy struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		StagedAction string `json:"stagedAction"`
		networkingv1.NetworkPolicySpec
	} `json:"spec"`
}

// calicoPolicy is a projectcalico.org/v3 (or crd.projectcalico.org/v1)
// NetworkPolicy, GlobalNetworkPolicy or one of their staged forms.
type calicoPolicy struct {
	Metadata meta             `json:"metadata"`
	Spec     calicoPolicySpec `json:"spec"`
}

type calicoPolicySpec struct {
	Tier                   string       `json:"tier"`
	Order                  *float64     `json:"order"`
	Selector               string       `json:"selector"`
	NamespaceSelector      string       `json:"namespaceSelector"`
	ServiceAccountSelector string       `json:"serviceAccountSelector"`
	Types                  []string     `json:"types"`
	Ingress                []calicoRule `json:"ingress"`
	Egress                 []calicoRule `json:"egress"`
	StagedAction           string       `json:"stagedAction"`
}

type calicoRule struct {
	Action      string     `json:"action"`
	Source      entityRule `json:"source"`
	Destination entityRule `json:"destination"`
}

// entityRule is one side (source or destination) of a Calico rule.
type entityRule struct {
	Selector          string               `json:"selector"`
	NotSelector       string               `json:"notSelector"`
	NamespaceSelector string               `json:"namespaceSelector"`
	Nets              []string             `json:"nets"`
	NotNets           []string             `json:"notNets"`
	ServiceAccounts   *serviceAccountMatch `json:"serviceAccounts"`
}

type serviceAccountMatch struct {
	Names    []string `json:"names"`
	Selector string   `json:"selector"`
}

// networkSet is a GlobalNetworkSet or NetworkSet.
type networkSet struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		Nets []string `json:"nets"`
	} `json:"spec"`
}

// hostEndpoint is a projectcalico.org/v3 HostEndpoint.
type hostEndpoint struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		Node        string   `json:"node"`
		ExpectedIPs []string `json:"expectedIPs"`
	} `json:"spec"`
}

// errNoName reports an object without metadata.name.
var errNoName = errors.New("object has no metadata.name")

// decode unmarshals an object and checks that it is named (and
// namespaced when it must be).
func decode(data []byte, v any, m *meta, namespaced bool) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	if m.Name == "" {
		return errNoName
	}
	if namespaced && m.Namespace == "" {
		return fmt.Errorf("object %q has no metadata.namespace", m.Name)
	}
	if !namespaced {
		m.Namespace = ""
	}
	return nil
}
