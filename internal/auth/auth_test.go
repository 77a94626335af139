package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stub answers every question the same way.
type stub struct {
	user    User
	ok      bool
	allowed bool
	reason  string
	err     error
	calls   int
}

func (s *stub) AuthenticateToken(context.Context, string) (User, bool, error) {
	s.calls++
	return s.user, s.ok, s.err
}

func (s *stub) Authorize(context.Context, Attributes) (Decision, error) {
	s.calls++
	return Decision{Allowed: s.allowed, Reason: s.reason}, s.err
}

func TestChain(t *testing.T) {
	errDown := errors.New("down")
	alice := User{Name: "alice"}
	tests := []struct {
		name    string
		members []*stub
		want    User
		wantOK  bool
		wantErr bool
		calls   []int
	}{
		{"empty", nil, User{}, false, false, nil},
		{"first wins", []*stub{{user: alice, ok: true}, {user: User{Name: "bob"}, ok: true}}, alice, true, false, []int{1, 0}},
		{"falls through", []*stub{{}, {user: alice, ok: true}}, alice, true, false, []int{1, 1}},
		{"error then success", []*stub{{err: errDown}, {user: alice, ok: true}}, alice, true, false, []int{1, 1}},
		{"error and rejection", []*stub{{err: errDown}, {}}, User{}, false, true, []int{1, 1}},
		{"all reject", []*stub{{}, {}}, User{}, false, false, []int{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Chain
			for _, m := range tc.members {
				c = append(c, m)
			}
			u, ok, err := c.AuthenticateToken(t.Context(), "t")
			if ok != tc.wantOK || (err != nil) != tc.wantErr {
				t.Fatalf("ok=%v err=%v, want ok=%v error=%v", ok, err, tc.wantOK, tc.wantErr)
			}
			if tc.wantErr && !errors.Is(err, errDown) {
				t.Errorf("error %v does not wrap the member's", err)
			}
			if diff := cmp.Diff(tc.want, u); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
			for i, m := range tc.members {
				if m.calls != tc.calls[i] {
					t.Errorf("member %d called %d times, want %d", i, m.calls, tc.calls[i])
				}
			}
		})
	}
}

func TestUnion(t *testing.T) {
	errDown := errors.New("down")
	tests := []struct {
		name    string
		members []*stub
		want    Decision
		wantErr bool
	}{
		{"empty", nil, Decision{}, false},
		{"any allows", []*stub{{reason: "no"}, {allowed: true, reason: "yes"}}, Decision{Allowed: true, Reason: "yes"}, false},
		{"error then allow", []*stub{{err: errDown}, {allowed: true, reason: "yes"}}, Decision{Allowed: true, Reason: "yes"}, false},
		{"all deny", []*stub{{reason: "no"}, {}, {reason: "nope"}}, Decision{Reason: "no; nope"}, false},
		{"deny and error", []*stub{{reason: "no"}, {err: errDown}}, Decision{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var u Union
			for _, m := range tc.members {
				u = append(u, m)
			}
			d, err := u.Authorize(t.Context(), Attributes{})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if d != tc.want {
				t.Errorf("decision = %+v, want %+v", d, tc.want)
			}
		})
	}
}

// recorder captures the attributes it is asked about.
type recorder struct{ got Attributes }

func (r *recorder) Authorize(_ context.Context, a Attributes) (Decision, error) {
	r.got = a
	return Decision{Allowed: a.Name == "yes"}, nil
}

func TestAllowed(t *testing.T) {
	u := User{Name: "paul"}
	tests := []struct {
		resource, name string
		want           Attributes
		allowed        bool
	}{
		{"globalreports", "yes", Attributes{User: u, Verb: "get", APIGroup: GroupEvident, Resource: "globalreports", Name: "yes"}, true},
		{"globalreports/status", "no", Attributes{User: u, Verb: "get", APIGroup: GroupEvident, Resource: "globalreports", Subresource: "status", Name: "no"}, false},
		{"globalreports", "", Attributes{User: u, Verb: "get", APIGroup: GroupEvident, Resource: "globalreports"}, false},
	}
	for _, tc := range tests {
		var r recorder
		ok, err := Allowed(t.Context(), &r, u, "get", GroupEvident, tc.resource, tc.name)
		if err != nil || ok != tc.allowed {
			t.Errorf("%s %q: allowed=%v err=%v, want %v", tc.resource, tc.name, ok, err, tc.allowed)
		}
		if diff := cmp.Diff(tc.want, r.got); diff != "" {
			t.Errorf("%s: attributes (-want +got):\n%s", tc.resource, diff)
		}
	}
	errDown := errors.New("down")
	if ok, err := Allowed(t.Context(), &stub{allowed: true, err: errDown}, u, "get", "", "pods", ""); ok || !errors.Is(err, errDown) {
		t.Errorf("failing authorizer: allowed=%v err=%v", ok, err)
	}
}

// TestDemoUsers runs the seed's users end to end: a token file, the seed's
// RBAC and the convenience check, as the HTTP server will.
func TestDemoUsers(t *testing.T) {
	tokens, err := ParseTokenFile("tokens.csv", strings.NewReader(
		"demo-admin,admin,1,system:masters\ndemo-paul,paul,2\ndemo-candice,candice,3\ndemo-david,david,4\n"))
	if err != nil {
		t.Fatal(err)
	}
	rbac := loadRBAC(t, "testdata/rbac-seed.yaml")
	authn, authz := Chain{tokens}, Union{rbac}
	tests := []struct {
		token, verb, resource, name string
		want                        bool
	}{
		{"demo-admin", "delete", "globalreporttypes", "inventory", true},
		{"demo-paul", "update", "globalreports", "weekly", true},
		{"demo-paul", "get", "globalreporttypes", "inventory", false},
		{"demo-candice", "get", "globalreporttypes", "inventory", true},
		{"demo-david", "get", "globalreports", "dev-inventory", true},
		{"demo-david", "get", "globalreports", "weekly", false},
	}
	for _, tc := range tests {
		u, ok, err := authn.AuthenticateToken(t.Context(), tc.token)
		if !ok || err != nil {
			t.Fatalf("%s: ok=%v err=%v", tc.token, ok, err)
		}
		got, err := Allowed(t.Context(), authz, u, tc.verb, GroupEvident, tc.resource, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("%s %s %s/%s: allowed=%v err=%v, want %v", tc.token, tc.verb, tc.resource, tc.name, got, err, tc.want)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header, want string
		ok           bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER   abc  ", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic YWxhZGRpbjpvcGVuc2VzYW1l", "", false},
		{"Bearer a b", "", false},
		{"abc", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Authorization", tc.header)
		}
		got, ok := BearerToken(h)
		if got != tc.want || ok != tc.ok {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestUserContext(t *testing.T) {
	if _, ok := UserFrom(t.Context()); ok {
		t.Error("a bare context has a user")
	}
	want := User{Name: "paul", Groups: []string{"g"}}
	got, ok := UserFrom(WithUser(t.Context(), want))
	if diff := cmp.Diff(want, got); !ok || diff != "" {
		t.Errorf("ok=%v, user (-want +got):\n%s", ok, diff)
	}
}

func TestTTLCache(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	c := newTTLCache[string, int](2, clock.Now)
	c.put("a", 1, time.Second)
	c.put("b", 2, 2*time.Second)
	if v, ok := c.get("a"); !ok || v != 1 {
		t.Errorf("get(a) = %v, %v", v, ok)
	}
	c.put("c", 3, time.Second) // evicts b: a was used more recently
	if _, ok := c.get("b"); ok {
		t.Error("b survived eviction")
	}
	c.put("a", 10, 3*time.Second) // replaces a and its expiry
	clock.Advance(time.Second)
	if _, ok := c.get("c"); ok {
		t.Error("c outlived its TTL")
	}
	if v, ok := c.get("a"); !ok || v != 10 {
		t.Errorf("get(a) = %v, %v; want the replaced value", v, ok)
	}
	if c.len() != 1 {
		t.Errorf("len = %d, want 1 after the expired entry was dropped", c.len())
	}
	c.put("z", 1, 0)
	if _, ok := c.get("z"); ok {
		t.Error("a zero TTL was cached")
	}
	off := newTTLCache[string, int](0, clock.Now)
	off.put("a", 1, time.Hour)
	if _, ok := off.get("a"); ok {
		t.Error("a zero-size cache stored an entry")
	}
}
