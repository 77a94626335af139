// Package server is Evident's HTTP API: the audit trail (timeline, event
// detail, export, counts, changelog, state at a time), compliance reports
// (listing and downloads with the compliance server's semantics, also at
// /compliance/...), configuration objects (GlobalReport, GlobalReportType,
// GlobalAlert), the audit webhook, health, version and metrics. docs/api.md
// is the contract.
//
// # Basics
//
// [New] builds a [Server] from [Options]; a Server is an http.Handler.
// Routes are net/http.ServeMux method and path patterns. Every request
// passes through the same middleware: panic recovery (500), one log line
// (method, path, route, status, duration, user, and the cause of an error),
// Prometheus metrics labelled by route pattern, and authentication.
//
// # Authentication and authorisation
//
// Callers present a bearer token (Authorization: Bearer <token>) or the
// session cookie evident_session holding the same token. Only /healthz,
// /readyz, /version and /compliance/version are served without one.
// Requests authenticated by the cookie are checked for cross-origin
// forgery when their method is not safe. Every endpoint then asks the
// Authorizer for a Kubernetes-style verb on a resource of group
// evident.dev (see docs/api.md).
//
// # Audit webhook
//
// The server authenticates and authorises POST /ingest/v1/audit itself
// (create auditevents, with the cluster as the resource name) and passes
// the cluster to the webhook handler in the request context.
// [WebhookAuthenticate] reads it back and fits
// ingest.WebhookOptions.Authenticate.
//
// # Errors
//
// Errors are JSON, {"error": "...", "code": N}, and never name objects or
// count things the caller may not see. The underlying cause is logged once,
// on the request's log line, and never sent.
//
// # Caveats
//
// The dashboard mounted at "/" receives requests whether or not they carry
// valid credentials (the user, when there is one, is in the request
// context: auth.UserFrom); it must refuse anonymous access itself, so that
// it can show its own sign-in page.
package server
