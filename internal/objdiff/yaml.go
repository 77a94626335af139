package objdiff

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// node is a parsed JSON value: an object ('{', keys and vals in input
// order), an array ('[', vals), or a scalar ('"' string, '0' number, 't',
// 'f', 'n') with its text (a string's unescaped value, else the literal).
type node struct {
	kind byte
	text string
	keys []string
	vals []*node
}

// set adds or (for a repeated key, as JSON decoders do) replaces a member
// of a small object.
func (n *node) set(k string, v *node) {
	if i := slices.Index(n.keys, k); i >= 0 {
		n.vals[i] = v
		return
	}
	n.keys = append(n.keys, k)
	n.vals = append(n.vals, v)
}

// remove drops every member named k.
func (n *node) remove(k string) {
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i] == k {
			n.keys = slices.Delete(n.keys, i, i+1)
			n.vals = slices.Delete(n.vals, i, i+1)
		}
	}
}

// toYAML writes a node as block-style YAML with sorted keys, lists at
// their key's indentation (as kubectl prints them) and multi-line strings
// as literal blocks, so that a changed line of a config file diffs as one
// line.
//
// It exists because the general-purpose route (decode to maps, JSON to
// YAML through a reflective encoder) costs about a millisecond per policy
// version, and a changelog renders hundreds of versions.
// TestToYAMLRoundTrips and FuzzNormalize check that every output reads
// back, with a standard YAML library, as the same value.
func toYAML(n *node) string {
	var b strings.Builder
	b.Grow(4096)
	switch {
	case n.kind == '{' && len(n.keys) == 0:
		return "{}\n"
	case n.kind == '[' && len(n.vals) == 0:
		return "[]\n"
	case n.kind == '{':
		writeMapping(&b, n, 0, false)
	case n.kind == '[':
		writeSequence(&b, n, 0, false)
	default:
		writeScalar(&b, n, 0)
		b.WriteByte('\n')
	}
	return b.String()
}

func pad(b *strings.Builder, n int) {
	for range n {
		b.WriteByte(' ')
	}
}

// writeMapping writes m's members, sorted by key, at indent; with inline
// the first one follows a "- " already written.
func writeMapping(b *strings.Builder, m *node, indent int, inline bool) {
	order := make([]int, len(m.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return strings.Compare(m.keys[x], m.keys[y]) })
	first := true
	for i, j := range order {
		if i+1 < len(order) && m.keys[order[i+1]] == m.keys[j] {
			continue // a repeated key: the last one wins
		}
		if !first || !inline {
			pad(b, indent)
		}
		first = false
		// YAML allows implicit keys of up to 1024 characters; longer
		// ones are written as explicit "? key" entries.
		seqIndent := indent
		if key := keyText(m.keys[j]); len(key) <= 1000 {
			b.WriteString(key)
			b.WriteByte(':')
		} else {
			b.WriteString("? ")
			b.WriteString(key)
			b.WriteByte('\n')
			pad(b, indent)
			b.WriteByte(':')
			seqIndent = indent + 2
		}
		v := m.vals[j]
		switch {
		case v.kind == '{' && len(v.keys) == 0:
			b.WriteString(" {}\n")
		case v.kind == '[' && len(v.vals) == 0:
			b.WriteString(" []\n")
		case v.kind == '{':
			b.WriteByte('\n')
			writeMapping(b, v, indent+2, false)
		case v.kind == '[':
			b.WriteByte('\n')
			writeSequence(b, v, seqIndent, false)
		default:
			b.WriteByte(' ')
			writeScalar(b, v, indent)
			b.WriteByte('\n')
		}
	}
}

// writeSequence writes s's items as "- item" lines at indent; with inline
// the first dash follows a "- " already written.
func writeSequence(b *strings.Builder, s *node, indent int, inline bool) {
	for i, v := range s.vals {
		if i > 0 || !inline {
			pad(b, indent)
		}
		b.WriteString("- ")
		switch {
		case v.kind == '{' && len(v.keys) == 0:
			b.WriteString("{}\n")
		case v.kind == '[' && len(v.vals) == 0:
			b.WriteString("[]\n")
		case v.kind == '{':
			writeMapping(b, v, indent+2, true)
		case v.kind == '[':
			writeSequence(b, v, indent+2, true)
		default:
			writeScalar(b, v, indent)
			b.WriteByte('\n')
		}
	}
}

// writeScalar writes a scalar whose parent line is at indent.
func writeScalar(b *strings.Builder, n *node, indent int) {
	switch n.kind {
	case '"':
		writeString(b, n.text, indent, false)
	case '0':
		b.WriteString(yamlNumber(n.text))
	default: // true, false, null
		b.WriteString(n.text)
	}
}

func keyText(k string) string {
	var b strings.Builder
	writeString(&b, k, 0, true)
	return b.String()
}

// yamlNumber spells a JSON number so YAML reads it as a number: YAML 1.1
// takes "1e3" for a string, so exponents are written out.
func yamlNumber(s string) string {
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return strconv.Quote(s)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// writeString writes s plain when YAML would read it back as the same
// string, as a literal block when it is printable multi-line text (not for
// keys), and double-quoted otherwise.
func writeString(b *strings.Builder, s string, indent int, key bool) {
	if plainSafe(s) {
		b.WriteString(s)
		return
	}
	if !key && literalSafe(s) {
		lines := strings.Split(s, "\n")
		if strings.HasSuffix(s, "\n") {
			b.WriteString("|\n")
			lines = lines[:len(lines)-1]
		} else {
			b.WriteString("|-\n")
		}
		for i, l := range lines {
			if l != "" {
				pad(b, indent+2)
				b.WriteString(l)
			}
			if i < len(lines)-1 {
				b.WriteByte('\n')
			}
		}
		return
	}
	writeQuoted(b, s)
}

// plainSafe reports whether s can be written without quotes and read back
// as the same string: it starts with a letter or one of _ / < ( $ (so it is
// never a number or an indicator), is printable ASCII without ": ", " #",
// tabs or leading/trailing blanks, and is no YAML 1.1 bool, null or merge
// key.
func plainSafe(s string) bool {
	if s == "" || len(s) > 200 || s == "<<" {
		return false
	}
	// The first character must not be a YAML indicator, a digit, a sign or
	// a dot (numbers, .inf, timestamps) or a space.
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '/' || c == '<' || c == '(' || c == '$') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			if i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
		case c == ' ':
			if i == len(s)-1 || s[i+1] == ' ' || s[i+1] == '#' || s[i-1] == ':' {
				return false
			}
		case c < 0x21 || c > 0x7e:
			return false
		}
	}
	if len(s) <= 5 {
		for _, w := range []string{"true", "false", "yes", "no", "on", "off", "y", "n", "null"} {
			if strings.EqualFold(s, w) {
				return false
			}
		}
	}
	return true
}

// literalSafe reports whether s reads back the same from a "|" or "|-"
// block: printable text with a newline, a first line that sets the
// indentation (non-empty, no leading blank), no carriage returns and at
// most one trailing newline.
func literalSafe(s string) bool {
	if !strings.Contains(s, "\n") || strings.HasSuffix(s, "\n\n") || s == "\n" {
		return false
	}
	if s[0] == ' ' || s[0] == '\t' || s[0] == '\n' {
		return false
	}
	for _, r := range s {
		if r == '\n' || r == '\t' {
			continue
		}
		if r == '\r' || r == utf8.RuneError || !unicode.IsPrint(r) || r == '\u2028' || r == '\u2029' || r == '\uFEFF' || r == '\u0085' {
			return false
		}
	}
	// A line made of spaces only would be taken for an empty line or,
	// with more spaces than the indentation, for content.
	for _, l := range strings.Split(s, "\n") {
		if l != "" && strings.TrimLeft(l, " \t") == "" {
			return false
		}
	}
	// Trailing spaces on the last line are kept by the block, but a last
	// line that is all blank is not; checked above. Tabs at the start of a
	// line are content in a literal block.
	return true
}

// writeQuoted writes s single-quoted when it is one printable line, else
// double-quoted with escapes.
func writeQuoted(b *strings.Builder, s string) {
	if singleQuotable(s) {
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(s, "'", "''"))
		b.WriteByte('\'')
		return
	}
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			switch {
			case r == utf8.RuneError:
				b.WriteString(`\uFFFD`)
			case r < 0x20 || r == 0x7f || !unicode.IsPrint(r) && r != ' ' || r == '\u2028' || r == '\u2029' || r == '\uFEFF' || r == '\u0085':
				if r > 0xFFFF {
					b.WriteString(`\U` + leftPad(strconv.FormatInt(int64(r), 16), 8))
				} else {
					b.WriteString(`\u` + leftPad(strconv.FormatInt(int64(r), 16), 4))
				}
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// singleQuotable reports whether s is printable on one line, so a
// single-quoted scalar (where only ' needs doubling) holds it, as kubectl
// writes such strings.
func singleQuotable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' ||
			r == '\u2028' || r == '\u2029' || r == '\uFEFF' || r == '\u0085' {
			return false
		}
	}
	return true
}

func leftPad(s string, n int) string {
	return strings.Repeat("0", max(n-len(s), 0)) + s
}
