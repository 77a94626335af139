package query

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evident-dev/evident/internal/store"
)

// Eval reports whether the condition holds for the event whose field values
// are given by get. get returns the field's values (several for user.groups
// and sourceIPs; none when the field is absent). A nil condition holds for
// every event. See the package documentation for the comparison rules.
func Eval(c store.Cond, get func(store.Field) []string) bool {
	switch c := c.(type) {
	case nil:
		return true
	case store.And:
		for _, m := range c {
			if !Eval(m, get) {
				return false
			}
		}
		return true
	case store.Or:
		for _, m := range c {
			if Eval(m, get) {
				return true
			}
		}
		return false
	case store.Not:
		return !Eval(c.C, get)
	case store.Cmp:
		return evalCmp(c, get(c.Field))
	case store.In:
		return evalIn(c, get(c.Field)) != c.Negate
	}
	return false
}

// evalIn reports whether any value matches any pattern.
func evalIn(c store.In, vals []string) bool {
	for _, v := range vals {
		v = Normalize(c.Field, v)
		for _, p := range c.Patterns {
			if match(p, v) {
				return true
			}
		}
	}
	return false
}

// evalCmp applies a comparison; = and the ordered operators hold when some
// value satisfies them, != when = does not.
func evalCmp(c store.Cmp, vals []string) bool {
	if c.Op == store.OpNe {
		eq := c
		eq.Op = store.OpEq
		return !evalCmp(eq, vals)
	}
	for _, v := range vals {
		if cmpOne(c, v) {
			return true
		}
	}
	return false
}

// cmpOne compares one event value with the condition's value.
func cmpOne(c store.Cmp, v string) bool {
	switch want := c.Value.(type) {
	case string:
		return ordered(c.Op, strings.Compare(Normalize(c.Field, v), want))
	case int64:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return false
		}
		return ordered(c.Op, compareInt(n, want))
	case time.Time:
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
		if err != nil {
			return false
		}
		return ordered(c.Op, t.Compare(want))
	case netip.Prefix:
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil {
			return false
		}
		return c.Op == store.OpEq && want.Contains(a.Unmap().WithZone(""))
	}
	return false
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ordered reports whether the comparison result r (negative, zero or
// positive) satisfies op; OpNe is handled by the caller.
func ordered(op store.Op, r int) bool {
	switch op {
	case store.OpEq:
		return r == 0
	case store.OpLt:
		return r < 0
	case store.OpLe:
		return r <= 0
	case store.OpGt:
		return r > 0
	case store.OpGe:
		return r >= 0
	}
	return false
}

// match reports whether s matches the glob pattern p: * matches any run of
// characters (also none), ? exactly one character, and every other byte
// itself. It runs in O(len(p)·len(s)) time without allocating.
func match(p, s string) bool {
	px, sx := 0, 0
	// Where to resume after a mismatch: the last * seen and the position
	// in s it should next try to absorb; restartS < 0 means no * yet.
	restartP, restartS := 0, -1
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				restartP, restartS = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					_, n := utf8.DecodeRuneInString(s[sx:])
					px++
					sx += n
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if restartS >= 0 && restartS < len(s) {
			// Let the last * absorb one more character and retry.
			_, n := utf8.DecodeRuneInString(s[restartS:])
			restartS += n
			px, sx = restartP+1, restartS
			continue
		}
		return false
	}
	return true
}
