package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// RBAC is an Authorizer that evaluates Kubernetes RBAC manifests locally.
// Create it with LoadRBAC or ParseRBAC; it is safe for concurrent use.
type RBAC struct {
	clusterRoles map[string]namedRules
	roles        map[roleKey]namedRules
	cluster      []binding            // ClusterRoleBindings
	namespaced   map[string][]binding // RoleBindings by namespace
}

var _ Authorizer = (*RBAC)(nil)

type roleKey struct{ namespace, name string }

type namedRules struct {
	name  string
	rules []rbacv1.PolicyRule
}

// binding is a RoleBinding or ClusterRoleBinding with the rules of its role.
type binding struct {
	desc     string
	subjects []rbacv1.Subject
	rules    []rbacv1.PolicyRule
}

// calicoAliased reports whether a resource exists in both evident.dev and
// projectcalico.org, so that a projectcalico.org rule also grants it in
// evident.dev.
func calicoAliased(resource string) bool {
	switch resource {
	case "globalreports", "globalreporttypes", "globalalerts":
		return true
	}
	return false
}

// Authorize implements Authorizer. It allows members of system:masters
// everything; otherwise a request is allowed when a ClusterRoleBinding, or a
// RoleBinding in the request's namespace, binds the user to a role with a
// rule that allows it.
func (r *RBAC) Authorize(_ context.Context, a Attributes) (Decision, error) {
	if a.User.InGroup(GroupMasters) {
		return Decision{Allowed: true, Reason: "allowed by group " + GroupMasters}, nil
	}
	groups := effectiveGroups(a.User)
	if d, ok := firstAllowing(r.cluster, a, groups); ok {
		return d, nil
	}
	if a.Namespace != "" {
		if d, ok := firstAllowing(r.namespaced[a.Namespace], a, groups); ok {
			return d, nil
		}
	}
	return Decision{Reason: "no RBAC rule allows " + describe(a)}, nil
}

func firstAllowing(bindings []binding, a Attributes, groups []string) (Decision, bool) {
	for i := range bindings {
		b := &bindings[i]
		if !appliesTo(b.subjects, a.User.Name, groups) {
			continue
		}
		for j := range b.rules {
			if ruleAllows(&b.rules[j], a) {
				return Decision{Allowed: true, Reason: "allowed by " + b.desc}, true
			}
		}
	}
	return Decision{}, false
}

// effectiveGroups returns the user's groups plus, for a service account, the
// groups every service account and every service account of its namespace
// belong to.
func effectiveGroups(u User) []string {
	rest, ok := strings.CutPrefix(u.Name, serviceAccountPrefix)
	if !ok {
		return u.Groups
	}
	ns, name, ok := strings.Cut(rest, ":")
	if !ok || ns == "" || name == "" {
		return u.Groups
	}
	return append(slices.Clip(u.Groups), GroupServiceAccounts, GroupServiceAccounts+":"+ns)
}

func appliesTo(subjects []rbacv1.Subject, user string, groups []string) bool {
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			if s.Name == user {
				return true
			}
		case rbacv1.GroupKind:
			if slices.Contains(groups, s.Name) {
				return true
			}
		case rbacv1.ServiceAccountKind:
			if user == serviceAccountPrefix+s.Namespace+":"+s.Name {
				return true
			}
		}
	}
	return false
}

// ruleAllows reports whether one policy rule allows a resource request.
func ruleAllows(rule *rbacv1.PolicyRule, a Attributes) bool {
	return matchesWildcard(rule.Verbs, a.Verb) &&
		groupMatches(rule.APIGroups, a.APIGroup, a.Resource) &&
		resourceMatches(rule.Resources, a.Resource, a.Subresource) &&
		nameMatches(rule.ResourceNames, a.Name)
}

func matchesWildcard(list []string, v string) bool {
	for _, s := range list {
		if s == "*" || s == v {
			return true
		}
	}
	return false
}

func groupMatches(ruleGroups []string, group, resource string) bool {
	if matchesWildcard(ruleGroups, group) {
		return true
	}
	return group == GroupEvident && calicoAliased(resource) && slices.Contains(ruleGroups, GroupCalico)
}

// resourceMatches matches "*", "resource", "resource/subresource" and
// "*/subresource" entries.
func resourceMatches(ruleResources []string, resource, sub string) bool {
	combined := resource
	if sub != "" {
		combined = resource + "/" + sub
	}
	for _, rr := range ruleResources {
		if rr == "*" || rr == combined {
			return true
		}
		if sub != "" && strings.HasPrefix(rr, "*/") && rr[2:] == sub {
			return true
		}
	}
	return false
}

// nameMatches restricts a rule with resourceNames to requests that name one
// of those objects; a request on a collection carries no name.
func nameMatches(names []string, name string) bool {
	if len(names) == 0 {
		return true
	}
	return name != "" && slices.Contains(names, name)
}

// describe renders a request for a decision's reason.
func describe(a Attributes) string {
	var b strings.Builder
	fmt.Fprintf(&b, "user %q to %s %s", a.User.Name, a.Verb, a.Resource)
	if a.Subresource != "" {
		b.WriteString("/" + a.Subresource)
	}
	if a.Name != "" {
		fmt.Fprintf(&b, " %q", a.Name)
	}
	group := a.APIGroup
	if group == "" {
		group = "core"
	}
	fmt.Fprintf(&b, " in group %s", group)
	if a.Namespace != "" {
		fmt.Fprintf(&b, " in namespace %q", a.Namespace)
	}
	return b.String()
}
