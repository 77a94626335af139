package policy

import (
	"maps"
	"strings"

	"github.com/evident-dev/evident/internal/selector"
)

// namespace is a Kubernetes namespace: the parent of its pods (whose
// selectors see its labels as pcns.<key>) and the home of its namespaced
// policies. It exists in the cache as soon as anything refers to it; its
// labels are known only once the Namespace object is set.
type namespace struct {
	name     string
	known    bool
	labels   map[string]string
	views    map[*view]struct{} // of its pods
	policies map[*policy]struct{}
	filtered map[*policy]struct{} // global policies whose namespace filter matches
}

// scopeLabels is what a global policy's namespace filter reads: the
// namespace's pcns. view and the namespace pseudo-label.
type scopeLabels struct{ ns *namespace }

// Get implements selector.Labels.
func (s scopeLabels) Get(key string) (string, bool) {
	if key == selector.LabelNamespace {
		return s.ns.name, true
	}
	return s.ns.Get(key)
}

// refilter re-evaluates the global policies' namespace filters for ns.
func (c *Cache) refilter(ns *namespace) {
	clear(ns.filtered)
	for p := range c.filtered {
		if p.def.nsFilter.Matches(scopeLabels{ns}) {
			ns.filtered[p] = struct{}{}
		}
	}
}

// Get implements selector.Labels for the pcns.-prefixed view of the
// namespace: its labels plus pcns.projectcalico.org/name.
func (n *namespace) Get(key string) (string, bool) {
	if n == nil || !n.known || !strings.HasPrefix(key, selector.PrefixNamespace) {
		return "", false
	}
	k := key[len(selector.PrefixNamespace):]
	if k == selector.LabelName {
		return n.name, true
	}
	v, ok := n.labels[k]
	return v, ok
}

// serviceAccount is the parent of the pods that run as it; their selectors
// see its labels as pcsa.<key>.
type serviceAccount struct {
	name   string
	known  bool
	labels map[string]string
	views  map[*view]struct{} // of its pods
}

// Get implements selector.Labels for the pcsa.-prefixed view of the
// service account: its labels plus pcsa.projectcalico.org/name.
func (s *serviceAccount) Get(key string) (string, bool) {
	if s == nil || !s.known || !strings.HasPrefix(key, selector.PrefixServiceAccount) {
		return "", false
	}
	k := key[len(selector.PrefixServiceAccount):]
	if k == selector.LabelName {
		return s.name, true
	}
	v, ok := s.labels[k]
	return v, ok
}

func (c *Cache) namespaceFor(name string) *namespace {
	ns := c.namespaces[name]
	if ns == nil {
		ns = &namespace{
			name:     name,
			views:    make(map[*view]struct{}),
			policies: make(map[*policy]struct{}),
			filtered: make(map[*policy]struct{}),
		}
		c.namespaces[name] = ns
		c.refilter(ns)
	}
	return ns
}

func (c *Cache) serviceAccountFor(key nsName) *serviceAccount {
	sa := c.serviceAccounts[key]
	if sa == nil {
		sa = &serviceAccount{name: key.name, views: make(map[*view]struct{})}
		c.serviceAccounts[key] = sa
	}
	return sa
}

func (c *Cache) setNamespace(data []byte) error {
	var o object
	if err := decode(data, &o, &o.Metadata, false); err != nil {
		return err
	}
	ns := c.namespaceFor(o.Metadata.Name)
	if ns.known && maps.Equal(ns.labels, o.Metadata.Labels) {
		return nil
	}
	ns.known, ns.labels = true, o.Metadata.Labels
	c.refilter(ns)
	c.relabel(ns.views)
	return nil
}

func (c *Cache) deleteNamespace(name string) {
	ns := c.namespaces[name]
	if ns == nil || !ns.known {
		return
	}
	ns.known, ns.labels = false, nil
	c.refilter(ns)
	c.relabel(ns.views)
	if len(ns.views) == 0 && len(ns.policies) == 0 {
		delete(c.namespaces, name)
	}
}

func (c *Cache) setServiceAccount(data []byte) error {
	var o object
	if err := decode(data, &o, &o.Metadata, true); err != nil {
		return err
	}
	sa := c.serviceAccountFor(nsName{o.Metadata.Namespace, o.Metadata.Name})
	if sa.known && maps.Equal(sa.labels, o.Metadata.Labels) {
		return nil
	}
	sa.known, sa.labels = true, o.Metadata.Labels
	c.relabel(sa.views)
	return nil
}

func (c *Cache) deleteServiceAccount(key nsName) {
	sa := c.serviceAccounts[key]
	if sa == nil || !sa.known {
		return
	}
	sa.known, sa.labels = false, nil
	c.relabel(sa.views)
	if len(sa.views) == 0 {
		delete(c.serviceAccounts, key)
	}
}

// relabel re-evaluates policies and scope for views whose inherited
// labels changed.
func (c *Cache) relabel(views map[*view]struct{}) {
	for v := range views {
		c.matchView(v)
		c.updateInScope(v)
	}
}
