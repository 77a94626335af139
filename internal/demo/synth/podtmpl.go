package synth

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Pod status stages, each with its own status template.
const (
	stCreated = iota // accepted, not yet seen by a kubelet
	stPending        // kubelet: sandbox and containers starting
	stRunning        // all containers running and ready
	stDone           // containers exited 0 (job finished, or pod deleted)
	nStages
)

// podSpec is the shape of a pod template: everything that decides the
// layout of its JSON. Names, images and labels are per-revision values
// (see podRev), so one compiled template serves every deployment of the
// same shape.
type podSpec struct {
	port     int32
	envKind  int // 0 none, 1 a little, 2 a full configuration (see shapeEnv)
	command  []string
	istio    bool
	jobPod   bool // restartPolicy Never, runs to completion
	probes   int  // 0 none, 1 readiness, 2 readiness and liveness
	noToken  bool // automountServiceAccountToken: false
	hardened bool // a restrictive container securityContext
	manager  string

	// Set to placeholders while compiling.
	app, namespace, image, sa string
}

// key identifies a shape.
func (ps *podSpec) key() string {
	return fmt.Sprintf("%d|%d|%q|%v|%v|%d|%v|%v|%s", ps.port, ps.envKind, ps.command, ps.istio, ps.jobPod, ps.probes, ps.noToken, ps.hardened, ps.manager)
}

// podTemplate is a shape compiled into render templates.
type podTemplate struct {
	spec         *podSpec
	createReq    tmpl // the creator's request object
	mfCreate     tmpl // the creator's managedFields entry
	mfKubelet    [nStages]tmpl
	podSpec      [2]tmpl // unscheduled, scheduled
	status       [nStages]tmpl
	patch        [nStages]tmpl // kubelet status patch that reaches a stage
	patchDirect  tmpl          // kubelet's first patch when the pod is already running
	containerIDs int
}

const saMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// template returns the compiled template of a shape, compiling it once.
func (s *sim) template(shape podSpec) *podTemplate {
	k := shape.key()
	if t, ok := s.templates[k]; ok {
		return t
	}
	t := compileTemplate(shape)
	s.templates[k] = t
	return t
}

// compileTemplate builds the render templates of a shape.
func compileTemplate(shape podSpec) *podTemplate {
	ps := &shape
	ps.app, ps.namespace, ps.image, ps.sa = slot(vApp), slot(vNS), slot(vImage), slot(vSA)
	t := &podTemplate{spec: ps, containerIDs: 1}
	if ps.istio {
		t.containerIDs = 3
	}
	req := []byte(`{"kind":"Pod","apiVersion":"v1","metadata":{` + slot(vNameField) + `,"namespace":"` + slot(vNS) + `","creationTimestamp":null` + slot(vReqMeta) + `},"spec":`)
	req = append(req, mustJSON(buildPodSpec(ps, false, false))...)
	t.createReq = compile(append(req, `,"status":{}}`...))

	create := managedEntry{manager: ps.manager, operation: "Update", apiVersion: "v1", t: slotTime(vCreated), paths: creatorPaths(ps)}
	js := create.appendJSON(nil, false)
	js = bytes.Replace(js, []byte(`"fieldsV1":{`), []byte(`"fieldsV1":{"f:metadata":`+slot(vMFMeta)+`,`), 1)
	t.mfCreate = compile(js)
	for st := stPending; st < nStages; st++ {
		e := managedEntry{manager: "kubelet", operation: "Update", apiVersion: "v1", subresource: "status", t: slotTime(vKubelet), paths: kubeletPaths(ps, st)}
		t.mfKubelet[st] = compile(e.appendJSON(nil, false))
	}
	t.podSpec[0] = compile(mustJSON(buildPodSpec(ps, true, false)))
	t.podSpec[1] = compile(mustJSON(buildPodSpec(ps, true, true)))
	for st := range nStages {
		t.status[st] = compile(mustJSON(buildStatus(ps, st)))
	}
	for st := stPending; st < nStages; st++ {
		t.patch[st] = compile(statusPatch(ps, st, false))
	}
	t.patchDirect = compile(statusPatch(ps, stRunning, true))
	return t
}

// podRev is what the pods of one ReplicaSet revision, one Job or one bare
// pod share beyond their shape: names, image, labels, owner.
type podRev struct {
	t            *podTemplate
	generateName string // "" for a bare pod
	name         string // the bare pod's name
	vals         [nVars]string
}

// revInput describes a revision.
type revInput struct {
	shape                   podSpec
	app, ns, image, sa, env string
	generateName, name      string
	labels, annotations     []label
	owner                   *metav1.OwnerReference
}

// newRev prepares the per-revision values of a template.
func (s *sim) newRev(in revInput) *podRev {
	t := s.template(in.shape)
	r := &podRev{t: t, generateName: in.generateName, name: in.name}
	v := &r.vals
	v[vApp], v[vNS], v[vImage], v[vImageID], v[vSA], v[vEnv] = in.app, in.ns, in.image, imageID(in.image), in.sa, in.env

	var b []byte
	if in.generateName != "" {
		b = appendStr(append(b, `"generateName":`...), in.generateName)
	} else {
		b = appendStr(append(b, `"name":`...), in.name)
	}
	v[vNameField] = string(b)

	owner := ""
	if in.owner != nil {
		owner = `,"ownerReferences":` + string(mustJSON([]metav1.OwnerReference{*in.owner}))
	}
	b = appendLabels(append(b[:0], `,"labels":`...), in.labels)
	if len(in.annotations) > 0 {
		b = appendLabels(append(b, `,"annotations":`...), in.annotations)
	}
	v[vReqMeta] = string(b) + owner

	respLabels, respAnn := in.labels, in.annotations
	if in.shape.istio {
		respLabels = setLabel(setLabel(setLabel(slices.Clone(respLabels),
			"security.istio.io/tlsMode", "istio"),
			"service.istio.io/canonical-name", in.app),
			"service.istio.io/canonical-revision", "latest")
		respAnn = slices.Clone(respAnn)
		for _, a := range istioAnnotations(in.app) {
			respAnn = setLabel(respAnn, a.k, a.v)
		}
	}
	b = appendLabels(append(b[:0], `,"labels":`...), respLabels)
	if len(respAnn) > 0 {
		b = appendLabels(append(b, `,"annotations":`...), respAnn)
	}
	v[vMetaTail] = string(b) + owner

	var paths []string
	add := func(segs ...string) { paths = append(paths, fieldPath(segs...)) }
	if in.generateName != "" {
		add("f:generateName")
	}
	for i, a := range in.annotations {
		if i == 0 {
			add("f:annotations", ".")
		}
		add("f:annotations", "f:"+a.k)
	}
	add("f:labels", ".")
	for _, l := range in.labels {
		add("f:labels", "f:"+l.k)
	}
	if in.owner != nil {
		add("f:ownerReferences", ".")
		add("f:ownerReferences", `k:{"uid":"`+string(in.owner.UID)+`"}`)
	}
	slices.Sort(paths)
	v[vMFMeta] = string(appendFieldsV1(nil, paths))
	return r
}

func istioAnnotations(app string) []label {
	return []label{
		{"istio.io/rev", "default"},
		{"kubectl.kubernetes.io/default-container", app},
		{"kubectl.kubernetes.io/default-logs-container", app},
		{"prometheus.io/path", "/stats/prometheus"},
		{"prometheus.io/port", "15020"},
		{"prometheus.io/scrape", "true"},
		{"sidecar.istio.io/status", `{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}`},
	}
}

func quantity(s string) resource.Quantity { return resource.MustParse(s) }

// appResources are the container's requests; the plainest workloads
// set none (BestEffort).
func appResources(ps *podSpec) corev1.ResourceRequirements {
	if ps.probes == 0 && !ps.jobPod {
		return corev1.ResourceRequirements{}
	}
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: quantity("100m"), corev1.ResourceMemory: quantity("128Mi")},
	}
}

// qosClass is the pod's QoS class.
func qosClass(ps *podSpec) corev1.PodQOSClass {
	if len(appResources(ps).Requests) == 0 && !ps.istio {
		return corev1.PodQOSBestEffort
	}
	return corev1.PodQOSBurstable
}

func httpProbe(path string, port intstr.IntOrString, initial int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: port, Scheme: corev1.URISchemeHTTP}},
		InitialDelaySeconds: initial, TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
	}
}

func ptr[T any](v T) *T { return &v }

// appContainer is the workload's own container; injected adds what
// admission adds (the service-account token mount).
func appContainer(ps *podSpec, injected bool) corev1.Container {
	c := corev1.Container{
		Name: ps.app, Image: ps.image, Command: ps.command, Env: shapeEnv(ps),
		Resources:                appResources(ps),
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		ImagePullPolicy:          corev1.PullIfNotPresent,
	}
	if !ps.jobPod {
		c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: ps.port, Protocol: corev1.ProtocolTCP}}
	}
	if ps.probes >= 2 {
		c.LivenessProbe = httpProbe("/healthz", intstr.FromString("http"), 10)
	}
	if ps.probes >= 1 {
		c.ReadinessProbe = httpProbe("/ready", intstr.FromString("http"), 5)
	}
	if ps.hardened {
		c.SecurityContext = &corev1.SecurityContext{
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			RunAsNonRoot:             ptr(true),
			AllowPrivilegeEscalation: ptr(false),
		}
	}
	if injected && !ps.noToken {
		c.VolumeMounts = []corev1.VolumeMount{{Name: "kube-api-access-" + slot(vVol), ReadOnly: true, MountPath: saMountPath}}
	}
	return c
}

// buildPodSpec returns the pod spec as the creator sends it (!stored) or
// as the API server stores it after defaulting and admission.
func buildPodSpec(ps *podSpec, stored, scheduled bool) corev1.PodSpec {
	spec := corev1.PodSpec{
		Containers:                    []corev1.Container{appContainer(ps, stored)},
		RestartPolicy:                 corev1.RestartPolicyAlways,
		TerminationGracePeriodSeconds: ptr[int64](30),
		DNSPolicy:                     corev1.DNSClusterFirst,
		ServiceAccountName:            ps.sa,
		DeprecatedServiceAccount:      ps.sa,
		SecurityContext:               &corev1.PodSecurityContext{},
		SchedulerName:                 corev1.DefaultSchedulerName,
	}
	if ps.jobPod {
		spec.RestartPolicy = corev1.RestartPolicyNever
	}
	if ps.noToken {
		spec.AutomountServiceAccountToken = ptr(false)
	}
	if !stored {
		return spec
	}
	if !ps.noToken {
		spec.Volumes = []corev1.Volume{tokenVolume()}
	}
	if ps.istio {
		addIstio(&spec, ps)
	}
	if scheduled {
		spec.NodeName = slot(vNode)
	}
	spec.Tolerations = []corev1.Toleration{
		{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr[int64](300)},
		{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr[int64](300)},
	}
	spec.Priority = ptr[int32](0)
	spec.EnableServiceLinks = ptr(true)
	spec.PreemptionPolicy = ptr(corev1.PreemptLowerPriority)
	return spec
}

func tokenVolume() corev1.Volume {
	return corev1.Volume{Name: "kube-api-access-" + slot(vVol), VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: ptr[int64](3607), Path: "token"}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
		DefaultMode: ptr[int32](420),
	}}}
}

// Images of the injected mesh sidecar.
const (
	istioInitImage  = "docker.io/istio/proxy_init:1.20"
	istioProxyImage = "docker.io/istio/proxyv2:1.20"
)

func istioMounts() []corev1.VolumeMount {
	return []corev1.VolumeMount{
		{Name: "workload-socket", MountPath: "/var/run/secrets/workload-spiffe-uds"},
		{Name: "credential-socket", MountPath: "/var/run/secrets/credential-uds"},
		{Name: "workload-certs", MountPath: "/var/run/secrets/workload-spiffe-credentials"},
		{Name: "istiod-ca-cert", MountPath: "/var/run/secrets/istio"},
		{Name: "istio-data", MountPath: "/var/lib/istio/data"},
		{Name: "istio-envoy", MountPath: "/etc/istio/proxy"},
		{Name: "istio-token", MountPath: "/var/run/secrets/tokens"},
		{Name: "istio-podinfo", MountPath: "/etc/istio/pod"},
		{Name: "kube-api-access-" + slot(vVol), ReadOnly: true, MountPath: saMountPath},
	}
}

// istioEnv is the environment the injector gives the proxy.
func istioEnv(ps *podSpec) []corev1.EnvVar {
	fieldEnv := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}}
	}
	return []corev1.EnvVar{
		{Name: "PILOT_CERT_PROVIDER", Value: "istiod"},
		{Name: "CA_ADDR", Value: "istiod.istio-system.svc:15012"},
		fieldEnv("POD_NAME", "metadata.name"),
		fieldEnv("POD_NAMESPACE", "metadata.namespace"),
		fieldEnv("INSTANCE_IP", "status.podIP"),
		fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
		fieldEnv("HOST_IP", "status.hostIP"),
		{Name: "ISTIO_CPU_LIMIT", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu", Divisor: quantity("0")}}},
		{Name: "PROXY_CONFIG", Value: "{}\n"},
		{Name: "ISTIO_META_POD_PORTS", Value: `[{"name":"http","containerPort":` + strconv.Itoa(int(ps.port)) + `,"protocol":"TCP"}]`},
		{Name: "ISTIO_META_APP_CONTAINERS", Value: ps.app},
		{Name: "ISTIO_META_CLUSTER_ID", Value: "Kubernetes"},
		fieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName"),
		{Name: "ISTIO_META_INTERCEPTION_MODE", Value: "REDIRECT"},
		{Name: "ISTIO_META_WORKLOAD_NAME", Value: ps.app},
		{Name: "ISTIO_META_OWNER", Value: "kubernetes://apis/apps/v1/namespaces/" + ps.namespace + "/deployments/" + ps.app},
		{Name: "ISTIO_META_MESH_ID", Value: "cluster.local"},
		{Name: "TRUST_DOMAIN", Value: "cluster.local"},
	}
}

// addIstio adds what the sidecar injector adds to a pod.
func addIstio(spec *corev1.PodSpec, ps *podSpec) {
	mounts, env := istioMounts(), istioEnv(ps)
	sc := func(uid int64, caps ...corev1.Capability) *corev1.SecurityContext {
		s := &corev1.SecurityContext{
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			RunAsUser:                ptr(uid),
			RunAsGroup:               ptr(uid),
			RunAsNonRoot:             ptr(uid != 0),
			ReadOnlyRootFilesystem:   ptr(true),
			AllowPrivilegeEscalation: ptr(false),
			Privileged:               ptr(false),
		}
		if len(caps) > 0 {
			s.Capabilities.Add = caps
		}
		return s
	}
	res := corev1.ResourceRequirements{
		Limits:   corev1.ResourceList{corev1.ResourceCPU: quantity("2"), corev1.ResourceMemory: quantity("1Gi")},
		Requests: corev1.ResourceList{corev1.ResourceCPU: quantity("10m"), corev1.ResourceMemory: quantity("40Mi")},
	}
	spec.InitContainers = []corev1.Container{{
		Name: "istio-init", Image: istioInitImage,
		Args:      []string{"istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020", "--log_output_level=default:info"},
		Resources: res, TerminationMessagePath: corev1.TerminationMessagePathDefault, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		ImagePullPolicy: corev1.PullIfNotPresent, SecurityContext: sc(0, "NET_ADMIN", "NET_RAW"),
		VolumeMounts: mounts[len(mounts)-1:],
	}}
	proxy := corev1.Container{
		Name: "istio-proxy", Image: istioProxyImage,
		Args:      []string{"proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error", "--log_output_level=default:info"},
		Ports:     []corev1.ContainerPort{{Name: "http-envoy-prom", ContainerPort: 15090, Protocol: corev1.ProtocolTCP}},
		Env:       env,
		Resources: res, VolumeMounts: mounts,
		ReadinessProbe:           httpProbe("/healthz/ready", intstr.FromInt32(15021), 0),
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		ImagePullPolicy:          corev1.PullIfNotPresent,
		SecurityContext:          sc(1337),
	}
	proxy.ReadinessProbe.PeriodSeconds, proxy.ReadinessProbe.FailureThreshold = 15, 4
	spec.Containers = append(spec.Containers, proxy)
	downward := func(path, field string) corev1.DownwardAPIVolumeFile {
		return corev1.DownwardAPIVolumeFile{Path: path, FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: field}}
	}
	empty := func(name string, medium corev1.StorageMedium) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: medium}}}
	}
	spec.Volumes = append(spec.Volumes,
		empty("workload-socket", ""), empty("credential-socket", ""), empty("workload-certs", ""),
		empty("istio-envoy", corev1.StorageMediumMemory), empty("istio-data", ""),
		corev1.Volume{Name: "istio-podinfo", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
			Items:       []corev1.DownwardAPIVolumeFile{downward("labels", "metadata.labels"), downward("annotations", "metadata.annotations")},
			DefaultMode: ptr[int32](420),
		}}},
		corev1.Volume{Name: "istio-token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources:     []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: "istio-ca", ExpirationSeconds: ptr[int64](43200), Path: "istio-token"}}},
			DefaultMode: ptr[int32](420),
		}}},
		corev1.Volume{Name: "istiod-ca-cert", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "istio-ca-root-cert"}, DefaultMode: ptr[int32](420),
		}}},
	)
}

// shapeEnv is the container environment of a shape; values that differ
// between workloads are placeholders.
func shapeEnv(ps *podSpec) []corev1.EnvVar {
	fieldEnv := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}}
	}
	switch ps.envKind {
	case 0:
		return nil
	case 1:
		return []corev1.EnvVar{{Name: "APP_ENV", Value: slot(vEnv)}, fieldEnv("POD_NAME", "metadata.name")}
	}
	envs := []corev1.EnvVar{
		{Name: "APP_NAME", Value: ps.app},
		{Name: "APP_ENV", Value: slot(vEnv)},
		fieldEnv("POD_NAME", "metadata.name"),
		fieldEnv("POD_IP", "status.podIP"),
	}
	for i := range 3 {
		envs = append(envs, corev1.EnvVar{Name: "FEATURE_FLAG_" + strconv.Itoa(i+1), Value: strconv.FormatBool(i%2 == 0)})
	}
	return append(envs, corev1.EnvVar{Name: "OTEL_EXPORTER_OTLP_ENDPOINT", Value: "http://otel-collector.observability.svc:4317"})
}
