package selector

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPrefix(t *testing.T) {
	tests := []struct {
		sel, prefix, want string
	}{
		{`dept == 'acct'`, PrefixNamespace, `pcns.dept == "acct"`},
		{`team != "" || has(team) && !has(legacy)`, PrefixServiceAccount, `pcsa.team != "" || has(pcsa.team) && !has(pcsa.legacy)`},
		{`a in {"x"} || b not in {} || c contains "q" || d starts with "s" || e ends with "t" || f != "u"`, "p.",
			`p.a in {"x"} || p.b not in {} || p.c contains "q" || p.d starts with "s" || p.e ends with "t" || p.f != "u"`},
		{`projectcalico.org/name == "shop"`, PrefixNamespace, `pcns.projectcalico.org/name == "shop"`},
		{`all()`, PrefixNamespace, `all()`},
		{`global() && !(a == "x")`, "q/", `global() && !(q/a == "x")`},
		{``, PrefixNamespace, `all()`},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			orig := MustParse(tt.sel)
			before := orig.String()
			got := orig.Prefix(tt.prefix)
			if got.String() != tt.want {
				t.Errorf("Prefix(%q) = %s, want %s", tt.prefix, got, tt.want)
			}
			if orig.String() != before {
				t.Errorf("Prefix modified the original: %s", orig)
			}
		})
	}
	var none *Selector
	if none.Prefix("x.") != nil {
		t.Error("Prefix of nil is not nil")
	}
}

func TestPrefixMatches(t *testing.T) {
	ns := MustParse(`dept == 'acct' && !has(restricted)`)
	scoped := And(ns.Prefix(PrefixNamespace), MustParse(`has(projectcalico.org/namespace)`))
	endpoint := Merged{
		Map{LabelNamespace: "books", PrefixNamespace + "dept": "acct"},
		Map{"dept": "sales", "restricted": "true"},
	}
	if !scoped.Matches(endpoint) {
		t.Errorf("%s did not match the endpoint in an acct namespace", scoped)
	}
	if ns.Matches(endpoint) {
		t.Errorf("%s matched the pod's own labels", ns)
	}
}

func TestLabelKeys(t *testing.T) {
	tests := []struct {
		sel  string
		want []string
	}{
		{``, nil},
		{`all() || global()`, nil},
		{`b == "x" && (a in {} || !has(c)) && b != "y"`, []string{"a", "b", "c"}},
		{`z contains "a" || y starts with "b" || x ends with "c" || w not in {"d"}`, []string{"w", "x", "y", "z"}},
	}
	for _, tt := range tests {
		sel := MustParse(tt.sel)
		got := sel.LabelKeys()
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: LabelKeys mismatch (-want +got):\n%s", tt.sel, diff)
		}
		if len(got) > 0 {
			got[0] = "mutated"
			if sel.LabelKeys()[0] == "mutated" {
				t.Errorf("%s: LabelKeys exposes internal state", tt.sel)
			}
		}
	}
	if got := MustParse(`a == "x"`).Prefix("p.").LabelKeys(); !cmp.Equal(got, []string{"p.a"}) {
		t.Errorf("prefixed LabelKeys = %v", got)
	}
}

func TestBuilders(t *testing.T) {
	ns, err := In(LabelNamespace, "b", "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	has, err := Has(LabelNamespace)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		got  *Selector
		want string
	}{
		{And(), "all()"},
		{And(nil, nil), "all()"},
		{And(MustParse(`a == "x"`)), `a == "x"`},
		{And(MustParse(`a == "x" && b == "y"`), nil, MustParse(`c == "z" || d == "w"`)),
			`a == "x" && b == "y" && (c == "z" || d == "w")`},
		{ns, `projectcalico.org/namespace in {"a", "b"}`},
		{has, `has(projectcalico.org/namespace)`},
		{And(MustParse(`dept == 'acct'`).Prefix(PrefixNamespace), has, ns),
			`pcns.dept == "acct" && has(projectcalico.org/namespace) && projectcalico.org/namespace in {"a", "b"}`},
	}
	for _, tt := range tests {
		if tt.got.String() != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
		if again := MustParse(tt.got.String()).String(); again != tt.want {
			t.Errorf("%s does not round-trip: %s", tt.want, again)
		}
	}
	if _, err := Has("bad key"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Has(bad key) error = %v, want ErrInvalidKey", err)
	}
	if _, err := In("", "x"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("In(\"\") error = %v, want ErrInvalidKey", err)
	}
	if _, err := In("k", `'"`); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("In with both quotes error = %v, want ErrInvalidValue", err)
	}
	if sel, _ := In("k"); sel.Matches(Map{"k": ""}) {
		t.Error("empty In matched")
	}
}

func TestText(t *testing.T) {
	var doc struct {
		Sel *Selector `json:"sel"`
	}
	if err := json.Unmarshal([]byte(`{"sel": "b in {'y','x'}"}`), &doc); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"sel":"b in {\"x\", \"y\"}"}`; string(out) != want {
		t.Errorf("Marshal = %s, want %s", out, want)
	}
	err = json.Unmarshal([]byte(`{"sel": "b =="}`), &doc)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Column != 5 {
		t.Errorf("Unmarshal error = %v, want a SyntaxError at column 5", err)
	}
	if !MustParse("a == 'x'").Equal(MustParse(`(a == "x")`)) || MustParse("has(a)").Equal(nil) {
		t.Error("Equal compares canonical forms")
	}
}
