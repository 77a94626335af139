package synth

import (
	"slices"
	"time"
)

// appendJSON writes a Namespace; finalized drops the kubernetes finalizer.
func (ns *namespace) appendJSON(b []byte, withManaged bool) []byte {
	b = append(b, `{"kind":"Namespace","apiVersion":"v1",`...)
	b = ns.m.appendTyped(b, withManaged)
	if ns.gone {
		b = append(b, `,"spec":{}`...)
	} else {
		b = append(b, `,"spec":{"finalizers":["kubernetes"]}`...)
	}
	if ns.deleting {
		return append(b, `,"status":{"phase":"Terminating"}}`...)
	}
	return append(b, `,"status":{"phase":"Active"}}`...)
}

func (sa *serviceAccount) appendJSON(b []byte, withManaged bool) []byte {
	b = append(b, `{"kind":"ServiceAccount","apiVersion":"v1",`...)
	b = sa.m.appendTyped(b, withManaged)
	return append(b, '}')
}

// createNamespace is a person creating a namespace with kubectl create and
// labelling it; the service-account controller adds its default account.
func (s *sim) createNamespace(name, department, env string, by *user) *namespace {
	ns := &namespace{m: meta{name: name}}
	r := ref{resource: "namespaces", name: name, version: "v1"}
	s.begin("create", by, &r, "fieldManager=kubectl-create&fieldValidation=Strict", outcome{code: 201})
	b := append(s.buf, `,"requestObject":{"kind":"Namespace","apiVersion":"v1","metadata":{"name":`...)
	b = appendStr(b, name)
	s.buf = append(b, `,"creationTimestamp":null},"spec":{},"status":{}}`...)
	ns.m.uid, ns.m.created = s.rnd.uuid(), s.recv
	ns.m.labels = labelsOf("kubernetes.io/metadata.name", name)
	ns.m.claim("kubectl-create", "Update", "v1", "", s.recv, metaPaths("labels", "kubernetes.io/metadata.name")...)
	ns.m.rv = s.nextRV()
	s.responseObject()
	s.buf = ns.appendJSON(s.buf, s.mf)
	s.end(by, true, 0)
	s.w.namespaces = append(s.w.namespaces, ns)

	s.clock = s.last
	s.createServiceAccount(ns, "default", nil, s.w.users.serviceAccount)

	s.clock = s.last.Add(s.rnd.between(20*time.Second, 90*time.Second))
	r.namespace = name
	s.begin("patch", by, &r, "fieldManager=kubectl-label", outcome{code: 200})
	s.requestObject()
	s.buf = obj(kv("metadata", obj(kv("labels", labelsNode(labelsOf("department", department, "env", env)))))).appendJSON(s.buf, true)
	ns.m.labels = setLabel(setLabel(ns.m.labels, "department", department), "env", env)
	ns.m.claim("kubectl-label", "Update", "v1", "", s.recv, metaPaths("labels", "department", "env")[1:]...)
	ns.m.rv = s.nextRV()
	s.responseObject()
	s.buf = ns.appendJSON(s.buf, s.mf)
	s.end(by, true, 0)
	return ns
}

// createServiceAccount writes the create of a service account.
func (s *sim) createServiceAccount(ns *namespace, name string, labels []label, by *user) *serviceAccount {
	sa := &serviceAccount{m: meta{name: name, namespace: ns.m.name, labels: labels}}
	r := ref{resource: "serviceaccounts", namespace: ns.m.name, name: name, version: "v1"}
	query := ""
	if by != s.w.users.serviceAccount {
		query = "fieldManager=kubectl-create&fieldValidation=Strict"
	}
	s.begin("create", by, &r, query, outcome{code: 201})
	sa.m.uid, sa.m.created = s.saUID(ns.m.name, name), s.recv
	s.requestObject()
	s.buf = append(s.buf, `{"kind":"ServiceAccount","apiVersion":"v1",`...)
	s.buf = sa.m.appendCreateRequest(s.buf, false)
	s.buf = append(s.buf, '}')
	if len(labels) > 0 {
		sa.m.claim("kubectl-create", "Update", "v1", "", s.recv, metaPaths("labels", labelKeys(labels)...)...)
	}
	sa.m.rv = s.nextRV()
	s.responseObject()
	s.buf = sa.appendJSON(s.buf, s.mf)
	s.end(by, true, 0)
	ns.sas = append(ns.sas, sa)
	return sa
}

// createDeployment starts a new workload in the history: the ReplicaSet
// controller creates its pods and the endpoint controller its Endpoints.
func (s *sim) createDeployment(ns *namespace, name, sa string, replicas int) *deployment {
	d := &deployment{ns: ns, name: name, replicas: replicas, port: 8080, sa: sa, version: 0, tier: "backend",
		production: ns.label("env") == "prod", profile: 1, image: "registry.example.com/" + ns.m.name + "/" + name}
	s.w.deployments = append(s.w.deployments, d)
	ns.deployments = append(ns.deployments, d)
	s.newRevision(d)
	for range replicas {
		s.rsCreate(d)
	}
	s.clock = s.last.Add(s.rnd.between(100*time.Millisecond, time.Second))
	e := s.newEndpoints(d, s.clock)
	r := ref{resource: "endpoints", namespace: ns.m.name, name: name, version: "v1"}
	u := s.w.users.endpoints
	s.begin("create", u, &r, "", outcome{code: 201})
	e.m.created = s.recv
	e.m.annotations = labelsOf(annTrigger, timeString(s.recv))
	e.m.managed[0].t = s.recv
	s.requestObject()
	s.buf = append(s.buf, `{"kind":"Endpoints","apiVersion":"v1",`...)
	s.buf = e.m.appendCreateRequest(s.buf, false)
	s.buf = append(s.buf, '}')
	e.m.rv = s.nextRV()
	s.responseObject()
	s.buf = e.appendJSON(s.buf, s.mf)
	s.end(u, true, annDeprecated)
	d.ep = e
	return d
}

// deleteNamespace is a person deleting a namespace, followed by what the
// namespace controller does: delete every collection in it (pods then
// terminate on their nodes), remove the finalizer, and delete the
// namespace for good.
func (s *sim) deleteNamespace(ns *namespace, by *user) {
	r := ref{resource: "namespaces", namespace: ns.m.name, name: ns.m.name, version: "v1"}
	s.begin("delete", by, &r, "", outcome{code: 200})
	ns.deleting = true
	ns.m.deleted, ns.m.grace = s.recv, -1
	ns.m.rv = s.nextRV()
	s.requestObject()
	s.buf = append(s.buf, deleteOptionsBackground...)
	s.responseObject()
	s.buf = ns.appendJSON(s.buf, s.mf)
	s.end(by, true, 0)
	s.after(s.rnd.between(time.Second, 3*time.Second), func() { s.namespaceCleanup(ns) })
}

// namespaceCleanup is the namespace controller's deletecollection of each
// tracked kind in a terminating namespace.
func (s *sim) namespaceCleanup(ns *namespace) {
	k := s.w.k
	u := s.w.users.namespace
	pods := slices.Clone(ns.pods)
	s.deleteCollection(ns, k.pod, len(pods), func(b []byte) []byte {
		for i, p := range pods {
			if p.deletion.IsZero() {
				p.deletion, p.grace = s.recv.Add(30*time.Second), 30
			}
			p.rv = s.nextRV()
			b = appendItem(b, i, func(b []byte) []byte { return p.appendJSON(b, s.mf) })
		}
		return b
	})
	for _, p := range pods {
		s.afterDeleteMarked(p)
	}
	var eps []*endpointsObj
	for _, d := range ns.deployments {
		if d.ep != nil && !d.ep.gone {
			eps = append(eps, d.ep)
		}
	}
	s.clock = s.last
	s.deleteCollection(ns, k.endpoints, len(eps), func(b []byte) []byte {
		for i, e := range eps {
			e.gone = true
			e.m.rv = s.nextRV()
			b = appendItem(b, i, func(b []byte) []byte { return e.appendJSON(b, s.mf) })
		}
		return b
	})
	sas := slices.Clone(ns.sas)
	s.deleteCollection(ns, k.serviceAccount, len(sas), func(b []byte) []byte {
		for i, sa := range sas {
			sa.gone = true
			sa.m.rv = s.nextRV()
			b = appendItem(b, i, func(b []byte) []byte { return sa.appendJSON(b, s.mf) })
		}
		return b
	})
	for _, kind := range []*kindInfo{k.networkPolicy, k.networkSet, k.calicoPolicy, k.stagedPolicy, k.stagedK8sPolicy} {
		var objs []*object
		for _, o := range ns.objects {
			if o.k == kind {
				objs = append(objs, o)
			}
		}
		s.deleteCollection(ns, kind, len(objs), func(b []byte) []byte {
			for i, o := range objs {
				o.m.rv = s.nextRV()
				b = appendItem(b, i, func(b []byte) []byte { return o.appendJSON(b, s.mf) })
				s.w.unregister(o)
			}
			return b
		})
	}
	s.after(45*time.Second, func() { s.finalizeNamespace(ns, u) })
}

// appendItem writes one list item; items of built-in lists carry no
// kind/apiVersion of their own.
func appendItem(b []byte, i int, render func([]byte) []byte) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	start := len(b)
	b = render(b)
	if b[start+1] == '"' && string(b[start+2:start+6]) == "kind" {
		// {"kind":"X","apiVersion":"v","metadata"… → {"metadata"…
		rest := b[start+1:]
		cut := 0
		for n := 0; cut < len(rest) && n < 2; cut++ {
			if rest[cut] == ',' {
				n++
			}
		}
		b = append(b[:start+1], rest[cut:]...)
	}
	return b
}

// deleteCollection writes one deletecollection; the response lists the
// deleted objects.
func (s *sim) deleteCollection(ns *namespace, k *kindInfo, n int, items func([]byte) []byte) {
	if n == 0 {
		return
	}
	u := s.w.users.namespace
	r := ref{resource: k.resource, namespace: ns.m.name, group: k.group, version: k.version}
	s.begin("deletecollection", u, &r, "", outcome{code: 200})
	s.requestObject()
	s.buf = append(s.buf, deleteOptionsBackground...)
	s.responseObject()
	s.scratch = items(s.scratch[:0]) // first: the deletions take resourceVersions
	b := s.buf
	if k.crd {
		b = append(b, `{"apiVersion":"`...)
		b = append(b, k.apiVersion()...)
		b = append(b, `","items":[`...)
		b = append(b, s.scratch...)
		b = append(b, `],"kind":"`...)
		b = append(b, k.kind...)
		b = append(b, `List","metadata":{"continue":"","resourceVersion":`...)
		b = appendQuotedUint(b, s.rv)
		b = append(b, `}}`...)
	} else {
		b = append(b, `{"kind":"`...)
		b = append(b, k.kind...)
		b = append(b, `List","apiVersion":"`...)
		b = append(b, k.apiVersion()...)
		b = append(b, `","metadata":{"resourceVersion":`...)
		b = appendQuotedUint(b, s.rv)
		b = append(b, `},"items":[`...)
		b = append(b, s.scratch...)
		b = append(b, `]}`...)
	}
	s.buf = b
	extra := 0
	if k == s.w.k.endpoints {
		extra = annDeprecated
	}
	s.end(u, true, extra)
	s.policyEvents += btoi(k != s.w.k.pod && k != s.w.k.endpoints && k != s.w.k.serviceAccount)
	s.clock = s.last.Add(s.rnd.between(20*time.Millisecond, 200*time.Millisecond))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// finalizeNamespace removes the namespace once its pods are gone.
func (s *sim) finalizeNamespace(ns *namespace, u *user) {
	if len(ns.pods) > 0 {
		s.after(15*time.Second, func() { s.finalizeNamespace(ns, u) })
		return
	}
	r := ref{resource: "namespaces", namespace: ns.m.name, name: ns.m.name, uid: ns.m.uid, version: "v1", rv: ns.m.rv, subresource: "finalize"}
	s.begin("update", u, &r, "", outcome{code: 200})
	ns.gone = true // the request drops the kubernetes finalizer
	s.requestObject()
	s.buf = ns.appendJSON(s.buf, false)
	ns.m.rv = s.nextRV()
	s.responseObject()
	s.buf = ns.appendJSON(s.buf, s.mf)
	s.end(u, true, 0)

	s.clock = s.last.Add(s.rnd.between(10*time.Millisecond, 100*time.Millisecond))
	r = ref{resource: "namespaces", namespace: ns.m.name, name: ns.m.name, version: "v1"}
	s.begin("delete", u, &r, "", outcome{code: 200})
	s.requestObject()
	b := append(s.buf, `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/__internal","preconditions":{"uid":"`...)
	b = append(b, ns.m.uid...)
	s.buf = append(b, `"},"propagationPolicy":"Background"}`...)
	ns.m.rv = s.nextRV()
	s.responseObject()
	s.buf = ns.appendJSON(s.buf, s.mf)
	s.end(u, true, 0)
}
