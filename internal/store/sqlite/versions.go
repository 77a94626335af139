package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
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
		if e != noLatest {
			c.objs[k] = e
		}
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
	stmts  versionStmts
	objs   map[objKey]latestEntry // this transaction's view of the newest versions
	gone   map[objKey]int64
	nsKind int64
	nextID int64 // for versions implied by a namespace deletion
}

// versionStmts are the statements the writer runs per version.
type versionStmts struct {
	insertOne, insertMany, setEnd, setFirst, latest, prev, next, exists, nsGone *sql.Stmt
}

const versionInsertCols = `(id, cluster, kind, ns, name, uid, rv, t, until, verb, user, code, deleted, origin, first, part, eid, obj)`
const versionValues = `(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
const versionsPerInsert = 50

func (s *Store) newVersionWriter(ctx context.Context, tx *sql.Tx) (*versionWriter, error) {
	strs, err := s.metaStrs.begin(ctx, tx)
	if err != nil {
		return nil, wrapWriteErr("prepare strings", err)
	}
	w := &versionWriter{s: s, tx: tx, strs: strs, objs: map[objKey]latestEntry{}, gone: map[objKey]int64{}}
	objWhere := `cluster = ? AND kind = ? AND ns = ? AND name = ?`
	for _, st := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&w.stmts.insertOne, `INSERT INTO versions ` + versionInsertCols + ` VALUES ` + versionValues},
		{&w.stmts.insertMany, `INSERT INTO versions ` + versionInsertCols + ` VALUES ` +
			strings.TrimSuffix(strings.Repeat(versionValues+",", versionsPerInsert), ",")},
		{&w.stmts.setEnd, `UPDATE versions SET until = ? WHERE id = ?`},
		{&w.stmts.setFirst, `UPDATE versions SET first = ? WHERE id = ?`},
		{&w.stmts.latest, `SELECT id, t FROM versions WHERE ` + objWhere + ` ORDER BY t DESC, id DESC LIMIT 1`},
		{&w.stmts.prev, `SELECT id FROM versions WHERE ` + objWhere + ` AND t <= ? AND id != ? ORDER BY t DESC, id DESC LIMIT 1`},
		{&w.stmts.next, `SELECT id, t, until, origin = 1, first FROM versions WHERE ` + objWhere + ` AND t > ? ORDER BY t, id LIMIT 1`},
		{&w.stmts.exists, `SELECT count(*) FROM versions WHERE id = ?`},
		{&w.stmts.nsGone, `SELECT coalesce(max(t), 0) FROM versions WHERE ` + objWhere + ` AND deleted = 1 AND origin = 0`},
	} {
		if *st.dst, err = tx.PrepareContext(ctx, st.sql); err != nil {
			return nil, wrapWriteErr("prepare versions", err)
		}
	}
	if w.nsKind, err = strs.id(ctx, kindString(audit.Kind{Resource: "namespaces"})); err != nil {
		return nil, wrapWriteErr("intern kind", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), ?) + 1 FROM versions WHERE id >= ?`, cascadeIDBase, cascadeIDBase).Scan(&w.nextID); err != nil {
		return nil, wrapWriteErr("read versions", err)
	}
	return w, nil
}

func kindString(k audit.Kind) string { return k.String() }

// versionRow is a version about to be inserted.
type versionRow struct {
	id               int64
	key              objKey
	nsName           string
	uid, rv          string
	t, until         int64
	verb, user, code int64
	deleted          bool
	origin           int
	first            bool
	obj              []byte // compressed object, for versions without an event
	part, eid        int64
	isNamespace      bool
	namespaced       bool
}

func (r *versionRow) args() []any {
	return []any{r.id, r.key.cluster, r.key.kind, r.key.ns, r.key.name, auditKey(r.uid), r.rv, r.t, r.until,
		r.verb, r.user, r.code, r.deleted, r.origin, r.first, r.part, r.eid, r.obj}
}

// addAll records the versions the batch's events produced and returns how
// many were new. Each object's versions that come after everything already
// recorded for it (the usual case) are chained in memory and inserted in
// bulk; the rest are spliced into their chains one by one.
func (w *versionWriter) addAll(ctx context.Context, evs []audit.Event, refs []eventRef) (int, error) {
	rows, err := w.rows(ctx, evs, refs)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	var keys []objKey
	groups := map[objKey][]*versionRow{}
	for _, r := range rows {
		if _, ok := groups[r.key]; !ok {
			keys = append(keys, r.key)
		}
		groups[r.key] = append(groups[r.key], r)
	}
	if err := w.prefetchLatest(ctx, keys); err != nil {
		return 0, err
	}
	var fast, slow []*versionRow
	var ends [][2]int64 // (version id, new until)
	for _, k := range keys {
		g := groups[k]
		sort.SliceStable(g, func(i, j int) bool { return g[i].t < g[j].t })
		latest, ok, err := w.latestOf(ctx, k)
		if err != nil {
			return 0, err
		}
		if ok && g[0].t < latest.t {
			slow = append(slow, g...)
			continue
		}
		g[0].first = !ok
		for i, r := range g {
			if i+1 < len(g) {
				r.until = g[i+1].t
			}
		}
		if ok {
			ends = append(ends, [2]int64{latest.id, g[0].t})
		}
		last := g[len(g)-1]
		w.objs[k] = latestEntry{last.id, last.t}
		fast = append(fast, g...)
	}
	if err := w.insertBulk(ctx, fast); err != nil {
		return 0, err
	}
	for _, e := range ends {
		if _, err := w.stmts.setEnd.ExecContext(ctx, e[1], e[0]); err != nil {
			return 0, wrapWriteErr("link version", err)
		}
	}
	for _, r := range slow {
		if err := w.insert(ctx, r); err != nil {
			return 0, err
		}
		if err := w.link(ctx, r, r.id); err != nil {
			return 0, err
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].t < rows[j].t })
	for _, r := range rows {
		switch {
		case r.isNamespace && r.deleted:
			err = w.cascade(ctx, r)
		case r.namespaced && !r.deleted:
			err = w.lateCascade(ctx, r, r.id)
		}
		if err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}

// rows builds the version rows of a batch, leaving out versions already
// recorded (possible only for events that were duplicates).
func (w *versionWriter) rows(ctx context.Context, evs []audit.Event, refs []eventRef) ([]*versionRow, error) {
	var rows []*versionRow
	seen := map[eventRef]bool{}
	for i := range evs {
		ev := &evs[i]
		c := ev.Change
		ref := eventRef{part: refs[i].part, id: refs[i].id}
		if c == nil || seen[ref] {
			continue
		}
		seen[ref] = true
		ids, err := internAll(ctx, w.strs, ev.Cluster, kindString(c.Kind), c.Namespace, ev.Verb, ev.User)
		if err != nil {
			return nil, wrapWriteErr("intern", err)
		}
		if refs[i].dup {
			var n int
			if err := w.stmts.exists.QueryRowContext(ctx, versionID(refs[i].part, refs[i].id)).Scan(&n); err != nil {
				return nil, wrapWriteErr("check version", err)
			}
			if n > 0 {
				continue
			}
		}
		rows = append(rows, &versionRow{
			id:  versionID(refs[i].part, refs[i].id),
			key: objKey{ids[0], ids[1], ids[2], c.Name}, nsName: c.Namespace, uid: c.UID, rv: c.ResourceVersion,
			t: micros(c.Time), until: maxUntil, verb: ids[3], user: ids[4], code: int64(ev.Code),
			deleted: c.Deleted, part: int64(refs[i].part), eid: refs[i].id,
			isNamespace: c.Kind.Resource == "namespaces" && c.Kind.Group == "", namespaced: c.Kind.Namespaced(),
		})
	}
	return rows, nil
}

// prefetchLatest looks up, in few queries, the newest versions of the
// objects that are neither in this transaction's view nor in the cache; an
// object without versions gets none (noLatest).
func (w *versionWriter) prefetchLatest(ctx context.Context, keys []objKey) error {
	var missing []objKey
	for _, k := range keys {
		if _, ok := w.objs[k]; ok {
			continue
		}
		if _, ok := w.s.latest.get(k); ok {
			continue
		}
		missing = append(missing, k)
	}
	const chunk = 200
	for start := 0; start < len(missing); start += chunk {
		part := missing[start:min(start+chunk, len(missing))]
		args := make([]any, 0, 4*len(part))
		for _, k := range part {
			args = append(args, k.cluster, k.kind, k.ns, k.name)
		}
		// SQLite gives the bare columns of max()'s row.
		rows, err := w.tx.QueryContext(ctx, `SELECT id, cluster, kind, ns, name, max(t) FROM versions
			WHERE (cluster, kind, ns, name) IN (VALUES `+strings.TrimSuffix(strings.Repeat("(?,?,?,?),", len(part)), ",")+`)
			GROUP BY cluster, kind, ns, name`, args...)
		if err != nil {
			return wrapWriteErr("find newest versions", err)
		}
		for rows.Next() {
			var k objKey
			var e latestEntry
			if err := rows.Scan(&e.id, &k.cluster, &k.kind, &k.ns, &k.name, &e.t); err != nil {
				rows.Close()
				return wrapWriteErr("find newest versions", err)
			}
			w.objs[k] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrapWriteErr("find newest versions", err)
		}
		for _, k := range part {
			if _, ok := w.objs[k]; !ok {
				w.objs[k] = noLatest
			}
		}
	}
	return nil
}

// noLatest marks an object known to have no versions yet.
var noLatest = latestEntry{id: -1}

// latestOf returns the newest recorded version of an object.
func (w *versionWriter) latestOf(ctx context.Context, k objKey) (latestEntry, bool, error) {
	if e, ok := w.objs[k]; ok {
		return e, e != noLatest, nil
	}
	if e, ok := w.s.latest.get(k); ok {
		return e, true, nil
	}
	var e latestEntry
	err := w.stmts.latest.QueryRowContext(ctx, k.cluster, k.kind, k.ns, k.name).Scan(&e.id, &e.t)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, wrapWriteErr("find newest version", err)
	}
	return e, true, nil
}

func (w *versionWriter) insertBulk(ctx context.Context, rows []*versionRow) error {
	args := make([]any, 0, 17*versionsPerInsert)
	for len(rows) >= versionsPerInsert {
		args = args[:0]
		for _, r := range rows[:versionsPerInsert] {
			args = append(args, r.args()...)
		}
		if _, err := w.stmts.insertMany.ExecContext(ctx, args...); err != nil {
			return wrapWriteErr("insert versions", err)
		}
		rows = rows[versionsPerInsert:]
	}
	for _, r := range rows {
		if _, err := w.stmts.insertOne.ExecContext(ctx, r.args()...); err != nil {
			return wrapWriteErr("insert version", err)
		}
	}
	return nil
}

// insert adds one row; a version without an event (a cascade) gets the
// next cascade id.
func (w *versionWriter) insert(ctx context.Context, r *versionRow) error {
	if r.id == 0 {
		r.id, w.nextID = w.nextID, w.nextID+1
	}
	if _, err := w.stmts.insertOne.ExecContext(ctx, r.args()...); err != nil {
		return wrapWriteErr("insert version", err)
	}
	return nil
}

// link splices a new version (already inserted with until = maxUntil)
// into its object's chain: the version before it now ends at its time, and
// it ends where the version after it (if any) starts.
func (w *versionWriter) link(ctx context.Context, r *versionRow, id int64) error {
	latest, ok := w.objs[r.key]
	if !ok {
		latest, ok = w.s.latest.get(r.key)
	}
	if latest == noLatest {
		w.objs[r.key] = latestEntry{id, r.t}
		r.first = true
		_, err := w.stmts.setFirst.ExecContext(ctx, true, id)
		return wrapWriteErr("link version", err)
	}
	if ok && latest.t <= r.t {
		// In order: the previous newest version ends here.
		if _, err := w.stmts.setEnd.ExecContext(ctx, r.t, latest.id); err != nil {
			return wrapWriteErr("link version", err)
		}
		w.objs[r.key] = latestEntry{id, r.t}
		return nil
	}
	var prevID int64
	err := w.stmts.prev.QueryRowContext(ctx, r.key.cluster, r.key.kind, r.key.ns, r.key.name, r.t, id).Scan(&prevID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return wrapWriteErr("find previous version", err)
	}
	var nextID, nextT, nextUntil int64
	var nextCascade, nextFirst bool
	err = w.stmts.next.QueryRowContext(ctx, r.key.cluster, r.key.kind, r.key.ns, r.key.name, r.t).Scan(&nextID, &nextT, &nextUntil, &nextCascade, &nextFirst)
	if prevID == 0 {
		// Nothing before it: this is now the object's first version.
		r.first = true
		if _, err := w.stmts.setFirst.ExecContext(ctx, true, id); err != nil {
			return wrapWriteErr("link version", err)
		}
		if err == nil && nextFirst {
			if _, err := w.stmts.setFirst.ExecContext(ctx, false, nextID); err != nil {
				return wrapWriteErr("link version", err)
			}
		}
	}
	if err == nil && r.deleted && nextCascade {
		// The object is already gone when its namespace's deletion would end
		// it: that implied deletion is redundant.
		if _, err := w.tx.ExecContext(ctx, `DELETE FROM versions WHERE id = ?`, nextID); err != nil {
			return wrapWriteErr("drop redundant deletion", err)
		}
		if nextUntil == maxUntil {
			err = sql.ErrNoRows
		} else {
			nextT = nextUntil
		}
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		w.objs[r.key] = latestEntry{id, r.t}
	case err != nil:
		return wrapWriteErr("find next version", err)
	default:
		r.until = nextT
		if _, err := w.stmts.setEnd.ExecContext(ctx, nextT, id); err != nil {
			return wrapWriteErr("link version", err)
		}
	}
	if prevID != 0 {
		if _, err := w.stmts.setEnd.ExecContext(ctx, r.t, prevID); err != nil {
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
			var uid []byte
			if err := rows.Scan(&a.id, &a.name, &uid, &a.until); err != nil {
				rows.Close()
				return fmt.Errorf("find namespace objects: %w", err)
			}
			a.uid = auditIDString(uid)
			live = append(live, a)
		}
		rows.Close()
		for _, a := range live {
			if err := w.endByCascade(ctx, objKey{del.key.cluster, kindID, nsID, a.name}, a.uid, del); err != nil {
				return err
			}
		}
	}
	return nil
}

// endByCascade inserts the deletion of an object implied by its
// namespace's deletion.
func (w *versionWriter) endByCascade(ctx context.Context, key objKey, uid string, del *versionRow) error {
	row := versionRow{key: key, uid: uid, t: del.t, until: maxUntil, verb: del.verb, user: del.user, code: del.code,
		deleted: true, origin: originCascade, part: del.part, eid: del.eid}
	if err := w.insert(ctx, &row); err != nil {
		return err
	}
	return w.link(ctx, &row, row.id)
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
		AND deleted = 1 AND origin = 0 AND t > ? AND t < ? ORDER BY t LIMIT 1`, r.key.cluster, w.nsKind, nsName, r.t, r.until).Scan(&delT, &delID)
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
	return w.endByCascade(ctx, r.key, r.uid, &del)
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
	_ = w.stmts.nsGone.QueryRowContext(ctx, gk.cluster, w.nsKind, 0, gk.name).Scan(&t)
	w.gone[gk] = t
	return t
}

func (w *versionWriter) committed() {
	w.strs.committed()
	w.s.latest.apply(w.objs, w.gone)
}
