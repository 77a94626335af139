package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/selector"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// fixture is one case under testdata/cases: objects applied in order,
// then the expected endpoints and policy flags.
type fixture struct {
	Options struct {
		IncludeStaged bool   `yaml:"includeStaged"`
		NoEnvoy       bool   `yaml:"noEnvoy"` // all Envoy checks off
		InScope       string `yaml:"inScope"`
	} `yaml:"options"`
	Objects []map[string]any `yaml:"objects"`
	Expect  struct {
		Endpoints map[string]expectEndpoint `yaml:"endpoints"`
		Policies  map[string][]string       `yaml:"policies"`
	} `yaml:"expect"`
}

// expectEndpoint is an endpoint's expected state. Flags, applied policies
// and services are always compared (absent means none); inScope defaults
// to true; the other fields are compared only when given.
type expectEndpoint struct {
	Flags           []string `yaml:"flags"`
	Applied         []string `yaml:"applied"`
	Services        []string `yaml:"services"`
	InScope         *bool    `yaml:"inScope"`
	ServiceAccount  *string  `yaml:"serviceAccount"`
	AggregationName *string  `yaml:"aggregationName"`
}

// step is one Set or Delete taken from a fixture.
type step struct {
	kind   audit.Kind
	ns     string
	name   string
	object []byte // nil for a delete
}

// kindOf maps an apiVersion and kind to the tracked kind.
func kindOf(apiVersion, kind string) (audit.Kind, bool) {
	group := ""
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	group = audit.CanonicalGroup(group)
	for _, k := range audit.Tracked() {
		if k.Group == group && k.Name == kind {
			return k, true
		}
	}
	return audit.Kind{}, false
}

func loadFixture(t testing.TB, path string) (*fixture, []step) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var steps []step
	for i, o := range f.Objects {
		target := o
		del, isDelete := o["delete"].(map[string]any)
		if isDelete {
			target = del
		}
		str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
		kind, ok := kindOf(str(target, "apiVersion"), str(target, "kind"))
		if !ok {
			t.Fatalf("%s: objects[%d]: unknown kind %s %s", path, i, str(target, "apiVersion"), str(target, "kind"))
		}
		if isDelete {
			steps = append(steps, step{kind: kind, ns: str(del, "namespace"), name: str(del, "name")})
			continue
		}
		md, _ := o["metadata"].(map[string]any)
		body, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, step{kind: kind, ns: str(md, "namespace"), name: str(md, "name"), object: body})
	}
	return &f, steps
}

func (f *fixture) cache(t testing.TB) *Cache {
	t.Helper()
	opts := DefaultOptions()
	opts.IncludeStaged = f.Options.IncludeStaged
	if f.Options.NoEnvoy {
		opts.Envoy = EnvoyOptions{}
	}
	c, err := NewCache(opts)
	if err != nil {
		t.Fatal(err)
	}
	if f.Options.InScope != "" {
		c.SetInScope(selector.MustParse(f.Options.InScope))
	}
	return c
}

func apply(t testing.TB, c *Cache, steps []step) {
	t.Helper()
	for _, s := range steps {
		if s.object == nil {
			c.Delete(s.kind, s.ns, s.name)
			continue
		}
		if err := c.Set(s.kind, s.object); err != nil {
			t.Fatalf("set %s %s/%s: %v", s.kind, s.ns, s.name, err)
		}
	}
}

// finalState reduces steps to the last version of each surviving object.
func finalState(steps []step) []step {
	type key struct {
		kind     audit.Kind
		ns, name string
	}
	last := make(map[key]int)
	var order []key
	for i, s := range steps {
		k := key{s.kind, s.ns, s.name}
		if !s.kind.Namespaced() {
			k.ns = ""
		}
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = i
	}
	var out []step
	for _, k := range order {
		if s := steps[last[k]]; s.object != nil {
			out = append(out, s)
		}
	}
	return out
}

// gotEndpoint is an endpoint's state in the fixture's terms.
type gotEndpoint struct {
	Flags, Applied, Services []string
	InScope                  bool
	ServiceAccount           string
	AggregationName          string
}

func endpointStates(c *Cache) map[string]gotEndpoint {
	out := make(map[string]gotEndpoint)
	c.Endpoints(func(ep *Endpoint) {
		out[ep.ID.String()] = gotEndpoint{
			Flags:           ep.Flags.Names(),
			Applied:         idStrings(ep.AppliedPolicies),
			Services:        idStrings(ep.Services),
			InScope:         ep.InScope,
			ServiceAccount:  ep.ServiceAccount,
			AggregationName: ep.FlowAggregationName,
		}
	})
	return out
}

func idStrings(ids []ResourceID) []string {
	var out []string
	for _, id := range ids {
		out = append(out, id.String())
	}
	return out
}

func (f *fixture) want(got map[string]gotEndpoint) map[string]gotEndpoint {
	out := make(map[string]gotEndpoint)
	for id, e := range f.Expect.Endpoints {
		w := gotEndpoint{Flags: sortedFlags(e.Flags), Applied: e.Applied, Services: e.Services, InScope: true}
		if e.InScope != nil {
			w.InScope = *e.InScope
		}
		w.ServiceAccount = got[id].ServiceAccount
		if e.ServiceAccount != nil {
			w.ServiceAccount = *e.ServiceAccount
		}
		w.AggregationName = got[id].AggregationName
		if e.AggregationName != nil {
			w.AggregationName = *e.AggregationName
		}
		out[id] = w
	}
	return out
}

// sortedFlags puts flag names in bit order, as Flags.Names returns them.
func sortedFlags(names []string) []string {
	var f Flags
	for _, n := range names {
		g, err := ParseFlag(n)
		if err != nil {
			panic(err)
		}
		f |= g
	}
	return f.Names()
}

func TestFixtures(t *testing.T) {
	paths, err := filepath.Glob("testdata/cases/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			f, steps := loadFixture(t, path)
			c := f.cache(t)
			apply(t, c, steps)
			got := endpointStates(c)
			if diff := cmp.Diff(f.want(got), got); diff != "" {
				t.Errorf("endpoints (-want +got):\n%s", diff)
			}
			for id, names := range f.Expect.Policies {
				info, ok := c.Policy(parseID(t, id))
				if !ok {
					t.Errorf("policy %s not found", id)
					continue
				}
				if diff := cmp.Diff(sortedFlags(names), info.Flags.Names()); diff != "" {
					t.Errorf("policy %s flags (-want +got):\n%s", id, diff)
				}
			}

			// The same final objects loaded in reverse order give the same
			// endpoints: results do not depend on arrival order.
			final := finalState(steps)
			slices.Reverse(final)
			rebuilt := f.cache(t)
			apply(t, rebuilt, final)
			if diff := cmp.Diff(got, endpointStates(rebuilt)); diff != "" {
				t.Errorf("rebuilt in reverse order differs (-incremental +rebuilt):\n%s", diff)
			}
		})
	}
}

// parseID reads the printed form of a policy ID back.
func parseID(t testing.TB, s string) ResourceID {
	t.Helper()
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		t.Fatalf("bad id %q", s)
	}
	id := ResourceID{Kind: s[:open], APIVersion: APIVersionCalico}
	if k, v, ok := strings.Cut(id.Kind, "."); ok {
		id.Kind, id.APIVersion = k, v
	}
	inner := s[open+1 : len(s)-1]
	if ns, name, ok := strings.Cut(inner, "/"); ok {
		id.Namespace, id.Name = ns, name
	} else {
		id.Name = inner
	}
	return id
}

func TestParseIDRoundTrip(t *testing.T) {
	for _, s := range []string{"NetworkPolicy.networking.k8s.io/v1(ns/np)", "GlobalNetworkPolicy(g)", "Pod.v1(a/b)"} {
		if got := parseID(t, s).String(); got != s {
			t.Errorf("%s round-trips to %s", s, got)
		}
	}
}
