package v1

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

func FuzzDecode(f *testing.F) {
	if data, err := os.ReadFile("../../config/samples/globalreports.yaml"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"---\n---\n",
		"apiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata: {name: r}\nspec: {reportType: inventory, schedule: '@daily', cis: {numFailedTests: 3}}\n",
		"apiVersion: projectcalico.org/v3\nkind: GlobalReportType\nmetadata: {name: t}\nspec:\n  uiSummaryTemplate: {name: ui, template: x}\n  downloadTemplates: [{name: a.csv, template: y}]\n",
		"apiVersion: evident.dev/v1\nkind: GlobalAlert\nmetadata: {name: a}\nspec: {severity: 5, description: '${count}', dataSet: audit, metric: count, condition: gt, threshold: 1.5, period: 1m}\n",
		"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: evident.dev/v1, kind: GlobalReport, metadata: {name: x}}\n",
		"apiVersion: evident.dev/v1\nkind: GlobalReportList\nitems: [{metadata: {name: x}}]\n",
		"a: &a {b: *a}\n",
		"x: &x [1]\napiVersion: evident.dev/v1\nkind: GlobalReport\nspec: {<<: [{reportType: q}], jobNodeSelector: {<<: *x}}\n",
		`{"apiVersion": "evident.dev/v1", "kind": "GlobalAlert", "metadata": {"name": "a\/b"}, "spec": {"severity": 1e2}}`,
		`[{"apiVersion": "evident.dev/v1"}]`,
		"apiVersion: evident.dev/v1\nkind: GlobalReport\nstatus: {activeReportJobs: [{start: 2026-01-01T00:00:00.5Z, end: null, job: {uid: u}}]}\n",
		"apiVersion: evident.dev/v1\nkind: GlobalReport\nmetadata: {name: r, managedFields: [{fieldsV1: {f:spec: {}}}]}\n",
		"\xef\xbb\xbf{\"kind\": 1}",
		"spec: [\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Decode("in", data)
		if err != nil {
			checkDecodeErrors(t, err)
			return
		}
		// Re-encoding the objects as JSON and decoding that gives the same
		// JSON again.
		var first bytes.Buffer
		for _, o := range objs {
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatalf("marshal %T: %v", o, err)
			}
			first.Write(b)
			first.WriteByte('\n')
		}
		again, err := Decode("again", first.Bytes())
		if err != nil {
			t.Fatalf("decode of re-encoded objects: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		for _, o := range again {
			b, _ := json.Marshal(o)
			second.Write(b)
			second.WriteByte('\n')
		}
		if first.String() != second.String() {
			t.Fatalf("round trip changed the objects:\n%s\n%s", first.Bytes(), second.Bytes())
		}
		for _, o := range objs {
			switch o := o.(type) {
			case *GlobalReport:
				o.Default()
				o.Validate()
			case *GlobalReportType:
				o.Validate(func(ReportTemplate) error { return nil })
			case *GlobalAlert:
				o.Default()
				o.Validate()
				_, _ = o.Spec.SubstitutedQuery()
			}
		}
	})
}

// checkDecodeErrors checks that every error Decode returned is a
// *DecodeError naming the input.
func checkDecodeErrors(t *testing.T, err error) {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var de *DecodeError
		if !errors.As(e, &de) {
			t.Fatalf("error %v (%T) is not a *DecodeError", e, e)
		}
		if de.File != "in" || de.Document < 1 || de.Msg == "" {
			t.Fatalf("incomplete error %+v", de)
		}
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"0 0 * * *", "*/5 * * * *", "@every 1h", "@hourly", "CRON_TZ=UTC", "TZ=UTC 0 0 * * *", "0-59/30 * * * *", "5-1 * * * *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		_, _ = ParseSchedule(spec)
	})
}
