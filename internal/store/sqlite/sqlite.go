package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver

	"github.com/evident-dev/evident/internal/store"
)

// Options configure a Store.
type Options struct {
	// Dir is the data directory; it is created if missing.
	Dir string
	// BlockEvents is how many bodies of high-volume resources (pods,
	// endpoints) share one compressed block (default 32); SmallBlockEvents
	// is the same for most other resources (default 8), whose per-object
	// histories are read more often. Policy bodies always get a block of
	// their own, so a changelog decompresses only what it shows. Larger
	// blocks compress better and read slower.
	BlockEvents      int
	SmallBlockEvents int
	// NoSync commits without waiting for the disk (tests and benchmarks
	// only: a power loss may lose the newest batches, never corrupt).
	NoSync bool
	// ReadOnly opens for queries only.
	ReadOnly bool
}

// Store is the embedded SQLite backend: a meta database plus one event
// database per calendar month (UTC).
type Store struct {
	opts Options
	meta *db

	writeMu sync.Mutex // one Append at a time
	mu      sync.RWMutex
	parts   map[int]*partition // by month key yyyymm
	closed  bool

	metaStrs *interner
	latest   *latestCache
	blocks   *blockCache
}

var _ store.Store = (*Store)(nil)

// schemaVersion is bumped on incompatible changes to the files' layout.
const schemaVersion = 1

// db is a database file with a single-connection write handle and a
// pooled read handle.
type db struct {
	path string
	w    *sql.DB
	r    *sql.DB
}

func openDB(path string, opts Options) (*db, error) {
	sync := "FULL"
	if opts.NoSync {
		sync = "OFF"
	}
	// Page caches: 8 MB for the writer, 2 MB for each reader. Larger ones
	// cost memory (the ingest budget is 400 MB for the whole process)
	// without measurably faster ingest or queries: the OS caches the files.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")" +
		"&_pragma=temp_store(MEMORY)&_txlock=immediate"
	d := &db{path: path}
	var err error
	if !opts.ReadOnly {
		if d.w, err = sql.Open("sqlite", dsn+"&_pragma=cache_size(-8000)"); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		d.w.SetMaxOpenConns(1)
		d.w.SetConnMaxLifetime(0)
		d.w.SetMaxIdleConns(1)
	}
	if d.r, err = sql.Open("sqlite", dsn+"&_pragma=cache_size(-2000)&mode=ro"); err != nil {
		d.close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d.r.SetMaxOpenConns(8)
	d.r.SetMaxIdleConns(4)
	return d, nil
}

func (d *db) close() error {
	var errs []error
	if d.w != nil {
		// Fold the write-ahead log into the database and truncate it, so
		// a closed store is its database files alone.
		_, err := d.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		errs = append(errs, err, d.w.Close())
	}
	if d.r != nil {
		errs = append(errs, d.r.Close())
	}
	return errors.Join(errs...)
}

// Open opens (creating if needed) the store in opts.Dir.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("open store: no data directory given")
	}
	if opts.BlockEvents <= 0 {
		opts.BlockEvents = 32
	}
	if opts.SmallBlockEvents <= 0 {
		opts.SmallBlockEvents = 8
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, "events"), 0o750); err != nil && !opts.ReadOnly {
		return nil, fmt.Errorf("open store: %w", err)
	}
	metaPath := filepath.Join(opts.Dir, "meta.db")
	if opts.ReadOnly {
		if _, err := os.Stat(metaPath); err != nil {
			return nil, fmt.Errorf("open store %s: no data yet (%w)", opts.Dir, err)
		}
	}
	meta, err := openDB(metaPath, opts)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{opts: opts, meta: meta, parts: map[int]*partition{},
		latest: newLatestCache(200_000), blocks: newBlockCache(256)}
	if !opts.ReadOnly {
		if err := migrateMeta(ctx, meta.w); err != nil {
			meta.close()
			return nil, fmt.Errorf("open store %s: %w", opts.Dir, err)
		}
	}
	s.metaStrs = newInterner(meta, 50_000)
	if err := s.loadPartitions(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// loadPartitions opens the monthly event files already in the directory.
func (s *Store) loadPartitions(ctx context.Context) error {
	names, err := filepath.Glob(filepath.Join(s.opts.Dir, "events", "*.db"))
	if err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	for _, name := range names {
		key, ok := parsePartitionName(filepath.Base(name))
		if !ok {
			continue
		}
		if _, err := s.partition(ctx, key, false); err != nil {
			return err
		}
	}
	return nil
}

// partition returns the open partition for a month key, opening or (with
// create) creating its file.
func (s *Store) partition(ctx context.Context, key int, create bool) (*partition, error) {
	s.mu.RLock()
	p, ok := s.parts[key]
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return nil, store.ErrClosed
	}
	if ok {
		return p, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.parts[key]; ok {
		return p, nil
	}
	path := filepath.Join(s.opts.Dir, "events", partitionName(key))
	if !create {
		if _, err := os.Stat(path); err != nil {
			return nil, nil
		}
	}
	p, err := openPartition(ctx, key, path, s.opts)
	if err != nil {
		return nil, err
	}
	// Versions may outlive their partition (retention keeps current ones):
	// a recreated month must not reuse their event ids.
	lo := versionID(key, 0)
	var maxID int64
	if err := s.meta.r.QueryRowContext(ctx, `SELECT coalesce(max(id), ?) FROM versions WHERE id >= ? AND id < ?`,
		lo, lo, versionID(key+1, 0)).Scan(&maxID); err != nil {
		p.close()
		return nil, fmt.Errorf("open partition %s: %w", partitionName(key), err)
	}
	p.nextID = max(p.nextID, maxID-lo+1)
	s.parts[key] = p
	return p, nil
}

// sortedPartitions returns the open partitions, newest first.
func (s *Store) sortedPartitions() []*partition {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*partition, 0, len(s.parts))
	for _, p := range s.parts {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key > out[j].key })
	return out
}

// Close closes every file. Appends in flight finish first.
func (s *Store) Close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, p := range s.parts {
		errs = append(errs, p.close())
	}
	errs = append(errs, s.meta.close())
	return errors.Join(errs...)
}

// monthKey is the partition key (yyyymm) of a time.
func monthKey(t time.Time) int {
	t = t.UTC()
	return t.Year()*100 + int(t.Month())
}

func monthStart(key int) time.Time {
	return time.Date(key/100, time.Month(key%100), 1, 0, 0, 0, 0, time.UTC)
}

func partitionName(key int) string { return fmt.Sprintf("%04d-%02d.db", key/100, key%100) }

func parsePartitionName(name string) (int, bool) {
	var y, m int
	if n, err := fmt.Sscanf(strings.TrimSuffix(name, ".db"), "%04d-%02d", &y, &m); n != 2 || err != nil || m < 1 || m > 12 {
		return 0, false
	}
	return y*100 + m, partitionName(y*100+m) == name
}

// micros converts a time to the stored integer form.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// wrapWriteErr maps SQLite's "cannot write" conditions to ErrUnavailable.
func wrapWriteErr(op string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range []string{"SQLITE_FULL", "database or disk is full", "readonly", "SQLITE_IOERR", "disk I/O error", "SQLITE_BUSY", "database is locked"} {
		if strings.Contains(msg, s) {
			return fmt.Errorf("%s: %w: %v", op, store.ErrUnavailable, err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}
