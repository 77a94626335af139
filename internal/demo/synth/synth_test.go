package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

var testStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// demoDays is the length of the demo history the tests check; every
// feature happens at a fixed fraction of the period.
const demoDays = 14

// generate returns the events of a history, one line each.
func generate(t testing.TB, opts Options) [][]byte {
	t.Helper()
	g, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	err = g.Events(context.Background(), func(line []byte) error {
		lines = append(lines, bytes.Clone(line))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// event is the part of an audit event the tests look at, with the request
// and response objects decoded generically.
type event struct {
	auditv1.Event
	req, resp map[string]any
}

func decodeEvent(t testing.TB, i int, line []byte) event {
	t.Helper()
	var e event
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	if err := d.Decode(&e.Event); err != nil {
		t.Fatalf("line %d: not an audit.k8s.io/v1 Event: %v\n%s", i+1, err, line)
	}
	if e.RequestObject != nil {
		if err := json.Unmarshal(e.RequestObject.Raw, &e.req); err != nil {
			// JSON patches are arrays.
			var a []any
			if err := json.Unmarshal(e.RequestObject.Raw, &a); err != nil {
				t.Fatalf("line %d: requestObject: %v", i+1, err)
			}
		}
	}
	if e.ResponseObject != nil {
		if err := json.Unmarshal(e.ResponseObject.Raw, &e.resp); err != nil {
			t.Fatalf("line %d: responseObject: %v", i+1, err)
		}
	}
	return e
}

func metaOf(obj map[string]any) map[string]any {
	m, _ := obj["metadata"].(map[string]any)
	return m
}

func str2(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func rvOf(obj map[string]any) uint64 {
	rv, _ := strconv.ParseUint(str2(metaOf(obj), "resourceVersion"), 10, 64)
	return rv
}

// topKeys returns the top-level keys of a JSON object in order.
func topKeys(t testing.TB, line []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(line))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestDeterministic(t *testing.T) {
	opts := Demo(7, testStart, 3)
	a, b := generate(t, opts), generate(t, opts)
	if len(a) == 0 || !slices.EqualFunc(a, b, bytes.Equal) {
		t.Fatalf("two runs with the same seed differ (%d and %d events)", len(a), len(b))
	}
	opts.Seed = 8
	if c := generate(t, opts); slices.EqualFunc(a, c, bytes.Equal) {
		t.Fatal("a different seed gave the same history")
	}

	g, err := New(Demo(7, testStart, 3))
	if err != nil {
		t.Fatal(err)
	}
	l1, err := g.Baseline(testStart)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := g.Baseline(testStart)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(l1, l2, func(x, y List) bool { return x.Kind == y.Kind && bytes.Equal(x.JSON, y.JSON) }) {
		t.Fatal("two baselines with the same seed differ")
	}
}

// wantKeyOrder is the key order of kube-apiserver's audit events.
var wantKeyOrder = []string{"kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user",
	"sourceIPs", "userAgent", "objectRef", "responseStatus", "requestObject", "responseObject",
	"requestReceivedTimestamp", "stageTimestamp", "annotations"}

// TestDemoHistory checks the preset of `evident demo` event by event.
func TestDemoHistory(t *testing.T) {
	opts := Demo(1, testStart, demoDays)
	lines := generate(t, opts)
	events := make([]event, len(lines))
	for i, l := range lines {
		events[i] = decodeEvent(t, i, l)
	}
	t.Run("baseline", func(t *testing.T) { checkBaseline(t, opts, events) })

	t.Run("shape", func(t *testing.T) {
		for i, e := range events {
			keys := topKeys(t, lines[i])
			if !isSubsequence(keys, wantKeyOrder) {
				t.Fatalf("line %d: keys %v are not in kube-apiserver order", i+1, keys)
			}
			switch {
			case e.Kind != "Event" || e.APIVersion != "audit.k8s.io/v1":
				t.Fatalf("line %d: kind/apiVersion %s %s", i+1, e.Kind, e.APIVersion)
			case e.Level != auditv1.LevelRequestResponse || e.Stage != auditv1.StageResponseComplete:
				t.Fatalf("line %d: level %s stage %s", i+1, e.Level, e.Stage)
			case e.AuditID == "" || e.RequestURI == "" || e.Verb == "" || e.User.Username == "" || len(e.SourceIPs) == 0 || e.UserAgent == "":
				t.Fatalf("line %d: missing envelope field", i+1)
			case e.ObjectRef == nil || e.ObjectRef.Resource == "" || e.ObjectRef.APIVersion == "":
				t.Fatalf("line %d: missing objectRef", i+1)
			case e.ResponseStatus == nil || e.ResponseStatus.Code == 0 || e.ResponseObject == nil:
				t.Fatalf("line %d: missing response", i+1)
			case !e.StageTimestamp.After(e.RequestReceivedTimestamp.Time):
				t.Fatalf("line %d: stage %v not after received %v", i+1, e.StageTimestamp, e.RequestReceivedTimestamp)
			case e.Annotations["authorization.k8s.io/decision"] == "":
				t.Fatalf("line %d: no authorization annotation", i+1)
			}
		}
	})

	t.Run("order", func(t *testing.T) {
		var lastRecv, lastStage time.Time
		var lastRV uint64
		ids := map[string]bool{}
		for i, e := range events {
			if e.RequestReceivedTimestamp.Time.Before(lastRecv) || e.StageTimestamp.Time.Before(lastStage) {
				t.Fatalf("line %d: time goes backwards", i+1)
			}
			lastRecv, lastStage = e.RequestReceivedTimestamp.Time, e.StageTimestamp.Time
			if ids[string(e.AuditID)] {
				t.Fatalf("line %d: auditID %s repeated", i+1, e.AuditID)
			}
			ids[string(e.AuditID)] = true
			for _, rv := range responseRVs(e.resp) {
				if rv <= lastRV {
					t.Fatalf("line %d: resourceVersion %d after %d", i+1, rv, lastRV)
				}
				lastRV = rv
			}
		}
		if first, last := events[0].RequestReceivedTimestamp.Time, events[len(events)-1].StageTimestamp.Time; first.Before(testStart) || last.After(testStart.Add(demoDays*24*time.Hour)) {
			t.Errorf("events span %v to %v, outside the history", first, last)
		}
	})

	t.Run("responses", func(t *testing.T) {
		for i, e := range events {
			checkResponse(t, i, e)
		}
	})

	t.Run("features", func(t *testing.T) {
		checkFeatures(t, events, lines)
	})
}

func isSubsequence(keys, order []string) bool {
	j := 0
	for _, k := range keys {
		for j < len(order) && order[j] != k {
			j++
		}
		if j == len(order) {
			return false
		}
	}
	return true
}

// responseRVs are the resourceVersions a response carries: the object's,
// or a list's items'.
func responseRVs(resp map[string]any) []uint64 {
	if items, ok := resp["items"].([]any); ok {
		var rvs []uint64
		for _, it := range items {
			rvs = append(rvs, rvOf(it.(map[string]any)))
		}
		return rvs
	}
	if resp["kind"] == "Status" {
		return nil
	}
	return []uint64{rvOf(resp)}
}

// checkResponse checks that the code and the response body agree.
func checkResponse(t *testing.T, i int, e event) {
	t.Helper()
	code := int(e.ResponseStatus.Code)
	kind, _ := e.resp["kind"].(string)
	ref := e.ObjectRef
	switch {
	case code == 403 || code == 409:
		want := map[int][]string{403: {"Forbidden"}, 409: {"AlreadyExists", "Conflict"}}[code]
		if kind != "Status" || e.resp["status"] != "Failure" || !slices.Contains(want, string(e.ResponseStatus.Reason)) ||
			e.resp["reason"] != string(e.ResponseStatus.Reason) || e.ResponseStatus.Message == "" {
			t.Fatalf("line %d: %d without a matching Failure Status: %v", i+1, code, e.resp)
		}
		if code == 403 && (e.RequestObject != nil || e.Annotations["authorization.k8s.io/decision"] != "forbid") {
			t.Fatalf("line %d: a denied request was read or allowed", i+1)
		}
	case code < 200 || code > 299:
		t.Fatalf("line %d: unexpected code %d", i+1, code)
	case ref.Subresource == "binding" || ref.Subresource == "eviction":
		if kind != "Status" || e.resp["status"] != "Success" {
			t.Fatalf("line %d: %s answered %v", i+1, ref.Subresource, e.resp)
		}
	case e.Verb == "deletecollection":
		if !strings.HasSuffix(kind, "List") || len(e.resp["items"].([]any)) == 0 {
			t.Fatalf("line %d: deletecollection answered %v", i+1, kind)
		}
	case e.Verb == "delete" && kind == "Status":
		d, _ := e.resp["details"].(map[string]any)
		if e.resp["status"] != "Success" || d["name"] != ref.Name || d["uid"] == "" {
			t.Fatalf("line %d: delete answered %v", i+1, e.resp)
		}
	default:
		md := metaOf(e.resp)
		if md == nil || md["name"] == "" || md["uid"] == "" || rvOf(e.resp) == 0 {
			t.Fatalf("line %d: %s %s answered without an object: %v", i+1, e.Verb, ref.Resource, e.resp)
		}
		if ref.Name != "" && md["name"] != ref.Name {
			t.Fatalf("line %d: objectRef names %q, the response %q", i+1, ref.Name, md["name"])
		}
		if ns, _ := md["namespace"].(string); ns != ref.Namespace && ref.Resource != "namespaces" {
			t.Fatalf("line %d: objectRef namespace %q, the response %q", i+1, ref.Namespace, ns)
		}
		if e.Verb == "delete" && md["deletionTimestamp"] == nil {
			t.Fatalf("line %d: a deleted %s has no deletionTimestamp", i+1, ref.Resource)
		}
	}
}

// checkFeatures checks that the demo shows each feature of the history.
func checkFeatures(t *testing.T, events []event, lines [][]byte) {
	t.Helper()
	has := map[string]bool{}
	mark := func(name string, ok bool) {
		if ok {
			has[name] = true
		}
	}
	written := map[string]bool{}
	users := map[string]bool{}
	for i, e := range events {
		ref, code, user := e.ObjectRef, int(e.ResponseStatus.Code), e.User.Username
		line := string(lines[i])
		if code >= 200 && code < 300 && e.Verb != "deletecollection" {
			written[ref.APIGroup+"/"+ref.Resource] = true
		}
		users[user] = true
		mark("namespace deleted by a person", e.Verb == "delete" && ref.Resource == "namespaces" && user == "alice")
		mark("pods deleted by the namespace controller", e.Verb == "deletecollection" && ref.Resource == "pods" &&
			user == "system:serviceaccount:kube-system:namespace-controller")
		mark("namespace created", e.Verb == "create" && ref.Resource == "namespaces" && code == 201)
		mark("denied", code == 403 && user == "mallory")
		mark("already exists", code == 409 && e.ResponseStatus.Reason == "AlreadyExists")
		mark("conflict", code == 409 && e.ResponseStatus.Reason == "Conflict")
		mark("replicaset pod", e.Verb == "create" && ref.Resource == "pods" && ref.Subresource == "" &&
			user == "system:serviceaccount:kube-system:replicaset-controller" && strings.Contains(line, `"pod-template-hash":`))
		mark("production pod", ref.Resource == "pods" && strings.Contains(line, `"deployment":"production"`))
		mark("istio pod", ref.Resource == "pods" && strings.Contains(line, `"sidecar.istio.io/status":`) &&
			strings.Contains(line, `"image":"docker.io/istio/proxy_init:1.20"`) && strings.Contains(line, `"image":"docker.io/istio/proxyv2:1.20"`))
		mark("status patch", ref.Subresource == "status" && strings.HasPrefix(user, "system:node:") && strings.Contains(line, `"podIP":"10.`))
		mark("succeeded job", ref.Subresource == "status" && strings.Contains(line, `"job-name":`) && strings.Contains(line, `"phase":"Succeeded"`))
		mark("endpoints update", e.Verb == "update" && ref.Resource == "endpoints" && user == "system:serviceaccount:kube-system:endpoint-controller" &&
			strings.Contains(line, `"targetRef":{"kind":"Pod"`))
		mark("json patch", e.Verb == "patch" && e.RequestObject != nil && bytes.HasPrefix(e.RequestObject.Raw, []byte(`[{"op":"add"`)))
		mark("merge patch", e.Verb == "patch" && ref.APIGroup != "" && strings.Contains(line, `"requestObject":{"spec":`))
		mark("server-side apply", e.Verb == "patch" && strings.Contains(e.RequestURI, "force=true") && strings.Contains(line, "argocd.argoproj.io/tracking-id"))
		mark("update", e.Verb == "update" && ref.APIGroup == "projectcalico.org" && code == 200)
		mark("policy deleted", e.Verb == "delete" && ref.Resource == "networkpolicies" && code == 200)
	}
	for _, f := range []string{"namespace deleted by a person", "pods deleted by the namespace controller", "namespace created",
		"denied", "already exists", "conflict", "replicaset pod", "production pod", "istio pod", "status patch",
		"succeeded job", "endpoints update", "json patch", "merge patch", "server-side apply", "update", "policy deleted"} {
		if !has[f] {
			t.Errorf("the demo history has no %s", f)
		}
	}
	for _, k := range newKinds().all() {
		if !written[k.group+"/"+k.resource] {
			t.Errorf("no successful write of %s", qualified(k))
		}
	}
	for _, u := range []string{"alice", "bob", "carol", "mallory", "system:serviceaccount:argocd:argocd-application-controller"} {
		if !users[u] {
			t.Errorf("%s does nothing in the demo", u)
		}
	}
}

func TestVolume(t *testing.T) {
	const n = 30_000
	lines := generate(t, Volume(3, testStart, n))
	if len(lines) != n {
		t.Fatalf("got %d events, want %d", len(lines), n)
	}
	var size, policy int
	for _, l := range lines {
		size += len(l) + 1
		_, rest, _ := bytes.Cut(l, []byte(`"objectRef":{"resource":"`))
		res, _, _ := bytes.Cut(rest, []byte(`"`))
		switch string(res) {
		case "pods", "endpoints", "namespaces", "serviceaccounts":
		default:
			policy++
		}
	}
	for i := 0; i < len(lines); i += 97 {
		decodeEvent(t, i, lines[i])
	}
	if avg := float64(size) / n; avg < 2500 || avg > 3500 {
		t.Errorf("average event size %.0f bytes, want 2.5-3.5 KB", avg)
	}
	if frac := float64(policy) / n; frac < 0.17 || frac > 0.23 {
		t.Errorf("policy writes are %.2f of events, want about 0.2", frac)
	}
}

func TestCancel(t *testing.T) {
	g, err := New(Volume(1, testStart, 50_000))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	err = g.Events(ctx, func([]byte) error {
		if n++; n == 3000 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n >= 50_000 {
		t.Fatalf("after cancel: %d events, err %v", n, err)
	}
	stop := errors.New("stop")
	if err := g.Events(t.Context(), func([]byte) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("yield error: got %v", err)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"negative", Options{Namespaces: -1}, "negative"},
		{"short", Options{Duration: time.Minute}, "shorter than an hour"},
		{"huge", Options{Namespaces: 10000, DeploymentsPerNamespace: 100, ReplicasPerDeployment: 100}, "pods"},
		{"policies", Options{Policies: 1 << 20}, "policies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New(%+v) = %v, want an error about %q", tt.opts, err, tt.want)
			}
		})
	}
	g, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if o := g.Options(); o.Duration != 30*24*time.Hour || o.Start.IsZero() || o.Policies != 40 {
		t.Errorf("defaults not filled in: %+v", o)
	}
	if _, err := g.Baseline(g.Options().Start.Add(-time.Hour)); err == nil {
		t.Error("a baseline before the start was accepted")
	}
}

func ExampleGenerator_WriteEvents() {
	g, err := New(Demo(1, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), 1))
	if err != nil {
		panic(err)
	}
	var out bytes.Buffer
	n, err := g.WriteEvents(context.Background(), &out)
	fmt.Println(n > 100, err, bytes.Count(out.Bytes(), []byte("\n")) == n)
	// Output: true <nil> true
}
