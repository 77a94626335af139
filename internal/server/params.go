package server

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/evident-dev/evident/internal/query"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/timespec"
)

// Limits of the timeline's page size.
const (
	defaultPageSize = store.DefaultPageSize
	maxPageSize     = 10000
)

// list returns the values of a repeatable parameter, each also split at
// commas, without empty ones.
func list(v url.Values, key string) []string {
	var out []string
	for _, s := range v[key] {
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// boolParam reads an optional true/false parameter.
func boolParam(v url.Values, key string) (bool, error) {
	s := v.Get(key)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest("invalid parameter %s: want true or false", key)
	}
	return b, nil
}

// timeParam reads an optional time: RFC 3339, now, or now-<N>{s,m,h,d}.
func timeParam(v url.Values, key string, now time.Time) (time.Time, error) {
	s := v.Get(key)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := timespec.Parse(s, now)
	if err != nil {
		return time.Time{}, badRequest("invalid parameter %s: %v", key, err)
	}
	return t, nil
}

// filterQuery reads the timeline's filters (everything but paging and
// bodies), with the meaning the CLI's flags of the same names have.
func filterQuery(v url.Values, now time.Time) (store.EventQuery, error) {
	q := store.EventQuery{
		Verbs: list(v, "verb"), Resources: list(v, "resource"), APIGroups: list(v, "apiGroup"),
		Namespaces: list(v, "namespace"), Names: list(v, "name"), Users: list(v, "user"), Clusters: list(v, "cluster"),
	}
	var err error
	if since := v.Get("since"); since != "" {
		if v.Get("from") != "" {
			return q, badRequest("invalid parameters: since and from cannot be combined")
		}
		d, err := timespec.ParseDuration(since)
		if err != nil {
			return q, badRequest("invalid parameter since: %v", err)
		}
		q.From = now.Add(-d)
	}
	if v.Get("from") != "" {
		if q.From, err = timeParam(v, "from", now); err != nil {
			return q, err
		}
	}
	if q.To, err = timeParam(v, "to", now); err != nil {
		return q, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, badRequest("invalid parameters: from %s is not before to %s", q.From.UTC().Format(time.RFC3339), q.To.UTC().Format(time.RFC3339))
	}
	for _, s := range list(v, "code") {
		c, err := strconv.Atoi(s)
		if err != nil || c < 100 || c > 599 {
			return q, badRequest("invalid parameter code %q: want an HTTP status code (100 to 599)", s)
		}
		q.Codes = append(q.Codes, c)
	}
	if q.Cond, err = query.Parse(v.Get("query")); err != nil {
		return q, badRequest("invalid parameter query: %v", err)
	}
	return q, nil
}

// eventQuery reads the timeline's parameters: the filters, limit, after
// and body.
func eventQuery(v url.Values, now time.Time) (store.EventQuery, error) {
	q, err := filterQuery(v, now)
	if err != nil {
		return q, err
	}
	q.Limit = defaultPageSize
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageSize {
			return q, badRequest("invalid parameter limit %q: want 1 to %d", s, maxPageSize)
		}
		q.Limit = n
	}
	q.After = v.Get("after")
	if q.WithBody, err = boolParam(v, "body"); err != nil {
		return q, err
	}
	return q, nil
}
