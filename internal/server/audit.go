package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/timespec"
)

// The resource that guards the audit trail.
const resAuditLogs = "auditlogs"

// EventItem is one event of the timeline.
type EventItem struct {
	ID          string          `json:"id"`
	Cluster     string          `json:"cluster"`
	Source      string          `json:"source"`
	Time        time.Time       `json:"time"`
	StageTime   time.Time       `json:"stageTime"`
	AuditID     string          `json:"auditID"`
	Stage       string          `json:"stage"`
	Verb        string          `json:"verb"`
	User        string          `json:"user"`
	Resource    string          `json:"resource"`
	Subresource string          `json:"subresource"`
	APIGroup    string          `json:"apiGroup"`
	Namespace   string          `json:"namespace"`
	Name        string          `json:"name"`
	Code        int             `json:"code"`
	Event       json.RawMessage `json:"event,omitempty"`
}

// EventPage is the answer of GET /api/v1/audit/events.
type EventPage struct {
	Items []EventItem `json:"items"`
	Next  string      `json:"next,omitempty"`
}

func eventItem(ev *store.StoredEvent, withBody bool) EventItem {
	it := EventItem{
		ID: ev.ID, Cluster: ev.Cluster, Source: ev.Source, Time: ev.Time.UTC(), StageTime: ev.StageTime.UTC(),
		AuditID: ev.AuditID, Stage: ev.Stage, Verb: ev.Verb, User: ev.User, Resource: ev.Resource,
		Subresource: ev.Subresource, APIGroup: ev.APIGroup, Namespace: ev.Namespace, Name: ev.Name, Code: ev.Code,
	}
	if withBody && len(ev.Body) > 0 {
		it.Event = json.RawMessage(bytes.TrimSpace(ev.Body))
	}
	return it
}

// timeline answers GET /api/v1/audit/events: one page, newest first.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.require(ctx, "list", resAuditLogs, ""); err != nil {
		return err
	}
	q, err := eventQuery(r.URL.Query(), s.opts.Now())
	if err != nil {
		return err
	}
	page, err := s.opts.Store.Events(ctx, q)
	if err != nil {
		return storeError(err)
	}
	out := EventPage{Items: make([]EventItem, len(page.Events)), Next: page.Next}
	for i := range page.Events {
		out.Items[i] = eventItem(&page.Events[i], q.WithBody)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// event answers GET /api/v1/audit/events/{id}: one event with its body.
func (s *Server) event(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	if err := s.require(ctx, "get", resAuditLogs, id); err != nil {
		return err
	}
	ev, err := s.opts.Store.Event(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "event %q not found", id)
	}
	if err != nil {
		return storeError(err)
	}
	writeJSON(w, http.StatusOK, eventItem(&ev, true))
	return nil
}

// Bounds of the counts' bucket width.
const (
	minBucket  = time.Minute
	maxBuckets = 10000
)

// Count is the number of events a source delivered in one bucket.
type Count struct {
	Source string    `json:"source"`
	Start  time.Time `json:"start"`
	Count  int64     `json:"count"`
}

// CountsResponse is the answer of GET /api/v1/audit/counts.
type CountsResponse struct {
	Bucket string  `json:"bucket"`
	Counts []Count `json:"counts"`
}

// counts answers GET /api/v1/audit/counts: matching events per source and
// time bucket.
func (s *Server) counts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.require(ctx, "list", resAuditLogs, ""); err != nil {
		return err
	}
	v := r.URL.Query()
	now := s.opts.Now()
	q, err := filterQuery(v, now)
	if err != nil {
		return err
	}
	bucket := time.Hour
	if b := v.Get("bucket"); b != "" {
		if bucket, err = timespec.ParseDuration(b); err != nil {
			return badRequest("invalid parameter bucket: %v", err)
		}
		if bucket < minBucket {
			return badRequest("invalid parameter bucket %q: the shortest bucket is %s", b, minBucket)
		}
	}
	if !q.From.IsZero() {
		to := q.To
		if to.IsZero() {
			to = now
		}
		if n := to.Sub(q.From) / bucket; n > maxBuckets {
			return badRequest("invalid parameter bucket: %d buckets between from and to; at most %d", n, maxBuckets)
		}
	}
	cs, err := s.opts.Store.EventCounts(ctx, q, bucket)
	if err != nil {
		return storeError(err)
	}
	out := CountsResponse{Bucket: bucket.String(), Counts: make([]Count, len(cs))}
	for i, c := range cs {
		out.Counts[i] = Count{Source: c.Source, Start: c.Start.UTC(), Count: c.N}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
