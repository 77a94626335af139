// Package snapshot turns listings of a cluster's tracked kinds into
// baselines: `kubectl get <kind> -A -o json` List files, or a live listing
// through the Kubernetes API. A baseline tells the store which objects
// existed at a moment, including those created before auditing began.
package snapshot

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
)

// item is what a baseline needs from a listed object.
type item struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		Name            string `json:"name"`
		Namespace       string `json:"namespace"`
		UID             string `json:"uid"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
}

// kindOf finds the tracked kind of a listed object from its apiVersion and
// kind.
func kindOf(apiVersion, kind string) (audit.Kind, bool) {
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = ""
	}
	for _, k := range audit.Tracked() {
		if k.Name == kind && k.Group == audit.CanonicalGroup(group) {
			return k, true
		}
	}
	return audit.Kind{}, false
}

// Parsed is the content of one List file, grouped by kind.
type Parsed struct {
	Baselines []store.Baseline // Cluster, Time and Source are left for the caller
	Skipped   map[string]int   // untracked kinds and how many items of each
}

// ParseList reads a `kubectl get ... -o json` List (or a single object).
// Items of untracked kinds are counted in Skipped. An empty List names no
// kind: force one with kind (e.g. "pods"), or it yields no baseline.
func ParseList(name string, data []byte, kind string) (Parsed, error) {
	var list struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return Parsed{}, fmt.Errorf("%s: not a JSON List: %w", name, err)
	}
	items := list.Items
	if !strings.HasSuffix(list.Kind, "List") {
		items = []json.RawMessage{data} // a single object
	}
	out := Parsed{Skipped: map[string]int{}}
	byKind := map[audit.Kind]*store.Baseline{}
	var order []audit.Kind
	var forced *audit.Kind
	if kind != "" {
		ks := audit.ParseKind(kind)
		if len(ks) != 1 {
			return Parsed{}, fmt.Errorf("--kind %q: name one tracked kind, e.g. pods or networkpolicies.networking.k8s.io", kind)
		}
		forced = &ks[0]
		byKind[ks[0]] = &store.Baseline{Kind: ks[0]}
		order = append(order, ks[0])
	}
	for i, raw := range items {
		var it item
		if err := json.Unmarshal(raw, &it); err != nil {
			return Parsed{}, fmt.Errorf("%s: items[%d]: %w", name, i, err)
		}
		k, ok := kindOf(it.APIVersion, it.Kind)
		if !ok {
			out.Skipped[it.APIVersion+" "+it.Kind]++
			continue
		}
		if forced != nil && k != *forced {
			return Parsed{}, fmt.Errorf("%s: items[%d] is a %s, not a %s as --kind says", name, i, k, *forced)
		}
		if it.Metadata.Name == "" {
			return Parsed{}, fmt.Errorf("%s: items[%d] (%s) has no metadata.name", name, i, k)
		}
		if k.Namespaced() && it.Metadata.Namespace == "" {
			return Parsed{}, fmt.Errorf("%s: items[%d] (%s %s) has no metadata.namespace", name, i, k, it.Metadata.Name)
		}
		b, ok := byKind[k]
		if !ok {
			b = &store.Baseline{Kind: k}
			byKind[k] = b
			order = append(order, k)
		}
		b.Objects = append(b.Objects, store.BaselineObject{Namespace: it.Metadata.Namespace, Name: it.Metadata.Name,
			UID: it.Metadata.UID, ResourceVersion: it.Metadata.ResourceVersion, Object: raw})
	}
	sort.Slice(order, func(i, j int) bool { return order[i].String() < order[j].String() })
	for _, k := range order {
		out.Baselines = append(out.Baselines, *byKind[k])
	}
	return out, nil
}
