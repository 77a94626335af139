package v1

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	listMetaType    = reflect.TypeFor[metav1.ListMeta]()
)

// typeOf returns the struct type behind a pointer.
func typeOf(v any) reflect.Type { return reflect.TypeOf(v).Elem() }

// walker checks YAML nodes against Go types and converts them to JSON. It
// expands aliases and merge keys within a budget proportional to the input,
// so that nested aliases cannot make it do unbounded work.
type walker struct {
	file   string
	doc    int
	budget int     // node visits and scalar bytes left
	spent  bool    // the budget ran out
	errs   []error // the first maxErrorsPerDocument errors
	nerr   int     // how many errors there were
	fields map[reflect.Type]map[string]reflect.StructField
}

func newWalker(file string, doc, inputSize int) walker {
	return walker{
		file:   file,
		doc:    doc,
		budget: 16*inputSize + 1<<18,
		fields: make(map[reflect.Type]map[string]reflect.StructField),
	}
}

// fail records an error about node n at a field path.
func (w *walker) fail(n *yaml.Node, path, msg string) {
	w.nerr++
	if len(w.errs) >= maxErrorsPerDocument {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	w.errs = append(w.errs, &DecodeError{File: w.file, Document: w.doc, Line: line, Path: path, Msg: msg})
}

// resolve follows aliases and charges the budget for visiting n. It returns
// nil (having recorded an error) when the budget is spent.
func (w *walker) resolve(n *yaml.Node, path string) *yaml.Node {
	if n == nil {
		return nil
	}
	for i := 0; n.Kind == yaml.AliasNode; i++ {
		if n.Alias == nil || i > 100 {
			w.fail(n, path, "alias does not resolve")
			return nil
		}
		n = n.Alias
	}
	if w.spent {
		return nil
	}
	w.budget -= 1 + len(n.Value)
	if w.budget < 0 {
		w.spent = true
		w.fail(n, path, "document too large after expanding aliases")
		return nil
	}
	return n
}

// pair is one key and value of a mapping.
type pair struct{ key, value *yaml.Node }

// pairs returns the entries of the mapping n with merge keys (<<) expanded:
// entries written in the mapping win over merged ones, and earlier merged
// mappings win over later ones.
func (w *walker) pairs(n *yaml.Node, path string) []pair {
	var (
		out    []pair
		merges []*yaml.Node
	)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := w.resolve(n.Content[i], path)
		if k == nil {
			return nil
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, n.Content[i+1])
			continue
		}
		out = append(out, pair{k, n.Content[i+1]})
	}
	if len(merges) == 0 {
		return out
	}
	seen := make(map[string]bool, len(out))
	for _, p := range out {
		seen[p.key.Value] = true
	}
	for _, m := range merges {
		for _, p := range w.mergePairs(m, path) {
			if !seen[p.key.Value] {
				seen[p.key.Value] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// mergePairs returns the entries that a merge value contributes.
func (w *walker) mergePairs(m *yaml.Node, path string) []pair {
	if m = w.resolve(m, path); m == nil {
		return nil
	}
	switch m.Kind {
	case yaml.MappingNode:
		return w.pairs(m, path)
	case yaml.SequenceNode:
		var out []pair
		for _, e := range m.Content {
			if e = w.resolve(e, path); e == nil {
				return nil
			}
			if e.Kind != yaml.MappingNode {
				w.fail(e, path, "a merge (<<) list may hold only mappings")
				return nil
			}
			out = append(out, w.pairs(e, path)...)
		}
		return out
	}
	w.fail(m, path, "a merge (<<) needs a mapping or a list of mappings")
	return nil
}

// check reports every way in which node n does not fit Go type t.
func (w *walker) check(n *yaml.Node, t reflect.Type, path string) {
	if n = w.resolve(n, path); n == nil || isNull(n) {
		return
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType) {
		w.checkUnmarshaler(n, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		w.check(n, t.Elem(), path)
	case reflect.Struct:
		w.checkStruct(n, t, path)
	case reflect.Map:
		w.checkMap(n, t, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.fail(n, path, "expected a list, got "+describe(n))
			return
		}
		for i, e := range n.Content {
			w.check(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Interface:
		w.toJSON(n, path) // any value fits; only the budget and finiteness apply
	default:
		w.checkScalar(n, t, path)
	}
}

// checkStruct checks a mapping against the JSON fields of struct type t.
func (w *walker) checkStruct(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "expected an object, got "+describe(n))
		return
	}
	fields := w.structFields(t)
	seen := make(map[string]bool)
	for _, p := range w.pairs(n, path) {
		if p.key.Kind != yaml.ScalarNode {
			w.fail(p.key, path, "field names must be strings, not "+describe(p.key))
			continue
		}
		name := p.key.Value
		fp := joinPath(path, name)
		if seen[name] {
			w.fail(p.key, fp, "duplicate field")
			continue
		}
		seen[name] = true
		f, ok := fields[name]
		if !ok {
			w.fail(p.key, fp, "unknown field")
			continue
		}
		w.check(p.value, f.Type, fp)
	}
}

// checkMap checks a mapping against a map type with string keys.
func (w *walker) checkMap(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "expected a mapping, got "+describe(n))
		return
	}
	seen := make(map[string]bool)
	for _, p := range w.pairs(n, path) {
		if p.key.Kind != yaml.ScalarNode {
			w.fail(p.key, path, "keys must be strings, not "+describe(p.key))
			continue
		}
		kp := path + "[" + p.key.Value + "]"
		if seen[p.key.Value] {
			w.fail(p.key, kp, "duplicate key")
			continue
		}
		seen[p.key.Value] = true
		w.check(p.value, t.Elem(), kp)
	}
}

// checkScalar checks a scalar against a string, bool or numeric type.
func (w *walker) checkScalar(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode {
		w.fail(n, path, fmt.Sprintf("expected %s, got %s", kindName(t), describe(n)))
		return
	}
	tag := n.ShortTag()
	switch t.Kind() {
	case reflect.String:
		if tag != "!!str" && tag != "!!timestamp" {
			w.fail(n, path, fmt.Sprintf("expected a string, got %s (quote it to make it a string)", describe(n)))
		}
	case reflect.Bool:
		if tag != "!!bool" {
			w.fail(n, path, "expected true or false, got "+describe(n))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var v int64
		if tag != "!!int" || n.Decode(&v) != nil || reflect.New(t).Elem().OverflowInt(v) {
			w.fail(n, path, "expected an integer, got "+describe(n))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var v uint64
		if tag != "!!int" || n.Decode(&v) != nil || reflect.New(t).Elem().OverflowUint(v) {
			w.fail(n, path, "expected a non-negative integer, got "+describe(n))
		}
	case reflect.Float32, reflect.Float64:
		var v float64
		if (tag != "!!int" && tag != "!!float") || n.Decode(&v) != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			w.fail(n, path, "expected a finite number, got "+describe(n))
		}
	default:
		w.fail(n, path, "unsupported field type "+t.String())
	}
}

// checkUnmarshaler checks a value of a type with its own JSON decoding,
// such as a time or a duration, by decoding it.
func (w *walker) checkUnmarshaler(n *yaml.Node, t reflect.Type, path string) {
	data, err := w.toJSON(n, path)
	if err != nil {
		return
	}
	u := reflect.New(t).Interface().(json.Unmarshaler)
	if err := u.UnmarshalJSON(data); err != nil {
		w.fail(n, path, strings.TrimPrefix(err.Error(), "json: "))
	}
}

// structFields maps the JSON names of t's fields, including those of
// embedded structs without a name of their own, to the fields.
func (w *walker) structFields(t reflect.Type) map[string]reflect.StructField {
	if m, ok := w.fields[t]; ok {
		return m
	}
	m := make(map[string]reflect.StructField)
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range w.structFields(et) {
					if _, ok := m[k]; !ok {
						m[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f
	}
	w.fields[t] = m
	return m
}

// toJSON converts node n to JSON. Errors (a budget spent, a number JSON
// cannot hold) are recorded as well as returned.
func (w *walker) toJSON(n *yaml.Node, path string) ([]byte, error) {
	var b []byte
	before := w.nerr
	b = w.appendJSON(b, n, path)
	if w.nerr > before || w.spent {
		return nil, fmt.Errorf("convert %s to JSON", path)
	}
	return b, nil
}

func (w *walker) appendJSON(b []byte, n *yaml.Node, path string) []byte {
	if n = w.resolve(n, path); n == nil {
		return b
	}
	switch n.Kind {
	case yaml.MappingNode:
		b = append(b, '{')
		for i, p := range w.pairs(n, path) {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, p.key.Value)
			b = append(b, ':')
			b = w.appendJSON(b, p.value, joinPath(path, p.key.Value))
		}
		return append(b, '}')
	case yaml.SequenceNode:
		b = append(b, '[')
		for i, e := range n.Content {
			if i > 0 {
				b = append(b, ',')
			}
			b = w.appendJSON(b, e, fmt.Sprintf("%s[%d]", path, i))
		}
		return append(b, ']')
	case yaml.ScalarNode:
		return w.appendScalar(b, n, path)
	}
	w.fail(n, path, "unexpected YAML node")
	return b
}

// appendScalar appends a scalar as the JSON value its tag calls for.
func (w *walker) appendScalar(b []byte, n *yaml.Node, path string) []byte {
	switch n.ShortTag() {
	case "!!null":
		return append(b, "null"...)
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			w.fail(n, path, "invalid value: "+strings.TrimPrefix(err.Error(), "yaml: "))
			return b
		}
		if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
			w.fail(n, path, "expected a finite number, got "+describe(n))
			return b
		}
		out, err := json.Marshal(v)
		if err != nil {
			w.fail(n, path, "invalid value: "+err.Error())
			return b
		}
		return append(b, out...)
	}
	out, _ := json.Marshal(n.Value) // a string never fails to marshal
	return append(b, out...)
}

// isNull reports whether n is an explicit or implicit null scalar.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the kind of a node for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	v := n.Value
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:37]) + "..."
	}
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		return "string " + strconv.Quote(v)
	case "!!int", "!!float":
		return "number " + v
	case "!!bool":
		return "boolean " + v
	case "!!null":
		return "null"
	}
	return fmt.Sprintf("%s %q", n.ShortTag(), v)
}

// kindName names what a Go type expects, for error messages.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	}
	return "a number"
}
