package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/ingest"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

// TestRealAPIServerLog imports the real kube-apiserver output and reports
// on it end to end.
func TestRealAPIServerLog(t *testing.T) {
	st, err := sqlite.Open(t.Context(), sqlite.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := ingest.ImportFile(t.Context(), st, "../../testdata/real-apiserver/audit.log", ingest.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	types := map[string]*v1.GlobalReportType{}
	for _, rt := range DefaultTypes() {
		types[rt.Name] = rt
	}
	start := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	engine := NewEngine(st, EngineOptions{})
	rep := &v1.GlobalReport{Spec: v1.ReportSpec{ReportType: "policy-audit"}}
	rep.Name = "policies"

	// Every completed write to a policy in the hour, counted from the log:
	// creates 9 GlobalNetworkPolicies + 8 NetworkPolicies less one server-side
	// dry run; modifications 20 patches + 1 update of NetworkPolicies and 10
	// patches + 1 update of GlobalNetworkPolicies; deletions 5 + 5, denied
	// attempts (403) included.
	r, err := engine.Run(t.Context(), rep, types["policy-audit"], start, end)
	if err != nil {
		t.Fatal(err)
	}
	if s := r.AuditSummary; s.NumCreate != 16 || s.NumModify != 32 || s.NumDelete != 10 || s.NumTotal != 58 {
		t.Errorf("policy audit summary: %+v", s)
	}
	for i, ev := range r.AuditEvents {
		if !bytes.HasPrefix(ev, []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1"`)) {
			t.Fatalf("event %d is not the logged audit.k8s.io/v1 event", i)
		}
	}
	var buf bytes.Buffer
	if _, _, err := Download(&buf, r, &types["policy-audit"].Spec, []string{"summary.csv"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.TrimSpace(buf.String()), ",16,32,10") {
		t.Errorf("policy-audit summary.csv:\n%s", buf.String())
	}

	// Inventory: dev/allow-frontend applies to endpoints of dev only.
	rep = &v1.GlobalReport{Spec: v1.ReportSpec{ReportType: "inventory"}}
	rep.Name = "inventory"
	r, err = engine.Run(t.Context(), rep, types["inventory"], start, end)
	if err != nil {
		t.Fatal(err)
	}
	if r.EndpointsSummary.NumTotal == 0 || r.NamespacesSummary.NumTotal == 0 {
		t.Fatalf("inventory: %+v", r.EndpointsSummary)
	}
	var sawApplied bool
	for _, ep := range r.Endpoints {
		for _, p := range ep.AppliedPolicies {
			if p.String() == "NetworkPolicy.networking.k8s.io/v1(dev/allow-frontend)" {
				sawApplied = true
				if ep.Endpoint.Namespace != "dev" {
					t.Errorf("allow-frontend applied outside dev: %s", ep.Endpoint)
				}
			}
		}
	}
	if !sawApplied {
		t.Error("no endpoint had dev/allow-frontend applied")
	}
	// No baseline was imported: the coverage says so, and counts the
	// objects the log shows without their creation.
	cov := r.EvidenceCoverage
	if len(cov.Baselines) != 14 || cov.Baselines[0].SnapshotTime != nil || len(cov.Sources) != 1 || cov.Sources[0].Events != 234 {
		t.Errorf("coverage: %+v", cov)
	}
}
