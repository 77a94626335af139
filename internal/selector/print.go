package selector

import "strings"

// print writes the canonical form of n. Parentheses are added only where
// precedence needs them, and around a comparison or set test under "!" so
// that "!(a == 'x')" is never printed as the easily misread "!a == 'x'".
func (n *node) print(b *strings.Builder) {
	switch n.op {
	case opAll:
		b.WriteString("all()")
	case opGlobal:
		b.WriteString("global()")
	case opHas:
		b.WriteString("has(")
		b.WriteString(n.key)
		b.WriteByte(')')
	case opEq, opNe, opContains, opStartsWith, opEndsWith:
		b.WriteString(n.key)
		b.WriteString(opWord(n.op))
		writeQuoted(b, n.value)
	case opIn, opNotIn:
		b.WriteString(n.key)
		b.WriteString(opWord(n.op))
		b.WriteByte('{')
		for i, v := range n.set {
			if i > 0 {
				b.WriteString(", ")
			}
			writeQuoted(b, v)
		}
		b.WriteByte('}')
	case opNot:
		b.WriteByte('!')
		k := &n.kids[0]
		switch k.op {
		case opAll, opGlobal, opHas:
			k.print(b)
		default:
			b.WriteByte('(')
			k.print(b)
			b.WriteByte(')')
		}
	case opAnd, opOr:
		sep := " && "
		if n.op == opOr {
			sep = " || "
		}
		for i := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k := &n.kids[i]
			// Kids are never the same operator as their parent (join
			// flattens them), so only an || inside an && needs parentheses.
			if n.op == opAnd && k.op == opOr {
				b.WriteByte('(')
				k.print(b)
				b.WriteByte(')')
			} else {
				k.print(b)
			}
		}
	}
}

// writeQuoted writes s in double quotes, or in single quotes when s
// contains a double quote. Literals have no escapes, so a string holding
// both quote characters cannot be written; constructors reject it.
func writeQuoted(b *strings.Builder, s string) {
	q := byte('"')
	if strings.IndexByte(s, '"') >= 0 {
		q = '\''
	}
	b.WriteByte(q)
	b.WriteString(s)
	b.WriteByte(q)
}

// opWord is the canonical spelling of a comparison operator, with the
// surrounding spaces.
func opWord(o op) string {
	switch o {
	case opEq:
		return " == "
	case opNe:
		return " != "
	case opIn:
		return " in "
	case opNotIn:
		return " not in "
	case opContains:
		return " contains "
	case opStartsWith:
		return " starts with "
	case opEndsWith:
		return " ends with "
	}
	return " ? "
}
