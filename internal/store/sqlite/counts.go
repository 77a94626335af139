package sqlite

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

// EventCounts counts matching events per source and time bucket.
func (s *Store) EventCounts(ctx context.Context, q store.EventQuery, bucket time.Duration) ([]store.Count, error) {
	if bucket < time.Second {
		return nil, fmt.Errorf("count events: bucket %v is shorter than a second", bucket)
	}
	b := bucket.Microseconds()
	type key struct {
		source string
		start  int64
	}
	counts := map[key]int64{}
	q.After = ""
	for _, p := range s.sortedPartitions() {
		if !overlaps(p.key, q.From, q.To) {
			continue
		}
		where, args, exact, err := s.filterSQL(ctx, p, &q)
		if err != nil {
			return nil, err
		}
		if exact {
			rows, err := p.db.r.QueryContext(ctx, `SELECT source, ts / ?, count(*) FROM events WHERE `+where+` GROUP BY 1, 2`,
				append([]any{b}, args...)...)
			if err != nil {
				return nil, fmt.Errorf("count events in %s: %w", partitionName(p.key), err)
			}
			for rows.Next() {
				var src, bk, n int64
				if err := rows.Scan(&src, &bk, &n); err != nil {
					rows.Close()
					return nil, fmt.Errorf("count events: %w", err)
				}
				name, err := p.strs.str(ctx, src)
				if err != nil {
					rows.Close()
					return nil, err
				}
				counts[key{name, bk * b}] += n
			}
			rows.Close()
			continue
		}
		// Part of the condition needs the events themselves.
		rows, err := p.db.r.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE `+where, args...)
		if err != nil {
			return nil, fmt.Errorf("count events in %s: %w", partitionName(p.key), err)
		}
		var batch []eventRow
		for rows.Next() {
			var r eventRow
			if err := r.scan(rows); err != nil {
				rows.Close()
				return nil, err
			}
			batch = append(batch, r)
		}
		rows.Close()
		needBody := store.NeedsBody(q.Cond)
		for i := range batch {
			ev, err := s.decode(ctx, p, &batch[i], needBody)
			if err != nil {
				return nil, err
			}
			if s.residual(&ev, q.Cond) {
				counts[key{ev.Source, batch[i].ts / b * b}]++
			}
		}
	}
	out := make([]store.Count, 0, len(counts))
	for k, n := range counts {
		out = append(out, store.Count{Source: k.source, Start: fromMicros(k.start), N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].Source < out[j].Source
	})
	return out, nil
}
