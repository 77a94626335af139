// Package sqlite is Evident's embedded store: SQLite in WAL mode, through
// the pure-Go modernc.org/sqlite driver, so the binary needs no C compiler.
//
// # Layout
//
// A data directory holds meta.db (object versions, checkpoints, source
// statistics, rejections) and events/YYYY-MM.db, one file per calendar month
// (UTC) of event time. Retention deletes whole month files.
//
// # Events
//
// Each event is an envelope row (time, verb, user, resource, namespace,
// name, response code, ...) with repeated strings interned per month, five
// indexes for the timeline filters, and a unique index on
// (auditID, stage, cluster) for de-duplication. Bodies are stored exactly as
// received, concatenated into small blocks (16 events by default) that are
// zstd-compressed with a dictionary trained on the month's first events:
// small blocks keep a single event cheap to read, the dictionary recovers
// most of the ratio larger blocks would give.
//
// # Versions
//
// A version row records when an object's write took effect and when the
// next one replaced it, so "alive at T" and "changed in (a, b]" are index
// ranges. The object body is not copied: it is read back from the event's
// responseObject. When retention drops a month, versions still current at
// the cutoff get a compressed copy of their object first.
//
// # Caveats
//
// One process writes at a time (Append holds a lock; a second process
// waits on SQLite's busy timeout). Batches are committed month file first,
// meta last: after a crash between the two, re-sending the batch stores the
// missing versions and checkpoint, and counts the events as duplicates.
package sqlite
