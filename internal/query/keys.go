package query

import (
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

// valueKind says how a key's values are checked, converted and compared.
type valueKind int

const (
	kindText   valueKind = iota // any text, compared exactly
	kindEnum                    // one of a fixed list of words
	kindDomain                  // domain-normalised text
	kindURL                     // URL-normalised text
	kindCode                    // HTTP status code, int64
	kindDate                    // timestamp, time.Time
	kindIP                      // address or CIDR, netip.Prefix
)

// keyNames lists the audit keys in the order error messages show them.
const keyNames = "apiVersion, auditID, kind, level, name, objectRef.apiGroup, objectRef.apiVersion, " +
	"objectRef.name, objectRef.resource, objectRef.namespace, requestReceivedTimestamp, requestURI, " +
	"responseObject.apiVersion, responseObject.kind, responseStatus.code, sourceIPs, stage, " +
	"stageTimestamp, timestamp, user.groups, user.username, verb"

// kindOf reports how values of f are treated and whether f is an audit key.
func kindOf(f store.Field) (valueKind, bool) {
	switch f {
	case store.FieldAuditID, store.FieldKind, store.FieldObjectAPIGroup, store.FieldObjectResource,
		store.FieldResponseAPIVersion, store.FieldResponseKind, store.FieldUserGroups, store.FieldUsername:
		return kindText, true
	case store.FieldLevel, store.FieldStage, store.FieldVerb:
		return kindEnum, true
	case store.FieldName, store.FieldObjectName, store.FieldObjectNamespace:
		return kindDomain, true
	case store.FieldAPIVersion, store.FieldObjectAPIVersion, store.FieldRequestURI:
		return kindURL, true
	case store.FieldResponseCode:
		return kindCode, true
	case store.FieldRequestReceivedTimestamp, store.FieldStageTimestamp, store.FieldTimestamp:
		return kindDate, true
	case store.FieldSourceIPs:
		return kindIP, true
	}
	return kindText, false
}

// enumValues lists the allowed values of an enumerated key.
func enumValues(f store.Field) []string {
	switch f {
	case store.FieldLevel:
		return []string{"None", "Metadata", "Request", "RequestResponse"}
	case store.FieldStage:
		return []string{"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"}
	case store.FieldVerb:
		return []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	}
	return nil
}

// Normalize returns v as the query language compares it for field f:
// domain-normalised keys (name, objectRef.name, objectRef.namespace) are
// lower-cased with runs of dots collapsed and outer dots trimmed;
// URL-normalised keys (apiVersion, objectRef.apiVersion, requestURI) have
// surrounding white space trimmed and their path cleaned. Other values are
// returned unchanged. Parse applies it to query values and Eval to event
// values; a backend that stores these fields normalised can compare them
// directly with the values of a parsed condition.
func Normalize(f store.Field, v string) string {
	switch k, _ := kindOf(f); k {
	case kindDomain:
		return normalizeDomain(v)
	case kindURL:
		return normalizeURL(v)
	}
	return v
}

// normalizeDomain lower-cases s, collapses runs of dots and trims dots at
// either end.
func normalizeDomain(s string) string {
	s = strings.ToLower(s)
	if !strings.Contains(s, "..") && !strings.HasPrefix(s, ".") && !strings.HasSuffix(s, ".") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	dot := false
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			dot = true
			continue
		}
		if dot && b.Len() > 0 {
			b.WriteByte('.')
		}
		dot = false
		b.WriteByte(s[i])
	}
	return b.String()
}

// normalizeURL trims white space and cleans the path part (everything
// before the first ?) lexically: repeated slashes collapse, . and ..
// elements are resolved and a trailing slash is dropped. The query part is
// kept as it is. An empty path stays empty.
func normalizeURL(s string) string {
	s = strings.TrimSpace(s)
	p, q, hasQuery := strings.Cut(s, "?")
	if p != "" {
		p = path.Clean(p)
	}
	if hasQuery {
		return p + "?" + q
	}
	return p
}

// parseCode reads a status code in 100..599.
func parseCode(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 100 || n > 599 {
		return 0, false
	}
	return n, true
}

// parseDate reads a timestamp in one of the accepted layouts; times
// without a zone are UTC. The result is in UTC.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, time.DateTime, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parsePrefix reads an address (as a single-address prefix) or a CIDR. An
// IPv4-mapped IPv6 address, or a prefix inside ::ffff:0:0/96, becomes its
// IPv4 form; the prefix is masked.
func parsePrefix(s string) (netip.Prefix, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.Prefix{}, false
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}
