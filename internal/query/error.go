package query

import "fmt"

// Error is a query that does not parse or names an invalid key or value.
// Column counts runes from 1; a column one past the last rune means the
// query ended too early.
type Error struct {
	Query  string // the query as given
	Column int    // 1-based rune column of the offending token
	Msg    string // what was expected or what is wrong
}

func (e *Error) Error() string {
	return fmt.Sprintf("query %q: column %d: %s", e.Query, e.Column, e.Msg)
}
