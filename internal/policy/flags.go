package policy

import (
	"fmt"
	"strings"
)

// Flags are the per-policy and per-endpoint bits a compliance report is
// built from. A policy never carries EnvoyEnabled.
type Flags uint16

// The flags. Protection means a policy of that direction applies; exposure
// means an Allow rule opens the endpoint to the internet or to other
// namespaces (see the package documentation).
const (
	IngressProtected Flags = 1 << iota
	EgressProtected
	IngressFromInternet
	EgressToInternet
	IngressFromOtherNamespace
	EgressToOtherNamespace
	EnvoyEnabled

	flagCount = iota
)

// flagNames lists the flag names in bit order.
func flagNames() [flagCount]string {
	return [flagCount]string{
		"IngressProtected",
		"EgressProtected",
		"IngressFromInternet",
		"EgressToInternet",
		"IngressFromOtherNamespace",
		"EgressToOtherNamespace",
		"EnvoyEnabled",
	}
}

// Has reports whether every flag in g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Names returns the names of the set flags in bit order.
func (f Flags) Names() []string {
	var out []string
	for i, n := range flagNames() {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if rest := f &^ (1<<flagCount - 1); rest != 0 {
		out = append(out, fmt.Sprintf("0x%x", uint16(rest)))
	}
	return out
}

// String joins the flag names with "|"; no flags print as "0".
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	return strings.Join(f.Names(), "|")
}

// ParseFlag returns the flag with the given name.
func ParseFlag(name string) (Flags, error) {
	for i, n := range flagNames() {
		if n == name {
			return 1 << i, nil
		}
	}
	return 0, fmt.Errorf("unknown flag %q", name)
}
