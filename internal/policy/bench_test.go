package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/selector"
)

// replayCluster is a generated cluster and a stream of pod updates.
type replayCluster struct {
	initial []step // namespaces, accounts, sets, policies, services, pods
	podKind audit.Kind
	// Two versions of every pod differing in one label; updates alternate
	// between them (a label change) or resend the current one (status
	// only: the cache sees the same labels, addresses and phase).
	variants [][2][]byte
	updates  []update
}

type update struct {
	pod  int
	flip bool
}

const (
	benchNamespaces   = 100
	benchPodsPerNS    = 100
	benchUpdates      = 100_000
	benchLabelChanges = 10 // percent of updates
)

func buildReplayCluster(tb testing.TB) *replayCluster {
	tb.Helper()
	rc := &replayCluster{podKind: kindFor("", "pods")}
	add := func(group, resource string, o map[string]any) {
		b, err := json.Marshal(o)
		if err != nil {
			tb.Fatal(err)
		}
		md := o["metadata"].(map[string]any)
		ns, _ := md["namespace"].(string)
		rc.initial = append(rc.initial, step{kind: kindFor(group, resource), ns: ns, name: md["name"].(string), object: b})
	}
	for i := range 20 {
		add("projectcalico.org", "globalnetworksets", map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet",
			"metadata": benchMeta("", fmt.Sprintf("feed-%d", i), map[string]string{"feed": fmt.Sprintf("f%d", i%5)}),
			"spec":     map[string]any{"nets": []string{fmt.Sprintf("203.0.%d.0/24", i), "10.200.0.0/16"}}})
	}
	for n := range benchNamespaces {
		addBenchNamespace(add, n)
	}
	for g := range 300 {
		add("projectcalico.org", "globalnetworkpolicies", map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
			"metadata": benchMeta("", fmt.Sprintf("security.gnp-%d", g), nil),
			"spec": map[string]any{
				"tier":              "security",
				"order":             g,
				"selector":          fmt.Sprintf("app == 'app-%d' && tier in {'web', 'api'}", g%10),
				"namespaceSelector": fmt.Sprintf("team == 't%d'", g%10),
				"types":             []string{"Ingress"},
				"ingress":           []any{map[string]any{"action": "Allow", "source": map[string]any{"selector": fmt.Sprintf("feed == 'f%d'", g%5)}}},
			}})
	}
	for n := range benchNamespaces {
		for p := range benchPodsPerNS {
			var v [2][]byte
			for i := range v {
				b, err := json.Marshal(benchPod(n, p, i))
				if err != nil {
					tb.Fatal(err)
				}
				v[i] = b
			}
			rc.variants = append(rc.variants, v)
			rc.initial = append(rc.initial, step{kind: rc.podKind, object: v[0]})
		}
	}
	// The initial state arrives kind by kind, pods first, as a snapshot
	// is replayed.
	order := make(map[audit.Kind]int)
	for i, k := range audit.Tracked() {
		order[k] = i
	}
	slices.SortStableFunc(rc.initial, func(a, b step) int { return order[a.kind] - order[b.kind] })
	r := rand.New(rand.NewPCG(1, 2))
	for range benchUpdates {
		rc.updates = append(rc.updates, update{pod: r.IntN(len(rc.variants)), flip: r.IntN(100) < benchLabelChanges})
	}
	return rc
}

func benchMeta(ns, name string, labels map[string]string) map[string]any {
	m := map[string]any{"name": name, "uid": fmt.Sprintf("uid-%s-%s", ns, name), "resourceVersion": "1000",
		"creationTimestamp": "2026-01-02T03:04:05Z", "labels": labels}
	if ns != "" {
		m["namespace"] = ns
	}
	return m
}

// addBenchNamespace adds a namespace with its service accounts, network
// set, 4 Kubernetes and 3 Calico policies, and 10 services.
func addBenchNamespace(add func(group, resource string, o map[string]any), n int) {
	ns := fmt.Sprintf("ns-%03d", n)
	add("", "namespaces", map[string]any{"apiVersion": "v1", "kind": "Namespace",
		"metadata": benchMeta("", ns, map[string]string{"env": []string{"prod", "dev", "test"}[n%3], "team": fmt.Sprintf("t%d", n%10)})})
	for s := range 5 {
		add("", "serviceaccounts", map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": benchMeta(ns, fmt.Sprintf("sa-%d", s), map[string]string{"role": fmt.Sprintf("r%d", s%2)})})
	}
	add("projectcalico.org", "networksets", map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "NetworkSet",
		"metadata": benchMeta(ns, "partners", map[string]string{"feed": "partners"}),
		"spec":     map[string]any{"nets": []string{fmt.Sprintf("198.51.100.%d/32", n)}}})
	for p := range 4 {
		add("networking.k8s.io", "networkpolicies", map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
			"metadata": benchMeta(ns, fmt.Sprintf("knp-%d", p), nil),
			"spec": map[string]any{
				"podSelector": map[string]any{"matchLabels": map[string]string{"app": fmt.Sprintf("app-%d", p)}},
				"policyTypes": []string{"Ingress", "Egress"},
				"ingress":     []any{map[string]any{"from": []any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]string{"tier": "web"}}}}, "ports": []any{map[string]any{"port": 8080}}}},
				"egress":      []any{map[string]any{"to": []any{map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/8"}}}}},
			}})
	}
	for p := range 3 {
		add("projectcalico.org", "networkpolicies", map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
			"metadata": benchMeta(ns, fmt.Sprintf("default.np-%d", p), nil),
			"spec": map[string]any{
				"tier":     "default",
				"order":    100,
				"selector": fmt.Sprintf("app == 'app-%d' && version == 'v%d'", 4+p, 1+p%2),
				"types":    []string{"Ingress", "Egress"},
				"ingress":  []any{map[string]any{"action": "Allow", "source": map[string]any{"selector": "feed == 'partners'"}}},
				"egress":   []any{map[string]any{"action": "Allow", "destination": map[string]any{"namespaceSelector": "env == 'prod'"}}},
			}})
	}
	for s := range 10 {
		var addrs []any
		for k := range 10 {
			pod := s*10 + k
			addrs = append(addrs, map[string]any{"ip": podIP(n, pod),
				"targetRef": map[string]any{"kind": "Pod", "namespace": ns, "name": fmt.Sprintf("pod-%d", pod)}})
		}
		add("", "endpoints", map[string]any{"apiVersion": "v1", "kind": "Endpoints", "metadata": benchMeta(ns, fmt.Sprintf("svc-%d", s), nil),
			"subsets": []any{map[string]any{"addresses": addrs, "ports": []any{map[string]any{"port": 80, "protocol": "TCP"}}}}})
	}
}

func podIP(ns, pod int) string { return fmt.Sprintf("10.%d.%d.%d", 1+ns/100, ns%100, pod+1) }

// benchPod is a realistically sized pod (about 2.5 KB of JSON, with
// managed fields and status conditions); variant selects the version label.
func benchPod(ns, p, variant int) map[string]any {
	name := fmt.Sprintf("pod-%d", p)
	ip := podIP(ns, p)
	return map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{
			"name": name, "generateName": fmt.Sprintf("app-%d-5d8f9c7b6-", p%10), "namespace": fmt.Sprintf("ns-%03d", ns),
			"uid": fmt.Sprintf("uid-%d-%d", ns, p), "resourceVersion": "123456", "creationTimestamp": "2026-01-02T03:04:05Z",
			"labels": map[string]string{"app": fmt.Sprintf("app-%d", p%10), "tier": []string{"web", "api", "db"}[p%3],
				"version": fmt.Sprintf("v%d", 1+variant), "pod-template-hash": "5d8f9c7b6"},
			"annotations":     map[string]string{"sidecar.istio.io/status": `{"initContainers":["istio-init"]}`, "prometheus.io/scrape": "true"},
			"ownerReferences": []any{map[string]any{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "app-5d8f9c7b6", "uid": "1234", "controller": true}},
			"managedFields": []any{
				map[string]any{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": "2026-01-02T03:04:05Z",
					"fieldsType": "FieldsV1", "fieldsV1": map[string]any{"f:metadata": map[string]any{"f:labels": map[string]any{".": map[string]any{}, "f:app": map[string]any{}}},
						"f:spec": map[string]any{"f:containers": map[string]any{`k:{"name":"app"}`: map[string]any{"f:image": map[string]any{}, "f:ports": map[string]any{}}}}}},
				map[string]any{"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": "2026-01-02T03:04:09Z", "subresource": "status",
					"fieldsType": "FieldsV1", "fieldsV1": map[string]any{"f:status": map[string]any{"f:conditions": map[string]any{}, "f:podIP": map[string]any{}, "f:phase": map[string]any{}}}},
			},
		},
		"spec": map[string]any{
			"serviceAccountName": fmt.Sprintf("sa-%d", p%5), "nodeName": fmt.Sprintf("node-%d", p%20),
			"initContainers": []any{map[string]any{"name": "istio-init", "image": "docker.io/istio/proxy_init:1.20.0"}},
			"containers": []any{
				map[string]any{"name": "app", "image": "registry.example.com/app:1.2.3", "ports": []any{map[string]any{"containerPort": 8080, "protocol": "TCP"}},
					"resources": map[string]any{"limits": map[string]any{"cpu": "500m", "memory": "128Mi"}, "requests": map[string]any{"cpu": "100m", "memory": "64Mi"}}},
				map[string]any{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.20.0"},
			},
			"restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
			"tolerations": []any{map[string]any{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}},
		},
		"status": map[string]any{
			"phase": "Running", "hostIP": "10.250.0.1", "podIP": ip, "podIPs": []any{map[string]any{"ip": ip}}, "startTime": "2026-01-02T03:04:05Z",
			"conditions": []any{
				map[string]any{"type": "Initialized", "status": "True", "lastTransitionTime": "2026-01-02T03:04:05Z"},
				map[string]any{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-02T03:04:09Z"},
				map[string]any{"type": "ContainersReady", "status": "True", "lastTransitionTime": "2026-01-02T03:04:09Z"},
				map[string]any{"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-01-02T03:04:05Z"},
			},
			"containerStatuses": []any{map[string]any{"name": "app", "ready": true, "restartCount": 0, "image": "registry.example.com/app:1.2.3",
				"imageID": "registry.example.com/app@sha256:0123456789abcdef", "containerID": "containerd://0123456789abcdef",
				"state": map[string]any{"running": map[string]any{"startedAt": "2026-01-02T03:04:08Z"}}}},
			"qosClass": "Burstable",
		},
	}
}

// replay loads the cluster and applies every update, returning the time
// spent on the updates.
func (rc *replayCluster) replay(tb testing.TB) (notified int, updates time.Duration) {
	c, err := NewCache(DefaultOptions())
	if err != nil {
		tb.Fatal(err)
	}
	c.SetInScope(selector.MustParse("pcns.env in {'prod', 'dev'}"))
	c.OnEndpoint(func(*Endpoint) { notified++ })
	for _, s := range rc.initial {
		if err := c.Set(s.kind, s.object); err != nil {
			tb.Fatal(err)
		}
	}
	start := time.Now()
	current := make([]int, len(rc.variants))
	for _, u := range rc.updates {
		if u.flip {
			current[u.pod] ^= 1
		}
		if err := c.Set(rc.podKind, rc.variants[u.pod][current[u.pod]]); err != nil {
			tb.Fatal(err)
		}
	}
	return notified, time.Since(start)
}

// BenchmarkReplay is a report's replay at the scale of the performance
// budget: 10 k pods in 100 namespaces, 1 k policies (400 Kubernetes, 300
// Calico, 300 global with a namespaceSelector), 100 services and network
// sets, then 100 k pod updates of which 10% change a label. ns/op is the
// whole replay; ms/load and ns/update split it.
func BenchmarkReplay(b *testing.B) {
	rc := buildReplayCluster(b)
	var bytes int
	for _, s := range rc.initial {
		bytes += len(s.object)
	}
	b.ReportAllocs()
	var total, upd time.Duration
	for b.Loop() {
		start := time.Now()
		n, u := rc.replay(b)
		total += time.Since(start)
		upd += u
		if n < benchUpdates {
			b.Fatalf("%d notifications for %d updates", n, benchUpdates)
		}
	}
	iters := float64(b.N)
	b.ReportMetric(float64((total-upd).Milliseconds())/iters, "ms/load")
	b.ReportMetric(float64(upd.Nanoseconds())/iters/benchUpdates, "ns/update")
}
