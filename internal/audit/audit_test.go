package audit

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const realLog = "../../testdata/real-apiserver/audit.log"
const realBodies = "../../testdata/real-apiserver/webhook-bodies.json"

// readAll decodes every line of an input and returns events and rejects.
func readAll(t *testing.T, src io.Reader, opts ReaderOptions) ([]Event, []*Reject) {
	t.Helper()
	r, err := NewReader(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	var events []Event
	var rejects []*Reject
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			return events, rejects
		}
		if err != nil {
			t.Fatal(err)
		}
		ev, rj := DecodeLine(l, "in", opts.MaxEventSize)
		events = append(events, ev...)
		rejects = append(rejects, rj...)
	}
}

func TestRealLogAndWebhookBodiesAgree(t *testing.T) {
	f, err := os.Open(realLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fromLog, rejects := readAll(t, f, ReaderOptions{})
	if len(rejects) != 0 || len(fromLog) != 234 {
		t.Fatalf("log: %d events, rejects %v", len(fromLog), rejects)
	}
	raw, err := os.ReadFile(realBodies)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []json.RawMessage
	if err := json.Unmarshal(raw, &bodies); err != nil {
		t.Fatal(err)
	}
	var fromHook []Event
	for i, b := range bodies {
		evs, rj, err := DecodeEventList(b, 0)
		if err != nil || len(rj) != 0 {
			t.Fatalf("body %d: %v %v", i, err, rj)
		}
		fromHook = append(fromHook, evs...)
	}
	if diff := cmp.Diff(fromLog, fromHook); diff != "" {
		t.Errorf("webhook events differ from log events (-log +hook):\n%s", diff)
	}
	// The array-of-EventLists file read as a document gives the same events.
	doc, rejects := readAll(t, bytes.NewReader(raw), ReaderOptions{})
	if len(rejects) != 0 {
		t.Fatal(rejects)
	}
	if diff := cmp.Diff(fromLog, doc); diff != "" {
		t.Errorf("document events differ:\n%s", diff)
	}
}

func TestRealLogChanges(t *testing.T) {
	f, err := os.Open(realLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events, _ := readAll(t, f, ReaderOptions{})
	var changes, denied, dryRun int
	for _, ev := range events {
		if ev.Change != nil {
			changes++
			if ev.Code < 200 || ev.Code > 299 {
				t.Errorf("%s: change from a %d response", ev.AuditID, ev.Code)
			}
			if ev.Change.Name == "" || !ev.Change.Deleted && ev.Change.ResourceVersion == "" {
				t.Errorf("%s: incomplete change %+v", ev.AuditID, ev.Change)
			}
		}
		if ev.Code == 403 || ev.Code == 409 {
			denied++
			if ev.Change != nil {
				t.Errorf("%s: %d response made a change", ev.AuditID, ev.Code)
			}
		}
		if strings.Contains(ev.RequestURI, "dryRun") {
			dryRun++
			if ev.Change != nil {
				t.Errorf("%s: dry run made a change", ev.AuditID)
			}
		}
	}
	if denied != 5 || dryRun != 1 || changes < 200 {
		t.Errorf("denied=%d dryRun=%d changes=%d", denied, dryRun, changes)
	}
}

func TestDecodeFields(t *testing.T) {
	line := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete",` +
		`"requestURI":"/api/v1/namespaces/dev/pods","verb":"create","user":{"username":"system:serviceaccount:kube-system:replicaset-controller","groups":["system:serviceaccounts"]},` +
		`"impersonatedUser":{"username":"bob"},"sourceIPs":["10.0.0.1"],"userAgent":"ua",` +
		`"objectRef":{"resource":"pods","namespace":"dev","apiVersion":"v1"},"responseStatus":{"code":201},` +
		`"responseObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-abc","namespace":"dev","uid":"u1","resourceVersion":"42"}},` +
		`"requestReceivedTimestamp":"2026-11-23T04:09:23.146874Z","stageTimestamp":"2026-11-23T04:09:23.155603Z"}`
	ev, err := Decode([]byte(line), "")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Name != "web-abc" || ev.Namespace != "dev" || ev.Code != 201 || ev.ImpersonatedUser != "bob" || ev.UserGroups[0] != "system:serviceaccounts" {
		t.Errorf("envelope: %+v", ev)
	}
	want := &Change{Kind: Kind{"", "pods", "Pod"}, Namespace: "dev", Name: "web-abc", UID: "u1", ResourceVersion: "42", Time: ev.StageTime, HasObject: true}
	if diff := cmp.Diff(want, ev.Change); diff != "" {
		t.Errorf("change (-want +got):\n%s", diff)
	}
	if string(ev.Body) != line {
		t.Error("body not kept as received")
	}
	obj, err := ResponseObject(ev.Body)
	if err != nil || !bytes.HasPrefix(obj, []byte(`{"kind":"Pod"`)) {
		t.Errorf("ResponseObject = %s, %v", obj, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	ok := `"auditID":"x","stage":"ResponseComplete","requestReceivedTimestamp":"2026-01-01T00:00:00Z"`
	tests := []struct {
		name, in string
		reason   ErrorReason
		msg      string
	}{
		{"malformed", `{"auditID": x}`, ReasonMalformed, "invalid JSON"},
		{"truncated", `{"auditID":"x","stage":"ResponseComplete","user":{"username":"a"`, ReasonTruncated, "truncated"},
		{"no auditID", `{"stage":"ResponseComplete","requestReceivedTimestamp":"2026-01-01T00:00:00Z"}`, ReasonMissingField, "no auditID"},
		{"no stage", `{"auditID":"x","requestReceivedTimestamp":"2026-01-01T00:00:00Z"}`, ReasonMissingField, "no stage"},
		{"no time", `{"auditID":"x","stage":"ResponseComplete"}`, ReasonMissingField, "no timestamp"},
		{"bad stage", `{"auditID":"x","stage":"Done","requestReceivedTimestamp":"2026-01-01T00:00:00Z"}`, ReasonBadValue, `unknown stage "Done"`},
		{"bad time", `{"auditID":"x","stage":"Panic","requestReceivedTimestamp":"yesterday"}`, ReasonBadValue, "not an RFC 3339 time"},
		{"code string", `{` + ok + `,"responseStatus":{"code":"200"}}`, ReasonWrongType, "code"},
		{"verb number", `{` + ok + `,"verb":7}`, ReasonWrongType, "verb"},
		{"groups string", `{` + ok + `,"user":{"groups":"a"}}`, ReasonWrongType, "groups"},
		{"other kind", `{"kind":"Pod","apiVersion":"v1",` + ok + `}`, ReasonBadValue, "want Event"},
		{"v2", `{"kind":"Event","apiVersion":"audit.k8s.io/v2",` + ok + `}`, ReasonBadValue, "not supported"},
		{"not an object", `[1,2]`, ReasonWrongType, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in), "")
			if err == nil {
				t.Fatal("accepted")
			}
			if got := ReasonOf(err); got != tt.reason {
				t.Errorf("reason %s, want %s (%v)", got, tt.reason, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q lacks %q", err, tt.msg)
			}
		})
	}
}

func TestReaderKeepsGoodLinesAroundBadOnes(t *testing.T) {
	good := func(id string) string {
		return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"` + id + `","stage":"ResponseComplete","requestReceivedTimestamp":"2026-01-01T00:00:00Z"}`
	}
	in := strings.Join([]string{
		good("1"),
		`{"auditID":`,
		"",
		good("2"),
		`{"auditID":"big","stage":"ResponseComplete","requestReceivedTimestamp":"2026-01-01T00:00:00Z","x":"` + strings.Repeat("a", 600) + `"}`,
		good("3"),
		`{"auditID":"4","stage":"ResponseComplete"`, // truncated final line, no newline
	}, "\n")
	events, rejects := readAll(t, strings.NewReader(in), ReaderOptions{MaxEventSize: 512})
	var ids []string
	for _, e := range events {
		ids = append(ids, e.AuditID)
	}
	if diff := cmp.Diff([]string{"1", "2", "3"}, ids); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	var got []string
	for _, r := range rejects {
		got = append(got, r.Location+" "+string(r.Reason))
	}
	want := []string{"in:2 truncated", "in:5 oversized", "in:7 truncated"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
}

func TestReaderGzipAndResume(t *testing.T) {
	raw, err := os.ReadFile(realLog)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	events, rejects := readAll(t, &gz, ReaderOptions{})
	if len(events) != 234 || len(rejects) != 0 {
		t.Fatalf("gzip: %d events, %v", len(events), rejects)
	}

	// Resume after line 100 from its offset.
	r, _ := NewReader(bytes.NewReader(raw), ReaderOptions{})
	var l Line
	for range 100 {
		if l, err = r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	rest, _ := readAll(t, bytes.NewReader(raw), ReaderOptions{Offset: l.End, Line: l.Number})
	if len(rest) != 134 || rest[0].AuditID != events[100].AuditID {
		t.Errorf("resume: %d events, first %s", len(rest), rest[0].AuditID)
	}
}

func TestReaderFollowWaitsForNewline(t *testing.T) {
	var buf bytes.Buffer
	r, err := NewReader(&buf, ReaderOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	buf.WriteString(`{"auditID":"1","stage":"Panic",`)
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("partial line returned: %v", err)
	}
	buf.WriteString(`"requestReceivedTimestamp":"2026-01-01T00:00:00Z"}` + "\n")
	l, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if ev, rj := DecodeLine(l, "f", 0); len(ev) != 1 || len(rj) != 0 || l.End != r.Offset() || l.Number != 1 {
		t.Errorf("completed line: %v %v end=%d", ev, rj, l.End)
	}
}

func TestV1beta1Converted(t *testing.T) {
	in := `{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2018-10-25T13:58:49Z"},"level":"Request",` +
		`"timestamp":"2018-10-25T13:58:49Z","auditID":"b1","stage":"ResponseComplete","verb":"delete","user":{"username":"minikube-user"},` +
		`"objectRef":{"resource":"namespaces","name":"foo","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},` +
		`"requestObject":{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}}`
	ev, err := Decode([]byte(in), "")
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(ev.Body, &out); err != nil {
		t.Fatal(err)
	}
	if out["apiVersion"] != APIVersionV1 || out["metadata"] != nil || out["timestamp"] != nil {
		t.Errorf("not converted: %s", ev.Body)
	}
	if out["requestReceivedTimestamp"] != "2018-10-25T13:58:49.000000Z" || ev.Time.Year() != 2018 {
		t.Errorf("timestamp not carried: %s", ev.Body)
	}
	if ev.Change == nil || !ev.Change.Deleted || ev.Change.Name != "foo" {
		t.Errorf("delete change: %+v", ev.Change)
	}
	if !strings.Contains(string(ev.Body), `"propagationPolicy":"Background"`) {
		t.Error("request object lost")
	}
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"pods", []string{"pods"}},
		{"po", []string{"pods"}},
		{"NetworkPolicy", []string{"networkpolicies.networking.k8s.io", "networkpolicies.projectcalico.org"}},
		{"networkpolicies.networking.k8s.io", []string{"networkpolicies.networking.k8s.io"}},
		{"networkpolicies.crd.projectcalico.org", []string{"networkpolicies.projectcalico.org"}},
		{"gnp", []string{"globalnetworkpolicies.projectcalico.org"}},
		{"configmaps", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, k := range ParseKind(tt.in) {
			got = append(got, k.String())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseKind(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
