package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/evident-dev/evident/internal/audit"
)

// objKey identifies an object's chain of versions by interned ids.
type objKey struct {
	cluster, kind, ns int64
	name              string
}

// latestEntry is the newest version of an object.
type latestEntry struct {
	id int64
	t  int64
}

// latestCache remembers the newest version of recently written objects, so
// the common in-order write needs no lookup. It also remembers, per
// namespace, the time of its newest deletion.
type latestCache struct {
	mu     sync.Mutex
	max    int
	objs   map[objKey]latestEntry
	nsGone map[objKey]int64 // key with kind/ns zero and name = namespace → newest deletion time (0: never)
}

func newLatestCache(max int) *latestCache {
	return &latestCache{max: max, objs: map[objKey]latestEntry{}, nsGone: map[objKey]int64{}}
}

func (c *latestCache) get(k objKey) (latestEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.objs[k]
	return e, ok
}

func (c *latestCache) apply(objs map[objKey]latestEntry, gone map[objKey]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.objs)+len(objs) > c.max {
		c.objs = map[objKey]latestEntry{}
	}
	for k, e := range objs {
		c.objs[k] = e
	}
	for k, t := range gone {
		c.nsGone[k] = t
	}
}

func (c *latestCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.objs, c.nsGone = map[objKey]latestEntry{}, map[objKey]int64{}
}

// versionWriter inserts versions within one meta transaction, keeping the
// valid-until chain of each object consistent.
type versionWriter struct {
	s      *Store
	tx     *sql.Tx
	strs   *txInterner
	insert *sql.Stmt
	setEnd *sql.Stmt
	objs   map[objKey]latestEntry // this transaction's view of the newest versions
	gone   map[objKey]int64
	nsKind int64
}

func (s *Store) newVersionWriter(ctx context.Context, tx *sql.Tx) (*versionWriter, error) {
	strs, err := s.metaStrs.begin(ctx, tx)
	if err != nil {
		return nil, wrapWriteErr("prepare strings", err)
	}
	insert, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO versions
		(cluster, kind, ns, name, uid, rv, t, until, verb, user, code, aid, deleted, cascade, part, eid)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, wrapWriteErr("prepare versions", err)
	}
	setEnd, err := tx.PrepareContext(ctx, `UPDATE versions SET until = ? WHERE id = ?`)
	if err != nil {
		return nil, wrapWriteErr("prepare versions", err)
	}
	nsKind, err := strs.id(ctx, kindString(audit.Kind{Resource: "namespaces"}))
	if err != nil {
		return nil, wrapWriteErr("intern kind", err)
	}
	return &versionWriter{s: s, tx: tx, strs: strs, insert: insert, setEnd: setEnd,
		objs: map[objKey]latestEntry{}, gone: map[objKey]int64{}, nsKind: nsKind}, nil
}

func kindString(k audit.Kind) string { return k.String() }

// versionRow is a version about to be inserted.
type versionRow struct {
	key              objKey
	nsName           string
	uid, rv, aid     string
	t, until         int64
	verb, user, code int64
	deleted, cascade bool
	part, eid        int64
}

// add records the version an event produced. It returns 1 if it was new.
func (w *versionWriter) add(ctx context.Context, ev *audit.Event, ref eventRef) (int, error) {
	c := ev.Change
	ids, err := internAll(ctx, w.strs, ev.Cluster, kindString(c.Kind), c.Namespace, ev.Verb, ev.User)
	if err != nil {
		return 0, wrapWriteErr("intern", err)
	}
	row := versionRow{
		key: objKey{ids[0], ids[1], ids[2], c.Name}, nsName: c.Namespace, uid: c.UID, rv: c.ResourceVersion, aid: ev.AuditID,
		t: micros(c.Time), until: maxUntil, verb: ids[3], user: ids[4], code: int64(ev.Code),
		deleted: c.Deleted, part: int64(ref.part), eid: ref.id,
	}
	id, ok, err := w.insertRow(ctx, &row)
	if err != nil || !ok {
		return 0, err
	}
	if err := w.link(ctx, &row, id); err != nil {
		return 0, err
	}
	switch {
	case c.Kind.Resource == "namespaces" && c.Kind.Group == "" && c.Deleted:
		if err := w.cascade(ctx, &row); err != nil {
			return 0, err
		}
	case c.Kind.Namespaced() && !c.Deleted:
		if err := w.lateCascade(ctx, &row, id); err != nil {
			return 0, err
		}
	}
	return 1, nil
}

func (w *versionWriter) insertRow(ctx context.Context, r *versionRow) (int64, bool, error) {
	res, err := w.insert.ExecContext(ctx, r.key.cluster, r.key.kind, r.key.ns, r.key.name, r.uid, r.rv, r.t, r.until,
		r.verb, r.user, r.code, r.aid, r.deleted, r.cascade, r.part, r.eid)
	if err != nil {
		return 0, false, wrapWriteErr("insert version", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, false, nil // already recorded
	}
	id, err := res.LastInsertId()
	return id, err == nil, err
}

// link splices a new version (already inserted with until = maxUntil)
// into its object's chain: the version before it now ends at its time, and
// it ends where the version after it (if any) starts.
func (w *versionWriter) link(ctx context.Context, r *versionRow, id int64) error {
	latest, ok := w.objs[r.key]
	if !ok {
		latest, ok = w.s.latest.get(r.key)
	}
	if ok && latest.t <= r.t {
		// In order: the previous newest version ends here.
		if _, err := w.setEnd.ExecContext(ctx, r.t, latest.id); err != nil {
			return wrapWriteErr("link version", err)
		}
		w.objs[r.key] = latestEntry{id, r.t}
		return nil
	}
	var prevID int64
	err := w.tx.QueryRowContext(ctx, `SELECT id FROM versions WHERE cluster = ? AND kind = ? AND ns = ? AND name = ?
		AND t <= ? AND id != ? ORDER BY t DESC, id DESC LIMIT 1`, r.key.cluster, r.key.kind, r.key.ns, r.key.name, r.t, id).Scan(&prevID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return wrapWriteErr("find previous version", err)
	}
	var nextT int64
	err = w.tx.QueryRowContext(ctx, `SELECT t FROM versions WHERE cluster = ? AND kind = ? AND ns = ? AND name = ?
		AND t > ? ORDER BY t, id LIMIT 1`, r.key.cluster, r.key.kind, r.key.ns, r.key.name, r.t).Scan(&nextT)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		w.objs[r.key] = latestEntry{id, r.t}
	case err != nil:
		return wrapWriteErr("find next version", err)
	default:
		r.until = nextT
		if _, err := w.setEnd.ExecContext(ctx, nextT, id); err != nil {
			return wrapWriteErr("link version", err)
		}
	}
	if prevID != 0 {
		if _, err := w.setEnd.ExecContext(ctx, r.t, prevID); err != nil {
			return wrapWriteErr("link version", err)
		}
	}
	return nil
}

// cascade ends every object alive in a namespace when the namespace is
// deleted: the API server deletes them without auditing each deletion.
func (w *versionWriter) cascade(ctx context.Context, del *versionRow) error {
	nsName := del.key.name
	nsID, err := w.strs.id(ctx, nsName)
	if err != nil {
		return wrapWriteErr("intern namespace", err)
	}
	gk := objKey{cluster: del.key.cluster, name: nsName}
	if del.t > w.nsGoneAt(ctx, gk) {
		w.gone[gk] = del.t
	}
	for _, k := range audit.Tracked() {
		if !k.Namespaced() {
			continue
		}
		kindID, err := w.strs.id(ctx, kindString(k))
		if err != nil {
			return wrapWriteErr("intern kind", err)
		}
		rows, err := w.tx.QueryContext(ctx, `SELECT id, name, uid, until FROM versions WHERE cluster = ? AND kind = ? AND ns = ?
			AND t <= ? AND until > ? AND deleted = 0`, del.key.cluster, kindID, nsID, del.t, del.t)
		if err != nil {
			return wrapWriteErr("find namespace objects", err)
		}
		type alive struct {
			id        int64
			name, uid string
			until     int64
		}
		var live []alive
		for rows.Next() {
			var a alive
			if err := rows.Scan(&a.id, &a.name, &a.uid, &a.until); err != nil {
				rows.Close()
				return fmt.Errorf("find namespace objects: %w", err)
			}
			live = append(live, a)
		}
		rows.Close()
		for _, a := range live {
			if err := w.endByCascade(ctx, objKey{del.key.cluster, kindID, nsID, a.name}, a.id, a.uid, a.until, del); err != nil {
				return err
			}
		}
	}
	return nil
}

// endByCascade inserts the deletion of an object implied by its
// namespace's deletion.
func (w *versionWriter) endByCascade(ctx context.Context, key objKey, prevID int64, uid string, until int64, del *versionRow) error {
	row := versionRow{key: key, uid: uid, t: del.t, until: until, verb: del.verb, user: del.user, code: del.code,
		deleted: true, cascade: true, part: del.part, eid: del.eid}
	id, _, err := w.insertRow(ctx, &row)
	if err != nil {
		return err
	}
	if _, err := w.setEnd.ExecContext(ctx, del.t, prevID); err != nil {
		return wrapWriteErr("link version", err)
	}
	if until == maxUntil {
		w.objs[key] = latestEntry{id, del.t}
	}
	return nil
}

// lateCascade handles a version that arrives after its namespace's
// deletion was recorded but took effect before it: the object must end at
// that deletion too.
func (w *versionWriter) lateCascade(ctx context.Context, r *versionRow, id int64) error {
	nsName := r.nsName
	gk := objKey{cluster: r.key.cluster, name: nsName}
	if w.nsGoneAt(ctx, gk) <= r.t {
		return nil // no deletion of the namespace after this version
	}
	var delT, delID int64
	err := w.tx.QueryRowContext(ctx, `SELECT t, id FROM versions WHERE cluster = ? AND kind = ? AND ns = 0 AND name = ?
		AND deleted = 1 AND cascade = 0 AND t > ? AND t < ? ORDER BY t LIMIT 1`, r.key.cluster, w.nsKind, nsName, r.t, r.until).Scan(&delT, &delID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return wrapWriteErr("find namespace deletion", err)
	}
	var del versionRow
	if err := w.tx.QueryRowContext(ctx, `SELECT verb, user, code, part, eid FROM versions WHERE id = ?`, delID).
		Scan(&del.verb, &del.user, &del.code, &del.part, &del.eid); err != nil {
		return wrapWriteErr("read namespace deletion", err)
	}
	del.t = delT
	return w.endByCascade(ctx, r.key, id, r.uid, r.until, &del)
}

// nsGoneAt returns the time of the newest recorded deletion of a namespace
// (0 if none), from the transaction, the cache, or the database.
func (w *versionWriter) nsGoneAt(ctx context.Context, gk objKey) int64 {
	if t, ok := w.gone[gk]; ok {
		return t
	}
	w.s.latest.mu.Lock()
	t, ok := w.s.latest.nsGone[gk]
	w.s.latest.mu.Unlock()
	if ok {
		return t
	}
	_ = w.tx.QueryRowContext(ctx, `SELECT coalesce(max(t), 0) FROM versions WHERE cluster = ? AND kind = ? AND ns = 0 AND name = ?
		AND deleted = 1 AND cascade = 0`, gk.cluster, w.nsKind, gk.name).Scan(&t)
	w.gone[gk] = t
	return t
}

func (w *versionWriter) committed() {
	w.strs.committed()
	w.s.latest.apply(w.objs, w.gone)
}
