package selector

import (
	"fmt"
	"unicode/utf8"
)

// maxDepth bounds the nesting of parentheses, so that hostile input cannot
// exhaust the stack of the parser, the matcher or the printer.
const maxDepth = 256

// SyntaxError reports a selector that does not parse.
type SyntaxError struct {
	// Input is the selector as given.
	Input string
	// Column is the 1-based position, in characters, where the parser
	// found something other than what it expected. It is one past the last
	// character when the selector ended too early.
	Column int
	// Expected describes what would have been valid at Column.
	Expected string
}

// Error implements error. Very long selectors are shortened.
func (e *SyntaxError) Error() string {
	in := e.Input
	const maxShown = 200
	if len(in) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8.RuneStart(in[cut]) {
			cut--
		}
		in = in[:cut] + "..."
	}
	return fmt.Sprintf("selector %q: column %d: expected %s", in, e.Column, e.Expected)
}

// column converts a byte offset in s to a 1-based character column.
func column(s string, pos int) int {
	if pos > len(s) {
		pos = len(s)
	}
	return utf8.RuneCountInString(s[:pos]) + 1
}

// Expected-descriptions shared by several parse states.
const (
	expectTerm     = "a label, has(), all(), global(), '!' or '('"
	expectOperator = "an operator (==, !=, in, not in, contains, starts with, ends with)"
)

// parser is a recursive-descent parser over the lexer with one token of
// lookahead.
type parser struct {
	lx    lexer
	tok   token
	depth int
}

// parse parses a complete selector. An empty or all-whitespace input is
// all().
func parse(s string) (node, *SyntaxError) {
	p := parser{lx: lexer{in: s}}
	if err := p.advance(); err != nil {
		return node{}, err
	}
	if p.tok.kind == tokEOF {
		return node{op: opAll}, nil
	}
	n, err := p.parseOr()
	if err != nil {
		return node{}, err
	}
	if p.tok.kind != tokEOF {
		return node{}, p.fail("'&&', '||' or the end of the selector")
	}
	return n, nil
}

func (p *parser) advance() *SyntaxError {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// fail reports that expected was wanted at the current token.
func (p *parser) fail(expected string) *SyntaxError {
	return p.lx.fail(p.tok.pos, expected)
}

// parseOr parses and-terms separated by "||".
func (p *parser) parseOr() (node, *SyntaxError) {
	var parts []node
	for {
		n, err := p.parseAnd()
		if err != nil {
			return node{}, err
		}
		parts = append(parts, n)
		if p.tok.kind != tokOr {
			return join(opOr, parts), nil
		}
		if err := p.advance(); err != nil {
			return node{}, err
		}
	}
}

// parseAnd parses unary terms separated by "&&".
func (p *parser) parseAnd() (node, *SyntaxError) {
	var parts []node
	for {
		n, err := p.parseUnary()
		if err != nil {
			return node{}, err
		}
		parts = append(parts, n)
		if p.tok.kind != tokAnd {
			return join(opAnd, parts), nil
		}
		if err := p.advance(); err != nil {
			return node{}, err
		}
	}
}

// parseUnary parses any number of "!" followed by a term.
func (p *parser) parseUnary() (node, *SyntaxError) {
	neg := false
	for p.tok.kind == tokNot {
		neg = !neg
		if err := p.advance(); err != nil {
			return node{}, err
		}
	}
	n, err := p.parseTerm()
	if err != nil {
		return node{}, err
	}
	if neg {
		n = negate(n)
	}
	return n, nil
}

// parseTerm parses has(), all(), global(), a parenthesised selector or a
// label test.
func (p *parser) parseTerm() (node, *SyntaxError) {
	t := p.tok
	switch t.kind {
	case tokHas, tokAll, tokGlobal:
		if err := p.advance(); err != nil {
			return node{}, err
		}
		switch t.kind {
		case tokHas:
			return node{op: opHas, key: t.text}, nil
		case tokGlobal:
			return node{op: opGlobal}, nil
		}
		return node{op: opAll}, nil
	case tokLParen:
		return p.parseGroup()
	case tokLabel:
		if err := p.advance(); err != nil {
			return node{}, err
		}
		return p.parseTest(t.text)
	case tokString:
		return node{}, p.fail(expectTerm + " (a quoted string cannot come first)")
	}
	return node{}, p.fail(expectTerm)
}

// parseGroup parses "(" selector ")".
func (p *parser) parseGroup() (node, *SyntaxError) {
	if p.depth == maxDepth {
		return node{}, p.fail(fmt.Sprintf("at most %d nested parentheses", maxDepth))
	}
	p.depth++
	if err := p.advance(); err != nil {
		return node{}, err
	}
	n, err := p.parseOr()
	if err != nil {
		return node{}, err
	}
	if p.tok.kind != tokRParen {
		return node{}, p.fail("'&&', '||' or ')'")
	}
	p.depth--
	return n, p.advance()
}

// parseTest parses the operator and operand after a label key.
func (p *parser) parseTest(key string) (node, *SyntaxError) {
	var o op
	switch p.tok.kind {
	case tokEq:
		o = opEq
	case tokNe:
		o = opNe
	case tokContains:
		o = opContains
	case tokStartsWith:
		o = opStartsWith
	case tokEndsWith:
		o = opEndsWith
	case tokIn:
		o = opIn
	case tokNotIn:
		o = opNotIn
	default:
		return node{}, p.fail(expectOperator)
	}
	if err := p.advance(); err != nil {
		return node{}, err
	}
	if o == opIn || o == opNotIn {
		set, err := p.parseSet()
		if err != nil {
			return node{}, err
		}
		return node{op: o, key: key, set: set}, nil
	}
	if p.tok.kind != tokString {
		return node{}, p.fail("a quoted string")
	}
	value := p.tok.text
	return node{op: o, key: key, value: value}, p.advance()
}

// parseSet parses "{" [string {"," string} [","]] "}".
func (p *parser) parseSet() ([]string, *SyntaxError) {
	if p.tok.kind != tokLBrace {
		return nil, p.fail("'{'")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	var values []string
	for {
		switch p.tok.kind {
		case tokRBrace:
			return normalSet(values), p.advance()
		case tokString:
			values = append(values, p.tok.text)
			if err := p.advance(); err != nil {
				return nil, err
			}
			switch p.tok.kind {
			case tokComma:
				if err := p.advance(); err != nil {
					return nil, err
				}
			case tokRBrace:
			default:
				return nil, p.fail("',' or '}'")
			}
		default:
			return nil, p.fail("a quoted string or '}'")
		}
	}
}
