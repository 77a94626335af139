package synth

import (
	"fmt"
	"strconv"
	"time"
)

// Versions the simulated cluster reports.
const (
	kubeVersion = "v1.33.1"
	kubeCommit  = "8adc0f0"
	controlIP   = "10.0.0.10"
)

// user is a requester: its audit user block, source IP and user agent are
// encoded once.
type user struct {
	name   string
	uid    string
	reason string // authorization.k8s.io/reason when allowed
	json   []byte // "user":{…},"sourceIPs":[…],"userAgent":"…"
}

func newUser(name, uid string, groups []string, ip, ua, reason string) *user {
	b := []byte(`"user":{"username":`)
	b = appendStr(b, name)
	if uid != "" {
		b = append(b, `,"uid":`...)
		b = appendStr(b, uid)
	}
	b = append(b, `,"groups":`...)
	b = strs(groups...).appendJSON(b, false)
	b = append(b, `},"sourceIPs":[`...)
	b = appendStr(b, ip)
	b = append(b, `],"userAgent":`...)
	b = appendStr(b, ua)
	return &user{name: name, uid: uid, reason: reason, json: b}
}

// users are the people and controllers that act in the history.
type users struct {
	alice, bob, carol, mallory *user // people
	argocd                     *user // GitOps controller
	scheduler                  *user
	replicaSet, endpoints      *user // kube-controller-manager controllers
	namespace, serviceAccount  *user
	job, gc                    *user
	autoscaler                 *user // cluster-autoscaler: evicts pods from nodes it removes
}

func kubectlUA(platform string) string {
	return "kubectl/" + kubeVersion + " (" + platform + ") kubernetes/" + kubeCommit
}

// controllerNames are the kube-controller-manager service accounts that
// act in the history.
func controllerNames() []string {
	return []string{"cluster-autoscaler", "endpoint-controller", "generic-garbage-collector", "job-controller",
		"namespace-controller", "replicaset-controller", "service-account-controller"}
}

func newUsers(rnd *rng, saUID func(ns, name string) string) users {
	controller := func(name string) *user {
		full := "system:serviceaccount:kube-system:" + name
		return newUser(full, saUID("kube-system", name),
			[]string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
			controlIP, "kube-controller-manager/"+kubeVersion+" (linux/amd64) kubernetes/"+kubeCommit+"/"+full,
			`RBAC: allowed by ClusterRoleBinding "system:controller:`+name+`" of ClusterRole "system:controller:`+name+`" to ServiceAccount "`+name+`/kube-system"`)
	}
	return users{
		alice: newUser("alice", "", []string{"platform-admins", "system:authenticated"}, "10.8.0.21", kubectlUA("darwin/arm64"),
			`RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "platform-admins"`),
		bob: newUser("bob", "", []string{"netops", "system:authenticated"}, "10.8.0.34", kubectlUA("linux/amd64"),
			`RBAC: allowed by ClusterRoleBinding "netops-netpol-editor" of ClusterRole "netpol-editor" to Group "netops"`),
		carol: newUser("carol", "", []string{"app-devs", "system:authenticated"}, "10.8.0.57", "kubectl.exe/v1.32.3 (windows/amd64) kubernetes/32cc146",
			`RBAC: allowed by ClusterRoleBinding "app-devs-edit" of ClusterRole "edit" to Group "app-devs"`),
		mallory: newUser("mallory", "", []string{"contractors", "system:authenticated"}, "198.51.100.77", "kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f", ""),
		argocd: newUser("system:serviceaccount:argocd:argocd-application-controller", saUID("argocd", "argocd-application-controller"),
			[]string{"system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"},
			"10.244.0.12", "argocd-application-controller/v2.13.3 (linux/amd64)",
			`RBAC: allowed by ClusterRoleBinding "argocd-application-controller" of ClusterRole "argocd-application-controller" to ServiceAccount "argocd-application-controller/argocd"`),
		scheduler: newUser("system:kube-scheduler", "", []string{"system:authenticated"}, controlIP,
			"kube-scheduler/"+kubeVersion+" (linux/amd64) kubernetes/"+kubeCommit+"/scheduler",
			`RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"`),
		replicaSet:     controller("replicaset-controller"),
		endpoints:      controller("endpoint-controller"),
		namespace:      controller("namespace-controller"),
		serviceAccount: controller("service-account-controller"),
		job:            controller("job-controller"),
		gc:             controller("generic-garbage-collector"),
		autoscaler: newUser("system:serviceaccount:kube-system:cluster-autoscaler", saUID("kube-system", "cluster-autoscaler"),
			[]string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
			"10.244.0.7", "cluster-autoscaler/v1.33.0 (linux/amd64) kubernetes/$Format",
			`RBAC: allowed by ClusterRoleBinding "cluster-autoscaler" of ClusterRole "cluster-autoscaler" to ServiceAccount "cluster-autoscaler/kube-system"`),
	}
}

// host is a worker node: its kubelet, IP and pod CIDR.
type host struct {
	name    string
	ip      string
	podNet  string // "10.244.3." — a /24 per node
	used    [256]bool
	next    int
	pods    int
	kubelet *user
}

func newHost(i int) *host {
	h := &host{
		name:   "worker-" + strconv.Itoa(i+1),
		ip:     fmt.Sprintf("10.0.%d.%d", 1+i/200, 10+i%200),
		podNet: fmt.Sprintf("10.%d.%d.", 244+(i+1)/256, (i+1)%256),
		next:   2,
	}
	h.kubelet = newUser("system:node:"+h.name, "", []string{"system:nodes", "system:authenticated"}, h.ip,
		"kubelet/"+kubeVersion+" (linux/amd64) kubernetes/"+kubeCommit, "")
	return h
}

// allocIP hands out a free pod IP of the node's CIDR.
func (h *host) allocIP() string {
	for range 253 {
		n := h.next
		h.next++
		if h.next > 254 {
			h.next = 2
		}
		if !h.used[n] {
			h.used[n] = true
			return h.podNet + strconv.Itoa(n)
		}
	}
	return h.podNet + "255" // full: a real cluster would not schedule here
}

func (h *host) freeIP(ip string) {
	if n, err := strconv.Atoi(ip[len(h.podNet):]); err == nil && n < 256 {
		h.used[n] = false
	}
}

// namespace is a Namespace and what lives in it.
type namespace struct {
	m           meta
	istio       bool
	deleting    bool // deletion requested
	gone        bool
	deployments []*deployment
	sas         []*serviceAccount
	pods        []*pod // alive pods, creation order
	objects     []*object
}

func (ns *namespace) label(k string) string { return labelValue(ns.m.labels, k) }

func (ns *namespace) sa(name string) *serviceAccount {
	for _, sa := range ns.sas {
		if sa.m.name == name && !sa.gone {
			return sa
		}
	}
	return nil
}

type serviceAccount struct {
	m    meta
	gone bool
}

// deployment is a Deployment: its current ReplicaSet revision, its pods
// and the Endpoints of its Service.
type deployment struct {
	ns         *namespace
	name       string
	sa         string
	replicas   int
	image      string // repository, without tag
	version    int
	port       int32
	production bool
	tier       string
	profile    int // 0 plain, 1 readiness probe and a little env, 2 full configuration
	rs         *replicaSet
	pods       []*pod // alive, any revision
	ep         *endpointsObj
	rolling    bool
}

type replicaSet struct {
	name, hash, uid string
	rev             *podRev
}

func (d *deployment) tag() string {
	return fmt.Sprintf("%d.%d.%d", 1+d.version/10, d.version%10, (d.version*7)%13)
}

// clusterBirth is when the simulated cluster was installed.
func clusterBirth(start time.Time) time.Time { return start.Add(-200 * 24 * time.Hour) }
