package objdiff

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeDropsNoise(t *testing.T) {
	obj := `{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"np","namespace":"dev",
	"uid":"u","resourceVersion":"9","generation":3,"creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"web"},
	"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{...}","owner":"team-a"},
	"managedFields":[{"manager":"kubectl"}]},"spec":{"podSelector":{}},"status":{"x":1}}`
	got, err := Normalize([]byte(obj))
	if err != nil {
		t.Fatal(err)
	}
	want := "metadata:\n  annotations:\n    owner: team-a\n  labels:\n    app: web\n  name: np\n  namespace: dev\nspec:\n  podSelector: {}\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := Normalize([]byte("{oops")); err == nil {
		t.Error("bad JSON accepted")
	}
}

func TestDiff(t *testing.T) {
	before := "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\n"
	after := "a: 1\nb: 20\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\n"
	got := Diff(before, after, 1)
	var lines []string
	for _, l := range got {
		lines = append(lines, string(l.Op)+l.Text)
	}
	want := []string{" a: 1", "-b: 2", "+b: 20", " c: 3", "~...", " g: 7", "+h: 8"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if Diff(before, before, 3) != nil {
		t.Error("no change should give no lines")
	}
	pairs := SideBySide(got)
	if pairs[1].Op != '!' || pairs[1].Left != "b: 2" || pairs[1].Right != "b: 20" || pairs[len(pairs)-1].Op != Added {
		t.Errorf("side by side: %+v", pairs)
	}
	if !strings.Contains(string(must(Op('+').MarshalJSON())), `"+"`) {
		t.Error("op JSON")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
