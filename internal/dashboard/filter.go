package dashboard

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evident-dev/evident/internal/query"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/timespec"
)

// The time ranges of the timeline's range menu, besides a custom one.
const (
	rangeAll    = "all"
	rangeCustom = "custom"
	// defaultRange is the range shown when none is asked for.
	defaultRange = "24h"
	// defaultPageSize and maxPageSize bound the timeline's page.
	defaultPageSize = 100
	maxPageSize     = 1000
)

func rangePresets() []string { return []string{"1h", "24h", "7d", "30d"} }

// auditVerbs are the verbs offered as checkboxes.
func auditVerbs() []string {
	return []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
}

// timelineFilter is the timeline's filter form. Its parameters are the
// API's (since, from, to, verb, resource, namespace, name, user, code,
// query, limit, after), so a filtered page and its export select the same
// events; since also takes "all" and "custom" (from and to).
type timelineFilter struct {
	Since     string
	From, To  string
	Verbs     []string
	Resource  string
	Namespace string
	Name      string
	User      string
	Code      string
	Query     string
	Limit     int
	After     string

	// Resolved bounds; zero means unbounded.
	from, to time.Time
}

// parseTimeline reads the filter form into a store query. Each problem
// is reported as a message naming the field.
func parseTimeline(v url.Values, now time.Time) (timelineFilter, store.EventQuery, []string) {
	f := timelineFilter{
		Since: strings.TrimSpace(v.Get("since")), From: strings.TrimSpace(v.Get("from")), To: strings.TrimSpace(v.Get("to")),
		Verbs: splitList(v["verb"]), Resource: joinList(v["resource"]), Namespace: joinList(v["namespace"]),
		Name: joinList(v["name"]), User: joinList(v["user"]), Code: joinList(v["code"]),
		Query: strings.TrimSpace(v.Get("query")), After: v.Get("after"), Limit: defaultPageSize,
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if f.Since == "" {
		f.Since = defaultRange
		if f.From != "" || f.To != "" {
			f.Since = rangeCustom
		}
	}
	switch f.Since {
	case rangeAll:
	case rangeCustom:
		var err error
		if f.From != "" {
			if f.from, err = parseTime(f.From, now); err != nil {
				bad("From: %v", err)
			}
		}
		if f.To != "" {
			if f.to, err = parseTime(f.To, now); err != nil {
				bad("To: %v", err)
			}
		}
		if !f.from.IsZero() && !f.to.IsZero() && !f.from.Before(f.to) {
			bad("From (%s) must be before To (%s).", fmtTime(f.from), fmtTime(f.to))
		}
	default:
		d, err := timespec.ParseDuration(f.Since)
		if err != nil || d == 0 {
			bad("Time range %q: choose a range from the menu or a duration such as 90m or 7d.", f.Since)
		} else {
			f.from = now.Add(-d)
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageSize {
			bad("Page size %q: want 1 to %d.", s, maxPageSize)
		} else {
			f.Limit = n
		}
	}
	for _, verb := range f.Verbs {
		if !slices.Contains(auditVerbs(), verb) {
			bad("Verb %q is not an audit verb.", verb)
		}
	}
	q := store.EventQuery{From: f.from, To: f.to, Verbs: f.Verbs, Resources: split(f.Resource),
		Namespaces: split(f.Namespace), Names: split(f.Name), Users: split(f.User), Limit: f.Limit, After: f.After}
	for _, c := range split(f.Code) {
		n, err := strconv.Atoi(c)
		if err != nil || n < 100 || n > 599 {
			bad("Response code %q: want an HTTP status code from 100 to 599.", c)
			continue
		}
		q.Codes = append(q.Codes, n)
	}
	cond, err := query.Parse(f.Query)
	if err != nil {
		bad("Query: %v", err)
	}
	q.Cond = cond
	return f, q, errs
}

// parseTime reads a time as the API does (RFC 3339, a date, now,
// now-<N><unit>) or as a datetime-local input sends it, in UTC.
func parseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse("2006-01-02T15:04", s); err == nil {
		return t.UTC(), nil
	}
	return timespec.Parse(s, now)
}

// splitList splits repeated, comma-separated values into a list without
// blanks or repeats.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

func joinList(vals []string) string { return strings.Join(splitList(vals), ", ") }

func split(s string) []string { return splitList([]string{s}) }

// filterValues are the filters as query parameters without the time
// range, paging or page size.
func (f *timelineFilter) filterValues() url.Values {
	v := url.Values{}
	for _, verb := range f.Verbs {
		v.Add("verb", verb)
	}
	set := func(k, s string) {
		if l := split(s); len(l) > 0 {
			v.Set(k, strings.Join(l, ","))
		}
	}
	set("resource", f.Resource)
	set("namespace", f.Namespace)
	set("name", f.Name)
	set("user", f.User)
	set("code", f.Code)
	if f.Query != "" {
		v.Set("query", f.Query)
	}
	return v
}

// pageValues are the parameters of this page of the timeline, with the
// range as the user chose it.
func (f *timelineFilter) pageValues() url.Values {
	v := f.filterValues()
	v.Set("since", f.Since)
	if f.Since == rangeCustom {
		if f.From != "" {
			v.Set("from", f.From)
		}
		if f.To != "" {
			v.Set("to", f.To)
		}
	}
	if f.Limit != defaultPageSize {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	return v
}

// exportValues are the API parameters selecting the events of the page:
// the range becomes absolute times, so the export holds what was shown
// (and anything newer when the range is open-ended).
func (f *timelineFilter) exportValues(format string) url.Values {
	v := f.filterValues()
	if !f.from.IsZero() {
		v.Set("from", f.from.UTC().Format(time.RFC3339Nano))
	}
	if !f.to.IsZero() {
		v.Set("to", f.to.UTC().Format(time.RFC3339Nano))
	}
	v.Set("format", format)
	return v
}

// rangeText describes the range in words.
func (f *timelineFilter) rangeText() string {
	switch {
	case f.Since == rangeAll:
		return "all time"
	case f.Since != rangeCustom:
		return "the last " + durationText(f.Since)
	case f.from.IsZero() && f.to.IsZero():
		return "all time"
	case f.to.IsZero():
		return "since " + fmtTime(f.from)
	case f.from.IsZero():
		return "before " + fmtTime(f.to)
	}
	return fmtTime(f.from) + " to " + fmtTime(f.to)
}

func durationText(s string) string {
	switch s {
	case "1h":
		return "hour"
	case "24h":
		return "24 hours"
	case "7d":
		return "7 days"
	case "30d":
		return "30 days"
	}
	return s
}
