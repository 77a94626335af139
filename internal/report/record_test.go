package report

import (
	stdjson "encoding/json"
	"testing"

	json "github.com/goccy/go-json"
)

// TestRecordMatchesEncodingJSON pins that the faster encoder writes what
// encoding/json would.
func TestRecordMatchesEncodingJSON(t *testing.T) {
	r := &Report{ID: "x", ReportData: *Sample(), UISummary: "{}"}
	a, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := stdjson.Marshal(r)
	if string(a) != string(b) {
		t.Errorf("differ:\n%s\n%s", a, b)
	}
}

func TestResourceIDTextRoundTrip(t *testing.T) {
	for _, id := range []ResourceID{
		{Kind: "Pod", APIVersion: "v1", Namespace: "ns1", Name: "pod-abc"},
		{Kind: "HostEndpoint", APIVersion: "projectcalico.org/v3", Name: "hep1"},
		{Kind: "NetworkPolicy", APIVersion: "projectcalico.org/v3", Namespace: "ns1", Name: "tier.np1"},
		{Kind: "NetworkPolicy", APIVersion: "networking.k8s.io/v1", Namespace: "ns", Name: "name"},
		{Kind: "Namespace", APIVersion: "v1", Name: "ns"},
	} {
		raw, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		var back ResourceID
		if err := json.Unmarshal(raw, &back); err != nil || back != id {
			t.Errorf("%s: %s gave %+v (%v)", id, raw, back, err)
		}
	}
	var bad ResourceID
	if err := json.Unmarshal([]byte(`"Pod"`), &bad); err == nil {
		t.Error("a malformed ID was read")
	}
}
