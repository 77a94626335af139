package v1

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Load decodes data like Decode, applies each object's defaults and
// validates it. render test-renders the templates of GlobalReportTypes (see
// GlobalReportType.Validate); it may be nil. Two objects of the same kind
// and name are an error. Validation errors are *DecodeError values that
// name the line of the offending field, or of its nearest enclosing field
// when the field itself is missing.
func Load(name string, data []byte, render func(ReportTemplate) error) ([]Object, error) {
	ds, err := decodeAll(name, data)
	if err != nil {
		return nil, err
	}
	var errs []error
	seen := make(map[string]int) // kind/name -> document
	objs := make([]Object, len(ds))
	for i, d := range ds {
		objs[i] = d.obj
		var list field.ErrorList
		switch o := d.obj.(type) {
		case *GlobalReport:
			o.Default()
			list = o.Validate()
		case *GlobalReportType:
			list = o.Validate(render)
		case *GlobalAlert:
			o.Default()
			list = o.Validate()
		}
		for _, fe := range list {
			errs = append(errs, d.fieldError(name, fe))
		}
		key := d.obj.GetObjectKind().GroupVersionKind().Kind + "/" + d.obj.GetName()
		if first, ok := seen[key]; ok && d.obj.GetName() != "" {
			fe := field.Duplicate(field.NewPath("metadata", "name"), d.obj.GetName())
			fe.Detail = fmt.Sprintf("%s %q is also defined in document %d", kindOf(d.obj), d.obj.GetName(), first)
			errs = append(errs, d.fieldError(name, fe))
		} else {
			seen[key] = d.doc
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return objs, nil
}

// kindOf returns the kind of a decoded object.
func kindOf(o Object) string { return o.GetObjectKind().GroupVersionKind().Kind }

// fieldError places a validation error of d's object in its file.
func (d *decoded) fieldError(file string, fe *field.Error) error {
	path := fe.Field
	if d.prefix != "" {
		path = d.prefix + "." + path
	}
	return &DecodeError{
		File:     file,
		Document: d.doc,
		Line:     lineOf(d.node, fe.Field),
		Path:     path,
		Msg:      fe.ErrorBody(),
	}
}

// lineOf returns the line of the field at path (as printed by field.Path,
// such as spec.downloadTemplates[1].name or metadata.labels[app]) under
// node n, or of the deepest part of the path that exists. Merge keys are
// not followed.
func lineOf(n *yaml.Node, path string) int {
	line := n.Line
	for _, seg := range splitPath(path) {
		n = deref(n)
		var next *yaml.Node
		switch {
		case n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if deref(n.Content[i]).Value == seg {
					line = n.Content[i].Line // the key's line, also for block values
					next = n.Content[i+1]
					break
				}
			}
		case n.Kind == yaml.SequenceNode:
			if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
				line = deref(next).Line
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return line
}

// deref follows aliases, giving up on a chain that does not end.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// splitPath splits a field path into field names, list indexes and map
// keys: a.b[2].c[k.x] gives a, b, 2, c, k.x.
func splitPath(path string) []string {
	var segs []string
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return append(segs, path[1:])
			}
			segs = append(segs, path[1:end])
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			segs = append(segs, path[:end])
			path = path[end:]
		}
	}
	return segs
}
