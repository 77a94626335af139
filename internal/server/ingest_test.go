package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/evident-dev/evident/internal/server"
)

// webhookBodies are the EventList bodies a real API server posted to its
// audit webhook while writing the log the test store holds.
func webhookBodies(t *testing.T) []json.RawMessage {
	t.Helper()
	data, err := os.ReadFile("../../testdata/real-apiserver/webhook-bodies.json")
	if err != nil {
		t.Fatal(err)
	}
	var bodies []json.RawMessage
	if err := json.Unmarshal(data, &bodies); err != nil {
		t.Fatal(err)
	}
	return bodies
}

func TestWebhook(t *testing.T) {
	e := newTestEnv(t)
	bodies := webhookBodies(t)
	post := func(token, query string, body []byte) response {
		return e.request(t, http.MethodPost, token, "/ingest/v1/audit"+query, bytes.NewReader(body))
	}
	type result struct {
		Received, Stored, Duplicates, Rejected int
	}
	var first struct{ Items []json.RawMessage }
	if err := json.Unmarshal(bodies[0], &first); err != nil {
		t.Fatal(err)
	}
	n := len(first.Items)

	// The API server's own events were imported from its log already, for
	// the default cluster: they are recognised as duplicates.
	res := decode[result](t, post("token-apiserver", "", bodies[0]).want(t, http.StatusOK))
	if res.Received != n || res.Duplicates != n || res.Stored != 0 {
		t.Errorf("default cluster: %+v", res)
	}
	post("token-apiserver", "?cluster=default", bodies[0]).want(t, http.StatusOK)
	// It may not deliver for another cluster; an administrator may.
	post("token-apiserver", "?cluster=staging", bodies[0]).errorAnswer(t, http.StatusForbidden)
	res = decode[result](t, post("token-admin", "?cluster=staging", bodies[0]).want(t, http.StatusOK))
	if res.Stored != n {
		t.Errorf("staging: %+v", res)
	}
	p := decode[server.EventPage](t, e.get(t, "token-alice", "/api/v1/audit/events?cluster=staging").want(t, http.StatusOK))
	if len(p.Items) != n || p.Items[0].Cluster != "staging" || p.Items[0].Source != "webhook:staging" {
		t.Errorf("staging events: %d %+v", len(p.Items), p.Items[0])
	}
	post("token-admin", "?cluster=prod", bodies[0]).errorAnswer(t, http.StatusBadRequest)
	post("token-eve", "", bodies[0]).errorAnswer(t, http.StatusForbidden)
	post("", "", bodies[0]).errorAnswer(t, http.StatusUnauthorized)
	post("token-apiserver", "", []byte("not json")).errorAnswer(t, http.StatusBadRequest)
	e.get(t, "token-admin", "/ingest/v1/audit").errorAnswer(t, http.StatusMethodNotAllowed)

	// Without the server's checks the webhook refuses requests.
	if _, ok, err := server.WebhookAuthenticate(httptest.NewRequest(http.MethodPost, "/ingest/v1/audit", nil)); ok || err != nil {
		t.Errorf("unchecked request accepted: %v %v", ok, err)
	}
}
