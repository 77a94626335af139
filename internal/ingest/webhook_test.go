package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func webhookBodies(t *testing.T) []json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(realBodies)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []json.RawMessage
	if err := json.Unmarshal(raw, &bodies); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 41 {
		t.Fatalf("%d bodies", len(bodies))
	}
	return bodies
}

func post(t *testing.T, url, token string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

func tokenAuth(r *http.Request) (string, bool, error) {
	switch r.Header.Get("Authorization") {
	case "Bearer good":
		return "", true, nil
	case "Bearer eu":
		return "prod-eu-1", true, nil
	}
	return "", false, nil
}

func TestWebhookMatchesLogImport(t *testing.T) {
	fromLog := openStore(t, t.TempDir())
	if _, err := ImportFile(t.Context(), fromLog, realLog, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	fromHook := openStore(t, t.TempDir())
	h := NewWebhook(fromHook, WebhookOptions{Authenticate: tokenAuth})
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()
	bodies := webhookBodies(t)
	// Concurrent delivery, as an API server with several batches in flight,
	// and every batch delivered twice.
	var wg sync.WaitGroup
	for round := range 2 {
		for i, b := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code, msg := post(t, srv.URL, "good", b); code != http.StatusOK {
					t.Errorf("round %d body %d: %d %s", round, i, code, msg)
				}
			}()
		}
		wg.Wait()
	}
	if diff := cmp.Diff(stored(t, fromLog), stored(t, fromHook)); diff != "" {
		t.Errorf("webhook events differ from log events (-log +hook):\n%s", diff)
	}
	vlog, _ := fromLog.Stats(t.Context())
	vhook, _ := fromHook.Stats(t.Context())
	if vlog.Versions != vhook.Versions || vlog.Versions == 0 {
		t.Errorf("versions: log %d, webhook %d", vlog.Versions, vhook.Versions)
	}
}

func TestWebhookStatusCodes(t *testing.T) {
	s := openStore(t, t.TempDir())
	h := NewWebhook(s, WebhookOptions{Authenticate: tokenAuth, MaxBodySize: 64 << 10})
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := webhookBodies(t)[0]
	oneItem := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","stage":"ResponseComplete","requestReceivedTimestamp":"2026-11-23T00:00:00Z"},{"auditID":"b"}]}`
	tests := []struct {
		name, token, body string
		code              int
		msg               string
	}{
		{"ok", "good", string(body), 200, `"stored":`},
		{"no token", "", string(body), 401, "bearer token"},
		{"bad token", "nope", string(body), 401, "bearer token"},
		{"not json", "good", "hello", 400, "not an audit EventList"},
		{"an event, not a list", "good", `{"kind":"Event","apiVersion":"audit.k8s.io/v1"}`, 400, `kind is \"Event\", want EventList`},
		{"too large", "good", `{"kind":"EventList","items":[],"pad":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "larger than"},
		{"bad item kept apart", "good", oneItem, 200, `"rejected":1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := post(t, srv.URL, tt.token, []byte(tt.body))
			if code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Errorf("got %d %s, want %d containing %q", code, msg, tt.code, tt.msg)
			}
		})
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	// The cluster named by the token is stamped on the events.
	if code, _ := post(t, srv.URL, "eu", []byte(oneItem)); code != 200 {
		t.Fatal(code)
	}
	if _, ok := stored(t, s)["a ResponseComplete prod-eu-1"]; !ok {
		t.Error("cluster from token not stamped")
	}
}

func TestWebhookAnswers503WhenStoreCannotWrite(t *testing.T) {
	s := openStore(t, t.TempDir())
	h := NewWebhook(s, WebhookOptions{})
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()
	s.Close()
	code, msg := post(t, srv.URL, "", webhookBodies(t)[1])
	if code != http.StatusServiceUnavailable || !strings.Contains(msg, "retry") {
		t.Errorf("got %d %s", code, msg)
	}
}

func BenchmarkWebhook(b *testing.B) {
	s, err := openBenchStore(b)
	if err != nil {
		b.Fatal(err)
	}
	h := NewWebhook(s, WebhookOptions{})
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`)
	for i := range 400 {
		if i > 0 {
			body = append(body, ',')
		}
		body = fmt.Appendf(body, `{"auditID":"%%08d-%04d","stage":"ResponseComplete","verb":"create","requestReceivedTimestamp":"2026-11-23T00:00:00Z"}`, i)
	}
	body = append(body, "]}"...)
	b.ResetTimer()
	for i := range b.N {
		req := bytes.ReplaceAll(body, []byte("%08d"), fmt.Appendf(nil, "%08d", i))
		resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(req))
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(err, resp)
		}
		resp.Body.Close()
	}
	b.ReportMetric(float64(400*b.N)/b.Elapsed().Seconds(), "events/s")
}
