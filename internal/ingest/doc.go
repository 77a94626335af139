// Package ingest moves audit events from their sources into the store: bulk
// import of files and streams, tailing a live audit log across rotations,
// and the kube-apiserver audit webhook receiver.
//
// # Guarantees
//
// A source acknowledges input only after the store has committed it: a
// file's checkpoint is committed with the batch it follows, and the webhook
// answers 200 only once its batch is stored. Restarting a source resumes
// from its checkpoint; anything read twice is recognised as a duplicate by
// the store, so no event is lost and none is stored twice.
//
// Bad input never stops a source: each malformed, truncated, oversized or
// invalid line is counted by reason, stored as a rejection with its location
// (file:line), and the good lines around it are stored.
//
// # Throughput
//
// Lines are read in chunks, decoded on every core, re-ordered, and
// committed in large batches (10,000 events) while the next chunks decode.
// The webhook merges batches that arrive together into one transaction.
package ingest
