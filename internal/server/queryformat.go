package server

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

// FormatQuery renders a condition as query-DSL text that query.Parse reads
// back as the same condition, so that a client holding a parsed query can
// send it as the query parameter. Values and set members are always
// quoted, and compound terms are parenthesised. A nil condition is the
// empty query. Conditions query.Parse cannot produce (an empty And or Or, a
// value of an unexpected type) are an error.
func FormatQuery(c store.Cond) (string, error) {
	if c == nil {
		return "", nil
	}
	var b strings.Builder
	if err := formatCond(&b, c); err != nil {
		return "", err
	}
	return b.String(), nil
}

func formatCond(b *strings.Builder, c store.Cond) error {
	switch c := c.(type) {
	case store.And:
		return formatJoined(b, c, " AND ")
	case store.Or:
		return formatJoined(b, c, " OR ")
	case store.Not:
		b.WriteString("NOT ")
		return formatOperand(b, c.C)
	case store.Cmp:
		v, err := formatValue(c.Value)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Field, err)
		}
		b.WriteString(string(c.Field) + " " + c.Op.String() + " " + v)
		return nil
	case store.In:
		if len(c.Patterns) == 0 {
			return fmt.Errorf("%s: an empty set", c.Field)
		}
		op := " IN {"
		if c.Negate {
			op = " NOTIN {"
		}
		b.WriteString(string(c.Field) + op)
		for i, p := range c.Patterns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(p))
		}
		b.WriteString("}")
		return nil
	case nil:
		return errors.New("a missing condition")
	}
	return fmt.Errorf("unsupported condition %T", c)
}

func formatJoined[C store.And | store.Or](b *strings.Builder, members C, sep string) error {
	if len(members) == 0 {
		return errors.New("an empty AND or OR has no query form")
	}
	for i, m := range members {
		if i > 0 {
			b.WriteString(sep)
		}
		if err := formatOperand(b, m); err != nil {
			return err
		}
	}
	return nil
}

// formatOperand writes c, in parentheses when it is compound.
func formatOperand(b *strings.Builder, c store.Cond) error {
	switch c.(type) {
	case store.And, store.Or:
		b.WriteString("(")
		if err := formatCond(b, c); err != nil {
			return err
		}
		b.WriteString(")")
		return nil
	}
	return formatCond(b, c)
}

func formatValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v), nil
	case int64:
		return strconv.Quote(strconv.FormatInt(v, 10)), nil
	case time.Time:
		return strconv.Quote(v.UTC().Format(time.RFC3339Nano)), nil
	case netip.Prefix:
		if v.IsSingleIP() {
			return strconv.Quote(v.Addr().String()), nil
		}
		return strconv.Quote(v.String()), nil
	}
	return "", fmt.Errorf("unsupported value %T", v)
}
