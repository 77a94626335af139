package snapshot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/evident-dev/evident/internal/demo/synth"
)

func TestParseKubectlLists(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	g, err := synth.New(synth.Demo(7, start, 3))
	if err != nil {
		t.Fatal(err)
	}
	lists, err := g.Baseline(start)
	if err != nil {
		t.Fatal(err)
	}
	kinds := 0
	for _, l := range lists {
		p, err := ParseList(l.Resource+".json", l.JSON, "")
		if err != nil {
			t.Fatalf("%s: %v", l.Resource, err)
		}
		if len(p.Skipped) != 0 {
			t.Errorf("%s: skipped %v", l.Resource, p.Skipped)
		}
		for _, b := range p.Baselines {
			kinds++
			if b.Kind.Resource != l.Resource {
				t.Errorf("%s parsed as %s", l.Resource, b.Kind)
			}
			for _, o := range b.Objects {
				if o.Name == "" || o.ResourceVersion == "" || (b.Kind.Namespaced() && o.Namespace == "") || !json.Valid(o.Object) {
					t.Fatalf("%s: incomplete object %+v", b.Kind, o)
				}
			}
		}
	}
	if kinds < 10 {
		t.Errorf("only %d kinds with objects", kinds)
	}
}

func TestParseListErrors(t *testing.T) {
	pod := `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"n","uid":"u","resourceVersion":"1"}}`
	cm := `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","namespace":"n"}}`
	tests := []struct {
		name, data, kind, err string
		baselines             int
	}{
		{"mixed list", `{"kind":"List","items":[` + pod + `,` + cm + `]}`, "", "", 1},
		{"single object", pod, "", "", 1},
		{"empty list", `{"kind":"List","items":[]}`, "", "", 0},
		{"empty list with kind", `{"kind":"List","items":[]}`, "pods", "", 1},
		{"not json", `nope`, "", "not a JSON List", 0},
		{"no name", `{"kind":"List","items":[{"kind":"Pod","apiVersion":"v1","metadata":{"namespace":"n"}}]}`, "", "items[0] (pods) has no metadata.name", 0},
		{"no namespace", `{"kind":"List","items":[{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}}]}`, "", "has no metadata.namespace", 0},
		{"wrong forced kind", `{"kind":"List","items":[` + pod + `]}`, "namespaces", "not a namespaces", 0},
		{"bad forced kind", `{"kind":"List","items":[]}`, "configmaps", "name one tracked kind", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseList("f.json", []byte(tt.data), tt.kind)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || len(p.Baselines) != tt.baselines {
				t.Fatalf("%d baselines, %v", len(p.Baselines), err)
			}
		})
	}
}

// TestTakeListsEveryServedKind runs client-go against an API server stand-in
// on loopback that serves pods (in two pages) and networkpolicies, and
// answers 404 for the Calico groups, as a cluster without Calico does.
func TestTakeListsEveryServedKind(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/pods":
			if r.URL.Query().Get("continue") == "" {
				fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"next"},"items":[{"metadata":{"name":"a","namespace":"n","resourceVersion":"5"}}]}`)
			} else {
				fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"b","namespace":"n","resourceVersion":"6"}}]}`)
			}
		case "/api/v1/namespaces", "/api/v1/serviceaccounts", "/api/v1/endpoints":
			fmt.Fprint(w, `{"kind":"List","apiVersion":"v1","metadata":{},"items":[]}`)
		case "/apis/networking.k8s.io/v1/networkpolicies":
			fmt.Fprint(w, `{"kind":"NetworkPolicyList","apiVersion":"networking.k8s.io/v1","metadata":{},"items":[{"metadata":{"name":"np","namespace":"n"}}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		}
	}))
	defer srv.Close()
	got, err := Take(t.Context(), &rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, b := range got.Baselines {
		counts[b.Kind.String()] = len(b.Objects)
		if b.Time.IsZero() {
			t.Errorf("%s: no time", b.Kind)
		}
	}
	if counts["pods"] != 2 || counts["networkpolicies.networking.k8s.io"] != 1 || len(got.Baselines) != 5 || len(got.Missing) != 9 {
		t.Errorf("baselines %v, missing %d", counts, len(got.Missing))
	}
}
