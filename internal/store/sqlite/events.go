package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/query"
	"github.com/evident-dev/evident/internal/store"
)

const eventColumns = `id, ts, sts, aid, stage, cluster, source, verb, user, res, sub, grp, ns, name, code, blk, off, len`

// eventRow is an events row as stored.
type eventRow struct {
	id, ts, sts                           int64
	aid                                   []byte
	stage                                 int64
	cluster, source, verb, user, res, sub int64
	grp, ns, code, blk, off, length       int64
	name                                  string
}

func (r *eventRow) scan(rows interface{ Scan(...any) error }) error {
	return rows.Scan(&r.id, &r.ts, &r.sts, &r.aid, &r.stage, &r.cluster, &r.source, &r.verb, &r.user, &r.res, &r.sub,
		&r.grp, &r.ns, &r.name, &r.code, &r.blk, &r.off, &r.length)
}

func eventID(part int, id int64) string { return fmt.Sprintf("%d-%d", part, id) }

func parseEventID(s string) (int, int64, bool) {
	a, b, ok := strings.Cut(s, "-")
	part, err1 := strconv.Atoi(a)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || part < 100001 || id <= 0 {
		return 0, 0, false
	}
	return part, id, true
}

// decode turns a row into an event; the body is loaded when withBody.
func (s *Store) decode(ctx context.Context, p *partition, r *eventRow, withBody bool) (store.StoredEvent, error) {
	var strs [8]string
	for i, id := range []int64{r.cluster, r.source, r.verb, r.user, r.res, r.sub, r.grp, r.ns} {
		v, err := p.strs.str(ctx, id)
		if err != nil {
			return store.StoredEvent{}, err
		}
		strs[i] = v
	}
	ev := store.StoredEvent{ID: eventID(p.key, r.id), Source: strs[1], Event: audit.Event{
		Cluster: strs[0], AuditID: auditIDString(r.aid), Verb: strs[2], User: strs[3], Resource: strs[4],
		Subresource: strs[5], APIGroup: strs[6], Namespace: strs[7], Name: r.name, Code: int(r.code),
		Time: fromMicros(r.ts), StageTime: fromMicros(r.ts + r.sts),
	}}
	if r.stage > 0 && int(r.stage) < len(stageNames) {
		ev.Stage = stageNames[r.stage]
	}
	if withBody {
		body, err := s.body(ctx, p, r.blk, r.off, r.length)
		if err != nil {
			return store.StoredEvent{}, err
		}
		ev.Body = body
	}
	return ev, nil
}

// body returns bytes [off, off+n) of a decompressed block.
func (s *Store) body(ctx context.Context, p *partition, blk, off, n int64) ([]byte, error) {
	k := blockKey{p.key, blk}
	data, ok := s.blocks.get(k)
	if !ok {
		var dictID int64
		var comp []byte
		if err := p.db.r.QueryRowContext(ctx, `SELECT dict, data FROM blocks WHERE id = ?`, blk).Scan(&dictID, &comp); err != nil {
			return nil, fmt.Errorf("read block %d of %s: %w", blk, partitionName(p.key), err)
		}
		p.mu.Lock()
		dec := p.dec
		p.mu.Unlock()
		var err error
		if data, err = dec.DecodeAll(comp, nil); err != nil {
			return nil, fmt.Errorf("decompress block %d of %s: %w", blk, partitionName(p.key), err)
		}
		s.blocks.put(k, data)
	}
	if off < 0 || off+n > int64(len(data)) {
		return nil, fmt.Errorf("block %d of %s is shorter than its index says", blk, partitionName(p.key))
	}
	return data[off : off+n : off+n], nil
}

// Event returns one event with its body.
func (s *Store) Event(ctx context.Context, id string) (store.StoredEvent, error) {
	part, rowid, ok := parseEventID(id)
	if !ok {
		return store.StoredEvent{}, fmt.Errorf("event %q: %w", id, store.ErrNotFound)
	}
	p, err := s.partition(ctx, part, false)
	if err != nil {
		return store.StoredEvent{}, err
	}
	if p == nil {
		return store.StoredEvent{}, fmt.Errorf("event %q: %w", id, store.ErrNotFound)
	}
	var r eventRow
	err = r.scan(p.db.r.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ?`, rowid))
	if errors.Is(err, sql.ErrNoRows) {
		return store.StoredEvent{}, fmt.Errorf("event %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.StoredEvent{}, fmt.Errorf("read event %s: %w", id, err)
	}
	return s.decode(ctx, p, &r, true)
}

// cursor is a position in the timeline: just after (ts, id), going back.
type cursor struct {
	ts int64
	id int64
}

func (c cursor) String() string { return fmt.Sprintf("%d_%d", c.ts, c.id) }

func parseCursor(s string) (cursor, error) {
	a, b, ok := strings.Cut(s, "_")
	ts, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return cursor{}, fmt.Errorf("%w: %q", store.ErrBadCursor, s)
	}
	return cursor{ts, id}, nil
}

// Events returns one page of the timeline, newest first.
func (s *Store) Events(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultPageSize
	}
	var after *cursor
	if q.After != "" {
		c, err := parseCursor(q.After)
		if err != nil {
			return store.EventPage{}, err
		}
		after = &c
	}
	needBody := q.WithBody || store.NeedsBody(q.Cond)
	var page store.EventPage
	for _, p := range s.sortedPartitions() {
		if !overlaps(p.key, q.From, q.To) || after != nil && p.key > monthKey(fromMicros(after.ts)) {
			continue
		}
		full, err := s.scanPartition(ctx, p, &q, after, limit+1-len(page.Events), needBody, &page)
		if err != nil {
			return store.EventPage{}, err
		}
		if full {
			break
		}
	}
	if len(page.Events) > limit {
		page.Events = page.Events[:limit]
		last := page.Events[limit-1]
		_, rowid, _ := parseEventID(last.ID)
		page.Next = cursor{micros(last.Time), rowid}.String()
	}
	if !q.WithBody {
		for i := range page.Events {
			page.Events[i].Body = nil
		}
	}
	return page, nil
}

// overlaps reports whether a month partition can hold events in [from, to).
func overlaps(key int, from, to time.Time) bool {
	start := monthStart(key)
	end := start.AddDate(0, 1, 0)
	return (from.IsZero() || from.Before(end)) && (to.IsZero() || to.After(start))
}

// scanPartition appends up to want matching events of p to page. It
// reports whether it found them all (the page is full).
func (s *Store) scanPartition(ctx context.Context, p *partition, q *store.EventQuery, after *cursor, want int,
	needBody bool, page *store.EventPage) (bool, error) {
	where, args, exact, err := s.filterSQL(ctx, p, q)
	if err != nil {
		return false, err
	}
	fetch := want
	if !exact {
		fetch = max(want*2, 64)
	}
	pos := after
	for {
		sqlText := `SELECT ` + eventColumns + ` FROM events WHERE ` + where
		qargs := append([]any(nil), args...)
		if pos != nil {
			sqlText += ` AND (ts < ? OR (ts = ? AND id < ?))`
			qargs = append(qargs, pos.ts, pos.ts, pos.id)
		}
		sqlText += ` ORDER BY ts DESC, id DESC LIMIT ?`
		qargs = append(qargs, fetch)
		rows, err := p.db.r.QueryContext(ctx, sqlText, qargs...)
		if err != nil {
			return false, fmt.Errorf("query %s: %w", partitionName(p.key), err)
		}
		var batch []eventRow
		for rows.Next() {
			var r eventRow
			if err := r.scan(rows); err != nil {
				rows.Close()
				return false, fmt.Errorf("query %s: %w", partitionName(p.key), err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return false, fmt.Errorf("query %s: %w", partitionName(p.key), err)
		}
		for i := range batch {
			ev, err := s.decode(ctx, p, &batch[i], needBody)
			if err != nil {
				return false, err
			}
			if !exact && !s.residual(&ev, q.Cond) {
				continue
			}
			page.Events = append(page.Events, ev)
			if want--; want == 0 {
				return true, nil
			}
		}
		if len(batch) < fetch {
			return false, nil
		}
		last := batch[len(batch)-1]
		pos = &cursor{last.ts, last.id}
	}
}

// residual evaluates the query condition on an event read back.
func (s *Store) residual(ev *store.StoredEvent, c store.Cond) bool {
	if c == nil {
		return true
	}
	full := &ev.Event
	if store.NeedsBody(c) && len(ev.Body) > 0 {
		if d, err := audit.Decode(ev.Body, ""); err == nil {
			d.Cluster = ev.Cluster
			full = &d
		}
	}
	return query.Eval(c, func(f store.Field) []string { return store.FieldValues(full, f) })
}
