package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// metaSchema is the meta database: everything but event rows and bodies.
//
// versions: one row per object version. A version recorded by an event has
// the id part<<36 | eid, so it is unique by that event without an index of
// its own; versions implied by a namespace's deletion have ids from
// cascadeIDBase up. uid holds a UUID in 16 bytes (see auditKey); the audit
// ID is the event's. "t" is when the write took effect
// and "until" when the next version (or a deletion) replaced it
// (maxUntil while current), so "alive at T" is an index range on until.
// The object body stays in the event that recorded it (part, eid); "obj"
// holds it only once that event's partition has been dropped.
const metaSchema = `
CREATE TABLE IF NOT EXISTS info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS strs(id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS checkpoints(source TEXT PRIMARY KEY, value BLOB NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sources(
	source TEXT PRIMARY KEY,
	events INTEGER NOT NULL DEFAULT 0,
	last_event INTEGER NOT NULL DEFAULT 0,
	last_ingest INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reject_counts(source TEXT NOT NULL, reason TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(source, reason));
CREATE TABLE IF NOT EXISTS rejects(
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL, location TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL, at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rejects_at ON rejects(at);
CREATE TABLE IF NOT EXISTS versions(
	id INTEGER PRIMARY KEY,
	cluster INTEGER NOT NULL,
	kind INTEGER NOT NULL,
	ns INTEGER NOT NULL,
	name TEXT NOT NULL,
	uid BLOB NOT NULL,
	rv TEXT NOT NULL,
	t INTEGER NOT NULL,
	until INTEGER NOT NULL,
	verb INTEGER NOT NULL,
	user INTEGER NOT NULL,
	code INTEGER NOT NULL,
	deleted INTEGER NOT NULL,
	origin INTEGER NOT NULL,
	first INTEGER NOT NULL,
	part INTEGER NOT NULL,
	eid INTEGER NOT NULL,
	obj BLOB
);
CREATE INDEX IF NOT EXISTS versions_obj ON versions(cluster, kind, ns, name, t);
DROP INDEX IF EXISTS versions_until;
CREATE INDEX IF NOT EXISTS versions_alive ON versions(until) WHERE deleted = 0;
CREATE INDEX IF NOT EXISTS versions_t ON versions(t);
CREATE TABLE IF NOT EXISTS resources(
	kind TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, body BLOB NOT NULL,
	PRIMARY KEY(kind, name)
);
CREATE TABLE IF NOT EXISTS reports(
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL, type TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, generated INTEGER NOT NULL,
	summary TEXT NOT NULL, data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_name ON reports(name, end);
CREATE TABLE IF NOT EXISTS baselines(
	id INTEGER PRIMARY KEY,
	cluster TEXT NOT NULL, kind TEXT NOT NULL, t INTEGER NOT NULL, source TEXT NOT NULL,
	objects INTEGER NOT NULL, imported INTEGER NOT NULL
);
`

// partitionSchema is one month of events.
//
// events: the indexed envelope. h is a 64-bit hash of (cluster, auditID,
// stage): duplicates are found through its index and confirmed on the row. Low-cardinality text (verb, user, resource,
// namespace...) is interned in strs; names, mostly unique, are not. The body is
// bytes [off, off+len) of block blk once decompressed.
const partitionSchema = `
CREATE TABLE IF NOT EXISTS info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS strs(id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS dicts(id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blocks(id INTEGER PRIMARY KEY, dict INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS events(
	id INTEGER PRIMARY KEY,
	ts INTEGER NOT NULL,
	sts INTEGER NOT NULL,
	h INTEGER NOT NULL,
	aid BLOB NOT NULL,
	stage INTEGER NOT NULL,
	cluster INTEGER NOT NULL,
	source INTEGER NOT NULL,
	verb INTEGER NOT NULL,
	user INTEGER NOT NULL,
	res INTEGER NOT NULL,
	sub INTEGER NOT NULL,
	grp INTEGER NOT NULL,
	ns INTEGER NOT NULL,
	name TEXT NOT NULL,
	code INTEGER NOT NULL,
	blk INTEGER NOT NULL,
	off INTEGER NOT NULL,
	len INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_dedup ON events(h);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
CREATE INDEX IF NOT EXISTS events_res ON events(res, ts);
CREATE INDEX IF NOT EXISTS events_ns ON events(ns, ts);
CREATE INDEX IF NOT EXISTS events_name ON events(name, ts);
CREATE INDEX IF NOT EXISTS events_user ON events(user, ts);
`

// cascadeIDBase is where the ids of versions without an event of their
// own (namespace cascades, baselines) start (above every part<<36 | eid).
const cascadeIDBase = int64(1) << 62

// The origins of a version.
const (
	originEvent    = 0 // an audit event
	originCascade  = 1 // the deletion of its namespace
	originBaseline = 2 // an imported baseline snapshot
)

// versionID is the id of the version an event recorded.
func versionID(part int, eid int64) int64 { return int64(part)<<36 | eid }

// maxUntil marks a version that is still current.
const maxUntil = int64(1<<63 - 1)

func migrate(ctx context.Context, w *sql.DB, schema, kind string) error {
	if _, err := w.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create %s schema: %w", kind, err)
	}
	var v string
	err := w.QueryRowContext(ctx, `SELECT value FROM info WHERE key = 'schema'`).Scan(&v)
	switch {
	case err == sql.ErrNoRows:
		_, err = w.ExecContext(ctx, `INSERT INTO info(key, value) VALUES('schema', ?)`, fmt.Sprint(schemaVersion))
		return err
	case err != nil:
		return fmt.Errorf("read %s schema version: %w", kind, err)
	case v != fmt.Sprint(schemaVersion):
		return fmt.Errorf("%s schema version is %s; this build reads version %d", kind, v, schemaVersion)
	}
	return nil
}

func migrateMeta(ctx context.Context, w *sql.DB) error { return migrate(ctx, w, metaSchema, "meta") }
