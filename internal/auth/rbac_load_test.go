package auth

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// Manifest fragments for the error table.
const (
	crHead   = "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\n"
	roleHead = "kind: Role\napiVersion: rbac.authorization.k8s.io/v1\n"
	crbHead  = "kind: ClusterRoleBinding\napiVersion: rbac.authorization.k8s.io/v1\n"
	rbHead   = "kind: RoleBinding\napiVersion: rbac.authorization.k8s.io/v1\n"
	goodCR   = crHead + "metadata: {name: r}\nrules: [{apiGroups: [x], resources: [y], verbs: [get]}]\n---\n"
	goodRole = roleHead + "metadata: {name: r, namespace: ns}\nrules: [{apiGroups: [x], resources: [y], verbs: [get]}]\n---\n"
	crRef    = "roleRef: {kind: ClusterRole, name: r, apiGroup: rbac.authorization.k8s.io}\n"
)

func TestParseRBACErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"yaml syntax", "kind: ClusterRole\n  metadata: x\n", "bad.yaml:2: mapping values are not allowed in this context"},
		{"yaml flow", crHead + "rules: [}\n", "bad.yaml:3: did not find expected node content"},
		{"block mapping", crHead + "metadata:\n  name: a\n  labels: {}\n bad\n", "bad.yaml:6: did not find expected key"},
		{"unclosed flow mapping", "{a: b\n", "bad.yaml:2: did not find expected ',' or '}'"},
		{"tab", "\tkind: x\n", "bad.yaml: document 1: found character that cannot start any token"},
		{"unclosed in second document", goodCR + "kind: [\n", "bad.yaml:7: did not find expected node content"},
		{"duplicate key", crHead + "metadata: {name: a}\nmetadata: {name: b}\n", `bad.yaml:4: mapping key "metadata" already defined at line 3`},
		{"unknown kind", goodCR + "---\n# a pod\nkind: Pod\napiVersion: v1\n",
			`bad.yaml: document 3 (line 8): unknown kind "Pod" (want Role, ClusterRole, RoleBinding, ClusterRoleBinding or a list of them)`},
		{"no kind", "apiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: a}\n",
			`bad.yaml: document 1 (line 1): unknown kind "" (want Role, ClusterRole, RoleBinding, ClusterRoleBinding or a list of them)`},
		{"unknown kind in list", "kind: List\napiVersion: v1\nitems: [{kind: Secret, apiVersion: v1}]\n",
			`bad.yaml: document 1 (line 1): item 0: unknown kind "Secret" (want Role, ClusterRole, RoleBinding, ClusterRoleBinding or a list of them)`},
		{"not a mapping", "- a\n- b\n", "bad.yaml: document 1 (line 1): want a mapping with apiVersion and kind"},
		{"non-string key", "{1: 2}\n", "bad.yaml: document 1 (line 1): mapping keys must be strings"},
		{"bad apiVersion", "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v2\n",
			`bad.yaml: document 1 (line 1): ClusterRole has apiVersion "rbac.authorization.k8s.io/v2" (want rbac.authorization.k8s.io/v1, v1beta1 or v1alpha1)`},
		{"misspelt field", crHead + "metadata: {name: a}\nrules: [{apiGroups: [x], resources: [y], verbs: [get], resourceName: [z]}]\n",
			`bad.yaml: document 1 (line 1): ClusterRole: unknown field "resourceName"`},
		{"wrong type", crHead + "metadata: {name: a}\nrules: [{verbs: get}]\n",
			`bad.yaml: document 1 (line 1): ClusterRole: rules.verbs: got string, want a list`},
		{"typed list item", "kind: ClusterRoleList\napiVersion: rbac.authorization.k8s.io/v1\nitems: [{metadata: {name: a}, subjects: []}]\n",
			`bad.yaml: document 1 (line 1): item 0: ClusterRole: unknown field "subjects"`},
		{"no name", crHead + "metadata: {}\n", "bad.yaml: document 1 (line 1): ClusterRole has no metadata.name"},
		{"role without namespace", roleHead + "metadata: {name: a}\n", `bad.yaml: document 1 (line 1): Role "a" has no metadata.namespace`},
		{"no verbs", crHead + "metadata: {name: a}\nrules: [{apiGroups: [x], resources: [y]}]\n",
			`bad.yaml: document 1 (line 1): ClusterRole "a": rules[0]: no verbs`},
		{"no apiGroups", crHead + "metadata: {name: a}\nrules: [{resources: [y], verbs: [get]}]\n",
			`bad.yaml: document 1 (line 1): ClusterRole "a": rules[0]: no apiGroups (use [""] for the core group)`},
		{"no resources", crHead + "metadata: {name: a}\nrules: [{apiGroups: [x], verbs: [get]}, {apiGroups: [x], verbs: [get]}]\n",
			`bad.yaml: document 1 (line 1): ClusterRole "a": rules[0]: no resources`},
		{"role with URLs", roleHead + "metadata: {name: a, namespace: n}\nrules: [{nonResourceURLs: [/x], verbs: [get]}]\n",
			`bad.yaml: document 1 (line 1): Role "a": rules[0]: a Role cannot grant nonResourceURLs`},
		{"resources and URLs", crHead + "metadata: {name: a}\nrules: [{nonResourceURLs: [/x], resources: [y], verbs: [get]}]\n",
			`bad.yaml: document 1 (line 1): ClusterRole "a": rules[0]: a rule cannot grant both resources and nonResourceURLs`},
		{"binding without namespace", goodCR + rbHead + "metadata: {name: b}\n" + crRef,
			`bad.yaml: document 2 (line 6): RoleBinding "b" has no metadata.namespace`},
		{"missing cluster role", crbHead + "metadata: {name: b}\nroleRef: {kind: ClusterRole, name: nope}\n",
			`bad.yaml: document 1 (line 1): ClusterRoleBinding "b": roleRef: ClusterRole "nope" is not defined`},
		{"missing role", goodRole + rbHead + "metadata: {name: b, namespace: other}\nroleRef: {kind: Role, name: r}\n",
			`bad.yaml: document 2 (line 6): RoleBinding "b": roleRef: Role "r" is not defined in namespace "other"`},
		{"cluster binding to role", goodRole + crbHead + "metadata: {name: b}\nroleRef: {kind: Role, name: r}\n",
			`bad.yaml: document 2 (line 6): ClusterRoleBinding "b": roleRef: a ClusterRoleBinding can only refer to a ClusterRole`},
		{"roleRef kind", crbHead + "metadata: {name: b}\nroleRef: {kind: Group, name: r}\n",
			`bad.yaml: document 1 (line 1): ClusterRoleBinding "b": roleRef: kind "Group" (want Role or ClusterRole)`},
		{"roleRef group", goodCR + crbHead + "metadata: {name: b}\nroleRef: {kind: ClusterRole, name: r, apiGroup: rbac}\n",
			`bad.yaml: document 2 (line 6): ClusterRoleBinding "b": roleRef: apiGroup "rbac" (want rbac.authorization.k8s.io)`},
		{"roleRef name", crbHead + "metadata: {name: b}\nroleRef: {kind: ClusterRole}\n",
			`bad.yaml: document 1 (line 1): ClusterRoleBinding "b": roleRef: no name`},
		{"subject kind", goodCR + crbHead + "metadata: {name: b}\nsubjects: [{kind: Robot, name: r2}]\n" + crRef,
			`bad.yaml: document 2 (line 6): ClusterRoleBinding "b": subjects[0]: kind "Robot" (want User, Group or ServiceAccount)`},
		{"subject name", goodCR + crbHead + "metadata: {name: b}\nsubjects: [{kind: User, name: u}, {kind: User}]\n" + crRef,
			`bad.yaml: document 2 (line 6): ClusterRoleBinding "b": subjects[1]: no name`},
		{"subject group", goodCR + crbHead + "metadata: {name: b}\nsubjects: [{kind: User, name: u, apiGroup: v1}]\n" + crRef,
			`bad.yaml: document 2 (line 6): ClusterRoleBinding "b": subjects[0]: User has apiGroup "v1" (want rbac.authorization.k8s.io)`},
		{"service account group", goodCR + crbHead + "metadata: {name: b}\nsubjects: [{kind: ServiceAccount, name: s, namespace: n, apiGroup: rbac.authorization.k8s.io}]\n" + crRef,
			`bad.yaml: document 2 (line 6): ClusterRoleBinding "b": subjects[0]: ServiceAccount has apiGroup "rbac.authorization.k8s.io" (want none)`},
		{"service account namespace", goodCR + crbHead + "metadata: {name: b}\nsubjects: [{kind: ServiceAccount, name: s}]\n" + crRef,
			`bad.yaml: document 2 (line 6): ClusterRoleBinding "b": subjects[0]: ServiceAccount "s" has no namespace`},
		{"subject apiVersion in v1", goodCR + crbHead + "metadata: {name: b}\nsubjects: [{kind: User, name: u, apiVersion: v1}]\n" + crRef,
			`bad.yaml: document 2 (line 6): ClusterRoleBinding "b": subjects[0]: apiVersion is only valid in v1alpha1; use apiGroup`},
		{"duplicate", goodCR + "\n" + goodCR,
			`bad.yaml: document 2 (line 7): ClusterRole "r" is also defined at bad.yaml: document 1 (line 1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRBAC(RBACSource{Name: "bad.yaml", Data: []byte(tc.doc)})
			if err == nil {
				t.Fatal("ParseRBAC succeeded, want an error")
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestParseRBACAcrossFiles(t *testing.T) {
	binding := RBACSource{Name: "b.yaml", Data: []byte(crbHead + "metadata: {name: b}\nsubjects: [{kind: User, name: u}]\n" + crRef)}
	role := RBACSource{Name: "r.yaml", Data: []byte(goodCR)}
	r, err := ParseRBAC(binding, role)
	if err != nil {
		t.Fatalf("a binding before its role in another file: %v", err)
	}
	runAuthz(t, r, []authzCase{{User{Name: "u"}, "get x y a", true}})

	_, err = ParseRBAC(role, RBACSource{Name: "again.yaml", Data: []byte("# again\n" + goodCR)})
	want := `again.yaml: document 1 (line 2): ClusterRole "r" is also defined at r.yaml: document 1 (line 1)`
	if err == nil || err.Error() != want {
		t.Errorf("duplicate across files: got %v, want %s", err, want)
	}
}

func TestParseRBACAccepts(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"empty", ""},
		{"comments and empty documents", "# nothing\n---\n---\n"},
		{"null document", "null\n---\n" + goodCR},
		{"JSON", `{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r"}}`},
		{"full metadata", crHead + "metadata:\n  name: r\n  labels: {a: b}\n  annotations: {c: d}\n" +
			"  creationTimestamp: 2024-01-01T00:00:00Z\n  resourceVersion: \"7\"\n  uid: 0b6c\n"},
		{"aggregated cluster role", crHead + "metadata: {name: r}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {a: b}}]}\n"},
		{"binding with no subjects", goodCR + crbHead + "metadata: {name: b}\n" + crRef},
		{"namespace on a cluster role is ignored", crHead + "metadata: {name: r, namespace: x}\n"},
		{"core group", crHead + "metadata: {name: r}\nrules: [{apiGroups: [\"\"], resources: [pods], verbs: [get]}]\n"},
		{"roleRef without apiGroup", goodCR + crbHead + "metadata: {name: b}\nroleRef: {kind: ClusterRole, name: r}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseRBAC(RBACSource{Name: "ok.yaml", Data: []byte(tc.doc)}); err != nil {
				t.Errorf("ParseRBAC: %v", err)
			}
		})
	}
}

func TestLoadRBACMissingFile(t *testing.T) {
	_, err := LoadRBAC("testdata/rbac-seed.yaml", "testdata/no-such-file.yaml")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "testdata/no-such-file.yaml") {
		t.Errorf("got %v, want a not-exist error naming the file", err)
	}
}

func FuzzParseRBAC(f *testing.F) {
	f.Add([]byte(goodCR + crbHead + "metadata: {name: b}\nsubjects: [{kind: User, name: u}]\n" + crRef))
	f.Add([]byte(goodRole + rbHead + "metadata: {name: b, namespace: ns}\nsubjects: [{kind: ServiceAccount, name: s}]\nroleRef: {kind: Role, name: r}\n"))
	f.Add([]byte("kind: List\napiVersion: v1\nitems: [{kind: ClusterRole, apiVersion: rbac.authorization.k8s.io/v1alpha1, metadata: {name: a}}]\n"))
	f.Add([]byte("a: &x [*x, *x]\n"))
	f.Add([]byte("kind: ClusterRole\n  metadata: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRBAC(RBACSource{Name: "fuzz.yaml", Data: data})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		// Whatever loaded must evaluate without panicking.
		for _, a := range []Attributes{
			{User: User{Name: "u", Groups: []string{"g"}}, Verb: "get", APIGroup: "x", Resource: "y", Name: "n"},
			{User: User{Name: "system:serviceaccount:ns:s"}, Verb: "list", APIGroup: GroupEvident, Resource: "globalreports", Namespace: "ns"},
		} {
			if _, err := r.Authorize(t.Context(), a); err != nil {
				t.Fatal(err)
			}
		}
	})
}
