package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/server"
)

func listReports(t *testing.T, e *testEnv, token, prefix, query string) server.ReportList {
	t.Helper()
	return decode[server.ReportList](t, e.get(t, token, prefix+"?"+query).want(t, http.StatusOK))
}

func ids(l server.ReportList) []string {
	out := []string{}
	for _, r := range l.Reports {
		out = append(out, r.ID)
	}
	return out
}

// TestReportUsers checks the seed's RBAC example: paul manages report
// configuration, candice lists and downloads every report, david lists and
// downloads only dev-inventory.
func TestReportUsers(t *testing.T) {
	e := newTestEnv(t)
	byDefault := []string{idFragile, idDev2, idDaily, idWeekly2, idDev1, idWeekly1}
	for _, tc := range []struct {
		token      string
		listed     []string
		downloads  bool   // downloadUrl and formats filled
		canGet     string // a report the user downloads
		cannotGet  string // one the user may not download
		listDenied bool
	}{
		{token: "token-admin", listed: byDefault, downloads: true, canGet: idWeekly1},
		{token: "token-paul", listed: byDefault, downloads: false, cannotGet: idDev1},
		{token: "token-candice", listed: byDefault, downloads: true, canGet: idDaily},
		{token: "token-david", listed: []string{idDev2, idDev1}, downloads: true, canGet: idDev1, cannotGet: idWeekly1},
		{token: "token-eve", listDenied: true, cannotGet: idDev1},
		{token: "token-alice", listDenied: true, cannotGet: idDev1},
	} {
		t.Run(tc.token, func(t *testing.T) {
			for _, prefix := range []string{"/api/v1/reports", "/compliance/reports"} {
				if tc.listDenied {
					if msg := e.get(t, tc.token, prefix).errorAnswer(t, http.StatusUnauthorized); msg != "Access denied" {
						t.Errorf("list: %q", msg)
					}
					continue
				}
				l := listReports(t, e, tc.token, prefix, "")
				if diff := cmp.Diff(tc.listed, ids(l)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", prefix, diff)
				}
				if l.Count != len(tc.listed) || l.Page != 0 {
					t.Errorf("count %d page %d", l.Count, l.Page)
				}
				for _, r := range l.Reports {
					wantURL := ""
					if tc.downloads {
						wantURL = prefix + "/" + r.ID + "/download"
					}
					if r.DownloadURL != wantURL || (r.DownloadFormats != nil) != tc.downloads {
						t.Errorf("%s: downloadUrl %q, formats %v", r.ID, r.DownloadURL, r.DownloadFormats)
					}
				}
			}
			if tc.canGet != "" {
				e.get(t, tc.token, "/api/v1/reports/"+tc.canGet+"/download?format=evidence-coverage.json").want(t, http.StatusOK)
			}
			if tc.cannotGet != "" {
				msg := e.get(t, tc.token, "/compliance/reports/"+tc.cannotGet+"/download?format=evidence-coverage.json").
					errorAnswer(t, http.StatusUnauthorized)
				if msg != "Access denied" {
					t.Errorf("download: %q", msg)
				}
			}
		})
	}
	// The raw JSON of a listing: nulls where there is no summary or download.
	r := e.get(t, "token-paul", "/api/v1/reports?reportName=fragile-report")
	want := `{"reports":[{"id":"` + idFragile + `","name":"fragile-report","type":"fragile",` +
		`"startTime":"2026-11-24T00:00:00Z","endTime":"2026-11-25T00:00:00Z","uiSummary":null,"downloadUrl":"",` +
		`"downloadFormats":null,"generationTime":"2026-11-25T01:00:00Z"}],"page":0,"count":1}` + "\n"
	if string(r.body) != want {
		t.Errorf("listing\n got %s\nwant %s", r.body, want)
	}
	l := listReports(t, e, "token-david", "/api/v1/reports", "")
	if string(l.Reports[0].UISummary) != `{"endpoints":17}` {
		t.Errorf("uiSummary %s", l.Reports[0].UISummary)
	}
}

func TestReportListParameters(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{idFragile, idDev2, idDaily, idWeekly2, idDev1, idWeekly1}},
		{"sortBy=startTime/ascending", []string{idWeekly1, idDev1, idDev2, idDaily, idWeekly2, idFragile}},
		{"sortBy=reportName/ascending", []string{idDaily, idDev2, idDev1, idFragile, idWeekly2, idWeekly1}},
		{"sortBy=reportName", []string{idWeekly2, idWeekly1, idFragile, idDev2, idDev1, idDaily}},
		{"sortBy=endTime/ascending&sortBy=reportName/descending", []string{idWeekly1, idDev1, idWeekly2, idDev2, idDaily, idFragile}},
		{"sortBy=generationTime/ascending", []string{idDev1, idWeekly1, idDev2, idDaily, idWeekly2, idFragile}},
		{"sortBy=reportTypeName/descending&sortBy=startTime/ascending", []string{idWeekly1, idDaily, idWeekly2, idFragile, idDev1, idDev2}},
		{"reportTypeName=inventory", []string{idDaily, idWeekly2, idWeekly1}},
		{"reportTypeName=fragile&reportName=dev-inventory", []string{idFragile, idDev2, idDev1}},
		{"reportName=dev-inventory&reportName=daily-production-inventory", []string{idDev2, idDaily, idDev1}},
		{"fromTime=2026-11-24T00:00:00Z&toTime=2026-11-24T00:00:00Z", []string{idFragile, idDev2, idDaily, idWeekly2}},
		{"fromTime=2026-11-24T12:00:00Z", []string{idFragile}},
		{"toTime=2026-11-22T00:00:00Z", []string{idDev1, idWeekly1}},
		{"maxItems=2", []string{idFragile, idDev2}},
		{"maxItems=2&page=1", []string{idDaily, idWeekly2}},
		{"maxItems=4&page=1", []string{idDev1, idWeekly1}},
		{"maxItems=2&page=3", []string{}},
		{"maxItems=all", []string{idFragile, idDev2, idDaily, idWeekly2, idDev1, idWeekly1}},
		{"maxItems=all&page=0", []string{idFragile, idDev2, idDaily, idWeekly2, idDev1, idWeekly1}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			l := listReports(t, e, "token-candice", "/api/v1/reports", tc.query)
			if diff := cmp.Diff(tc.want, ids(l)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	l := listReports(t, e, "token-candice", "/compliance/reports", "maxItems=2&page=2&reportTypeName=inventory")
	if l.Page != 2 || l.Count != 3 || len(l.Reports) != 0 {
		t.Errorf("page %d count %d: %v", l.Page, l.Count, ids(l))
	}
	for _, q := range []string{"page=-1", "page=x", "maxItems=0", "maxItems=-3", "maxItems=lots", "maxItems=all&page=1",
		"sortBy=size", "sortBy=startTime/up", "fromTime=yesterday", "toTime=2026-11-24", "page=99999999999&maxItems=5"} {
		msg := e.get(t, "token-candice", "/compliance/reports?"+q).errorAnswer(t, http.StatusBadRequest)
		if !strings.HasPrefix(msg, "Invalid query parameter: ") {
			t.Errorf("%s: %q", q, msg)
		}
	}
}

func TestReportListDefaultPage(t *testing.T) {
	e := newTestEnv(t)
	rep, err := e.reg.GetReport(t.Context(), "weekly-full-inventory")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		start := day(1).Add(-time.Duration(i+1) * time.Hour)
		r := &report.Report{ID: reportID(rep.Name, "inventory", start, start.Add(time.Hour)), ReportData: report.ReportData{
			ReportName: rep.Name, ReportTypeName: "inventory", StartTime: metaTime(start), EndTime: metaTime(start.Add(time.Hour)),
			GenerationTime: metaTime(start.Add(2 * time.Hour))}}
		rec, err := report.Record(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.PutReport(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	l := listReports(t, e, "token-admin", "/api/v1/reports", "")
	if len(l.Reports) != 100 || l.Count != 106 {
		t.Errorf("default page: %d of %d", len(l.Reports), l.Count)
	}
	if l = listReports(t, e, "token-admin", "/api/v1/reports", "maxItems=all"); len(l.Reports) != 106 {
		t.Errorf("all: %d", len(l.Reports))
	}
	if l = listReports(t, e, "token-admin", "/api/v1/reports", "page=1"); len(l.Reports) != 6 || l.Page != 1 {
		t.Errorf("page 1: %d", len(l.Reports))
	}
}

func TestReportDownload(t *testing.T) {
	e := newTestEnv(t)
	const stem = "dev-inventory_dev-inventory_20261122000000-20261123000000"
	dl := func(t *testing.T, token, id string, formats ...string) response {
		t.Helper()
		return e.get(t, token, "/api/v1/reports/"+id+"/download?"+url.Values{"format": formats}.Encode())
	}

	r := dl(t, "token-david", idDev1, "summary.csv").want(t, http.StatusOK)
	if got := r.Header.Get("Content-Disposition"); got != "attachment; filename="+stem+"-summary.csv" {
		t.Errorf("Content-Disposition %q", got)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/plain" || string(r.body) != "report,endpoints\ndev-inventory,0" {
		t.Errorf("%s %q", ct, r.body)
	}

	r = dl(t, "token-david", idDev1, "summary.csv", "names.txt", "summary.csv").want(t, http.StatusOK)
	if got := r.Header.Get("Content-Disposition"); got != "attachment; filename="+stem+".zip" {
		t.Errorf("Content-Disposition %q", got)
	}
	files := unzip(t, r)
	want := map[string]string{stem + "-summary.csv": "report,endpoints\ndev-inventory,0", stem + "-names.txt": "dev-inventory"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("zip (-want +got):\n%s", diff)
	}
	if files := unzip(t, dl(t, "token-david", idDev1).want(t, http.StatusOK)); len(files) != 0 {
		t.Errorf("no format: %v", files)
	}
	r = dl(t, "token-admin", idWeekly1, "summary.csv").want(t, http.StatusOK)
	if got := r.Header.Get("Content-Disposition"); got != "attachment; filename=inventory_weekly-full-inventory_20261116000000-20261123000000-summary.csv" {
		t.Errorf("Content-Disposition %q", got)
	}

	if msg := dl(t, "token-david", idDev1, "summary.pdf").errorAnswer(t, http.StatusBadRequest); !strings.Contains(msg, "summary.pdf") {
		t.Errorf("unknown format: %q", msg)
	}
	if msg := dl(t, "token-admin", idFragile, "out.txt").errorAnswer(t, http.StatusBadRequest); !strings.Contains(msg, "out.txt") {
		t.Errorf("render error: %q", msg)
	}
	dl(t, "token-admin", idFragile, "evidence-coverage.json").want(t, http.StatusOK)

	ghost := reportID("ghost", "inventory", day(1), day(2))
	for _, tc := range []struct {
		token, id string
		code      int
		msg       string
	}{
		{"token-admin", "not-an-id", http.StatusForbidden, "Access denied"},
		{"token-admin", "a_b_c", http.StatusForbidden, "Access denied"},
		{"token-david", "dev-inventory_dev-inventory", http.StatusForbidden, "Access denied"},
		{"token-admin", ghost, http.StatusNotFound, "Report does not exist"},
		{"token-david", ghost, http.StatusUnauthorized, "Access denied"},
		{"token-paul", idDev1, http.StatusUnauthorized, "Access denied"},
		{"token-david", idWeekly1, http.StatusUnauthorized, "Access denied"},
		{"", idDev1, http.StatusUnauthorized, "authentication required: send a bearer token"},
	} {
		if msg := dl(t, tc.token, tc.id, "summary.csv").errorAnswer(t, tc.code); msg != tc.msg {
			t.Errorf("%s %s: %q, want %q", tc.token, tc.id, msg, tc.msg)
		}
	}

	// Range requests are honoured.
	r = e.request(t, http.MethodGet, "token-david", "/compliance/reports/"+idDev1+"/download?format=summary.csv", nil, "Range", "bytes=0-5")
	r.want(t, http.StatusPartialContent)
	if string(r.body) != "report" || r.Header.Get("Content-Range") != "bytes 0-5/32" {
		t.Errorf("range: %q %q", r.body, r.Header.Get("Content-Range"))
	}
}

func unzip(t *testing.T, r response) map[string]string {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/zip" {
		t.Fatalf("content type %q", ct)
	}
	zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		if f.Method != zip.Deflate {
			t.Errorf("%s is not deflated", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(b)
	}
	return out
}

// TestReportTypeChanges checks that the current report type decides the
// formats, and the copy saved in each report once the type is deleted.
func TestReportTypeChanges(t *testing.T) {
	e := newTestEnv(t)
	rt, err := e.reg.GetReportType(t.Context(), "dev-inventory")
	if err != nil {
		t.Fatal(err)
	}
	rt.Spec.DownloadTemplates = append(rt.Spec.DownloadTemplates, v1.ReportTemplate{Name: "extra.txt", Template: "extra {{ .ReportName }}"})
	if _, err := e.reg.Apply(t.Context(), rt); err != nil {
		t.Fatal(err)
	}
	formats := func() []string {
		l := listReports(t, e, "token-david", "/api/v1/reports", "")
		var out []string
		for _, f := range l.Reports[0].DownloadFormats {
			out = append(out, f.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"summary.csv", "names.txt", "extra.txt", "evidence-coverage.json"}, formats()); diff != "" {
		t.Errorf("current type (-want +got):\n%s", diff)
	}
	r := e.get(t, "token-david", "/api/v1/reports/"+idDev1+"/download?format=extra.txt").want(t, http.StatusOK)
	if string(r.body) != "extra dev-inventory" {
		t.Errorf("extra.txt: %q", r.body)
	}
	if err := e.reg.Delete(t.Context(), v1.KindGlobalReportType, "dev-inventory"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"summary.csv", "names.txt", "evidence-coverage.json"}, formats()); diff != "" {
		t.Errorf("saved type (-want +got):\n%s", diff)
	}
	e.get(t, "token-david", "/api/v1/reports/"+idDev1+"/download?format=names.txt").want(t, http.StatusOK)
	e.get(t, "token-david", "/api/v1/reports/"+idDev1+"/download?format=extra.txt").errorAnswer(t, http.StatusBadRequest)
}

func TestReportListJSONKeys(t *testing.T) {
	e := newTestEnv(t)
	r := e.get(t, "token-admin", "/compliance/reports?maxItems=1").want(t, http.StatusOK)
	var raw struct {
		Reports []map[string]json.RawMessage `json:"reports"`
	}
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range raw.Reports[0] {
		keys = append(keys, k)
	}
	want := "downloadFormats downloadUrl endTime generationTime id name startTime type uiSummary"
	if got := fmt.Sprint(sortedStrings(keys)); got != "["+want+"]" {
		t.Errorf("keys %s", got)
	}
}
