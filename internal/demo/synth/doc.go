// Package synth generates a deterministic synthetic Kubernetes cluster
// history: kube-apiserver audit events (audit.k8s.io/v1, level
// RequestResponse, stage ResponseComplete, one JSON object per line exactly
// as --audit-log-path writes them) and the baseline snapshot that precedes
// them (`kubectl get <kind> -A -o json` List documents). It feeds
// `evident demo`, and the ingest, query and report benchmarks.
//
// # Basics
//
// [New] takes [Options]; [Demo], [Volume] and [Large] are the presets.
// [Generator.Baseline] describes the cluster at the start of the history;
// [Generator.WriteEvents] and [Generator.Events] produce the events that
// follow, in time order. Everything derives from Options.Seed: the same
// options give byte-identical output, uuids included. Each call replays the
// history from the start, so calls are independent.
//
// # What the history contains
//
// The cluster runs Kubernetes v1.33 with Calico (projectcalico.org/v3 kinds
// served as CustomResources) and Istio. Its namespaces carry
// kubernetes.io/metadata.name, department and env labels: payable,
// collections and payroll (department=accounts, Git-managed policies),
// widgets (with the service account controller used by its
// widget-controller) and storefront (both Istio-injected), dev, sandbox,
// kube-system, argocd, and Options.Namespaces generated ones.
//
// Workloads are Deployments whose pods the ReplicaSet controller creates
// (generateName <deployment>-<hash>-, labels app, tier, pod-template-hash,
// deployment=production in prod namespaces), the scheduler binds, and the
// kubelets move through Pending and Running with status patches (the
// response is the whole pod, with phase, hostIP and podIP). Pods in Istio
// namespaces carry the injected sidecar: the sidecar.istio.io/status
// annotation, the istio-init init container (docker.io/istio/proxy_init)
// and the istio-proxy container (docker.io/istio/proxyv2). Rollouts start a
// new ReplicaSet revision and replace pods one by one; people restart pods,
// the cluster autoscaler evicts them, an autoscaler scales deployments.
// Deletion is graceful, as on a real cluster: the deleter marks the pod,
// its kubelet reports the containers stopped (phase Succeeded) and deletes
// it with grace period 0. CronJobs in payroll, collections and dev run pods
// to completion (phase Succeeded); the garbage collector removes all but
// the last three. The endpoint controller keeps one Endpoints object per
// Service, with an address (targetRef kind Pod, the pod IP) per ready pod.
//
// Policies: Kubernetes NetworkPolicies; Calico NetworkPolicies,
// GlobalNetworkPolicies, staged policies of the three kinds, tiers
// (default, security, platform), GlobalNetworkSets (among them 0.0.0.0/0
// and 8.8.8.0/24), NetworkSets and HostEndpoints. Their protection and
// exposure differ on purpose: default-deny policies, an allow-all ingress
// rule in dev, a namespaceSelector rule in payroll, ipBlock rules in
// collections and storefront, egress to the internet for labelled
// workloads. Generated policies, up to Options.Policies, select the
// generated workloads. People change them with kubectl patch (merge and
// JSON patches), edit, apply (client-side, with the last-applied
// annotation), replace and label; Argo CD
// (system:serviceaccount:argocd:argocd-application-controller) syncs the
// Git-managed ones with server-side apply and its tracking-id annotation.
// Every write answers with the whole object and a new resourceVersion from
// a single cluster-wide counter.
//
// People: alice (platform-admins), bob (netops), carol (app-devs), and
// mallory (contractors), whose requests are all denied. Requests that
// fail change nothing: 403 Forbidden (mallory deleting the cluster's
// default deny, patching payable's, creating a namespace; carol changing a
// global policy) and 409 (creating a policy that exists: AlreadyExists; a
// replace with a stale resourceVersion: Conflict, followed by the retry).
//
// The story, at fixed points of the period: carol opens
// storefront/allow-cart-from-web to all sources (17%) and alice closes it
// again (27%); mallory's denied attempts (23%); alice creates the namespace
// reporting with workloads and Argo CD-managed policies (40%); alice
// deletes the namespace sandbox (50%) and the namespace controller deletes
// its contents with deletecollection (pods then terminate on their nodes),
// removes the finalizer and deletes it for good; bob's AlreadyExists and
// Conflict (55%); bob promotes the staged policy
// storefront/platform.tighten-checkout (62%); a host endpoint (70%); the
// tier app-team and the network set partner-acme (78%); carol's debug pod
// in dev (85%); Argo CD prunes payable/allow-ledger-from-invoices for a
// -v2 (92%). Each day brings people's policy changes in working hours,
// Argo CD syncs, rollouts, restarts, evictions, scaling, short-lived
// temp-debug policies that open a workload to everything, labels and
// change-ticket annotations.
//
// # Volume mode
//
// With Options.Events set, generation goes on until exactly that many
// events are written, spaced to fill the period, with about a fifth of them
// policy writes and the rest mostly pod lifecycle and status writes. The
// [Volume] preset (plain workloads, managed fields omitted as an audit
// policy with omitManagedFields does) averages about 3.3 KB per event.
// Generation writes well over 100,000 events per second on one core.
//
// # Caveats
//
// Events are serial: each request completes before the next is received.
// In volume mode the last events may fall after Start+Duration when the
// period cannot hold them. Baseline at a time after the start replays the
// actions scheduled up to that time.
package synth
