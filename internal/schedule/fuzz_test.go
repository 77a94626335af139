package schedule

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/evident-dev/evident/api/v1"
)

// FuzzNextIntervals checks the invariants of the intervals computed for
// arbitrary schedules, creation times, last jobs and clocks.
func FuzzNextIntervals(f *testing.F) {
	for _, s := range []string{
		"0 0 * * 0", "0 0 * * *", "0 * * * *", "0 0 1 * *", "@daily", "@every 45m",
		"CRON_TZ=Europe/Berlin 30 2 * * *", "0,30 9-17 * * 1-5", "0 0 30 2 *", "", "junk",
	} {
		f.Add(s, int64(0), int64(-1), int64(40*24*3600), uint8(0), int64(30), int64(168))
		f.Add(s, int64(3*3600+17), int64(20*24*3600), int64(21*24*3600+1800), uint8(2), int64(0), int64(24))
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const span = 400 * 24 * 3600 // seconds
	f.Fuzz(func(t *testing.T, schedule string, created, lastEnd, now int64, active uint8, delayMin, windowH int64) {
		clamp := func(v, lo, hi int64) int64 { return lo + ((v%(hi-lo+1))+(hi-lo+1))%(hi-lo+1) }
		r := newReport("r", schedule, base.Add(time.Duration(clamp(created, 0, span))*time.Second))
		if lastEnd >= 0 {
			end := base.Add(time.Duration(clamp(lastEnd, 0, span)) * time.Second)
			r.Status.LastScheduledReportJob = &v1.ReportJob{Start: metav1.NewTime(end.Add(-time.Hour)), End: metav1.NewTime(end)}
		}
		for i := range int(active % 8) {
			r.Status.ActiveReportJobs = append(r.Status.ActiveReportJobs, newJob("r", Interval{End: base.Add(time.Duration(i) * time.Hour)}))
		}
		o := Options{
			JobStartDelay: time.Duration(clamp(delayMin, 1, 24*60)) * time.Minute,
			CatchUpWindow: time.Duration(clamp(windowH, 1, 24*60)) * time.Hour,
		}
		at := base.Add(time.Duration(clamp(now, 0, 2*span)) * time.Second)

		ivs := NextIntervals(r, at, o)
		slots := DefaultMaxActiveJobs - int(active%8)
		if len(ivs) > max(slots, 0) {
			t.Fatalf("%d intervals with %d free slots", len(ivs), slots)
		}
		floor := at.Add(-o.CatchUpWindow)
		for i, iv := range ivs {
			if !iv.Start.Before(iv.End) {
				t.Errorf("interval %d: start %s is not before end %s", i, iv.Start, iv.End)
			}
			if !at.After(iv.End.Add(o.JobStartDelay)) {
				t.Errorf("interval %d ending %s is not due at %s", i, iv.End, at)
			}
			if iv.End.Before(floor) {
				t.Errorf("interval %d ending %s lies before the catch-up window (%s)", i, iv.End, floor)
			}
			if i > 0 && !iv.Start.Equal(ivs[i-1].End) {
				t.Errorf("interval %d starts at %s, not at the end of the one before (%s)", i, iv.Start, ivs[i-1].End)
			}
		}
		if len(ivs) > 0 {
			run, ok := NextRun(r, at, o)
			if !ok || !run.Equal(ivs[0].End.Add(o.JobStartDelay)) {
				t.Errorf("NextRun = %s, %v; want %s", run, ok, ivs[0].End.Add(o.JobStartDelay))
			}
		}
	})
}
