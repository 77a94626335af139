// Package audit turns Kubernetes API-server audit output into normalised
// events.
//
// # Basics
//
// An [Event] is the indexed envelope of one audit event (who, what, when,
// outcome) plus its body: the audit.k8s.io/v1 JSON exactly as the API server
// wrote it. Decoding reads only the envelope fields; request and response
// objects are never re-encoded. Three input shapes are accepted:
//
//   - JSON lines, as written by --audit-log-path (one Event per line);
//   - EventList documents, as POSTed by the webhook backend (items carry no
//     kind/apiVersion of their own; the list's are spliced into each body so
//     a webhook event and the same event from the log file are identical);
//   - either of the above gzip-compressed.
//
// Events of the older audit.k8s.io/v1beta1 version are converted to v1 (the
// one case in which the body is re-encoded).
//
// Every rejected input names its location and reason (see [Reject]); a bad
// line never stops a stream: the good lines around it are still returned.
//
// # Object versions
//
// For each successful create, update, patch or delete of a tracked kind
// (see [Tracked]), [Event.Change] describes the resulting object version.
// The object itself is the event's responseObject, read back from the body
// with [ResponseObject].
package audit
