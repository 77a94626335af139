// Package store defines what Evident keeps and how it is asked for it: the
// [Store] contract that every backend implements, the query and result
// types, the condition tree the query DSL compiles to, and the sentinel
// errors callers test with errors.Is.
//
// Backends live in sub-packages (store/sqlite is the embedded default);
// store/storetest is the conformance suite they all pass.
//
// # Guarantees
//
//   - Events are unique by (cluster, auditID, stage): appending an event
//     twice stores it once and counts it as a duplicate.
//   - A batch's checkpoint is committed with its events, never before them.
//   - Object versions are ordered by the time their write took effect, not by
//     arrival: a late event slots into its place.
package store
