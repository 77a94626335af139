package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// funcMap returns the functions of one rendering, each guarded by the
// rendering's limits.
func (r *renderer) funcMap() template.FuncMap {
	m := sprig.GenericFuncMap()
	// Left out: functions that read the process environment (where
	// secrets live) or reach the network, and those that spend seconds of
	// CPU generating keys and certificates no report needs.
	for _, name := range []string{
		"env", "expandenv", "getHostByName",
		"genPrivateKey", "derivePassword", "buildCustomCert",
		"genCA", "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey",
		"genSignedCert", "genSignedCertWithKey",
	} {
		delete(m, name)
	}
	bound(m)
	for name, fn := range map[string]any{
		"toYaml":            toYAML,
		"toJson":            toJSON,
		"joinN":             joinN,
		"dateRfc3339":       dateRFC3339,
		"flowsPrefix":       r.flowsPrefix,
		"flowsIngress":      r.flowsIngress,
		"flowsEgress":       r.flowsEgress,
		"cisTopFailedTests": cisTopFailedTests,
		"cisResults":        cisResults,
		"csv":               r.newCSV,
		"csvCell":           CSVField,
		// The printing builtins, so that their results are size-checked.
		"print":    fmt.Sprint,
		"printf":   fmt.Sprintf,
		"println":  fmt.Sprintln,
		"html":     template.HTMLEscaper,
		"js":       template.JSEscaper,
		"urlquery": template.URLQueryEscaper,
	} {
		m[name] = fn
	}
	for name, fn := range m {
		m[name] = r.guard(fn)
	}
	m[checkName] = r.check
	return m
}

// toYAML renders v as YAML, through its JSON form (so JSON field names and
// custom JSON marshalling apply).
func toYAML(v any) (string, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("toYaml: %w", err)
	}
	return string(b), nil
}

// toJSON renders v as compact JSON without escaping <, > and &.
func toJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("toJson: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// joinN joins the text forms of at most max elements of list with sep. A
// list that is not a slice or array counts as one element; nil as none.
func joinN(sep string, max int, list any) string {
	items := textList(list)
	if max < 0 {
		max = 0
	}
	if len(items) > max {
		items = items[:max]
	}
	return strings.Join(items, sep)
}

// textList returns the text form of each element of a slice or array.
func textList(list any) []string {
	if list == nil {
		return nil
	}
	v := reflect.ValueOf(list)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]string, v.Len())
		for i := range out {
			out[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return out
	case reflect.Pointer:
		return nil
	}
	return []string{fmt.Sprint(list)}
}

// dateRFC3339 formats a time.Time, *time.Time, metav1.Time or *metav1.Time
// in RFC 3339, in UTC. A nil pointer gives an empty string.
func dateRFC3339(t any) (string, error) {
	var tt time.Time
	switch v := t.(type) {
	case time.Time:
		tt = v
	case metav1.Time:
		tt = v.Time
	case *time.Time:
		if v == nil {
			return "", nil
		}
		tt = *v
	case *metav1.Time:
		if v == nil {
			return "", nil
		}
		tt = v.Time
	case nil:
		return "", nil
	default:
		return "", fmt.Errorf("dateRfc3339: cannot format a %T", t)
	}
	return tt.UTC().Format(time.RFC3339), nil
}
