package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/evident-dev/evident/internal/store"
)

// tokKind classifies a token.
type tokKind int

const (
	tokEOF    tokKind = iota
	tokIdent          // unquoted identifier (also numbers)
	tokString         // double-quoted string, text holds the decoded value
	tokLParen
	tokRParen
	tokLBrace
	tokRBrace
	tokComma
	tokCmp // comparison operator, op holds which
	tokAnd
	tokOr
	tokNot
	tokIn
	tokNotIn
)

// token is one lexical unit of a query.
type token struct {
	kind tokKind
	text string   // identifier text, decoded string or operator spelling
	op   store.Op // for tokCmp
	col  int      // 1-based rune column of the first rune
}

// isKeyword reports whether the token is a reserved word or symbol
// operator (AND, or, &&, IN, ...).
func (t token) isKeyword() bool {
	switch t.kind {
	case tokAnd, tokOr, tokNot, tokIn, tokNotIn:
		return true
	}
	return false
}

// describe renders the token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of query"
	case tokString:
		return "string " + strconv.Quote(t.text)
	case tokIdent:
		return strconv.Quote(t.text)
	}
	if t.isKeyword() {
		return "keyword " + t.text
	}
	return strconv.Quote(t.text)
}

// isIdentRune reports whether r may appear in an unquoted identifier:
// a Unicode letter or decimal digit, or one of _ - . / : * ?
func isIdentRune(r rune) bool {
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return true
	}
	return strings.ContainsRune("_-./:*?", r)
}

// lex splits src into tokens, ending with a tokEOF token.
func lex(src string) ([]token, *Error) {
	var toks []token
	col := 0 // rune column of src[i], 0-based
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		start := col
		if r == utf8.RuneError && size == 1 {
			return nil, errAt(src, start, "invalid UTF-8 byte")
		}
		switch {
		case unicode.IsSpace(r):
			i += size
			col++
			continue
		case r == '"':
			text, n, runes, err := lexString(src, i, start)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, text: text, col: start + 1})
			i += n
			col += runes
			continue
		case isIdentRune(r):
			j := i
			for j < len(src) {
				r, size := utf8.DecodeRuneInString(src[j:])
				if (r == utf8.RuneError && size == 1) || !isIdentRune(r) {
					break
				}
				j += size
				col++
			}
			toks = append(toks, identToken(src[i:j], start+1))
			i = j
			continue
		}
		t, n, err := lexSymbol(src, i, start)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		i += n
		col += n // symbols are ASCII
	}
	return append(toks, token{kind: tokEOF, col: col + 1}), nil
}

// identToken classifies a bare word as a keyword or an identifier.
func identToken(word string, col int) token {
	t := token{kind: tokIdent, text: word, col: col}
	switch word {
	case "AND", "and":
		t.kind = tokAnd
	case "OR", "or":
		t.kind = tokOr
	case "NOT", "not":
		t.kind = tokNot
	case "IN", "in":
		t.kind = tokIn
	case "NOTIN", "notin":
		t.kind = tokNotIn
	}
	return t
}

// lexSymbol reads a punctuation token at src[i]; col is its 0-based column.
func lexSymbol(src string, i, col int) (token, int, *Error) {
	two := ""
	if i+1 < len(src) {
		two = src[i : i+2]
	}
	switch two {
	case "&&":
		return token{kind: tokAnd, text: two, col: col + 1}, 2, nil
	case "||":
		return token{kind: tokOr, text: two, col: col + 1}, 2, nil
	case "!=":
		return token{kind: tokCmp, text: two, op: store.OpNe, col: col + 1}, 2, nil
	case "<=":
		return token{kind: tokCmp, text: two, op: store.OpLe, col: col + 1}, 2, nil
	case ">=":
		return token{kind: tokCmp, text: two, op: store.OpGe, col: col + 1}, 2, nil
	}
	c := src[i]
	t := token{text: string(c), col: col + 1}
	switch c {
	case '(':
		t.kind = tokLParen
	case ')':
		t.kind = tokRParen
	case '{':
		t.kind = tokLBrace
	case '}':
		t.kind = tokRBrace
	case ',':
		t.kind = tokComma
	case '!':
		t.kind = tokNot
	case '=':
		t.kind, t.op = tokCmp, store.OpEq
	case '<':
		t.kind, t.op = tokCmp, store.OpLt
	case '>':
		t.kind, t.op = tokCmp, store.OpGt
	case '&':
		return t, 0, errAt(src, col, "expected && for AND, found a single &")
	case '|':
		return t, 0, errAt(src, col, "expected || for OR, found a single |")
	case '\'', '`':
		return t, 0, errAt(src, col, fmt.Sprintf("unexpected character %q (strings use double quotes)", c))
	default:
		r, _ := utf8.DecodeRuneInString(src[i:])
		return t, 0, errAt(src, col, fmt.Sprintf("unexpected character %q", r))
	}
	return t, 1, nil
}

// lexString decodes the double-quoted string starting at src[i] (0-based
// rune column col). It returns the decoded text, the bytes and runes
// consumed including both quotes.
func lexString(src string, i, col int) (string, int, int, *Error) {
	// Find the closing quote, skipping escaped characters.
	j, runes := i+1, 1
	closed := false
	for j < len(src) {
		r, size := utf8.DecodeRuneInString(src[j:])
		if r == utf8.RuneError && size == 1 {
			return "", 0, 0, errAt(src, col+runes, "invalid UTF-8 byte")
		}
		j += size
		runes++
		if r == '"' {
			closed = true
			break
		}
		if r == '\\' && j < len(src) {
			r, size := utf8.DecodeRuneInString(src[j:])
			if r == utf8.RuneError && size == 1 {
				return "", 0, 0, errAt(src, col+runes, "invalid UTF-8 byte")
			}
			j += size
			runes++
		}
	}
	if !closed {
		return "", 0, 0, errAt(src, col, "unterminated string")
	}
	text, err := unquote(src, src[i+1:j-1], col+1)
	if err != nil {
		return "", 0, 0, err
	}
	return text, j - i, runes, nil
}

// unquote decodes Go-style escapes in body, the text between the quotes;
// col is the 0-based rune column of body's first rune.
func unquote(src, body string, col int) (string, *Error) {
	if !strings.ContainsRune(body, '\\') {
		return body, nil
	}
	var b []byte
	for body != "" {
		v, multibyte, tail, err := strconv.UnquoteChar(body, '"')
		if err != nil {
			return "", errAt(src, col, "invalid escape sequence in string")
		}
		col += utf8.RuneCountInString(body[:len(body)-len(tail)])
		if multibyte || v < utf8.RuneSelf {
			b = utf8.AppendRune(b, v)
		} else {
			b = append(b, byte(v))
		}
		body = tail
	}
	return string(b), nil
}

// errAt builds an Error at the 0-based rune column col.
func errAt(src string, col int, msg string) *Error {
	return &Error{Query: src, Column: col + 1, Msg: msg}
}
