package selector

import (
	"fmt"
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FromLabelSelector converts a Kubernetes label selector to a selector the
// way Calico sees a Kubernetes NetworkPolicy: each matchLabels entry, in key
// order, becomes k == "v"; then each matchExpressions entry, in order,
// becomes k in {...} (In), k not in {...} (NotIn), has(k) (Exists) or
// !has(k) (DoesNotExist); the terms are joined with &&.
//
// An empty selector ({}) becomes all(). A nil selector returns (nil, nil):
// "no selector", whose meaning the caller decides. Keys outside the label
// key syntax, values holding both quote characters and unknown operators
// are errors.
func FromLabelSelector(ls *metav1.LabelSelector) (*Selector, error) {
	if ls == nil {
		return nil, nil
	}
	var parts []node
	for _, k := range slices.Sorted(maps.Keys(ls.MatchLabels)) {
		v := ls.MatchLabels[k]
		if err := checkTerm(k, v); err != nil {
			return nil, fmt.Errorf("convert label selector: matchLabels: %w", err)
		}
		parts = append(parts, node{op: opEq, key: k, value: v})
	}
	for i, e := range ls.MatchExpressions {
		n, err := fromRequirement(e)
		if err != nil {
			return nil, fmt.Errorf("convert label selector: matchExpressions[%d]: %w", i, err)
		}
		parts = append(parts, n)
	}
	if len(parts) == 0 {
		return All(), nil
	}
	return newSelector(join(opAnd, parts)), nil
}

// fromRequirement converts one matchExpressions entry.
func fromRequirement(e metav1.LabelSelectorRequirement) (node, error) {
	if err := checkTerm(e.Key, e.Values...); err != nil {
		return node{}, err
	}
	switch e.Operator {
	case metav1.LabelSelectorOpIn:
		return node{op: opIn, key: e.Key, set: normalSet(slices.Clone(e.Values))}, nil
	case metav1.LabelSelectorOpNotIn:
		return node{op: opNotIn, key: e.Key, set: normalSet(slices.Clone(e.Values))}, nil
	case metav1.LabelSelectorOpExists:
		return node{op: opHas, key: e.Key}, nil
	case metav1.LabelSelectorOpDoesNotExist:
		return negate(node{op: opHas, key: e.Key}), nil
	}
	return node{}, fmt.Errorf("key %q: unknown operator %q", e.Key, e.Operator)
}

// checkTerm validates a key and the values compared with it.
func checkTerm(key string, values ...string) error {
	if !ValidKey(key) {
		return fmt.Errorf("key %q: %w", key, ErrInvalidKey)
	}
	for _, v := range values {
		if !validLiteral(v) {
			return fmt.Errorf("key %q: value %q: %w", key, v, ErrInvalidValue)
		}
	}
	return nil
}
