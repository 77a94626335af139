package synth

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// objectKey names an object across kinds.
type objectKey struct{ group, resource, namespace, name string }

type kubectlList struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Items      []map[string]any `json:"items"`
}

// baselineIndex decodes baseline lists into resourceVersions by object.
func baselineIndex(t *testing.T, lists []List) map[objectKey]uint64 {
	t.Helper()
	idx := map[objectKey]uint64{}
	for _, l := range lists {
		var doc kubectlList
		if err := json.Unmarshal(l.JSON, &doc); err != nil {
			t.Fatalf("%s: %v", l.Resource, err)
		}
		if doc.Kind != "List" || doc.APIVersion != "v1" {
			t.Fatalf("%s: a %s %s, want a v1 List", l.Resource, doc.APIVersion, doc.Kind)
		}
		group, _, found := strings.Cut(l.APIVersion, "/")
		if !found {
			group = ""
		}
		for _, it := range doc.Items {
			if it["kind"] != l.Kind || it["apiVersion"] != l.APIVersion {
				t.Fatalf("%s: item of kind %v %v", l.Resource, it["apiVersion"], it["kind"])
			}
			md := metaOf(it)
			if md["managedFields"] != nil {
				t.Fatalf("%s: kubectl get does not show managedFields", l.Resource)
			}
			ns, _ := md["namespace"].(string)
			idx[objectKey{group, l.Resource, ns, str2(md, "name")}] = rvOf(it)
		}
	}
	return idx
}

// checkBaseline checks the baseline of a history and that its events
// follow from it.
func checkBaseline(t *testing.T, opts Options, events []event) {
	g, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := g.Baseline(opts.Start)
	if err != nil {
		t.Fatal(err)
	}
	if len(lists) != len(newKinds().all()) {
		t.Fatalf("%d lists, want one per tracked kind", len(lists))
	}
	idx := baselineIndex(t, lists)
	for _, k := range []objectKey{
		{"", "namespaces", "", "payable"}, {"", "namespaces", "", "collections"}, {"", "namespaces", "", "payroll"},
		{"", "namespaces", "", "widgets"}, {"", "namespaces", "", "dev"}, {"", "namespaces", "", "storefront"},
		{"", "namespaces", "", "kube-system"}, {"", "namespaces", "", "sandbox"},
		{"", "serviceaccounts", "widgets", "controller"},
		{"networking.k8s.io", "networkpolicies", "payable", "default-deny"},
		{"networking.k8s.io", "networkpolicies", "dev", "allow-all-ingress"},
		{"networking.k8s.io", "networkpolicies", "payroll", "allow-from-accounts"},
		{"networking.k8s.io", "networkpolicies", "collections", "allow-partner-sftp"},
		{"projectcalico.org", "globalnetworksets", "", "internet"},
		{"projectcalico.org", "globalnetworksets", "", "google-dns"},
		{"projectcalico.org", "globalnetworkpolicies", "", "security.default-deny"},
		{"projectcalico.org", "tiers", "", "security"},
	} {
		if _, ok := idx[k]; !ok {
			t.Errorf("baseline lacks %v", k)
		}
	}
	pods, policies := 0, 0
	for k := range idx {
		switch {
		case k.resource == "pods":
			pods++
		case k.resource == "networkpolicies" || k.resource == "globalnetworkpolicies" || strings.HasPrefix(k.resource, "staged"):
			policies++
		}
	}
	if pods < 200 || pods > 400 || policies != opts.Policies {
		t.Errorf("baseline has %d pods and %d policies, want a few hundred and %d", pods, policies, opts.Policies)
	}

	checkEventsFollow(t, idx, events)

	mid, err := g.Baseline(opts.Start.Add(opts.Duration * 6 / 10))
	if err != nil {
		t.Fatal(err)
	}
	later := baselineIndex(t, mid)
	if _, ok := later[objectKey{"", "namespaces", "", "sandbox"}]; ok {
		t.Error("sandbox is still there after its deletion")
	}
	if _, ok := later[objectKey{"", "namespaces", "", "reporting"}]; !ok {
		t.Error("reporting is not there after its creation")
	}
	for k := range later {
		if k.namespace == "sandbox" {
			t.Errorf("%v outlived its namespace", k)
		}
	}
}

// checkEventsFollow replays events over the baseline: every write on an
// existing object names one the baseline or an earlier event created, an
// update carries the resourceVersion last seen, and failed requests change
// nothing.
func checkEventsFollow(t *testing.T, idx map[objectKey]uint64, events []event) {
	t.Helper()
	live := map[objectKey]uint64{}
	for k, rv := range idx {
		live[k] = rv
	}
	for i, e := range events {
		ref := e.ObjectRef
		code := int(e.ResponseStatus.Code)
		if code >= 300 || e.Verb == "deletecollection" {
			if e.Verb == "deletecollection" {
				for _, it := range e.resp["items"].([]any) {
					md := metaOf(it.(map[string]any))
					k := objectKey{ref.APIGroup, ref.Resource, ref.Namespace, str2(md, "name")}
					if _, ok := live[k]; !ok {
						t.Fatalf("line %d: deletecollection of unknown %v", i+1, k)
					}
					if ref.Resource == "pods" {
						live[k] = rvOf(it.(map[string]any))
					} else {
						delete(live, k)
					}
				}
			}
			continue
		}
		if ref.Subresource == "binding" || ref.Subresource == "eviction" {
			continue
		}
		name := ref.Name
		if md := metaOf(e.resp); md != nil && name == "" {
			name = str2(md, "name")
		}
		k := objectKey{ref.APIGroup, ref.Resource, ref.Namespace, name}
		if ref.Resource == "namespaces" {
			k.namespace = ""
		}
		prev, known := live[k]
		switch {
		case e.Verb == "create" || e.Verb == "patch" && code == 201:
			if known {
				t.Fatalf("line %d: created %v, which exists", i+1, k)
			}
		case !known:
			t.Fatalf("line %d: %s of %v, which does not exist", i+1, e.Verb, k)
		case e.Verb == "update" && ref.ResourceVersion != strconv.FormatUint(prev, 10):
			t.Fatalf("line %d: update of %v at resourceVersion %s, last seen %d", i+1, k, ref.ResourceVersion, prev)
		}
		switch {
		case e.Verb == "delete" && (e.resp["kind"] == "Status" || metaOf(e.resp)["deletionGracePeriodSeconds"] == float64(0) || ref.Resource == "namespaces" && e.User.Username != "alice"):
			delete(live, k)
		default:
			live[k] = rvOf(e.resp)
		}
	}
}
