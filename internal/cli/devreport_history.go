package cli

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

// The history of a report-benchmark store: the audit trail of the days
// before its baseline. Pods come and go (every one of them is gone before
// the baseline's time), and the namespaces and policies the baseline lists
// are patched, each version with a resourceVersion the baseline does not
// have. The baseline therefore records every object alive at its time
// anew, and the state at its time is the same as in a store without the
// history.

// Shares of a history day's events.
const (
	historyPatchShare = 0.08 // patches of namespaces and policies
	podEvents         = 6    // create, binding, running, marked, stopped, removed
	podMeanLife       = 8 * time.Hour
)

// Template slots: the values that differ between renders of one shape.
const (
	slName = iota
	slGenName
	slUID
	slRV
	slCreated
	slHash
	slRS
	slRSUID
	slNode
	slHostIP
	slPodIP
	slStart
	slEnd
	slDeleted
	slCID
	slTicket
	nSlots
)

// slots holds one render's values; they are plain strings (DNS names,
// numbers, times) that need no JSON escaping.
type slots [nSlots]string

func placeholder(slot int) string { return "@@" + strconv.Itoa(slot) + "@@" }

// tmpl is a JSON document cut at its placeholders.
type tmpl struct {
	segs  [][]byte
	slots []int
}

// compileTmpl marshals a document holding placeholder strings and cuts it
// there.
func compileTmpl(doc any) (tmpl, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return tmpl{}, err
	}
	var t tmpl
	for {
		i := bytes.Index(raw, []byte(`"@@`))
		if i < 0 {
			break
		}
		j := bytes.Index(raw[i+3:], []byte(`@@"`))
		if j < 0 {
			return tmpl{}, fmt.Errorf("unterminated placeholder in %.40s", raw[i:])
		}
		n, err := strconv.Atoi(string(raw[i+3 : i+3+j]))
		if err != nil || n < 0 || n >= nSlots {
			return tmpl{}, fmt.Errorf("bad placeholder %.20s", raw[i:])
		}
		t.segs = append(t.segs, raw[:i])
		t.slots = append(t.slots, n)
		raw = raw[i+3+j+3:]
	}
	t.segs = append(t.segs, raw)
	return t, nil
}

func (t *tmpl) render(b []byte, v *slots) []byte {
	for i, seg := range t.segs {
		b = append(b, seg...)
		if i < len(t.slots) {
			b = append(b, '"')
			b = append(b, v[t.slots[i]]...)
			b = append(b, '"')
		}
	}
	return b
}

// podShape is a Deployment's pod at each step of its life, made from one
// of its pods in the baseline.
type podShape struct {
	ns, deployment                 string
	create, running, marked, done  tmpl // response objects
	final                          tmpl
	createReq, runningReq, doneReq tmpl
}

// patchShape is a namespace or policy whose history is a series of
// annotation patches.
type patchShape struct {
	people      bool // changed by people with kubectl (else by Argo CD)
	resp        tmpl
	uri, objRef string
}

// actor is who sends a request, as the audit event's user fields.
type actor struct {
	fields []byte // "user":{...},"sourceIPs":[...],"userAgent":"..."
	reason []byte // the authorization reason, JSON-quoted
}

func newActor(name, uid string, groups []string, ip, agent, reason string) actor {
	type user struct {
		Username string   `json:"username"`
		UID      string   `json:"uid,omitempty"`
		Groups   []string `json:"groups"`
	}
	u, _ := json.Marshal(user{name, uid, groups})
	ips, _ := json.Marshal([]string{ip})
	ua, _ := json.Marshal(agent)
	r, _ := json.Marshal(reason)
	var b []byte
	b = append(append(append(b, `"user":`...), u...), `,"sourceIPs":`...)
	b = append(append(append(b, ips...), `,"userAgent":`...), ua...)
	return actor{fields: b, reason: r}
}

// histNode is a worker node pods run on.
type histNode struct {
	name, ip, podNet string
	kubelet          actor
}

// histPod is a pod of the history in flight.
type histPod struct {
	shape *podShape
	node  *histNode
	v     slots
	life  time.Duration
}

// step is one scheduled request.
type step struct {
	at    time.Time
	seq   uint64
	pod   *histPod
	stage int
	obj   *patchShape
}

type stepQueue []step

func (q stepQueue) Len() int { return len(q) }
func (q stepQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q stepQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *stepQueue) Push(x any)   { *q = append(*q, x.(step)) }
func (q *stepQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	*q = old[:len(old)-1]
	return s
}

// Pod stages, in order.
const (
	stCreate = iota
	stBind
	stRunning
	stMarked
	stDone
	stFinal
)

// historyGen writes the history of [from, to) as audit log lines.
type historyGen struct {
	from, to time.Time
	perDay   int
	rnd      *rand.Rand
	rv       uint64
	pods     []*podShape
	deploys  map[string]bool // the Deployments pods are modelled on
	objs     []*patchShape
	nodes    []*histNode

	rsController, scheduler, argocd actor
	people                          []actor

	q      stepQueue
	seq    uint64
	last   time.Time
	buf    []byte
	events int
}

// newHistoryGen prepares a history that ends at the baselines' time.
func newHistoryGen(baselines []store.Baseline, from, to time.Time, perDay int, seed int64) (*historyGen, error) {
	g := &historyGen{from: from, to: to, perDay: perDay, rnd: rand.New(rand.NewPCG(uint64(seed), 0x5eed)), deploys: map[string]bool{}}
	g.rsController = controllerActor("replicaset-controller", g.uuid())
	g.scheduler = newActor("system:kube-scheduler", "", []string{"system:authenticated"}, "10.0.0.10",
		"kube-scheduler/v1.33.1 (linux/amd64) kubernetes/8adc0f0/scheduler",
		`RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"`)
	g.argocd = newActor("system:serviceaccount:argocd:argocd-application-controller", g.uuid(),
		[]string{"system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"}, "10.244.0.12",
		"argocd-application-controller/v2.13.3 (linux/amd64)",
		`RBAC: allowed by ClusterRoleBinding "argocd-application-controller" of ClusterRole "argocd-application-controller" to ServiceAccount "argocd-application-controller/argocd"`)
	g.people = []actor{
		newActor("alice", "", []string{"platform-admins", "system:authenticated"}, "10.8.0.21", "kubectl/v1.33.1 (darwin/arm64) kubernetes/8adc0f0",
			`RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "platform-admins"`),
		newActor("bob", "", []string{"netops", "system:authenticated"}, "10.8.0.34", "kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
			`RBAC: allowed by ClusterRoleBinding "netops-netpol-editor" of ClusterRole "netpol-editor" to Group "netops"`),
	}
	nodes := map[string]*histNode{}
	var maxRV uint64
	for _, b := range baselines {
		for _, o := range b.Objects {
			if rv, err := strconv.ParseUint(o.ResourceVersion, 10, 64); err == nil && rv > maxRV {
				maxRV = rv
			}
			var err error
			switch b.Kind.Resource {
			case "pods":
				err = g.addPodShape(o, nodes)
			case "endpoints", "serviceaccounts":
			default:
				err = g.addPatchShape(b, o)
			}
			if err != nil {
				return nil, fmt.Errorf("history of %s %s/%s: %w", b.Kind, o.Namespace, o.Name, err)
			}
		}
	}
	if len(g.pods) == 0 || len(nodes) == 0 {
		return nil, fmt.Errorf("history: the baseline has no Deployment pods to model")
	}
	for _, name := range sortedKeys(nodes) {
		g.nodes = append(g.nodes, nodes[name])
	}
	// A resourceVersion the baseline does not use: the baseline records
	// each object anew.
	g.rv = maxRV + 1_000_000
	return g, nil
}

func controllerActor(name, uid string) actor {
	full := "system:serviceaccount:kube-system:" + name
	return newActor(full, uid, []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
		"10.0.0.10", "kube-controller-manager/v1.33.1 (linux/amd64) kubernetes/8adc0f0/"+full,
		`RBAC: allowed by ClusterRoleBinding "system:controller:`+name+`" of ClusterRole "system:controller:`+name+`" to ServiceAccount "`+name+`/kube-system"`)
}

// write writes the history to w as JSON lines, in time order, and
// returns the number of events.
func (g *historyGen) write(ctx context.Context, w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	days := int((g.to.Sub(g.from) + 24*time.Hour - 1) / (24 * time.Hour))
	pods := int(float64(g.perDay) * (1 - historyPatchShare) / podEvents)
	patches := int(float64(g.perDay) * historyPatchShare)
	for d := range days {
		if err := ctx.Err(); err != nil {
			return g.events, err
		}
		day := g.from.Add(time.Duration(d) * 24 * time.Hour)
		end := day.Add(24 * time.Hour)
		if end.After(g.to) {
			end = g.to
		}
		g.planDay(day, end, pods, patches)
		for len(g.q) > 0 && g.q[0].at.Before(end) {
			if err := g.next(bw); err != nil {
				return g.events, err
			}
		}
	}
	for len(g.q) > 0 {
		if err := g.next(bw); err != nil {
			return g.events, err
		}
	}
	return g.events, bw.Flush()
}

// planDay schedules a day's pod starts and patches.
func (g *historyGen) planDay(day, end time.Time, pods, patches int) {
	span := end.Sub(day)
	for range pods {
		at := day.Add(time.Duration(g.rnd.Int64N(int64(span))))
		life := time.Duration(g.rnd.ExpFloat64() * float64(podMeanLife))
		life = max(life, time.Minute)
		// Every pod is gone a minute before the history ends.
		if latest := g.to.Add(-time.Minute - 15*time.Second).Sub(at); life > latest {
			if latest < 30*time.Second {
				continue
			}
			life = latest
		}
		p := &histPod{shape: g.pods[g.rnd.IntN(len(g.pods))], life: life}
		g.push(at, step{pod: p, stage: stCreate})
	}
	for range patches {
		if len(g.objs) == 0 {
			break
		}
		o := g.objs[g.rnd.IntN(len(g.objs))]
		at := day.Add(time.Duration(g.rnd.Int64N(int64(span))))
		if o.people {
			// People work in working hours.
			at = day.Add(8*time.Hour + time.Duration(g.rnd.Int64N(int64(10*time.Hour))))
			if !at.Before(end) {
				continue
			}
		}
		g.push(at, step{obj: o})
	}
}

func (g *historyGen) push(at time.Time, s step) {
	g.seq++
	s.at, s.seq = at, g.seq
	heap.Push(&g.q, s)
}

func (g *historyGen) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rnd.Int64N(int64(hi-lo)))
}

// next writes the earliest scheduled request.
func (g *historyGen) next(w *bufio.Writer) error {
	s := heap.Pop(&g.q).(step)
	recv := s.at
	if !recv.After(g.last) {
		recv = g.last.Add(time.Duration(50+g.rnd.IntN(400)) * time.Microsecond)
	}
	stage := recv.Add(time.Duration(900+g.rnd.IntN(9000)) * time.Microsecond)
	g.last = stage
	g.buf = g.buf[:0]
	if s.obj != nil {
		g.patch(s.obj, recv, stage)
	} else {
		g.podStep(s.pod, s.stage, recv, stage)
	}
	g.buf = append(g.buf, '\n')
	g.events++
	_, err := w.Write(g.buf)
	return err
}

// podStep writes one request of a pod's life and schedules the next.
func (g *historyGen) podStep(p *histPod, st int, recv, stage time.Time) {
	sh, v := p.shape, &p.v
	podURI := "/api/v1/namespaces/" + sh.ns + "/pods"
	switch st {
	case stCreate:
		hash, rsUID := rolloutOf(sh, recv)
		v[slHash], v[slRS], v[slRSUID] = hash, sh.deployment+"-"+hash, rsUID
		v[slGenName] = v[slRS] + "-"
		v[slName] = v[slGenName] + g.suffix()
		v[slUID], v[slCID] = g.uuid(), "containerd://"+g.hex64()
		v[slCreated] = recv.UTC().Format(time.RFC3339)
		g.nextRV(v)
		g.begin("create", podURI, &g.rsController, podRef(sh.ns, "", ""), 201)
		g.buf = sh.createReq.render(g.buf, v)
		g.buf = append(g.buf, `,"responseObject":`...)
		g.buf = sh.create.render(g.buf, v)
		g.end(recv, stage, &g.rsController)
		g.push(stage.Add(g.between(5*time.Millisecond, 60*time.Millisecond)), step{pod: p, stage: stBind})
	case stBind:
		p.node = g.nodes[g.rnd.IntN(len(g.nodes))]
		v[slNode], v[slHostIP] = p.node.name, p.node.ip
		g.nextRV(v)
		g.begin("create", podURI+"/"+v[slName]+"/binding", &g.scheduler, podRef(sh.ns, v[slName], "binding"), 201)
		g.buf = append(g.buf, `{"kind":"Binding","apiVersion":"v1","metadata":{"name":"`...)
		g.buf = append(append(g.buf, v[slName]...), `","namespace":"`...)
		g.buf = append(append(g.buf, sh.ns...), `","uid":"`...)
		g.buf = append(append(g.buf, v[slUID]...), `","creationTimestamp":null},"target":{"kind":"Node","name":"`...)
		g.buf = append(append(g.buf, p.node.name...), `"}},"responseObject":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201}`...)
		g.end(recv, stage, &g.scheduler)
		g.push(stage.Add(g.between(1500*time.Millisecond, 4*time.Second)), step{pod: p, stage: stRunning})
	case stRunning:
		v[slPodIP] = p.node.podNet + strconv.Itoa(2+g.rnd.IntN(250))
		v[slStart] = recv.Add(-2 * time.Second).UTC().Format(time.RFC3339)
		g.kubeletPatch(p, &sh.runningReq, &sh.running, recv, stage)
		created, _ := time.Parse(time.RFC3339, v[slCreated])
		g.push(maxTime(created.Add(p.life), stage.Add(time.Second)), step{pod: p, stage: stMarked})
	case stMarked:
		v[slDeleted] = recv.Add(30 * time.Second).UTC().Format(time.RFC3339)
		g.nextRV(v)
		g.begin("delete", podURI+"/"+v[slName], &g.rsController, podRef(sh.ns, v[slName], ""), 200)
		g.buf = append(g.buf, `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/__internal","propagationPolicy":"Background"},"responseObject":`...)
		g.buf = sh.marked.render(g.buf, v)
		g.end(recv, stage, &g.rsController)
		g.push(stage.Add(g.between(time.Second, 6*time.Second)), step{pod: p, stage: stDone})
	case stDone:
		v[slEnd] = recv.UTC().Format(time.RFC3339)
		g.kubeletPatch(p, &sh.doneReq, &sh.done, recv, stage)
		g.push(stage.Add(g.between(100*time.Millisecond, 900*time.Millisecond)), step{pod: p, stage: stFinal})
	case stFinal:
		v[slDeleted] = recv.UTC().Format(time.RFC3339)
		g.nextRV(v)
		g.begin("delete", podURI+"/"+v[slName], &p.node.kubelet, podRef(sh.ns, v[slName], ""), 200)
		g.buf = append(g.buf, `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/__internal","gracePeriodSeconds":0,"preconditions":{"uid":"`...)
		g.buf = append(append(g.buf, v[slUID]...), `"}},"responseObject":`...)
		g.buf = sh.final.render(g.buf, v)
		g.end(recv, stage, &p.node.kubelet)
	}
}

// kubeletPatch writes a kubelet's status patch.
func (g *historyGen) kubeletPatch(p *histPod, req, resp *tmpl, recv, stage time.Time) {
	v := &p.v
	g.nextRV(v)
	uri := "/api/v1/namespaces/" + p.shape.ns + "/pods/" + v[slName] + "/status"
	g.begin("patch", uri, &p.node.kubelet, podRef(p.shape.ns, v[slName], "status"), 200)
	g.buf = req.render(g.buf, v)
	g.buf = append(g.buf, `,"responseObject":`...)
	g.buf = resp.render(g.buf, v)
	g.end(recv, stage, &p.node.kubelet)
}

// patch writes an annotation patch of a namespace or policy.
func (g *historyGen) patch(o *patchShape, recv, stage time.Time) {
	var v slots
	g.nextRV(&v)
	v[slTicket] = "CHG-" + strconv.Itoa(10000+g.rnd.IntN(90000))
	who, query := &g.argocd, "?fieldManager=argocd-controller&force=true"
	if o.people {
		who, query = &g.people[g.rnd.IntN(len(g.people))], "?fieldManager=kubectl-annotate"
	}
	g.begin("patch", o.uri+query, who, o.objRef, 200)
	g.buf = append(g.buf, `{"metadata":{"annotations":{"change-ticket":"`...)
	g.buf = append(append(g.buf, v[slTicket]...), `"}}},"responseObject":`...)
	g.buf = o.resp.render(g.buf, &v)
	g.end(recv, stage, who)
}

func (g *historyGen) nextRV(v *slots) {
	g.rv += 1 + uint64(g.rnd.IntN(3))
	v[slRV] = strconv.FormatUint(g.rv, 10)
}

// begin writes an event up to its request object.
func (g *historyGen) begin(verb, uri string, who *actor, objRef string, code int) {
	b := append(g.buf, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"`...)
	b = appendUUID(b, g.rnd.Uint64(), g.rnd.Uint64())
	b = append(b, `","stage":"ResponseComplete","requestURI":"`...)
	b = append(append(b, uri...), `","verb":"`...)
	b = append(append(b, verb...), `",`...)
	b = append(append(b, who.fields...), `,"objectRef":`...)
	b = append(append(b, objRef...), `,"responseStatus":{"metadata":{},"code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	g.buf = append(b, `},"requestObject":`...)
}

// end writes the rest of an event after its response object.
func (g *historyGen) end(recv, stage time.Time, who *actor) {
	const ts = "2006-01-02T15:04:05.000000Z"
	b := append(g.buf, `,"requestReceivedTimestamp":"`...)
	b = recv.UTC().AppendFormat(b, ts)
	b = append(b, `","stageTimestamp":"`...)
	b = stage.UTC().AppendFormat(b, ts)
	b = append(b, `","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":`...)
	g.buf = append(append(b, who.reason...), "}}"...)
}

func podRef(ns, name, subresource string) string {
	r := `{"resource":"pods","namespace":"` + ns + `"`
	if name != "" {
		r += `,"name":"` + name + `"`
	}
	r += `,"apiVersion":"v1"`
	if subresource != "" {
		r += `,"subresource":"` + subresource + `"`
	}
	return r + "}"
}

// rolloutOf returns the pod-template-hash and ReplicaSet uid of a
// Deployment's revision at time t: each Deployment rolls out about every
// two weeks, at its own phase.
func rolloutOf(sh *podShape, t time.Time) (hash, uid string) {
	h := fnv64(sh.ns + "/" + sh.deployment)
	const period = 13 * 24 * time.Hour
	rev := uint64((t.UnixNano() + int64(h%uint64(period))) / int64(period))
	r := rand.New(rand.NewPCG(h, rev))
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 10)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b), string(appendUUID(nil, r.Uint64(), r.Uint64()))
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func (g *historyGen) uuid() string { return string(appendUUID(nil, g.rnd.Uint64(), g.rnd.Uint64())) }

func (g *historyGen) hex64() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 64)
	for i := 0; i < len(b); i += 16 {
		x := g.rnd.Uint64()
		for j := range 16 {
			b[i+j] = hex[x>>(4*j)&15]
		}
	}
	return string(b)
}

func (g *historyGen) suffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[g.rnd.IntN(len(alphabet))]
	}
	return string(b)
}

// appendUUID writes a version 4 UUID made of two random words.
func appendUUID(b []byte, hi, lo uint64) []byte {
	const hex = "0123456789abcdef"
	hi = hi&^(0xf<<12) | 4<<12
	lo = lo&^(0x3<<62) | 0x2<<62
	var raw [16]byte
	for i := range 8 {
		raw[i], raw[8+i] = byte(hi>>(56-8*i)), byte(lo>>(56-8*i))
	}
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[c>>4], hex[c&15])
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
