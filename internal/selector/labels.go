package selector

// Labels is the set of labels a selector is matched against.
type Labels interface {
	// Get returns the value of the label key and whether it is present.
	Get(key string) (string, bool)
}

// Map is a plain label set.
type Map map[string]string

// Get implements Labels.
func (m Map) Get(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}

// Merged looks a key up in each of its label sets in order; the first set
// that has the key wins. It layers pseudo-labels over an object's own labels
// without copying either.
type Merged []Labels

// Get implements Labels.
func (m Merged) Get(key string) (string, bool) {
	for _, l := range m {
		if l == nil {
			continue
		}
		if v, ok := l.Get(key); ok {
			return v, true
		}
	}
	return "", false
}

// Pseudo-labels carried by workload endpoints, and the prefixes under which
// namespace and service-account labels are visible to a selector.
const (
	// LabelNamespace holds the namespace of a workload endpoint.
	LabelNamespace = "projectcalico.org/namespace"
	// LabelServiceAccount holds the service-account name of a workload endpoint.
	LabelServiceAccount = "projectcalico.org/serviceaccount"
	// LabelOrchestrator holds the orchestrator of a workload endpoint ("k8s").
	LabelOrchestrator = "projectcalico.org/orchestrator"
	// LabelName holds the name of a namespace or service account; it is seen
	// by endpoint selectors as PrefixNamespace+LabelName or
	// PrefixServiceAccount+LabelName.
	LabelName = "projectcalico.org/name"

	// PrefixNamespace is prepended to namespace label keys.
	PrefixNamespace = "pcns."
	// PrefixServiceAccount is prepended to service-account label keys.
	PrefixServiceAccount = "pcsa."
)

var (
	_ Labels = Map(nil)
	_ Labels = Merged(nil)
)
