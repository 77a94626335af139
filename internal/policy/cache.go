package policy

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/selector"
)

// Options configure a Cache.
type Options struct {
	// IncludeStaged makes staged policies count as applied policies
	// (TIGERA_COMPLIANCE_INCLUDE_STAGED_NETWORK_POLICIES).
	IncludeStaged bool
	// Envoy configures the EnvoyEnabled test for pods.
	Envoy EnvoyOptions
	// PrivateNets are the ranges whose nets are not "public". Nil means
	// DefaultPrivateNets (RFC 1918).
	PrivateNets []netip.Prefix
}

// EnvoyOptions configure EnvoyEnabled. A pod is Envoy-enabled when it
// passes every check whose setting is non-empty, and at least one check is
// configured.
type EnvoyOptions struct {
	// Annotation the pod must carry.
	Annotation string
	// InitImageRegex some init container image must match.
	InitImageRegex string
	// ImageRegex some container image must match.
	ImageRegex string
}

// DefaultOptions returns the defaults of the original reporter: staged
// policies excluded, the Istio sidecar checks, RFC 1918 private nets.
func DefaultOptions() Options {
	return Options{Envoy: EnvoyOptions{
		Annotation:     "sidecar.istio.io/status",
		InitImageRegex: `.*/istio/proxy_init:.*`,
		ImageRegex:     `.*/istio/proxy.*`,
	}}
}

// Endpoint is the state of one pod or host endpoint. The cache owns it:
// the value passed to a callback is valid until the callback returns, but
// its slices are never modified once handed out and may be kept.
type Endpoint struct {
	ID             ResourceID // Pod.v1(ns/name) or HostEndpoint(name)
	Namespace      string     // "" for host endpoints
	ServiceAccount string     // the pod's service account name, if any
	// InScope reports whether the endpoint matches the in-scope selector.
	InScope bool
	// Deleted is set on the notification for an endpoint that is gone
	// (deleted, or a pod that finished); the other fields keep their last
	// values.
	Deleted bool
	// Flags is the OR of the applied policies' flags, plus EnvoyEnabled.
	Flags Flags
	// AppliedPolicies are the policies whose selectors match, sorted.
	AppliedPolicies []ResourceID
	// Services are the Services whose Endpoints list the endpoint, sorted.
	Services []ResourceID
	// FlowAggregationName is generateName+"*" or the pod name; for a host
	// endpoint, its node.
	FlowAggregationName string
}

// Cache is the endpoint and policy model. It is fed object states in time
// order and keeps every endpoint's applied policies and flags current,
// recomputing only what a change can affect. A Cache is not safe for
// concurrent use.
type Cache struct {
	includeStaged bool
	private       []netip.Prefix
	envoyAnnot    string
	envoyInit     *imageMatcher
	envoyImage    *imageMatcher

	inScope    *selector.Selector
	onEndpoint func(*Endpoint)

	namespaces      map[string]*namespace
	serviceAccounts map[nsName]*serviceAccount
	endpoints       map[endpointKey]*endpoint
	views           map[string]*view   // by key
	hostViews       map[*view]struct{} // the host endpoints' views
	byIP            map[netip.Addr]map[*endpoint]struct{}

	policies       map[policyKey]*policy
	globalPolicies map[*policy]struct{} // all global policies
	plainGlobals   map[*policy]struct{} // global policies without a namespace filter
	filtered       map[*policy]struct{} // global policies with one
	slots          int                  // policy slots handed out
	freeSlots      []int                // of deleted policies, for reuse
	ruleSels       map[string]*ruleSelector
	netsets        map[nsName]*netset // global sets have namespace ""

	services    map[nsName]*service
	svcByIP     map[netip.Addr]map[*service]struct{}
	svcByPodRef map[nsName]map[*service]struct{}

	queue      []*endpoint            // endpoints touched by the current call
	svcScratch []*service             // reused by updateServices
	affected   map[*endpoint]struct{} // reused by linkService
	keyScratch []byte                 // reused for view keys
	evals      int                    // policy-selector evaluations, for tests of incremental work
}

// nsName is a namespace/name pair ("" namespace for cluster-scoped).
type nsName struct{ namespace, name string }

// NewCache returns an empty cache. It fails only when an Envoy regex does
// not compile.
func NewCache(opts Options) (*Cache, error) {
	c := &Cache{
		includeStaged:   opts.IncludeStaged,
		private:         opts.PrivateNets,
		envoyAnnot:      opts.Envoy.Annotation,
		inScope:         selector.All(),
		namespaces:      make(map[string]*namespace),
		serviceAccounts: make(map[nsName]*serviceAccount),
		endpoints:       make(map[endpointKey]*endpoint),
		views:           make(map[string]*view),
		hostViews:       make(map[*view]struct{}),
		byIP:            make(map[netip.Addr]map[*endpoint]struct{}),
		policies:        make(map[policyKey]*policy),
		globalPolicies:  make(map[*policy]struct{}),
		plainGlobals:    make(map[*policy]struct{}),
		filtered:        make(map[*policy]struct{}),
		ruleSels:        make(map[string]*ruleSelector),
		netsets:         make(map[nsName]*netset),
		services:        make(map[nsName]*service),
		svcByIP:         make(map[netip.Addr]map[*service]struct{}),
		svcByPodRef:     make(map[nsName]map[*service]struct{}),
		affected:        make(map[*endpoint]struct{}),
	}
	if c.private == nil {
		c.private = DefaultPrivateNets()
	}
	if opts.Envoy.InitImageRegex != "" {
		re, err := regexp.Compile(opts.Envoy.InitImageRegex)
		if err != nil {
			return nil, fmt.Errorf("envoy init container regex: %w", err)
		}
		c.envoyInit = newImageMatcher(re)
	}
	if opts.Envoy.ImageRegex != "" {
		re, err := regexp.Compile(opts.Envoy.ImageRegex)
		if err != nil {
			return nil, fmt.Errorf("envoy container regex: %w", err)
		}
		c.envoyImage = newImageMatcher(re)
	}
	return c, nil
}

// OnEndpoint sets the function called, at the end of each Set, Delete or
// SetInScope, for every endpoint whose state changed and for an endpoint
// that was itself set or deleted (even when nothing visible changed).
// Calls are in ID order; fn must not call Set, Delete or SetInScope.
func (c *Cache) OnEndpoint(fn func(ep *Endpoint)) {
	c.publishQueued()
	c.onEndpoint = fn
}

// SetInScope sets the report's in-scope endpoint selector; nil means all().
func (c *Cache) SetInScope(sel *selector.Selector) {
	if sel == nil {
		sel = selector.All()
	}
	c.inScope = sel
	for _, v := range c.views {
		c.updateInScope(v)
	}
	c.flush()
}

// Set records the new state of an object (the result of a create, update
// or patch). The object is its full JSON. Objects of Calico kinds may come
// from projectcalico.org/v3 or crd.projectcalico.org/v1. An object that
// cannot be decoded leaves the cache unchanged; parts of a decoded object
// that are invalid are tolerated the way Calico tolerates them (see the
// package documentation).
func (c *Cache) Set(kind audit.Kind, obj []byte) error {
	var err error
	switch kind.Group + "/" + kind.Name {
	case "/Pod":
		err = c.setPod(kind, obj)
	case "/Namespace":
		err = c.setNamespace(obj)
	case "/ServiceAccount":
		err = c.setServiceAccount(obj)
	case "/Endpoints":
		err = c.setService(obj)
	case audit.GroupCalico + "/HostEndpoint":
		err = c.setHostEndpoint(kind, obj)
	case audit.GroupCalico + "/GlobalNetworkSet", audit.GroupCalico + "/NetworkSet":
		err = c.setNetworkSet(kind, obj)
	case audit.GroupCalico + "/Tier":
		var o object
		err = decode(obj, &o, &o.Metadata, false)
	default:
		if !isPolicyKind(kind) {
			return fmt.Errorf("set %s: kind not modelled", kind)
		}
		err = c.setPolicy(kind, obj)
	}
	c.flush()
	if err != nil {
		return fmt.Errorf("set %s: %w", kind, err)
	}
	return nil
}

// Delete removes an object. The namespace is ignored for cluster-scoped
// kinds. Deleting an unknown object does nothing. Deleting a Namespace
// removes only the namespace's labels from its endpoints; the objects in
// it are deleted one by one by the caller.
func (c *Cache) Delete(kind audit.Kind, namespace, name string) {
	if !kind.Namespaced() {
		namespace = ""
	}
	key := nsName{namespace, name}
	switch kind.Group + "/" + kind.Name {
	case "/Pod":
		c.deleteEndpoint(c.endpoints[endpointKey{kind: kindPod, nsName: key}])
	case "/Namespace":
		c.deleteNamespace(name)
	case "/ServiceAccount":
		c.deleteServiceAccount(key)
	case "/Endpoints":
		c.deleteService(key)
	case audit.GroupCalico + "/HostEndpoint":
		c.deleteEndpoint(c.endpoints[endpointKey{kind: kindHost, nsName: key}])
	case audit.GroupCalico + "/GlobalNetworkSet", audit.GroupCalico + "/NetworkSet":
		c.deleteNetworkSet(key)
	default:
		if isPolicyKind(kind) {
			c.deletePolicy(policyKey{kind: kind.Group + "/" + kind.Name, nsName: key})
		}
	}
	c.flush()
}

// Endpoints calls fn for every endpoint, in ID order.
func (c *Cache) Endpoints(fn func(ep *Endpoint)) {
	c.publishQueued()
	eps := make([]*endpoint, 0, len(c.endpoints))
	for _, ep := range c.endpoints {
		eps = append(eps, ep)
	}
	sortEndpoints(eps)
	for _, ep := range eps {
		ep.publish()
		fn(&ep.pub)
	}
}

// touch queues ep for notification at the end of the current call.
func (c *Cache) touch(ep *endpoint) {
	if !ep.queued {
		ep.queued = true
		c.queue = append(c.queue, ep)
	}
}

// flush publishes the touched endpoints and notifies those that changed.
// Without a callback nobody is told, so the endpoints stay queued and are
// published once, when a callback is set or Endpoints is called.
func (c *Cache) flush() {
	if c.onEndpoint == nil {
		if len(c.queue) > 2*len(c.endpoints)+64 {
			c.dropDeleted()
		}
		return
	}
	if len(c.queue) == 0 {
		return
	}
	q := c.queue
	sortEndpoints(q)
	for _, ep := range q {
		ep.queued = false
		changed := ep.publish()
		if changed || ep.self {
			c.onEndpoint(&ep.pub)
		}
		ep.self = false
	}
	clear(q)
	c.queue = q[:0]
}

// dropDeleted takes the deleted endpoints, which nobody can be told of
// any more, out of a queue kept without a callback.
func (c *Cache) dropDeleted() {
	q := c.queue[:0]
	for _, ep := range c.queue {
		if ep.deleted {
			ep.queued, ep.self = false, false
			continue
		}
		q = append(q, ep)
	}
	clear(c.queue[len(q):])
	c.queue = q
}

// publishQueued publishes the endpoints queued while there was no
// callback, so that a callback set next is told only of later changes.
func (c *Cache) publishQueued() {
	if c.onEndpoint != nil {
		return // the queue is flushed at the end of every call
	}
	for _, ep := range c.queue {
		ep.queued, ep.self = false, false
		ep.publish()
	}
	clear(c.queue)
	c.queue = c.queue[:0]
}

func sortEndpoints(eps []*endpoint) {
	slices.SortFunc(eps, func(a, b *endpoint) int { return strings.Compare(a.idText, b.idText) })
}
