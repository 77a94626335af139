// Package schedule runs the report jobs of GlobalReports: it turns each
// report's cron schedule into report intervals, runs one job per interval
// in-process, retries failed jobs, and keeps the report's status (active
// jobs, the last scheduled job, and a short history of successful and
// failed jobs).
//
// # Intervals
//
// Every tick of a schedule ends one report interval and starts the next.
// The first report of a GlobalReport runs from its creation time to the
// first tick; each later one covers one cron interval. The job for an
// interval [start, end] starts once end+JobStartDelay has passed, so that
// late audit events are in the store before the report reads them.
// Intervals that ended before now-CatchUpWindow are skipped: after a long
// outage or suspension the scheduler resumes at the first tick inside the
// window and catches up only the recent past. The interval due next is
// never skipped while its end lies inside the window, even when it started
// long before, so schedules with intervals longer than the window (weekly,
// monthly) keep running.
//
// At most MaxActiveJobs jobs of one report run at a time; the rest wait in
// order. A suspended report starts no new jobs (running ones finish), and a
// report with an empty schedule never starts any.
//
// # Restarts
//
// The scheduler keeps no state of its own beyond what it writes into the
// GlobalReport status through [Reports]. A job is recorded as active, and
// that record persisted, before the job starts. A job that is active in
// the status but not running in this process (because the previous process
// stopped while it ran) is run again for the same interval under the same
// job name, even when the report has been suspended since. Report runs are
// idempotent per (report, start, end), so a job repeated after a crash
// replaces its own output. A job's result is kept in memory until the
// status records it: a failed status update delays the record but does not
// lose it. Retry counts are not persisted; a job re-run after a restart
// starts with a fresh set of retries.
//
// Manual report runs do not pass through the scheduler and do not appear
// in the status.
package schedule
