package registry

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

func newRegistry(t *testing.T) *Registry {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	r := New(st, Options{Defaults: report.DefaultTypes(), Render: report.Validate, Now: func() time.Time { return now }})
	if err := r.InstallDefaults(t.Context()); err != nil {
		t.Fatal(err)
	}
	return r
}

func load(t *testing.T, path string) []v1.Object {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := v1.Load(path, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestSeedExamplesApplyUnchanged(t *testing.T) {
	r := newRegistry(t)
	objs := load(t, "../../config/samples/globalreports.yaml")
	for _, o := range objs {
		out, err := r.Apply(t.Context(), o)
		if err != nil || out != Created {
			t.Fatalf("apply %s: %s %v", o.GetName(), out, err)
		}
	}
	for _, o := range load(t, "../../config/samples/globalreports.yaml") {
		if out, err := r.Apply(t.Context(), o); err != nil || out != Unchanged {
			t.Errorf("re-apply %s: %s %v", o.GetName(), out, err)
		}
	}
	reps, err := r.ListReports(t.Context())
	if err != nil || len(reps) != 5 {
		t.Fatalf("list: %d %v", len(reps), err)
	}
	for _, rep := range reps {
		if rep.UID == "" || rep.CreationTimestamp.IsZero() || rep.Generation != 1 || rep.APIVersion != "evident.dev/v1" {
			t.Errorf("%s: metadata %+v", rep.Name, rep.ObjectMeta)
		}
	}
	types, _ := r.List(t.Context(), v1.KindGlobalReportType)
	if len(types) != 4 {
		t.Errorf("%d default report types", len(types))
	}
}

func TestUpdateKeepsStatusAndUID(t *testing.T) {
	r := newRegistry(t)
	rep := &v1.GlobalReport{ObjectMeta: objectMeta("daily"), Spec: v1.ReportSpec{ReportType: "inventory", Schedule: "0 0 * * *"}}
	rep.Kind = v1.KindGlobalReport
	if _, err := r.Apply(t.Context(), rep.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	first, _ := r.GetReport(t.Context(), "daily")
	end := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	status := v1.ReportStatus{LastScheduledReportJob: &v1.ReportJob{End: metaTime(end)}}
	if err := r.UpdateReportStatus(t.Context(), "daily", status); err != nil {
		t.Fatal(err)
	}
	// A client's apply carries a status of its own; it is ignored.
	upd := rep.DeepCopy()
	upd.Spec.Schedule = "0 6 * * *"
	upd.Status.ActiveReportJobs = []v1.ReportJob{{}}
	if out, err := r.Apply(t.Context(), upd); err != nil || out != Configured {
		t.Fatalf("update: %s %v", out, err)
	}
	got, _ := r.GetReport(t.Context(), "daily")
	if got.UID != first.UID || got.Generation != 2 || got.Spec.Schedule != "0 6 * * *" ||
		got.Status.LastScheduledReportJob == nil || len(got.Status.ActiveReportJobs) != 0 {
		t.Errorf("after update: %+v %+v", got.ObjectMeta, got.Status)
	}
}

func TestRejections(t *testing.T) {
	r := newRegistry(t)
	tests := []struct {
		name string
		obj  v1.Object
		msg  string
	}{
		{"unknown type", &v1.GlobalReport{ObjectMeta: objectMeta("x"), Spec: v1.ReportSpec{ReportType: "nope"}}, `spec.reportType: Not found: "nope"`},
		{"bad cron", &v1.GlobalReport{ObjectMeta: objectMeta("x"), Spec: v1.ReportSpec{ReportType: "inventory", Schedule: "every day"}}, "spec.schedule"},
		{"too often", &v1.GlobalReport{ObjectMeta: objectMeta("x"), Spec: v1.ReportSpec{ReportType: "inventory", Schedule: "*/5 * * * *"}}, "spec.schedule"},
		{"bad selector", &v1.GlobalReport{ObjectMeta: objectMeta("x"), Spec: v1.ReportSpec{ReportType: "inventory",
			Endpoints: &v1.EndpointsSelection{Selector: "a == "}}}, "spec.endpoints.selector"},
		{"bad template", &v1.GlobalReportType{ObjectMeta: objectMeta("t"), Spec: v1.ReportTypeSpec{
			UISummaryTemplate: v1.ReportTemplate{Name: "summary", Template: "{{ .NoSuchField }}"}}}, "uiSummaryTemplate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Apply(t.Context(), tt.obj)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want %q", err, tt.msg)
			}
		})
	}
	if err := r.Delete(t.Context(), v1.KindGlobalReport, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete missing: %v", err)
	}
}
