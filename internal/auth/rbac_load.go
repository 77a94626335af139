package auth

import (
	"errors"
	"fmt"
	"os"

	rbacv1 "k8s.io/api/rbac/v1"
)

// RBACSource is one file of RBAC manifests held in memory.
type RBACSource struct {
	Name string // used in errors, usually the file name
	Data []byte
}

// LoadRBAC reads Role, ClusterRole, RoleBinding and ClusterRoleBinding
// manifests (multi-document YAML or JSON, also as List kinds) from the given
// files and returns an authorizer that evaluates them. Bindings may refer to
// roles defined in any of the files.
func LoadRBAC(paths ...string) (*RBAC, error) {
	srcs := make([]RBACSource, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("load RBAC: %w", err)
		}
		srcs = append(srcs, RBACSource{Name: p, Data: data})
	}
	return ParseRBAC(srcs...)
}

// ParseRBAC is LoadRBAC for manifests already in memory.
func ParseRBAC(srcs ...RBACSource) (*RBAC, error) {
	var objs []object
	for _, src := range srcs {
		got, err := decodeFile(src.Name, src.Data)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}

	r := &RBAC{
		clusterRoles: map[string]namedRules{},
		roles:        map[roleKey]namedRules{},
		namespaced:   map[string][]binding{},
	}
	seen := map[string]string{} // "kind namespace/name" → where
	for _, o := range objs {
		if o.role == nil {
			continue
		}
		if err := checkUnique(seen, o, o.role.Metadata.Namespace, o.role.Metadata.Name); err != nil {
			return nil, err
		}
		if err := r.addRole(o); err != nil {
			return nil, err
		}
	}
	for _, o := range objs {
		if o.binding == nil {
			continue
		}
		if err := checkUnique(seen, o, o.binding.Metadata.Namespace, o.binding.Metadata.Name); err != nil {
			return nil, err
		}
		if err := r.addBinding(o); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// checkUnique rejects a second object of the same kind, namespace and name.
func checkUnique(seen map[string]string, o object, namespace, name string) error {
	if o.kind == kindClusterRole || o.kind == kindClusterRoleBinding {
		namespace = ""
	}
	key := o.kind + " " + namespace + "/" + name
	if prev, ok := seen[key]; ok {
		return fmt.Errorf("%s: %s %q is also defined at %s", o.where, o.kind, name, prev)
	}
	seen[key] = o.where
	return nil
}

// addRole validates a Role or ClusterRole and records its rules.
func (r *RBAC) addRole(o object) error {
	md := o.role.Metadata
	if md.Name == "" {
		return fmt.Errorf("%s: %s has no metadata.name", o.where, o.kind)
	}
	namespaced := o.kind == kindRole
	if namespaced && md.Namespace == "" {
		return fmt.Errorf("%s: Role %q has no metadata.namespace", o.where, md.Name)
	}
	for i, rule := range o.role.Rules {
		if err := validateRule(rule, namespaced); err != nil {
			return fmt.Errorf("%s: %s %q: rules[%d]: %w", o.where, o.kind, md.Name, i, err)
		}
	}
	nr := namedRules{name: md.Name, rules: o.role.Rules}
	if namespaced {
		r.roles[roleKey{md.Namespace, md.Name}] = nr
	} else {
		r.clusterRoles[md.Name] = nr
	}
	return nil
}

// validateRule applies the API server's checks on a policy rule.
func validateRule(rule rbacv1.PolicyRule, namespaced bool) error {
	if len(rule.Verbs) == 0 {
		return errors.New("no verbs")
	}
	if len(rule.NonResourceURLs) > 0 {
		if namespaced {
			return errors.New("a Role cannot grant nonResourceURLs")
		}
		if len(rule.APIGroups) > 0 || len(rule.Resources) > 0 || len(rule.ResourceNames) > 0 {
			return errors.New("a rule cannot grant both resources and nonResourceURLs")
		}
		return nil
	}
	if len(rule.APIGroups) == 0 {
		return errors.New(`no apiGroups (use [""] for the core group)`)
	}
	if len(rule.Resources) == 0 {
		return errors.New("no resources")
	}
	return nil
}

// addBinding validates a RoleBinding or ClusterRoleBinding and records it
// with the rules of the role it refers to.
func (r *RBAC) addBinding(o object) error {
	b := o.binding
	md := b.Metadata
	if md.Name == "" {
		return fmt.Errorf("%s: %s has no metadata.name", o.where, o.kind)
	}
	namespaced := o.kind == kindRoleBinding
	if namespaced && md.Namespace == "" {
		return fmt.Errorf("%s: RoleBinding %q has no metadata.namespace", o.where, md.Name)
	}
	if !namespaced {
		md.Namespace = ""
	}
	prefix := fmt.Sprintf("%s: %s %q", o.where, o.kind, md.Name)
	role, err := r.resolveRoleRef(b.RoleRef, md.Namespace, namespaced)
	if err != nil {
		return fmt.Errorf("%s: roleRef: %w", prefix, err)
	}
	subjects := make([]rbacv1.Subject, 0, len(b.Subjects))
	for i, s := range b.Subjects {
		subj, err := convertSubject(s, b.APIVersion, md.Namespace)
		if err != nil {
			return fmt.Errorf("%s: subjects[%d]: %w", prefix, i, err)
		}
		subjects = append(subjects, subj)
	}
	bd := binding{subjects: subjects, rules: role.rules}
	if namespaced {
		bd.desc = fmt.Sprintf("RoleBinding %q in namespace %q of %s %q", md.Name, md.Namespace, b.RoleRef.Kind, role.name)
		r.namespaced[md.Namespace] = append(r.namespaced[md.Namespace], bd)
	} else {
		bd.desc = fmt.Sprintf("ClusterRoleBinding %q of ClusterRole %q", md.Name, role.name)
		r.cluster = append(r.cluster, bd)
	}
	return nil
}

// resolveRoleRef finds the role a binding refers to.
func (r *RBAC) resolveRoleRef(ref rbacv1.RoleRef, namespace string, namespaced bool) (namedRules, error) {
	if ref.APIGroup != "" && ref.APIGroup != GroupRBAC {
		return namedRules{}, fmt.Errorf("apiGroup %q (want %s)", ref.APIGroup, GroupRBAC)
	}
	if ref.Name == "" {
		return namedRules{}, errors.New("no name")
	}
	switch {
	case ref.Kind == kindClusterRole:
		nr, ok := r.clusterRoles[ref.Name]
		if !ok {
			return namedRules{}, fmt.Errorf("ClusterRole %q is not defined", ref.Name)
		}
		return nr, nil
	case ref.Kind == kindRole && namespaced:
		nr, ok := r.roles[roleKey{namespace, ref.Name}]
		if !ok {
			return namedRules{}, fmt.Errorf("Role %q is not defined in namespace %q", ref.Name, namespace)
		}
		return nr, nil
	case ref.Kind == kindRole:
		return namedRules{}, errors.New("a ClusterRoleBinding can only refer to a ClusterRole")
	default:
		return namedRules{}, fmt.Errorf("kind %q (want Role or ClusterRole)", ref.Kind)
	}
}

// convertSubject validates a subject and fills in a service account's
// namespace from its RoleBinding.
func convertSubject(s subjectDoc, apiVersion, bindingNamespace string) (rbacv1.Subject, error) {
	if s.Name == "" {
		return rbacv1.Subject{}, errors.New("no name")
	}
	if s.APIVersion != "" && apiVersion != GroupRBAC+"/v1alpha1" {
		return rbacv1.Subject{}, errors.New("apiVersion is only valid in v1alpha1; use apiGroup")
	}
	out := rbacv1.Subject{Kind: s.Kind, APIGroup: s.APIGroup, Name: s.Name, Namespace: s.Namespace}
	switch s.Kind {
	case rbacv1.UserKind, rbacv1.GroupKind:
		if s.APIGroup != "" && s.APIGroup != GroupRBAC {
			return rbacv1.Subject{}, fmt.Errorf("%s has apiGroup %q (want %s)", s.Kind, s.APIGroup, GroupRBAC)
		}
		out.APIGroup = GroupRBAC
	case rbacv1.ServiceAccountKind:
		if s.APIGroup != "" {
			return rbacv1.Subject{}, fmt.Errorf("ServiceAccount has apiGroup %q (want none)", s.APIGroup)
		}
		if out.Namespace == "" {
			out.Namespace = bindingNamespace
		}
		if out.Namespace == "" {
			return rbacv1.Subject{}, fmt.Errorf("ServiceAccount %q has no namespace", s.Name)
		}
	default:
		return rbacv1.Subject{}, fmt.Errorf("kind %q (want User, Group or ServiceAccount)", s.Kind)
	}
	return out, nil
}
