package query

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/evident-dev/evident/internal/store"
)

// maxDepth bounds the nesting of parentheses and NOT, so a hostile query
// cannot exhaust the stack.
const maxDepth = 100

// Parse compiles a query into a condition. An empty or all-white-space
// query yields nil, which matches every event. Any failure is an *Error
// naming the column at fault.
func Parse(src string) (store.Cond, error) {
	c, err := parse(src)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Validate reports whether src parses, with the same error Parse returns.
func Validate(src string) error {
	if _, err := parse(src); err != nil {
		return err
	}
	return nil
}

// parser is a recursive-descent parser over the tokens of one query.
type parser struct {
	src   string
	toks  []token
	pos   int
	depth int
}

func parse(src string) (store.Cond, *Error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	if p.peek().kind == tokEOF {
		return nil, nil
	}
	c, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.errf(t, "expected AND, OR or end of query, found %s", t.describe())
	}
	return c, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }

// next consumes a token; the final tokEOF is never consumed.
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) errf(t token, format string, args ...any) *Error {
	return &Error{Query: p.src, Column: t.col, Msg: fmt.Sprintf(format, args...)}
}

// enter records one more level of nesting opened by t.
func (p *parser) enter(t token) *Error {
	p.depth++
	if p.depth > maxDepth {
		return p.errf(t, "conditions nested more than %d levels deep", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// parseOr reads and-terms separated by OR.
func (p *parser) parseOr() (store.Cond, *Error) {
	var terms []store.Cond
	for {
		c, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		terms = append(terms, c)
		if p.peek().kind != tokOr {
			break
		}
		p.next()
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	var or store.Or
	for _, c := range terms {
		if inner, ok := c.(store.Or); ok {
			or = append(or, inner...)
		} else {
			or = append(or, c)
		}
	}
	return or, nil
}

// parseAnd reads unary terms separated by AND.
func (p *parser) parseAnd() (store.Cond, *Error) {
	var terms []store.Cond
	for {
		c, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, c)
		if p.peek().kind != tokAnd {
			break
		}
		p.next()
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	var and store.And
	for _, c := range terms {
		if inner, ok := c.(store.And); ok {
			and = append(and, inner...)
		} else {
			and = append(and, c)
		}
	}
	return and, nil
}

// parseUnary reads NOT term, a parenthesised query or an atom.
func (p *parser) parseUnary() (store.Cond, *Error) {
	t := p.peek()
	switch t.kind {
	case tokNot:
		p.next()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		c, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return store.Not{C: c}, nil
	case tokLParen:
		p.next()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		c, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if end := p.next(); end.kind != tokRParen {
			return nil, p.errf(end, "expected AND, OR or ) closing the ( at column %d, found %s", t.col, end.describe())
		}
		return c, nil
	case tokIdent, tokString:
		return p.parseTerm()
	}
	return nil, p.errf(t, "expected a key, ( or NOT, found %s%s", t.describe(), quoteHint(t, "key"))
}

// quoteHint suggests quoting when a reserved word stands where a key or
// value belongs.
func quoteHint(t token, role string) string {
	if t.kind == tokNot && t.text == "!" || t.kind == tokAnd && t.text == "&&" || t.kind == tokOr && t.text == "||" {
		return ""
	}
	if t.isKeyword() {
		return fmt.Sprintf(" (write %q to use it as a %s)", t.text, role)
	}
	return ""
}

// parseTerm reads key <cmp> value, key IN {…} or key NOTIN {…}.
func (p *parser) parseTerm() (store.Cond, *Error) {
	kt := p.next()
	f := store.Field(kt.text)
	kind, ok := kindOf(f)
	if !ok {
		return nil, p.errf(kt, "%s", unknownKey(kt.text))
	}
	ot := p.next()
	switch ot.kind {
	case tokCmp:
		return p.parseCmp(f, kind, ot)
	case tokIn, tokNotIn:
		return p.parseSet(f, kind, ot)
	}
	return nil, p.errf(ot, "expected =, !=, <, <=, >, >=, IN or NOTIN after key %s, found %s", f, ot.describe())
}

// unknownKey explains an invalid key, suggesting a key that differs only
// in case.
func unknownKey(name string) string {
	for k := range strings.SplitSeq(keyNames, ", ") {
		if strings.EqualFold(k, name) {
			return fmt.Sprintf("unknown key %q (did you mean %s?)", name, k)
		}
	}
	return fmt.Sprintf("unknown key %q; valid keys are %s", name, keyNames)
}

// parseCmp reads the value of key <op> value.
func (p *parser) parseCmp(f store.Field, kind valueKind, ot token) (store.Cond, *Error) {
	if ot.op != store.OpEq && ot.op != store.OpNe && kind != kindCode && kind != kindDate {
		return nil, p.errf(ot, "operator %s applies only to responseStatus.code and the timestamp keys, not %s", ot.text, f)
	}
	vt := p.next()
	if vt.kind != tokIdent && vt.kind != tokString {
		return nil, p.errf(vt, "expected a value after %s, found %s%s", ot.text, vt.describe(), quoteHint(vt, "value"))
	}
	v, msg := convertValue(f, kind, vt.text)
	if msg != "" {
		return nil, p.errf(vt, "%s", msg)
	}
	return store.Cmp{Field: f, Op: ot.op, Value: v}, nil
}

// parseSet reads the member list of key IN {…} or key NOTIN {…}.
func (p *parser) parseSet(f store.Field, kind valueKind, ot token) (store.Cond, *Error) {
	switch kind {
	case kindIP:
		return nil, p.errf(ot, "%s does not support %s; use = or != with an address or CIDR", f, ot.text)
	case kindDate:
		return nil, p.errf(ot, "%s does not support %s; compare it with =, !=, <, <=, > or >=", f, ot.text)
	}
	open := p.next()
	if open.kind != tokLBrace {
		return nil, p.errf(open, "expected { after %s, found %s", ot.text, open.describe())
	}
	var pats []string
	for {
		mt := p.next()
		if mt.kind != tokIdent && mt.kind != tokString {
			return nil, p.errf(mt, "expected a set member, found %s%s", mt.describe(), quoteHint(mt, "member"))
		}
		pat, msg := convertPattern(f, kind, mt.text)
		if msg != "" {
			return nil, p.errf(mt, "%s", msg)
		}
		pats = append(pats, pat)
		sep := p.next()
		if sep.kind == tokRBrace {
			break
		}
		if sep.kind != tokComma {
			return nil, p.errf(sep, "expected , or } closing the { at column %d, found %s", open.col, sep.describe())
		}
	}
	return store.In{Field: f, Patterns: pats, Negate: ot.kind == tokNotIn}, nil
}

// convertValue checks the value of a comparison and converts it to the
// type the condition carries. A non-empty message explains a bad value.
func convertValue(f store.Field, kind valueKind, s string) (any, string) {
	switch kind {
	case kindEnum:
		if !slices.Contains(enumValues(f), s) {
			return nil, enumMessage(f, s)
		}
		return s, ""
	case kindDomain:
		return normalizeDomain(s), ""
	case kindURL:
		return normalizeURL(s), ""
	case kindCode:
		n, ok := parseCode(s)
		if !ok {
			return nil, fmt.Sprintf("%s must be an integer from 100 to 599", f)
		}
		return n, ""
	case kindDate:
		t, ok := parseDate(s)
		if !ok {
			return nil, fmt.Sprintf("%s must be a date: RFC 3339 (2006-01-02T15:04:05Z), \"2006-01-02 15:04:05\" or 2006-01-02", f)
		}
		return t, ""
	case kindIP:
		pfx, ok := parsePrefix(s)
		if !ok {
			return nil, fmt.Sprintf("%s must be an IP address or CIDR", f)
		}
		return pfx, ""
	}
	return s, ""
}

// convertPattern checks and normalises one member of an IN or NOTIN set.
func convertPattern(f store.Field, kind valueKind, s string) (string, string) {
	wild := strings.ContainsAny(s, "*?")
	switch kind {
	case kindEnum:
		for _, v := range enumValues(f) {
			if match(s, v) {
				return s, ""
			}
		}
		if wild {
			return "", fmt.Sprintf("%s pattern %q matches none of %s", f, s, strings.Join(enumValues(f), ", "))
		}
		return "", enumMessage(f, s)
	case kindDomain:
		return normalizeDomain(s), ""
	case kindURL:
		return normalizeURL(s), ""
	case kindCode:
		if !wild {
			n, ok := parseCode(s)
			if !ok {
				return "", fmt.Sprintf("%s must be an integer from 100 to 599", f)
			}
			return strconv.FormatInt(n, 10), ""
		}
		if strings.Trim(s, "0123456789*?") != "" {
			return "", fmt.Sprintf("%s pattern %q may hold only digits, * and ?", f, s)
		}
	}
	return s, ""
}

// enumMessage explains a value outside an enumeration.
func enumMessage(f store.Field, s string) string {
	vals := enumValues(f)
	msg := fmt.Sprintf("%s must be one of %s", f, strings.Join(vals, ", "))
	for _, v := range vals {
		if strings.EqualFold(v, s) {
			return fmt.Sprintf("%s (did you mean %s?)", msg, v)
		}
	}
	return msg
}
