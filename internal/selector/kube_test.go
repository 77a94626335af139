package selector

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func TestFromLabelSelector(t *testing.T) {
	req := func(key string, o metav1.LabelSelectorOperator, values ...string) metav1.LabelSelectorRequirement {
		return metav1.LabelSelectorRequirement{Key: key, Operator: o, Values: values}
	}
	tests := []struct {
		name string
		in   *metav1.LabelSelector
		want string
	}{
		{"nil", nil, ""},
		{"empty", &metav1.LabelSelector{}, "all()"},
		{"empty lists", &metav1.LabelSelector{MatchLabels: map[string]string{}, MatchExpressions: []metav1.LabelSelectorRequirement{}}, "all()"},
		{"one label", &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, `app == "web"`},
		{"labels sorted by key", &metav1.LabelSelector{MatchLabels: map[string]string{
			"tier": "db", "app": "web", "app.kubernetes.io/name": "shop", "Z": "",
		}}, `Z == "" && app == "web" && app.kubernetes.io/name == "shop" && tier == "db"`},
		{"in", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			req("env", metav1.LabelSelectorOpIn, "prod", "dev"),
		}}, `env in {"dev", "prod"}`},
		{"not in", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			req("env", metav1.LabelSelectorOpNotIn, "prod"),
		}}, `env not in {"prod"}`},
		{"exists", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			req("canary", metav1.LabelSelectorOpExists),
		}}, `has(canary)`},
		{"does not exist", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			req("canary", metav1.LabelSelectorOpDoesNotExist),
		}}, `!has(canary)`},
		{"labels then expressions in order", &metav1.LabelSelector{
			MatchLabels: map[string]string{"b": "2", "a": "1"},
			MatchExpressions: []metav1.LabelSelectorRequirement{
				req("z", metav1.LabelSelectorOpDoesNotExist),
				req("y", metav1.LabelSelectorOpIn, "q"),
				req("x", metav1.LabelSelectorOpExists),
			},
		}, `a == "1" && b == "2" && !has(z) && y in {"q"} && has(x)`},
		{"in with no values", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			req("env", metav1.LabelSelectorOpIn),
		}}, `env in {}`},
		{"value with a double quote", &metav1.LabelSelector{MatchLabels: map[string]string{"a": `x"y`}}, `a == 'x"y'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := FromLabelSelector(tt.in)
			if err != nil {
				t.Fatalf("FromLabelSelector: %v", err)
			}
			if tt.in == nil {
				if sel != nil {
					t.Fatalf("nil selector gave %s, want nil", sel)
				}
				return
			}
			if got := sel.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if again := MustParse(sel.String()).String(); again != tt.want {
				t.Errorf("does not round-trip: %s", again)
			}
		})
	}
}

// TestFromLabelSelectorSemantics checks the conversion against the
// Kubernetes implementation of label selectors.
func TestFromLabelSelectorSemantics(t *testing.T) {
	ls := &metav1.LabelSelector{
		MatchLabels: map[string]string{"app": "web"},
		MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "env", Operator: metav1.LabelSelectorOpIn, Values: []string{"prod", "staging"}},
			{Key: "tier", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"db"}},
			{Key: "owner", Operator: metav1.LabelSelectorOpExists},
			{Key: "legacy", Operator: metav1.LabelSelectorOpDoesNotExist},
		},
	}
	kube, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := FromLabelSelector(ls)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []Map{
		{},
		{"app": "web", "env": "prod", "owner": "x"},
		{"app": "web", "env": "prod", "owner": "x", "tier": "db"},
		{"app": "web", "env": "prod", "owner": "x", "tier": "api"},
		{"app": "web", "env": "dev", "owner": "x"},
		{"app": "web", "env": "staging", "owner": ""},
		{"app": "web", "env": "staging", "owner": "", "legacy": "1"},
		{"app": "api", "env": "prod", "owner": "x"},
		{"env": "prod", "owner": "x"},
	} {
		want := kube.Matches(labels.Set(l))
		if got := sel.Matches(l); got != want {
			t.Errorf("%v: %s gives %v, Kubernetes gives %v", l, sel, got, want)
		}
	}
}

func TestFromLabelSelectorErrors(t *testing.T) {
	tests := []struct {
		name string
		in   *metav1.LabelSelector
		is   error
		msg  string
	}{
		{"bad key", &metav1.LabelSelector{MatchLabels: map[string]string{"a b": "x"}}, ErrInvalidKey, `matchLabels: key "a b"`},
		{"long key", &metav1.LabelSelector{MatchLabels: map[string]string{strings.Repeat("k", 513): "x"}}, ErrInvalidKey, "matchLabels"},
		{"both quotes", &metav1.LabelSelector{MatchLabels: map[string]string{"a": `'"`}}, ErrInvalidValue, `key "a"`},
		{"bad expression key", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "", Operator: metav1.LabelSelectorOpExists},
		}}, ErrInvalidKey, "matchExpressions[0]"},
		{"bad expression value", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "ok", Operator: metav1.LabelSelectorOpExists},
			{Key: "a", Operator: metav1.LabelSelectorOpIn, Values: []string{`'"`}},
		}}, ErrInvalidValue, "matchExpressions[1]"},
		{"unknown operator", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "a", Operator: "Gt", Values: []string{"1"}},
		}}, nil, `matchExpressions[0]: key "a": unknown operator "Gt"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := FromLabelSelector(tt.in)
			if err == nil {
				t.Fatalf("succeeded with %s", sel)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}
