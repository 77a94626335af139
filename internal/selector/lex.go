package selector

import (
	"strconv"
	"strings"
)

// maxKeyLen is the longest label key the language accepts.
const maxKeyLen = 512

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tokEOF tokKind = iota
	tokIllegal
	tokLabel
	tokString
	tokLBrace
	tokRBrace
	tokComma
	tokEq
	tokNe
	tokIn
	tokNotIn
	tokContains
	tokStartsWith
	tokEndsWith
	tokNot
	tokAnd
	tokOr
	tokLParen
	tokRParen
	tokHas
	tokAll
	tokGlobal
)

// token is one lexical token. pos is its byte offset in the input; text is
// the label key (tokLabel, tokHas) or the literal's contents (tokString), a
// substring of the input.
type token struct {
	kind tokKind
	pos  int
	text string
}

// lexer splits a selector into tokens on demand. The operator words (in,
// not in, contains, starts with, ends with) are recognised only directly
// after a label, so elsewhere they are ordinary label keys.
type lexer struct {
	in   string
	pos  int
	prev tokKind
}

// next returns the next token. Characters that start no token come back as
// tokIllegal so the parser can say what it expected there; only malformed
// tokens (an unterminated string, a lone '=', '&' or '|', an over-long key,
// a broken has(), all() or global()) are reported by the lexer itself.
func (lx *lexer) next() (token, *SyntaxError) {
	lx.skipSpace()
	t, err := lx.scan()
	if err == nil {
		lx.prev = t.kind
	}
	return t, err
}

func (lx *lexer) scan() (token, *SyntaxError) {
	start := lx.pos
	if start >= len(lx.in) {
		return token{kind: tokEOF, pos: start}, nil
	}
	rest := lx.in[start:]
	if k, n := symbol(rest); n > 0 {
		lx.pos += n
		return token{kind: k, pos: start}, nil
	}
	switch rest[0] {
	case '"', '\'':
		end := strings.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return token{}, lx.fail(len(lx.in), "a closing "+rest[:1]+" for the string at column "+strconv.Itoa(column(lx.in, start)))
		}
		lx.pos += end + 2
		return token{kind: tokString, pos: start, text: rest[1 : end+1]}, nil
	case '=':
		return token{}, lx.fail(start, "'==' (a single '=' is not an operator)")
	case '&':
		return token{}, lx.fail(start, "'&&'")
	case '|':
		return token{}, lx.fail(start, "'||'")
	}
	if lx.prev == tokLabel {
		if k, n := operatorWord(rest); n > 0 {
			lx.pos += n
			return token{kind: k, pos: start}, nil
		}
	} else if t, ok, err := lx.call(rest); ok || err != nil {
		return t, err
	}
	n := keyLen(rest)
	if n == 0 {
		lx.pos++
		return token{kind: tokIllegal, pos: start}, nil
	}
	if n > maxKeyLen {
		return token{}, lx.fail(start, "a label of at most 512 characters")
	}
	lx.pos += n
	return token{kind: tokLabel, pos: start, text: rest[:n]}, nil
}

// symbol recognises the punctuation tokens at the start of s and returns the
// number of bytes they use, or 0.
func symbol(s string) (tokKind, int) {
	switch s[0] {
	case '(':
		return tokLParen, 1
	case ')':
		return tokRParen, 1
	case '{':
		return tokLBrace, 1
	case '}':
		return tokRBrace, 1
	case ',':
		return tokComma, 1
	case '!':
		if strings.HasPrefix(s, "!=") {
			return tokNe, 2
		}
		return tokNot, 1
	}
	for _, p := range [...]struct {
		text string
		kind tokKind
	}{{"==", tokEq}, {"&&", tokAnd}, {"||", tokOr}} {
		if strings.HasPrefix(s, p.text) {
			return p.kind, 2
		}
	}
	return tokEOF, 0
}

// operatorWord recognises an operator word at the start of s and returns the
// number of bytes it uses, or 0. Multi-word operators allow any whitespace,
// including none, between their words; the last word must end at a
// non-label character.
func operatorWord(s string) (tokKind, int) {
	for _, w := range [...]struct {
		first, second string
		kind          tokKind
	}{
		{"contains", "", tokContains},
		{"starts", "with", tokStartsWith},
		{"ends", "with", tokEndsWith},
		{"not", "in", tokNotIn},
		{"in", "", tokIn},
	} {
		if !strings.HasPrefix(s, w.first) {
			continue
		}
		n := len(w.first)
		if w.second != "" {
			n += spaceLen(s[n:])
			if !strings.HasPrefix(s[n:], w.second) {
				continue
			}
			n += len(w.second)
		}
		if n < len(s) && isKeyChar(s[n]) {
			continue
		}
		return w.kind, n
	}
	return tokEOF, 0
}

// call recognises has(key), all() and global() at the start of s. ok
// reports whether one of the three names followed by '(' was found.
func (lx *lexer) call(s string) (t token, ok bool, err *SyntaxError) {
	start := lx.pos
	var kind tokKind
	var n int
	switch {
	case strings.HasPrefix(s, "has("):
		kind, n = tokHas, len("has(")
	case strings.HasPrefix(s, "all("):
		kind, n = tokAll, len("all(")
	case strings.HasPrefix(s, "global("):
		kind, n = tokGlobal, len("global(")
	default:
		return token{}, false, nil
	}
	n += spaceLen(s[n:])
	var key string
	if kind == tokHas {
		k := keyLen(s[n:])
		switch {
		case k == 0:
			return token{}, true, lx.fail(start+n, "a label")
		case k > maxKeyLen:
			return token{}, true, lx.fail(start+n, "a label of at most 512 characters")
		}
		key = s[n : n+k]
		n += k
		n += spaceLen(s[n:])
	}
	if n >= len(s) || s[n] != ')' {
		return token{}, true, lx.fail(start+n, "')'")
	}
	lx.pos += n + 1
	return token{kind: kind, pos: start, text: key}, true, nil
}

func (lx *lexer) skipSpace() { lx.pos += spaceLen(lx.in[lx.pos:]) }

func (lx *lexer) fail(pos int, expected string) *SyntaxError {
	return &SyntaxError{Input: lx.in, Column: column(lx.in, pos), Expected: expected}
}

// spaceLen returns the length of the whitespace at the start of s.
func spaceLen(s string) int {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// keyLen returns the length of the run of label-key characters at the start
// of s.
func keyLen(s string) int {
	i := 0
	for i < len(s) && isKeyChar(s[i]) {
		i++
	}
	return i
}

func isKeyChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '/' || c == '-'
}

// ValidKey reports whether key is a label key the language accepts:
// 1 to 512 characters from [a-zA-Z0-9_./-].
func ValidKey(key string) bool {
	return key != "" && len(key) <= maxKeyLen && keyLen(key) == len(key)
}
