// Package report holds the data model of compliance reports, the template
// engine that renders them, the four default report types, and report
// identity and downloads.
//
// # Data
//
// [ReportData] is what one report knows: the report and report-type
// specs, the interval, the in-scope endpoints with their namespace and
// service roll-ups and summaries, the selected audit events (kept as the
// audit.k8s.io/v1 JSON the API server wrote, so exports use its camelCase
// keys), traffic flows, CIS benchmark results, and an [EvidenceCoverage]
// section stating the baseline, the audit coverage of the interval and its
// gaps, the rejected inputs and the objects first seen without a create.
// [Report] is the stored form: an ID, the data and the rendered UI
// summary. Zero counts and false flags are left out of the JSON.
//
// The report engine calls [ReportData.Sort] before it renders or stores a
// report, so lists, and the CSV rows made from them, are in a fixed order:
// endpoints, namespaces and services by their printed [ResourceID], flows
// by source then destination, CIS nodes by name and tests by dotted index,
// audit events by time.
//
// # Templates
//
// Templates are Go text/template source, rendered by [Render] against a
// *ReportData. They have Sprig's generic functions (join, sub, add1, int,
// toStrings, default, ...) except env, expandenv, getHostByName and the
// key and certificate generators, and these:
//
//	toYaml v                YAML of v's JSON form
//	toJson v                compact JSON of v (<, > and & not escaped)
//	joinN sep max list      join at most max elements of list
//	dateRfc3339 t           a time.Time, metav1.Time or pointer to either in
//	                        RFC 3339, UTC; a nil pointer gives ""
//	flowsPrefix ep          the name the flows of endpoint ep were recorded
//	                        under: its own name if any flow names it, else its
//	                        aggregation name if any flow names that, else ""
//	flowsIngress ep         the sources of the flows to ep, under that name
//	flowsEgress ep          the destinations of the flows from ep
//	cisTopFailedTests .     the tests failed on most nodes, most first, as
//	                        many as cis.numFailedTests (default 5)
//	cisResults nodes [status...]  one row per test result of the nodes,
//	                        optionally only those with the given statuses
//	csv                     a new CSV builder (see below)
//	csvCell s               s encoded as one CSV field
//
// flowsIngress and flowsEgress return distinct [FlowEndpoint] values in
// text order; only pod and host-endpoint flow ends are indexed.
//
// A CSV builder is used as
//
//	{{ $c := csv }}
//	{{ $c.AddColumn "endpoint" "{{ .Endpoint }}" }}
//	{{ $c.Render .Endpoints }}
//
// Each column has a heading and a cell template executed with the row as
// its data. Render of a slice gives the heading line and one line per
// element, each ending in a newline; Render of anything else gives the
// heading line, a newline and one line without a final newline. Lines end
// in a bare newline. Booleans print as true and false.
//
// Unlike in Calico Enterprise's reports, fields are encoded (see
// [CSVField]): a field that begins with =, +, -, @, a tab or a carriage
// return and is not a plain number gets a leading apostrophe, so a
// spreadsheet shows it rather than running it as a formula; a field
// containing a comma, a double quote, a carriage return or a line feed is
// quoted as RFC 4180 says. A selector such as app in {'a', 'b'} therefore
// stays one field.
//
// # Limits
//
// A rendering fails rather than hang or exhaust memory: its output and
// every string a function returns are bounded by [MaxOutputBytes], lists
// by [MaxCollectionLen], its time by [RenderTimeout] (and the caller's
// context). Loops and template calls check the deadline at every
// iteration. Functions such as repeat and until refuse oversized results
// before allocating. A panic becomes an error.
//
// [Validate] test-renders a template against [Sample] and four variants
// of it, each without one optional part (the report's endpoints,
// namespaces or service-accounts selection, or the type's audit-events
// selection); it is the render hook of GlobalReportType.Validate.
//
// # Report types
//
// [DefaultTypes] returns the built-in inventory, network-access,
// policy-audit and cis-benchmark GlobalReportTypes, whose manifests are in
// types/. Their column headings and order are those of the original
// product; their CSVs start with the heading line; their UI summary
// templates produce JSON directly.
//
// # Identity and downloads
//
// [ReportID] derives a report's ID from its name, type and interval, and
// [ParseReportID] reads the names back. [Download] renders one format as a
// text file or several as a zip archive, with the names of [FileName] and
// [ZipName]. Besides its type's download templates, every report has the
// format [EvidenceCoverageFormat], the evidence-coverage section as JSON.
package report
