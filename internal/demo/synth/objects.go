package synth

import (
	"slices"
	"time"
)

const annLastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// object is a policy-like resource: a Kubernetes NetworkPolicy or one of
// the Calico kinds (policies, staged policies, tiers, network sets, host
// endpoints). Its spec is kept as a JSON tree.
type object struct {
	k       *kindInfo
	m       meta
	spec    *node
	ns      *namespace // nil when cluster-scoped
	owner   *user      // who normally changes it: a person or the GitOps controller
	applied []label    // labels of the applied configuration (git), for last-applied
	policy  bool       // a network policy (counts toward Options.Policies)
	gone    bool
}

func (o *object) namespaceName() string {
	if o.ns == nil {
		return ""
	}
	return o.ns.m.name
}

// appendJSON writes the object as the API server returns it.
func (o *object) appendJSON(b []byte, withManaged bool) []byte {
	if o.k.crd {
		b = append(b, `{"apiVersion":"`...)
		b = append(b, o.k.apiVersion()...)
		b = append(b, `","kind":"`...)
		b = append(b, o.k.kind...)
		b = append(b, `",`...)
		b = o.m.appendSorted(b, withManaged)
		b = append(b, `,"spec":`...)
		b = o.spec.appendJSON(b, true)
		return append(b, '}')
	}
	b = append(b, `{"kind":"`...)
	b = append(b, o.k.kind...)
	b = append(b, `","apiVersion":"`...)
	b = append(b, o.k.apiVersion()...)
	b = append(b, `",`...)
	b = o.m.appendTyped(b, withManaged)
	b = append(b, `,"spec":`...)
	b = o.spec.appendJSON(b, false)
	return append(b, '}')
}

// appendCreateRequest writes the object as a client sends it on create.
func (o *object) appendCreateRequest(b []byte) []byte {
	if o.k.crd {
		b = append(b, `{"apiVersion":"`...)
		b = append(b, o.k.apiVersion()...)
		b = append(b, `","kind":"`...)
		b = append(b, o.k.kind...)
		b = append(b, `",`...)
		b = o.m.appendCreateRequest(b, true)
		b = append(b, `,"spec":`...)
		b = o.spec.appendJSON(b, true)
		return append(b, '}')
	}
	b = append(b, `{"kind":"`...)
	b = append(b, o.k.kind...)
	b = append(b, `","apiVersion":"`...)
	b = append(b, o.k.apiVersion()...)
	b = append(b, `",`...)
	b = o.m.appendCreateRequest(b, false)
	b = append(b, `,"spec":`...)
	b = o.spec.appendJSON(b, false)
	return append(b, '}')
}

// appliedConfig is what kubectl apply records in the last-applied
// annotation: the manifest, keys sorted, with a trailing newline.
func (o *object) appliedConfig() string {
	md := obj()
	ann := obj()
	for _, a := range o.m.annotations {
		if a.k != annLastApplied {
			ann.fields = append(ann.fields, kv(a.k, str(a.v)))
		}
	}
	md.set("annotations", ann)
	if len(o.applied) > 0 {
		md.set("labels", labelsNode(o.applied))
	}
	md.set("name", str(o.m.name))
	if o.ns != nil {
		md.set("namespace", str(o.ns.m.name))
	}
	cfg := obj(kv("apiVersion", str(o.k.apiVersion())), kv("kind", str(o.k.kind)), kv("metadata", md), kv("spec", o.spec))
	return string(cfg.appendJSON(nil, true)) + "\n"
}

// specPaths are the managed-field paths of the given top-level spec keys.
func (o *object) specPaths(keys ...string) []string {
	var ps []string
	if o.k.crd {
		ps = append(ps, fieldPath("f:spec", "."))
	}
	for _, k := range keys {
		ps = append(ps, fieldPath("f:spec", "f:"+k))
	}
	return ps
}

// specKeys lists the top-level keys of the spec.
func (o *object) specKeys() []string {
	keys := make([]string, len(o.spec.fields))
	for i, f := range o.spec.fields {
		keys[i] = f.key
	}
	return keys
}

// metaPaths are the managed-field paths of labels and annotations.
func metaPaths(section string, keys ...string) []string {
	ps := []string{fieldPath("f:metadata", "f:"+section, ".")}
	for _, k := range keys {
		ps = append(ps, fieldPath("f:metadata", "f:"+section, "f:"+k))
	}
	return ps
}

// objectRefFor is the objectRef of a request on an object.
func objectRefFor(o *object) ref {
	return refOf(o.k, o.namespaceName(), o.m.name)
}

// qualified is the group-qualified resource, as error messages name it.
func qualified(k *kindInfo) string {
	if k.group == "" {
		return k.resource
	}
	return k.resource + "." + k.group
}

// register adds an object to the world's indexes.
func (w *world) register(o *object) {
	w.objects = append(w.objects, o)
	if o.ns != nil {
		o.ns.objects = append(o.ns.objects, o)
	}
}

// unregister removes a deleted object from the indexes.
func (w *world) unregister(o *object) {
	o.gone = true
	w.objects = slices.DeleteFunc(w.objects, func(x *object) bool { return x == o })
	if o.ns != nil {
		o.ns.objects = slices.DeleteFunc(o.ns.objects, func(x *object) bool { return x == o })
	}
}

// lookup finds a live object by kind, namespace and name.
func (w *world) lookup(k *kindInfo, namespace, name string) *object {
	for _, o := range w.objects {
		if o.k == k && o.m.name == name && o.namespaceName() == namespace {
			return o
		}
	}
	return nil
}

// newObject makes an object (not yet written or registered).
func (s *sim) newObject(k *kindInfo, ns *namespace, name string, spec *node, owner *user) *object {
	o := &object{k: k, ns: ns, spec: spec, owner: owner, m: meta{name: name, uid: s.rnd.uuid()}}
	if ns != nil {
		o.m.namespace = ns.m.name
	}
	switch k {
	case s.w.k.tier, s.w.k.globalNetworkSet, s.w.k.networkSet, s.w.k.hostEndpoint:
	default:
		o.policy = true
	}
	if k.crd || k == s.w.k.networkPolicy {
		o.m.generation = 1
	}
	return o
}

// seedObject puts an object in place before the history starts, as its
// owner left it: Argo CD with a server-side apply, a person with kubectl
// apply (apply) or kubectl create.
func (s *sim) seedObject(o *object, created time.Time, apply bool) {
	o.m.created = created
	mgr, op := "kubectl-create", "Update"
	switch {
	case o.owner == s.w.users.argocd:
		mgr, op = "argocd-controller", "Apply"
		s.markTracked(o)
	case apply:
		mgr = "kubectl-client-side-apply"
		s.markApplied(o)
	}
	paths := o.specPaths(o.specKeys()...)
	if len(o.m.annotations) > 0 {
		paths = append(paths, metaPaths("annotations", labelKeys(o.m.annotations)...)...)
	}
	if len(o.m.labels) > 0 {
		paths = append(paths, metaPaths("labels", labelKeys(o.m.labels)...)...)
	}
	slices.Sort(paths)
	o.m.claim(mgr, op, o.k.apiVersion(), "", created, paths...)
	o.m.rv = s.nextRV()
	s.w.register(o)
}

// markApplied records the current manifest as the last one applied with
// kubectl apply.
func (s *sim) markApplied(o *object) {
	o.applied = slices.Clone(o.m.labels)
	o.m.annotations = setLabel(o.m.annotations, annLastApplied, o.appliedConfig())
}

// markTracked adds the annotation Argo CD uses to tie a resource to its
// application.
func (s *sim) markTracked(o *object) {
	o.applied = slices.Clone(o.m.labels)
	o.m.annotations = setLabel(o.m.annotations, "argocd.argoproj.io/tracking-id", trackingID(o))
}

// manifest is the object as kept in Git: what a server-side apply sends.
func (o *object) manifest() *node {
	md := obj()
	if v := labelValue(o.m.annotations, "argocd.argoproj.io/tracking-id"); v != "" {
		md.set("annotations", obj(kv("argocd.argoproj.io/tracking-id", str(v))))
	}
	if len(o.applied) > 0 {
		md.set("labels", labelsNode(o.applied))
	}
	md.set("name", str(o.m.name))
	if o.ns != nil {
		md.set("namespace", str(o.ns.m.name))
	}
	return obj(kv("apiVersion", str(o.k.apiVersion())), kv("kind", str(o.k.kind)), kv("metadata", md), kv("spec", o.spec))
}

// trackingID is the annotation Argo CD uses to tie a resource to its
// application.
func trackingID(o *object) string {
	app := "platform-policies"
	if o.ns != nil {
		app = o.ns.m.name + "-policies"
	}
	return app + ":" + o.k.group + "/" + o.k.kind + ":" + o.namespaceName() + "/" + o.m.name
}

// managerOf is the field manager of a user's writes: the GitOps
// controller's own, or the kubectl command's.
func managerOf(u *user, kubectl string) string {
	if u != nil && u.name == "system:serviceaccount:argocd:argocd-application-controller" {
		return "argocd-controller"
	}
	return kubectl
}

func labelKeys(ls []label) []string {
	ks := make([]string, len(ls))
	for i, l := range ls {
		ks[i] = l.k
	}
	return ks
}
