package selector

import (
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"all()",
		"global()",
		`a == "x"`,
		`a != 'x'`,
		`a in {"p", 'q', "p",}`,
		`a not in {}`,
		`a notin {"x"}`,
		`a contains "x" || b starts with "y" && c ends  with 'z'`,
		`!has(a) && !!has(b)`,
		`!(a == "x" || (b == "y" && c == "z"))`,
		`(a == "x" || b == "y") && c == "z"`,
		`a == 'say "hi"'`,
		`in == "x" && has(in)`,
		`projectcalico.org/namespace in {"a","b"} && has(pcns.dept)`,
		`a = "x"`,
		`a & b`,
		`"x" == a`,
		`a == "x`,
		`has(`,
		`(((a == "x"`,
		"a ==\n\"x\"",
		"(0 != \"\xba\xba\" && \xba",
		benchSelector,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sel, err := Parse(in)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("error %v is %T, want *SyntaxError", err, err)
			}
			return
		}
		s1 := sel.String()
		again, err := Parse(s1)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", s1, in, err)
		}
		if s2 := again.String(); s2 != s1 {
			t.Fatalf("canonical form of %q is not a fixed point:\n%s\n%s", in, s1, s2)
		}
		for _, l := range probeLabels(sel) {
			if sel.Matches(l) != again.Matches(l) {
				t.Fatalf("%q and its canonical form %q disagree on %v", in, s1, l)
			}
		}
	})
}

// probeLabels builds label sets that exercise a selector: no labels, and
// every key it reads set to each literal it mentions.
func probeLabels(sel *Selector) []Map {
	values := map[string]struct{}{"": {}}
	var walk func(n *node)
	walk = func(n *node) {
		values[n.value] = struct{}{}
		for _, v := range n.set {
			values[v] = struct{}{}
		}
		for i := range n.kids {
			walk(&n.kids[i])
		}
	}
	walk(&sel.root)
	out := []Map{{}}
	for v := range values {
		l := Map{}
		for _, k := range sel.LabelKeys() {
			l[k] = v
		}
		out = append(out, l)
	}
	return out
}
