package report

import (
	"fmt"
	"strings"
)

// bound replaces the functions of m that build a result whose size an
// argument chooses (repeat, until, untilStep, seq, indent, nindent and the
// random generators) with versions that refuse sizes beyond the rendering
// limits before allocating. A function whose signature is not the expected
// one is removed rather than left unbounded.
func bound(m map[string]any) {
	m["repeat"] = func(count int, s string) (string, error) {
		if n := int64(count) * int64(len(s)); n > MaxOutputBytes {
			return "", tooLarge("repeat", n)
		}
		if count < 0 {
			return "", fmt.Errorf("repeat: negative count %d", count)
		}
		return strings.Repeat(s, count), nil
	}
	m["until"] = func(count int) ([]int, error) {
		if abs(int64(count)) > MaxCollectionLen {
			return nil, tooLarge("until", int64(count))
		}
		return steps(0, int64(count), stepToward(0, int64(count))), nil
	}
	m["untilStep"] = func(start, stop, step int) ([]int, error) {
		if step == 0 || (stop > start) != (step > 0) {
			return []int{}, nil
		}
		if n := abs(int64(stop)-int64(start)) / abs(int64(step)); n > MaxCollectionLen {
			return nil, tooLarge("untilStep", n)
		}
		return steps(int64(start), int64(stop), int64(step)), nil
	}
	if seq, ok := m["seq"].(func(...int) string); ok {
		m["seq"] = func(params ...int) (string, error) {
			if n := seqLen(params); n > MaxCollectionLen {
				return "", tooLarge("seq", n)
			}
			return seq(params...), nil
		}
	} else {
		delete(m, "seq")
	}
	indent := func(name string, lead string) func(int, string) (string, error) {
		return func(spaces int, s string) (string, error) {
			if spaces < 0 {
				return "", fmt.Errorf("%s: negative width %d", name, spaces)
			}
			lines := int64(strings.Count(s, "\n") + 1)
			if n := int64(spaces)*lines + int64(len(s)); n > MaxOutputBytes {
				return "", tooLarge(name, n)
			}
			pad := strings.Repeat(" ", spaces)
			return lead + pad + strings.ReplaceAll(s, "\n", "\n"+pad), nil
		}
	}
	m["indent"] = indent("indent", "")
	m["nindent"] = indent("nindent", "\n")
	boundRandom(m)
}

// boundRandom bounds the random string generators.
func boundRandom(m map[string]any) {
	for _, name := range []string{"randAlphaNum", "randAlpha", "randAscii", "randNumeric"} {
		if fn, ok := m[name].(func(int) string); ok {
			m[name] = func(count int) (string, error) {
				if count > MaxOutputBytes {
					return "", tooLarge(name, int64(count))
				}
				return fn(count), nil
			}
		} else {
			delete(m, name)
		}
	}
	if fn, ok := m["randBytes"].(func(int) (string, error)); ok {
		m["randBytes"] = func(count int) (string, error) {
			if int64(count)*4/3 > MaxOutputBytes {
				return "", tooLarge("randBytes", int64(count))
			}
			return fn(count)
		}
	} else {
		delete(m, "randBytes")
	}
}

// tooLarge is the error of a function asked for a result of size n.
func tooLarge(name string, n int64) error {
	return fmt.Errorf("%s: %w (%d)", name, ErrOutputTooLarge, n)
}

// steps returns start, start+step, ... up to but excluding stop.
func steps(start, stop, step int64) []int {
	out := []int{}
	if step == 0 {
		return out
	}
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		out = append(out, int(i))
	}
	return out
}

func stepToward(from, to int64) int64 {
	if to < from {
		return -1
	}
	return 1
}

// seqLen is how many numbers seq prints for its arguments: seq END,
// seq START END, or seq START STEP END.
func seqLen(p []int) int64 {
	switch len(p) {
	case 1:
		return abs(int64(p[0])) + 1
	case 2:
		return abs(int64(p[1])-int64(p[0])) + 1
	case 3:
		if p[1] == 0 {
			return 0
		}
		return abs(int64(p[2])-int64(p[0]))/abs(int64(p[1])) + 1
	}
	return 0
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
