package synth

import (
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// world is the state of the simulated cluster.
type world struct {
	k           *kinds
	users       users
	hosts       []*host
	namespaces  []*namespace // creation order; deleted ones are marked gone
	deployments []*deployment
	cronJobs    []*cronJob
	objects     []*object // live policy-like objects
	systemSAs   []*serviceAccount
}

// nsSpec describes a namespace to build.
type nsSpec struct {
	name, department, env string
	istio                 bool
	deployments           []string
	replicas              int // 0: the option
	system                bool
}

func fixedNamespaces() []nsSpec {
	return []nsSpec{
		{name: "kube-system", system: true, deployments: []string{"coredns", "calico-kube-controllers", "metrics-server"}, replicas: 1},
		{name: "argocd", system: true, deployments: []string{"argocd-server", "argocd-repo-server"}, replicas: 1},
		{name: "payable", department: "accounts", env: "prod", deployments: []string{"invoices", "ledger", "approvals", "notifier"}},
		{name: "collections", department: "accounts", env: "prod", deployments: []string{"collector", "dunning", "reminders"}},
		{name: "payroll", department: "accounts", env: "prod", deployments: []string{"payroll-api", "timesheets", "payslips"}},
		{name: "widgets", department: "engineering", env: "prod", istio: true, deployments: []string{"widget-controller", "widget-api", "widget-ui"}},
		{name: "storefront", department: "engineering", env: "prod", istio: true, deployments: []string{"web", "cart", "catalog", "checkout"}},
		{name: "dev", department: "engineering", env: "dev", deployments: []string{"sandbox-api", "test-runner", "mock-bank"}},
		{name: "sandbox", department: "engineering", env: "dev", deployments: []string{"experiments", "notebook"}, replicas: 2},
	}
}

func generatedNamespace(i int, r *rng, istio float64) nsSpec {
	pool := []string{"inventory", "billing", "search", "analytics", "shipping", "catalog-data", "identity",
		"notifications", "recommendations", "fraud", "loyalty", "pricing", "support", "marketing",
		"warehouse", "logistics", "reviews", "media", "auth", "partners"}
	name := fmt.Sprintf("team-%03d", i+1)
	if i < len(pool) {
		name = pool[i]
	}
	env := "prod"
	switch x := r.intn(10); {
	case x >= 8:
		env = "dev"
	case x >= 6:
		env = "staging"
	}
	return nsSpec{
		name: name, env: env, istio: r.chance(istio),
		department: pick(r, []string{"engineering", "accounts", "marketing", "operations", "data"}),
	}
}

func deploymentNames(spec nsSpec, n int) []string {
	if spec.system || spec.name == "sandbox" {
		return spec.deployments
	}
	pool := append(slices.Clone(spec.deployments), "api", "worker", "web", "cache", "gateway", "indexer",
		"exporter", "consumer", "scheduler", "db-proxy", "frontend", "backend", "sync", "reporter")
	var names []string
	for _, name := range pool {
		if len(names) == n {
			break
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for i := len(names); i < n; i++ {
		names = append(names, fmt.Sprintf("svc-%02d", i+1))
	}
	return names
}

// build creates the cluster as it is at the start of the history.
func (s *sim) build() {
	o := s.opts
	w := s.w
	birth := clusterBirth(o.Start)
	pods := (o.Namespaces+6)*o.DeploymentsPerNamespace*o.ReplicasPerDeployment + 40
	for i := range max(3, (pods+59)/60) {
		w.hosts = append(w.hosts, newHost(i))
	}
	specs := fixedNamespaces()
	for i := range o.Namespaces {
		istio := 0.3
		if s.limit > 0 {
			istio = 0 // volume runs keep the mesh to widgets and storefront
		}
		specs = append(specs, generatedNamespace(i, s.rnd, istio))
	}
	for i, spec := range specs {
		created := birth.Add(time.Duration(i)*7*time.Hour + s.rnd.between(0, time.Hour))
		if spec.system {
			created = birth.Add(time.Duration(i) * time.Minute)
		}
		ns := s.seedNamespace(spec, created)
		if spec.name == "kube-system" {
			for _, name := range controllerNames() {
				w.systemSAs = append(w.systemSAs, s.seedServiceAccount(ns, name, nil, created.Add(time.Second)))
			}
		}
		if spec.name == "argocd" {
			s.seedServiceAccount(ns, "argocd-application-controller", labelsOf("app.kubernetes.io/name", "argocd-application-controller"), created.Add(time.Minute))
		}
		replicas := o.ReplicasPerDeployment
		if spec.replicas > 0 {
			replicas = spec.replicas
		}
		for j, name := range deploymentNames(spec, o.DeploymentsPerNamespace) {
			s.seedDeployment(ns, name, j, replicas, created.Add(time.Duration(j+1)*time.Hour))
		}
	}
	s.seedCronJobs()
	s.seedPolicies(birth.Add(40 * 24 * time.Hour))
}

// seedNamespace creates a namespace and its default service account.
func (s *sim) seedNamespace(spec nsSpec, created time.Time) *namespace {
	ns := &namespace{istio: spec.istio}
	ns.m = meta{name: spec.name, uid: s.rnd.uuid(), created: created}
	ns.m.labels = labelsOf("kubernetes.io/metadata.name", spec.name)
	ns.m.claim("kube-apiserver", "Update", "v1", "", created, metaPaths("labels", "kubernetes.io/metadata.name")...)
	var extra []string
	if spec.department != "" {
		ns.m.labels = setLabel(ns.m.labels, "department", spec.department)
		ns.m.labels = setLabel(ns.m.labels, "env", spec.env)
		extra = append(extra, "department", "env")
	}
	if spec.istio {
		ns.m.labels = setLabel(ns.m.labels, "istio-injection", "enabled")
		extra = append(extra, "istio-injection")
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		ns.m.claim("kubectl-label", "Update", "v1", "", created.Add(2*time.Minute), metaPaths("labels", extra...)[1:]...)
	}
	ns.m.rv = s.nextRV()
	s.w.namespaces = append(s.w.namespaces, ns)
	s.seedServiceAccount(ns, "default", nil, created.Add(50*time.Millisecond))
	return ns
}

// seedServiceAccount creates a service account before the history.
func (s *sim) seedServiceAccount(ns *namespace, name string, labels []label, created time.Time) *serviceAccount {
	sa := &serviceAccount{m: meta{name: name, namespace: ns.m.name, uid: s.saUID(ns.m.name, name), created: created, labels: labels}}
	if len(labels) > 0 {
		sa.m.claim("kubectl-create", "Update", "v1", "", created, metaPaths("labels", labelKeys(labels)...)...)
	}
	sa.m.rv = s.nextRV()
	ns.sas = append(ns.sas, sa)
	return sa
}

// saUID gives each service account one uid, also used as the uid of the
// user that authenticates as it.
func (s *sim) saUID(ns, name string) string {
	key := ns + "/" + name
	if u, ok := s.saUIDs[key]; ok {
		return u
	}
	u := s.rnd.uuid()
	s.saUIDs[key] = u
	return u
}

// seedDeployment creates a deployment with running pods and its
// Endpoints.
func (s *sim) seedDeployment(ns *namespace, name string, index, replicas int, created time.Time) *deployment {
	d := &deployment{ns: ns, name: name, replicas: replicas, port: 8080, sa: "default", version: 1 + s.rnd.intn(40)}
	env := ns.label("env")
	switch {
	case ns.m.name == "kube-system":
		d.image = "registry.k8s.io/" + name
	case ns.m.name == "argocd":
		d.image = "quay.io/argoproj/argocd"
	case name == "web":
		d.image = "docker.io/library/nginx"
	default:
		d.image = "registry.example.com/" + ns.m.name + "/" + name
	}
	d.tier = []string{"frontend", "backend", "worker"}[index%3]
	d.production = env == "prod" && index%4 != 3
	// Volume runs favour plain workloads, which keeps events near the
	// size of the field's typical write (about 3 KB).
	plain, standard := 40, 40
	if s.limit > 0 {
		plain, standard = 88, 10
	}
	switch x := s.rnd.intn(100); {
	case x >= plain+standard:
		d.profile = 2
	case x >= plain:
		d.profile = 1
	}
	if name == "widget-controller" {
		d.sa = "controller"
	} else if !ns.isSystem() && s.rnd.chance(0.4) {
		d.sa = name
	}
	if d.sa != "default" && ns.sa(d.sa) == nil {
		s.seedServiceAccount(ns, d.sa, labelsOf("app", name), created.Add(-time.Minute))
	}
	s.w.deployments = append(s.w.deployments, d)
	ns.deployments = append(ns.deployments, d)
	s.newRevision(d)
	d.ep = s.newEndpoints(d, created)
	for range replicas {
		p := s.newPod(d.rs.rev, ns)
		p.dep = d
		age := s.rnd.between(time.Hour, 20*24*time.Hour)
		s.seedPod(p, s.opts.Start.Add(-age), stRunning)
	}
	d.ep.m.rv = s.nextRV()
	return d
}

func (ns *namespace) isSystem() bool { return ns.m.name == "kube-system" || ns.m.name == "argocd" }

// newRevision starts a new ReplicaSet revision of a deployment (a new
// image tag, a new pod-template-hash).
func (s *sim) newRevision(d *deployment) {
	d.version++
	rs := &replicaSet{hash: s.rnd.suffix(10), uid: s.rnd.uuid()}
	rs.name = d.name + "-" + rs.hash
	labels := labelsOf("app", d.name, "pod-template-hash", rs.hash, "tier", d.tier)
	if d.ns.m.name == "kube-system" && d.name == "coredns" {
		labels = setLabel(labels, "k8s-app", "kube-dns")
	}
	if d.production {
		labels = setLabel(labels, "deployment", "production")
	}
	if d.name == "notifier" || d.name == "checkout" || d.name == "gateway" {
		labels = setLabel(labels, "internet-egress", "allowed")
	}
	rs.rev = s.newRev(revInput{
		shape: podSpec{port: d.port, envKind: d.profile, probes: d.profile, hardened: d.profile == 2,
			noToken: d.profile == 0 && !d.ns.istio, istio: d.ns.istio, manager: "kube-controller-manager"},
		app: d.name, ns: d.ns.m.name, image: d.image + ":" + d.tag(), sa: d.sa, env: d.ns.label("env"),
		generateName: rs.name + "-", labels: labels,
		owner: &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.name, UID: types.UID(rs.uid),
			Controller: ptr(true), BlockOwnerDeletion: ptr(true)},
	})
	d.rs = rs
}
