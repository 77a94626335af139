package selector

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Selector is a compiled selector. It is immutable once built and safe for
// concurrent use. The zero Selector is all(); a nil *Selector means "no
// selector" (see FromLabelSelector).
type Selector struct {
	root node
	str  string   // canonical form, computed once
	keys []string // sorted distinct label keys
}

// Parse compiles a selector. An empty or all-whitespace string is all().
// A selector that does not parse yields a *SyntaxError.
func Parse(s string) (*Selector, error) {
	n, err := parse(s)
	if err != nil {
		return nil, err
	}
	return newSelector(n), nil
}

// MustParse is Parse for selectors known to be valid, such as constants in
// code and tests. It panics on a syntax error.
func MustParse(s string) *Selector {
	sel, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return sel
}

// All returns the selector that matches everything.
func All() *Selector { return newSelector(node{op: opAll}) }

// newSelector wraps a normalised tree.
func newSelector(n node) *Selector {
	var b strings.Builder
	n.print(&b)
	set := make(map[string]struct{})
	n.collectKeys(set)
	var keys []string
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return &Selector{root: n, str: b.String(), keys: keys}
}

// Matches reports whether the labels satisfy the selector. A nil Labels is
// an empty label set. A nil *Selector matches nothing. Matches does not
// allocate.
func (s *Selector) Matches(labels Labels) bool {
	if s == nil {
		return false
	}
	if labels == nil {
		labels = Map(nil)
	}
	return s.root.eval(labels)
}

// String returns the canonical form of the selector (see the package
// documentation). It returns "" for a nil *Selector.
func (s *Selector) String() string {
	switch {
	case s == nil:
		return ""
	case s.str == "":
		return "all()"
	}
	return s.str
}

// Equal reports whether two selectors have the same canonical form.
func (s *Selector) Equal(o *Selector) bool { return s.String() == o.String() }

// Prefix returns a new selector in which every label key has prefix
// prepended: with prefix "pcns.", `dept == 'acct'` becomes
// `pcns.dept == "acct"`. The prefix should consist of label-key
// characters, and the prefixed keys should stay within 512 characters, for
// the result's String to parse again. Prefix of nil is nil.
func (s *Selector) Prefix(prefix string) *Selector {
	if s == nil {
		return nil
	}
	return newSelector(s.root.prefixed(prefix))
}

// LabelKeys returns the sorted, distinct label keys the selector reads. A
// change to any other label cannot change the result of Matches.
func (s *Selector) LabelKeys() []string {
	if s == nil {
		return nil
	}
	return slices.Clone(s.keys)
}

// MarshalText implements encoding.TextMarshaler with the canonical form.
func (s *Selector) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with Parse.
func (s *Selector) UnmarshalText(text []byte) error {
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*s = *p
	return nil
}

// And returns the conjunction of the given selectors, skipping nil ones.
// With no non-nil selector it returns All().
func And(sels ...*Selector) *Selector {
	var parts []node
	for _, s := range sels {
		if s != nil {
			parts = append(parts, s.root)
		}
	}
	if len(parts) == 0 {
		return All()
	}
	return newSelector(join(opAnd, parts))
}

// Has returns the selector has(key).
func Has(key string) (*Selector, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("has(%q): %w", key, ErrInvalidKey)
	}
	return newSelector(node{op: opHas, key: key}), nil
}

// In returns the selector key in {values...}. An empty values list gives
// a selector that matches nothing.
func In(key string, values ...string) (*Selector, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("%q in {...}: %w", key, ErrInvalidKey)
	}
	for _, v := range values {
		if !validLiteral(v) {
			return nil, fmt.Errorf("%q in {...}: value %q: %w", key, v, ErrInvalidValue)
		}
	}
	return newSelector(node{op: opIn, key: key, set: normalSet(slices.Clone(values))}), nil
}

// Errors from the constructors that build a selector from parts.
var (
	// ErrInvalidKey reports a label key outside the language's key syntax.
	ErrInvalidKey = errors.New("label key must be 1 to 512 characters from [a-zA-Z0-9_./-]")
	// ErrInvalidValue reports a value that cannot be written as a string
	// literal because it holds both quote characters.
	ErrInvalidValue = errors.New("value cannot contain both ' and \"")
)

// validLiteral reports whether v can be written as a string literal, which
// has no escapes and so cannot hold both quote characters.
func validLiteral(v string) bool {
	return !strings.Contains(v, `"`) || !strings.Contains(v, `'`)
}
