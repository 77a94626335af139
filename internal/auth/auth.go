package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Well-known API groups and user groups.
const (
	// GroupEvident is the API group of Evident's own resources.
	GroupEvident = "evident.dev"
	// GroupCalico is the API group Calico uses for the same resources.
	GroupCalico = "projectcalico.org"
	// GroupRBAC is the API group of Roles, ClusterRoles and their bindings.
	GroupRBAC = "rbac.authorization.k8s.io"

	// GroupMasters is the user group that is allowed everything.
	GroupMasters = "system:masters"
	// GroupAuthenticated holds every authenticated user.
	GroupAuthenticated = "system:authenticated"
	// GroupServiceAccounts holds every service account.
	GroupServiceAccounts = "system:serviceaccounts"

	// serviceAccountPrefix starts the user name of a service account:
	// system:serviceaccount:<namespace>:<name>.
	serviceAccountPrefix = "system:serviceaccount:"
)

// User is an authenticated caller.
type User struct {
	Name   string
	UID    string
	Groups []string
}

// InGroup reports whether u is a member of group.
func (u User) InGroup(group string) bool {
	for _, g := range u.Groups {
		if g == group {
			return true
		}
	}
	return false
}

// Authenticator turns a bearer token into a user. ok=false means the token
// does not authenticate anyone (HTTP 401); a non-nil error means the
// authenticator could not decide (HTTP 503).
type Authenticator interface {
	AuthenticateToken(ctx context.Context, token string) (u User, ok bool, err error)
}

// Attributes describe one request to authorise. Namespace is empty for
// cluster-scoped resources and Name is empty for requests on a collection
// (list, watch, create).
type Attributes struct {
	User        User
	Verb        string
	APIGroup    string
	Resource    string
	Subresource string
	Namespace   string
	Name        string
}

// Decision is the answer of an Authorizer. Reason explains it for logs; it
// may contain request attributes and is not meant for the caller.
type Decision struct {
	Allowed bool
	Reason  string
}

// Authorizer decides whether a request is allowed. A non-nil error means it
// could not decide (HTTP 503).
type Authorizer interface {
	Authorize(ctx context.Context, a Attributes) (Decision, error)
}

// Allowed reports whether authz lets u perform verb on a resource of group.
// resource may name a subresource as "resource/subresource"; name is empty
// for requests on a collection. The resource is taken as cluster-scoped.
func Allowed(ctx context.Context, authz Authorizer, u User, verb, group, resource, name string) (bool, error) {
	res, sub, _ := strings.Cut(resource, "/")
	d, err := authz.Authorize(ctx, Attributes{
		User: u, Verb: verb, APIGroup: group, Resource: res, Subresource: sub, Name: name,
	})
	if err != nil {
		return false, err
	}
	return d.Allowed, nil
}

// Chain is an Authenticator that asks each of its members in order and
// returns the first user one of them authenticates. When none does and some
// failed, it returns their errors.
type Chain []Authenticator

var _ Authenticator = Chain(nil)

// AuthenticateToken implements Authenticator.
func (c Chain) AuthenticateToken(ctx context.Context, token string) (User, bool, error) {
	var errs []error
	for _, a := range c {
		u, ok, err := a.AuthenticateToken(ctx, token)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			return u, true, nil
		}
	}
	return User{}, false, errors.Join(errs...)
}

// Union is an Authorizer that allows a request when any of its members
// allows it. When none does and some failed, it returns their errors.
type Union []Authorizer

var _ Authorizer = Union(nil)

// Authorize implements Authorizer.
func (u Union) Authorize(ctx context.Context, a Attributes) (Decision, error) {
	var errs []error
	var reasons []string
	for _, az := range u {
		d, err := az.Authorize(ctx, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if d.Allowed {
			return d, nil
		}
		if d.Reason != "" {
			reasons = append(reasons, d.Reason)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Decision{}, err
	}
	return Decision{Reason: strings.Join(reasons, "; ")}, nil
}

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header. The scheme is matched without regard to case.
func BearerToken(h http.Header) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

type userKey struct{}

// WithUser returns a copy of ctx that carries u.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the user stored in ctx by WithUser.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}
