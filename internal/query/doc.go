// Package query implements the audit query language: the filter accepted
// by `evident timeline --query`, the export API and GlobalAlert queries.
// Parse compiles a query into a backend-neutral store.Cond; Eval applies a
// condition to one event in memory, for tests and as the residual filter
// of a backend.
//
// # Syntax
//
//	query  = [ or ]
//	or     = and { ("OR" | "or" | "||") and }
//	and    = unary { ("AND" | "and" | "&&") unary }
//	unary  = ("NOT" | "not" | "!") unary | "(" or ")" | term
//	term   = key cmp value | key ("IN" | "in" | "NOTIN" | "notin") set
//	cmp    = "=" | "!=" | "<" | "<=" | ">" | ">="
//	set    = "{" member { "," member } "}"
//	key, value, member = identifier | string
//
// NOT binds tightest, then AND, then OR; parentheses group. An empty query
// (or one of white space only) matches every event and parses to nil.
//
// An identifier is a run of Unicode letters, decimal digits and the
// characters _ - . / : * ? so that values such as
// system:serviceaccount:kube-system:foo, networking.k8s.io/v1, 404 or
// 2026-11-23T04:00:00Z need no quotes. Numbers are identifiers too. The
// words AND, and, OR, or, NOT, not, IN, in, NOTIN and notin (in exactly
// these spellings) are reserved; quote them to use them as values. A string
// is enclosed in double quotes and may use Go escapes (\" \\ \n \t \u00e9
// \x41 ...). White space separates tokens and is otherwise ignored.
//
// In IN and NOTIN sets, * matches any run of characters and ? exactly one
// character. In the values of comparisons they are ordinary characters:
// `user.username = "system:*"` matches only the literal name system:*.
//
// # Keys and values
//
// The keys are the 22 audit keys of store.Field, spelled exactly (they are
// case-sensitive). Values are checked per key:
//
//   - level, stage, verb: one of the audit enumeration values (None,
//     Metadata, Request, RequestResponse; RequestReceived, ResponseStarted,
//     ResponseComplete, Panic; get, list, watch, create, update, patch,
//     delete), case-sensitive. A set pattern must match at least one.
//   - responseStatus.code: an integer from 100 to 599, carried as int64.
//     Set members are such integers or patterns of digits, * and ? ("4??").
//   - requestReceivedTimestamp, stageTimestamp, timestamp: RFC 3339 with
//     optional fractional seconds, "2006-01-02 15:04:05" or 2006-01-02
//     (both UTC); carried as a UTC time.Time. Sets are not allowed.
//   - sourceIPs: an IP address or a CIDR, carried as a masked
//     netip.Prefix (an address becomes a /32 or /128; IPv4-mapped IPv6
//     forms become IPv4). Sets are not allowed.
//   - name, objectRef.name, objectRef.namespace (domain-normalised): the
//     value is lower-cased, runs of dots collapse to one and dots at either
//     end are dropped, so Prod..Team. becomes prod.team.
//   - apiVersion, objectRef.apiVersion, requestURI (URL-normalised): white
//     space at either end is trimmed and the path before the first ? is
//     cleaned like path.Clean (repeated slashes collapse, . and .. are
//     resolved, a trailing slash is dropped); the part from ? on is kept.
//   - every other key: any text, compared exactly.
//
// The ordered comparators <, <=, > and >= apply only to responseStatus.code
// and the timestamp keys. Set members of normalised keys are normalised the
// same way. Normalize exposes the normalisation for backends.
//
// # Errors
//
// Parse and Validate return an *Error carrying the query, the 1-based rune
// column of the offending token (one past the end when the query stops
// early) and what was expected or what is wrong, for example
//
//	query "verb = bogus": column 8: verb must be one of get, list, watch, create, update, patch, delete
//
// Parentheses and NOT may nest at most 100 levels deep.
//
// # Evaluation
//
// Eval takes the event's values of a field as text, several for list fields
// (user.groups, sourceIPs) and none when the field is absent:
//
//   - Text = holds when some value equals the query value exactly, after
//     the event value is normalised like the key's query values (see
//     Normalize). != holds exactly when = does not, so it holds for an
//     absent field.
//   - IN holds when some value matches some pattern; NOTIN when none does,
//     so NOTIN holds for an absent field and IN does not.
//   - responseStatus.code values are parsed as integers and timestamps as
//     RFC 3339 with optional fractional seconds, then compared numerically
//     or in time. Ordered comparisons hold when some value satisfies them;
//     they never hold for an absent field or an unparseable value.
//   - sourceIPs = holds when some address of the event lies in the
//     prefix.
//
// Wildcard matching works on characters (runes) and compiles nothing: a
// match costs at most the product of the pattern and value lengths.
package query
