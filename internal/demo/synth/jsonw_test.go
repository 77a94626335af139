package synth

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAppendStr(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\`, "a&b<c>", "tab\tnl\n\x01", "ünï\u2028x", "bad\xffutf8", "app.kubernetes.io/name"} {
		want, _ := json.Marshal(s)
		if got := appendStr(nil, s); string(got) != string(want) {
			t.Errorf("appendStr(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendStr(f *testing.F) {
	for _, s := range []string{"", "a&b", "\x00\x7f", "é\u2029", "\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendStr(nil, s); string(got) != string(want) {
			t.Fatalf("appendStr(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestTimes(t *testing.T) {
	ts := time.Date(2026, 3, 2, 4, 9, 23, 146874123, time.UTC)
	wantTime, _ := json.Marshal(metav1.NewTime(ts))
	if got := appendTime(nil, ts); string(got) != string(wantTime) {
		t.Errorf("appendTime = %s, want %s", got, wantTime)
	}
	wantMicro, _ := json.Marshal(metav1.NewMicroTime(ts))
	if got := appendMicro(nil, ts); string(got) != string(wantMicro) {
		t.Errorf("appendMicro = %s, want %s", got, wantMicro)
	}
}

func TestManagedFields(t *testing.T) {
	at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	var m meta
	m.claim("kubectl-client-side-apply", "Update", "v1", "", at,
		fieldPath("f:metadata", "f:labels", "."), fieldPath("f:metadata", "f:labels", "f:app"),
		fieldPath("f:spec", "f:ingress"), fieldPath("f:spec", "f:podSelector"))
	m.claim("kubectl-patch", "Update", "v1", "", at.Add(time.Minute), fieldPath("f:spec", "f:ingress"))
	m.claim("kubectl-edit", "Update", "v1", "", at.Add(2*time.Minute), fieldPath("f:spec", "f:ingress"))
	got := string(m.appendManaged(nil, false))
	want := `"managedFields":[` +
		`{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2026-03-02T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:podSelector":{}}}},` +
		`{"manager":"kubectl-edit","operation":"Update","apiVersion":"v1","time":"2026-03-02T00:02:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:ingress":{}}}}]`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("managed fields (-want +got):\n%s", diff)
	}
}

func TestNodeSorted(t *testing.T) {
	n := obj(kv("types", strs("Ingress")), kv("order", num(10)), kv("ingress", arr(obj(kv("source", obj()), kv("action", str("Allow"))))))
	if got, want := n.json(true), `{"ingress":[{"action":"Allow","source":{}}],"order":10,"types":["Ingress"]}`; got != want {
		t.Errorf("sorted = %s, want %s", got, want)
	}
	if got, want := n.json(false), `{"types":["Ingress"],"order":10,"ingress":[{"source":{},"action":"Allow"}]}`; got != want {
		t.Errorf("unsorted = %s, want %s", got, want)
	}
}
