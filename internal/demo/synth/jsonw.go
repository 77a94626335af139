package synth

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The appenders in this file write JSON the way the API server's encoder
// does: strings are escaped like encoding/json with HTML escaping on (so
// '&' becomes \u0026), object times are RFC 3339 seconds and audit times
// RFC 3339 microseconds.

const hexDigits = "0123456789abcdef"

// safeASCII reports whether an ASCII byte needs no escaping.
func safeASCII(c byte) bool {
	return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
}

// appendStr appends s as a quoted JSON string.
func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends the JSON escaping of s without quotes.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safeASCII(c) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// appendInt appends a decimal integer.
func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// appendUint appends a decimal unsigned integer.
func appendUint(b []byte, n uint64) []byte { return strconv.AppendUint(b, n, 10) }

// appendQuotedUint appends a decimal unsigned integer in quotes, as
// resourceVersion is written.
func appendQuotedUint(b []byte, n uint64) []byte {
	b = append(b, '"')
	b = strconv.AppendUint(b, n, 10)
	return append(b, '"')
}

// appendDigits appends n as exactly width decimal digits.
func appendDigits(b []byte, n, width int) []byte {
	var tmp [9]byte
	for i := width - 1; i >= 0; i-- {
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, tmp[:width]...)
}

// appendDateTime appends "2006-01-02T15:04:05" for t in UTC.
func appendDateTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(mo), 2)
	b = append(b, '-')
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendDigits(b, h, 2)
	b = append(b, ':')
	b = appendDigits(b, mi, 2)
	b = append(b, ':')
	return appendDigits(b, s, 2)
}

// appendTime appends t as a quoted metav1.Time ("2006-01-02T15:04:05Z").
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = appendDateTime(b, t)
	return append(b, 'Z', '"')
}

// appendMicro appends t as a quoted metav1.MicroTime
// ("2006-01-02T15:04:05.000000Z").
func appendMicro(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = appendDateTime(b, t)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1000, 6)
	return append(b, 'Z', '"')
}

// timeString formats t as metav1.Time does, without quotes.
func timeString(t time.Time) string {
	var a [24]byte
	b := appendDateTime(a[:0], t)
	return string(append(b, 'Z'))
}
