package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
)

// Defaults of KubernetesOptions.
const (
	DefaultCacheTTL  = 10 * time.Second
	DefaultCacheSize = 10000
	// defaultTimeout bounds one review when the rest.Config sets no timeout.
	defaultTimeout = 10 * time.Second
)

// KubernetesOptions tune a Kubernetes authenticator and authorizer.
type KubernetesOptions struct {
	// TTL is how long an allowed decision or an authenticated token is
	// cached; 0 means DefaultCacheTTL and a negative value disables it.
	TTL time.Duration
	// NegativeTTL is the same for denials and rejected tokens.
	NegativeTTL time.Duration
	// CacheSize bounds the number of cached tokens and, separately, of
	// cached decisions; 0 means DefaultCacheSize.
	CacheSize int
	// Audiences, when set, are sent with every TokenReview, and a token
	// authenticates only if the API server confirms one of them.
	Audiences []string
	// Now is the clock used for cache expiry; nil means time.Now.
	Now func() time.Time
}

func (o KubernetesOptions) withDefaults() KubernetesOptions {
	if o.TTL == 0 {
		o.TTL = DefaultCacheTTL
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = DefaultCacheTTL
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Kubernetes authenticates tokens with the TokenReview API and authorises
// requests with the SubjectAccessReview API of a Kubernetes API server,
// caching answers briefly. Failures to reach the API server are errors and
// are not cached.
//
// For Evident's resources in evident.dev (globalreports, globalreporttypes,
// globalalerts and their subresources) a denial is followed by the same
// question in projectcalico.org, so that clusters with Calico RBAC grant the
// same access as local RBAC evaluation does.
type Kubernetes struct {
	reviews   authnclient.TokenReviewInterface
	access    authzclient.SubjectAccessReviewInterface
	opts      KubernetesOptions
	tokens    *ttlCache[[sha256.Size]byte, tokenResult]
	decisions *ttlCache[decisionKey, Decision]
}

var (
	_ Authenticator = (*Kubernetes)(nil)
	_ Authorizer    = (*Kubernetes)(nil)
)

type tokenResult struct {
	user User
	ok   bool
}

// decisionKey identifies a cached SubjectAccessReview; groups are sorted and
// joined with NUL, which cannot occur in a group name sent over JSON.
type decisionKey struct {
	user, uid, groups                                   string
	verb, group, resource, subresource, namespace, name string
}

// NewKubernetes returns a Kubernetes authenticator and authorizer for the API
// server described by cfg, with the default options. It does not contact the
// server.
func NewKubernetes(cfg *rest.Config) (*Kubernetes, error) {
	return NewKubernetesWithOptions(cfg, KubernetesOptions{})
}

// NewKubernetesWithOptions is NewKubernetes with options.
func NewKubernetesWithOptions(cfg *rest.Config, opts KubernetesOptions) (*Kubernetes, error) {
	if cfg == nil {
		return nil, fmt.Errorf("kubernetes auth: no rest config")
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	authn, err := authnclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes auth: token review client: %w", err)
	}
	authz, err := authzclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes auth: access review client: %w", err)
	}
	opts = opts.withDefaults()
	return &Kubernetes{
		reviews:   authn.TokenReviews(),
		access:    authz.SubjectAccessReviews(),
		opts:      opts,
		tokens:    newTTLCache[[sha256.Size]byte, tokenResult](opts.CacheSize, opts.Now),
		decisions: newTTLCache[decisionKey, Decision](opts.CacheSize, opts.Now),
	}, nil
}

// AuthenticateToken implements Authenticator with a TokenReview. Tokens are
// cached under their SHA-256 digest, never in clear.
func (k *Kubernetes) AuthenticateToken(ctx context.Context, token string) (User, bool, error) {
	key := sha256.Sum256([]byte(token))
	if r, ok := k.tokens.get(key); ok {
		return cloneUser(r.user), r.ok, nil
	}
	review := &authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token, Audiences: k.opts.Audiences}}
	res, err := k.reviews.Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return User{}, false, fmt.Errorf("token review: %w", err)
	}
	st := res.Status
	if !st.Authenticated || st.User.Username == "" || !audiencesMatch(k.opts.Audiences, st.Audiences) {
		k.tokens.put(key, tokenResult{}, k.opts.NegativeTTL)
		return User{}, false, nil
	}
	u := User{Name: st.User.Username, UID: st.User.UID, Groups: slices.Clone(st.User.Groups)}
	k.tokens.put(key, tokenResult{user: u, ok: true}, k.opts.TTL)
	return cloneUser(u), true, nil
}

// audiencesMatch reports whether the API server confirmed one of the wanted
// audiences; with none wanted, any answer matches.
func audiencesMatch(want, got []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, g := range got {
		if slices.Contains(want, g) {
			return true
		}
	}
	return false
}

func cloneUser(u User) User {
	u.Groups = slices.Clone(u.Groups)
	return u
}

// Authorize implements Authorizer with SubjectAccessReviews.
func (k *Kubernetes) Authorize(ctx context.Context, a Attributes) (Decision, error) {
	d, err := k.review(ctx, a)
	if err != nil || d.Allowed || a.APIGroup != GroupEvident || !calicoAliased(a.Resource) {
		return d, err
	}
	alias := a
	alias.APIGroup = GroupCalico
	ad, err := k.review(ctx, alias)
	if err != nil || ad.Allowed {
		return ad, err
	}
	return d, nil
}

// review asks one SubjectAccessReview, or answers from the cache.
func (k *Kubernetes) review(ctx context.Context, a Attributes) (Decision, error) {
	key := keyOf(a)
	if d, ok := k.decisions.get(key); ok {
		return d, nil
	}
	sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User:   a.User.Name,
		UID:    a.User.UID,
		Groups: a.User.Groups,
		ResourceAttributes: &authzv1.ResourceAttributes{
			Namespace:   a.Namespace,
			Verb:        a.Verb,
			Group:       a.APIGroup,
			Resource:    a.Resource,
			Subresource: a.Subresource,
			Name:        a.Name,
		},
	}}
	res, err := k.access.Create(ctx, sar, metav1.CreateOptions{})
	if err != nil {
		return Decision{}, fmt.Errorf("subject access review: %w", err)
	}
	st := res.Status
	d := Decision{Allowed: st.Allowed && !st.Denied, Reason: st.Reason}
	if !d.Allowed && st.EvaluationError != "" {
		d.Reason = strings.TrimPrefix(d.Reason+"; evaluation error: "+st.EvaluationError, "; ")
	}
	ttl := k.opts.TTL
	if !d.Allowed {
		ttl = k.opts.NegativeTTL
	}
	k.decisions.put(key, d, ttl)
	return d, nil
}

func keyOf(a Attributes) decisionKey {
	groups := slices.Clone(a.User.Groups)
	slices.Sort(groups)
	return decisionKey{
		user: a.User.Name, uid: a.User.UID, groups: strings.Join(groups, "\x00"),
		verb: a.Verb, group: a.APIGroup, resource: a.Resource, subresource: a.Subresource,
		namespace: a.Namespace, name: a.Name,
	}
}
