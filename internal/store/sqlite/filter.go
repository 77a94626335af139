package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

// columnOf maps a condition field to an interned events column.
var internedColumns = map[store.Field]string{
	store.FieldVerb:            "verb",
	store.FieldUsername:        "user",
	store.FieldObjectResource:  "res",
	store.FieldObjectAPIGroup:  "grp",
	store.FieldObjectNamespace: "ns",
}

// sqlFilter accumulates a WHERE clause.
type sqlFilter struct {
	parts []string
	args  []any
}

func (f *sqlFilter) add(cond string, args ...any) {
	f.parts = append(f.parts, cond)
	f.args = append(f.args, args...)
}

// filterSQL compiles a query for one partition (interned ids differ per
// partition). exact is false when some of the condition must be checked on
// the events read back.
func (s *Store) filterSQL(ctx context.Context, p *partition, q *store.EventQuery) (string, []any, bool, error) {
	var f sqlFilter
	if !q.From.IsZero() {
		f.add("ts >= ?", micros(q.From))
	}
	if !q.To.IsZero() {
		f.add("ts < ?", micros(q.To))
	}
	lists := []struct {
		col    string
		values []string
	}{
		{"cluster", q.Clusters}, {"source", q.Sources}, {"verb", q.Verbs}, {"grp", q.APIGroups}, {"ns", q.Namespaces}, {"user", q.Users},
	}
	var resources, subresources []string
	for _, r := range q.Resources {
		res, sub, _ := strings.Cut(r, "/")
		resources = append(resources, res)
		if sub != "" {
			subresources = append(subresources, sub)
		}
	}
	lists = append(lists, struct {
		col    string
		values []string
	}{"res", resources}, struct {
		col    string
		values []string
	}{"sub", subresources})
	for _, l := range lists {
		if len(l.values) == 0 {
			continue
		}
		ids, err := p.idsOf(ctx, l.values)
		if err != nil {
			return "", nil, false, err
		}
		if len(ids) == 0 {
			return "0", nil, true, nil
		}
		f.add(l.col+" IN ("+placeholders(len(ids))+")", ids...)
	}
	if len(q.Names) > 0 {
		args := make([]any, len(q.Names))
		for i, n := range q.Names {
			args[i] = n
		}
		f.add("name IN ("+placeholders(len(args))+")", args...)
	}
	if len(q.Codes) > 0 {
		args := make([]any, len(q.Codes))
		for i, c := range q.Codes {
			args[i] = c
		}
		f.add("code IN ("+placeholders(len(args))+")", args...)
	}
	exact := true
	if q.Cond != nil {
		c := condCompiler{ctx: ctx, p: p}
		sqlText, args, ok, err := c.compile(q.Cond)
		if err != nil {
			return "", nil, false, err
		}
		exact = ok
		f.add("("+sqlText+")", args...)
	}
	if len(f.parts) == 0 {
		return "1", nil, exact, nil
	}
	return strings.Join(f.parts, " AND "), f.args, exact, nil
}

// idsOf returns the interned ids of the values this partition knows.
func (p *partition) idsOf(ctx context.Context, values []string) ([]any, error) {
	var ids []any
	for _, v := range values {
		id, ok, err := p.strs.lookupID(ctx, v)
		if err != nil {
			return nil, err
		}
		if ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// condCompiler translates a condition into SQL over the events columns.
// Fields without a column compile to TRUE (a superset) and make the result
// inexact; the caller then checks the condition on each event.
type condCompiler struct {
	ctx context.Context
	p   *partition
}

func (c *condCompiler) compile(cond store.Cond) (string, []any, bool, error) {
	switch cond := cond.(type) {
	case nil:
		return "1", nil, true, nil
	case store.And:
		return c.join(cond, " AND ", "1")
	case store.Or:
		return c.join(cond, " OR ", "0")
	case store.Not:
		inner, args, exact, err := c.compile(cond.C)
		if err != nil || !exact {
			return "1", nil, false, err
		}
		return "NOT (" + inner + ")", args, true, nil
	case store.Cmp:
		return c.cmp(cond)
	case store.In:
		return c.in(cond)
	}
	return "1", nil, false, nil
}

func (c *condCompiler) join(members []store.Cond, op, empty string) (string, []any, bool, error) {
	if len(members) == 0 {
		return empty, nil, true, nil
	}
	var parts []string
	var args []any
	exact := true
	for _, m := range members {
		sqlText, a, ok, err := c.compile(m)
		if err != nil {
			return "", nil, false, err
		}
		exact = exact && ok
		parts = append(parts, "("+sqlText+")")
		args = append(args, a...)
	}
	return strings.Join(parts, op), args, exact, nil
}

var sqlOps = [...]string{"=", "!=", "<", "<=", ">", ">="}

func (c *condCompiler) cmp(cond store.Cmp) (string, []any, bool, error) {
	op := sqlOps[cond.Op]
	if col, ok := internedColumns[cond.Field]; ok {
		v, _ := cond.Value.(string)
		id, found, err := c.p.strs.lookupID(c.ctx, v)
		if err != nil {
			return "", nil, false, err
		}
		switch {
		case cond.Op == store.OpEq && !found:
			return "0", nil, true, nil
		case cond.Op == store.OpNe && !found:
			return "1", nil, true, nil
		case cond.Op == store.OpEq || cond.Op == store.OpNe:
			return col + " " + op + " ?", []any{id}, true, nil
		}
		return "1", nil, false, nil
	}
	switch cond.Field {
	case store.FieldName:
		v, _ := cond.Value.(string)
		if cond.Op == store.OpEq || cond.Op == store.OpNe {
			return "name " + op + " ?", []any{v}, true, nil
		}
	case store.FieldResponseCode:
		v, ok := cond.Value.(int64)
		if !ok {
			return "1", nil, false, nil
		}
		if cond.Op == store.OpNe {
			return "code != ?", []any{v}, true, nil
		}
		return "code != 0 AND code " + op + " ?", []any{v}, true, nil
	case store.FieldRequestReceivedTimestamp, store.FieldTimestamp, store.FieldStageTimestamp:
		t, ok := cond.Value.(time.Time)
		if !ok {
			return "1", nil, false, nil
		}
		col := "ts"
		if cond.Field == store.FieldStageTimestamp {
			col = "(ts + sts)"
		}
		return col + " " + op + " ?", []any{micros(t)}, true, nil
	case store.FieldStage:
		v, _ := cond.Value.(string)
		code := stageCodes[v]
		if cond.Op == store.OpEq || cond.Op == store.OpNe {
			return "stage " + op + " ?", []any{code}, true, nil
		}
	case store.FieldAuditID:
		v, _ := cond.Value.(string)
		if cond.Op == store.OpEq || cond.Op == store.OpNe {
			return "aid " + op + " ?", []any{auditKey(v)}, true, nil
		}
	case store.FieldObjectName:
		// objectRef.name = X (non-empty) implies the name column is X.
		if v, _ := cond.Value.(string); cond.Op == store.OpEq && v != "" {
			sqlText, args, _, err := c.cmp(store.Cmp{Field: store.FieldName, Op: store.OpEq, Value: v})
			return sqlText, args, false, err
		}
	}
	return "1", nil, false, nil
}

func (c *condCompiler) in(cond store.In) (string, []any, bool, error) {
	not := ""
	if cond.Negate {
		not = "NOT "
	}
	if col, ok := internedColumns[cond.Field]; ok {
		var ids []any
		for _, pat := range cond.Patterns {
			var matched []int64
			var err error
			if strings.ContainsAny(pat, "*?") {
				matched, err = c.p.strs.glob(c.ctx, pat)
			} else {
				var id int64
				var found bool
				id, found, err = c.p.strs.lookupID(c.ctx, pat)
				if found && pat != "" {
					matched = []int64{id}
				}
			}
			if err != nil {
				return "", nil, false, err
			}
			for _, id := range matched {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			if cond.Negate {
				return "1", nil, true, nil
			}
			return "0", nil, true, nil
		}
		return col + " " + not + "IN (" + placeholders(len(ids)) + ")", ids, true, nil
	}
	switch cond.Field {
	case store.FieldName:
		sqlText, args := globAny("name != ''", "name", cond)
		return sqlText, args, true, nil
	case store.FieldResponseCode:
		sqlText, args := globAny("code != 0", "CAST(code AS TEXT)", cond)
		return sqlText, args, true, nil
	case store.FieldStage:
		var args []any
		for name, code := range stageCodes {
			for _, pat := range cond.Patterns {
				if globMatch(pat, name) {
					args = append(args, code)
					break
				}
			}
		}
		if len(args) == 0 {
			return map[bool]string{true: "1", false: "0"}[cond.Negate], nil, true, nil
		}
		return "stage " + not + "IN (" + placeholders(len(args)) + ")", args, true, nil
	case store.FieldAuditID:
		var args []any
		for _, pat := range cond.Patterns {
			if strings.ContainsAny(pat, "*?") {
				return "1", nil, false, nil
			}
			args = append(args, auditKey(pat))
		}
		return "aid " + not + "IN (" + placeholders(len(args)) + ")", args, true, nil
	}
	return "1", nil, false, nil
}

// globAny matches an expression against any of a set's patterns; present
// says when the field has a value (an absent field matches no pattern).
func globAny(present, expr string, cond store.In) (string, []any) {
	parts := make([]string, len(cond.Patterns))
	args := make([]any, len(cond.Patterns))
	for i, pat := range cond.Patterns {
		parts[i], args[i] = expr+" GLOB ?", sqlGlob(pat)
	}
	sqlText := present + " AND (" + strings.Join(parts, " OR ") + ")"
	if cond.Negate {
		sqlText = "NOT (" + sqlText + ")"
	}
	return sqlText, args
}

// globMatch matches * and ? wildcards; everything else is literal.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && globMatch(pattern[1:], s[1:])
}
