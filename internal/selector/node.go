package selector

import (
	"slices"
	"strings"
)

// op is the kind of a node in a compiled selector.
type op uint8

// The zero op is opAll, so a zero node (and a zero Selector) matches
// everything.
const (
	opAll op = iota
	opGlobal
	opHas
	opEq
	opNe
	opIn
	opNotIn
	opContains
	opStartsWith
	opEndsWith
	opNot
	opAnd
	opOr
)

// node is one element of a compiled selector. Which fields are used depends
// on op: key for the label tests, value for the comparisons, set (sorted and
// without duplicates) for in and not in, kids for !, && and ||.
type node struct {
	op    op
	key   string
	value string
	set   []string
	kids  []node
}

// eval reports whether the labels satisfy the node. It does not allocate.
func (n *node) eval(l Labels) bool {
	switch n.op {
	case opAll, opGlobal:
		return true
	case opHas:
		_, ok := l.Get(n.key)
		return ok
	case opEq:
		v, ok := l.Get(n.key)
		return ok && v == n.value
	case opNe:
		v, ok := l.Get(n.key)
		return !ok || v != n.value
	case opIn:
		v, ok := l.Get(n.key)
		return ok && inSet(n.set, v)
	case opNotIn:
		v, ok := l.Get(n.key)
		return !ok || !inSet(n.set, v)
	case opContains:
		v, ok := l.Get(n.key)
		return ok && strings.Contains(v, n.value)
	case opStartsWith:
		v, ok := l.Get(n.key)
		return ok && strings.HasPrefix(v, n.value)
	case opEndsWith:
		v, ok := l.Get(n.key)
		return ok && strings.HasSuffix(v, n.value)
	case opNot:
		return !n.kids[0].eval(l)
	case opAnd:
		for i := range n.kids {
			if !n.kids[i].eval(l) {
				return false
			}
		}
		return true
	case opOr:
		for i := range n.kids {
			if n.kids[i].eval(l) {
				return true
			}
		}
		return false
	}
	return false
}

// inSet reports whether v is a member of the sorted set.
func inSet(set []string, v string) bool {
	if len(set) <= 8 {
		for _, s := range set {
			if s == v {
				return true
			}
		}
		return false
	}
	_, found := slices.BinarySearch(set, v)
	return found
}

// normalSet sorts values and removes duplicates, in place.
func normalSet(values []string) []string {
	slices.Sort(values)
	return slices.Compact(values)
}

// negate returns !n, cancelling a double negation.
func negate(n node) node {
	if n.op == opNot {
		return n.kids[0]
	}
	return node{op: opNot, kids: []node{n}}
}

// join returns the n-ary && or || of parts, splicing in parts that are
// themselves the same operator so the tree stays flat. A single part is
// returned as is.
func join(o op, parts []node) node {
	if len(parts) == 1 {
		return parts[0]
	}
	kids := make([]node, 0, len(parts))
	for _, p := range parts {
		if p.op == o {
			kids = append(kids, p.kids...)
		} else {
			kids = append(kids, p)
		}
	}
	return node{op: o, kids: kids}
}

// prefixed returns a copy of n with prefix prepended to every label key.
// Sets are shared with n; they are never modified after construction.
func (n *node) prefixed(prefix string) node {
	c := *n
	if c.key != "" {
		c.key = prefix + c.key
	}
	if len(n.kids) > 0 {
		c.kids = make([]node, len(n.kids))
		for i := range n.kids {
			c.kids[i] = n.kids[i].prefixed(prefix)
		}
	}
	return c
}

// collectKeys adds every label key n reads to keys.
func (n *node) collectKeys(keys map[string]struct{}) {
	if n.key != "" {
		keys[n.key] = struct{}{}
	}
	for i := range n.kids {
		n.kids[i].collectKeys(keys)
	}
}
