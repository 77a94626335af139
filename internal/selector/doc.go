// Package selector implements the Calico label-selector language: parsing,
// matching against label sets, the prefix rewrite used to match namespace
// and service-account labels, conversion from Kubernetes label selectors,
// and a canonical printed form.
//
// # Syntax
//
//	selector := or                      (empty or all-whitespace means all())
//	or       := and { "||" and }
//	and      := unary { "&&" unary }
//	unary    := { "!" } term
//	term     := "has(" key ")" | "all()" | "global()" | "(" or ")"
//	          | key ("==" | "!=" | "contains" | "starts with" | "ends with") literal
//	          | key ("in" | "not in") "{" [ literal { "," literal } [","] ] "}"
//
// A key is 1 to 512 characters from [a-zA-Z0-9_./-]. A literal is text in
// single or double quotes with no escape sequences; it ends at the next
// matching quote. Whitespace (space, tab, CR, LF) may separate tokens and
// the words of "not in", "starts with" and "ends with" (it may also be
// left out: "notin"). The operator words are recognised only directly after
// a key, so "in == 'x'" compares the label "in". "!" binds tightest, then
// "&&", then "||". A lone "&", "|" or "=" is an error, as is a literal on the
// left of an operator. Parentheses may nest 256 deep.
//
// # Matching
//
// A label that is absent makes ==, in, contains, starts with, ends with and
// has() false, and makes != and not in true. all() and global() match
// everything. Matches does not allocate; Merged layers pseudo-labels (the
// Label* constants) over an object's own labels without copying.
//
// # Canonical form
//
// String prints a deterministic form, and Parse(s.String()).String() ==
// s.String():
//
//   - single spaces around binary operators: a == "x" && (b in {"p", "q"} || has(c));
//   - nested && and || are flattened and parentheses appear only where
//     precedence needs them, except that "!" puts parentheses around
//     anything but has(), all() and global(): !(a == "x"), !has(a);
//   - "!!x" is printed as x;
//   - set members are sorted and de-duplicated, separated by ", ";
//   - literals use double quotes, or single quotes when the value contains
//     a double quote;
//   - the empty selector prints as all().
//
// The order of && and || operands is kept as written.
package selector
