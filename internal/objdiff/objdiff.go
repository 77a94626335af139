// Package objdiff shows what changed between two versions of a Kubernetes
// object, the way a reviewer reads it: the object's labels, annotations
// and spec (and other top-level content such as an Endpoints' subsets) as
// YAML, line-diffed. Server-maintained noise is left out: managedFields,
// resourceVersion, uid, timestamps, generation, status, and kubectl's
// last-applied-configuration annotation (which repeats the spec).
package objdiff

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"sigs.k8s.io/yaml"
)

// Op says what a diff line is.
type Op byte

// The kinds of diff lines.
const (
	Same    Op = ' '
	Added   Op = '+'
	Removed Op = '-'
	Gap     Op = '~' // lines left out between hunks
)

// Line is one line of a diff.
type Line struct {
	Op   Op     `json:"op"`
	Text string `json:"text"`
}

// MarshalJSON writes the op as a one-character string.
func (o Op) MarshalJSON() ([]byte, error) { return json.Marshal(string(o)) }

// Normalize returns the reviewable part of an object as YAML. An empty
// object gives "".
func Normalize(obj []byte) (string, error) {
	if len(obj) == 0 {
		return "", nil
	}
	var m map[string]any
	if err := json.Unmarshal(obj, &m); err != nil {
		return "", fmt.Errorf("read object: %w", err)
	}
	out := map[string]any{}
	if meta, ok := m["metadata"].(map[string]any); ok {
		keep := map[string]any{}
		for _, k := range []string{"name", "namespace", "generateName", "labels", "ownerReferences", "finalizers"} {
			if v, ok := meta[k]; ok {
				keep[k] = v
			}
		}
		if ann, ok := meta["annotations"].(map[string]any); ok {
			a := map[string]any{}
			for k, v := range ann {
				if k != "kubectl.kubernetes.io/last-applied-configuration" {
					a[k] = v
				}
			}
			if len(a) > 0 {
				keep["annotations"] = a
			}
		}
		out["metadata"] = keep
	}
	for k, v := range m {
		switch k {
		case "metadata", "status", "kind", "apiVersion":
			continue
		}
		out[k] = v
	}
	y, err := yaml.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("format object: %w", err)
	}
	return string(y), nil
}

// Diff compares two normalised objects and returns the changed lines with
// context lines around them; identical inputs give nil.
func Diff(before, after string, context int) []Line {
	if before == after {
		return nil
	}
	a, b := splitLines(before), splitLines(after)
	m := difflib.NewMatcher(a, b)
	var out []Line
	for i, g := range m.GetGroupedOpCodes(context) {
		if i > 0 {
			out = append(out, Line{Op: Gap, Text: "..."})
		}
		for _, c := range g {
			switch c.Tag {
			case 'e':
				for _, l := range a[c.I1:c.I2] {
					out = append(out, Line{Same, trim(l)})
				}
			case 'd':
				for _, l := range a[c.I1:c.I2] {
					out = append(out, Line{Removed, trim(l)})
				}
			case 'i':
				for _, l := range b[c.J1:c.J2] {
					out = append(out, Line{Added, trim(l)})
				}
			case 'r':
				for _, l := range a[c.I1:c.I2] {
					out = append(out, Line{Removed, trim(l)})
				}
				for _, l := range b[c.J1:c.J2] {
					out = append(out, Line{Added, trim(l)})
				}
			}
		}
	}
	return out
}

func trim(l string) string { return strings.TrimRight(l, "\n") }

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// Pair is a side-by-side view row: the old line and the new one (either
// may be empty when a line was only added or removed).
type Pair struct {
	Op    Op     `json:"op"`
	Left  string `json:"left,omitempty"`
	Right string `json:"right,omitempty"`
}

// SideBySide arranges a diff for two columns.
func SideBySide(lines []Line) []Pair {
	var out []Pair
	for i := 0; i < len(lines); {
		switch lines[i].Op {
		case Removed:
			var rem, add []string
			for i < len(lines) && lines[i].Op == Removed {
				rem = append(rem, lines[i].Text)
				i++
			}
			for i < len(lines) && lines[i].Op == Added {
				add = append(add, lines[i].Text)
				i++
			}
			for j := 0; j < max(len(rem), len(add)); j++ {
				p := Pair{Op: Removed}
				if j < len(rem) {
					p.Left = rem[j]
				}
				if j < len(add) {
					p.Right = add[j]
					if p.Left == "" {
						p.Op = Added
					}
				}
				if p.Left != "" && p.Right != "" {
					p.Op = '!'
				}
				out = append(out, p)
			}
		case Added:
			out = append(out, Pair{Op: Added, Right: lines[i].Text})
			i++
		default:
			out = append(out, Pair{Op: lines[i].Op, Left: lines[i].Text, Right: lines[i].Text})
			i++
		}
	}
	return out
}
