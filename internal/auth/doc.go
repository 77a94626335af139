// Package auth authenticates the callers of Evident's HTTP server and decides
// what they may do, with the semantics of Kubernetes RBAC.
//
// # Basics
//
// An [Authenticator] turns a bearer token into a [User]; an [Authorizer]
// answers whether a user may perform a verb on a resource, described by
// [Attributes]. Two implementations of each exist:
//
//   - Standalone: [TokenFile] reads a kube-apiserver token file
//     (token,user,uid,"group1,group2") and [RBAC] evaluates Role, ClusterRole,
//     RoleBinding and ClusterRoleBinding manifests locally.
//   - In a cluster: [Kubernetes] asks the API server with TokenReview and
//     SubjectAccessReview and caches the answers briefly.
//
// [Chain] tries several authenticators in turn and [Union] allows what any of
// several authorizers allows. [Allowed] is a shorthand for one check.
//
// # Evident's resources
//
// Evident serves GlobalReports, GlobalReportTypes and GlobalAlerts in the API
// group evident.dev ([GroupEvident]). Existing Calico RBAC manifests grant
// them in projectcalico.org ([GroupCalico]), so a rule naming
// projectcalico.org also applies to the same resources, and their
// subresources, in evident.dev. The alias covers only those three resources:
// a projectcalico.org rule never grants anything else in evident.dev. Members
// of the group system:masters ([GroupMasters]) are allowed everything.
//
// # Token files
//
// One user per line: token, user name, uid and an optional fourth column of
// comma-separated groups (quoted when it names more than one group). Blank
// lines and lines starting with # are skipped. Every problem is an error
// naming the file and line: fewer than three or more than four columns, an
// empty token or user name, a token containing white space, a duplicated
// token. Tokens are kept only as SHA-256 digests, compared in constant time,
// and never appear in errors. Every user from a token file is also a member
// of system:authenticated, as in kube-apiserver.
//
// # Caveats
//
// RBAC evaluation follows Kubernetes, with these limits:
//
//   - Aggregated ClusterRoles are not assembled: a ClusterRole's
//     aggregationRule is accepted and ignored, and only its own rules count.
//   - Non-resource URLs are not authorised: rules with nonResourceURLs are
//     accepted and never match, because Evident only checks resources.
//   - A rule's resources match as in Kubernetes: "*" matches every resource
//     and subresource, "*/status" matches the status subresource of any
//     resource, and "globalreports/*" matches nothing (Kubernetes has no such
//     wildcard).
//   - A rule with resourceNames grants only requests that name one of those
//     objects, so it never grants list, watch or create of a collection.
//   - A user named system:serviceaccount:<namespace>:<name> is also a member
//     of system:serviceaccounts and system:serviceaccounts:<namespace>.
//   - Every binding must refer to a role defined in the loaded files; a
//     missing role is a load error rather than a silently empty grant.
package auth
