package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

var _ store.Baselines = (*Store)(nil)

// ImportBaseline records a listing of one kind at a point in time.
func (s *Store) ImportBaseline(ctx context.Context, b *store.Baseline) (store.BaselineResult, error) {
	var res store.BaselineResult
	if s.opts.ReadOnly {
		return res, fmt.Errorf("import baseline: %w: opened read-only", store.ErrUnavailable)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.meta.w.BeginTx(ctx, nil)
	if err != nil {
		return res, wrapWriteErr("begin baseline", err)
	}
	defer tx.Rollback()
	w, err := s.newVersionWriter(ctx, tx)
	if err != nil {
		return res, err
	}
	ids, err := internAll(ctx, w.strs, b.Cluster, kindString(b.Kind), "snapshot", b.Source)
	if err != nil {
		return res, wrapWriteErr("intern", err)
	}
	cluster, kind, verb, user := ids[0], ids[1], ids[2], ids[3]
	at := micros(b.Time)
	alive, err := aliveAt(ctx, tx, cluster, kind, at)
	if err != nil {
		return res, err
	}
	for _, o := range b.Objects {
		ns := ""
		if b.Kind.Namespaced() {
			ns = o.Namespace
		}
		nsID, err := w.strs.id(ctx, ns)
		if err != nil {
			return res, wrapWriteErr("intern", err)
		}
		key := objKey{cluster, kind, nsID, o.Name}
		if cur, ok := alive[key]; ok {
			delete(alive, key)
			if cur.rv == o.ResourceVersion && cur.uid == o.UID && o.ResourceVersion != "" {
				res.Unchanged++
				continue
			}
		}
		row := versionRow{key: key, nsName: ns, uid: o.UID, rv: o.ResourceVersion, t: at, until: maxUntil, verb: verb, user: user,
			origin: originBaseline, obj: objectEncoder.EncodeAll(o.Object, nil)}
		if err := w.insert(ctx, &row); err != nil {
			return res, err
		}
		if err := w.link(ctx, &row, row.id); err != nil {
			return res, err
		}
		res.Added++
	}
	for key, cur := range alive {
		row := versionRow{key: key, uid: cur.uid, t: at, until: maxUntil, verb: verb, user: user, deleted: true, origin: originBaseline}
		if err := w.insert(ctx, &row); err != nil {
			return res, err
		}
		if err := w.link(ctx, &row, row.id); err != nil {
			return res, err
		}
		res.Ended++
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO baselines(cluster, kind, t, source, objects, imported) VALUES(?, ?, ?, ?, ?, ?)`,
		b.Cluster, kindString(b.Kind), at, b.Source, len(b.Objects), micros(time.Now())); err != nil {
		return res, wrapWriteErr("record baseline", err)
	}
	if err := tx.Commit(); err != nil {
		return res, wrapWriteErr("commit baseline", err)
	}
	w.committed()
	return res, nil
}

type aliveVersion struct {
	id      int64
	uid, rv string
}

// aliveAt returns the objects of a kind alive at a time, by key.
func aliveAt(ctx context.Context, tx *sql.Tx, cluster, kind, at int64) (map[objKey]aliveVersion, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, ns, name, uid, rv FROM versions WHERE cluster = ? AND kind = ?
		AND t <= ? AND until > ? AND deleted = 0`, cluster, kind, at, at)
	if err != nil {
		return nil, wrapWriteErr("read state", err)
	}
	defer rows.Close()
	out := map[objKey]aliveVersion{}
	for rows.Next() {
		var v aliveVersion
		var ns int64
		var name string
		var uid []byte
		if err := rows.Scan(&v.id, &ns, &name, &uid, &v.rv); err != nil {
			return nil, fmt.Errorf("read state: %w", err)
		}
		v.uid = auditIDString(uid)
		out[objKey{cluster, kind, ns, name}] = v
	}
	return out, rows.Err()
}

// ListBaselines returns the imported baselines, oldest first.
func (s *Store) ListBaselines(ctx context.Context, cluster string) ([]store.BaselineInfo, error) {
	q := `SELECT cluster, kind, t, source, objects, imported FROM baselines`
	var args []any
	if cluster != "" {
		q += ` WHERE cluster = ?`
		args = append(args, cluster)
	}
	rows, err := s.meta.r.QueryContext(ctx, q+` ORDER BY t, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list baselines: %w", err)
	}
	defer rows.Close()
	var out []store.BaselineInfo
	for rows.Next() {
		var b store.BaselineInfo
		var kind string
		var t, imported int64
		if err := rows.Scan(&b.Cluster, &kind, &t, &b.Source, &b.Objects, &imported); err != nil {
			return nil, fmt.Errorf("list baselines: %w", err)
		}
		b.Kind, b.Time, b.Imported = kindFromString(kind), fromMicros(t), fromMicros(imported)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return out, nil
}
