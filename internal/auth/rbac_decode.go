package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RBAC manifests are decoded into these shapes, which are the same in
// rbac.authorization.k8s.io v1, v1beta1 and v1alpha1 except that v1alpha1
// subjects carry apiVersion instead of apiGroup. Decoding is strict: an
// unknown field is an error, so a misspelt resourceNames cannot silently
// widen a grant.

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

type roleDoc struct {
	typeMeta        `json:",inline"`
	Metadata        metav1.ObjectMeta       `json:"metadata"`
	Rules           []rbacv1.PolicyRule     `json:"rules"`
	AggregationRule *rbacv1.AggregationRule `json:"aggregationRule,omitempty"`
}

type bindingDoc struct {
	typeMeta `json:",inline"`
	Metadata metav1.ObjectMeta `json:"metadata"`
	Subjects []subjectDoc      `json:"subjects"`
	RoleRef  rbacv1.RoleRef    `json:"roleRef"`
}

type subjectDoc struct {
	Kind       string `json:"kind"`
	APIGroup   string `json:"apiGroup,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
}

type listDoc struct {
	typeMeta `json:",inline"`
	Metadata metav1.ListMeta   `json:"metadata"`
	Items    []json.RawMessage `json:"items"`
}

// Kinds accepted in RBAC files.
const (
	kindRole               = "Role"
	kindClusterRole        = "ClusterRole"
	kindRoleBinding        = "RoleBinding"
	kindClusterRoleBinding = "ClusterRoleBinding"
	kindList               = "List"
)

// rbacVersion reports whether apiVersion is an accepted version of the RBAC
// API: v1, or the removed v1beta1 and v1alpha1, which have the same shape.
func rbacVersion(apiVersion string) bool {
	switch apiVersion {
	case GroupRBAC + "/v1", GroupRBAC + "/v1beta1", GroupRBAC + "/v1alpha1":
		return true
	}
	return false
}

// object is one decoded RBAC object with where it came from.
type object struct {
	where   string // "file: document N (line L)"
	kind    string
	role    *roleDoc
	binding *bindingDoc
}

// decodeFile splits a YAML stream into documents and decodes each one.
func decodeFile(name string, data []byte) ([]object, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var objs []object
	for index := 1; ; index++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, yamlError(name, index, err)
		}
		if n.Kind != yaml.DocumentNode || len(n.Content) != 1 {
			continue // an empty document
		}
		root := n.Content[0]
		where := fmt.Sprintf("%s: document %d (line %d)", name, index, root.Line)
		switch {
		case root.Kind == yaml.ScalarNode && root.Tag == "!!null":
			continue
		case root.Kind != yaml.MappingNode:
			return nil, fmt.Errorf("%s: want a mapping with apiVersion and kind", where)
		}
		var v any
		if err := root.Decode(&v); err != nil {
			return nil, yamlError(name, index, err)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s: mapping keys must be strings", where)
		}
		got, err := decodeObject(where, raw)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
}

// yamlError reports a YAML error as "file:line: reason" when the YAML
// library names the line ("yaml: line N: reason" or "line N: reason").
func yamlError(name string, index int, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, reason, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(num); err == nil {
				if parserProblem(reason) {
					line++
				}
				return fmt.Errorf("%s:%d: %s", name, line, reason)
			}
		}
	}
	return fmt.Errorf("%s: document %d: %s", name, index, msg)
}

// parserProblem reports whether a YAML error comes from the library's parser
// rather than its scanner. The parser reports the zero-based line of the
// construct it was parsing; the scanner reports one-based lines.
func parserProblem(reason string) bool {
	switch reason {
	case "did not find expected node content",
		"did not find expected key",
		"did not find expected '-' indicator",
		"did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"did not find expected <document start>",
		"found undefined tag handle",
		"found duplicate %YAML directive",
		"found duplicate %TAG directive",
		"found incompatible YAML document":
		return true
	}
	return false
}

// decodeObject decodes one RBAC object, or the items of a list, from JSON.
func decodeObject(where string, raw []byte) ([]object, error) {
	var tm typeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return nil, fmt.Errorf("%s: want a mapping with apiVersion and kind: %w", where, jsonError(err))
	}
	if tm.Kind == kindList || (strings.HasSuffix(tm.Kind, kindList) && isRBACKind(strings.TrimSuffix(tm.Kind, kindList))) {
		return decodeList(where, tm, raw)
	}
	if !isRBACKind(tm.Kind) {
		return nil, fmt.Errorf("%s: unknown kind %q (want Role, ClusterRole, RoleBinding, ClusterRoleBinding or a list of them)", where, tm.Kind)
	}
	if !rbacVersion(tm.APIVersion) {
		return nil, fmt.Errorf("%s: %s has apiVersion %q (want %s/v1, v1beta1 or v1alpha1)", where, tm.Kind, tm.APIVersion, GroupRBAC)
	}
	obj := object{where: where, kind: tm.Kind}
	switch tm.Kind {
	case kindRole, kindClusterRole:
		obj.role = &roleDoc{}
		if err := strictUnmarshal(raw, obj.role); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", where, tm.Kind, err)
		}
	default:
		obj.binding = &bindingDoc{}
		if err := strictUnmarshal(raw, obj.binding); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", where, tm.Kind, err)
		}
	}
	return []object{obj}, nil
}

// decodeList decodes the items of a List (apiVersion v1) or of a typed list
// such as ClusterRoleList, whose items may leave out their kind.
func decodeList(where string, tm typeMeta, raw []byte) ([]object, error) {
	var l listDoc
	if err := strictUnmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", where, tm.Kind, err)
	}
	itemKind := strings.TrimSuffix(tm.Kind, kindList)
	var objs []object
	for i, item := range l.Items {
		itemWhere := fmt.Sprintf("%s: item %d", where, i)
		if itemKind != "" {
			filled, err := fillTypeMeta(item, tm.APIVersion, itemKind)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", itemWhere, err)
			}
			item = filled
		}
		got, err := decodeObject(itemWhere, item)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

// fillTypeMeta sets apiVersion and kind on a typed list's item that lacks
// them.
func fillTypeMeta(item json.RawMessage, apiVersion, kind string) (json.RawMessage, error) {
	var m map[string]any
	if err := json.Unmarshal(item, &m); err != nil {
		return nil, fmt.Errorf("want a mapping: %w", err)
	}
	if _, ok := m["kind"]; !ok {
		m["kind"] = kind
	}
	if _, ok := m["apiVersion"]; !ok {
		m["apiVersion"] = apiVersion
	}
	return json.Marshal(m)
}

func isRBACKind(kind string) bool {
	switch kind {
	case kindRole, kindClusterRole, kindRoleBinding, kindClusterRoleBinding:
		return true
	}
	return false
}

func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError rewords a decoding error in the terms of the manifest rather
// than of the Go types it is decoded into.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := "a " + te.Type.Kind().String()
		switch te.Type.Kind() {
		case reflect.Slice, reflect.Array:
			want = "a list"
		case reflect.Struct, reflect.Map:
			want = "a mapping"
		}
		if te.Field == "" {
			return fmt.Errorf("got %s, want %s", te.Value, want)
		}
		return fmt.Errorf("%s: got %s, want %s", te.Field, te.Value, want)
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}
