package synth

import (
	"slices"
	"strconv"
)

// node is a small ordered JSON tree. Policy specs, patches and other
// objects whose shape varies are kept as nodes; they render in insertion
// order, or with object keys sorted as a CustomResource and kubectl's
// last-applied-configuration are written.
type node struct {
	kind   nodeKind
	s      string  // string value, or the literal of a number/bool/null
	fields []field // object
	items  []*node // array
}

type nodeKind uint8

const (
	kindObject nodeKind = iota
	kindArray
	kindString
	kindLiteral
)

type field struct {
	key string
	val *node
}

func obj(fields ...field) *node  { return &node{kind: kindObject, fields: fields} }
func arr(items ...*node) *node   { return &node{kind: kindArray, items: items} }
func str(s string) *node         { return &node{kind: kindString, s: s} }
func num(n int) *node            { return &node{kind: kindLiteral, s: strconv.Itoa(n)} }
func boolean(v bool) *node       { return &node{kind: kindLiteral, s: strconv.FormatBool(v)} }
func null() *node                { return &node{kind: kindLiteral, s: "null"} }
func kv(k string, v *node) field { return field{key: k, val: v} }

// strs is an array of strings.
func strs(ss ...string) *node {
	n := &node{kind: kindArray, items: make([]*node, len(ss))}
	for i, s := range ss {
		n.items[i] = str(s)
	}
	return n
}

// get returns the value of key in an object, or nil.
func (n *node) get(key string) *node {
	if n == nil {
		return nil
	}
	for _, f := range n.fields {
		if f.key == key {
			return f.val
		}
	}
	return nil
}

// set replaces the value of key, or appends the field.
func (n *node) set(key string, v *node) {
	for i := range n.fields {
		if n.fields[i].key == key {
			n.fields[i].val = v
			return
		}
	}
	n.fields = append(n.fields, field{key, v})
}

// del removes key from an object.
func (n *node) del(key string) {
	n.fields = slices.DeleteFunc(n.fields, func(f field) bool { return f.key == key })
}

// clone returns a deep copy.
func (n *node) clone() *node {
	if n == nil {
		return nil
	}
	c := &node{kind: n.kind, s: n.s}
	if n.fields != nil {
		c.fields = make([]field, len(n.fields))
		for i, f := range n.fields {
			c.fields[i] = field{f.key, f.val.clone()}
		}
	}
	if n.items != nil {
		c.items = make([]*node, len(n.items))
		for i, it := range n.items {
			c.items[i] = it.clone()
		}
	}
	return c
}

// orderKeys reorders an object's fields to follow order; fields not named
// keep their relative order after the named ones.
func (n *node) orderKeys(order ...string) {
	rank := func(k string) int {
		if i := slices.Index(order, k); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(n.fields, func(a, b field) int { return rank(a.key) - rank(b.key) })
}

// appendJSON appends the compact JSON of n; with sorted, object keys are
// written in byte order.
func (n *node) appendJSON(b []byte, sorted bool) []byte {
	switch n.kind {
	case kindString:
		return appendStr(b, n.s)
	case kindLiteral:
		return append(b, n.s...)
	case kindArray:
		b = append(b, '[')
		for i, it := range n.items {
			if i > 0 {
				b = append(b, ',')
			}
			b = it.appendJSON(b, sorted)
		}
		return append(b, ']')
	}
	b = append(b, '{')
	if sorted && !slices.IsSortedFunc(n.fields, cmpField) {
		fs := slices.Clone(n.fields)
		slices.SortFunc(fs, cmpField)
		for i, f := range fs {
			b = f.appendJSON(b, i, sorted)
		}
	} else {
		for i, f := range n.fields {
			b = f.appendJSON(b, i, sorted)
		}
	}
	return append(b, '}')
}

func (f field) appendJSON(b []byte, i int, sorted bool) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	b = appendStr(b, f.key)
	b = append(b, ':')
	return f.val.appendJSON(b, sorted)
}

func cmpField(a, b field) int {
	switch {
	case a.key < b.key:
		return -1
	case a.key > b.key:
		return 1
	}
	return 0
}

// json returns the compact JSON of n.
func (n *node) json(sorted bool) string { return string(n.appendJSON(nil, sorted)) }
