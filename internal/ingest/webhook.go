package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
)

// DefaultMaxBodySize is the largest webhook body accepted unless configured
// otherwise (kube-apiserver splits batches above 10 MiB by default).
const DefaultMaxBodySize = 32 << 20

// WebhookOptions configure the audit webhook receiver.
type WebhookOptions struct {
	Cluster      string // stamped on events when Authenticate names none
	MaxBodySize  int64  // default DefaultMaxBodySize
	MaxEventSize int    // default audit.DefaultMaxEventSize
	// Authenticate checks a request's bearer token. It returns the cluster
	// the caller delivers for ("" for the default), ok=false for an invalid
	// token (401), or an error when it cannot decide (503). Nil accepts all.
	Authenticate func(r *http.Request) (cluster string, ok bool, err error)
	Logger       *slog.Logger
	// Observe, when set, is told about each request's outcome (for metrics).
	Observe func(WebhookResult)
}

// WebhookResult describes one handled request.
type WebhookResult struct {
	Cluster    string
	Status     int
	Received   int
	Stored     int
	Duplicates int
	Rejected   map[audit.ErrorReason]int
	Duration   time.Duration
}

// Webhook receives kube-apiserver audit webhook batches. It answers 200
// only once the batch is durably stored, so the API server's retries on
// any other status never lose events; a redelivered batch is stored once.
type Webhook struct {
	opts WebhookOptions
	c    *committer
}

// NewWebhook returns a receiver writing to st. Close stops it.
func NewWebhook(st Appender, opts WebhookOptions) *Webhook {
	if opts.MaxBodySize <= 0 {
		opts.MaxBodySize = DefaultMaxBodySize
	}
	if opts.Cluster == "" {
		opts.Cluster = "default"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Webhook{opts: opts, c: newCommitter(st)}
}

// Close waits for queued batches to be committed and stops the committer.
func (h *Webhook) Close() { h.c.close() }

type errorBody struct {
	Error string `json:"error"`
	Code  int    `json:"code"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(errorBody{Error: msg, Code: code})
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	res := WebhookResult{Cluster: h.opts.Cluster}
	defer func() {
		if h.opts.Observe != nil {
			res.Duration = time.Since(start)
			h.opts.Observe(res)
		}
	}()
	fail := func(code int, msg string) {
		res.Status = code
		writeError(w, code, msg)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(http.StatusMethodNotAllowed, "use POST with an audit.k8s.io/v1 EventList body")
		return
	}
	if h.opts.Authenticate != nil {
		cluster, ok, err := h.opts.Authenticate(r)
		switch {
		case err != nil:
			h.opts.Logger.Error("webhook authentication failed", "err", err)
			fail(http.StatusServiceUnavailable, "cannot authenticate now")
			return
		case !ok:
			fail(http.StatusUnauthorized, "a valid bearer token is required")
			return
		case cluster != "":
			res.Cluster = cluster
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodySize))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes", h.opts.MaxBodySize))
		return
	case err != nil:
		fail(http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	events, rejects, err := audit.DecodeEventList(body, h.opts.MaxEventSize)
	if err != nil {
		fail(http.StatusBadRequest, "body is not an audit EventList: "+err.Error())
		return
	}
	source := "webhook:" + res.Cluster
	batch := &store.Batch{Source: source, Events: events}
	if len(rejects) > 0 {
		res.Rejected = map[audit.ErrorReason]int{}
	}
	for _, rj := range rejects {
		res.Rejected[rj.Reason]++
		batch.Rejects = append(batch.Rejects, store.Rejection{Source: source, Location: "request from " + r.RemoteAddr + ": " + rj.Location,
			Reason: rj.Reason, Message: rj.Msg})
	}
	for i := range batch.Events {
		batch.Events[i].Cluster = res.Cluster
	}
	res.Received = len(events)
	out, err := h.c.commit(r.Context(), batch)
	if err != nil {
		h.opts.Logger.Error("webhook batch not stored", "cluster", res.Cluster, "events", len(events), "err", err)
		fail(http.StatusServiceUnavailable, "events not stored; retry")
		return
	}
	res.Status, res.Stored, res.Duplicates = http.StatusOK, out.Stored, out.Duplicates
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int{"received": len(events), "stored": out.Stored,
		"duplicates": out.Duplicates, "rejected": len(rejects)})
}

// committer merges batches queued by concurrent requests into one store
// transaction (group commit), then reports to each request its own share.
type committer struct {
	st    Appender
	mu    sync.Mutex
	queue []*pending
	wake  chan struct{}
	done  chan struct{}
	once  sync.Once
}

type pending struct {
	b    *store.Batch
	res  store.AppendResult
	err  error
	done chan struct{}
}

func newCommitter(st Appender) *committer {
	c := &committer{st: st, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c
}

func (c *committer) commit(ctx context.Context, b *store.Batch) (store.AppendResult, error) {
	p := &pending{b: b, done: make(chan struct{})}
	c.mu.Lock()
	select {
	case <-c.done:
		c.mu.Unlock()
		return store.AppendResult{}, fmt.Errorf("receiver is shutting down: %w", store.ErrUnavailable)
	default:
	}
	c.queue = append(c.queue, p)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		// The batch may still be committed; the sender will retry and the
		// retry will be recognised as a duplicate.
		return store.AppendResult{}, ctx.Err()
	}
}

// maxGroupEvents bounds how many events one group commit takes.
const maxGroupEvents = 20000

func (c *committer) loop() {
	for {
		select {
		case <-c.wake:
		case <-c.done:
			c.drain()
			return
		}
		c.drain()
	}
}

// drain commits everything queued, in groups.
func (c *committer) drain() {
	for {
		c.mu.Lock()
		var group []*pending
		n := 0
		for len(c.queue) > 0 && (n == 0 || n+len(c.queue[0].b.Events) <= maxGroupEvents) {
			n += len(c.queue[0].b.Events)
			group = append(group, c.queue[0])
			c.queue = c.queue[1:]
		}
		c.mu.Unlock()
		if len(group) == 0 {
			return
		}
		c.commitGroup(group)
	}
}

func (c *committer) commitGroup(group []*pending) {
	if len(group) == 1 {
		p := group[0]
		p.res, p.err = c.st.Append(context.Background(), p.b)
		close(p.done)
		return
	}
	merged := &store.Batch{Source: group[0].b.Source}
	bySource := true
	for _, p := range group {
		bySource = bySource && p.b.Source == merged.Source
	}
	if !bySource {
		// Different clusters: per-source statistics need separate batches.
		for _, p := range group {
			p.res, p.err = c.st.Append(context.Background(), p.b)
			close(p.done)
		}
		return
	}
	for _, p := range group {
		merged.Events = append(merged.Events, p.b.Events...)
		merged.Rejects = append(merged.Rejects, p.b.Rejects...)
	}
	res, err := c.st.Append(context.Background(), merged)
	// Shares: every event of the group is durable; duplicates are counted
	// for the group as a whole and attributed in order.
	stored := res.Stored
	for _, p := range group {
		p.err = err
		n := len(p.b.Events)
		p.res.Stored = min(n, stored)
		p.res.Duplicates = n - p.res.Stored
		stored -= p.res.Stored
		close(p.done)
	}
}

func (c *committer) close() {
	c.once.Do(func() {
		c.mu.Lock()
		close(c.done)
		c.mu.Unlock()
	})
}
