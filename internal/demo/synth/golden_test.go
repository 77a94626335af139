package synth

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenSummary pins the demo history: what it contains, by request
// kind, and a digest of every byte. A change to the generator shows up
// here; look at the summary diff, then rerun with -update.
func TestGoldenSummary(t *testing.T) {
	lines := generate(t, Demo(1, testStart, demoDays))
	h := sha256.New()
	counts := map[string]int{}
	size := 0
	for i, l := range lines {
		h.Write(l)
		h.Write([]byte{'\n'})
		size += len(l) + 1
		e := decodeEvent(t, i, l)
		ref := e.ObjectRef
		res := ref.Resource
		if ref.APIGroup != "" {
			res += "." + ref.APIGroup
		}
		if ref.Subresource != "" {
			res += "/" + ref.Subresource
		}
		counts[fmt.Sprintf("%-16s %-48s %d", e.Verb, res, e.ResponseStatus.Code)]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Demo(seed 1, %s, %d days)\nevents %d\nbytes %d\nsha256 %x\n\n", testStart.Format("2006-01-02"), demoDays, len(lines), size, h.Sum(nil))
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%6d  %s\n", counts[k], k)
	}
	got := b.String()

	path := filepath.Join("testdata", "demo-summary.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("demo history changed (-want +got):\n%s", diff)
	}
}
