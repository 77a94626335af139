package auth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

const (
	tokenReviewPath  = "/apis/authentication.k8s.io/v1/tokenreviews"
	accessReviewPath = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
)

// fakeAPIServer speaks the TokenReview and SubjectAccessReview APIs.
// Tokens: "good" is alice, "other-audience" is valid only for "elsewhere",
// "boom" makes the server fail; every other token is rejected. Alice may get
// projectcalico.org globalreports and reports/status; user "broken" makes
// the server fail, user "partial" gets an evaluation error.
type fakeAPIServer struct {
	mu       sync.Mutex
	calls    map[string]int
	lastSpec authzv1.SubjectAccessReviewSpec
}

func (f *fakeAPIServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[r.URL.Path]++
	if r.Method != http.MethodPost {
		http.Error(w, "want POST", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case tokenReviewPath:
		var tr authnv1.TokenReview
		if !decodeBody(w, r, &tr) {
			return
		}
		switch tr.Spec.Token {
		case "boom":
			http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","code":500}`, http.StatusInternalServerError)
			return
		case "good":
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, Audiences: tr.Spec.Audiences, User: authnv1.UserInfo{
				Username: "alice", UID: "u-1", Groups: []string{"dev", GroupAuthenticated},
			}}
		case "other-audience":
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, Audiences: []string{"elsewhere"}, User: authnv1.UserInfo{Username: "bob"}}
		default:
			tr.Status = authnv1.TokenReviewStatus{Error: "[invalid bearer token, token lookup failed]"}
		}
		writeJSON(w, &tr)
	case accessReviewPath:
		var sar authzv1.SubjectAccessReview
		if !decodeBody(w, r, &sar) {
			return
		}
		f.lastSpec = sar.Spec
		ra := sar.Spec.ResourceAttributes
		switch {
		case sar.Spec.User == "broken":
			http.Error(w, "etcd is down", http.StatusServiceUnavailable)
			return
		case sar.Spec.User == "partial":
			sar.Status = authzv1.SubjectAccessReviewStatus{Reason: "no rule", EvaluationError: "role x not found"}
		case sar.Spec.User == "alice" && ra.Group == GroupCalico && ra.Resource == "globalreports" && ra.Verb == "get":
			sar.Status = authzv1.SubjectAccessReviewStatus{Allowed: true, Reason: `RBAC: allowed by ClusterRoleBinding "x"`}
		default:
			sar.Status = authzv1.SubjectAccessReviewStatus{Reason: "denied"}
		}
		writeJSON(w, &sar)
	default:
		http.NotFound(w, r)
	}
}

// decodeBody decodes a request in whichever encoding client-go chose
// (protobuf by default, or JSON).
func decodeBody(w http.ResponseWriter, r *http.Request, into runtime.Object) bool {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		_, _, err = scheme.Codecs.UniversalDeserializer().Decode(body, nil, into)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeAPIServer) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func (f *fakeAPIServer) spec() authzv1.SubjectAccessReviewSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastSpec
}

// fakeClock is a settable clock for cache expiry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newFakeKubernetes(t *testing.T, opts KubernetesOptions) (*Kubernetes, *fakeAPIServer, *fakeClock) {
	t.Helper()
	api := &fakeAPIServer{calls: map[string]int{}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	opts.Now = clock.Now
	k, err := NewKubernetesWithOptions(&rest.Config{Host: srv.URL}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return k, api, clock
}

func TestKubernetesAuthenticate(t *testing.T) {
	k, api, clock := newFakeKubernetes(t, KubernetesOptions{})
	ctx := t.Context()
	calls := func() int { return api.count(tokenReviewPath) }

	u, ok, err := k.AuthenticateToken(ctx, "good")
	want := User{Name: "alice", UID: "u-1", Groups: []string{"dev", GroupAuthenticated}}
	if err != nil || !ok {
		t.Fatalf("good token: ok=%v err=%v", ok, err)
	}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	u.Groups[0] = GroupMasters // must not reach the cache
	if u, _, _ := k.AuthenticateToken(ctx, "good"); calls() != 1 || u.InGroup(GroupMasters) {
		t.Errorf("second lookup: %d reviews, groups %v; want 1 review and the original groups", calls(), u.Groups)
	}
	clock.Advance(DefaultCacheTTL)
	if _, ok, _ := k.AuthenticateToken(ctx, "good"); !ok || calls() != 2 {
		t.Errorf("after the TTL: ok=%v with %d reviews, want a fresh review", ok, calls())
	}

	// A rejected token is a decision, cached like one.
	for range 2 {
		if _, ok, err := k.AuthenticateToken(ctx, "bad"); ok || err != nil {
			t.Errorf("bad token: ok=%v err=%v, want not authenticated", ok, err)
		}
	}
	if calls() != 3 {
		t.Errorf("%d reviews, want 3: the rejection is cached", calls())
	}

	// Failures are errors and are not cached.
	for i := range 2 {
		_, ok, err := k.AuthenticateToken(ctx, "boom")
		if ok || err == nil {
			t.Errorf("failing server: ok=%v err=%v, want an error", ok, err)
		}
		if err != nil && strings.Contains(err.Error(), "boom") {
			t.Errorf("error reveals the token: %v", err)
		}
		if calls() != 4+i {
			t.Errorf("%d reviews, want %d: failures are not cached", calls(), 4+i)
		}
	}
}

func TestKubernetesAudiences(t *testing.T) {
	k, _, _ := newFakeKubernetes(t, KubernetesOptions{Audiences: []string{"evident"}})
	if _, ok, err := k.AuthenticateToken(t.Context(), "good"); !ok || err != nil {
		t.Errorf("token for our audience: ok=%v err=%v", ok, err)
	}
	if _, ok, err := k.AuthenticateToken(t.Context(), "other-audience"); ok || err != nil {
		t.Errorf("token for another audience: ok=%v err=%v, want not authenticated", ok, err)
	}
}

func TestKubernetesAuthorize(t *testing.T) {
	k, api, clock := newFakeKubernetes(t, KubernetesOptions{})
	ctx := t.Context()
	alice := User{Name: "alice", UID: "u-1", Groups: []string{"dev"}}
	calls := func() int { return api.count(accessReviewPath) }

	a := Attributes{User: alice, Verb: "get", APIGroup: GroupCalico, Resource: "globalreports",
		Subresource: "status", Namespace: "ns", Name: "weekly"}
	if _, err := k.Authorize(ctx, a); err != nil {
		t.Fatal(err)
	}
	wantSpec := authzv1.SubjectAccessReviewSpec{User: "alice", UID: "u-1", Groups: []string{"dev"},
		ResourceAttributes: &authzv1.ResourceAttributes{Namespace: "ns", Verb: "get", Group: GroupCalico,
			Resource: "globalreports", Subresource: "status", Name: "weekly"}}
	if diff := cmp.Diff(wantSpec, api.spec()); diff != "" {
		t.Errorf("review spec (-want +got):\n%s", diff)
	}

	tests := []struct {
		name      string
		a         Attributes
		allow     bool
		reason    string
		newCalls  int
		wantError bool
	}{
		{"allowed", Attributes{User: alice, Verb: "get", APIGroup: GroupCalico, Resource: "globalreports", Name: "w"},
			true, `RBAC: allowed by ClusterRoleBinding "x"`, 1, false},
		{"cached", Attributes{User: alice, Verb: "get", APIGroup: GroupCalico, Resource: "globalreports", Name: "w"},
			true, `RBAC: allowed by ClusterRoleBinding "x"`, 0, false},
		{"two groups", Attributes{User: User{Name: "alice", Groups: []string{"dev", "ops"}},
			Verb: "get", APIGroup: GroupCalico, Resource: "globalreports", Name: "w"}, true, `RBAC: allowed by ClusterRoleBinding "x"`, 1, false},
		{"same groups in another order", Attributes{User: User{Name: "alice", Groups: []string{"ops", "dev"}},
			Verb: "get", APIGroup: GroupCalico, Resource: "globalreports", Name: "w"}, true, `RBAC: allowed by ClusterRoleBinding "x"`, 0, false},
		{"denied", Attributes{User: alice, Verb: "delete", APIGroup: GroupCalico, Resource: "globalreports", Name: "w"},
			false, "denied", 1, false},
		{"evident.dev falls back to projectcalico.org", Attributes{User: alice, Verb: "get", APIGroup: GroupEvident, Resource: "globalreports", Name: "v"},
			true, `RBAC: allowed by ClusterRoleBinding "x"`, 2, false},
		{"fallback cached", Attributes{User: alice, Verb: "get", APIGroup: GroupEvident, Resource: "globalreports", Name: "v"},
			true, `RBAC: allowed by ClusterRoleBinding "x"`, 0, false},
		{"denied in both groups", Attributes{User: alice, Verb: "list", APIGroup: GroupEvident, Resource: "globalalerts"},
			false, "denied", 2, false},
		{"no fallback for other resources", Attributes{User: alice, Verb: "create", APIGroup: GroupEvident, Resource: "auditevents"},
			false, "denied", 1, false},
		{"evaluation error", Attributes{User: User{Name: "partial"}, Verb: "get", APIGroup: "x", Resource: "y"},
			false, "no rule; evaluation error: role x not found", 1, false},
		{"server failure", Attributes{User: User{Name: "broken"}, Verb: "get", APIGroup: "x", Resource: "y"},
			false, "", 1, true},
		{"failure not cached", Attributes{User: User{Name: "broken"}, Verb: "get", APIGroup: "x", Resource: "y"},
			false, "", 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := calls()
			d, err := k.Authorize(ctx, tc.a)
			if (err != nil) != tc.wantError {
				t.Fatalf("err = %v, want error %v", err, tc.wantError)
			}
			if d != (Decision{Allowed: tc.allow, Reason: tc.reason}) {
				t.Errorf("decision = %+v, want allowed=%v reason %q", d, tc.allow, tc.reason)
			}
			if got := calls() - before; got != tc.newCalls {
				t.Errorf("%d reviews, want %d", got, tc.newCalls)
			}
		})
	}

	before := calls()
	clock.Advance(DefaultCacheTTL - time.Nanosecond)
	if ok, _ := Allowed(ctx, k, alice, "get", GroupCalico, "globalreports", "w"); !ok || calls() != before {
		t.Errorf("within the TTL: allowed=%v with %d new reviews, want cached", ok, calls()-before)
	}
	clock.Advance(time.Nanosecond)
	if ok, _ := Allowed(ctx, k, alice, "get", GroupCalico, "globalreports", "w"); !ok || calls() != before+1 {
		t.Errorf("after the TTL: allowed=%v with %d new reviews, want 1", ok, calls()-before)
	}
}

func TestKubernetesCacheBounded(t *testing.T) {
	k, api, _ := newFakeKubernetes(t, KubernetesOptions{CacheSize: 2})
	ask := func(name string) {
		t.Helper()
		if _, err := k.Authorize(t.Context(), Attributes{User: User{Name: "u"}, Verb: "get", APIGroup: "x", Resource: "y", Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	ask("a")
	ask("b")
	ask("c") // evicts a, the least recently used
	ask("b")
	ask("c")
	if got := api.count(accessReviewPath); got != 3 {
		t.Errorf("%d reviews, want 3", got)
	}
	ask("a")
	if got := api.count(accessReviewPath); got != 4 {
		t.Errorf("%d reviews, want 4: a was evicted", got)
	}
	if n := k.decisions.len(); n != 2 {
		t.Errorf("cache holds %d decisions, want 2", n)
	}
}

func TestKubernetesNoCache(t *testing.T) {
	k, api, _ := newFakeKubernetes(t, KubernetesOptions{TTL: -1, NegativeTTL: -1})
	for range 2 {
		if _, ok, _ := k.AuthenticateToken(t.Context(), "good"); !ok {
			t.Fatal("good token rejected")
		}
	}
	if got := api.count(tokenReviewPath); got != 2 {
		t.Errorf("%d reviews, want 2 with caching disabled", got)
	}
}

func TestNewKubernetes(t *testing.T) {
	if _, err := NewKubernetes(nil); err == nil {
		t.Error("NewKubernetes(nil) succeeded")
	}
	if _, err := NewKubernetes(&rest.Config{Host: "https://127.0.0.1:1"}); err != nil {
		t.Errorf("NewKubernetes: %v", err)
	}
}
