package policy

import (
	"net/netip"
	"strings"
)

// DefaultPrivateNets are the RFC 1918 ranges: a net whose network address
// lies outside them is public.
func DefaultPrivateNets() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
	}
}

// parseNets parses CIDRs (or bare addresses, taken as a single-address
// net) and drops the entries that do not parse, as Calico does when it
// converts a rule.
func parseNets(in []string) []netip.Prefix {
	if len(in) == 0 {
		return nil
	}
	out := make([]netip.Prefix, 0, len(in))
	for _, s := range in {
		if p, ok := parseNet(s); ok {
			out = append(out, p)
		}
	}
	return out
}

// parseNet parses one CIDR or address and masks it to its network.
func parseNet(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

// parseAddr parses an IP address, accepting a CIDR for its address part
// (pod and host-endpoint IPs are sometimes written that way).
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil
}

// anyPublic reports whether some net's network address lies outside all
// the private ranges. Only the base address is checked, so every IPv6 net
// is public while the private ranges are IPv4.
func anyPublic(nets []netip.Prefix, private []netip.Prefix) bool {
	for _, n := range nets {
		if isPublic(n.Addr(), private) {
			return true
		}
	}
	return false
}

func isPublic(a netip.Addr, private []netip.Prefix) bool {
	for _, p := range private {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
