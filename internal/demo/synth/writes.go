package synth

import (
	"fmt"
	"slices"
)

// The writes in this file are the requests people and controllers make on
// policy-like objects. Every one counts toward the policy share of a
// volume run.

// createObject writes the create of a new object, with kubectl apply (or
// Argo CD's apply) when apply is set, else kubectl create.
func (s *sim) createObject(o *object, u *user, apply bool) {
	if u == s.w.users.argocd {
		s.serverSideApply(o, u, nil, true)
		return
	}
	mgr := "kubectl-create"
	if apply {
		mgr = managerOf(u, "kubectl-client-side-apply")
		s.markApplied(o)
	}
	r := objectRefFor(o)
	s.begin("create", u, &r, "fieldManager="+mgr+"&fieldValidation=Strict", outcome{code: 201})
	o.m.created = s.recv
	s.requestObject()
	s.buf = o.appendCreateRequest(s.buf)
	paths := o.specPaths(o.specKeys()...)
	if len(o.m.labels) > 0 {
		paths = append(paths, metaPaths("labels", labelKeys(o.m.labels)...)...)
	}
	if len(o.m.annotations) > 0 {
		paths = append(paths, metaPaths("annotations", labelKeys(o.m.annotations)...)...)
	}
	slices.Sort(paths)
	o.m.claim(mgr, "Update", o.k.apiVersion(), "", s.recv, paths...)
	o.m.rv = s.nextRV()
	s.responseObject()
	s.buf = o.appendJSON(s.buf, s.mf)
	s.end(u, true, 0)
	s.policyEvents++
	s.w.register(o)
}

// patchObject writes a patch whose body has been built from the change
// already made to o.
func (s *sim) patchObject(o *object, u *user, mgr string, body []byte, paths []string, specChanged bool) {
	r := objectRefFor(o)
	s.begin("patch", u, &r, "fieldManager="+mgr, outcome{code: 200})
	s.requestObject()
	s.buf = append(s.buf, body...)
	if specChanged {
		o.m.generation++
	}
	o.m.claim(mgr, "Update", o.k.apiVersion(), "", s.recv, paths...)
	o.m.rv = s.nextRV()
	s.responseObject()
	s.buf = o.appendJSON(s.buf, s.mf)
	s.end(u, true, 0)
	s.policyEvents++
}

// updateObject writes a replace (PUT) of the whole object, changed
// already, sent with the resourceVersion the client read.
func (s *sim) updateObject(o *object, u *user, paths []string) {
	mgr := managerOf(u, "kubectl-replace")
	r := objectRefFor(o)
	r.uid, r.rv = o.m.uid, o.m.rv
	s.begin("update", u, &r, "fieldManager="+mgr+"&fieldValidation=Strict", outcome{code: 200})
	s.requestObject()
	s.buf = o.appendJSON(s.buf, false)
	o.m.generation++
	o.m.claim(mgr, "Update", o.k.apiVersion(), "", s.recv, paths...)
	o.m.rv = s.nextRV()
	s.responseObject()
	s.buf = o.appendJSON(s.buf, s.mf)
	s.end(u, true, 0)
	s.policyEvents++
}

// deleteObject writes a delete; these kinds answer with a Status.
func (s *sim) deleteObject(o *object, u *user) {
	r := objectRefFor(o)
	out := outcome{code: 200, success: true, details: &statusDetails{name: o.m.name, group: o.k.group, kind: o.k.resource, uid: o.m.uid}}
	s.begin("delete", u, &r, "", out)
	s.requestObject()
	s.buf = append(s.buf, deleteOptionsBackground...)
	s.nextRV()
	s.responseStatusObject(out)
	s.end(u, true, 0)
	s.policyEvents++
	s.w.unregister(o)
}

// forbiddenMessage is the API server's message for an RBAC denial.
func forbiddenMessage(k *kindInfo, verb, namespace, name, username string) string {
	subject := qualified(k)
	if name != "" {
		subject += fmt.Sprintf(" %q", name)
	}
	scope := "at the cluster scope"
	if namespace != "" {
		scope = fmt.Sprintf("in the namespace %q", namespace)
	}
	return fmt.Sprintf("%s is forbidden: User %q cannot %s resource %q in API group %q %s",
		subject, username, verb, k.resource, k.group, scope)
}

// forbidden writes a request RBAC denied: no request object (the body is
// never read) and a Forbidden Status; nothing changes.
func (s *sim) forbidden(verb string, u *user, k *kindInfo, namespace, name, query string) {
	if verb == "create" {
		name = ""
	}
	r := refOf(k, namespace, name)
	if k == s.w.k.namespace && verb != "create" {
		r.namespace = name
	}
	out := outcome{code: 403, reason: "Forbidden", message: forbiddenMessage(k, verb, namespace, name, u.name),
		details: &statusDetails{name: name, group: k.group, kind: k.resource}}
	s.begin(verb, u, &r, query, out)
	s.responseStatusObject(out)
	s.end(u, false, 0)
	s.policyEvents++
}

// conflict writes an update sent with a stale resourceVersion: the
// request object is what the client wanted, the answer a 409 Conflict, and
// nothing changes.
func (s *sim) conflict(o *object, u *user, staleRV uint64, wanted *node) {
	stale := *o
	stale.m.rv = staleRV
	stale.spec = wanted
	mgr := managerOf(u, "kubectl-replace")
	r := objectRefFor(o)
	r.uid, r.rv = o.m.uid, staleRV
	out := outcome{code: 409, reason: "Conflict",
		message: fmt.Sprintf("Operation cannot be fulfilled on %s %q: the object has been modified; please apply your changes to the latest version and try again", qualified(o.k), o.m.name),
		details: &statusDetails{name: o.m.name, group: o.k.group, kind: o.k.resource}}
	s.begin("update", u, &r, "fieldManager="+mgr+"&fieldValidation=Strict", out)
	s.requestObject()
	s.buf = stale.appendJSON(s.buf, false)
	s.responseStatusObject(out)
	s.end(u, true, 0)
	s.policyEvents++
}

// alreadyExists writes a create of a name that is taken: 409
// AlreadyExists, nothing changes.
func (s *sim) alreadyExists(o *object, u *user) {
	dup := *o
	dup.m = meta{name: o.m.name, namespace: o.m.namespace, labels: o.m.labels}
	r := objectRefFor(o)
	out := outcome{code: 409, reason: "AlreadyExists",
		message: fmt.Sprintf("%s %q already exists", qualified(o.k), o.m.name),
		details: &statusDetails{name: o.m.name, group: o.k.group, kind: o.k.resource}}
	s.begin("create", u, &r, "fieldManager=kubectl-create&fieldValidation=Strict", out)
	s.requestObject()
	s.buf = dup.appendCreateRequest(s.buf)
	s.responseStatusObject(out)
	s.end(u, true, 0)
	s.policyEvents++
}

// patchBody is a merge patch of the given spec keys (null for removed
// ones), optionally with metadata.
func patchBody(o *object, keys []string, md *node) []byte {
	p := obj()
	if md != nil {
		p.set("metadata", md)
	}
	if len(keys) > 0 {
		sp := obj()
		for _, k := range keys {
			if v := o.spec.get(k); v != nil {
				sp.set(k, v)
			} else {
				sp.set(k, null())
			}
		}
		p.set("spec", sp)
	}
	return p.appendJSON(nil, true)
}

// applyObject writes kubectl apply (or Argo CD's sync) of a changed spec:
// a patch that carries the new last-applied configuration.
func (s *sim) applyObject(o *object, u *user, keys []string) {
	if u == s.w.users.argocd {
		s.serverSideApply(o, u, keys, false)
		return
	}
	mgr := "kubectl-client-side-apply"
	s.markApplied(o)
	md := obj(kv("annotations", obj(kv(annLastApplied, str(labelValue(o.m.annotations, annLastApplied))))))
	paths := append(o.specPaths(keys...), fieldPath("f:metadata", "f:annotations", "f:"+annLastApplied))
	slices.Sort(paths)
	s.patchObject(o, u, mgr, patchBody(o, keys, md), paths, len(keys) > 0)
}

// serverSideApply is Argo CD syncing an object with a server-side apply:
// a patch whose body is the whole manifest, answered 201 when it creates
// the object.
func (s *sim) serverSideApply(o *object, u *user, keys []string, create bool) {
	const mgr = "argocd-controller"
	s.markTracked(o)
	r := objectRefFor(o)
	out := outcome{code: 200}
	if create {
		out.code = 201
	}
	s.begin("patch", u, &r, "fieldManager="+mgr+"&force=true", out)
	s.requestObject()
	s.buf = o.manifest().appendJSON(s.buf, true)
	if create {
		o.m.created = s.recv
	} else if len(keys) > 0 {
		o.m.generation++
	}
	paths := append(o.specPaths(o.specKeys()...), metaPaths("annotations", "argocd.argoproj.io/tracking-id")[1:]...)
	if len(o.applied) > 0 {
		paths = append(paths, metaPaths("labels", labelKeys(o.applied)...)...)
	}
	slices.Sort(paths)
	o.m.claim(mgr, "Apply", o.k.apiVersion(), "", s.recv, paths...)
	o.m.rv = s.nextRV()
	s.responseObject()
	s.buf = o.appendJSON(s.buf, s.mf)
	s.end(u, true, 0)
	s.policyEvents++
	if create {
		s.w.register(o)
	}
}
