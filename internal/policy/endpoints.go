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

// endpoint is the cache's record of one pod or host endpoint. What its
// selectors see is its view, shared with the endpoints that look the same.
type endpoint struct {
	key    endpointKey
	id     ResourceID
	idText string

	rawLabels, rawAnnotations json.RawMessage // pods: as last decoded
	annotations               map[string]string
	view                      *view        // kept after deletion, for the final notification
	ips                       []netip.Addr // sorted, distinct

	envoy    bool
	saName   string
	aggName  string
	services []*service // sorted by ID
	deleted  bool

	servicesDirty bool // the services changed since the last publish
	queued, self  bool // queued for flush; set or deleted itself

	pub Endpoint // the published view
}

func (c *Cache) newEndpoint(key endpointKey, id ResourceID) *endpoint {
	ep := &endpoint{key: key, id: id, idText: id.String()}
	ep.pub.ID = id
	ep.pub.Namespace = key.namespace
	c.endpoints[key] = ep
	return ep
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
	var prevLabels map[string]string
	if fresh {
		ep = &endpoint{} // decoded against empty previous state
	} else {
		prevLabels = ep.view.labels
	}
	labels, labelsSame, err := reuseMap(p.Metadata.Labels, ep.rawLabels, prevLabels)
	if err != nil {
		return fmt.Errorf("metadata.labels: %w", err)
	}
	annotations, _, err := reuseMap(p.Metadata.Annotations, ep.rawAnnotations, ep.annotations)
	if err != nil {
		return fmt.Errorf("metadata.annotations: %w", err)
	}
	if fresh {
		ep = c.newEndpoint(key, IDOf(kind, key.namespace, key.name))
	}
	ep.self = true
	c.touch(ep)
	ep.rawLabels, ep.rawAnnotations, ep.annotations = p.Metadata.Labels, p.Metadata.Annotations, annotations

	sa := p.Spec.ServiceAccountName
	if fresh || sa != ep.saName || !labelsSame && !maps.Equal(prevLabels, labels) {
		ep.saName = sa
		c.moveTo(ep, c.podView(key.namespace, sa, labels))
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
	}
	ep.self = true
	c.touch(ep)
	if fresh || !maps.Equal(ep.view.labels, h.Metadata.Labels) {
		c.moveTo(ep, c.hostView(h.Metadata.Labels))
	}
	if ips := addrSet(h.Spec.ExpectedIPs); fresh || !slices.Equal(ips, ep.ips) {
		c.setIPs(ep, ips)
		c.updateServices(ep)
	}
	ep.aggName = h.Spec.Node
	return nil
}

// deleteEndpoint removes an endpoint and queues its final notification.
func (c *Cache) deleteEndpoint(ep *endpoint) {
	if ep == nil {
		return
	}
	c.leave(ep)
	c.setIPs(ep, nil)
	delete(c.endpoints, ep.key)
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
