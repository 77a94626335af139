package v1

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
)

// maxErrorsPerDocument bounds how many problems one document reports, so
// that a file in the wrong format does not bury the first error.
const maxErrorsPerDocument = 10

// DecodeError is a manifest that cannot be decoded, or (from Load) an
// object that fails validation. Its text has the form
//
//	reports.yaml: document 2 (line 14): spec.schedul: unknown field
type DecodeError struct {
	File     string // the name given to Decode or Load
	Document int    // 1-based position of the document in the file
	Line     int    // 1-based line of the offending text; 0 when unknown
	Path     string // field path such as spec.schedule; empty for syntax errors
	Msg      string // what is wrong
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: document %d", e.File, e.Document)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// decoded is one object with where it came from, so that later errors about
// it can name a line.
type decoded struct {
	obj    Object
	doc    int        // 1-based document number
	node   *yaml.Node // the object's mapping node
	prefix string     // field path of the object within its document, such as items[2]
}

// Decode reads the GlobalReport, GlobalReportType and GlobalAlert objects
// in data, a stream of YAML documents separated by "---" or of JSON values.
// A document may also be a list: kind GlobalReportList (and so on), or
// kind List of apiVersion v1 as printed by kubectl. Objects may use
// apiVersion evident.dev/v1 or projectcalico.org/v3; the latter is
// rewritten to evident.dev/v1. Empty documents are skipped.
//
// Decoding is strict: unknown or duplicate fields and values of the wrong
// type are errors. name identifies data in errors, which are *DecodeError
// values (several are joined with errors.Join). Decode neither defaults
// nor validates; see Load.
func Decode(name string, data []byte) ([]Object, error) {
	ds, err := decodeAll(name, data)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	objs := make([]Object, len(ds))
	for i, d := range ds {
		objs[i] = d.obj
	}
	return objs, nil
}

// decodeAll decodes every object of data, keeping its position.
func decodeAll(name string, data []byte) ([]decoded, error) {
	docs, err := readDocuments(name, data)
	if err != nil {
		return nil, err
	}
	var (
		out  []decoded
		errs []error
	)
	for _, doc := range docs {
		d := newDocDecoder(name, doc.index, len(data))
		objs := d.decodeTop(doc.node)
		errs = append(errs, d.errs...)
		if d.nerr == 0 {
			out = append(out, objs...)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// document is one non-empty document of a manifest stream.
type document struct {
	index int        // 1-based
	node  *yaml.Node // the document's content
}

// readDocuments splits data into documents. Input that starts like JSON is
// read as a stream of JSON values, so that JSON escapes YAML lacks (such as
// \/) work; if that fails it is read as YAML, and if YAML fails too the JSON
// error is reported.
func readDocuments(name string, data []byte) ([]document, error) {
	if looksLikeJSON(data) {
		docs, jsonErr := readJSONDocuments(name, data)
		if jsonErr == nil {
			return docs, nil
		}
		if docs, err := readYAMLDocuments(name, data); err == nil {
			return docs, nil
		}
		return nil, jsonErr
	}
	return readYAMLDocuments(name, data)
}

// looksLikeJSON reports whether the first significant byte opens a JSON
// object or array.
func looksLikeJSON(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// yamlLineRE extracts the line number from a YAML syntax error.
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// readYAMLDocuments parses a YAML stream into document nodes.
func readYAMLDocuments(name string, data []byte) ([]document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []document
	for n := 1; ; n++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, yamlSyntaxError(name, n, err)
		}
		if len(root.Content) == 0 || isNull(root.Content[0]) {
			continue
		}
		docs = append(docs, document{index: n, node: root.Content[0]})
	}
}

// yamlSyntaxError turns a YAML parser error into a *DecodeError.
func yamlSyntaxError(name string, doc int, err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &DecodeError{File: name, Document: doc, Line: line, Msg: "invalid YAML: " + msg}
}

// docDecoder turns the nodes of one document into objects, collecting
// errors.
type docDecoder struct {
	walker
}

func newDocDecoder(file string, doc, inputSize int) *docDecoder {
	return &docDecoder{walker: newWalker(file, doc, inputSize)}
}

// decodeTop decodes a document's root: a single object or a list.
func (d *docDecoder) decodeTop(n *yaml.Node) []decoded {
	n = d.resolve(n, "")
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, "", "a manifest must be a mapping with apiVersion and kind, not "+describe(n))
		return nil
	}
	apiVersion, kind, ok := d.typeMeta(n, "", "")
	if !ok {
		return nil
	}
	if apiVersion == "v1" && kind == "List" {
		return d.decodeItems(n, "")
	}
	if !d.checkGroupVersion(n, "", apiVersion) {
		return nil
	}
	switch kind {
	case KindGlobalReport, KindGlobalReportType, KindGlobalAlert:
		return d.decodeObject(n, kind, "")
	case KindGlobalReportList, KindGlobalReportTypeList, KindGlobalAlertList:
		return d.decodeItems(n, strings.TrimSuffix(kind, "List"))
	}
	d.fail(d.valueNode(n, "kind"), "kind", fmt.Sprintf("kind %q is not one of %s, %s, %s or their lists",
		kind, KindGlobalReport, KindGlobalReportType, KindGlobalAlert))
	return nil
}

// typeMeta reads apiVersion and kind of the mapping n at path. When
// impliedKind is set (an item of a typed list) both may be left out.
func (d *docDecoder) typeMeta(n *yaml.Node, path, impliedKind string) (apiVersion, kind string, ok bool) {
	apiVersion, okV := d.scalarField(n, path, "apiVersion")
	kind, okK := d.scalarField(n, path, "kind")
	if !okV || !okK {
		return "", "", false
	}
	if impliedKind != "" {
		if kind == "" {
			kind = impliedKind
		}
		if apiVersion == "" {
			apiVersion = GroupVersion.String()
		}
	}
	if apiVersion == "" {
		d.fail(n, joinPath(path, "apiVersion"), "required field is missing")
	}
	if kind == "" {
		d.fail(n, joinPath(path, "kind"), "required field is missing")
	}
	return apiVersion, kind, apiVersion != "" && kind != ""
}

// scalarField returns the string value of key in the mapping n, or "" when
// it is absent or null.
func (d *docDecoder) scalarField(n *yaml.Node, path, key string) (string, bool) {
	v := d.valueNode(n, key)
	if v == nil {
		return "", true
	}
	v = d.resolve(v, joinPath(path, key))
	if v == nil || isNull(v) {
		return "", v != nil
	}
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		d.fail(v, joinPath(path, key), "expected a string, got "+describe(v))
		return "", false
	}
	return v.Value, true
}

// valueNode returns the value of key in the mapping n, ignoring merges, or
// nil.
func (d *docDecoder) valueNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// checkGroupVersion reports whether apiVersion is one Decode accepts.
func (d *docDecoder) checkGroupVersion(n *yaml.Node, path, apiVersion string) bool {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err == nil && (gv == GroupVersion || gv == CalicoGroupVersion) {
		return true
	}
	p := joinPath(path, "apiVersion")
	node := d.valueNode(n, "apiVersion")
	if node == nil {
		node = n
	}
	d.fail(node, p, fmt.Sprintf("apiVersion %q is not supported; use %s (or %s)",
		apiVersion, GroupVersion, CalicoGroupVersion))
	return false
}

// decodeItems decodes the items of a list. kind is the kind of a typed
// list's items, or "" for a v1 List whose items carry their own kind.
func (d *docDecoder) decodeItems(n *yaml.Node, kind string) []decoded {
	var (
		out   []decoded
		items *yaml.Node
	)
	seen := make(map[string]bool)
	for _, p := range d.pairs(n, "") {
		if seen[p.key.Value] {
			d.fail(p.key, p.key.Value, "duplicate field")
			continue
		}
		seen[p.key.Value] = true
		switch p.key.Value {
		case "apiVersion", "kind":
		case "metadata":
			d.check(p.value, listMetaType, "metadata")
		case "items":
			items = p.value
		default:
			d.fail(p.key, p.key.Value, "unknown field")
		}
	}
	if items = d.resolve(items, "items"); items == nil || isNull(items) {
		return nil
	}
	if items.Kind != yaml.SequenceNode {
		d.fail(items, "items", "expected a list, got "+describe(items))
		return nil
	}
	for i, it := range items.Content {
		path := fmt.Sprintf("items[%d]", i)
		if it = d.resolve(it, path); it == nil {
			continue
		}
		if it.Kind != yaml.MappingNode {
			d.fail(it, path, "expected an object, got "+describe(it))
			continue
		}
		apiVersion, itemKind, ok := d.typeMeta(it, path, kind)
		if !ok || !d.checkGroupVersion(it, path, apiVersion) {
			continue
		}
		switch {
		case kind != "" && itemKind != kind:
			d.fail(d.valueNode(it, "kind"), path+".kind", fmt.Sprintf("kind %q in a list of %s", itemKind, kind))
		case itemKind == KindGlobalReport || itemKind == KindGlobalReportType || itemKind == KindGlobalAlert:
			out = append(out, d.decodeObject(it, itemKind, path)...)
		default:
			d.fail(d.valueNode(it, "kind"), path+".kind", fmt.Sprintf("kind %q is not one of %s, %s, %s",
				itemKind, KindGlobalReport, KindGlobalReportType, KindGlobalAlert))
		}
	}
	return out
}

// decodeObject checks the mapping n against the Go type of kind and
// decodes it.
func (d *docDecoder) decodeObject(n *yaml.Node, kind, path string) []decoded {
	var obj Object
	switch kind {
	case KindGlobalReport:
		obj = &GlobalReport{}
	case KindGlobalReportType:
		obj = &GlobalReportType{}
	default:
		obj = &GlobalAlert{}
	}
	before := d.nerr
	d.check(n, typeOf(obj), path)
	if d.nerr > before {
		return nil
	}
	data, err := d.toJSON(n, path)
	if err != nil {
		return nil
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, obj); err != nil {
		d.fail(n, path, err.Error())
		return nil
	}
	obj.GetObjectKind().SetGroupVersionKind(GroupVersion.WithKind(kind))
	return []decoded{{obj: obj, doc: d.doc, node: n, prefix: path}}
}

// joinPath appends a field name to a field path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
