// Package policy models endpoints, network policies and their matching, the
// state compliance reports are computed from.
//
// # Basics
//
// A [Cache] is fed object states in time order (the state at the start of
// a report window, then every change in it) through [Cache.Set] and
// [Cache.Delete], for the tracked kinds of package audit: pods, namespaces,
// service accounts, Endpoints, Kubernetes NetworkPolicies and the Calico
// kinds (NetworkPolicy, GlobalNetworkPolicy, their staged forms,
// StagedKubernetesNetworkPolicy, GlobalNetworkSet, NetworkSet, Tier,
// HostEndpoint). After each call it reports every endpoint whose state
// changed through the function given to [Cache.OnEndpoint].
//
// # Endpoints
//
// Endpoints are pods, except those whose phase is Succeeded or Failed (a
// pod that finishes is deleted), and HostEndpoints. A pod's selectors see
// its own labels plus projectcalico.org/namespace,
// projectcalico.org/orchestrator=k8s and projectcalico.org/serviceaccount
// (when the name is shorter than 63 characters); each label of its
// namespace as pcns.<key> and pcns.projectcalico.org/name=<namespace>;
// each label of its service account as pcsa.<key> and
// pcsa.projectcalico.org/name=<name>. The pcns. and pcsa. labels exist
// once the Namespace or ServiceAccount object has been set, as Calico
// derives them from those objects. A HostEndpoint sees only its own labels.
//
// # Applied policies
//
// A policy applies to an endpoint when its selector, in the form Calico's
// datastore conversion gives it, matches:
//
//   - Calico NetworkPolicy: (selector) && projectcalico.org/namespace ==
//     <its namespace>, and the pcsa.-prefixed serviceAccountSelector;
//   - GlobalNetworkPolicy: selector && the pcns.-prefixed
//     namespaceSelector && the pcsa.-prefixed serviceAccountSelector (so a
//     namespaceSelector limits it to pods of matching namespaces);
//   - Kubernetes NetworkPolicy: projectcalico.org/orchestrator == "k8s" &&
//     the converted podSelector && its own namespace; policyTypes empty
//     means Ingress only;
//   - staged kinds: only with Options.IncludeStaged, never with
//     stagedAction Delete. Profiles are not modelled.
//
// Calico policies without types get the defaults the Calico API server
// writes (Ingress, plus Egress when there are egress rules; Egress alone
// when there are only egress rules).
//
// # Flags
//
// A policy protects ingress or egress when its types include it; rule
// contents do not matter. Exposure comes from Allow rules only (of either
// direction, whatever the types), looking at the source of ingress rules
// and the destination of egress rules:
//
//   - other namespaces: the rule has no nets and either the policy is
//     global or the rule has a namespaceSelector; or, in a namespaced
//     policy, the rule has neither a selector nor nets. The "selector" is
//     the rule selector in Calico's converted form, which is non-empty
//     when the rule names a selector, a namespaceSelector or service
//     accounts (and, in a namespaced policy, a notSelector);
//   - internet: no selector and no nets; or no selector and a public net;
//     or a selector that matches a GlobalNetworkSet or NetworkSet with a
//     public net. The rules of a namespaced policy are scoped to its
//     namespace and so match only the NetworkSets of that namespace.
//
// A net is public when its network address lies outside
// Options.PrivateNets (RFC 1918 by default); every IPv6 net is public.
// Kubernetes peers convert as Calico converts them: an ipBlock gives nets;
// any other peer a selector that requires the k8s orchestrator label (so
// it never reaches the internet) plus, with a namespaceSelector,
// other-namespace exposure; a rule without peers allows everything.
//
// An endpoint's flags are the OR of its applied policies' flags, plus
// EnvoyEnabled for a pod that passes the configured Istio checks.
//
// # Services
//
// An endpoint belongs to the Services whose core/v1 Endpoints list it
// among their ready addresses: by a targetRef of kind Pod, or by IP (a
// pod's status IPs, else Calico's podIP(s) annotations; a host endpoint's
// expectedIPs). notReadyAddresses are ignored. The Service ID is the
// Endpoints object's namespace and name.
//
// # Tolerated input
//
// As in Calico, nets that do not parse are dropped. A policy selector that
// does not parse selects nothing; a rule selector that does not parse
// counts as present but matches no network set.
//
// # Incremental work
//
// Policies are indexed by namespace: a pod is matched only against its
// namespace's policies and the global ones, and of the global policies
// with a namespaceSelector only against those whose namespace selector
// matches its namespace (host endpoints, which may carry a
// projectcalico.org/namespace label of their own, are always tried). A pod
// update that changes
// neither labels, service account, phase nor addresses re-evaluates
// nothing (it is still reported). A namespace or service-account label
// change re-evaluates only its endpoints; a policy change only the
// endpoints it could apply to, and none when only its rules changed; a
// network-set change only the internet flags of the policies whose rule
// selectors match or matched the set. Identical rule selectors are shared.
// Endpoints that look alike to selectors (pods of one namespace and service
// account with the same labels, host endpoints with the same labels) are
// matched once, together: a pod given the labels of another re-evaluates
// nothing.
package policy
