package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/evident-dev/evident/internal/query"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/timespec"
)

// timelineFlags are the timeline filters, shared by the CLI and (as query
// parameters) the HTTP API.
type timelineFlags struct {
	since, from, to                      string
	verbs, resources, groups, namespaces []string
	names, users, clusters               []string
	codes                                []int
	query                                string
	limit                                int
	after                                string
	all                                  bool
}

func (f *timelineFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.since, "since", "", "only events newer than this duration (e.g. 1h, 7d)")
	fl.StringVar(&f.from, "from", "", "only events at or after this time (RFC 3339, now-<N>{s,m,h,d})")
	fl.StringVar(&f.to, "to", "", "only events before this time")
	fl.StringSliceVar(&f.verbs, "verb", nil, "verbs (repeatable or comma-separated)")
	fl.StringSliceVar(&f.resources, "resource", nil, "resources, e.g. pods, networkpolicies, pods/status")
	fl.StringSliceVar(&f.groups, "api-group", nil, "API groups, e.g. networking.k8s.io")
	fl.StringSliceVarP(&f.namespaces, "namespace", "n", nil, "namespaces")
	fl.StringSliceVar(&f.names, "name", nil, "object names")
	fl.StringSliceVar(&f.users, "user", nil, "user names")
	fl.StringSliceVar(&f.clusters, "cluster", nil, "clusters")
	fl.IntSliceVar(&f.codes, "code", nil, "response codes, e.g. 403")
	fl.StringVarP(&f.query, "query", "q", "", `query DSL, e.g. 'verb IN {create, delete} AND responseStatus.code >= 400'`)
	fl.IntVar(&f.limit, "limit", 50, "events per page")
	fl.StringVar(&f.after, "after", "", "continue after this page cursor (printed at the end of a page)")
	fl.BoolVar(&f.all, "all", false, "print every page, not just the first")
}

// eventQuery validates the flags into a store query.
func (f *timelineFlags) eventQuery(now time.Time) (store.EventQuery, error) {
	q := store.EventQuery{Verbs: f.verbs, Resources: f.resources, APIGroups: f.groups, Namespaces: f.namespaces,
		Names: f.names, Users: f.users, Clusters: f.clusters, Codes: f.codes, Limit: f.limit, After: f.after}
	if f.limit < 1 || f.limit > 10000 {
		return q, usagef("--limit %d: want 1 to 10000", f.limit)
	}
	var err error
	if f.since != "" {
		if f.from != "" {
			return q, usagef("--since and --from cannot be combined")
		}
		d, err := timespec.ParseDuration(f.since)
		if err != nil {
			return q, usagef("--since: %v", err)
		}
		q.From = now.Add(-d)
	}
	if f.from != "" {
		if q.From, err = timespec.Parse(f.from, now); err != nil {
			return q, usagef("--from: %v", err)
		}
	}
	if f.to != "" {
		if q.To, err = timespec.Parse(f.to, now); err != nil {
			return q, usagef("--to: %v", err)
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, usagef("--from %s is not before --to %s", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	for _, c := range f.codes {
		if c < 100 || c > 599 {
			return q, usagef("--code %d: want an HTTP status code (100 to 599)", c)
		}
	}
	if q.Cond, err = query.Parse(f.query); err != nil {
		return q, usagef("--query: %v", err)
	}
	return q, nil
}

func newTimelineCmd(e *env) *cobra.Command {
	var f timelineFlags
	cmd := &cobra.Command{
		Use:   "timeline [flags]",
		Short: "Search the audit trail, newest first",
		Long: `List stored audit events, newest first, filtered by time, verb, resource,
namespace, name, user, response code and the query DSL. Results are paged: a page
ends with the cursor of the next one (--after), or use --all.

-o json and -o yaml print an audit.k8s.io/v1 EventList (metadata.continue holds the
next cursor) that "evident ingest" and other tools read back; -o jsonl prints one
event per line, as the API server's log does; -o csv prints the envelope columns.`,
		Example: `  evident timeline --since 24h --resource networkpolicies
  evident timeline --user alice --verb create,delete -o yaml
  evident timeline -q 'objectRef.namespace = payroll AND responseStatus.code >= 400'
  evident timeline --from 2026-11-01 --to 2026-11-08 --all -o jsonl > november.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := f.eventQuery(e.now())
			if err != nil {
				return err
			}
			q.WithBody = e.output == "json" || e.output == "yaml" || e.output == "jsonl"
			src, err := e.auditSource(cmd.Context())
			if err != nil {
				return err
			}
			defer src.Close()
			return e.printTimeline(cmd, src, q, f.all)
		},
	}
	f.register(cmd)
	return cmd
}

func (e *env) printTimeline(cmd *cobra.Command, src auditSource, q store.EventQuery, all bool) error {
	var events []store.StoredEvent
	next := ""
	for {
		page, err := src.Events(cmd.Context(), q)
		if err != nil {
			return err
		}
		events = append(events, page.Events...)
		next = page.Next
		if e.output == "jsonl" && all {
			if err := writeJSONLines(e, page.Events); err != nil {
				return err
			}
			events = events[:0]
		}
		if !all || next == "" {
			break
		}
		q.After = next
	}
	switch e.output {
	case "jsonl":
		return writeJSONLines(e, events)
	case "json", "yaml":
		raw := eventList(events, next)
		if e.output == "yaml" {
			return writeYAMLFromJSON(e.Out, raw)
		}
		var buf bytes.Buffer
		if err := jsonIndent(&buf, raw); err != nil {
			return err
		}
		_, err := e.Out.Write(buf.Bytes())
		return err
	case "csv":
		var rows [][]string
		for _, ev := range events {
			rows = append(rows, []string{ev.Time.Format(time.RFC3339Nano), ev.Cluster, ev.User, ev.Verb, resourceOf(ev),
				ev.APIGroup, ev.Namespace, ev.Name, strconv.Itoa(ev.Code), ev.Stage, ev.AuditID, ev.ID})
		}
		return writeCSV(e.Out, []string{"time", "cluster", "user", "verb", "resource", "apiGroup", "namespace", "name",
			"code", "stage", "auditID", "id"}, rows)
	}
	t := newTable(e.Out, "TIME", "USER", "VERB", "RESOURCE", "NAMESPACE", "NAME", "CODE", "ID")
	for _, ev := range events {
		code := ""
		if ev.Code != 0 {
			code = strconv.Itoa(ev.Code)
		}
		t.row(ev.Time.Format("2006-01-02T15:04:05Z"), ev.User, ev.Verb, resourceOf(ev), ev.Namespace, ev.Name, code, ev.ID)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(events) == 0 {
		fmt.Fprintln(e.Err, "no events match")
	}
	if next != "" {
		fmt.Fprintf(e.Err, "more events: add --after %s (or --all)\n", next)
	}
	return nil
}

func resourceOf(ev store.StoredEvent) string {
	r := ev.Resource
	if ev.Subresource != "" {
		r += "/" + ev.Subresource
	}
	if ev.APIGroup != "" && ev.APIGroup != "networking.k8s.io" {
		r += "." + ev.APIGroup
	}
	return r
}

// eventList wraps stored bodies in an audit.k8s.io/v1 EventList.
func eventList(events []store.StoredEvent, next string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{`)
	if next != "" {
		fmt.Fprintf(&b, `"continue":%q`, next)
	}
	b.WriteString(`},"items":[`)
	for i, ev := range events {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(ev.Body)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func writeJSONLines(e *env, events []store.StoredEvent) error {
	for _, ev := range events {
		if _, err := e.Out.Write(append(bytes.TrimSpace(ev.Body), '\n')); err != nil {
			return err
		}
	}
	return nil
}

func jsonIndent(buf *bytes.Buffer, raw []byte) error {
	if err := json.Indent(buf, raw, "", "  "); err != nil {
		return fmt.Errorf("format events: %w", err)
	}
	buf.WriteByte('\n')
	return nil
}
