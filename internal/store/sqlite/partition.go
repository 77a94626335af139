package sqlite

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/zstd"
)

// partition is one month of events in its own database file.
type partition struct {
	key  int
	db   *db
	strs *interner

	mu       sync.Mutex
	nextID   int64 // next event rowid (the single writer assigns them)
	nextBlk  int64
	dictID   int64 // 0 until a dictionary has been trained
	enc      *zstd.Encoder
	dec      *zstd.Decoder
	samples  [][]byte // bodies kept to train the dictionary
	sampleSz int
	training chan trained // set while a dictionary is trained in the background
}

// trained is the outcome of a background dictionary training.
type trained struct {
	dict []byte
	id   int64
	err  error
}

// compressionLevel trades ingest CPU for disk: "better" (about zstd level
// 7) stores audit events ~13% smaller than the default level.
const compressionLevel = zstd.SpeedBetterCompression

// newEncoder makes a block encoder. Blocks are at most a few hundred KB, so
// a 1 MiB window loses nothing and keeps each encoder's tables small (the
// library's default 8 MiB window costs tens of MB of heap per partition).
func newEncoder(dict []byte) (*zstd.Encoder, error) {
	opts := []zstd.EOption{zstd.WithEncoderLevel(compressionLevel), zstd.WithEncoderCRC(false),
		zstd.WithWindowSize(1 << 20)}
	if dict != nil {
		opts = append(opts, zstd.WithEncoderDict(dict))
	}
	enc, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		return nil, fmt.Errorf("create encoder: %w", err)
	}
	return enc, nil
}

// Dictionary training: once this many bodies (or bytes) have been seen in
// a partition, a zstd dictionary is trained from them in the background
// and used for every block of the partition written after it is ready.
const (
	dictSamples    = 2000
	dictSampleSize = 8 << 20
	dictMaxSize    = 64 << 10
)

func openPartition(ctx context.Context, key int, path string, opts Options) (*partition, error) {
	_, statErr := os.Stat(path)
	d, err := openDB(path, opts)
	if err != nil {
		return nil, err
	}
	p := &partition{key: key, db: d}
	if !opts.ReadOnly {
		if err := migrate(ctx, d.w, partitionSchema, "partition "+partitionName(key)); err != nil {
			d.close()
			return nil, fmt.Errorf("open partition: %w", err)
		}
	} else if statErr != nil {
		d.close()
		return nil, fmt.Errorf("open partition %s: %w", path, statErr)
	}
	p.strs = newInterner(d, 100_000)
	if err := p.load(ctx); err != nil {
		d.close()
		return nil, err
	}
	return p, nil
}

// load reads the partition's counters and dictionaries.
func (p *partition) load(ctx context.Context) error {
	if err := p.db.r.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM events`).Scan(&p.nextID); err != nil {
		return fmt.Errorf("open partition %d: %w", p.key, err)
	}
	if err := p.db.r.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM blocks`).Scan(&p.nextBlk); err != nil {
		return fmt.Errorf("open partition %d: %w", p.key, err)
	}
	rows, err := p.db.r.QueryContext(ctx, `SELECT id, data FROM dicts ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read dictionaries: %w", err)
	}
	defer rows.Close()
	var dicts [][]byte
	for rows.Next() {
		var id int64
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return fmt.Errorf("read dictionaries: %w", err)
		}
		dicts = append(dicts, data)
		p.dictID = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read dictionaries: %w", err)
	}
	return p.setCodecs(dicts)
}

// setCodecs builds the encoder for the newest dictionary (none if there is
// none yet) and a decoder that knows every dictionary.
func (p *partition) setCodecs(dicts [][]byte) error {
	var last []byte
	if len(dicts) > 0 {
		last = dicts[len(dicts)-1]
	}
	enc, err := newEncoder(last)
	if err != nil {
		return err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderDicts(dicts...), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		return fmt.Errorf("create decoder: %w", err)
	}
	if p.enc != nil {
		p.enc.Close()
		p.dec.Close()
	}
	p.enc, p.dec = enc, dec
	return nil
}

// observe keeps sample bodies until the dictionary is trained. It reports
// whether enough have been seen to train one.
func (p *partition) observe(bodies [][]byte) bool {
	if p.dictID != 0 || p.training != nil {
		return false
	}
	for _, b := range bodies {
		if len(p.samples) >= dictSamples || p.sampleSz >= dictSampleSize {
			break
		}
		p.samples = append(p.samples, b)
		p.sampleSz += len(b)
	}
	return len(p.samples) >= dictSamples || p.sampleSz >= dictSampleSize
}

// startTraining trains a dictionary from the samples on another goroutine
// (about a second of CPU): writes go on, compressed without it, and pick
// it up when it is ready (trainedDict).
func (p *partition) startTraining() {
	samples, id := p.samples, p.dictID+1
	p.samples, p.sampleSz = nil, 0
	ch := make(chan trained, 1)
	p.training = ch
	go func() {
		d, err := dict.BuildZstdDict(samples, dict.Options{MaxDictSize: dictMaxSize, HashBytes: 6,
			ZstdDictID: uint32(id), ZstdLevel: compressionLevel})
		ch <- trained{dict: d, id: id, err: err}
	}()
}

// trainedDict returns the background training's dictionary once it is
// ready, after storing it in tx; the codecs switch to it only after the
// transaction commits (commitDict). A failed training starts sampling
// again: the partition's blocks stay readable, only less compressed.
func (p *partition) trainedDict(ctx context.Context, tx *sql.Tx) ([]byte, int64, error) {
	if p.training == nil {
		return nil, 0, nil
	}
	var t trained
	select {
	case t = <-p.training:
	default:
		return nil, 0, nil
	}
	p.training = nil
	if t.err != nil {
		return nil, 0, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO dicts(id, data) VALUES(?, ?)`, t.id, t.dict); err != nil {
		return nil, 0, fmt.Errorf("store dictionary: %w", err)
	}
	return t.dict, t.id, nil
}

func (p *partition) commitDict(ctx context.Context, d []byte, id int64) error {
	rows, err := p.db.w.QueryContext(ctx, `SELECT data FROM dicts ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read dictionaries: %w", err)
	}
	defer rows.Close()
	var dicts [][]byte
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return err
		}
		dicts = append(dicts, data)
	}
	if err := p.setCodecs(dicts); err != nil {
		return err
	}
	p.dictID = id
	return nil
}

func (p *partition) close() error {
	if p.enc != nil {
		p.enc.Close()
		p.dec.Close()
	}
	return p.db.close()
}

// interner maps strings to small integers through a strs table, with a
// bounded in-memory cache. The empty string is 0 and has no row.
type interner struct {
	d   *db
	max int

	mu   sync.RWMutex
	ids  map[string]int64
	strs map[int64]string
}

func newInterner(d *db, max int) *interner {
	return &interner{d: d, max: max, ids: map[string]int64{}, strs: map[int64]string{}}
}

func (in *interner) remember(s string, id int64) {
	in.mu.Lock()
	if len(in.ids) >= in.max {
		in.ids, in.strs = map[string]int64{}, map[int64]string{}
	}
	in.ids[s], in.strs[id] = id, s
	in.mu.Unlock()
}

// txInterner interns within a write transaction; new strings become
// visible to the cache only after commit.
type txInterner struct {
	in      *interner
	tx      *sql.Tx
	pending map[string]int64
	lookup  *sql.Stmt
	insert  *sql.Stmt
}

func (in *interner) begin(ctx context.Context, tx *sql.Tx) (*txInterner, error) {
	lookup, err := tx.PrepareContext(ctx, `SELECT id FROM strs WHERE s = ?`)
	if err != nil {
		return nil, err
	}
	insert, err := tx.PrepareContext(ctx, `INSERT INTO strs(s) VALUES(?) RETURNING id`)
	if err != nil {
		return nil, err
	}
	return &txInterner{in: in, tx: tx, pending: map[string]int64{}, lookup: lookup, insert: insert}, nil
}

func (t *txInterner) id(ctx context.Context, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t.in.mu.RLock()
	id, ok := t.in.ids[s]
	t.in.mu.RUnlock()
	if ok {
		return id, nil
	}
	if id, ok := t.pending[s]; ok {
		return id, nil
	}
	err := t.lookup.QueryRowContext(ctx, s).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = t.insert.QueryRowContext(ctx, s).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("intern %q: %w", s, err)
	}
	t.pending[s] = id
	return id, nil
}

// committed publishes the transaction's new strings to the cache.
func (t *txInterner) committed() {
	for s, id := range t.pending {
		t.in.remember(s, id)
	}
}

// lookupID finds a string's id without creating it.
func (in *interner) lookupID(ctx context.Context, s string) (int64, bool, error) {
	if s == "" {
		return 0, true, nil
	}
	in.mu.RLock()
	id, ok := in.ids[s]
	in.mu.RUnlock()
	if ok {
		return id, true, nil
	}
	err := in.d.r.QueryRowContext(ctx, `SELECT id FROM strs WHERE s = ?`, s).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up %q: %w", s, err)
	}
	in.remember(s, id)
	return id, true, nil
}

// str returns the string for an id.
func (in *interner) str(ctx context.Context, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	in.mu.RLock()
	s, ok := in.strs[id]
	in.mu.RUnlock()
	if ok {
		return s, nil
	}
	if err := in.d.r.QueryRowContext(ctx, `SELECT s FROM strs WHERE id = ?`, id).Scan(&s); err != nil {
		return "", fmt.Errorf("read string %d: %w", id, err)
	}
	in.remember(s, id)
	return s, nil
}

// glob returns the ids of every string matching a wildcard pattern
// (* and ?, everything else literal).
func (in *interner) glob(ctx context.Context, pattern string) ([]int64, error) {
	rows, err := in.d.r.QueryContext(ctx, `SELECT id FROM strs WHERE s GLOB ?`, sqlGlob(pattern))
	if err != nil {
		return nil, fmt.Errorf("match %q: %w", pattern, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// sqlGlob escapes the characters GLOB treats specially beyond * and ?.
func sqlGlob(p string) string {
	out := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[':
			out = append(out, "[[]"...)
		case ']':
			out = append(out, "[]]"...)
		default:
			out = append(out, p[i])
		}
	}
	return string(out)
}

// blockCache keeps recently decompressed blocks.
type blockCache struct {
	mu    sync.Mutex
	max   int
	order *list.List
	items map[blockKey]*list.Element
}

type blockKey struct {
	part int
	blk  int64
}

type blockEntry struct {
	key  blockKey
	data []byte
}

func newBlockCache(max int) *blockCache {
	return &blockCache{max: max, order: list.New(), items: map[blockKey]*list.Element{}}
}

func (c *blockCache) get(k blockKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*blockEntry).data, true
	}
	return nil, false
}

func (c *blockCache) put(k blockKey, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.order.PushFront(&blockEntry{k, data})
	for c.order.Len() > c.max {
		e := c.order.Back()
		c.order.Remove(e)
		delete(c.items, e.Value.(*blockEntry).key)
	}
}

// dropPartition forgets every cached block of a partition.
func (c *blockCache) dropPartition(part int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.items {
		if k.part == part {
			c.order.Remove(e)
			delete(c.items, k)
		}
	}
}
