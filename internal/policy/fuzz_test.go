package policy

import (
	"path/filepath"
	"testing"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/google/go-cmp/cmp"
)

// FuzzSet feeds arbitrary objects of every kind to a populated cache: Set
// must not panic, must leave the cache unchanged when it fails, and a
// successful Set followed by a Delete must leave no trace of an endpoint.
func FuzzSet(f *testing.F) {
	kinds := audit.Tracked()
	paths, err := filepath.Glob("testdata/cases/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	var base []step
	for _, path := range paths {
		_, steps := loadFixture(f, path)
		for _, s := range steps {
			if s.object == nil {
				continue
			}
			for i, k := range kinds {
				if k == s.kind {
					f.Add(uint8(i), s.object)
				}
			}
		}
		if filepath.Base(path) == "calico-internet.yaml" {
			base = steps
		}
	}
	f.Add(uint8(0), []byte(`{"metadata":{"name":"p","namespace":"n","labels":{"a":"b"}},"status":{"podIPs":[{"ip":"not-an-ip"}]}}`))
	f.Add(uint8(0), []byte(`{"metadata":{"name":"p","namespace":"n","labels":null,"annotations":{"cni.projectcalico.org/podIPs":"10.0.0.1,,fd00::1/128"}}}`))
	f.Fuzz(func(t *testing.T, k uint8, object []byte) {
		kind := kinds[int(k)%len(kinds)]
		c, err := NewCache(DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		apply(t, c, base)
		before := fullStates(c)
		if err := c.Set(kind, object); err != nil {
			if diff := cmp.Diff(before, fullStates(c)); diff != "" {
				t.Fatalf("failed Set changed the cache: %v\n%s", err, diff)
			}
			return
		}
		c.Endpoints(func(*Endpoint) {})
		c.Policies(func(PolicyInfo) {})
		p, err := decodePod(object)
		if kind.Resource != "pods" || err != nil {
			return
		}
		c.Delete(kind, p.Metadata.Namespace, p.Metadata.Name)
		if _, ok := fullStates(c)[IDOf(kind, p.Metadata.Namespace, p.Metadata.Name).String()]; ok {
			t.Fatal("pod still present after Delete")
		}
	})
}
