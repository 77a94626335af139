package policy

import (
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
// re-evaluates the services of every endpoint listed by an address or pod
// that was added or removed.
func (c *Cache) linkService(s *service, ips []netip.Addr, pods []nsName) {
	affected := c.affected
	diffSorted(s.ips, ips, netip.Addr.Compare, func(ip netip.Addr, added bool) {
		for ep := range c.byIP[ip] {
			affected[ep] = struct{}{}
		}
		if added {
			addTo(c.svcByIP, ip, s)
		} else {
			removeFrom(c.svcByIP, ip, s)
		}
	})
	diffSorted(s.pods, pods, compareNsName, func(k nsName, added bool) {
		if ep := c.endpoints[endpointKey{kindPod, k}]; ep != nil {
			affected[ep] = struct{}{}
		}
		if added {
			addTo(c.svcByPodRef, k, s)
		} else {
			removeFrom(c.svcByPodRef, k, s)
		}
	})
	s.ips, s.pods = ips, pods
	for ep := range affected {
		c.updateServices(ep)
	}
	clear(affected)
}

// diffSorted calls fn for each element of two sorted, distinct lists that
// is in only one of them, with added set for those only in now.
func diffSorted[T any](old, now []T, cmp func(a, b T) int, fn func(x T, added bool)) {
	i, j := 0, 0
	for i < len(old) || j < len(now) {
		switch {
		case j == len(now):
			fn(old[i], false)
			i++
		case i == len(old):
			fn(now[j], true)
			j++
		default:
			switch n := cmp(old[i], now[j]); {
			case n < 0:
				fn(old[i], false)
				i++
			case n > 0:
				fn(now[j], true)
				j++
			default:
				i++
				j++
			}
		}
	}
}

// updateServices recomputes the services listing ep.
func (c *Cache) updateServices(ep *endpoint) {
	list := c.svcScratch[:0]
	if ep.key.kind == kindPod {
		for s := range c.svcByPodRef[ep.key.nsName] {
			list = append(list, s)
		}
	}
	for _, ip := range ep.ips {
		for s := range c.svcByIP[ip] {
			list = append(list, s)
		}
	}
	slices.SortFunc(list, compareServices)
	list = slices.Compact(list)
	c.svcScratch = list[:0]
	if slices.Equal(list, ep.services) {
		return
	}
	ep.services = slices.Clone(list)
	ep.servicesDirty = true
	c.touch(ep)
}

// compareServices orders services by ID (unique among the live ones).
func compareServices(a, b *service) int { return strings.Compare(a.idText, b.idText) }

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
