package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// loadFixture reads testdata/fixture.yaml, in the order it was written.
func loadFixture(t testing.TB) *ReportData {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixture.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var d ReportData
	if err := yaml.UnmarshalStrict(b, &d); err != nil {
		t.Fatalf("fixture.yaml: %v", err)
	}
	return &d
}

// sortedFixture is the fixture after Sort, as the engine would store it.
func sortedFixture(t testing.TB) *ReportData {
	d := loadFixture(t)
	d.Sort()
	return d
}

// golden compares got with testdata/golden/name, or rewrites the file
// with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}
