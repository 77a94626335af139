package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/evident-dev/evident/internal/cli"
)

// runCLI runs the command line against the test server with a token.
func (e *testEnv) runCLI(t *testing.T, token string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	all := append([]string{"--server", e.srv.URL, "--token", token}, args...)
	return execCLI(t, all...)
}

// runLocal runs the command line on the test server's data directory.
func (e *testEnv) runLocal(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return execCLI(t, append([]string{"--data", e.dir}, args...)...)
}

func execCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Execute(t.Context(), args, cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// TestRemoteQueries runs the query commands against the server and on the
// same data directory: the answers must be the same.
func TestRemoteQueries(t *testing.T) {
	e := newTestEnv(t)
	for _, args := range [][]string{
		{"timeline", "--limit", "20"},
		{"timeline", "--all", "-o", "jsonl"},
		{"timeline", "--limit", "7", "-o", "json", "--resource", "networkpolicies", "--verb", "patch,update"},
		{"timeline", "--limit", "1000", "-o", "csv", "-q", `objectRef.namespace IN {dev, "team-*"} AND NOT verb = create`},
		{"timeline", "--limit", "1000", "-o", "yaml", "--code", "403", "--code", "409", "--from", "2026-11-23T04:00:00Z", "--to", "now"},
		{"timeline", "--limit", "50", "--user", "admin", "-n", "prod", "--api-group", "networking.k8s.io", "--cluster", "default"},
		{"timeline", "--limit", "3", "--after", "999999999999999_1"},
		{"changelog", "networkpolicies", "dev/allow-frontend"},
		{"changelog", "networkpolicies", "allow-frontend", "-n", "dev", "-o", "json"},
		{"changelog", "namespaces", "dev", "-o", "yaml"},
		{"changelog", "globalnetworkpolicies", "default.temp"},
		{"state", "--at", "2026-11-23T05:00:00Z"},
		{"state", "--at", "2026-11-23T05:00:00Z", "--resource", "networkpolicies", "-n", "dev", "-o", "json"},
		{"state", "--at", "2026-11-23T04:10:00Z", "--resource", "pods", "-o", "yaml"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errs := e.runCLI(t, "token-alice", args...)
			lcode, lout, lerrs := e.runLocal(t, args...)
			if code != 0 || lcode != 0 {
				t.Fatalf("remote %d %s\nlocal %d %s", code, errs, lcode, lerrs)
			}
			if out == "" {
				t.Fatalf("no output")
			}
			if diff := cmp.Diff(lout, out); diff != "" {
				t.Errorf("stdout (-local +remote):\n%s", diff)
			}
			if diff := cmp.Diff(lerrs, errs); diff != "" {
				t.Errorf("stderr (-local +remote):\n%s", diff)
			}
		})
	}

	code, out, _ := e.runCLI(t, "token-alice", "timeline", "--limit", "5", "-o", "json")
	var list auditv1.EventList
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 || len(list.Items) != 5 || list.Continue == "" {
		t.Errorf("timeline json: %d %v %d %q", code, err, len(list.Items), list.Continue)
	}
	code, _, errs := e.runCLI(t, "token-alice", "changelog", "networkpolicies", "dev/nothing")
	if code != 1 || !strings.Contains(errs, "no recorded versions") {
		t.Errorf("missing object: %d %s", code, errs)
	}
}

func TestRemoteErrors(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		token string
		args  []string
		code  int
		want  string
	}{
		{"token-eve", []string{"timeline"}, 1, "forbidden: you may not list auditlogs (403 Forbidden)"},
		{"", []string{"timeline"}, 1, "(401 Unauthorized); pass a token with --token or EVIDENT_TOKEN"},
		{"wrong", []string{"state", "--at", "now"}, 1, "invalid or expired token (401 Unauthorized)"},
		{"token-eve", []string{"report", "list"}, 1, "Access denied (401 Unauthorized)"},
		{"token-alice", []string{"timeline", "--after", "garbage"}, 1, "invalid parameter after"},
		{"token-paul", []string{"report", "download", idDev1, "--format", "summary.csv"}, 1, "Access denied (401 Unauthorized)"},
		{"token-admin", []string{"report", "download", "bogus", "--format", "summary.csv"}, 1, "Access denied (403 Forbidden)"},
		{"token-admin", []string{"get", "globalalert", "nope"}, 1, `GlobalAlert "nope" not found`},
		{"token-admin", []string{"delete", "globalreport", "nope"}, 1, `GlobalReport "nope" not found`},
		{"token-candice", []string{"delete", "globalreport", "dev-inventory"}, 1, "forbidden: you may not delete globalreports"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errs := e.runCLI(t, tc.token, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, tc.code, tc.want)
			}
			if strings.Contains(errs, "token-") {
				t.Errorf("a token reached the message: %q", errs)
			}
		})
	}
	code, _, errs := execCLI(t, "--server", "ftp://example.com", "timeline")
	if code != 2 || !strings.Contains(errs, "--server") {
		t.Errorf("bad URL: %d %q", code, errs)
	}
}

func TestRemoteReports(t *testing.T) {
	e := newTestEnv(t)
	for _, args := range [][]string{
		{"report", "list"},
		{"report", "list", "-o", "json", "--type", "inventory", "--name", "dev-inventory"},
		{"report", "list", "--from", "2026-11-24T00:00:00Z", "--limit", "2"},
		{"report", "list", "-o", "yaml", "--to", "2026-11-22T00:00:00Z"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errs := e.runCLI(t, "token-candice", args...)
			lcode, lout, lerrs := e.runLocal(t, args...)
			if code != 0 || lcode != 0 {
				t.Fatalf("remote %d %s\nlocal %d %s", code, errs, lcode, lerrs)
			}
			if diff := cmp.Diff(lout, out); diff != "" {
				t.Errorf("stdout (-local +remote):\n%s", diff)
			}
			if diff := cmp.Diff(lerrs, errs); diff != "" {
				t.Errorf("stderr (-local +remote):\n%s", diff)
			}
		})
	}
	_, out, _ := e.runCLI(t, "token-david", "report", "list", "-o", "json")
	var l struct{ Reports []struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Reports) != 2 || l.Reports[0].ID != idDev2 {
		t.Errorf("david's reports: %v %s", err, out)
	}

	dir := t.TempDir()
	code, out, errs := e.runCLI(t, "token-david", "report", "download", idDev1, "--format", "summary.csv", "--out", "-")
	if code != 0 || out != "report,endpoints\ndev-inventory,0" {
		t.Errorf("one format: %d %q %s", code, out, errs)
	}
	const stem = "dev-inventory_dev-inventory_20261122000000-20261123000000"
	for _, tc := range []struct {
		formats []string
		file    string
		entries []string
	}{
		{[]string{"--format", "summary.csv,names.txt"}, stem + ".zip", []string{stem + "-summary.csv", stem + "-names.txt"}},
		{nil, stem + ".zip", []string{stem + "-summary.csv", stem + "-names.txt", stem + "-evidence-coverage.json"}},
		{[]string{"--format", "names.txt"}, stem + "-names.txt", nil},
	} {
		args := append([]string{"report", "download", idDev1, "--out", dir}, tc.formats...)
		code, out, errs := e.runCLI(t, "token-david", args...)
		path := filepath.Join(dir, tc.file)
		if code != 0 || !strings.Contains(out, path) {
			t.Errorf("%v: %d %q %s", tc.formats, code, out, errs)
			continue
		}
		if tc.entries == nil {
			continue
		}
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		zr.Close()
		if diff := cmp.Diff(tc.entries, names); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.formats, diff)
		}
	}
}

func TestRemoteResources(t *testing.T) {
	e := newTestEnv(t)
	dir := t.TempDir()
	alerts := filepath.Join(dir, "alerts.yaml")
	if err := os.WriteFile(alerts, []byte(alertYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		token string
		args  []string
		code  int
		want  string
	}{
		{"token-admin", []string{"apply", "-f", alerts}, 0, "globalalert.evident.dev/policy-deletes created\n"},
		{"token-admin", []string{"apply", "-f", alerts}, 0, "globalalert.evident.dev/policy-deletes unchanged\n"},
		{"token-admin", []string{"apply", "-f", "testdata/resources.yaml"}, 0, "globalreporttype.evident.dev/dev-inventory unchanged\n" +
			"globalreporttype.evident.dev/fragile unchanged\nglobalreport.evident.dev/weekly-full-inventory unchanged\n" +
			"globalreport.evident.dev/daily-production-inventory unchanged\nglobalreport.evident.dev/dev-inventory unchanged\n" +
			"globalreport.evident.dev/fragile-report unchanged\n"},
		{"token-candice", []string{"apply", "-f", alerts}, 1, "forbidden: you may not create or update globalalerts"},
		{"token-admin", []string{"get", "globalalerts", "-o", "json"}, 0, `"name": "policy-deletes"`},
		{"token-admin", []string{"get", "globalalert", "policy-deletes", "-o", "yaml"}, 0, "severity: 100"},
		{"token-paul", []string{"get", "globalreports"}, 0, "weekly-full-inventory"},
		{"token-admin", []string{"delete", "globalalert", "policy-deletes"}, 0, "globalalerts.evident.dev/policy-deletes deleted\n"},
		{"token-admin", []string{"get", "globalalerts", "-o", "json"}, 0, `"items": []`},
	}
	for _, s := range steps {
		code, out, errs := e.runCLI(t, s.token, s.args...)
		got := out
		if s.code != 0 {
			got = errs
		}
		if code != s.code || !strings.Contains(got, s.want) {
			t.Errorf("%s %v: exit %d\nstdout %s\nstderr %s\nwant %q", s.token, s.args, code, out, errs, s.want)
		}
	}
	// The table of GlobalReports is the same as the local one.
	_, out, _ := e.runCLI(t, "token-admin", "get", "globalreports")
	_, lout, _ := e.runLocal(t, "get", "globalreports")
	if diff := cmp.Diff(lout, out); diff != "" {
		t.Errorf("get globalreports (-local +remote):\n%s", diff)
	}
	// Problems only the server can see come back with their details.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata: {name: orphan}\nspec: {reportType: nope, schedule: '0 0 * * *'}\n"), 0o644)
	code, _, errs := e.runCLI(t, "token-admin", "apply", "-f", bad)
	if code != 1 || !strings.Contains(errs, "(422 Unprocessable Entity)") || !strings.Contains(errs, "\n  spec.reportType: Not found") {
		t.Errorf("invalid: %d %s", code, errs)
	}
}

func TestRemoteTLS(t *testing.T) {
	e := newTestEnv(t)
	tlsSrv := httptest.NewTLSServer(e.handler)
	defer tlsSrv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw})
	if err := os.WriteFile(ca, cert, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := execCLI(t, "--server", tlsSrv.URL, "--token", "token-alice", "timeline", "--limit", "1")
	if code != 1 || !strings.Contains(errs, "certificate") {
		t.Errorf("untrusted certificate: %d %s", code, errs)
	}
	t.Setenv("EVIDENT_CA_FILE", ca)
	code, out, errs := execCLI(t, "--server", tlsSrv.URL, "--token", "token-alice", "timeline", "--limit", "1")
	if code != 0 || !slices.Contains(strings.Fields(out), "USER") {
		t.Errorf("trusted: %d %s %s", code, out, errs)
	}
	// Without a scheme the server is taken as https.
	code, _, errs = execCLI(t, "--server", strings.TrimPrefix(tlsSrv.URL, "https://"), "--token", "token-alice", "state", "--at", "now")
	if code != 0 {
		t.Errorf("host:port: %d %s", code, errs)
	}
	t.Setenv("EVIDENT_CA_FILE", filepath.Join(t.TempDir(), "missing.pem"))
	if code, _, errs := execCLI(t, "--server", tlsSrv.URL, "timeline"); code != 1 || !strings.Contains(errs, "EVIDENT_CA_FILE") {
		t.Errorf("missing CA file: %d %s", code, errs)
	}
}
