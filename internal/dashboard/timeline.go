package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
)

// option is one entry of a select or checkbox group.
type option struct {
	Value, Label string
	Selected     bool
}

// timelineData is the template data of the timeline.
type timelineData struct {
	F          timelineFilter
	Ranges     []option
	Verbs      []option
	Errors     []string
	Events     []eventRow
	RangeText  string
	Chart      *barChart
	NextURL    string
	FirstURL   string
	ExportJSON string
	ExportYAML string
	CanGet     bool
}

// eventRow is one line of the timeline.
type eventRow struct {
	ID        string
	URL       string
	Time      time.Time
	User      string
	Verb      string
	Resource  string
	Namespace string
	Name      string
	Code      int
}

func (h *handler) timeline(w http.ResponseWriter, r *request) error {
	if err := h.require(r, "list", "auditlogs", ""); err != nil {
		return err
	}
	ctx := r.Context()
	now := h.now()
	f, q, errs := parseTimeline(r.URL.Query(), now)
	d := timelineData{F: f, Errors: errs, RangeText: f.rangeText()}
	d.Ranges = rangeOptions(f.Since)
	for _, v := range auditVerbs() {
		d.Verbs = append(d.Verbs, option{Value: v, Label: v, Selected: slices.Contains(f.Verbs, v)})
	}
	if len(errs) > 0 {
		return h.render(w, r, http.StatusBadRequest, "timeline.html", "Timeline", "timeline", d)
	}
	var err error
	if d.CanGet, err = h.allowed(ctx, r.user, "get", "auditlogs", ""); err != nil {
		return unavailable("cannot check your permissions now", err)
	}
	page, err := h.opts.Store.Events(ctx, q)
	if err != nil {
		if isBadCursor(err) {
			return badRequest("The page link is no longer valid; start again from the first page.")
		}
		return unavailable("cannot read the audit trail now", err)
	}
	for _, ev := range page.Events {
		d.Events = append(d.Events, eventRow{ID: ev.ID, URL: "/timeline/events/" + url.PathEscape(ev.ID), Time: ev.Time,
			User: ev.User, Verb: ev.Verb, Resource: resourceText(ev.Resource, ev.Subresource, ev.APIGroup),
			Namespace: ev.Namespace, Name: ev.Name, Code: ev.Code})
	}
	if page.Next != "" {
		v := f.pageValues()
		v.Set("after", page.Next)
		d.NextURL = "/timeline?" + v.Encode()
	}
	if f.After != "" {
		d.FirstURL = "/timeline?" + f.pageValues().Encode()
	}
	d.ExportJSON = "/api/v1/audit/export?" + f.exportValues("json").Encode()
	d.ExportYAML = "/api/v1/audit/export?" + f.exportValues("yaml").Encode()
	if d.Chart, err = h.eventsChart(r, &f, q, now); err != nil {
		return unavailable("cannot count the audit events now", err)
	}
	return h.render(w, r, http.StatusOK, "timeline.html", "Timeline", "timeline", d)
}

func isBadCursor(err error) bool { return err != nil && errors.Is(err, store.ErrBadCursor) }

// eventsChart counts the selected events over the range.
func (h *handler) eventsChart(r *request, f *timelineFilter, q store.EventQuery, now time.Time) (*barChart, error) {
	from, to := f.from, f.to
	if to.IsZero() || to.After(now) {
		to = now
	}
	if from.IsZero() {
		// An open start: count per day first to find where the events begin.
		day := 24 * time.Hour
		counts, err := h.opts.Store.EventCounts(r.Context(), q, day)
		if err != nil {
			return nil, err
		}
		if len(counts) == 0 {
			from = to.Add(-day)
		} else {
			from = counts[0].Start
			for _, c := range counts {
				if c.Start.Before(from) {
					from = c.Start
				}
			}
		}
	}
	if !from.Before(to) {
		return nil, nil
	}
	bucket, unit := chartBucket(to.Sub(from))
	counts, err := h.opts.Store.EventCounts(r.Context(), q, bucket)
	if err != nil {
		return nil, err
	}
	href := func(start, end time.Time) string {
		v := f.filterValues()
		v.Set("since", rangeCustom)
		v.Set("from", start.UTC().Format(time.RFC3339))
		v.Set("to", end.UTC().Format(time.RFC3339))
		return "/timeline?" + v.Encode()
	}
	return buildBarChart(counts, from, to, bucket, unit, href), nil
}

func rangeOptions(current string) []option {
	labels := map[string]string{"1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}
	var out []option
	values := append(rangePresets(), rangeAll)
	if !slices.Contains(values, current) && current != rangeCustom {
		values = append(values, current)
	}
	values = append(values, rangeCustom)
	for _, v := range values {
		l, ok := labels[v]
		switch {
		case ok:
		case v == rangeAll:
			l = "All time"
		case v == rangeCustom:
			l = "Custom (from / to)"
		default:
			l = "Last " + v
		}
		out = append(out, option{Value: v, Label: l, Selected: v == current})
	}
	return out
}

// resourceText is resource[/subresource][.group] as kubectl spells it.
func resourceText(resource, sub, group string) string {
	s := resource
	if sub != "" {
		s += "/" + sub
	}
	if group != "" {
		s += "." + group
	}
	return s
}

// objectLinks are the changelog and state links of an object, when its
// kind is tracked.
type objectLinks struct {
	Changelog string
	State     string
}

func linksFor(group, resource, namespace, name string, at time.Time) *objectLinks {
	k, ok := audit.LookupKind(group, resource)
	if !ok || name == "" {
		return nil
	}
	p := objectPath(k, namespace, name)
	l := &objectLinks{Changelog: "/policies/changelog/" + p}
	if !at.IsZero() {
		l.State = "/policies/state/" + p + "?at=" + url.QueryEscape(at.UTC().Format(time.RFC3339Nano))
	}
	return l
}

// objectPath is resource/namespace/name of an object's pages, with "-"
// for no namespace.
func objectPath(k audit.Kind, namespace, name string) string {
	if namespace == "" || !k.Namespaced() {
		namespace = "-"
	}
	return url.PathEscape(k.String()) + "/" + url.PathEscape(namespace) + "/" + url.PathEscape(name)
}
