package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/server"
	"github.com/evident-dev/evident/internal/store"
)

const alertYAML = `apiVersion: projectcalico.org/v3
kind: GlobalAlert
metadata:
  name: policy-deletes
spec:
  summary: A network policy was deleted
  description: Someone deleted a network policy
  severity: 100
  dataSet: audit
  query: verb = delete AND objectRef.resource = networkpolicies
`

func TestResourceLifecycle(t *testing.T) {
	e := newTestEnv(t)
	put := func(token, path, body string) response {
		return e.request(t, http.MethodPut, token, path, strings.NewReader(body))
	}
	type putResult struct {
		Outcome string          `json:"outcome"`
		Object  json.RawMessage `json:"object"`
	}

	r := put("token-admin", "/api/v1/globalalerts/policy-deletes", alertYAML).want(t, http.StatusCreated)
	res := decode[putResult](t, r)
	var alert v1.GlobalAlert
	if err := json.Unmarshal(res.Object, &alert); err != nil {
		t.Fatal(err)
	}
	if res.Outcome != "created" || alert.UID == "" || alert.Kind != "GlobalAlert" || alert.APIVersion != "evident.dev/v1" {
		t.Errorf("created: %s %+v", res.Outcome, alert.TypeMeta)
	}
	if res := decode[putResult](t, put("token-admin", "/api/v1/globalalerts/policy-deletes", alertYAML).want(t, http.StatusOK)); res.Outcome != "unchanged" {
		t.Errorf("again: %s", res.Outcome)
	}
	changed := strings.Replace(alertYAML, "severity: 100", "severity: 80", 1)
	if res := decode[putResult](t, put("token-admin", "/api/v1/globalalerts/policy-deletes", changed).want(t, http.StatusOK)); res.Outcome != "configured" {
		t.Errorf("changed: %s", res.Outcome)
	}
	// JSON bodies work too.
	jsonBody := `{"apiVersion":"evident.dev/v1","kind":"GlobalAlert","metadata":{"name":"creates"},"spec":{"summary":"s","description":"d","severity":10,"dataSet":"audit","query":"verb = create"}}`
	put("token-admin", "/api/v1/globalalerts/creates", jsonBody).want(t, http.StatusCreated)

	got := decode[v1.GlobalAlert](t, e.get(t, "token-admin", "/api/v1/globalalerts/policy-deletes").want(t, http.StatusOK))
	if got.Spec.Severity != 80 {
		t.Errorf("get: severity %d", got.Spec.Severity)
	}
	type objectList struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   map[string]any    `json:"metadata"`
		Items      []json.RawMessage `json:"items"`
	}
	list := decode[objectList](t, e.get(t, "token-admin", "/api/v1/globalalerts").want(t, http.StatusOK))
	if list.Kind != "GlobalAlertList" || list.APIVersion != "evident.dev/v1" || len(list.Items) != 2 {
		t.Errorf("list: %s %s %d", list.Kind, list.APIVersion, len(list.Items))
	}
	types := decode[objectList](t, e.get(t, "token-admin", "/api/v1/globalreporttypes").want(t, http.StatusOK))
	var names []string
	for _, raw := range types.Items {
		var rt v1.GlobalReportType
		if err := json.Unmarshal(raw, &rt); err != nil {
			t.Fatal(err)
		}
		names = append(names, rt.Name)
	}
	if diff := cmp.Diff([]string{"cis-benchmark", "dev-inventory", "fragile", "inventory", "network-access", "policy-audit"}, names); diff != "" {
		t.Errorf("report types (-want +got):\n%s", diff)
	}

	e.request(t, http.MethodDelete, "token-admin", "/api/v1/globalalerts/policy-deletes", nil).want(t, http.StatusOK)
	e.request(t, http.MethodDelete, "token-admin", "/api/v1/globalalerts/policy-deletes", nil).errorAnswer(t, http.StatusNotFound)
	e.get(t, "token-admin", "/api/v1/globalalerts/policy-deletes").errorAnswer(t, http.StatusNotFound)
	if _, err := e.reg.Get(t.Context(), v1.KindGlobalAlert, "policy-deletes"); err == nil || !strings.Contains(err.Error(), store.ErrNotFound.Error()) {
		t.Errorf("still stored: %v", err)
	}
}

func TestResourceValidation(t *testing.T) {
	e := newTestEnv(t)
	put := func(path, body string) response {
		return e.request(t, http.MethodPut, "token-admin", path, strings.NewReader(body))
	}
	details := func(t *testing.T, r response) []string {
		t.Helper()
		var eb struct {
			Details []string `json:"details"`
		}
		if err := json.Unmarshal(r.body, &eb); err != nil {
			t.Fatal(err)
		}
		return eb.Details
	}
	for _, tc := range []struct {
		name, path, body string
		code             int
		detail           string // in some detail
	}{
		{"bad schedule", "/api/v1/globalreports/r", "kind: GlobalReport\napiVersion: evident.dev/v1\nmetadata: {name: r}\nspec: {reportType: inventory, schedule: 'every day'}\n",
			http.StatusUnprocessableEntity, "spec.schedule"},
		{"unknown report type", "/api/v1/globalreports/r", "kind: GlobalReport\napiVersion: evident.dev/v1\nmetadata: {name: r}\nspec: {reportType: nope, schedule: '0 0 * * *'}\n",
			http.StatusUnprocessableEntity, "spec.reportType"},
		{"unknown field", "/api/v1/globalalerts/a", strings.Replace(alertYAML, "severity:", "sevrity:", 1), http.StatusUnprocessableEntity, "sevrity"},
		{"not yaml", "/api/v1/globalalerts/a", "{{{", http.StatusBadRequest, ""},
		{"two objects", "/api/v1/globalalerts/policy-deletes", alertYAML + "---\n" + strings.Replace(alertYAML, "policy-deletes", "other", 1),
			http.StatusBadRequest, ""},
		{"wrong kind", "/api/v1/globalreports/policy-deletes", alertYAML, http.StatusBadRequest, ""},
		{"wrong name", "/api/v1/globalalerts/other", alertYAML, http.StatusBadRequest, ""},
		{"no name", "/api/v1/globalalerts/policy-deletes", strings.Replace(alertYAML, "name: policy-deletes", "labels: {}", 1),
			http.StatusUnprocessableEntity, "metadata.name"},
		{"empty", "/api/v1/globalalerts/other", "", http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := put(tc.path, tc.body)
			r.errorAnswer(t, tc.code)
			if tc.detail != "" && !strings.Contains(strings.Join(details(t, r), "\n"), tc.detail) {
				t.Errorf("details %q lack %q", details(t, r), tc.detail)
			}
		})
	}
	big := newTestEnv(t, func(o *server.Options) { o.MaxBodySize = 100 })
	big.request(t, http.MethodPut, "token-admin", "/api/v1/globalalerts/policy-deletes", strings.NewReader(alertYAML)).
		errorAnswer(t, http.StatusRequestEntityTooLarge)
}

func TestResourceAccess(t *testing.T) {
	e := newTestEnv(t)
	report := "apiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata: {name: NAME}\nspec: {reportType: inventory, schedule: '0 0 * * *'}\n"
	reportType := "apiVersion: evident.dev/v1\nkind: GlobalReportType\nmetadata: {name: NAME, labels: {global-report-type: NAME}}\nspec:\n  uiSummaryTemplate: {name: s.json, template: '{}'}\n  downloadTemplates:\n  - {name: a.txt, template: a}\n"
	for _, tc := range []struct {
		token, method, path, body string
		code                      int
	}{
		// paul manages GlobalReports (and only them).
		{"token-paul", http.MethodGet, "/api/v1/globalreports", "", http.StatusOK},
		{"token-paul", http.MethodGet, "/api/v1/globalreports/dev-inventory", "", http.StatusOK},
		{"token-paul", http.MethodPut, "/api/v1/globalreports/pauls", report, http.StatusCreated},
		{"token-paul", http.MethodPut, "/api/v1/globalreports/weekly-full-inventory", report, http.StatusOK},
		{"token-paul", http.MethodDelete, "/api/v1/globalreports/pauls", "", http.StatusOK},
		{"token-paul", http.MethodGet, "/api/v1/globalreporttypes", "", http.StatusForbidden},
		{"token-paul", http.MethodPut, "/api/v1/globalreporttypes/pauls", reportType, http.StatusForbidden},
		{"token-paul", http.MethodGet, "/api/v1/globalalerts", "", http.StatusForbidden},
		// candice reads reports and types but changes nothing.
		{"token-candice", http.MethodGet, "/api/v1/globalreports", "", http.StatusOK},
		{"token-candice", http.MethodGet, "/api/v1/globalreporttypes/inventory", "", http.StatusOK},
		{"token-candice", http.MethodGet, "/api/v1/globalreporttypes", "", http.StatusForbidden},
		{"token-candice", http.MethodPut, "/api/v1/globalreports/candices", report, http.StatusForbidden},
		{"token-candice", http.MethodDelete, "/api/v1/globalreports/dev-inventory", "", http.StatusForbidden},
		// david gets only dev-inventory; whether another exists is not revealed.
		{"token-david", http.MethodGet, "/api/v1/globalreports/dev-inventory", "", http.StatusOK},
		{"token-david", http.MethodGet, "/api/v1/globalreports/weekly-full-inventory", "", http.StatusForbidden},
		{"token-david", http.MethodGet, "/api/v1/globalreports/no-such-report", "", http.StatusForbidden},
		{"token-david", http.MethodGet, "/api/v1/globalreporttypes/dev-inventory", "", http.StatusOK},
		{"token-eve", http.MethodGet, "/api/v1/globalreports", "", http.StatusForbidden},
		{"token-admin", http.MethodPut, "/api/v1/globalreporttypes/admins", reportType, http.StatusCreated},
		{"token-admin", http.MethodGet, "/api/v1/globalreports/no-such-report", "", http.StatusNotFound},
		{"token-admin", http.MethodDelete, "/api/v1/globalreporttypes/no-such-type", "", http.StatusNotFound},
	} {
		t.Run(tc.token+" "+tc.method+" "+tc.path, func(t *testing.T) {
			name := tc.path[strings.LastIndex(tc.path, "/")+1:]
			r := e.request(t, tc.method, tc.token, tc.path, strings.NewReader(strings.ReplaceAll(tc.body, "NAME", name)))
			if tc.code >= 400 {
				msg := r.errorAnswer(t, tc.code)
				if strings.Contains(msg, "no-such") && tc.code == http.StatusForbidden && strings.Contains(msg, "not found") {
					t.Errorf("403 reveals existence: %q", msg)
				}
				return
			}
			r.want(t, tc.code)
		})
	}
}
