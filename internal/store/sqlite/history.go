package sqlite

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
)

const versionColumns = `id, cluster, kind, ns, name, uid, rv, t, verb, user, code, deleted, origin, first, part, eid, obj`

// versionRec is a versions row. The ids of its interned strings are read
// first and resolved (resolve) only once the rows are closed, so that no
// query runs while another holds a connection.
type versionRec struct {
	id        int64
	part, eid int64
	obj       []byte
	strIDs    [5]int64 // cluster, kind, ns, verb, user
	v         store.Version
}

func scanVersion(rows interface{ Scan(...any) error }) (versionRec, error) {
	var r versionRec
	var code, t int64
	var deleted, first bool
	var origin int
	var uid []byte
	if err := rows.Scan(&r.id, &r.strIDs[0], &r.strIDs[1], &r.strIDs[2], &r.v.Name, &uid, &r.v.ResourceVersion, &t,
		&r.strIDs[3], &r.strIDs[4], &code, &deleted, &origin, &first, &r.part, &r.eid, &r.obj); err != nil {
		return r, fmt.Errorf("read version: %w", err)
	}
	r.v.UID = auditIDString(uid)
	r.v.Time, r.v.Code, r.v.Deleted, r.v.First = fromMicros(t), int(code), deleted, first
	r.v.Cascade, r.v.Baseline = origin == originCascade, origin == originBaseline
	if r.eid > 0 {
		r.v.EventID = eventID(int(r.part), r.eid)
	}
	return r, nil
}

// resolve fills in the records' interned strings.
func (s *Store) resolve(ctx context.Context, recs []versionRec) error {
	for i := range recs {
		r := &recs[i]
		var strs [5]string
		for j, id := range r.strIDs {
			v, err := s.metaStrs.str(ctx, id)
			if err != nil {
				return err
			}
			strs[j] = v
		}
		r.v.Cluster, r.v.Namespace, r.v.Verb, r.v.User = strs[0], strs[2], strs[3], strs[4]
		r.v.Kind = kindFromString(strs[1])
	}
	return nil
}

func kindFromString(s string) audit.Kind {
	res, group, _ := strings.Cut(s, ".")
	if k, ok := audit.LookupKind(group, res); ok {
		return k
	}
	return audit.Kind{Group: group, Resource: res}
}

// loadObjects fills in the objects of the records: event locations are
// looked up per partition in a few queries, and each block is read once.
func (s *Store) loadObjects(ctx context.Context, recs []versionRec) error {
	byPart := map[int64][]int{}
	for i := range recs {
		r := &recs[i]
		switch {
		case r.obj != nil:
			obj, err := objectCodec.DecodeAll(r.obj, nil)
			if err != nil {
				return fmt.Errorf("decompress stored object of %s: %w", r.v.Name, err)
			}
			r.v.Object = obj
		case r.v.Cascade || r.eid == 0:
		default:
			byPart[r.part] = append(byPart[r.part], i)
		}
	}
	for part, idx := range byPart {
		if err := s.loadPartObjects(ctx, int(part), recs, idx); err != nil {
			return err
		}
	}
	return nil
}

// loadPartObjects loads the objects of records whose events are in one
// partition: their locations in one query per 500, their blocks in one
// query per 100, each block decompressed once.
func (s *Store) loadPartObjects(ctx context.Context, part int, recs []versionRec, idx []int) error {
	locs, err := s.eventLocations(ctx, part, recs, idx)
	if err != nil {
		return err
	}
	p, err := s.partition(ctx, part, false)
	if err != nil {
		return err
	}
	byBlock := map[int64][]int{}
	var blocks []int64
	for _, i := range idx {
		r := &recs[i]
		loc, ok := locs[r.eid]
		if !ok || p == nil {
			if r.v.Deleted {
				continue // the deletion's event aged out; a deletion needs no object
			}
			return fmt.Errorf("version of %s/%s: event %s: %w", r.v.Namespace, r.v.Name, eventID(part, r.eid), store.ErrNotFound)
		}
		if _, ok := byBlock[loc.blk]; !ok {
			blocks = append(blocks, loc.blk)
		}
		byBlock[loc.blk] = append(byBlock[loc.blk], i)
	}
	slices.Sort(blocks)
	const chunk = 100
	for start := 0; start < len(blocks); start += chunk {
		data, err := p.readBlocks(ctx, blocks[start:min(start+chunk, len(blocks))])
		if err != nil {
			return err
		}
		for blk, raw := range data {
			for _, i := range byBlock[blk] {
				r := &recs[i]
				loc := locs[r.eid]
				if loc.off < 0 || loc.off+loc.n > int64(len(raw)) {
					return fmt.Errorf("block %d of %s is shorter than its index says", blk, partitionName(part))
				}
				r.v.AuditID = loc.aid
				obj, err := audit.ResponseObject(raw[loc.off : loc.off+loc.n])
				if err != nil {
					return fmt.Errorf("version of %s/%s: %w", r.v.Namespace, r.v.Name, err)
				}
				if obj != nil && !(r.v.Deleted && isStatus(obj)) {
					r.v.Object = obj
				}
			}
		}
	}
	return nil
}

// readBlocks reads and decompresses blocks of a partition.
func (p *partition) readBlocks(ctx context.Context, ids []int64) (map[int64][]byte, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := p.db.r.QueryContext(ctx, `SELECT id, data FROM blocks WHERE id IN (`+placeholders(len(args))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read blocks of %s: %w", partitionName(p.key), err)
	}
	type compressed struct {
		id   int64
		data []byte
	}
	var comp []compressed
	for rows.Next() {
		var c compressed
		if err := rows.Scan(&c.id, &c.data); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read blocks of %s: %w", partitionName(p.key), err)
		}
		comp = append(comp, c)
	}
	rows.Close()
	p.mu.Lock()
	dec := p.dec
	p.mu.Unlock()
	out := make(map[int64][]byte, len(comp))
	for _, c := range comp {
		raw, err := dec.DecodeAll(c.data, nil)
		if err != nil {
			return nil, fmt.Errorf("decompress block %d of %s: %w", c.id, partitionName(p.key), err)
		}
		out[c.id] = raw
	}
	return out, nil
}

// eventLoc is where an event's body is.
type eventLoc struct {
	blk, off, n int64
	aid         string
}

// eventLocations reads the body locations of the records' events in one
// partition; events of a dropped partition are absent from the result.
func (s *Store) eventLocations(ctx context.Context, part int, recs []versionRec, idx []int) (map[int64]eventLoc, error) {
	out := make(map[int64]eventLoc, len(idx))
	p, err := s.partition(ctx, part, false)
	if err != nil || p == nil {
		return out, err
	}
	const chunk = 500
	for start := 0; start < len(idx); start += chunk {
		part := idx[start:min(start+chunk, len(idx))]
		args := make([]any, len(part))
		for j, i := range part {
			args[j] = recs[i].eid
		}
		rows, err := p.db.r.QueryContext(ctx, `SELECT id, blk, off, len, aid FROM events WHERE id IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("locate events in %s: %w", partitionName(p.key), err)
		}
		for rows.Next() {
			var id int64
			var l eventLoc
			var aid []byte
			if err := rows.Scan(&id, &l.blk, &l.off, &l.n, &aid); err != nil {
				rows.Close()
				return nil, fmt.Errorf("locate events: %w", err)
			}
			l.aid = auditIDString(aid)
			out[id] = l
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func isStatus(obj []byte) bool {
	head := obj
	if len(head) > 64 {
		head = head[:64]
	}
	return strings.Contains(string(head), `"kind":"Status"`)
}

// objectCodec compresses objects kept outside events (after retention).
var objectCodec, _ = zstd.NewReader(nil)

// History returns every version of one object, oldest first.
func (s *Store) History(ctx context.Context, key store.ObjectKey) ([]store.Version, error) {
	ids, ok, err := s.metaIDs(ctx, key.Cluster, key.Kind.String(), key.Namespace)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := s.meta.r.QueryContext(ctx, `SELECT `+versionColumns+` FROM versions
		WHERE cluster = ? AND kind = ? AND ns = ? AND name = ? ORDER BY t, id`, ids[0], ids[1], ids[2], key.Name)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	recs, err := s.collect(ctx, rows)
	if err != nil {
		return nil, err
	}
	if err := s.loadObjects(ctx, recs); err != nil {
		return nil, err
	}
	out := make([]store.Version, len(recs))
	for i := range recs {
		out[i] = recs[i].v
	}
	return out, nil
}

// metaIDs looks up interned meta strings; ok is false if any is unknown.
func (s *Store) metaIDs(ctx context.Context, values ...string) ([]int64, bool, error) {
	ids := make([]int64, len(values))
	for i, v := range values {
		id, ok, err := s.metaStrs.lookupID(ctx, v)
		if err != nil || !ok {
			return nil, false, err
		}
		ids[i] = id
	}
	return ids, true, nil
}

func (s *Store) collect(ctx context.Context, rows interface {
	Next() bool
	Scan(...any) error
	Close() error
	Err() error
}) ([]versionRec, error) {
	var recs []versionRec
	for rows.Next() {
		r, err := scanVersion(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		recs = append(recs, r)
	}
	err := rows.Err()
	rows.Close()
	if err != nil {
		return nil, err
	}
	return recs, s.resolve(ctx, recs)
}

// versionFilter compiles a VersionQuery to SQL; ok is false when a filter
// value is unknown (nothing can match).
func (s *Store) versionFilter(ctx context.Context, q store.VersionQuery) (string, []any, bool, error) {
	var f sqlFilter
	add := func(col string, values []string) (bool, error) {
		if len(values) == 0 {
			return true, nil
		}
		var ids []any
		for _, v := range values {
			id, ok, err := s.metaStrs.lookupID(ctx, v)
			if err != nil {
				return false, err
			}
			if ok {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return false, nil
		}
		f.add(col+" IN ("+placeholders(len(ids))+")", ids...)
		return true, nil
	}
	kinds := make([]string, len(q.Kinds))
	for i, k := range q.Kinds {
		kinds[i] = k.String()
	}
	for _, l := range []struct {
		col    string
		values []string
	}{{"cluster", q.Clusters}, {"kind", kinds}, {"ns", q.Namespaces}} {
		ok, err := add(l.col, l.values)
		if err != nil || !ok {
			return "", nil, false, err
		}
	}
	if len(f.parts) == 0 {
		return "1", nil, true, nil
	}
	return strings.Join(f.parts, " AND "), f.args, true, nil
}

// StateAt yields the newest version of every object alive at t, in no
// particular order.
func (s *Store) StateAt(ctx context.Context, t time.Time, q store.VersionQuery) iter.Seq2[store.Version, error] {
	at := micros(t)
	return func(yield func(store.Version, error) bool) {
		filter, fargs, ok, err := s.versionFilter(ctx, q)
		if err != nil || !ok {
			if err != nil {
				yield(store.Version{}, err)
			}
			return
		}
		// The until index bounds the scan by the objects alive at t and the
		// versions after it, whatever the length of the history before.
		rows, err := s.meta.r.QueryContext(ctx, `SELECT `+versionColumns+` FROM versions INDEXED BY versions_alive
			WHERE until > ? AND t <= ? AND deleted = 0 AND `+filter, append([]any{at, at}, fargs...)...)
		if err != nil {
			yield(store.Version{}, fmt.Errorf("read state: %w", err))
			return
		}
		var recs []versionRec
		for rows.Next() {
			r, err := scanVersion(rows)
			if err != nil {
				rows.Close()
				yield(store.Version{}, err)
				return
			}
			recs = append(recs, r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			yield(store.Version{}, fmt.Errorf("read state: %w", err))
			return
		}
		for start := 0; start < len(recs); start += pageSize {
			if !s.yieldPage(ctx, recs[start:min(start+pageSize, len(recs))], q.WithObject, yield) {
				return
			}
		}
	}
}

// Changes yields the versions recorded in (from, to], oldest first, a
// page at a time (keyset on time and id over the time index).
func (s *Store) Changes(ctx context.Context, from, to time.Time, q store.VersionQuery) iter.Seq2[store.Version, error] {
	return func(yield func(store.Version, error) bool) {
		filter, fargs, ok, err := s.versionFilter(ctx, q)
		if err != nil || !ok {
			if err != nil {
				yield(store.Version{}, err)
			}
			return
		}
		lastT, lastID := micros(from), int64(1<<63-1)
		for {
			rows, err := s.meta.r.QueryContext(ctx, `SELECT `+versionColumns+` FROM versions INDEXED BY versions_t
				WHERE (t, id) > (?, ?) AND t <= ? AND `+filter+` ORDER BY t, id LIMIT ?`,
				append(append([]any{lastT, lastID, micros(to)}, fargs...), pageSize)...)
			if err != nil {
				yield(store.Version{}, fmt.Errorf("read changes: %w", err))
				return
			}
			var page []versionRec
			for rows.Next() {
				r, err := scanVersion(rows)
				if err != nil {
					rows.Close()
					yield(store.Version{}, err)
					return
				}
				page = append(page, r)
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				yield(store.Version{}, fmt.Errorf("read changes: %w", err))
				return
			}
			if len(page) == 0 || !s.yieldPage(ctx, page, q.WithObject, yield) || len(page) < pageSize {
				return
			}
			last := page[len(page)-1]
			lastT, lastID = micros(last.v.Time), last.id
		}
	}
}

// pageSize bounds how many versions are resolved and loaded at once.
const pageSize = 2000

// yieldPage resolves a page of records, loads their objects when asked
// and yields them; it reports whether to go on.
func (s *Store) yieldPage(ctx context.Context, page []versionRec, withObject bool, yield func(store.Version, error) bool) bool {
	if err := s.resolve(ctx, page); err != nil {
		return yield(store.Version{}, err) && false
	}
	if withObject {
		if err := s.loadObjects(ctx, page); err != nil {
			return yield(store.Version{}, err) && false
		}
	}
	for i := range page {
		if !yield(page[i].v, nil) {
			return false
		}
	}
	return true
}
