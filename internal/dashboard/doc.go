// Package dashboard is Evident's web dashboard: server-rendered pages over
// the store and the configuration registry, with a small stylesheet and
// script embedded from package web. It needs no Node toolchain at build
// time and loads nothing from a CDN at run time.
//
// # Pages
//
//	/reports                 generated reports, filtered by type, name and time, with
//	                         their UI summaries and download links
//	/reports/{id}            one report: summary, endpoint, namespace, service, audit
//	                         event, flow and CIS tables, and its evidence coverage
//	/timeline                audit events, newest first, with filters, paging, an
//	                         events-over-time chart and export links
//	/timeline/events/{id}    one event with its request and response objects
//	/policies                policies and network sets (or any tracked kind) alive now
//	                         or at a chosen time
//	/policies/changelog/{resource}/{namespace}/{name}
//	                         every version of one object, with side-by-side diffs
//	/policies/state/{resource}/{namespace}/{name}?at=T
//	                         one object as it was at T
//	/schedules               GlobalReports with their schedule, next run and status
//	/schedules/{name}        one GlobalReport's status and report history
//	/login, /logout          sign in with a bearer token; sign out
//
// Downloads and exports link to the HTTP API (/api/v1/...), which accepts
// the same session cookie.
//
// # Authentication
//
// A user signs in by pasting a bearer token, which the Authenticator must
// accept. The token is kept in the session cookie [SessionCookie]
// (HttpOnly, SameSite=Strict, Secure over TLS or when Options.SecureCookies
// is set), the cookie the API server reads too. When the handler is
// mounted behind a server that has already authenticated the request,
// the user in the request context (auth.UserFrom) is used as is. Sign-in
// and sign-out are POST forms refused when they come from another origin
// (Sec-Fetch-Site, Origin or Referer).
//
// # Authorisation
//
// Every page asks the Authorizer, in group evident.dev, exactly what the
// API asks for the same data: list auditlogs for the timeline, get
// auditlogs for an event, a changelog, the policies and state views;
// list globalreports for the report list and schedules, where a report is
// shown only with get globalreports/<name> and its downloads only with get
// globalreporttypes/<type> too. A page the user may not see answers 403
// with no data, and the navigation shows only the sections the user may
// open.
//
// # Security
//
// Audit content (object names, labels, annotations, user agents) is
// attacker-controlled. Pages are html/template, which escapes it for its
// context; no page marks audit content as safe HTML, and charts are SVG
// built from numbers. Every response carries a Content-Security-Policy
// that allows scripts, styles and images from the server only (so no
// inline script or style runs), X-Content-Type-Options: nosniff,
// X-Frame-Options: DENY and a same-origin Referrer-Policy; pages are not
// cached.
package dashboard
