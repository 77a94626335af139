package policy

import (
	"bytes"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/selector"
	json "github.com/goccy/go-json"
	corev1 "k8s.io/api/core/v1"
)

// Calico's pod IP annotations, read when the pod status carries no IP.
const (
	annotationPodIP  = "cni.projectcalico.org/podIP"
	annotationPodIPs = "cni.projectcalico.org/podIPs"
)

// maxServiceAccountLabel bounds the service-account pseudo-label: longer
// names are not valid label values, so the label is left out.
const maxServiceAccountLabel = 63

type endpointKind uint8

const (
	kindPod endpointKind = iota
	kindHost
)

type endpointKey struct {
	kind endpointKind
	nsName
}

// endpoint is the cache's record of one pod or host endpoint.
type endpoint struct {
	key    endpointKey
	id     ResourceID
	idText string

	labels selector.Map // own labels

	rawLabels, rawAnnotations json.RawMessage // pods: as last decoded
	annotations               map[string]string
	pseudo                    pseudoLabels    // pods only
	merged                    selector.Merged // what selectors are matched against
	ns                        *namespace      // pods only
	sa                        *serviceAccount // pods with a service account
	ips                       []netip.Addr    // sorted, distinct
	// ownPcns is set when the pod's own labels include pcns. keys, which
	// hide its namespace's: namespace filters do not apply to it.
	ownPcns bool

	envoy    bool
	inScope  bool
	flags    Flags
	saName   string
	aggName  string
	applied  map[*policy]struct{}
	services map[*service]struct{}
	deleted  bool

	appliedDirty, servicesDirty bool // the sets changed since the last publish
	queued, self                bool // queued for flush; set or deleted itself

	pub Endpoint // the published view
}

// pseudoLabels are the labels Calico adds to a pod's own.
type pseudoLabels struct {
	namespace      string
	serviceAccount string
	hasSA          bool
}

// Get implements selector.Labels.
func (p *pseudoLabels) Get(key string) (string, bool) {
	switch key {
	case selector.LabelNamespace:
		return p.namespace, true
	case selector.LabelOrchestrator:
		return "k8s", true
	case selector.LabelServiceAccount:
		return p.serviceAccount, p.hasSA
	}
	return "", false
}

func (c *Cache) newEndpoint(key endpointKey, id ResourceID) *endpoint {
	ep := &endpoint{
		key:      key,
		id:       id,
		idText:   id.String(),
		applied:  make(map[*policy]struct{}),
		services: make(map[*service]struct{}),
	}
	ep.pub.ID = id
	ep.pub.Namespace = key.namespace
	c.endpoints[key] = ep
	return ep
}

// relink rebuilds the layered label view: pseudo-labels win over the
// pod's own labels, which win over the inherited pcns./pcsa. labels.
func (ep *endpoint) relink() {
	if ep.key.kind == kindHost {
		ep.merged = selector.Merged{ep.labels}
		return
	}
	ep.merged = selector.Merged{&ep.pseudo, ep.labels, ep.ns}
	if ep.sa != nil {
		ep.merged = append(ep.merged, ep.sa)
	}
}

// setPod records a pod. A finished pod (Succeeded or Failed) is not an
// endpoint: if it was one, it is deleted.
func (c *Cache) setPod(kind audit.Kind, data []byte) error {
	p, err := decodePod(data)
	if err != nil {
		return err
	}
	key := endpointKey{kindPod, nsName{p.Metadata.Namespace, p.Metadata.Name}}
	ep := c.endpoints[key]
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		c.deleteEndpoint(ep)
		return nil
	}
	fresh := ep == nil
	if fresh {
		ep = &endpoint{} // decoded against empty previous state
	}
	labels, labelsSame, err := reuseMap(p.Metadata.Labels, ep.rawLabels, ep.labels)
	if err != nil {
		return fmt.Errorf("metadata.labels: %w", err)
	}
	annotations, _, err := reuseMap(p.Metadata.Annotations, ep.rawAnnotations, ep.annotations)
	if err != nil {
		return fmt.Errorf("metadata.annotations: %w", err)
	}
	if fresh {
		ep = c.newEndpoint(key, IDOf(kind, key.namespace, key.name))
		ep.ns = c.namespaceFor(key.namespace)
		ep.ns.endpoints[ep] = struct{}{}
		ep.pseudo.namespace = key.namespace
	}
	ep.self = true
	c.touch(ep)
	ep.rawLabels, ep.rawAnnotations, ep.annotations = p.Metadata.Labels, p.Metadata.Annotations, annotations

	relabel := fresh
	if sa := p.Spec.ServiceAccountName; fresh || sa != ep.saName {
		c.setPodServiceAccount(ep, sa)
		relabel = true
	}
	if fresh || !labelsSame && !maps.Equal(ep.labels, labels) {
		ep.setLabels(labels)
		relabel = true
	}
	if relabel {
		ep.relink()
		c.matchEndpoint(ep)
		c.updateInScope(ep)
	}
	if ips := podIPs(p, annotations); fresh || !slices.Equal(ips, ep.ips) {
		c.setIPs(ep, ips)
		c.updateServices(ep)
	}
	ep.envoy = c.envoyEnabled(p, annotations)
	ep.aggName = p.Metadata.Name
	if p.Metadata.GenerateName != "" {
		ep.aggName = p.Metadata.GenerateName + "*"
	}
	ep.refreshFlags()
	return nil
}

// reuseMap decodes a raw string map, or returns the previously decoded map
// (and same) when the bytes are unchanged.
func reuseMap(raw, prevRaw json.RawMessage, prev map[string]string) (m map[string]string, same bool, err error) {
	if bytes.Equal(raw, prevRaw) {
		return prev, true, nil
	}
	m, err = stringMap(raw)
	return m, false, err
}

// setLabels replaces a pod's own labels.
func (ep *endpoint) setLabels(labels map[string]string) {
	ep.labels = labels
	ep.ownPcns = false
	for k := range labels {
		if strings.HasPrefix(k, selector.PrefixNamespace) {
			ep.ownPcns = true
			return
		}
	}
}

// setPodServiceAccount moves a pod to another service account.
func (c *Cache) setPodServiceAccount(ep *endpoint, sa string) {
	if ep.sa != nil {
		delete(ep.sa.endpoints, ep)
		ep.sa = nil
	}
	ep.saName = sa
	ep.pseudo.serviceAccount = sa
	ep.pseudo.hasSA = sa != "" && len(sa) < maxServiceAccountLabel
	if sa != "" {
		ep.sa = c.serviceAccountFor(nsName{ep.key.namespace, sa})
		ep.sa.endpoints[ep] = struct{}{}
	}
}

// podIPs returns the pod's addresses from its status, else from Calico's
// annotations; sorted and distinct. Entries that do not parse are dropped.
func podIPs(p *pod, annotations map[string]string) []netip.Addr {
	var raw []string
	switch {
	case len(p.Status.PodIPs) > 0:
		for _, ip := range p.Status.PodIPs {
			raw = append(raw, ip.IP)
		}
	case p.Status.PodIP != "":
		raw = []string{p.Status.PodIP}
	case annotations[annotationPodIPs] != "":
		raw = strings.Split(annotations[annotationPodIPs], ",")
	case annotations[annotationPodIP] != "":
		raw = []string{annotations[annotationPodIP]}
	}
	return addrSet(raw)
}

// addrSet parses addresses into a sorted, distinct list.
func addrSet(raw []string) []netip.Addr {
	if len(raw) == 0 {
		return nil
	}
	out := make([]netip.Addr, 0, len(raw))
	for _, s := range raw {
		if a, ok := parseAddr(s); ok {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return slices.Compact(out)
}

// envoyEnabled applies the configured Istio sidecar checks.
func (c *Cache) envoyEnabled(p *pod, annotations map[string]string) bool {
	checked := false
	if c.envoyAnnot != "" {
		if _, ok := annotations[c.envoyAnnot]; !ok {
			return false
		}
		checked = true
	}
	if c.envoyInit != nil {
		if !anyImage(p.Spec.InitContainers, c.envoyInit) {
			return false
		}
		checked = true
	}
	if c.envoyImage != nil {
		if !anyImage(p.Spec.Containers, c.envoyImage) {
			return false
		}
		checked = true
	}
	return checked
}

// imageMatcher is a regex with its results memoised per image: pods of
// the same workload repeat the same images, and pod updates are frequent.
type imageMatcher struct {
	re   *regexp.Regexp
	seen map[string]bool
}

// maxImageMemo bounds the memo; past it, it starts over.
const maxImageMemo = 4096

func newImageMatcher(re *regexp.Regexp) *imageMatcher {
	if re == nil {
		return nil
	}
	return &imageMatcher{re: re, seen: make(map[string]bool)}
}

func (m *imageMatcher) match(image string) bool {
	v, ok := m.seen[image]
	if !ok {
		if len(m.seen) >= maxImageMemo {
			clear(m.seen)
		}
		v = m.re.MatchString(image)
		m.seen[image] = v
	}
	return v
}

func anyImage(images []image, m *imageMatcher) bool {
	return slices.ContainsFunc(images, func(i image) bool { return m.match(i.Image) })
}

// setHostEndpoint records a HostEndpoint: only its own labels are matched.
func (c *Cache) setHostEndpoint(kind audit.Kind, data []byte) error {
	var h hostEndpoint
	if err := decode(data, &h, &h.Metadata, false); err != nil {
		return err
	}
	key := endpointKey{kindHost, nsName{"", h.Metadata.Name}}
	ep := c.endpoints[key]
	fresh := ep == nil
	if fresh {
		ep = c.newEndpoint(key, IDOf(kind, "", key.name))
		c.hosts[ep] = struct{}{}
	}
	ep.self = true
	c.touch(ep)
	if fresh || !maps.Equal(ep.labels, h.Metadata.Labels) {
		ep.labels = h.Metadata.Labels
		ep.relink()
		c.matchEndpoint(ep)
		c.updateInScope(ep)
	}
	if ips := addrSet(h.Spec.ExpectedIPs); fresh || !slices.Equal(ips, ep.ips) {
		c.setIPs(ep, ips)
		c.updateServices(ep)
	}
	ep.aggName = h.Spec.Node
	ep.refreshFlags()
	return nil
}

// deleteEndpoint removes an endpoint and queues its final notification.
func (c *Cache) deleteEndpoint(ep *endpoint) {
	if ep == nil {
		return
	}
	for p := range ep.applied {
		delete(p.matched, ep)
	}
	if ep.ns != nil {
		delete(ep.ns.endpoints, ep)
	}
	if ep.sa != nil {
		delete(ep.sa.endpoints, ep)
	}
	c.setIPs(ep, nil)
	delete(c.endpoints, ep.key)
	delete(c.hosts, ep)
	ep.deleted = true
	ep.self = true
	c.touch(ep)
}

// setIPs replaces the endpoint's addresses in the address index.
func (c *Cache) setIPs(ep *endpoint, ips []netip.Addr) {
	for _, ip := range ep.ips {
		if set := c.byIP[ip]; set != nil {
			delete(set, ep)
			if len(set) == 0 {
				delete(c.byIP, ip)
			}
		}
	}
	ep.ips = ips
	for _, ip := range ips {
		set := c.byIP[ip]
		if set == nil {
			set = make(map[*endpoint]struct{})
			c.byIP[ip] = set
		}
		set[ep] = struct{}{}
	}
}

// matchEndpoint re-evaluates which policies apply to ep: the global
// policies, and the policies of the endpoint's namespace (for a host
// endpoint, of the namespace its own projectcalico.org/namespace label
// names, if any). Of the global policies with a namespace filter, a pod is
// matched only against those whose filter matches its namespace. Policies
// applied so far that were not candidates are re-checked so they can go.
func (c *Cache) matchEndpoint(ep *endpoint) {
	home := ep.ns
	filtered := ep.ns != nil && !ep.ownPcns
	if ep.key.kind == kindHost {
		if v, ok := ep.labels[selector.LabelNamespace]; ok {
			home = c.namespaces[v]
		}
	}
	if filtered {
		for p := range c.plainGlobals {
			c.matchPair(p, ep)
		}
		for p := range ep.ns.filtered {
			c.matchPair(p, ep)
		}
	} else {
		for p := range c.globalPolicies {
			c.matchPair(p, ep)
		}
	}
	if home != nil {
		for p := range home.policies {
			c.matchPair(p, ep)
		}
	}
	for p := range ep.applied {
		stale := p.ns != nil && p.ns != home
		if p.ns == nil && filtered && p.def.nsFilter != nil {
			_, ok := ep.ns.filtered[p]
			stale = !ok
		}
		if stale {
			c.matchPair(p, ep)
		}
	}
	if ep.refreshFlags() {
		c.touch(ep)
	}
}

// matchPair updates whether policy p applies to ep and reports a change.
// The caller refreshes ep's flags.
func (c *Cache) matchPair(p *policy, ep *endpoint) bool {
	c.evals++
	m := p.active && p.def.sel.Matches(ep.merged)
	if _, has := ep.applied[p]; m == has {
		return false
	}
	if m {
		ep.applied[p] = struct{}{}
		p.matched[ep] = struct{}{}
	} else {
		delete(ep.applied, p)
		delete(p.matched, ep)
	}
	ep.appliedDirty = true
	c.touch(ep)
	return true
}

// refreshFlags recomputes the endpoint's flags and reports a change.
func (ep *endpoint) refreshFlags() bool {
	var f Flags
	if ep.envoy {
		f = EnvoyEnabled
	}
	for p := range ep.applied {
		f |= p.flags
	}
	if f == ep.flags {
		return false
	}
	ep.flags = f
	return true
}

// updateInScope re-evaluates the in-scope selector for ep.
func (c *Cache) updateInScope(ep *endpoint) {
	if v := c.inScope.Matches(ep.merged); v != ep.inScope {
		ep.inScope = v
		c.touch(ep)
	}
}

// publish copies the endpoint's state into its published view and reports
// whether anything visible changed.
func (ep *endpoint) publish() bool {
	pub := &ep.pub
	changed := pub.Deleted != ep.deleted || pub.InScope != ep.inScope || pub.Flags != ep.flags ||
		pub.ServiceAccount != ep.saName || pub.FlowAggregationName != ep.aggName
	pub.Deleted, pub.InScope, pub.Flags = ep.deleted, ep.inScope, ep.flags
	pub.ServiceAccount, pub.FlowAggregationName = ep.saName, ep.aggName
	if ep.appliedDirty {
		ep.appliedDirty = false
		ids := make([]*policy, 0, len(ep.applied))
		for p := range ep.applied {
			ids = append(ids, p)
		}
		slices.SortFunc(ids, func(a, b *policy) int { return strings.Compare(a.idText, b.idText) })
		out := make([]ResourceID, len(ids))
		for i, p := range ids {
			out[i] = p.def.id
		}
		if !slices.Equal(out, pub.AppliedPolicies) {
			pub.AppliedPolicies = nilIfEmpty(out)
			changed = true
		}
	}
	if ep.servicesDirty {
		ep.servicesDirty = false
		ss := make([]*service, 0, len(ep.services))
		for s := range ep.services {
			ss = append(ss, s)
		}
		slices.SortFunc(ss, func(a, b *service) int { return strings.Compare(a.idText, b.idText) })
		out := make([]ResourceID, len(ss))
		for i, s := range ss {
			out[i] = s.id
		}
		if !slices.Equal(out, pub.Services) {
			pub.Services = nilIfEmpty(out)
			changed = true
		}
	}
	return changed
}

func nilIfEmpty(ids []ResourceID) []ResourceID {
	if len(ids) == 0 {
		return nil
	}
	return ids
}
