package synth

import (
	"slices"
	"time"
)

// pod is one Pod and where it is in its lifecycle.
type pod struct {
	name, uid string
	rev       *podRev
	t         *podTemplate
	ns        *namespace
	dep       *deployment // nil for job and bare pods
	host      *host
	rv        uint64
	stage     int
	scheduled bool
	created   time.Time
	deletion  time.Time
	grace     int64
	gone      bool
	vars      [nVars]string
}

// ready reports whether the pod serves traffic (an Endpoints address).
func (p *pod) ready() bool { return !p.gone && p.stage == stRunning && p.deletion.IsZero() }

// newPod creates a pod of a revision; the name is generated when the
// revision has a generateName.
func (s *sim) newPod(rev *podRev, ns *namespace) *pod {
	p := &pod{uid: s.rnd.uuid(), rev: rev, t: rev.t, ns: ns, vars: rev.vals}
	p.name = rev.name
	if rev.generateName != "" {
		p.name = rev.generateName + s.rnd.suffix(5)
	}
	p.vars[vVol] = s.rnd.suffix(5)
	p.vars[vUID] = p.uid
	for i := range p.t.containerIDs {
		p.vars[vCID0+i] = s.rnd.hex64()
	}
	return p
}

// appendJSON writes the pod as the API server returns it.
func (p *pod) appendJSON(b []byte, withManaged bool) []byte {
	b = append(b, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":`...)
	b = appendStr(b, p.name)
	if gn := p.rev.generateName; gn != "" {
		b = append(b, `,"generateName":`...)
		b = appendStr(b, gn)
	}
	b = append(b, `,"namespace":`...)
	b = appendStr(b, p.ns.m.name)
	b = append(b, `,"uid":"`...)
	b = append(b, p.uid...)
	b = append(b, `","resourceVersion":`...)
	b = appendQuotedUint(b, p.rv)
	b = append(b, `,"generation":1,"creationTimestamp":`...)
	b = appendTime(b, p.created)
	if !p.deletion.IsZero() {
		b = append(b, `,"deletionTimestamp":`...)
		b = appendTime(b, p.deletion)
		b = append(b, `,"deletionGracePeriodSeconds":`...)
		b = appendInt(b, p.grace)
	}
	b = append(b, p.vars[vMetaTail]...)
	if withManaged {
		b = append(b, `,"managedFields":[`...)
		b = p.t.mfCreate.render(b, &p.vars)
		if p.stage > stCreated {
			b = append(b, ',')
			b = p.t.mfKubelet[p.stage].render(b, &p.vars)
		}
		b = append(b, ']')
	}
	b = append(b, `},"spec":`...)
	sched := 0
	if p.scheduled {
		sched = 1
	}
	b = p.t.podSpec[sched].render(b, &p.vars)
	b = append(b, `,"status":`...)
	b = p.t.status[p.stage].render(b, &p.vars)
	return append(b, '}')
}

// pickHost chooses a node for a pod: the less loaded of two random nodes.
func (s *sim) pickHost() *host {
	a, b := pick(s.rnd, s.w.hosts), pick(s.rnd, s.w.hosts)
	if b.pods < a.pods {
		return b
	}
	return a
}

func podRef(p *pod, subresource string) ref {
	return ref{resource: "pods", namespace: p.ns.m.name, name: p.name, version: "v1", subresource: subresource}
}

// createPod writes the create request of a pod and starts its lifecycle:
// binding, kubelet status updates, and for job pods completion.
func (s *sim) createPod(p *pod, by *user, query string) {
	r := ref{resource: "pods", namespace: p.ns.m.name, version: "v1"}
	if p.rev.generateName == "" {
		r.name = p.name
	}
	s.begin("create", by, &r, query, outcome{code: 201})
	p.created = s.recv
	p.vars[vCreated] = timeString(s.recv)
	p.rv = s.nextRV()
	s.requestObject()
	s.buf = p.t.createReq.render(s.buf, &p.vars)
	s.responseObject()
	s.buf = p.appendJSON(s.buf, s.mf)
	extra := annPodSecurity
	if p.t.spec.istio {
		extra |= annMutated
	}
	s.end(by, true, extra)

	p.ns.pods = append(p.ns.pods, p)
	if p.dep != nil {
		p.dep.pods = append(p.dep.pods, p)
	}
	s.after(s.rnd.between(5*time.Millisecond, 60*time.Millisecond), func() { s.bindPod(p) })
}

// bindPod is the scheduler's binding of a pod to a node.
func (s *sim) bindPod(p *pod) {
	if p.gone || !p.deletion.IsZero() {
		return
	}
	h := s.pickHost()
	p.host, p.scheduled = h, true
	p.vars[vNode], p.vars[vHostIP] = h.name, h.ip
	h.pods++
	u := s.w.users.scheduler
	r := podRef(p, "binding")
	s.begin("create", u, &r, "", outcome{code: 201, success: true, bodyCode: true})
	p.vars[vScheduled] = timeString(s.recv)
	p.rv = s.nextRV()
	b := append(s.buf, `,"requestObject":{"kind":"Binding","apiVersion":"v1","metadata":{"name":`...)
	b = appendStr(b, p.name)
	b = append(b, `,"namespace":`...)
	b = appendStr(b, p.ns.m.name)
	b = append(b, `,"uid":"`...)
	b = append(b, p.uid...)
	b = append(b, `","creationTimestamp":null},"target":{"kind":"Node","name":`...)
	b = appendStr(b, h.name)
	b = append(b, `}}`...)
	s.buf = b
	s.responseStatusObject(outcome{code: 201, success: true, bodyCode: true})
	s.end(u, true, 0)
	if s.rnd.chance(0.7) {
		// Image cached, containers up before the kubelet's first status sync.
		s.after(s.rnd.between(1500*time.Millisecond, 4*time.Second), func() { s.podStatus(p, stRunning) })
		return
	}
	s.after(s.rnd.between(400*time.Millisecond, 2500*time.Millisecond), func() { s.podStatus(p, stPending) })
}

// podStatus is a kubelet status patch that moves the pod to stage st.
func (s *sim) podStatus(p *pod, st int) {
	if p.gone || p.stage >= st || (!p.deletion.IsZero() && st != stDone) {
		return
	}
	u := p.host.kubelet
	r := podRef(p, "status")
	s.begin("patch", u, &r, "", outcome{code: 200})
	now := timeString(s.recv)
	switch st {
	case stPending:
		p.vars[vStart] = timeString(s.recv.Add(-300 * time.Millisecond))
	case stRunning:
		p.vars[vPodIP] = p.host.allocIP()
		p.vars[vInit] = timeString(s.recv.Add(-time.Second))
		p.vars[vReady] = now
	case stDone:
		p.vars[vEnd] = now
	}
	p.vars[vKubelet] = now
	patch := &p.t.patch[st]
	if st == stRunning && p.stage == stCreated {
		patch = &p.t.patchDirect
		p.vars[vStart] = timeString(s.recv.Add(-2 * time.Second))
	}
	p.stage = st
	p.rv = s.nextRV()
	s.requestObject()
	s.buf = patch.render(s.buf, &p.vars)
	s.responseObject()
	s.buf = p.appendJSON(s.buf, s.mf)
	s.end(u, true, 0)

	switch {
	case st == stPending:
		s.after(s.rnd.between(2*time.Second, 9*time.Second), func() { s.podStatus(p, stRunning) })
	case st == stRunning && p.dep != nil:
		s.touchEndpoints(p.dep)
	case st == stRunning && p.t.spec.jobPod:
		s.after(s.rnd.between(40*time.Second, 12*time.Minute), func() { s.podStatus(p, stDone) })
	}
}

// deletePod is a graceful delete (the pod is marked, the kubelet stops it
// and then removes it), or an immediate one for a pod never scheduled.
func (s *sim) deletePod(p *pod, by *user, deleteOptions string) {
	if p.gone || !p.deletion.IsZero() {
		return
	}
	r := podRef(p, "")
	s.begin("delete", by, &r, "", outcome{code: 200})
	grace := int64(30)
	if !p.scheduled {
		grace = 0
	}
	p.deletion = s.recv.Add(time.Duration(grace) * time.Second)
	p.grace = grace
	p.rv = s.nextRV()
	s.requestObject()
	s.buf = append(s.buf, deleteOptions...)
	s.responseObject()
	s.buf = p.appendJSON(s.buf, s.mf)
	s.end(by, true, 0)
	s.afterDeleteMarked(p)
}

// evictPod is an eviction (kubectl drain, the cluster autoscaler): the
// API deletes the pod gracefully inside the request and answers with a
// Status, so the pod's new state shows only in the kubelet's writes.
func (s *sim) evictPod(p *pod, by *user) {
	if p.gone || !p.deletion.IsZero() || !p.scheduled {
		return
	}
	r := podRef(p, "eviction")
	out := outcome{code: 201, success: true, bodyCode: true}
	s.begin("create", by, &r, "", out)
	p.deletion, p.grace = s.recv.Add(30*time.Second), 30
	p.rv = s.nextRV()
	b := append(s.buf, `,"requestObject":{"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":`...)
	b = appendStr(b, p.name)
	b = append(b, `,"namespace":`...)
	b = appendStr(b, p.ns.m.name)
	s.buf = append(b, `,"creationTimestamp":null}}`...)
	s.responseStatusObject(out)
	s.end(by, true, 0)
	s.afterDeleteMarked(p)
}

// afterDeleteMarked continues a graceful deletion: the kubelet stops the
// containers (a running pod ends Succeeded) and removes the pod.
func (s *sim) afterDeleteMarked(p *pod) {
	if !p.scheduled {
		s.removePod(p)
		return
	}
	if p.dep != nil {
		s.touchEndpoints(p.dep)
	}
	final := func() { s.finalDelete(p) }
	if p.stage >= stPending && p.stage != stDone {
		s.after(s.rnd.between(time.Second, 6*time.Second), func() {
			s.podStatus(p, stDone)
			s.after(s.rnd.between(100*time.Millisecond, 900*time.Millisecond), final)
		})
		return
	}
	s.after(s.rnd.between(100*time.Millisecond, 2*time.Second), final)
}

// finalDelete is the kubelet's delete with grace period 0 that removes a
// stopped pod from the API.
func (s *sim) finalDelete(p *pod) {
	if p.gone {
		return
	}
	u := p.host.kubelet
	r := podRef(p, "")
	s.begin("delete", u, &r, "", outcome{code: 200})
	p.deletion, p.grace = s.recv, 0
	p.rv = s.nextRV()
	b := append(s.buf, `,"requestObject":{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/__internal","gracePeriodSeconds":0,"preconditions":{"uid":"`...)
	b = append(b, p.uid...)
	s.buf = append(b, `"}}`...)
	s.responseObject()
	s.buf = p.appendJSON(s.buf, s.mf)
	s.end(u, true, 0)
	s.removePod(p)
}

// removePod forgets a pod that no longer exists.
func (s *sim) removePod(p *pod) {
	p.gone = true
	if p.host != nil {
		p.host.pods--
		if p.vars[vPodIP] != "" {
			p.host.freeIP(p.vars[vPodIP])
		}
	}
	p.ns.pods = slices.DeleteFunc(p.ns.pods, func(q *pod) bool { return q == p })
	if p.dep != nil {
		p.dep.pods = slices.DeleteFunc(p.dep.pods, func(q *pod) bool { return q == p })
	}
}

// Request bodies of deletes.
const (
	deleteOptionsPlain      = `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/__internal"}`
	deleteOptionsBackground = `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/__internal","propagationPolicy":"Background"}`
)

// seedPod puts a pod in place before the history starts, as a running (or
// finished) pod that a baseline lists.
func (s *sim) seedPod(p *pod, created time.Time, st int) {
	h := s.pickHost()
	p.host, p.scheduled = h, true
	p.created = created
	p.vars[vCreated] = timeString(created)
	p.vars[vNode], p.vars[vHostIP] = h.name, h.ip
	p.vars[vScheduled] = timeString(created)
	p.vars[vStart] = timeString(created.Add(time.Second))
	p.vars[vInit] = timeString(created.Add(4 * time.Second))
	p.vars[vReady] = timeString(created.Add(7 * time.Second))
	p.vars[vKubelet] = p.vars[vReady]
	p.vars[vPodIP] = h.allocIP()
	h.pods++
	if st == stDone {
		end := created.Add(s.rnd.between(time.Minute, 10*time.Minute))
		p.vars[vEnd] = timeString(end)
		p.vars[vKubelet] = p.vars[vEnd]
	}
	p.stage = st
	p.rv = s.nextRV()
	p.ns.pods = append(p.ns.pods, p)
	if p.dep != nil {
		p.dep.pods = append(p.dep.pods, p)
	}
}
