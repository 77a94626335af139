package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
)

// eventRef locates a batch event in its partition.
type eventRef struct {
	part int
	id   int64
	dup  bool
}

// Append stores a batch: the events of each month in that month's
// partition, then versions, rejections and the checkpoint in the meta
// database. The meta commit comes last, so a checkpoint never covers events
// that are not stored; a crash between the commits leaves the events stored
// and the checkpoint behind, and the replayed events are recognised as
// duplicates while their versions are recorded.
func (s *Store) Append(ctx context.Context, b *store.Batch) (store.AppendResult, error) {
	if s.opts.ReadOnly {
		return store.AppendResult{}, fmt.Errorf("append: %w: opened read-only", store.ErrUnavailable)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var res store.AppendResult
	refs := make([]eventRef, len(b.Events))
	groups := map[int][]int{}
	for i := range b.Events {
		k := monthKey(b.Events[i].Time)
		groups[k] = append(groups[k], i)
	}
	keys := make([]int, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var writes []*partWrite
	abort := func() {
		for _, w := range writes {
			w.abort()
		}
	}
	for _, k := range keys {
		p, err := s.partition(ctx, k, true)
		if err != nil {
			abort()
			return res, wrapWriteErr("append", err)
		}
		w, err := s.preparePartition(ctx, p, b, groups[k], refs)
		if err != nil {
			abort()
			return res, err
		}
		writes = append(writes, w)
		res.Stored += len(w.fresh)
		res.Duplicates += len(groups[k]) - len(w.fresh)
	}
	// The month files and the meta database are written at the same time,
	// on two cores; meta commits only once every month file has.
	done := make(chan error, 1)
	go func() {
		for i, w := range writes {
			if err := w.write(ctx); err != nil {
				for _, rest := range writes[i+1:] {
					rest.abort()
				}
				done <- err
				return
			}
		}
		done <- nil
	}()
	versions, err := s.appendMeta(ctx, b, refs, res.Stored, func() error { return <-done })
	if err != nil {
		return res, err
	}
	res.Versions = versions
	return res, nil
}

// auditKey is the stored form of an auditID: the 16 bytes of a UUID, or a
// 'x'-tagged copy of any other string (so the two never collide).
func auditKey(id string) []byte {
	if len(id) == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-' {
		var out [16]byte
		if _, err := hex.Decode(out[:], []byte(id[0:8]+id[9:13]+id[14:18]+id[19:23]+id[24:36])); err == nil &&
			strings.ToLower(id) == id {
			return out[:]
		}
	}
	return append([]byte{'x'}, id...)
}

func auditIDString(k []byte) string {
	if len(k) == 16 {
		h := hex.EncodeToString(k)
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	}
	if len(k) > 0 && k[0] == 'x' {
		return string(k[1:])
	}
	return string(k)
}

var stageCodes = map[string]int64{
	audit.StageRequestReceived: 1, audit.StageResponseStarted: 2, audit.StageResponseComplete: 3, audit.StagePanic: 4,
}

var stageNames = [...]string{"", audit.StageRequestReceived, audit.StageResponseStarted, audit.StageResponseComplete, audit.StagePanic}

type dedupKey struct {
	aid     string
	stage   int64
	cluster string
}

// dedupHash is the 64-bit FNV-1a hash of an event's identity.
func dedupHash(cluster, auditID, stage string) int64 {
	h := fnv.New64a()
	h.Write([]byte(cluster))
	h.Write([]byte{0})
	h.Write([]byte(auditID))
	h.Write([]byte{0})
	h.Write([]byte(stage))
	return int64(h.Sum64())
}

// existing finds which of the batch's events are already stored, by
// (auditID, stage, cluster), and returns their ids.
func (p *partition) existing(ctx context.Context, tx *sql.Tx, b *store.Batch, idx []int) (map[dedupKey]int64, error) {
	found := map[dedupKey]int64{}
	const chunk = 500
	for start := 0; start < len(idx); start += chunk {
		end := min(start+chunk, len(idx))
		args := make([]any, 0, end-start)
		for _, i := range idx[start:end] {
			ev := &b.Events[i]
			args = append(args, dedupHash(ev.Cluster, ev.AuditID, ev.Stage))
		}
		q := `SELECT e.id, e.aid, e.stage, coalesce(s.s, '') FROM events e LEFT JOIN strs s ON s.id = e.cluster WHERE e.h IN (?` +
			strings.Repeat(",?", len(args)-1) + `)`
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, wrapWriteErr("check duplicates", err)
		}
		for rows.Next() {
			var id, stage int64
			var aid []byte
			var cluster string
			if err := rows.Scan(&id, &aid, &stage, &cluster); err != nil {
				rows.Close()
				return nil, fmt.Errorf("check duplicates: %w", err)
			}
			found[dedupKey{string(aid), stage, cluster}] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("check duplicates: %w", err)
		}
	}
	return found, nil
}

// partWrite is one month file's share of a batch, between deciding which
// events are new and committing them.
type partWrite struct {
	s      *Store
	p      *partition
	tx     *sql.Tx
	b      *store.Batch
	refs   []eventRef
	fresh  []int
	nextID int64
	closed bool
}

// preparePartition starts p's transaction, finds which of b.Events[idx]
// are already stored and assigns ids to the rest. The partition stays
// locked until write or abort.
func (s *Store) preparePartition(ctx context.Context, p *partition, b *store.Batch, idx []int, refs []eventRef) (*partWrite, error) {
	p.mu.Lock()
	tx, err := p.db.w.BeginTx(ctx, nil)
	if err != nil {
		p.mu.Unlock()
		return nil, wrapWriteErr("begin partition transaction", err)
	}
	w := &partWrite{s: s, p: p, tx: tx, b: b, refs: refs}
	have, err := p.existing(ctx, tx, b, idx)
	if err != nil {
		w.abort()
		return nil, err
	}
	w.nextID = p.nextID
	for _, i := range idx {
		ev := &b.Events[i]
		k := dedupKey{string(auditKey(ev.AuditID)), stageCodes[ev.Stage], ev.Cluster}
		if id, ok := have[k]; ok {
			refs[i] = eventRef{part: p.key, id: id, dup: true}
			continue
		}
		have[k] = w.nextID
		refs[i] = eventRef{part: p.key, id: w.nextID}
		w.nextID++
		w.fresh = append(w.fresh, i)
	}
	return w, nil
}

func (w *partWrite) abort() {
	if !w.closed {
		w.closed = true
		w.tx.Rollback()
		w.p.mu.Unlock()
	}
}

// write compresses and inserts the new events and commits.
func (w *partWrite) write(ctx context.Context) error {
	defer w.abort()
	if len(w.fresh) == 0 {
		return nil
	}
	p, b, s := w.p, w.b, w.s
	bodies := make([][]byte, len(w.fresh))
	for j, i := range w.fresh {
		bodies[j] = b.Events[i].Body
	}
	enc, newDict, newDictID, err := s.encoderFor(ctx, p, w.tx, bodies)
	if err != nil {
		return err
	}
	class := make([]int, len(w.fresh))
	for j, i := range w.fresh {
		class[j] = blockClass(b.Events[i].Resource)
	}
	sizes := [numClasses]int{classBulk: s.opts.BlockEvents, classSmall: s.opts.SmallBlockEvents, classPolicy: 1}
	groups, locs := layoutBlocks(bodies, class, sizes)
	// Bodies compress on the other cores while the rows go in.
	compressed := compressBlocks(enc, bodies, groups)
	strs, err := p.strs.begin(ctx, w.tx)
	if err != nil {
		compressed()
		return wrapWriteErr("prepare strings", err)
	}
	dictID := p.dictID
	if newDict != nil {
		dictID = newDictID
	}
	if err := insertRows(ctx, w.tx, strs, b, w.fresh, w.refs, locs, p.nextBlk); err != nil {
		compressed()
		return err
	}
	blocks := compressed()
	if err := insertBlocks(ctx, w.tx, blocks, p.nextBlk, dictID); err != nil {
		return err
	}
	if err := w.tx.Commit(); err != nil {
		return wrapWriteErr("commit events", err)
	}
	strs.committed()
	p.nextID = w.nextID
	p.nextBlk += int64(len(blocks))
	if newDict != nil {
		if err := p.commitDict(ctx, newDict, newDictID); err != nil {
			return fmt.Errorf("switch dictionary: %w", err)
		}
	}
	return nil
}

// encoderFor returns the encoder for this batch's blocks: the partition's,
// or one with a newly trained dictionary (returned with its id, stored in
// tx). Enough samples start a training in the background.
func (s *Store) encoderFor(ctx context.Context, p *partition, tx *sql.Tx, bodies [][]byte) (*zstd.Encoder, []byte, int64, error) {
	d, id, err := p.trainedDict(ctx, tx)
	if err != nil {
		return nil, nil, 0, err
	}
	if d == nil {
		if p.observe(bodies) {
			p.startTraining()
		}
		return p.enc, nil, 0, nil
	}
	enc, err := newEncoder(d)
	if err != nil {
		return nil, nil, 0, err
	}
	return enc, d, id, nil
}

// block is one compressed run of bodies.
type block struct {
	data []byte
}

// bodyLoc is where a body went: block index (in this batch) and offset.
type bodyLoc struct {
	blk int
	off int
}

// Bodies go into compressed blocks of three sizes, by resource: large ones
// for the high-volume resources (pods, endpoints), small ones for most
// others, and one body per block for policies, whose changelogs read
// hundreds of versions of one object and should decompress nothing else.
const (
	classBulk = iota
	classSmall
	classPolicy
	numClasses
)

var (
	bulkResources = map[string]bool{"pods": true, "endpoints": true, "endpointslices": true, "events": true,
		"leases": true, "nodes": true}
	policyResources = map[string]bool{"networkpolicies": true, "globalnetworkpolicies": true,
		"stagednetworkpolicies": true, "stagedglobalnetworkpolicies": true,
		"stagedkubernetesnetworkpolicies": true, "tiers": true, "networksets": true,
		"globalnetworksets": true, "adminnetworkpolicies": true, "baselineadminnetworkpolicies": true}
)

func blockClass(resource string) int {
	switch {
	case bulkResources[resource]:
		return classBulk
	case policyResources[resource]:
		return classPolicy
	}
	return classSmall
}

// layoutBlocks groups bodies into blocks of their class's size (each class
// in arrival order) and says where each body goes.
func layoutBlocks(bodies [][]byte, class []int, sizes [numClasses]int) ([][]int, []bodyLoc) {
	var groups [][]int
	for c := range numClasses {
		n := max(sizes[c], 1)
		var cur []int
		for i := range bodies {
			if class[i] != c {
				continue
			}
			if cur = append(cur, i); len(cur) == n {
				groups, cur = append(groups, cur), nil
			}
		}
		if len(cur) > 0 {
			groups = append(groups, cur)
		}
	}
	locs := make([]bodyLoc, len(bodies))
	for bi, g := range groups {
		off := 0
		for _, i := range g {
			locs[i] = bodyLoc{blk: bi, off: off}
			off += len(bodies[i])
		}
	}
	return groups, locs
}

// compressBlocks compresses the blocks on every core, in the background;
// the returned function waits for them.
func compressBlocks(enc *zstd.Encoder, bodies [][]byte, groups [][]int) func() []block {
	blocks := make([]block, len(groups))
	var wg sync.WaitGroup
	work := make(chan int, len(groups))
	for bi := range groups {
		work <- bi
	}
	close(work)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var raw []byte
			for bi := range work {
				raw = raw[:0]
				for _, i := range groups[bi] {
					raw = append(raw, bodies[i]...)
				}
				blocks[bi] = block{data: enc.EncodeAll(raw, nil)}
			}
		}()
	}
	return func() []block {
		wg.Wait()
		return blocks
	}
}

const eventCols = 19
const rowsPerInsert = 50

// insertBlocks writes the compressed blocks.
func insertBlocks(ctx context.Context, tx *sql.Tx, blocks []block, firstBlk, dictID int64) error {
	blkStmt, err := tx.PrepareContext(ctx, `INSERT INTO blocks(id, dict, data) VALUES(?, ?, ?)`)
	if err != nil {
		return wrapWriteErr("prepare blocks", err)
	}
	defer blkStmt.Close()
	for bi, blk := range blocks {
		if _, err := blkStmt.ExecContext(ctx, firstBlk+int64(bi), dictID, blk.data); err != nil {
			return wrapWriteErr("insert block", err)
		}
	}
	return nil
}

// insertRows writes the envelope rows of the fresh events.
func insertRows(ctx context.Context, tx *sql.Tx, strs *txInterner, b *store.Batch, fresh []int, refs []eventRef,
	locs []bodyLoc, firstBlk int64) error {
	source, err := strs.id(ctx, b.Source)
	if err != nil {
		return wrapWriteErr("intern source", err)
	}
	full := `INSERT INTO events VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?),", rowsPerInsert), ",")
	fullStmt, err := tx.PrepareContext(ctx, full)
	if err != nil {
		return wrapWriteErr("prepare events", err)
	}
	defer fullStmt.Close()
	args := make([]any, 0, eventCols*rowsPerInsert)
	flush := func(rows int) error {
		if rows == 0 {
			return nil
		}
		var err error
		if rows == rowsPerInsert {
			_, err = fullStmt.ExecContext(ctx, args...)
		} else {
			q := `INSERT INTO events VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?),", rows), ",")
			_, err = tx.ExecContext(ctx, q, args...)
		}
		args = args[:0]
		return wrapWriteErr("insert events", err)
	}
	rows := 0
	for j, i := range fresh {
		ev := &b.Events[i]
		ids, err := internAll(ctx, strs, ev.Cluster, ev.Verb, ev.User, ev.Resource, ev.Subresource, ev.APIGroup, ev.Namespace)
		if err != nil {
			return wrapWriteErr("intern", err)
		}
		loc := locs[j]
		args = append(args, refs[i].id, micros(ev.Time), micros(ev.StageTime)-micros(ev.Time),
			dedupHash(ev.Cluster, ev.AuditID, ev.Stage), auditKey(ev.AuditID),
			stageCodes[ev.Stage], ids[0], source, ids[1], ids[2], ids[3], ids[4], ids[5], ids[6], ev.Name, ev.Code,
			firstBlk+int64(loc.blk), loc.off, len(ev.Body))
		rows++
		if rows == rowsPerInsert {
			if err := flush(rows); err != nil {
				return err
			}
			rows = 0
		}
	}
	return flush(rows)
}

func internAll(ctx context.Context, strs *txInterner, values ...string) ([8]int64, error) { // at most 8 values
	var ids [8]int64
	for i, v := range values {
		id, err := strs.id(ctx, v)
		if err != nil {
			return ids, err
		}
		ids[i] = id
	}
	return ids, nil
}

// appendMeta records versions, rejections, source statistics and the
// checkpoint in one meta transaction.
func (s *Store) appendMeta(ctx context.Context, b *store.Batch, refs []eventRef, stored int, eventsCommitted func() error) (int, error) {
	waited := false
	wait := func() error {
		if waited {
			return nil
		}
		waited = true
		return eventsCommitted()
	}
	defer wait() // never leave the event writes running
	tx, err := s.meta.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrapWriteErr("begin meta transaction", err)
	}
	defer tx.Rollback()
	vw, err := s.newVersionWriter(ctx, tx)
	if err != nil {
		return 0, err
	}
	var newest time.Time
	for i := range b.Events {
		if t := b.Events[i].Time; t.After(newest) {
			newest = t
		}
	}
	versions, err := vw.addAll(ctx, b.Events, refs)
	if err != nil {
		return 0, err
	}
	now := time.Now()
	if err := recordSource(ctx, tx, b, stored, newest, now); err != nil {
		return 0, err
	}
	if b.Checkpoint != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints(source, value, at) VALUES(?, ?, ?)
			ON CONFLICT(source) DO UPDATE SET value = excluded.value, at = excluded.at`, b.Source, b.Checkpoint, micros(now)); err != nil {
			return 0, wrapWriteErr("save checkpoint", err)
		}
	}
	if err := wait(); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, wrapWriteErr("commit meta", err)
	}
	vw.committed()
	return versions, nil
}

// recordSource updates the per-source counters and keeps the rejections.
func recordSource(ctx context.Context, tx *sql.Tx, b *store.Batch, stored int, newest, now time.Time) error {
	if b.Source == "" {
		return nil
	}
	var last int64
	if !newest.IsZero() {
		last = micros(newest)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sources(source, events, last_event, last_ingest) VALUES(?, ?, ?, ?)
		ON CONFLICT(source) DO UPDATE SET events = events + excluded.events,
		last_event = max(last_event, excluded.last_event), last_ingest = excluded.last_ingest`,
		b.Source, stored, last, micros(now)); err != nil {
		return wrapWriteErr("update source", err)
	}
	for _, r := range b.Rejects {
		at := r.At
		if at.IsZero() {
			at = now
		}
		src := r.Source
		if src == "" {
			src = b.Source
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rejects(source, location, reason, message, at) VALUES(?, ?, ?, ?, ?)`,
			src, r.Location, string(r.Reason), r.Message, micros(at)); err != nil {
			return wrapWriteErr("record rejection", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reject_counts(source, reason, n) VALUES(?, ?, 1)
			ON CONFLICT(source, reason) DO UPDATE SET n = n + 1`, src, string(r.Reason)); err != nil {
			return wrapWriteErr("count rejection", err)
		}
	}
	return nil
}

// Checkpoint returns the last checkpoint committed for a source, or nil.
func (s *Store) Checkpoint(ctx context.Context, source string) ([]byte, error) {
	var v []byte
	err := s.meta.r.QueryRowContext(ctx, `SELECT value FROM checkpoints WHERE source = ?`, source).Scan(&v)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", source, err)
	}
	return v, nil
}
