package schedule

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	v1 "github.com/evident-dev/evident/api/v1"
)

// JobNamePrefix starts the name of every report job.
const JobNamePrefix = "evident-report."

// maxJobNameLen is the longest job name; longer names are shortened with a
// hash so that they stay unique.
const maxJobNameLen = 63

// Interval is the time range [Start, End] one report covers.
type Interval struct {
	Start time.Time
	End   time.Time
}

// JobName is the name of the job that produces report's report for the
// interval ending at end: JobNamePrefix, the report name, "-" and end in
// Unix seconds. A name longer than 63 characters keeps its first 55,
// followed by "-" and 7 characters of a hash of the whole name.
func JobName(report string, end time.Time) string {
	name := JobNamePrefix + report + "-" + strconv.FormatInt(end.Unix(), 10)
	if len(name) <= maxJobNameLen {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	h := strings.ToLower(base32.HexEncoding.WithPadding('Z').EncodeToString(sum[:]))
	return name[:maxJobNameLen-8] + "-" + h[:7]
}

// NextIntervals returns the intervals whose jobs are due at now, oldest
// first: those not yet scheduled whose end plus the job start delay has
// passed, no older than the catch-up window, and no more than the free
// job slots of the report allow. It returns none for a report that is
// suspended, being deleted, or has an empty or invalid schedule.
func NextIntervals(report *v1.GlobalReport, now time.Time, opts Options) []Interval {
	ivs, _ := nextIntervals(report, now, opts.withDefaults())
	return ivs
}

// NextRun returns when the next job of report becomes due: the end of the
// first interval not yet scheduled plus the job start delay. A time not
// after now means the job is due and waits for a free slot or the next
// poll. ok is false when no job will start: the report is suspended, being
// deleted, its schedule is empty or invalid, or it never fires again.
func NextRun(report *v1.GlobalReport, now time.Time, opts Options) (time.Time, bool) {
	o := opts.withDefaults()
	sched, err := parse(report)
	if sched == nil || err != nil || !schedulable(report) {
		return time.Time{}, false
	}
	latest := startingPoint(report, sched, now, o)
	if latest.IsZero() {
		return time.Time{}, false
	}
	end := sched.Next(latest.In(o.Location))
	if end.IsZero() {
		return time.Time{}, false
	}
	return end.Add(o.JobStartDelay).UTC(), true
}

// nextIntervals is NextIntervals with defaults applied that also reports
// an invalid schedule.
func nextIntervals(r *v1.GlobalReport, now time.Time, o Options) ([]Interval, error) {
	if !schedulable(r) {
		return nil, nil
	}
	slots := o.MaxActiveJobs - len(r.Status.ActiveReportJobs)
	if slots <= 0 {
		return nil, nil
	}
	sched, err := parse(r)
	if sched == nil || err != nil {
		return nil, err
	}
	latest := startingPoint(r, sched, now, o)
	var out []Interval
	for len(out) < slots && !latest.IsZero() {
		end := sched.Next(latest.In(o.Location))
		if end.IsZero() || !now.After(end.Add(o.JobStartDelay)) {
			break
		}
		out = append(out, Interval{Start: latest.UTC(), End: end.UTC()})
		latest = end
	}
	return out, nil
}

// schedulable reports whether r may start new jobs at all.
func schedulable(r *v1.GlobalReport) bool {
	suspended := r.Spec.Suspend != nil && *r.Spec.Suspend
	return !suspended && r.DeletionTimestamp == nil && strings.TrimSpace(r.Spec.Schedule) != ""
}

// parse parses r's schedule; it returns nil and no error for an empty one.
func parse(r *v1.GlobalReport) (cron.Schedule, error) {
	if strings.TrimSpace(r.Spec.Schedule) == "" {
		return nil, nil
	}
	sched, err := v1.ParseSchedule(r.Spec.Schedule)
	if err != nil {
		return nil, fmt.Errorf("globalreport %s: schedule %q: %w", r.Name, r.Spec.Schedule, err)
	}
	return sched, nil
}

// startingPoint is where the next interval of r starts: the end of the last
// scheduled job, or the creation of r when none has been scheduled. When
// the interval starting there ended before the catch-up window, the
// intervals up to the first tick inside the window are skipped. An
// interval that started before the window but ends inside it is kept, so
// that weekly and monthly reports, whose intervals are longer than the
// window, still run. It is the zero time when the schedule never fires
// again.
func startingPoint(r *v1.GlobalReport, sched cron.Schedule, now time.Time, o Options) time.Time {
	latest := r.CreationTimestamp.Time.Truncate(time.Second)
	if last := r.Status.LastScheduledReportJob; last != nil {
		latest = last.End.Time
	}
	floor := now.Add(-o.CatchUpWindow)
	if !latest.Before(floor) {
		return latest
	}
	if end := sched.Next(latest.In(o.Location)); end.IsZero() || end.Before(floor) {
		latest = sched.Next(floor.In(o.Location))
	}
	return latest
}
