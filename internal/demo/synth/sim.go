package synth

import (
	"container/heap"
	"time"
)

// action is one scheduled step of the simulation.
type action struct {
	at  time.Time
	seq uint64
	fn  func()
}

type actionQueue []action

func (q actionQueue) Len() int { return len(q) }
func (q actionQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q actionQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *actionQueue) Push(x any)   { *q = append(*q, x.(action)) }
func (q *actionQueue) Pop() any {
	old := *q
	a := old[len(old)-1]
	*q = old[:len(old)-1]
	return a
}

// sim is one run of the simulated cluster: the world, the clock, the
// pending actions and the output of the event being written.
type sim struct {
	opts Options
	rnd  *rng
	w    *world

	q     actionQueue
	seq   uint64
	clock time.Time // the time of the action being run
	last  time.Time // stageTimestamp of the last event written
	until time.Time // Start+Duration
	rv    uint64    // the cluster-wide resourceVersion counter

	// Output.
	mf      bool // write managedFields (the audit policy does not omit them)
	silent  bool // advance state without writing (baseline at a later time)
	buf     []byte
	scratch []byte
	yield   func([]byte) error
	err     error
	limit   int // stop after this many events; 0 = at end
	stopped bool

	// Counters, used by volume mode to keep the mix.
	events       int
	policyEvents int
	fillSteps    int
	saUIDs       map[string]string
	templates    map[string]*podTemplate // compiled pod shapes

	// The event being written.
	recv, stage time.Time
}

// at schedules fn at time t (never before the current action).
func (s *sim) at(t time.Time, fn func()) {
	if t.Before(s.clock) {
		t = s.clock
	}
	s.seq++
	heap.Push(&s.q, action{at: t, seq: s.seq, fn: fn})
}

// after schedules fn d after the current action.
func (s *sim) after(d time.Duration, fn func()) { s.at(s.clock.Add(d), fn) }

// nextRV returns a new resourceVersion, as etcd's revision counter.
func (s *sim) nextRV() uint64 {
	s.rv += 1 + uint64(s.rnd.intn(3)) // other writes (leases, events) interleave
	return s.rv
}

// run executes actions in time order until the end of the history, the
// event limit, or an output error.
func (s *sim) run(until time.Time) error {
	for len(s.q) > 0 && !s.stopped && s.err == nil {
		// A volume run goes on past the end until it has its events.
		if s.q[0].at.After(until) && (s.limit == 0 || s.silent) {
			break
		}
		a := heap.Pop(&s.q).(action)
		s.clock = a.at
		a.fn()
	}
	return s.err
}

// stamp fixes the request and stage times of the next event: after the
// previous event, with sub-millisecond jitter and a few milliseconds of
// server latency.
func (s *sim) stamp() {
	recv := s.clock
	if recv.Before(s.last) {
		recv = s.last
	}
	recv = recv.Add(time.Duration(50+s.rnd.intn(400)) * time.Microsecond)
	lat := time.Duration(900+s.rnd.intn(9000)) * time.Microsecond
	if s.rnd.intn(50) == 0 {
		lat += time.Duration(s.rnd.intn(60)) * time.Millisecond
	}
	s.recv, s.stage = recv, recv.Add(lat)
	s.last = s.stage
}

// ref is an audit objectRef.
type ref struct {
	resource, namespace, name, uid, group, version, subresource string
	rv                                                          uint64
}

// refOf returns the objectRef of a request on an object of kind k.
func refOf(k *kindInfo, namespace, name string) ref {
	return ref{resource: k.resource, namespace: namespace, name: name, group: k.group, version: k.version}
}

// outcome is how a request ended.
type outcome struct {
	code     int
	success  bool   // write "status":"Success"
	bodyCode bool   // a Success body that carries its code (subresource creates)
	reason   string // Forbidden, AlreadyExists, Conflict; "" for success
	message  string
	details  *statusDetails
}

type statusDetails struct {
	name, group, kind, uid string
}

// begin starts an event: envelope, objectRef and responseStatus. The
// caller appends ,"requestObject": / ,"responseObject": and calls end.
func (s *sim) begin(verb string, u *user, r *ref, query string, out outcome) {
	s.stamp()
	b := s.buf[:0]
	b = append(b, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"`...)
	b = append(b, s.rnd.uuid()...)
	b = append(b, `","stage":"ResponseComplete","requestURI":"`...)
	b = appendURI(b, verb, r, query)
	b = append(b, `","verb":"`...)
	b = append(b, verb...)
	b = append(b, `",`...)
	b = append(b, u.json...)
	b = append(b, `,"objectRef":{"resource":"`...)
	b = append(b, r.resource...)
	b = append(b, '"')
	if r.namespace != "" {
		b = append(b, `,"namespace":`...)
		b = appendStr(b, r.namespace)
	}
	if r.name != "" {
		b = append(b, `,"name":`...)
		b = appendStr(b, r.name)
	}
	if r.uid != "" {
		b = append(b, `,"uid":"`...)
		b = append(b, r.uid...)
		b = append(b, '"')
	}
	if r.group != "" {
		b = append(b, `,"apiGroup":"`...)
		b = append(b, r.group...)
		b = append(b, '"')
	}
	b = append(b, `,"apiVersion":"`...)
	b = append(b, r.version...)
	b = append(b, '"')
	if r.rv != 0 {
		b = append(b, `,"resourceVersion":`...)
		b = appendQuotedUint(b, r.rv)
	}
	if r.subresource != "" {
		b = append(b, `,"subresource":"`...)
		b = append(b, r.subresource...)
		b = append(b, '"')
	}
	b = append(b, `},"responseStatus":`...)
	b = appendStatusBody(b, out, true)
	s.buf = b
}

// appendStatusBody appends a metav1.Status body. In responseStatus the
// code comes last and a success with no details is just metadata+code.
func appendStatusBody(b []byte, out outcome, inResponseStatus bool) []byte {
	b = append(b, `{`...)
	if !inResponseStatus {
		b = append(b, `"kind":"Status","apiVersion":"v1",`...)
	}
	b = append(b, `"metadata":{}`...)
	switch {
	case out.reason != "":
		b = append(b, `,"status":"Failure","message":`...)
		b = appendStr(b, out.message)
		b = append(b, `,"reason":"`...)
		b = append(b, out.reason...)
		b = append(b, '"')
	case out.success:
		b = append(b, `,"status":"Success"`...)
	}
	if d := out.details; d != nil {
		b = append(b, `,"details":{`...)
		sep := ""
		if d.name != "" {
			b = append(b, `"name":`...)
			b = appendStr(b, d.name)
			sep = ","
		}
		if d.group != "" {
			b = append(b, sep...)
			b = append(b, `"group":"`...)
			b = append(b, d.group...)
			b = append(b, '"')
			sep = ","
		}
		b = append(b, sep...)
		b = append(b, `"kind":"`...)
		b = append(b, d.kind...)
		b = append(b, '"')
		if d.uid != "" {
			b = append(b, `,"uid":"`...)
			b = append(b, d.uid...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	if inResponseStatus || out.reason != "" || out.bodyCode {
		b = append(b, `,"code":`...)
		b = appendInt(b, int64(out.code))
	}
	return append(b, '}')
}

// requestObject opens the requestObject member.
func (s *sim) requestObject() { s.buf = append(s.buf, `,"requestObject":`...) }

// responseObject opens the responseObject member.
func (s *sim) responseObject() { s.buf = append(s.buf, `,"responseObject":`...) }

// responseStatusObject writes the Status the API server returns for a
// failure or for a delete that does not return the object.
func (s *sim) responseStatusObject(out outcome) {
	s.responseObject()
	s.buf = appendStatusBody(s.buf, out, false)
}

// Extra audit annotations, in key order.
const (
	annDeprecated  = 1 << iota // k8s.io/deprecated (v1 Endpoints)
	annMutated                 // mutation.webhook.admission.k8s.io/round_0_index_0 (sidecar injection)
	annPodSecurity             // pod-security.kubernetes.io/enforce-policy
)

// end writes the timestamps and annotations, and hands the line out.
func (s *sim) end(u *user, allowed bool, extra int) {
	if s.stopped {
		return // the limit was reached earlier in this action
	}
	b := s.buf
	b = append(b, `,"requestReceivedTimestamp":`...)
	b = appendMicro(b, s.recv)
	b = append(b, `,"stageTimestamp":`...)
	b = appendMicro(b, s.stage)
	if allowed {
		b = append(b, `,"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":`...)
		b = appendStr(b, u.reason)
	} else {
		b = append(b, `,"annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""`...)
	}
	if extra&annDeprecated != 0 {
		b = append(b, `,"k8s.io/deprecated":"true"`...)
	}
	if extra&annMutated != 0 {
		b = append(b, `,"mutation.webhook.admission.k8s.io/round_0_index_0":"{\"configuration\":\"istio-sidecar-injector\",\"webhook\":\"namespace.sidecar-injector.istio.io\",\"mutated\":true}"`...)
	}
	if extra&annPodSecurity != 0 {
		b = append(b, `,"pod-security.kubernetes.io/enforce-policy":"privileged:latest"`...)
	}
	b = append(b, `}}`...)
	s.buf = b
	s.events++
	if s.limit > 0 && s.events >= s.limit {
		s.stopped = true
	}
	if !s.silent && s.yield != nil && s.err == nil {
		s.err = s.yield(b)
	}
}

// appendURI appends the request path and query of a request.
func appendURI(b []byte, verb string, r *ref, query string) []byte {
	if r.group == "" {
		b = append(b, "/api/"...)
	} else {
		b = append(b, "/apis/"...)
		b = append(b, r.group...)
		b = append(b, '/')
	}
	b = append(b, r.version...)
	if r.resource == "namespaces" {
		b = append(b, "/namespaces"...)
		if verb != "create" {
			b = append(b, '/')
			b = append(b, r.name...)
		}
	} else {
		if r.namespace != "" {
			b = append(b, "/namespaces/"...)
			b = append(b, r.namespace...)
		}
		b = append(b, '/')
		b = append(b, r.resource...)
		if verb != "create" && verb != "deletecollection" || r.subresource != "" {
			b = append(b, '/')
			b = append(b, r.name...)
		}
	}
	if r.subresource != "" {
		b = append(b, '/')
		b = append(b, r.subresource...)
	}
	if query != "" {
		b = append(b, '?')
		b = appendEscaped(b, query)
	}
	return b
}
