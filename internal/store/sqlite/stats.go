package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
)

// Stats describes what the store holds.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	if err := s.meta.r.QueryRowContext(ctx, `SELECT count(*) FROM versions`).Scan(&st.Versions); err != nil {
		return st, fmt.Errorf("count versions: %w", err)
	}
	st.Bytes = fileBytes(s.meta.path)
	parts := s.sortedPartitions()
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		var n, oldest, newest int64
		if err := p.db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(min(ts), 0), coalesce(max(ts), 0) FROM events`).
			Scan(&n, &oldest, &newest); err != nil {
			return st, fmt.Errorf("count events in %s: %w", partitionName(p.key), err)
		}
		start := monthStart(p.key)
		bytes := fileBytes(p.db.path)
		st.Partitions = append(st.Partitions, store.Partition{Name: partitionName(p.key), From: start,
			To: start.AddDate(0, 1, 0), Events: n, Bytes: bytes})
		st.Events += n
		st.Bytes += bytes
		if n > 0 && (st.Oldest.IsZero() || fromMicros(oldest).Before(st.Oldest)) {
			st.Oldest = fromMicros(oldest)
		}
		if n > 0 && fromMicros(newest).After(st.Newest) {
			st.Newest = fromMicros(newest)
		}
	}
	sources, total, err := s.sourceStats(ctx)
	if err != nil {
		return st, err
	}
	st.Sources, st.RejectTotal = sources, total
	return st, nil
}

// fileBytes is the size of a database with its WAL.
func fileBytes(path string) int64 {
	var n int64
	for _, f := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func (s *Store) sourceStats(ctx context.Context) ([]store.SourceStats, int64, error) {
	bySource := map[string]*store.SourceStats{}
	get := func(name string) *store.SourceStats {
		if st, ok := bySource[name]; ok {
			return st
		}
		st := &store.SourceStats{Source: name, Rejected: map[audit.ErrorReason]int64{}}
		bySource[name] = st
		return st
	}
	rows, err := s.meta.r.QueryContext(ctx, `SELECT source, events, last_event, last_ingest FROM sources`)
	if err != nil {
		return nil, 0, fmt.Errorf("read sources: %w", err)
	}
	for rows.Next() {
		var name string
		var n, last, ingest int64
		if err := rows.Scan(&name, &n, &last, &ingest); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("read sources: %w", err)
		}
		st := get(name)
		st.Events = n
		if last > 0 {
			st.LastEvent = fromMicros(last)
		}
		st.LastIngest = fromMicros(ingest)
	}
	rows.Close()
	var total int64
	rows, err = s.meta.r.QueryContext(ctx, `SELECT source, reason, n FROM reject_counts`)
	if err != nil {
		return nil, 0, fmt.Errorf("read rejections: %w", err)
	}
	for rows.Next() {
		var name, reason string
		var n int64
		if err := rows.Scan(&name, &reason, &n); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("read rejections: %w", err)
		}
		get(name).Rejected[audit.ErrorReason(reason)] = n
		total += n
	}
	rows.Close()
	for name, st := range bySource {
		recent, err := s.Rejections(ctx, name, time.Time{}, time.Time{}, 5)
		if err != nil {
			return nil, 0, err
		}
		st.RecentErrors = recent
	}
	out := make([]store.SourceStats, 0, len(bySource))
	for _, st := range bySource {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, total, nil
}

// Rejections returns rejected inputs, newest first: of one source (all
// when source is ""), rejected in [from, to) (unbounded when zero).
func (s *Store) Rejections(ctx context.Context, source string, from, to time.Time, limit int) ([]store.Rejection, error) {
	q := `SELECT source, location, reason, message, at FROM rejects WHERE 1`
	var args []any
	if source != "" {
		q += ` AND source = ?`
		args = append(args, source)
	}
	if !from.IsZero() {
		q += ` AND at >= ?`
		args = append(args, micros(from))
	}
	if !to.IsZero() {
		q += ` AND at < ?`
		args = append(args, micros(to))
	}
	q += ` ORDER BY at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.meta.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read rejections: %w", err)
	}
	defer rows.Close()
	var out []store.Rejection
	for rows.Next() {
		var r store.Rejection
		var reason string
		var at int64
		if err := rows.Scan(&r.Source, &r.Location, &reason, &r.Message, &at); err != nil {
			return nil, fmt.Errorf("read rejections: %w", err)
		}
		r.Reason, r.At = audit.ErrorReason(reason), fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DropBefore deletes the partitions whose whole month lies before cutoff.
// Versions recorded in them that are still current at cutoff first get a
// copy of their object; older versions are deleted with the partition.
func (s *Store) DropBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var dropped []string
	for _, p := range s.sortedPartitions() {
		if !monthStart(p.key).AddDate(0, 1, 0).After(cutoff) {
			if err := s.dropPartition(ctx, p, cutoff); err != nil {
				return dropped, err
			}
			dropped = append(dropped, partitionName(p.key))
		}
	}
	return dropped, nil
}

var objectEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression))

func (s *Store) dropPartition(ctx context.Context, p *partition, cutoff time.Time) error {
	c := micros(cutoff)
	inPart := `(id >= ? AND id < ? OR id >= ? AND part = ?)`
	partArgs := []any{versionID(p.key, 0), versionID(p.key+1, 0), cascadeIDBase, p.key}
	rows, err := s.meta.r.QueryContext(ctx, `SELECT `+versionColumns+` FROM versions WHERE `+inPart+` AND obj IS NULL AND until > ? AND deleted = 0`,
		append(partArgs, c)...)
	if err != nil {
		return fmt.Errorf("find versions to keep: %w", err)
	}
	keep, err := s.collect(ctx, rows)
	if err != nil {
		return err
	}
	if err := s.loadObjects(ctx, keep); err != nil {
		return err
	}
	tx, err := s.meta.w.BeginTx(ctx, nil)
	if err != nil {
		return wrapWriteErr("begin retention", err)
	}
	defer tx.Rollback()
	for _, r := range keep {
		if r.v.Object == nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE versions SET obj = ? WHERE id = ?`, objectEncoder.EncodeAll(r.v.Object, nil), r.id); err != nil {
			return wrapWriteErr("keep object", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM versions WHERE `+inPart+` AND until <= ?`, append(partArgs, c)...); err != nil {
		return wrapWriteErr("delete old versions", err)
	}
	if err := tx.Commit(); err != nil {
		return wrapWriteErr("commit retention", err)
	}
	s.latest.invalidate()
	s.mu.Lock()
	delete(s.parts, p.key)
	s.mu.Unlock()
	s.blocks.dropPartition(p.key)
	if err := p.close(); err != nil {
		return fmt.Errorf("close %s: %w", partitionName(p.key), err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(p.db.path + suffix); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", filepath.Base(p.db.path+suffix), err)
		}
	}
	return nil
}
