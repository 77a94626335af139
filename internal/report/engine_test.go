package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/policy"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

var updateScenarios = flag.Bool("update-scenarios", false, "rewrite the expected files of the report scenarios")

// scenario is a readable report fixture: the cluster before the interval
// (baseline), what happened during it (changes, as the API server would
// have audited them), the report to run, and (in files beside it) the
// expected downloads.
type scenario struct {
	Description string `json:"description"`
	Report      struct {
		Type      string                 `json:"type"`
		Start     time.Time              `json:"start"`
		End       time.Time              `json:"end"`
		Endpoints *v1.EndpointsSelection `json:"endpoints,omitempty"`
	} `json:"report"`
	IncludeStaged bool `json:"includeStaged,omitempty"`
	// Baseline objects are listed one hour before the interval starts.
	Baseline []json.RawMessage `json:"baseline"`
	Changes  []change          `json:"changes"`
}

// change is one audited write. For create/update/patch, Object is the
// object after the write; for delete, Kind and Name ([namespace/]name).
type change struct {
	At     time.Time       `json:"at"`
	Verb   string          `json:"verb"`
	User   string          `json:"user,omitempty"`
	Code   int             `json:"code,omitempty"`
	Object json.RawMessage `json:"object,omitempty"`
	Kind   string          `json:"kind,omitempty"` // resource[.group], for deletes
	Name   string          `json:"name,omitempty"`
}

type objMeta struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func kindOfObject(t *testing.T, raw []byte) (audit.Kind, objMeta) {
	t.Helper()
	var m objMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("object: %v\n%s", err, raw)
	}
	group, _, ok := strings.Cut(m.APIVersion, "/")
	if !ok {
		group = ""
	}
	for _, k := range audit.Tracked() {
		if k.Name == m.Kind && k.Group == audit.CanonicalGroup(group) {
			return k, m
		}
	}
	t.Fatalf("object of untracked kind %s %s", m.APIVersion, m.Kind)
	return audit.Kind{}, m
}

// auditEvent writes the audit event the API server would have logged.
func auditEvent(t *testing.T, i int, c change) audit.Event {
	t.Helper()
	if c.User == "" {
		c.User = "alice"
	}
	if c.Code == 0 {
		c.Code = map[string]int{"create": 201}[c.Verb]
		if c.Code == 0 {
			c.Code = 200
		}
	}
	var kind audit.Kind
	var ns, name string
	resp := c.Object
	if len(c.Object) > 0 {
		var m objMeta
		kind, m = kindOfObject(t, c.Object)
		ns, name = m.Metadata.Namespace, m.Metadata.Name
	} else {
		ks := audit.ParseKind(c.Kind)
		if len(ks) != 1 {
			t.Fatalf("change %d: kind %q names %d kinds", i, c.Kind, len(ks))
		}
		kind = ks[0]
		if a, b, ok := strings.Cut(c.Name, "/"); ok {
			ns, name = a, b
		} else {
			name = c.Name
		}
		resp = json.RawMessage(`{"kind":"Status","apiVersion":"v1","status":"Success","details":{"name":"` + name + `"}}`)
	}
	if c.Code >= 300 {
		resp = json.RawMessage(fmt.Sprintf(`{"kind":"Status","apiVersion":"v1","status":"Failure","code":%d}`, c.Code))
	}
	ref := map[string]string{"resource": kind.Resource, "name": name, "apiVersion": "v1"}
	if ns != "" {
		ref["namespace"] = ns
	}
	if kind.Group != "" {
		ref["apiGroup"] = kind.Group
	}
	ev := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse", "auditID": fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		"stage": "ResponseComplete", "requestURI": "/apis/x", "verb": c.Verb, "user": map[string]any{"username": c.User},
		"objectRef": ref, "responseStatus": map[string]int{"code": c.Code}, "responseObject": resp,
		"requestReceivedTimestamp": c.At.Format(time.RFC3339Nano), "stageTimestamp": c.At.Format(time.RFC3339Nano),
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := audit.Decode(raw, "")
	if err != nil {
		t.Fatalf("change %d: %v", i, err)
	}
	out.Cluster = "default"
	return out
}

// runScenario builds a store from a scenario and runs its report.
func runScenario(t *testing.T, sc *scenario) (*Report, *v1.GlobalReportType) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	byKind := map[audit.Kind]*store.Baseline{}
	baseAt := sc.Report.Start.Add(-time.Hour)
	for _, raw := range sc.Baseline {
		k, m := kindOfObject(t, raw)
		b, ok := byKind[k]
		if !ok {
			b = &store.Baseline{Cluster: "default", Kind: k, Time: baseAt, Source: "snapshot:scenario"}
			byKind[k] = b
		}
		b.Objects = append(b.Objects, store.BaselineObject{Namespace: m.Metadata.Namespace, Name: m.Metadata.Name, Object: raw})
	}
	for _, k := range audit.Tracked() { // every kind gets a baseline, empty or not
		b, ok := byKind[k]
		if !ok {
			b = &store.Baseline{Cluster: "default", Kind: k, Time: baseAt, Source: "snapshot:scenario"}
		}
		if _, err := st.ImportBaseline(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	batch := &store.Batch{Source: "file:scenario.log"}
	for i, c := range sc.Changes {
		batch.Events = append(batch.Events, auditEvent(t, i+1, c))
	}
	if _, err := st.Append(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	var rt *v1.GlobalReportType
	for _, d := range DefaultTypes() {
		if d.Name == sc.Report.Type {
			rt = d
		}
	}
	if rt == nil {
		t.Fatalf("no report type %q", sc.Report.Type)
	}
	rep := &v1.GlobalReport{Spec: v1.ReportSpec{ReportType: rt.Name, Endpoints: sc.Report.Endpoints}}
	rep.Name = "scenario"
	opts := EngineOptions{Now: func() time.Time { return sc.Report.End.Add(30 * time.Minute) }}
	opts.Policy = policy.DefaultOptions()
	opts.Policy.IncludeStaged = sc.IncludeStaged
	r, err := NewEngine(st, opts).Run(t.Context(), rep, rt, sc.Report.Start, sc.Report.End)
	if err != nil {
		t.Fatal(err)
	}
	return r, rt
}

// TestScenarios runs every scenario in testdata/scenarios and compares
// each download (and the UI summary and evidence coverage) with the
// expected files beside it.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*/scenario.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		dir := filepath.Dir(file)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var sc scenario
			if err := yaml.UnmarshalStrict(raw, &sc); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			r, rt := runScenario(t, &sc)
			got := map[string][]byte{"ui-summary.json": indentJSON(t, []byte(r.UISummary))}
			cov, _ := json.MarshalIndent(r.EvidenceCoverage, "", "  ")
			got["evidence-coverage.json"] = append(cov, '\n')
			for _, f := range Formats(&rt.Spec) {
				var buf bytes.Buffer
				if _, _, err := Download(&buf, r, &rt.Spec, []string{f.Name}); err != nil {
					t.Fatalf("render %s: %v", f.Name, err)
				}
				got[f.Name] = buf.Bytes()
			}
			names := make([]string, 0, len(got))
			for n := range got {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				path := filepath.Join(dir, "want", n)
				if *updateScenarios {
					os.MkdirAll(filepath.Dir(path), 0o755)
					if err := os.WriteFile(path, got[n], 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("%s: %v (run with -update-scenarios to create it)", n, err)
					continue
				}
				if diff := cmp.Diff(string(want), string(got[n])); diff != "" {
					t.Errorf("%s differs (-want +got):\n%s", n, diff)
				}
			}
		})
	}
}

func indentJSON(t *testing.T, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatalf("UI summary is not JSON: %v\n%s", err, raw)
	}
	return append(buf.Bytes(), '\n')
}
