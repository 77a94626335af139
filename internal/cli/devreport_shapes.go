package cli

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/evident-dev/evident/internal/store"
)

// This file turns baseline objects into the templates of their history:
// a Deployment's pod at every step of its life, and a namespace or policy
// as an annotation patch answers it.

type jsonMap = map[string]any

// addPodShape models the history's pods on a Deployment's pod (one per
// Deployment) and remembers the pod's node.
func (g *historyGen) addPodShape(o store.BaselineObject, nodes map[string]*histNode) error {
	var probe struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
			Owners []struct {
				Kind, Name string
			} `json:"ownerReferences"`
		} `json:"metadata"`
		Spec struct {
			NodeName string `json:"nodeName"`
		} `json:"spec"`
		Status struct {
			HostIP string `json:"hostIP"`
			PodIP  string `json:"podIP"`
		} `json:"status"`
	}
	if err := json.Unmarshal(o.Object, &probe); err != nil {
		return err
	}
	md, hash := probe.Metadata, probe.Metadata.Labels["pod-template-hash"]
	if len(md.Owners) != 1 || md.Owners[0].Kind != "ReplicaSet" || hash == "" || probe.Status.PodIP == "" ||
		probe.Spec.NodeName == "" || !strings.HasSuffix(md.Owners[0].Name, "-"+hash) {
		return nil // not a running Deployment pod
	}
	if _, ok := nodes[probe.Spec.NodeName]; !ok {
		net := probe.Status.PodIP[:strings.LastIndexByte(probe.Status.PodIP, '.')+1]
		nodes[probe.Spec.NodeName] = &histNode{name: probe.Spec.NodeName, ip: probe.Status.HostIP, podNet: net,
			kubelet: newActor("system:node:"+probe.Spec.NodeName, "", []string{"system:nodes", "system:authenticated"},
				probe.Status.HostIP, "kubelet/v1.33.1 (linux/amd64) kubernetes/8adc0f0", "")}
	}
	deployment := strings.TrimSuffix(md.Owners[0].Name, "-"+hash)
	if g.deploys[o.Namespace+"/"+deployment] {
		return nil
	}
	g.deploys[o.Namespace+"/"+deployment] = true
	sh := &podShape{ns: o.Namespace, deployment: deployment}
	if err := sh.build(o.Object); err != nil {
		return err
	}
	g.pods = append(g.pods, sh)
	return nil
}

// build makes the templates of every step from a running pod.
func (sh *podShape) build(raw []byte) error {
	for _, t := range []struct {
		dst    *tmpl
		sched  bool
		grace  int
		status string
	}{
		{&sh.create, false, -1, "pending"},
		{&sh.running, true, -1, "running"},
		{&sh.marked, true, 30, "running"},
		{&sh.done, true, 30, "done"},
		{&sh.final, true, 0, "done"},
	} {
		doc, err := podDoc(raw, t.sched, t.grace, t.status)
		if err != nil {
			return err
		}
		if *t.dst, err = compileTmpl(doc); err != nil {
			return err
		}
	}
	doc, err := podDoc(raw, false, -1, "pending")
	if err != nil {
		return err
	}
	md := doc["metadata"].(jsonMap)
	req := jsonMap{"kind": "Pod", "apiVersion": "v1", "spec": doc["spec"], "status": jsonMap{},
		"metadata": jsonMap{"generateName": md["generateName"], "namespace": sh.ns, "creationTimestamp": nil,
			"labels": md["labels"], "ownerReferences": md["ownerReferences"]}}
	if sh.createReq, err = compileTmpl(req); err != nil {
		return err
	}
	for _, t := range []struct {
		dst    *tmpl
		status string
	}{{&sh.runningReq, "running"}, {&sh.doneReq, "done"}} {
		doc, err := podDoc(raw, true, -1, t.status)
		if err != nil {
			return err
		}
		patch := jsonMap{"metadata": jsonMap{"uid": placeholder(slUID)}, "status": doc["status"]}
		if *t.dst, err = compileTmpl(patch); err != nil {
			return err
		}
	}
	return nil
}

// podDoc is a pod as the API server answers at one step of its life:
// scheduled or not, marked for deletion with a grace period (or not, -1),
// and with the status of the step (pending, running or done).
func podDoc(raw []byte, sched bool, grace int, status string) (jsonMap, error) {
	var doc jsonMap
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	md, _ := doc["metadata"].(jsonMap)
	spec, _ := doc["spec"].(jsonMap)
	st, _ := doc["status"].(jsonMap)
	if md == nil || spec == nil || st == nil {
		return nil, errors.New("pod without metadata, spec or status")
	}
	delete(md, "managedFields")
	md["name"], md["generateName"], md["uid"] = placeholder(slName), placeholder(slGenName), placeholder(slUID)
	md["resourceVersion"], md["creationTimestamp"] = placeholder(slRV), placeholder(slCreated)
	md["labels"].(jsonMap)["pod-template-hash"] = placeholder(slHash)
	owner := md["ownerReferences"].([]any)[0].(jsonMap)
	owner["name"], owner["uid"] = placeholder(slRS), placeholder(slRSUID)
	if grace >= 0 {
		md["deletionTimestamp"], md["deletionGracePeriodSeconds"] = placeholder(slDeleted), grace
	}
	delete(spec, "nodeName")
	if sched {
		spec["nodeName"] = placeholder(slNode)
	}
	if status == "pending" {
		doc["status"] = jsonMap{"phase": "Pending", "qosClass": st["qosClass"]}
		return doc, nil
	}
	rewriteStatus(st, status == "done")
	return doc, nil
}

// rewriteStatus turns a running pod's status into the template of a
// running (or, with done, a stopped) pod of the history.
func rewriteStatus(st jsonMap, done bool) {
	start, end := placeholder(slStart), placeholder(slEnd)
	st["hostIP"], st["hostIPs"] = placeholder(slHostIP), []any{jsonMap{"ip": placeholder(slHostIP)}}
	st["podIP"], st["podIPs"] = placeholder(slPodIP), []any{jsonMap{"ip": placeholder(slPodIP)}}
	st["startTime"] = start
	conds, _ := st["conditions"].([]any)
	for _, c := range conds {
		c, _ := c.(jsonMap)
		if c == nil {
			continue
		}
		c["lastTransitionTime"] = start
		if typ := c["type"]; done && (typ == "Ready" || typ == "ContainersReady" || typ == "PodReadyToStartContainers") {
			c["status"], c["lastTransitionTime"] = "False", end
			if typ != "PodReadyToStartContainers" {
				c["reason"] = "PodCompleted"
			}
		}
	}
	for _, key := range []string{"initContainerStatuses", "containerStatuses"} {
		list, _ := st[key].([]any)
		for _, cs := range list {
			cs, _ := cs.(jsonMap)
			if cs == nil {
				continue
			}
			cs["containerID"] = placeholder(slCID)
			switch {
			case key == "initContainerStatuses":
				cs["state"] = jsonMap{"terminated": jsonMap{"exitCode": 0, "reason": "Completed", "startedAt": start,
					"finishedAt": start, "containerID": placeholder(slCID)}}
			case done:
				cs["state"] = jsonMap{"terminated": jsonMap{"exitCode": 0, "reason": "Completed", "startedAt": start,
					"finishedAt": end, "containerID": placeholder(slCID)}}
				cs["ready"], cs["started"] = false, false
			default:
				cs["state"] = jsonMap{"running": jsonMap{"startedAt": start}}
			}
		}
	}
	if done {
		st["phase"] = "Succeeded"
	}
}

// addPatchShape models the history of a namespace or policy: patches of
// its change-ticket annotation, by people or (for the objects it manages)
// Argo CD.
func (g *historyGen) addPatchShape(b store.Baseline, o store.BaselineObject) error {
	var doc jsonMap
	if err := json.Unmarshal(o.Object, &doc); err != nil {
		return err
	}
	md, _ := doc["metadata"].(jsonMap)
	if md == nil {
		return errors.New("object without metadata")
	}
	delete(md, "managedFields")
	md["resourceVersion"] = placeholder(slRV)
	ann, _ := md["annotations"].(jsonMap)
	if ann == nil {
		ann = jsonMap{}
		md["annotations"] = ann
	}
	_, argo := ann["argocd.argoproj.io/tracking-id"]
	ann["change-ticket"] = placeholder(slTicket)
	resp, err := compileTmpl(doc)
	if err != nil {
		return err
	}
	apiVersion, _ := doc["apiVersion"].(string)
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok {
		group, version = "", apiVersion
	}
	uri := "/api/" + version
	if group != "" {
		uri = "/apis/" + group + "/" + version
	}
	refNS := o.Namespace
	if b.Kind.Namespaced() {
		uri += "/namespaces/" + o.Namespace
	} else if b.Kind.Resource == "namespaces" {
		refNS = o.Name // the API server files a namespace under itself
	}
	uri += "/" + b.Kind.Resource + "/" + o.Name
	ref := jsonMap{"resource": b.Kind.Resource, "name": o.Name, "apiVersion": version}
	if refNS != "" {
		ref["namespace"] = refNS
	}
	if group != "" {
		ref["apiGroup"] = group
	}
	refJSON, err := json.Marshal(ref)
	if err != nil {
		return err
	}
	g.objs = append(g.objs, &patchShape{people: !argo, resp: resp, uri: uri, objRef: string(refJSON)})
	return nil
}
