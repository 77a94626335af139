package synth

import (
	"slices"
	"strings"
	"time"
)

const annTrigger = "endpoints.kubernetes.io/last-change-trigger-time"

// endpointsObj is the Endpoints object of a deployment's Service, kept by
// the endpoint controller.
type endpointsObj struct {
	m       meta
	dep     *deployment
	pending bool // a sync is scheduled
	gone    bool
}

// endpointsPaths are the fields the endpoint controller owns.
func endpointsPaths(labels []label) []string {
	paths := []string{
		fieldPath("f:metadata", "f:annotations", "."),
		fieldPath("f:metadata", "f:annotations", "f:"+annTrigger),
		fieldPath("f:metadata", "f:labels", "."),
	}
	for _, l := range labels {
		paths = append(paths, fieldPath("f:metadata", "f:labels", "f:"+l.k))
	}
	paths = append(paths, fieldPath("f:subsets"))
	slices.Sort(paths)
	return paths
}

// newEndpoints creates the Endpoints of a deployment's Service.
func (s *sim) newEndpoints(d *deployment, created time.Time) *endpointsObj {
	e := &endpointsObj{dep: d, m: meta{
		name: d.name, namespace: d.ns.m.name, uid: s.rnd.uuid(), created: created,
		labels:      labelsOf("app", d.name),
		annotations: labelsOf(annTrigger, timeString(created)),
	}}
	e.m.claim("kube-controller-manager", "Update", "v1", "", created, endpointsPaths(e.m.labels)...)
	return e
}

// appendJSON writes the Endpoints; the request of an update carries no
// managed fields.
func (e *endpointsObj) appendJSON(b []byte, withManaged bool) []byte {
	b = append(b, `{"kind":"Endpoints","apiVersion":"v1",`...)
	b = e.m.appendTyped(b, withManaged)
	var ready []*pod
	for _, p := range e.dep.pods {
		if p.ready() {
			ready = append(ready, p)
		}
	}
	if len(ready) > 0 {
		slices.SortFunc(ready, func(a, b *pod) int { return strings.Compare(a.vars[vPodIP], b.vars[vPodIP]) })
		b = append(b, `,"subsets":[{"addresses":[`...)
		for i, p := range ready {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"ip":"`...)
			b = append(b, p.vars[vPodIP]...)
			b = append(b, `","nodeName":"`...)
			b = append(b, p.host.name...)
			b = append(b, `","targetRef":{"kind":"Pod","namespace":`...)
			b = appendStr(b, p.ns.m.name)
			b = append(b, `,"name":`...)
			b = appendStr(b, p.name)
			b = append(b, `,"uid":"`...)
			b = append(b, p.uid...)
			b = append(b, `"}}`...)
		}
		b = append(b, `],"ports":[{"name":"http","port":`...)
		b = appendInt(b, int64(e.dep.port))
		b = append(b, `,"protocol":"TCP"}]}]`...)
	}
	return append(b, '}')
}

// touchEndpoints schedules an endpoint-controller sync of a deployment's
// Endpoints; changes within the batching delay are written together.
func (s *sim) touchEndpoints(d *deployment) {
	e := d.ep
	if e == nil || e.gone || e.pending {
		return
	}
	e.pending = true
	s.after(s.rnd.between(20*time.Millisecond, 900*time.Millisecond), func() { s.syncEndpoints(e) })
}

// syncEndpoints is the endpoint controller's update of an Endpoints.
func (s *sim) syncEndpoints(e *endpointsObj) {
	e.pending = false
	if e.gone || e.dep.ns.deleting {
		return
	}
	u := s.w.users.endpoints
	r := ref{resource: "endpoints", namespace: e.m.namespace, name: e.m.name, uid: e.m.uid, version: "v1", rv: e.m.rv}
	s.begin("update", u, &r, "", outcome{code: 200})
	e.m.annotations = setLabel(e.m.annotations, annTrigger, timeString(s.recv.Add(-500*time.Millisecond)))
	s.requestObject()
	s.buf = e.appendJSON(s.buf, false)
	e.m.rv = s.nextRV()
	e.m.claim("kube-controller-manager", "Update", "v1", "", s.recv, endpointsPaths(e.m.labels)...)
	s.responseObject()
	s.buf = e.appendJSON(s.buf, s.mf)
	s.end(u, true, annDeprecated)
}
