package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// List is one baseline document: what `kubectl get <resource> -A -o json`
// prints for one tracked kind.
type List struct {
	Kind       string // the item kind, e.g. "NetworkPolicy"
	APIVersion string // the item group/version, e.g. "projectcalico.org/v3"
	Resource   string // the plural resource, e.g. "networkpolicies"
	JSON       []byte // the List document, indented like kubectl's output
}

// lists renders the live objects of every tracked kind.
func (s *sim) lists() ([]List, error) {
	var out []List
	for _, k := range s.w.k.all() {
		items := s.itemsOf(k)
		var raw bytes.Buffer
		raw.WriteString(`{"apiVersion":"v1","items":[`)
		for i, it := range items {
			if i > 0 {
				raw.WriteByte(',')
			}
			raw.Write(it)
		}
		raw.WriteString(`],"kind":"List","metadata":{"resourceVersion":""}}`)
		doc, err := kubectlJSON(raw.Bytes())
		if err != nil {
			return nil, fmt.Errorf("baseline %s: %w", k.resource, err)
		}
		out = append(out, List{Kind: k.kind, APIVersion: k.apiVersion(), Resource: k.resource, JSON: doc})
	}
	return out, nil
}

// kubectlJSON indents a document as kubectl prints it (four spaces,
// trailing newline). Keys keep the order the API server serves them in;
// kubectl's own output sorts them, which no reader depends on.
func kubectlJSON(raw []byte) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(len(raw) * 2)
	if err := json.Indent(&b, raw, "", "    "); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// itemsOf renders the live objects of one kind, ordered by namespace and
// name.
func (s *sim) itemsOf(k *kindInfo) [][]byte {
	type item struct {
		ns, name string
		js       []byte
	}
	var items []item
	add := func(ns, name string, js []byte) { items = append(items, item{ns, name, js}) }
	w := s.w
	switch k {
	case w.k.pod:
		for _, ns := range w.namespaces {
			for _, p := range ns.pods {
				if !p.gone {
					add(ns.m.name, p.name, p.appendJSON(nil, false))
				}
			}
		}
	case w.k.namespace:
		for _, ns := range w.namespaces {
			if !ns.gone {
				add("", ns.m.name, ns.appendJSON(nil, false))
			}
		}
	case w.k.serviceAccount:
		for _, ns := range w.namespaces {
			for _, sa := range ns.sas {
				if !sa.gone && !ns.gone {
					add(ns.m.name, sa.m.name, sa.appendJSON(nil, false))
				}
			}
		}
	case w.k.endpoints:
		for _, d := range w.deployments {
			if d.ep != nil && !d.ep.gone && !d.ns.gone {
				add(d.ns.m.name, d.name, d.ep.appendJSON(nil, false))
			}
		}
	default:
		for _, o := range w.objects {
			if o.k == k {
				add(o.namespaceName(), o.m.name, o.appendJSON(nil, false))
			}
		}
	}
	slices.SortFunc(items, func(a, b item) int {
		if c := strings.Compare(a.ns, b.ns); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([][]byte, len(items))
	for i, it := range items {
		out[i] = it.js
	}
	return out
}
