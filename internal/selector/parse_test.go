package selector

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCanonical(t *testing.T) {
	long := strings.Repeat("k", 512)
	tests := []struct {
		in, want string
	}{
		// Empty selectors.
		{"", "all()"},
		{" \t\r\n", "all()"},
		{"all()", "all()"},
		{"all( )", "all()"},
		{"global()", "global()"},
		{"global(\t)", "global()"},

		// Comparisons and quoting.
		{`a == "x"`, `a == "x"`},
		{`a == 'x'`, `a == "x"`},
		{`a=='x'`, `a == "x"`},
		{`a != 'x'`, `a != "x"`},
		{`a == ''`, `a == ""`},
		{`a == 'say "hi"'`, `a == 'say "hi"'`},
		{`a == "it's"`, `a == "it's"`},
		{`a == "x && b == 'y'"`, `a == "x && b == 'y'"`},
		{`a == "é ü"`, `a == "é ü"`},
		{`a == "\n"`, `a == "\n"`},
		{`a contains "x"`, `a contains "x"`},
		{`a contains"x"`, `a contains "x"`},
		{`a starts with "x"`, `a starts with "x"`},
		{"a starts \t\n with 'x'", `a starts with "x"`},
		{`a startswith "x"`, `a starts with "x"`},
		{`a ends with "x"`, `a ends with "x"`},
		{`a endswith "x"`, `a ends with "x"`},

		// Sets.
		{`a in {}`, `a in {}`},
		{`a in { }`, `a in {}`},
		{`a in {"x"}`, `a in {"x"}`},
		{`a in {'q','p','q'}`, `a in {"p", "q"}`},
		{`a in {"x",}`, `a in {"x"}`},
		{`a in{"x"}`, `a in {"x"}`},
		{`a not in {"b", "a"}`, `a not in {"a", "b"}`},
		{`a notin {"x"}`, `a not in {"x"}`},
		{"a not\t in {}", `a not in {}`},
		{`a in {'"', "'"}`, `a in {'"', "'"}`},

		// has and negation.
		{`has(a)`, `has(a)`},
		{`has( a )`, `has(a)`},
		{`!has(a)`, `!has(a)`},
		{`! has(a)`, `!has(a)`},
		{`!!has(a)`, `has(a)`},
		{`!!!has(a)`, `!has(a)`},
		{`!(!has(a))`, `has(a)`},
		{`!a == "x"`, `!(a == "x")`},
		{`!(a == "x")`, `!(a == "x")`},
		{`!all()`, `!all()`},
		{`!(a == "x" && b == "y")`, `!(a == "x" && b == "y")`},
		{`!(a == "x" || b == "y")`, `!(a == "x" || b == "y")`},

		// Precedence and parentheses.
		{`a == "x" && b == "y" || c == "z"`, `a == "x" && b == "y" || c == "z"`},
		{`a == "x" || b == "y" && c == "z"`, `a == "x" || b == "y" && c == "z"`},
		{`(a == "x" || b == "y") && c == "z"`, `(a == "x" || b == "y") && c == "z"`},
		{`((a == "x"))`, `a == "x"`},
		{`(a == "x" && b == "y") && c == "z"`, `a == "x" && b == "y" && c == "z"`},
		{`a == "x" && (b == "y" && c == "z")`, `a == "x" && b == "y" && c == "z"`},
		{`a == "x" || (b == "y" || c == "z")`, `a == "x" || b == "y" || c == "z"`},
		{`(a == "x" && b == "y") || c == "z"`, `a == "x" && b == "y" || c == "z"`},
		{`a=="x"&&(b in{'q','p'}||has(c))`, `a == "x" && (b in {"p", "q"} || has(c))`},

		// Keys: the full charset, words that are operators elsewhere.
		{`projectcalico.org/namespace == "ns"`, `projectcalico.org/namespace == "ns"`},
		{`A-z_0.9/x == "v"`, `A-z_0.9/x == "v"`},
		{`-- == "v"`, `-- == "v"`},
		{`in == "x"`, `in == "x"`},
		{`not in {"x"}`, `not in {"x"}`},
		{`has == "x"`, `has == "x"`},
		{`all == "x"`, `all == "x"`},
		{`contains contains "x"`, `contains contains "x"`},
		{`has(in)`, `has(in)`},
		{long + ` == "v"`, long + ` == "v"`},
		{`has(` + long + `)`, `has(` + long + `)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sel, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := sel.String()
			if got != tt.want {
				t.Errorf("String() = %s, want %s", got, tt.want)
			}
			again, err := Parse(got)
			if err != nil {
				t.Fatalf("Parse(String()): %v", err)
			}
			if again.String() != got {
				t.Errorf("String() is not a fixed point: %s then %s", got, again.String())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("k", 513)
	tests := []struct {
		in       string
		column   int
		expected string
	}{
		{`a == `, 6, "a quoted string"},
		{`a ==`, 5, "a quoted string"},
		{`a == b`, 6, "a quoted string"},
		{`a = "x"`, 3, "'==' (a single '=' is not an operator)"},
		{`a == "x" & b == "y"`, 10, "'&&'"},
		{`a == "x" | b == "y"`, 10, "'||'"},
		{`a == "x" &&`, 12, expectTerm},
		{`a == "x" ||`, 12, expectTerm},
		{`"x" == a`, 1, expectTerm + " (a quoted string cannot come first)"},
		{`a`, 2, expectOperator},
		{`a b`, 3, expectOperator},
		{`a containsx "y"`, 3, expectOperator},
		{`a notin_x {}`, 3, expectOperator},
		{`a < "x"`, 3, expectOperator},
		{`a has(b)`, 3, expectOperator},
		{`has (a)`, 5, expectOperator},
		{`a == "x`, 8, `a closing " for the string at column 6`},
		{`a == 'é`, 8, `a closing ' for the string at column 6`},
		{`a == "é" && b == 'x`, 20, `a closing ' for the string at column 18`},
		{`a == "x" b == "y"`, 10, "'&&', '||' or the end of the selector"},
		{`a == "x")`, 9, "'&&', '||' or the end of the selector"},
		{`(a == "x"`, 10, "'&&', '||' or ')'"},
		{`(a == "x" b`, 11, "'&&', '||' or ')'"},
		{`()`, 2, expectTerm},
		{`!`, 2, expectTerm},
		{`&& a == "x"`, 1, expectTerm},
		{`#`, 1, expectTerm},
		{`a in "x"`, 6, "'{'"},
		{`a in {"x"`, 10, "',' or '}'"},
		{`a in {"x" "y"}`, 11, "',' or '}'"},
		{`a in {,}`, 7, "a quoted string or '}'"},
		{`a in {"x",,}`, 11, "a quoted string or '}'"},
		{`a in {x}`, 7, "a quoted string or '}'"},
		{`has()`, 5, "a label"},
		{`has(a`, 6, "')'"},
		{`has(a b)`, 7, "')'"},
		{`has("a")`, 5, "a label"},
		{`all(x)`, 5, "')'"},
		{`global(`, 8, "')'"},
		{long + ` == "v"`, 1, "a label of at most 512 characters"},
		{`has(` + long + `)`, 5, "a label of at most 512 characters"},
		{`a == "x" && ` + long + ` == "v"`, 13, "a label of at most 512 characters"},
		{strings.Repeat("(", 257) + `has(a)` + strings.Repeat(")", 257), 257, "at most 256 nested parentheses"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sel, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse succeeded with %s", sel)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is %T, want *SyntaxError", err, err)
			}
			want := &SyntaxError{Input: tt.in, Column: tt.column, Expected: tt.expected}
			if diff := cmp.Diff(want, se); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseNestingLimit(t *testing.T) {
	in := strings.Repeat("(", 256) + `has(a)` + strings.Repeat(")", 256)
	sel, err := Parse(in)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := sel.String(); got != "has(a)" {
		t.Errorf("String() = %s, want has(a)", got)
	}
	// Negations do not nest: they are counted, not recursed into.
	if _, err := Parse(strings.Repeat("!", 100000) + "has(a)"); err != nil {
		t.Errorf("Parse of many negations: %v", err)
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := Parse("a == ")
	want := `selector "a == ": column 6: expected a quoted string`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}

	in := strings.Repeat("é", 300) + " =="
	_, err = Parse(in)
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, `..."`) || len(msg) > 300 {
		t.Errorf("long input not shortened: %q", msg)
	}
}

func TestMustParse(t *testing.T) {
	if got := MustParse(`a == 'x'`).String(); got != `a == "x"` {
		t.Errorf("MustParse: %s", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParse of an invalid selector did not panic")
		}
	}()
	MustParse("a ==")
}
