package policy

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// service is the Service behind a core/v1 Endpoints object: the pods its
// ready addresses name by targetRef, and the addresses themselves.
type service struct {
	id     ResourceID
	idText string
	ips    []netip.Addr
	pods   []nsName
}

// setService records an Endpoints object. Ready addresses count, by a Pod
// targetRef or by IP (which also matches host endpoints' expectedIPs);
// notReadyAddresses are ignored.
func (c *Cache) setService(data []byte) error {
	var e endpoints
	if err := decode(data, &e, &e.Metadata, true); err != nil {
		return err
	}
	key := nsName{e.Metadata.Namespace, e.Metadata.Name}
	var rawIPs []string
	var pods []nsName
	for _, ss := range e.Subsets {
		for _, a := range ss.Addresses {
			rawIPs = append(rawIPs, a.IP)
			if r := a.TargetRef; r != nil && r.Kind == "Pod" && r.Name != "" {
				ns := r.Namespace
				if ns == "" {
					ns = key.namespace
				}
				pods = append(pods, nsName{ns, r.Name})
			}
		}
	}
	slices.SortFunc(pods, compareNsName)
	pods = slices.Compact(pods)
	s := c.services[key]
	if s == nil {
		id := ServiceID(key.namespace, key.name)
		s = &service{id: id, idText: id.String()}
		c.services[key] = s
	}
	c.linkService(s, addrSet(rawIPs), pods)
	return nil
}

func (c *Cache) deleteService(key nsName) {
	s := c.services[key]
	if s == nil {
		return
	}
	c.linkService(s, nil, nil)
	delete(c.services, key)
}

// linkService replaces a service's addresses and pods in the indexes and
// re-evaluates the services of every endpoint that was or is listed.
func (c *Cache) linkService(s *service, ips []netip.Addr, pods []nsName) {
	affected := make(map[*endpoint]struct{})
	collect := func() {
		for _, ip := range s.ips {
			for ep := range c.byIP[ip] {
				affected[ep] = struct{}{}
			}
		}
		for _, k := range s.pods {
			if ep := c.endpoints[endpointKey{kindPod, k}]; ep != nil {
				affected[ep] = struct{}{}
			}
		}
	}
	collect()
	for _, ip := range s.ips {
		removeFrom(c.svcByIP, ip, s)
	}
	for _, k := range s.pods {
		removeFrom(c.svcByPodRef, k, s)
	}
	s.ips, s.pods = ips, pods
	for _, ip := range ips {
		addTo(c.svcByIP, ip, s)
	}
	for _, k := range pods {
		addTo(c.svcByPodRef, k, s)
	}
	collect()
	for ep := range affected {
		c.updateServices(ep)
	}
}

// updateServices recomputes the services listing ep.
func (c *Cache) updateServices(ep *endpoint) {
	set := make(map[*service]struct{})
	if ep.key.kind == kindPod {
		for s := range c.svcByPodRef[ep.key.nsName] {
			set[s] = struct{}{}
		}
	}
	for _, ip := range ep.ips {
		for s := range c.svcByIP[ip] {
			set[s] = struct{}{}
		}
	}
	if maps.Equal(set, ep.services) {
		return
	}
	ep.services = set
	ep.servicesDirty = true
	c.touch(ep)
}

func addTo[K comparable](m map[K]map[*service]struct{}, k K, s *service) {
	set := m[k]
	if set == nil {
		set = make(map[*service]struct{})
		m[k] = set
	}
	set[s] = struct{}{}
}

func removeFrom[K comparable](m map[K]map[*service]struct{}, k K, s *service) {
	if set := m[k]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

func compareNsName(a, b nsName) int {
	switch {
	case a.namespace != b.namespace:
		return strings.Compare(a.namespace, b.namespace)
	default:
		return strings.Compare(a.name, b.name)
	}
}
