package synth

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// containerNames lists init containers then containers.
func containerNames(ps *podSpec) (inits, apps []string) {
	if ps.istio {
		return []string{"istio-init"}, []string{ps.app, "istio-proxy"}
	}
	return nil, []string{ps.app}
}

func imageOf(ps *podSpec, name string) string {
	switch name {
	case "istio-init":
		return istioInitImage
	case "istio-proxy":
		return istioProxyImage
	}
	return ps.image
}

// imageID is how the runtime reports the pulled image: repository@digest.
func imageID(ref string) string {
	repo := ref
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		repo = ref[:i]
	}
	return repo + "@" + digest(ref)
}

func condition(typ corev1.PodConditionType, ok bool, at int, reason, msg string) corev1.PodCondition {
	st := corev1.ConditionFalse
	if ok {
		st = corev1.ConditionTrue
	}
	return corev1.PodCondition{Type: typ, Status: st, LastTransitionTime: metav1.NewTime(slotTime(at)), Reason: reason, Message: msg}
}

// buildStatus returns the pod status at a stage, with slot placeholders.
func buildStatus(ps *podSpec, st int) corev1.PodStatus {
	status := corev1.PodStatus{Phase: corev1.PodPending, QOSClass: qosClass(ps)}
	if st == stCreated {
		return status
	}
	inits, apps := containerNames(ps)
	unready := "containers with unready status: [" + strings.Join(apps, " ") + "]"
	switch st {
	case stPending:
		initialized := condition(corev1.PodInitialized, true, vStart, "", "")
		if len(inits) > 0 {
			initialized = condition(corev1.PodInitialized, false, vStart, "ContainersNotInitialized", "containers with incomplete status: ["+strings.Join(inits, " ")+"]")
		}
		status.Conditions = []corev1.PodCondition{
			condition(corev1.PodReadyToStartContainers, false, vStart, "", ""),
			initialized,
			condition(corev1.PodReady, false, vStart, "ContainersNotReady", unready),
			condition(corev1.ContainersReady, false, vStart, "ContainersNotReady", unready),
			condition(corev1.PodScheduled, true, vScheduled, "", ""),
		}
	case stRunning:
		status.Phase = corev1.PodRunning
		status.Conditions = []corev1.PodCondition{
			condition(corev1.PodReadyToStartContainers, true, vInit, "", ""),
			condition(corev1.PodInitialized, true, vInit, "", ""),
			condition(corev1.PodReady, true, vReady, "", ""),
			condition(corev1.ContainersReady, true, vReady, "", ""),
			condition(corev1.PodScheduled, true, vScheduled, "", ""),
		}
	case stDone:
		status.Phase = corev1.PodSucceeded
		status.Conditions = []corev1.PodCondition{
			condition(corev1.PodReadyToStartContainers, false, vEnd, "", ""),
			condition(corev1.PodInitialized, true, vInit, "PodCompleted", ""),
			condition(corev1.PodReady, false, vEnd, "PodCompleted", ""),
			condition(corev1.ContainersReady, false, vEnd, "PodCompleted", ""),
			condition(corev1.PodScheduled, true, vScheduled, "", ""),
		}
	}
	status.HostIP = slot(vHostIP)
	status.HostIPs = []corev1.HostIP{{IP: slot(vHostIP)}}
	if st >= stRunning {
		status.PodIP = slot(vPodIP)
		status.PodIPs = []corev1.PodIP{{IP: slot(vPodIP)}}
	}
	status.StartTime = ptr(metav1.NewTime(slotTime(vStart)))
	cid := vCID0
	for _, name := range inits {
		cs := containerStatus(ps, name, st, cid, true)
		status.InitContainerStatuses = append(status.InitContainerStatuses, cs)
		cid++
	}
	for _, name := range apps {
		status.ContainerStatuses = append(status.ContainerStatuses, containerStatus(ps, name, st, cid, false))
		cid++
	}
	return status
}

func containerStatus(ps *podSpec, name string, st, cid int, init bool) corev1.ContainerStatus {
	img := imageOf(ps, name)
	cs := corev1.ContainerStatus{Name: name, Image: img, Started: ptr(false)}
	mount := corev1.VolumeMountStatus{Name: "kube-api-access-" + slot(vVol), MountPath: saMountPath, ReadOnly: true, RecursiveReadOnly: ptr(corev1.RecursiveReadOnlyDisabled)}
	waiting := "ContainerCreating"
	if ps.istio && !init {
		waiting = "PodInitializing"
	}
	switch {
	case st == stPending:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: waiting}
		return cs
	case st == stDone || init:
		started, finished := vInit, vEnd
		if init {
			started, finished = vStart, vInit
		}
		cs.State.Terminated = &corev1.ContainerStateTerminated{
			ExitCode: 0, Reason: "Completed",
			StartedAt: metav1.NewTime(slotTime(started)), FinishedAt: metav1.NewTime(slotTime(finished)),
			ContainerID: "containerd://" + slot(cid),
		}
	default:
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(slotTime(vInit))}
		cs.Ready = true
		cs.Started = ptr(true)
	}
	cs.ImageID = imageID(img)
	if name == ps.app {
		cs.ImageID = slot(vImageID)
	}
	cs.ContainerID = "containerd://" + slot(cid)
	if !ps.noToken {
		cs.VolumeMounts = []corev1.VolumeMountStatus{mount}
	}
	if name == ps.app && ps.hardened {
		res := appResources(ps)
		cs.Resources = &res
		cs.User = &corev1.ContainerUser{Linux: &corev1.LinuxContainerUser{UID: 1000, GID: 1000, SupplementalGroups: []int64{1000}}}
	}
	return cs
}

// statusPatch is the strategic-merge patch the kubelet sends to move a
// pod's status to stage st (keys sorted, as the kubelet builds it); direct
// is a first patch that finds the pod already running.
func statusPatch(ps *podSpec, st int, direct bool) []byte {
	var full map[string]any
	if err := json.Unmarshal(sortedJSON(mustJSON(buildStatus(ps, st))), &full); err != nil {
		panic("synth: status patch: " + err.Error())
	}
	conds := full["conditions"].([]any)
	var keys []string
	switch st {
	case stPending:
		keys = []string{"conditions", "containerStatuses", "hostIP", "hostIPs", "initContainerStatuses", "startTime"}
	case stRunning:
		keys = []string{"conditions", "containerStatuses", "initContainerStatuses", "phase", "podIP", "podIPs"}
		full["conditions"] = conds[:4] // PodScheduled is unchanged
		if direct {
			keys = append(keys, "hostIP", "hostIPs", "startTime")
			full["conditions"] = conds
		}
	case stDone:
		keys = []string{"conditions", "containerStatuses", "phase"}
		full["conditions"] = []any{conds[0], conds[2], conds[3]}
	}
	order := make([]any, len(conds))
	for i, c := range conds {
		order[i] = map[string]any{"type": c.(map[string]any)["type"]}
	}
	patch := map[string]any{"$setElementOrder/conditions": order}
	for _, k := range keys {
		if v, ok := full[k]; ok {
			patch[k] = v
		}
	}
	return mustJSON(map[string]any{"metadata": map[string]any{"uid": slot(vUID)}, "status": patch})
}

// creatorPaths are the spec fields the creator of a pod owns (its
// metadata fields are per revision, see newRev).
func creatorPaths(ps *podSpec) []string {
	var paths []string
	add := func(segs ...string) { paths = append(paths, fieldPath(segs...)) }
	c := []string{"f:spec", "f:containers", `k:{"name":"` + ps.app + `"}`}
	sub := func(segs ...string) { add(append(slices.Clone(c), segs...)...) }
	sub(".")
	if len(ps.command) > 0 {
		sub("f:command")
	}
	for i, e := range shapeEnv(ps) {
		if i == 0 {
			sub("f:env", ".")
		}
		k := `k:{"name":"` + e.Name + `"}`
		sub("f:env", k, ".")
		sub("f:env", k, "f:name")
		if e.ValueFrom != nil {
			sub("f:env", k, "f:valueFrom", ".")
			sub("f:env", k, "f:valueFrom", "f:fieldRef")
		} else {
			sub("f:env", k, "f:value")
		}
	}
	sub("f:image")
	sub("f:imagePullPolicy")
	var probes []string
	switch ps.probes {
	case 1:
		probes = []string{"f:readinessProbe"}
	case 2:
		probes = []string{"f:livenessProbe", "f:readinessProbe"}
	}
	{
		for _, probe := range probes {
			sub(probe, ".")
			for _, f := range []string{"f:failureThreshold", "f:initialDelaySeconds", "f:periodSeconds", "f:successThreshold", "f:timeoutSeconds"} {
				sub(probe, f)
			}
			sub(probe, "f:httpGet", ".")
			sub(probe, "f:httpGet", "f:path")
			sub(probe, "f:httpGet", "f:port")
			sub(probe, "f:httpGet", "f:scheme")
		}
	}
	sub("f:name")
	if !ps.jobPod {
		port := `k:{"containerPort":` + strconv.Itoa(int(ps.port)) + `,"protocol":"TCP"}`
		sub("f:ports", ".")
		sub("f:ports", port, ".")
		sub("f:ports", port, "f:containerPort")
		sub("f:ports", port, "f:name")
		sub("f:ports", port, "f:protocol")
	}
	if len(appResources(ps).Requests) > 0 {
		sub("f:resources", ".")
		sub("f:resources", "f:requests", ".")
		sub("f:resources", "f:requests", "f:cpu")
		sub("f:resources", "f:requests", "f:memory")
	} else {
		sub("f:resources")
	}
	if ps.hardened {
		sub("f:securityContext", ".")
		sub("f:securityContext", "f:allowPrivilegeEscalation")
		sub("f:securityContext", "f:capabilities", ".")
		sub("f:securityContext", "f:capabilities", "f:drop")
		sub("f:securityContext", "f:runAsNonRoot")
	}
	sub("f:terminationMessagePath")
	sub("f:terminationMessagePolicy")
	if ps.noToken {
		add("f:spec", "f:automountServiceAccountToken")
	}
	for _, f := range []string{"f:dnsPolicy", "f:enableServiceLinks", "f:restartPolicy", "f:schedulerName", "f:securityContext", "f:serviceAccount", "f:serviceAccountName", "f:terminationGracePeriodSeconds"} {
		add("f:spec", f)
	}
	slices.Sort(paths)
	return paths
}

// kubeletPaths are the status fields the kubelet owns at a stage.
func kubeletPaths(ps *podSpec, st int) []string {
	var paths []string
	add := func(segs ...string) { paths = append(paths, fieldPath(segs...)) }
	for _, typ := range []string{"ContainersReady", "Initialized", "PodReadyToStartContainers", "PodScheduled", "Ready"} {
		k := `k:{"type":"` + typ + `"}`
		add("f:status", "f:conditions", k, ".")
		add("f:status", "f:conditions", k, "f:lastProbeTime")
		add("f:status", "f:conditions", k, "f:lastTransitionTime")
		add("f:status", "f:conditions", k, "f:status")
		add("f:status", "f:conditions", k, "f:type")
		if typ == "ContainersReady" || typ == "Ready" || (typ == "Initialized" && ps.istio) {
			add("f:status", "f:conditions", k, "f:reason")
			if st == stPending {
				add("f:status", "f:conditions", k, "f:message")
			}
		}
	}
	add("f:status", "f:containerStatuses")
	add("f:status", "f:hostIP")
	add("f:status", "f:hostIPs")
	if ps.istio {
		add("f:status", "f:initContainerStatuses")
	}
	if st >= stRunning {
		ip := `k:{"ip":"` + slot(vPodIP) + `"}`
		add("f:status", "f:phase")
		add("f:status", "f:podIP")
		add("f:status", "f:podIPs", ".")
		add("f:status", "f:podIPs", ip, ".")
		add("f:status", "f:podIPs", ip, "f:ip")
	}
	add("f:status", "f:startTime")
	slices.Sort(paths)
	return paths
}
