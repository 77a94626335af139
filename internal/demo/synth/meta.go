package synth

import (
	"slices"
	"strings"
	"time"
)

// kindInfo describes one tracked resource.
type kindInfo struct {
	resource   string // plural, as in objectRef.resource
	kind       string
	group      string // "" for the core group
	version    string
	namespaced bool
	crd        bool // served from a CustomResourceDefinition: keys sorted
}

// apiVersion returns group/version, or the version for the core group.
func (k *kindInfo) apiVersion() string {
	if k.group == "" {
		return k.version
	}
	return k.group + "/" + k.version
}

// kinds is the table of tracked kinds, in baseline order.
type kinds struct {
	pod, namespace, serviceAccount, endpoints, networkPolicy *kindInfo
	tier, hostEndpoint, globalNetworkSet, networkSet         *kindInfo
	calicoPolicy, globalPolicy                               *kindInfo
	stagedPolicy, stagedK8sPolicy, stagedGlobalPolicy        *kindInfo
}

func newKinds() *kinds {
	core := func(res, kind string, namespaced bool) *kindInfo {
		return &kindInfo{resource: res, kind: kind, version: "v1", namespaced: namespaced}
	}
	calico := func(res, kind string, namespaced bool) *kindInfo {
		return &kindInfo{resource: res, kind: kind, group: "projectcalico.org", version: "v3", namespaced: namespaced, crd: true}
	}
	return &kinds{
		pod:                core("pods", "Pod", true),
		namespace:          core("namespaces", "Namespace", false),
		serviceAccount:     core("serviceaccounts", "ServiceAccount", true),
		endpoints:          core("endpoints", "Endpoints", true),
		networkPolicy:      &kindInfo{resource: "networkpolicies", kind: "NetworkPolicy", group: "networking.k8s.io", version: "v1", namespaced: true},
		tier:               calico("tiers", "Tier", false),
		hostEndpoint:       calico("hostendpoints", "HostEndpoint", false),
		globalNetworkSet:   calico("globalnetworksets", "GlobalNetworkSet", false),
		networkSet:         calico("networksets", "NetworkSet", true),
		calicoPolicy:       calico("networkpolicies", "NetworkPolicy", true),
		globalPolicy:       calico("globalnetworkpolicies", "GlobalNetworkPolicy", false),
		stagedPolicy:       calico("stagednetworkpolicies", "StagedNetworkPolicy", true),
		stagedK8sPolicy:    calico("stagedkubernetesnetworkpolicies", "StagedKubernetesNetworkPolicy", true),
		stagedGlobalPolicy: calico("stagedglobalnetworkpolicies", "StagedGlobalNetworkPolicy", false),
	}
}

// all returns the kinds in baseline order.
func (k *kinds) all() []*kindInfo {
	return []*kindInfo{k.pod, k.namespace, k.serviceAccount, k.endpoints, k.networkPolicy,
		k.tier, k.hostEndpoint, k.globalNetworkSet, k.networkSet, k.calicoPolicy, k.globalPolicy,
		k.stagedPolicy, k.stagedK8sPolicy, k.stagedGlobalPolicy}
}

type label struct{ k, v string }

// setLabel sets k=v in a key-sorted label list.
func setLabel(ls []label, k, v string) []label {
	i, found := slices.BinarySearchFunc(ls, k, func(l label, k string) int { return strings.Compare(l.k, k) })
	if found {
		ls[i].v = v
		return ls
	}
	return slices.Insert(ls, i, label{k, v})
}

func labelValue(ls []label, k string) string {
	for _, l := range ls {
		if l.k == k {
			return l.v
		}
	}
	return ""
}

func labelsOf(kvs ...string) []label {
	var ls []label
	for i := 0; i+1 < len(kvs); i += 2 {
		ls = setLabel(ls, kvs[i], kvs[i+1])
	}
	return ls
}

func appendLabels(b []byte, ls []label) []byte {
	b = append(b, '{')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStr(b, l.k)
		b = append(b, ':')
		b = appendStr(b, l.v)
	}
	return append(b, '}')
}

// labelsNode returns labels as a JSON object node.
func labelsNode(ls []label) *node {
	n := obj()
	for _, l := range ls {
		n.fields = append(n.fields, kv(l.k, str(l.v)))
	}
	return n
}

// meta is an object's metadata.
type meta struct {
	name, namespace, uid string
	rv                   uint64
	generation           int64 // 0: not written
	created              time.Time
	deleted              time.Time // deletionTimestamp
	grace                int64     // deletionGracePeriodSeconds, with deleted; -1: not written
	labels               []label
	annotations          []label
	finalizers           []string
	managed              []*managedEntry
}

// managedEntry is one metadata.managedFields entry. paths are the owned
// field paths, segments joined by NUL, kept sorted.
type managedEntry struct {
	manager, operation, apiVersion, subresource string
	t                                           time.Time
	paths                                       []string
}

// fieldPath joins managed-field path segments.
func fieldPath(segs ...string) string { return strings.Join(segs, "\x00") }

// claim records that manager wrote the given fields at t: they move to its
// entry from every other manager, as server-side field management does.
func (m *meta) claim(manager, operation, apiVersion, subresource string, t time.Time, paths ...string) {
	var own *managedEntry
	for _, e := range m.managed {
		if e.manager == manager && e.operation == operation && e.subresource == subresource {
			own = e
			continue
		}
		e.paths = slices.DeleteFunc(e.paths, func(p string) bool {
			for _, q := range paths {
				if p == q || strings.HasPrefix(p, q+"\x00") {
					return true
				}
			}
			return false
		})
	}
	m.managed = slices.DeleteFunc(m.managed, func(e *managedEntry) bool { return e != own && len(e.paths) == 0 })
	if own == nil {
		own = &managedEntry{manager: manager, operation: operation, apiVersion: apiVersion, subresource: subresource}
		m.managed = append(m.managed, own)
	}
	own.t = t
	for _, p := range paths {
		if i, found := slices.BinarySearch(own.paths, p); !found {
			own.paths = slices.Insert(own.paths, i, p)
		}
	}
}

// appendFieldsV1 writes sorted paths as the nested FieldsV1 object.
func appendFieldsV1(b []byte, paths []string) []byte {
	b = append(b, '{')
	var open []string
	comma := false
	for _, p := range paths {
		segs := strings.Split(p, "\x00")
		dirs, leaf := segs[:len(segs)-1], segs[len(segs)-1]
		c := 0
		for c < len(open) && c < len(dirs) && open[c] == dirs[c] {
			c++
		}
		for len(open) > c {
			b = append(b, '}')
			open = open[:len(open)-1]
			comma = true
		}
		for _, d := range dirs[c:] {
			if comma {
				b = append(b, ',')
			}
			b = appendStr(b, d)
			b = append(b, ':', '{')
			open = append(open, d)
			comma = false
		}
		if comma {
			b = append(b, ',')
		}
		b = appendStr(b, leaf)
		b = append(b, ':', '{', '}')
		comma = true
	}
	for range open {
		b = append(b, '}')
	}
	return append(b, '}')
}

func (e *managedEntry) appendJSON(b []byte, sorted bool) []byte {
	if sorted {
		b = append(b, `{"apiVersion":"`...)
		b = append(b, e.apiVersion...)
		b = append(b, `","fieldsType":"FieldsV1","fieldsV1":`...)
		b = appendFieldsV1(b, e.paths)
		b = append(b, `,"manager":`...)
		b = appendStr(b, e.manager)
		b = append(b, `,"operation":"`...)
		b = append(b, e.operation...)
		b = append(b, '"')
		if e.subresource != "" {
			b = append(b, `,"subresource":"`...)
			b = append(b, e.subresource...)
			b = append(b, '"')
		}
		b = append(b, `,"time":`...)
		b = appendTime(b, e.t)
		return append(b, '}')
	}
	b = append(b, `{"manager":`...)
	b = appendStr(b, e.manager)
	b = append(b, `,"operation":"`...)
	b = append(b, e.operation...)
	b = append(b, `","apiVersion":"`...)
	b = append(b, e.apiVersion...)
	b = append(b, `","time":`...)
	b = appendTime(b, e.t)
	b = append(b, `,"fieldsType":"FieldsV1","fieldsV1":`...)
	b = appendFieldsV1(b, e.paths)
	if e.subresource != "" {
		b = append(b, `,"subresource":"`...)
		b = append(b, e.subresource...)
		b = append(b, '"')
	}
	return append(b, '}')
}

func (m *meta) appendManaged(b []byte, sorted bool) []byte {
	b = append(b, `"managedFields":[`...)
	for i, e := range m.managed {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.appendJSON(b, sorted)
	}
	return append(b, ']')
}

// appendTyped writes metadata in the field order of a built-in type.
func (m *meta) appendTyped(b []byte, withManaged bool) []byte {
	b = append(b, `"metadata":{"name":`...)
	b = appendStr(b, m.name)
	if m.namespace != "" {
		b = append(b, `,"namespace":`...)
		b = appendStr(b, m.namespace)
	}
	b = append(b, `,"uid":"`...)
	b = append(b, m.uid...)
	b = append(b, `","resourceVersion":`...)
	b = appendQuotedUint(b, m.rv)
	if m.generation != 0 {
		b = append(b, `,"generation":`...)
		b = appendInt(b, m.generation)
	}
	b = append(b, `,"creationTimestamp":`...)
	b = appendTime(b, m.created)
	if !m.deleted.IsZero() {
		b = append(b, `,"deletionTimestamp":`...)
		b = appendTime(b, m.deleted)
		if m.grace >= 0 {
			b = append(b, `,"deletionGracePeriodSeconds":`...)
			b = appendInt(b, m.grace)
		}
	}
	if len(m.labels) > 0 {
		b = append(b, `,"labels":`...)
		b = appendLabels(b, m.labels)
	}
	if len(m.annotations) > 0 {
		b = append(b, `,"annotations":`...)
		b = appendLabels(b, m.annotations)
	}
	if len(m.finalizers) > 0 {
		b = append(b, `,"finalizers":`...)
		b = strs(m.finalizers...).appendJSON(b, false)
	}
	if withManaged && len(m.managed) > 0 {
		b = append(b, ',')
		b = m.appendManaged(b, false)
	}
	return append(b, '}')
}

// appendSorted writes metadata with keys sorted, as a CustomResource is
// served.
func (m *meta) appendSorted(b []byte, withManaged bool) []byte {
	b = append(b, `"metadata":{`...)
	if len(m.annotations) > 0 {
		b = append(b, `"annotations":`...)
		b = appendLabels(b, m.annotations)
		b = append(b, ',')
	}
	b = append(b, `"creationTimestamp":`...)
	b = appendTime(b, m.created)
	if !m.deleted.IsZero() {
		if m.grace >= 0 {
			b = append(b, `,"deletionGracePeriodSeconds":`...)
			b = appendInt(b, m.grace)
		}
		b = append(b, `,"deletionTimestamp":`...)
		b = appendTime(b, m.deleted)
	}
	if len(m.finalizers) > 0 {
		b = append(b, `,"finalizers":`...)
		b = strs(m.finalizers...).appendJSON(b, false)
	}
	if m.generation != 0 {
		b = append(b, `,"generation":`...)
		b = appendInt(b, m.generation)
	}
	if len(m.labels) > 0 {
		b = append(b, `,"labels":`...)
		b = appendLabels(b, m.labels)
	}
	if withManaged && len(m.managed) > 0 {
		b = append(b, ',')
		b = m.appendManaged(b, true)
	}
	b = append(b, `,"name":`...)
	b = appendStr(b, m.name)
	if m.namespace != "" {
		b = append(b, `,"namespace":`...)
		b = appendStr(b, m.namespace)
	}
	b = append(b, `,"resourceVersion":`...)
	b = appendQuotedUint(b, m.rv)
	b = append(b, `,"uid":"`...)
	b = append(b, m.uid...)
	return append(b, `"}`...)
}

// appendCreateRequest writes the metadata a client sends on create: no
// uid, resourceVersion or managed fields, and a null creationTimestamp.
func (m *meta) appendCreateRequest(b []byte, sorted bool) []byte {
	if sorted {
		b = append(b, `"metadata":{`...)
		if len(m.annotations) > 0 {
			b = append(b, `"annotations":`...)
			b = appendLabels(b, m.annotations)
			b = append(b, ',')
		}
		b = append(b, `"creationTimestamp":null`...)
		if len(m.labels) > 0 {
			b = append(b, `,"labels":`...)
			b = appendLabels(b, m.labels)
		}
		b = append(b, `,"name":`...)
		b = appendStr(b, m.name)
		if m.namespace != "" {
			b = append(b, `,"namespace":`...)
			b = appendStr(b, m.namespace)
		}
		return append(b, '}')
	}
	b = append(b, `"metadata":{"name":`...)
	b = appendStr(b, m.name)
	if m.namespace != "" {
		b = append(b, `,"namespace":`...)
		b = appendStr(b, m.namespace)
	}
	b = append(b, `,"creationTimestamp":null`...)
	if len(m.labels) > 0 {
		b = append(b, `,"labels":`...)
		b = appendLabels(b, m.labels)
	}
	if len(m.annotations) > 0 {
		b = append(b, `,"annotations":`...)
		b = appendLabels(b, m.annotations)
	}
	return append(b, '}')
}

// appendMeta writes metadata in the order of the kind.
func (m *meta) appendMeta(b []byte, k *kindInfo, withManaged bool) []byte {
	if k.crd {
		return m.appendSorted(b, withManaged)
	}
	return m.appendTyped(b, withManaged)
}
