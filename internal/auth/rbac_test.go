package auth

import (
	"fmt"
	"strings"
	"testing"
)

// request is a compact form of Attributes for tables:
// "verb group resource[/sub] [namespace/]name"; "-" leaves a part empty.
func request(t *testing.T, u User, s string) Attributes {
	t.Helper()
	f := strings.Fields(s)
	if len(f) < 3 || len(f) > 4 {
		t.Fatalf("bad request %q", s)
	}
	dash := func(v string) string {
		if v == "-" {
			return ""
		}
		return v
	}
	a := Attributes{User: u, Verb: f[0], APIGroup: dash(f[1])}
	a.Resource, a.Subresource, _ = strings.Cut(f[2], "/")
	if len(f) == 4 {
		if ns, name, ok := strings.Cut(f[3], "/"); ok {
			a.Namespace, a.Name = ns, dash(name)
		} else {
			a.Name = dash(f[3])
		}
	}
	return a
}

func loadRBAC(t *testing.T, paths ...string) *RBAC {
	t.Helper()
	r, err := LoadRBAC(paths...)
	if err != nil {
		t.Fatalf("LoadRBAC: %v", err)
	}
	return r
}

type authzCase struct {
	user  User
	req   string
	allow bool
}

func runAuthz(t *testing.T, az Authorizer, cases []authzCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.user.Name+" "+tc.req, func(t *testing.T) {
			d, err := az.Authorize(t.Context(), request(t, tc.user, tc.req))
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if d.Allowed != tc.allow {
				t.Errorf("Allowed = %v, want %v (reason %q)", d.Allowed, tc.allow, d.Reason)
			}
			if d.Reason == "" {
				t.Error("empty reason")
			}
		})
	}
}

// TestSeedRBAC evaluates the seed's report-permission example for paul,
// candice and david in both Evident's and Calico's API group.
func TestSeedRBAC(t *testing.T) {
	r := loadRBAC(t, "testdata/rbac-seed.yaml")
	paul, candice, david := User{Name: "paul"}, User{Name: "candice"}, User{Name: "david"}
	eve := User{Name: "eve", Groups: []string{GroupAuthenticated}}
	type row struct {
		user  User
		req   string // without the group
		allow bool
	}
	rows := []row{
		// paul manages report configuration.
		{paul, "list globalreports", true},
		{paul, "watch globalreports", true},
		{paul, "get globalreports weekly", true},
		{paul, "create globalreports", true},
		{paul, "update globalreports weekly", true},
		{paul, "patch globalreports weekly", true},
		{paul, "delete globalreports weekly", true},
		{paul, "deletecollection globalreports", true},
		{paul, "get globalreports/status weekly", true},
		{paul, "list globalreports/status", true},
		{paul, "watch globalreports/status", true},
		{paul, "update globalreports/status weekly", false},
		{paul, "patch globalreports/status weekly", false},
		{paul, "get globalreporttypes inventory", false},
		{paul, "list globalreporttypes", false},
		{paul, "get globalalerts a", false},
		// candice lists and downloads every report.
		{candice, "list globalreports", true},
		{candice, "get globalreports weekly", true},
		{candice, "get globalreports dev-inventory", true},
		{candice, "get globalreporttypes inventory", true},
		{candice, "get globalreporttypes dev-inventory", true},
		{candice, "watch globalreports", false},
		{candice, "create globalreports", false},
		{candice, "delete globalreports weekly", false},
		{candice, "get globalreports/status weekly", false},
		{candice, "list globalreporttypes", false},
		// david lists reports and downloads only dev-inventory.
		{david, "list globalreports", true},
		{david, "get globalreports dev-inventory", true},
		{david, "get globalreports weekly", false},
		{david, "get globalreports -", false},
		{david, "get globalreporttypes dev-inventory", true},
		{david, "get globalreporttypes inventory", false},
		{david, "list globalreporttypes", false},
		{david, "update globalreports dev-inventory", false},
		{david, "get globalreports/status dev-inventory", false},
		// Nobody else gets anything.
		{eve, "list globalreports", false},
		{eve, "get globalreports dev-inventory", false},
		{User{}, "list globalreports", false},
	}
	var cases []authzCase
	for _, group := range []string{GroupEvident, GroupCalico} {
		for _, r := range rows {
			verb, rest, _ := strings.Cut(r.req, " ")
			cases = append(cases, authzCase{r.user, verb + " " + group + " " + rest, r.allow})
		}
	}
	// Grants in projectcalico.org reach no other group.
	cases = append(cases,
		authzCase{paul, "list - globalreports", false},
		authzCase{paul, "list example.com globalreports", false},
		authzCase{candice, "get crd.projectcalico.org globalreports weekly", false},
	)
	runAuthz(t, r, cases)
}

func TestRBACFeatures(t *testing.T) {
	r := loadRBAC(t, "testdata/rbac-features.yaml")
	admin := User{Name: "alice", Groups: []string{"evident-admins"}}
	sally, nina, rita := User{Name: "sally"}, User{Name: "nina"}, User{Name: "rita"}
	sa := func(ns, name string, groups ...string) User {
		return User{Name: "system:serviceaccount:" + ns + ":" + name, Groups: groups}
	}
	runAuthz(t, r, []authzCase{
		// Wildcard verbs and resources, limited to one group.
		{admin, "delete evident.dev globalalerts x", true},
		{admin, "create evident.dev auditevents", true},
		{admin, "get evident.dev globalreports/status weekly", true},
		{admin, "list evident.dev auditlogs team-a/-", true},
		{admin, "get projectcalico.org globalreports weekly", false},
		{admin, "get - pods team-a/web", false},
		// */status matches any resource's status in any group, and nothing else.
		{sally, "get evident.dev globalreports/status weekly", true},
		{sally, "get - pods/status team-a/web", true},
		{sally, "get evident.dev globalreports weekly", false},
		{sally, "get - pods/log team-a/web", false},
		{sally, "update evident.dev globalreports/status weekly", false},
		// resource/* is no wildcard.
		{sally, "delete projectcalico.org globalreports/status weekly", false},
		{sally, "delete projectcalico.org globalreports weekly", false},
		// A RoleBinding to a ClusterRole grants in its namespace only; the
		// role's nonResourceURLs rule grants no resource.
		{nina, "list evident.dev auditlogs team-a/-", true},
		{nina, "get evident.dev auditlogs team-a/e1", true},
		{nina, "list evident.dev auditlogs team-b/-", false},
		{nina, "list evident.dev auditlogs", false},
		{nina, "get - state", false},
		// Roles with subresources; service accounts by user name and group.
		{sa("team-a", "builder"), "get - pods team-a/web", true},
		{sa("team-a", "builder"), "get - pods/log team-a/web", true},
		{sa("team-a", "builder"), "get - pods/exec team-a/web", false},
		{sa("team-a", "builder"), "get - pods team-b/web", false},
		{sa("tools", "ci"), "list - pods team-a/-", true},
		{sa("team-a", "ci"), "list - pods team-a/-", false},
		{sa("ops", "anyone"), "list - pods team-a/-", true},
		{User{Name: "ops-person", Groups: []string{"system:serviceaccounts:ops"}}, "list - pods team-a/-", true},
		{User{Name: "system:serviceaccount:ops"}, "list - pods team-a/-", false},
		{sa("kube-system", "forwarder"), "create evident.dev auditevents", true},
		{User{Name: "forwarder"}, "create evident.dev auditevents", false},
		// v1alpha1 in a List: a Group subject for every service account.
		{sa("team-a", "builder"), "list evident.dev globalreports", true},
		{sa("x", "y"), "list projectcalico.org globalreports", true},
		{User{Name: "system:serviceaccount::y"}, "list projectcalico.org globalreports", false},
		{User{Name: "nobody"}, "list projectcalico.org globalreports", false},
		// resourceNames restrict to named requests: never list or watch.
		{rita, "get evident.dev globalreports weekly", true},
		{rita, "watch evident.dev globalreports weekly", true},
		{rita, "get evident.dev globalreports daily", false},
		{rita, "list evident.dev globalreports", false},
		{rita, "watch evident.dev globalreports", false},
	})
}

func TestRBACSystemMasters(t *testing.T) {
	r := loadRBAC(t) // no files at all
	root := User{Name: "root", Groups: []string{"x", GroupMasters}}
	runAuthz(t, r, []authzCase{
		{root, "delete evident.dev globalreports weekly", true},
		{root, "create evident.dev auditevents", true},
		{root, "escalate rbac.authorization.k8s.io clusterroles admin", true},
		{User{Name: GroupMasters}, "get evident.dev globalreports weekly", false},
		{User{Name: "alice", Groups: []string{"system:master"}}, "get evident.dev globalreports weekly", false},
	})
}

// TestRBACCalicoAlias checks that projectcalico.org rules reach only
// Evident's own resources in evident.dev, however broad they are.
func TestRBACCalicoAlias(t *testing.T) {
	r, err := ParseRBAC(RBACSource{Name: "calico.yaml", Data: []byte(`
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: calico-admin}
rules:
- apiGroups: [projectcalico.org]
  resources: ["*"]
  verbs: ["*"]
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: calico-admin}
subjects: [{kind: User, name: carl}]
roleRef: {kind: ClusterRole, name: calico-admin, apiGroup: rbac.authorization.k8s.io}
`)})
	if err != nil {
		t.Fatal(err)
	}
	carl := User{Name: "carl"}
	runAuthz(t, r, []authzCase{
		{carl, "get projectcalico.org networkpolicies ns/p", true},
		{carl, "delete evident.dev globalreports weekly", true},
		{carl, "update evident.dev globalreports/status weekly", true},
		{carl, "create evident.dev globalreporttypes", true},
		{carl, "list evident.dev globalalerts", true},
		{carl, "create evident.dev auditevents", false},
		{carl, "list evident.dev auditlogs", false},
		{carl, "get evident.dev networkpolicies ns/p", false},
	})
}

// TestRBACV1beta1 loads the same grant under each accepted apiVersion.
func TestRBACVersions(t *testing.T) {
	for _, v := range []string{"v1", "v1beta1", "v1alpha1"} {
		t.Run(v, func(t *testing.T) {
			doc := fmt.Sprintf(`{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/%[1]s",
"metadata":{"name":"r"},"rules":[{"apiGroups":["evident.dev"],"resources":["globalreports"],"verbs":["get"]}]}
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/%[1]s
metadata: {name: b}
subjects: [{kind: Group, name: readers}]
roleRef: {kind: ClusterRole, name: r}
`, v)
			r, err := ParseRBAC(RBACSource{Name: "v.yaml", Data: []byte(doc)})
			if err != nil {
				t.Fatal(err)
			}
			runAuthz(t, r, []authzCase{
				{User{Name: "x", Groups: []string{"readers"}}, "get evident.dev globalreports a", true},
				{User{Name: "readers"}, "get evident.dev globalreports a", false},
			})
		})
	}
}

func TestRBACReasons(t *testing.T) {
	r := loadRBAC(t, "testdata/rbac-seed.yaml", "testdata/rbac-features.yaml")
	tests := []struct {
		a    Attributes
		want string
	}{
		{
			Attributes{User: User{Name: "david"}, Verb: "get", APIGroup: GroupEvident, Resource: "globalreports", Name: "dev-inventory"},
			`allowed by ClusterRoleBinding "tigera-compliance-list-download-dev-inventory" of ClusterRole "tigera-compliance-list-download-dev-inventory"`,
		},
		{
			Attributes{User: User{Name: "nina"}, Verb: "list", APIGroup: GroupEvident, Resource: "auditlogs", Namespace: "team-a"},
			`allowed by RoleBinding "nina-reads-team-a" in namespace "team-a" of ClusterRole "auditlog-reader"`,
		},
		{
			Attributes{User: User{Name: "david"}, Verb: "get", APIGroup: GroupEvident, Resource: "globalreports", Subresource: "status", Name: "weekly"},
			`no RBAC rule allows user "david" to get globalreports/status "weekly" in group evident.dev`,
		},
		{
			Attributes{User: User{Name: "nina"}, Verb: "get", Resource: "pods", Namespace: "team-b", Name: "web"},
			`no RBAC rule allows user "nina" to get pods "web" in group core in namespace "team-b"`,
		},
		{
			Attributes{User: User{Name: "root", Groups: []string{GroupMasters}}, Verb: "get"},
			`allowed by group system:masters`,
		},
	}
	for _, tc := range tests {
		d, err := r.Authorize(t.Context(), tc.a)
		if err != nil {
			t.Fatal(err)
		}
		if d.Reason != tc.want {
			t.Errorf("Reason = %q, want %q", d.Reason, tc.want)
		}
	}
}

func BenchmarkRBACAuthorize(b *testing.B) {
	r, err := LoadRBAC("testdata/rbac-seed.yaml", "testdata/rbac-features.yaml")
	if err != nil {
		b.Fatal(err)
	}
	a := Attributes{User: User{Name: "david", Groups: []string{GroupAuthenticated}}, Verb: "get",
		APIGroup: GroupEvident, Resource: "globalreports", Name: "weekly"}
	for b.Loop() {
		if _, err := r.Authorize(b.Context(), a); err != nil {
			b.Fatal(err)
		}
	}
}
