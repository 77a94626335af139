package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/evident-dev/evident/internal/store"
)

var (
	_ store.Resources = (*Store)(nil)
	_ store.Reports   = (*Store)(nil)
)

// PutResource writes a configuration object, conditionally on its version.
func (s *Store) PutResource(ctx context.Context, kind, name string, obj []byte, ifVersion int64) (int64, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.meta.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrapWriteErr("begin", err)
	}
	defer tx.Rollback()
	var cur int64
	err = tx.QueryRowContext(ctx, `SELECT version FROM resources WHERE kind = ? AND name = ?`, kind, name).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read %s %s: %w", kind, name, err)
	}
	if cur != ifVersion {
		return 0, fmt.Errorf("%s %s: %w", kind, name, store.ErrConflict)
	}
	next := cur + 1
	if _, err := tx.ExecContext(ctx, `INSERT INTO resources(kind, name, version, body) VALUES(?, ?, ?, ?)
		ON CONFLICT(kind, name) DO UPDATE SET version = excluded.version, body = excluded.body`, kind, name, next, obj); err != nil {
		return 0, wrapWriteErr("write "+kind+" "+name, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, wrapWriteErr("commit", err)
	}
	return next, nil
}

// GetResource reads one configuration object.
func (s *Store) GetResource(ctx context.Context, kind, name string) (store.Resource, error) {
	r := store.Resource{Kind: kind, Name: name}
	err := s.meta.r.QueryRowContext(ctx, `SELECT version, body FROM resources WHERE kind = ? AND name = ?`, kind, name).Scan(&r.Version, &r.Object)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%s %q: %w", kind, name, store.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read %s %s: %w", kind, name, err)
	}
	return r, nil
}

// ListResources returns every object of a kind, by name.
func (s *Store) ListResources(ctx context.Context, kind string) ([]store.Resource, error) {
	rows, err := s.meta.r.QueryContext(ctx, `SELECT name, version, body FROM resources WHERE kind = ? ORDER BY name`, kind)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	defer rows.Close()
	var out []store.Resource
	for rows.Next() {
		r := store.Resource{Kind: kind}
		if err := rows.Scan(&r.Name, &r.Version, &r.Object); err != nil {
			return nil, fmt.Errorf("list %s: %w", kind, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteResource removes a configuration object.
func (s *Store) DeleteResource(ctx context.Context, kind, name string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	res, err := s.meta.w.ExecContext(ctx, `DELETE FROM resources WHERE kind = ? AND name = ?`, kind, name)
	if err != nil {
		return wrapWriteErr("delete "+kind+" "+name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %q: %w", kind, name, store.ErrNotFound)
	}
	return nil
}

// PutReport stores a report, replacing one with the same id.
func (s *Store) PutReport(ctx context.Context, r store.ReportRecord) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.meta.w.ExecContext(ctx, `INSERT INTO reports(id, name, type, start, end, generated, summary, data) VALUES(?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name, type = excluded.type, start = excluded.start, end = excluded.end,
		generated = excluded.generated, summary = excluded.summary, data = excluded.data`,
		r.ID, r.Name, r.Type, micros(r.Start), micros(r.End), micros(r.Generated), r.UISummary, objectEncoder.EncodeAll(r.Data, nil))
	return wrapWriteErr("store report "+r.ID, err)
}

const reportColumns = `id, name, type, start, end, generated, summary`

func scanReport(rows interface{ Scan(...any) error }, withData bool) (store.ReportRecord, error) {
	var r store.ReportRecord
	var start, end, gen int64
	dest := []any{&r.ID, &r.Name, &r.Type, &start, &end, &gen, &r.UISummary}
	var data []byte
	if withData {
		dest = append(dest, &data)
	}
	if err := rows.Scan(dest...); err != nil {
		return r, err
	}
	r.Start, r.End, r.Generated = fromMicros(start), fromMicros(end), fromMicros(gen)
	if withData {
		d, err := objectCodec.DecodeAll(data, nil)
		if err != nil {
			return r, fmt.Errorf("decompress report %s: %w", r.ID, err)
		}
		r.Data = d
	}
	return r, nil
}

// GetReport reads one report with its data.
func (s *Store) GetReport(ctx context.Context, id string) (store.ReportRecord, error) {
	r, err := scanReport(s.meta.r.QueryRowContext(ctx, `SELECT `+reportColumns+`, data FROM reports WHERE id = ?`, id), true)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("report %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read report %s: %w", id, err)
	}
	return r, nil
}

var reportSortColumns = map[string]string{
	"reportName": "name", "reportTypeName": "type", "generationTime": "generated", "startTime": "start", "endTime": "end",
}

// ListReports returns a page of report summaries and the total number of
// matches.
func (s *Store) ListReports(ctx context.Context, q store.ReportQuery) ([]store.ReportRecord, int, error) {
	var f sqlFilter
	var or []string
	var orArgs []any
	if len(q.Names) > 0 {
		or = append(or, "name IN ("+placeholders(len(q.Names))+")")
		for _, n := range q.Names {
			orArgs = append(orArgs, n)
		}
	}
	if len(q.Types) > 0 {
		or = append(or, "type IN ("+placeholders(len(q.Types))+")")
		for _, t := range q.Types {
			orArgs = append(orArgs, t)
		}
	}
	if len(or) > 0 {
		f.add("("+strings.Join(or, " OR ")+")", orArgs...)
	}
	switch {
	case !q.From.IsZero():
		to := q.To
		f.add("((start >= ? AND start <= ?) OR (end >= ? AND end <= ?))", micros(q.From), micros(to), micros(q.From), micros(to))
	case !q.To.IsZero():
		f.add("start <= ?", micros(q.To))
	}
	where := "1"
	if len(f.parts) > 0 {
		where = strings.Join(f.parts, " AND ")
	}
	var order []string
	for _, sk := range q.Sort {
		col, ok := reportSortColumns[sk.Field]
		if !ok {
			return nil, 0, fmt.Errorf("cannot sort by %q", sk.Field)
		}
		dir := " ASC"
		if sk.Descending {
			dir = " DESC"
		}
		order = append(order, col+dir)
	}
	order = append(order, "id ASC")
	rows, err := s.meta.r.QueryContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE `+where+` ORDER BY `+strings.Join(order, ", "), f.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list reports: %w", err)
	}
	defer rows.Close()
	var out []store.ReportRecord
	total := 0
	for rows.Next() {
		r, err := scanReport(rows, false)
		if err != nil {
			return nil, 0, fmt.Errorf("list reports: %w", err)
		}
		if q.Allowed != nil && !q.Allowed(r.Name, r.Type) {
			continue
		}
		if total >= q.Offset && (q.Limit <= 0 || len(out) < q.Limit) {
			out = append(out, r)
		}
		total++
	}
	return out, total, rows.Err()
}

// LastReport returns the report of a name with the latest end.
func (s *Store) LastReport(ctx context.Context, name string) (store.ReportRecord, bool, error) {
	r, err := scanReport(s.meta.r.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE name = ? ORDER BY end DESC LIMIT 1`, name), false)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read last report of %s: %w", name, err)
	}
	return r, true, nil
}
