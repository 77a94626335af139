// Package objdiff shows what changed between two versions of a Kubernetes
// object, the way a reviewer reads it: the object's labels, annotations
// and spec (and other top-level content such as an Endpoints' subsets) as
// YAML, line-diffed. Server-maintained noise is left out: managedFields,
// resourceVersion, uid, timestamps, generation, status, and kubectl's
// last-applied-configuration annotation (which repeats the spec).
package objdiff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/pmezard/go-difflib/difflib"
)

// Op says what a diff line is.
type Op byte

// The kinds of diff lines.
const (
	Same    Op = ' '
	Added   Op = '+'
	Removed Op = '-'
	Gap     Op = '~' // lines left out between hunks
)

// Line is one line of a diff.
type Line struct {
	Op   Op     `json:"op"`
	Text string `json:"text"`
}

// MarshalJSON writes the op as a one-character string.
func (o Op) MarshalJSON() ([]byte, error) { return json.Marshal(string(o)) }

// Normalize returns the reviewable part of an object as YAML: metadata's
// name, namespace, labels, annotations (without kubectl's last-applied
// copy), owners and finalizers, and every top-level field but status,
// kind and apiVersion. Keys are sorted, so equal objects give equal text
// whichever serializer wrote them. An empty object gives "".
func Normalize(obj []byte) (string, error) {
	return new(reader).normalize(obj)
}

// normalize is Normalize with this reader's memory, which a changelog
// reuses from one version to the next.
func (r *reader) normalize(obj []byte) (string, error) {
	if len(obj) == 0 {
		return "", nil
	}
	r.reset()
	if r.d == nil {
		r.d = jsontext.NewDecoder(bytes.NewBuffer(obj), decodeOpts...)
	} else {
		r.d.Reset(bytes.NewBuffer(obj), decodeOpts...)
	}
	out, err := r.readObject()
	if err == nil {
		if _, err = r.d.ReadToken(); err == io.EOF {
			err = nil
		} else if err == nil {
			err = errors.New("data after the object")
		}
	}
	if err != nil {
		return "", fmt.Errorf("read object: %w", err)
	}
	return toYAML(out), nil
}

var decodeOpts = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// reader parses one object at a time. Its nodes and member lists come from
// chunks that are reused for the next object (an object has hundreds of
// nodes; allocating them one by one was a third of a changelog's time),
// and repeated strings (keys, and values that recur from version to
// version) are shared.
type reader struct {
	d      *jsontext.Decoder
	nodes  chunks[node]
	keyMem chunks[string]
	valMem chunks[*node]
	keys   []string // members of the objects being read
	vals   []*node
	strs   map[string]string
	buf    []byte
}

// Interning stops at this many strings, and skips long ones.
const (
	maxInterned   = 1 << 14
	maxInternSize = 128
)

func (r *reader) reset() {
	r.nodes.reset()
	r.keyMem.reset()
	r.valMem.reset()
	r.keys, r.vals = r.keys[:0], r.vals[:0]
}

func (r *reader) node(kind byte, text string) *node {
	n := &r.nodes.take(1)[0]
	*n = node{kind: kind, text: text}
	return n
}

// str decodes a JSON string literal.
func (r *reader) str(raw []byte) string {
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return r.intern(body)
	}
	// Escapes, or invalid UTF-8 (which the decoder lets through and
	// unquoting replaces with U+FFFD).
	r.buf, _ = jsontext.AppendUnquote(r.buf[:0], raw)
	return r.intern(r.buf)
}

func (r *reader) intern(b []byte) string {
	if s, ok := r.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) <= maxInternSize && len(r.strs) < maxInterned {
		if r.strs == nil {
			r.strs = make(map[string]string, 256)
		}
		r.strs[s] = s
	}
	return s
}

// readString reads an object name or a string value.
func (r *reader) readString() (string, error) {
	v, err := r.d.ReadValue()
	if err != nil {
		return "", err
	}
	if len(v) < 2 || v[0] != '"' {
		return "", fmt.Errorf("want a string, found %s", v)
	}
	return r.str(v), nil
}

// chunks hands out slices of T from blocks that reset reuses.
type chunks[T any] struct {
	blocks  [][]T
	bi, off int
}

func (c *chunks[T]) reset() { c.bi, c.off = 0, 0 }

// take returns n elements (not zeroed) whose capacity ends with them, so
// that appending to the slice never writes into the next one.
func (c *chunks[T]) take(n int) []T {
	for c.bi < len(c.blocks) && c.off+n > len(c.blocks[c.bi]) {
		c.bi, c.off = c.bi+1, 0
	}
	if c.bi == len(c.blocks) {
		c.blocks = append(c.blocks, make([]T, max(512, n)))
		c.off = 0
	}
	b := c.blocks[c.bi][c.off : c.off+n : c.off+n]
	c.off += n
	return b
}

var keptMetadataFields = []string{"name", "namespace", "generateName", "labels", "ownerReferences", "finalizers"}

// readObject reads the kept parts of a top-level object; what is dropped
// (managed fields, status, the rest of metadata) is skipped unparsed.
func (r *reader) readObject() (*node, error) {
	d := r.d
	if err := expect(d, '{'); err != nil {
		return nil, err
	}
	out := r.node('{', "")
	for d.PeekKind() != '}' {
		k, err := r.readString()
		if err != nil {
			return nil, err
		}
		switch k {
		case "status", "kind", "apiVersion":
			if err := d.SkipValue(); err != nil {
				return nil, err
			}
			continue
		case "metadata":
			meta, err := r.readMetadata()
			if err != nil {
				return nil, fmt.Errorf("metadata: %w", err)
			}
			if meta != nil {
				out.set(k, meta)
			} else {
				out.remove(k) // a later non-object metadata wins, and is dropped
			}
			continue
		}
		v, err := r.readValue()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out.set(k, v)
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, err
	}
	return out, nil
}

func (r *reader) readMetadata() (*node, error) {
	d := r.d
	if d.PeekKind() != '{' {
		return nil, d.SkipValue() // metadata that is not an object has nothing to review
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, err
	}
	keep := r.node('{', "")
	for d.PeekKind() != '}' {
		k, err := r.readString()
		if err != nil {
			return nil, err
		}
		if k != "annotations" && !slices.Contains(keptMetadataFields, k) {
			if err := d.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		v, err := r.readValue()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		if k == "annotations" && v.kind == '{' {
			v.remove("kubectl.kubernetes.io/last-applied-configuration")
			if len(v.keys) == 0 {
				continue
			}
		}
		keep.set(k, v)
	}
	_, err := d.ReadToken()
	return keep, err
}

func expect(d *jsontext.Decoder, kind jsontext.Kind) error {
	t, err := d.ReadToken()
	if err != nil {
		return err
	}
	if t.Kind() != kind {
		return fmt.Errorf("want %v, found %v", kind, t.Kind())
	}
	return nil
}

// readValue reads one JSON value into a node.
func (r *reader) readValue() (*node, error) {
	d := r.d
	switch k := d.PeekKind(); k {
	case '{':
		if _, err := d.ReadToken(); err != nil {
			return nil, err
		}
		// Members collect on the reader's stacks and are copied out at
		// the end. Repeated keys are kept here and resolved (last wins) on
		// output.
		n := r.node('{', "")
		kmark, vmark := len(r.keys), len(r.vals)
		for d.PeekKind() != '}' {
			name, err := r.readString()
			if err != nil {
				return nil, err
			}
			r.keys = append(r.keys, name)
			v, err := r.readValue()
			if err != nil {
				return nil, err
			}
			r.vals = append(r.vals, v)
		}
		n.keys = r.keyMem.take(len(r.keys) - kmark)
		copy(n.keys, r.keys[kmark:])
		n.vals = r.valMem.take(len(r.vals) - vmark)
		copy(n.vals, r.vals[vmark:])
		r.keys, r.vals = r.keys[:kmark], r.vals[:vmark]
		_, err := d.ReadToken()
		return n, err
	case '[':
		if _, err := d.ReadToken(); err != nil {
			return nil, err
		}
		n := r.node('[', "")
		mark := len(r.vals)
		for d.PeekKind() != ']' {
			v, err := r.readValue()
			if err != nil {
				return nil, err
			}
			r.vals = append(r.vals, v)
		}
		n.vals = r.valMem.take(len(r.vals) - mark)
		copy(n.vals, r.vals[mark:])
		r.vals = r.vals[:mark]
		_, err := d.ReadToken()
		return n, err
	case '"':
		s, err := r.readString()
		if err != nil {
			return nil, err
		}
		return r.node('"', s), nil
	case '0', 't', 'f', 'n':
		v, err := d.ReadValue()
		if err != nil {
			return nil, err
		}
		return r.node(byte(k), r.intern(v)), nil
	default:
		_, err := d.ReadToken()
		if err == nil {
			err = fmt.Errorf("unexpected %v", k)
		}
		return nil, err
	}
}

// Diff compares two normalised objects and returns the changed lines with
// context lines around them; identical inputs give nil.
func Diff(before, after string, context int) []Line {
	if before == after {
		return nil
	}
	a, b := splitLines(before), splitLines(after)
	// Lines shared at both ends are unchanged; only the middle, with its
	// context, goes to the matcher, which is quadratic at worst. Versions
	// of one object mostly differ in a few lines, so this makes a diff
	// cost about a string comparison per line.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	lo, cut := max(pre-context, 0), max(suf-context, 0)
	a, b = a[lo:len(a)-cut], b[lo:len(b)-cut]
	m := difflib.NewMatcher(a, b)
	var out []Line
	for i, g := range m.GetGroupedOpCodes(context) {
		if i > 0 {
			out = append(out, Line{Op: Gap, Text: "..."})
		}
		for _, c := range g {
			switch c.Tag {
			case 'e':
				for _, l := range a[c.I1:c.I2] {
					out = append(out, Line{Same, trim(l)})
				}
			case 'd':
				for _, l := range a[c.I1:c.I2] {
					out = append(out, Line{Removed, trim(l)})
				}
			case 'i':
				for _, l := range b[c.J1:c.J2] {
					out = append(out, Line{Added, trim(l)})
				}
			case 'r':
				for _, l := range a[c.I1:c.I2] {
					out = append(out, Line{Removed, trim(l)})
				}
				for _, l := range b[c.J1:c.J2] {
					out = append(out, Line{Added, trim(l)})
				}
			}
		}
	}
	return out
}

func trim(l string) string { return strings.TrimRight(l, "\n") }

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// Pair is a side-by-side view row: the old line and the new one (either
// may be empty when a line was only added or removed).
type Pair struct {
	Op    Op     `json:"op"`
	Left  string `json:"left,omitempty"`
	Right string `json:"right,omitempty"`
}

// SideBySide arranges a diff for two columns.
func SideBySide(lines []Line) []Pair {
	var out []Pair
	for i := 0; i < len(lines); {
		switch lines[i].Op {
		case Removed:
			var rem, add []string
			for i < len(lines) && lines[i].Op == Removed {
				rem = append(rem, lines[i].Text)
				i++
			}
			for i < len(lines) && lines[i].Op == Added {
				add = append(add, lines[i].Text)
				i++
			}
			for j := 0; j < max(len(rem), len(add)); j++ {
				p := Pair{Op: Removed}
				if j < len(rem) {
					p.Left = rem[j]
				}
				if j < len(add) {
					p.Right = add[j]
					if p.Left == "" {
						p.Op = Added
					}
				}
				if p.Left != "" && p.Right != "" {
					p.Op = '!'
				}
				out = append(out, p)
			}
		case Added:
			out = append(out, Pair{Op: Added, Right: lines[i].Text})
			i++
		default:
			out = append(out, Pair{Op: lines[i].Op, Left: lines[i].Text, Right: lines[i].Text})
			i++
		}
	}
	return out
}
