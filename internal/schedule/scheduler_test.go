package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/evident-dev/evident/api/v1"
)

// The bubbles of testing/synctest start at 2000-01-01T00:00:00Z, a
// Saturday; times in these tests are written relative to it.

// sleepUntil advances the bubble's clock to t0+d.
func sleepUntil(t0 time.Time, d time.Duration) { time.Sleep(time.Until(t0.Add(d))) }

// checkStartDelay reports calls that did not start within one poll after
// the end of their interval plus the start delay.
func checkStartDelay(t *testing.T, calls []call, poll time.Duration) {
	t.Helper()
	for _, c := range calls {
		due := c.end.Add(DefaultJobStartDelay)
		if !c.at.After(due) || c.at.After(due.Add(poll+poll/10)) {
			t.Errorf("job for %s started at %s; want within %s after %s",
				ivString(c.start, c.end), fmtTime(c.at), poll+poll/10, fmtTime(due))
		}
	}
}

// jobRef is how a status entry of report's job ending at end is shown.
func jobRef(report string, start, end time.Time) string {
	return ivString(start, end) + " ReportJob/" + JobName(report, end)
}

// completed is jobRef plus the completion time.
func completed(report string, start, end, at time.Time) string {
	return jobRef(report, start, end) + " @" + fmtTime(at)
}

func TestDailyJobsRunInOrderAfterTheStartDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		time.Sleep(5*time.Hour + 17*time.Minute + 42*time.Second)
		created := time.Now()
		reports := newFakeReports(newReport("daily", "0 0 * * *", created))
		runner := &fakeRunner{}
		runner.behave = func(ctx context.Context, c call) error {
			st := reports.status(c.report)
			if !slices.ContainsFunc(st.ActiveReportJobs, func(j v1.ReportJob) bool { return j.End.Time.Equal(c.end) }) {
				t.Errorf("job for %s started before the status listed it as active", ivString(c.start, c.end))
			}
			return nil
		}
		stop := start(t, New(reports, runner, Options{}))
		sleepUntil(t0, 73*time.Hour) // 01-04T01:00
		stop()

		calls := runner.allCalls()
		want := []string{
			"01-01T05:17:42/01-02T00:00:00",
			"01-02T00:00:00/01-03T00:00:00",
			"01-03T00:00:00/01-04T00:00:00",
		}
		if diff := cmp.Diff(want, intervalsOf(calls)); diff != "" {
			t.Fatalf("intervals run (-want +got):\n%s", diff)
		}
		checkStartDelay(t, calls, DefaultPollInterval)
		day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
		wantStatus := statusView{
			Last: jobRef("daily", day(2), day(3)),
			Successful: []string{
				completed("daily", day(1), day(2), calls[1].at),
				completed("daily", day(2), day(3), calls[2].at),
			},
		}
		if diff := cmp.Diff(wantStatus, viewOf(reports.status("daily"))); diff != "" {
			t.Errorf("status (-want +got):\n%s", diff)
		}
	})
}

func TestSamplesOverAMonth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		samples := loadSamples(t)
		reports := newFakeReports()
		for _, r := range samples {
			r.CreationTimestamp.Time = t0
			r.UID = types.UID("uid-" + r.Name)
			reports.put(r)
		}
		runner := &fakeRunner{}
		const poll = 5 * time.Minute
		stop := start(t, New(reports, runner, Options{PollInterval: poll}))
		sleepUntil(t0, 31*24*time.Hour+time.Hour) // 02-01T01:00
		stop()

		calls := runner.allCalls()
		checkStartDelay(t, calls, poll)
		byReport := map[string][]call{}
		for _, c := range calls {
			byReport[c.report] = append(byReport[c.report], c)
		}
		wantCount := map[string]int{
			"weekly-full-inventory":                          5, // Sundays 01-02 to 01-30
			"daily-production-inventory":                     31,
			"hourly-accounts-networkaccess":                  31 * 24,
			"daily-accounts-networkaccess":                   31,
			"monthly-widgets-controller-tigera-policy-audit": 1,
		}
		gotCount := map[string]int{}
		for name, cs := range byReport {
			gotCount[name] = len(cs)
			prev := t0
			for _, c := range cs {
				if !c.start.Equal(prev) || !c.end.After(c.start) {
					t.Errorf("%s: interval %s does not follow the one ending at %s", name, ivString(c.start, c.end), fmtTime(prev))
				}
				prev = c.end
			}
			st := reports.status(name)
			if st.LastScheduledReportJob == nil || !st.LastScheduledReportJob.End.Time.Equal(prev) ||
				len(st.ActiveReportJobs) != 0 || len(st.LastFailedReportJobs) != 0 {
				t.Errorf("%s: status %+v; want the last job ending at %s and no active or failed jobs", name, viewOf(st), fmtTime(prev))
			}
		}
		if diff := cmp.Diff(wantCount, gotCount); diff != "" {
			t.Errorf("jobs per report (-want +got):\n%s", diff)
		}
		if got := intervalsOf(byReport["weekly-full-inventory"]); len(got) == 0 || got[0] != "01-01T00:00:00/01-02T00:00:00" {
			t.Errorf("weekly intervals = %s", got)
		}
		if got := intervalsOf(byReport["monthly-widgets-controller-tigera-policy-audit"]); len(got) == 0 || got[0] != "01-01T00:00:00/02-01T00:00:00" {
			t.Errorf("monthly intervals = %s", got)
		}
	})
}

func TestHistoryKeepsTheNewestJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
		failing := map[int]bool{2: true, 4: true, 5: true, 7: true} // by end day
		reports := newFakeReports(newReport("daily", "0 0 * * *", t0))
		runner := &fakeRunner{behave: func(_ context.Context, c call) error {
			if failing[int(c.end.Sub(t0)/(24*time.Hour))] {
				return errors.New("no data")
			}
			return nil
		}}
		obs := &observer{}
		stop := start(t, New(reports, runner, Options{MaxJobRetries: -1, Observe: obs.observe, PollInterval: time.Minute}))
		sleepUntil(t0, 8*24*time.Hour+time.Hour)
		stop()

		calls := runner.allCalls()
		if len(calls) != 8 {
			t.Fatalf("%d jobs ran, want 8: %v", len(calls), intervalsOf(calls))
		}
		at := func(end int) time.Time { return calls[end-1].at }
		want := statusView{
			Last:       jobRef("daily", day(7), day(8)),
			Successful: []string{completed("daily", day(5), day(6), at(6)), completed("daily", day(7), day(8), at(8))},
			Failed: []string{
				completed("daily", day(3), day(4), at(4)),
				completed("daily", day(4), day(5), at(5)),
				completed("daily", day(6), day(7), at(7)),
			},
		}
		if diff := cmp.Diff(want, viewOf(reports.status("daily"))); diff != "" {
			t.Errorf("status (-want +got):\n%s", diff)
		}
		var outcomes []string
		for _, o := range obs.all() {
			outcomes = append(outcomes, o.outcome)
		}
		wantOutcomes := []string{"succeeded", "failed", "succeeded", "failed", "failed", "succeeded", "failed", "succeeded"}
		if diff := cmp.Diff(wantOutcomes, outcomes); diff != "" {
			t.Errorf("observed outcomes (-want +got):\n%s", diff)
		}
	})
}

func TestFailedJobIsRetriedWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(newReport("daily", "0 0 * * *", t0))
		runner := &fakeRunner{behave: func(_ context.Context, c call) error {
			if c.attempt < 2 {
				return fmt.Errorf("attempt %d: store busy", c.attempt)
			}
			return nil
		}}
		obs := &observer{}
		stop := start(t, New(reports, runner, Options{Observe: obs.observe}))
		sleepUntil(t0, 24*time.Hour+31*time.Minute) // after the first attempt
		if st := viewOf(reports.status("daily")); len(st.Active) != 1 || st.Successful != nil || st.Failed != nil {
			t.Errorf("status while retrying = %+v; want the job active", st)
		}
		sleepUntil(t0, 26*time.Hour)
		stop()

		calls := runner.allCalls()
		if len(calls) != 3 {
			t.Fatalf("%d attempts, want 3", len(calls))
		}
		if d1, d2 := calls[1].at.Sub(calls[0].at), calls[2].at.Sub(calls[1].at); d1 != time.Minute || d2 != 2*time.Minute {
			t.Errorf("retries after %s and %s, want 1m and 2m", d1, d2)
		}
		day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
		want := statusView{
			Last:       jobRef("daily", day(0), day(1)),
			Successful: []string{completed("daily", day(0), day(1), calls[2].at)},
		}
		if diff := cmp.Diff(want, viewOf(reports.status("daily"))); diff != "" {
			t.Errorf("status (-want +got):\n%s", diff)
		}
		wantObs := []observation{{"daily", "retried"}, {"daily", "retried"}, {"daily", "succeeded"}}
		if diff := cmp.Diff(wantObs, obs.all(), cmp.AllowUnexported(observation{})); diff != "" {
			t.Errorf("observed (-want +got):\n%s", diff)
		}
	})
}

func TestJobFailsWhenRetriesAreExhausted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(newReport("daily", "0 0 * * *", t0))
		runner := &fakeRunner{behave: func(context.Context, call) error { return errors.New("no data") }}
		obs := &observer{}
		stop := start(t, New(reports, runner, Options{Observe: obs.observe}))
		sleepUntil(t0, 24*time.Hour+2*time.Hour) // 1+2+4+8+16+32 = 63 minutes of backoff
		stop()

		calls := runner.allCalls()
		var gaps []time.Duration
		for i := 1; i < len(calls); i++ {
			gaps = append(gaps, calls[i].at.Sub(calls[i-1].at))
		}
		m := time.Minute
		if diff := cmp.Diff([]time.Duration{m, 2 * m, 4 * m, 8 * m, 16 * m, 32 * m}, gaps); diff != "" {
			t.Errorf("gaps between 7 attempts (-want +got):\n%s", diff)
		}
		day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
		want := statusView{
			Last:   jobRef("daily", day(0), day(1)),
			Failed: []string{completed("daily", day(0), day(1), calls[len(calls)-1].at)},
		}
		if diff := cmp.Diff(want, viewOf(reports.status("daily"))); diff != "" {
			t.Errorf("status (-want +got):\n%s", diff)
		}
		var outcomes []string
		for _, o := range obs.all() {
			outcomes = append(outcomes, o.outcome)
		}
		wantOutcomes := append(slices.Repeat([]string{OutcomeRetried}, 6), OutcomeFailed)
		if diff := cmp.Diff(wantOutcomes, outcomes); diff != "" {
			t.Errorf("observed outcomes (-want +got):\n%s", diff)
		}
	})
}

func TestAtMostMaxActiveJobsRunAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(newReport("hourly", "0 * * * *", t0))
		runner := &fakeRunner{behave: func(ctx context.Context, _ call) error { return sleepCtx(ctx, 2*time.Hour) }}
		sleepUntil(t0, 12*time.Hour) // eleven intervals are due
		stop := start(t, New(reports, runner, Options{}))
		sleepUntil(t0, 12*time.Hour+time.Minute)
		if got := len(runner.allCalls()); got != 5 {
			t.Errorf("%d jobs started at once, want 5", got)
		}
		sleepUntil(t0, 20*time.Hour)
		stop()

		if runner.maxActive != 5 {
			t.Errorf("at most %d jobs ran at once, want 5", runner.maxActive)
		}
		for _, w := range reports.allWrites() {
			if n := len(w.status.ActiveReportJobs); n > 5 {
				t.Errorf("status written at %s lists %d active jobs", fmtTime(w.at), n)
			}
		}
		calls := runner.allCalls()
		for i, c := range calls {
			wantEnd := t0.Add(time.Duration(i+1) * time.Hour)
			if !c.end.Equal(wantEnd) {
				t.Errorf("job %d is for %s, want the interval ending at %s", i, ivString(c.start, c.end), fmtTime(wantEnd))
			}
			// Batches of five start every two hours, or once due.
			wantAt := t0.Add(12*time.Hour + time.Duration(i/5)*2*time.Hour)
			if due := c.end.Add(DefaultJobStartDelay); due.After(wantAt) {
				wantAt = due
			}
			if c.at.Before(wantAt) || c.at.After(wantAt.Add(11*time.Second)) {
				t.Errorf("job %d started at %s, want at %s", i, fmtTime(c.at), fmtTime(wantAt))
			}
		}
	})
}

func TestSuspendThenResumeCatchesUpInsideTheWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
		reports := newFakeReports(newReport("daily", "0 0 * * *", t0))
		runner := &fakeRunner{behave: func(ctx context.Context, _ call) error { return sleepCtx(ctx, time.Hour) }}
		stop := start(t, New(reports, runner, Options{PollInterval: time.Minute}))

		sleepUntil(t0, 2*24*time.Hour+45*time.Minute) // the job for day 2 runs
		reports.edit("daily", func(r *v1.GlobalReport) { r.Spec.Suspend = new(true) })
		sleepUntil(t0, 12*24*time.Hour+5*time.Hour)
		st := viewOf(reports.status("daily"))
		if st.Active != nil || len(st.Successful) != 2 || st.Last != jobRef("daily", day(1), day(2)) {
			t.Errorf("status when suspended = %+v; want the job that was running to have finished", st)
		}
		if n := len(runner.allCalls()); n != 2 {
			t.Errorf("%d jobs ran before resuming, want 2", n)
		}
		resumed := time.Now()
		reports.edit("daily", func(r *v1.GlobalReport) { r.Spec.Suspend = new(false) })
		sleepUntil(t0, 13*24*time.Hour+2*time.Hour)
		stop()

		calls := runner.allCalls()
		want := []string{
			"01-01T00:00:00/01-02T00:00:00",
			"01-02T00:00:00/01-03T00:00:00",
			// Resumed at 01-13T05:00: intervals ending before 01-07
			// (now - 168h = 01-06T05:00, rounded up to a tick) are skipped.
			"01-07T00:00:00/01-08T00:00:00",
			"01-08T00:00:00/01-09T00:00:00",
			"01-09T00:00:00/01-10T00:00:00",
			"01-10T00:00:00/01-11T00:00:00",
			"01-11T00:00:00/01-12T00:00:00",
			"01-12T00:00:00/01-13T00:00:00",
			"01-13T00:00:00/01-14T00:00:00",
		}
		if diff := cmp.Diff(want, intervalsOf(calls)); diff != "" {
			t.Errorf("intervals run (-want +got):\n%s", diff)
		}
		for _, c := range calls[2:] {
			if c.at.Before(resumed) {
				t.Errorf("job for %s ran at %s while suspended", ivString(c.start, c.end), fmtTime(c.at))
			}
		}
	})
}

func TestCatchUpAfterALongOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(newReport("hourly", "0 * * * *", t0))
		runner := &fakeRunner{}
		stop := start(t, New(reports, runner, Options{}))
		sleepUntil(t0, 3*time.Hour)
		stop()
		before := len(runner.allCalls())

		sleepUntil(t0, 30*24*time.Hour+3*time.Hour) // down for 30 days
		stop = start(t, New(reports, runner, Options{}))
		sleepUntil(t0, 30*24*time.Hour+5*time.Hour)
		stop()

		calls := runner.allCalls()
		if diff := cmp.Diff([]string{"01-01T00:00:00/01-01T01:00:00", "01-01T01:00:00/01-01T02:00:00"}, intervalsOf(calls[:before])); diff != "" {
			t.Errorf("intervals before the outage (-want +got):\n%s", diff)
		}
		after := calls[before:]
		// Restarted at 01-31T03:00: the window reaches back to
		// 01-24T03:00, so the first interval starts at 01-24T04:00; the
		// last ends at 01-31T04:00 (due at 04:30).
		first, last := t0.Add((23*24+4)*time.Hour), t0.Add((30*24+4)*time.Hour)
		if len(after) != 168 || !after[0].start.Equal(first) || !after[len(after)-1].end.Equal(last) {
			t.Fatalf("after the outage %d jobs ran, from %s to %s; want 168, from %s to %s",
				len(after), fmtTime(after[0].start), fmtTime(after[len(after)-1].end), fmtTime(first), fmtTime(last))
		}
		for i := 1; i < len(after); i++ {
			if !after[i].start.Equal(after[i-1].end) || after[i].end.Sub(after[i].start) != time.Hour {
				t.Errorf("interval %s does not follow %s", ivString(after[i].start, after[i].end), ivString(after[i-1].start, after[i-1].end))
			}
		}
	})
}

func TestEmptyOrInvalidScheduleNeverStartsJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(
			newReport("empty", "", t0),
			newReport("invalid", "*/5 * * * *", t0),
			newReport("daily", "0 0 * * *", t0),
		)
		runner := &fakeRunner{}
		stop := start(t, New(reports, runner, Options{PollInterval: time.Minute}))
		sleepUntil(t0, 3*24*time.Hour+time.Hour)
		stop()
		for _, c := range runner.allCalls() {
			if c.report != "daily" {
				t.Errorf("job of %s ran for %s", c.report, ivString(c.start, c.end))
			}
		}
		if n := len(runner.allCalls()); n != 3 {
			t.Errorf("daily ran %d jobs, want 3", n)
		}
		for _, w := range reports.allWrites() {
			if w.report != "daily" {
				t.Errorf("status of %s written: %+v", w.report, viewOf(w.status))
			}
		}
	})
}

func TestScheduleChangeContinuesFromTheLastJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(newReport("r", "0 0 * * *", t0))
		runner := &fakeRunner{}
		stop := start(t, New(reports, runner, Options{}))
		sleepUntil(t0, 34*time.Hour) // 01-02T10:00
		reports.edit("r", func(r *v1.GlobalReport) { r.Spec.Schedule = "0 * * * *" })
		sleepUntil(t0, 36*time.Hour)
		stop()
		want := []string{"01-01T00:00:00/01-02T00:00:00"}
		for h := range 11 { // hourly from 01-02T00:00, through the tick at 11:00
			want = append(want, ivString(t0.Add(time.Duration(24+h)*time.Hour), t0.Add(time.Duration(25+h)*time.Hour)))
		}
		if diff := cmp.Diff(want, intervalsOf(runner.allCalls())); diff != "" {
			t.Errorf("intervals run (-want +got):\n%s", diff)
		}
	})
}

func TestReportDeletedWhileAJobRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(newReport("daily", "0 0 * * *", t0))
		cancelled := make(chan error, 1)
		runner := &fakeRunner{behave: func(ctx context.Context, _ call) error {
			<-ctx.Done()
			cancelled <- ctx.Err()
			return ctx.Err()
		}}
		obs := &observer{}
		stop := start(t, New(reports, runner, Options{Observe: obs.observe}))
		sleepUntil(t0, 24*time.Hour+45*time.Minute)
		writes := len(reports.allWrites())
		reports.remove("daily")
		sleepUntil(t0, 24*time.Hour+46*time.Minute)
		select {
		case err := <-cancelled:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("job context ended with %v", err)
			}
		default:
			t.Error("the job of the deleted report is still running")
		}
		sleepUntil(t0, 3*24*time.Hour)
		stop()
		if n := len(runner.allCalls()); n != 1 {
			t.Errorf("%d jobs ran, want 1", n)
		}
		if got := obs.all(); len(got) != 0 {
			t.Errorf("observed %v for a cancelled job", got)
		}
		if n := len(reports.allWrites()); n != writes {
			t.Errorf("%d status writes after the report was deleted", n-writes)
		}
	})
}

func TestRestartRerunsTheInterruptedJobOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(newReport("daily", "0 0 * * *", t0))
		runner := &fakeRunner{behave: func(ctx context.Context, c call) error {
			if c.end.Equal(t0.Add(48*time.Hour)) && c.attempt == 0 {
				<-ctx.Done() // the process stops while this job runs
				return ctx.Err()
			}
			return nil
		}}
		stop := start(t, New(reports, runner, Options{}))
		sleepUntil(t0, 49*time.Hour)
		stop()
		st := viewOf(reports.status("daily"))
		if len(st.Active) != 1 {
			t.Fatalf("status after the stop = %+v; want one active job", st)
		}

		sleepUntil(t0, 4*24*time.Hour+2*time.Hour) // down for two days
		restarted := time.Now()
		stop = start(t, New(reports, runner, Options{}))
		sleepUntil(t0, 5*24*time.Hour+time.Hour)
		stop()

		calls := runner.allCalls()
		want := []string{
			"01-01T00:00:00/01-02T00:00:00",
			"01-02T00:00:00/01-03T00:00:00", // interrupted
			"01-02T00:00:00/01-03T00:00:00", // run again after the restart
			"01-03T00:00:00/01-04T00:00:00",
			"01-04T00:00:00/01-05T00:00:00",
			"01-05T00:00:00/01-06T00:00:00",
		}
		if diff := cmp.Diff(want, intervalsOf(calls)); diff != "" {
			t.Errorf("intervals run (-want +got):\n%s", diff)
		}
		if !calls[2].at.Equal(restarted) {
			t.Errorf("interrupted job ran again at %s, want at the restart %s", fmtTime(calls[2].at), fmtTime(restarted))
		}
		day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
		wantStatus := statusView{
			Last: jobRef("daily", day(4), day(5)),
			Successful: []string{
				completed("daily", day(3), day(4), calls[4].at),
				completed("daily", day(4), day(5), calls[5].at),
			},
		}
		if diff := cmp.Diff(wantStatus, viewOf(reports.status("daily"))); diff != "" {
			t.Errorf("status (-want +got):\n%s", diff)
		}
	})
}

func TestRestartFromAStatusLeftByACrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
		r := newReport("daily", "0 0 * * *", t0)
		crashed := newJob("daily", Interval{day(1), day(2)})
		r.Status = v1.ReportStatus{
			ActiveReportJobs:       []v1.ReportJob{crashed},
			LastScheduledReportJob: crashed.DeepCopy(),
			LastSuccessfulReportJobs: []v1.CompletedReportJob{{
				ReportJob: newJob("daily", Interval{day(0), day(1)}), JobCompletionTime: new(metav1.NewTime(day(1).Add(31 * time.Minute))),
			}},
		}
		reports := newFakeReports(r)
		runner := &fakeRunner{}
		sleepUntil(t0, 2*24*time.Hour+5*time.Hour)
		stop := start(t, New(reports, runner, Options{}))
		sleepUntil(t0, 3*24*time.Hour+time.Hour)
		stop()

		calls := runner.allCalls()
		want := []string{"01-02T00:00:00/01-03T00:00:00", "01-03T00:00:00/01-04T00:00:00"}
		if diff := cmp.Diff(want, intervalsOf(calls)); diff != "" {
			t.Errorf("intervals run (-want +got):\n%s", diff)
		}
		wantStatus := statusView{
			Last: jobRef("daily", day(2), day(3)),
			Successful: []string{
				completed("daily", day(1), day(2), calls[0].at),
				completed("daily", day(2), day(3), calls[1].at),
			},
		}
		if diff := cmp.Diff(wantStatus, viewOf(reports.status("daily"))); diff != "" {
			t.Errorf("status (-want +got):\n%s", diff)
		}
	})
}

func TestNoJobStartsUntilItsStatusIsWritten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(newReport("daily", "0 0 * * *", t0))
		reports.setFailWrites(true)
		runner := &fakeRunner{}
		stop := start(t, New(reports, runner, Options{}))
		sleepUntil(t0, 26*time.Hour)
		if n := len(runner.allCalls()); n != 0 {
			t.Errorf("%d jobs ran while the status could not be written", n)
		}
		reports.setFailWrites(false)
		sleepUntil(t0, 26*time.Hour+time.Minute)
		stop()
		if diff := cmp.Diff([]string{"01-01T00:00:00/01-02T00:00:00"}, intervalsOf(runner.allCalls())); diff != "" {
			t.Errorf("intervals run (-want +got):\n%s", diff)
		}
	})
}

func TestJobResultSurvivesAFailedStatusWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(newReport("daily", "0 0 * * *", t0))
		runner := &fakeRunner{behave: func(ctx context.Context, _ call) error {
			return sleepCtx(ctx, time.Hour)
		}}
		stop := start(t, New(reports, runner, Options{}))
		sleepUntil(t0, 24*time.Hour+time.Hour) // the job runs until about 01:30
		reports.setFailWrites(true)
		sleepUntil(t0, 24*time.Hour+2*time.Hour)
		reports.setFailWrites(false)
		sleepUntil(t0, 24*time.Hour+2*time.Hour+time.Minute)
		stop()
		st := viewOf(reports.status("daily"))
		if st.Active != nil || len(st.Successful) != 1 {
			t.Errorf("status = %+v; want the job recorded as successful", st)
		}
		if n := len(runner.allCalls()); n != 1 {
			t.Errorf("%d jobs ran, want 1", n)
		}
	})
}

func TestTriggerWakesTheScheduler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports()
		runner := &fakeRunner{}
		s := New(reports, runner, Options{PollInterval: time.Hour})
		stop := start(t, s)
		sleepUntil(t0, 2*time.Hour+time.Minute)
		reports.put(newReport("hourly", "0 * * * *", t0))
		s.Trigger()
		synctest.Wait()
		calls := runner.allCalls()
		if len(calls) != 1 || !calls[0].at.Equal(time.Now()) {
			t.Errorf("after Trigger: calls %v; want one job started at once", intervalsOf(calls))
		}
		stop()
	})
}

// fakeArchive holds the interval of one stored report.
type fakeArchive struct{ start, end time.Time }

func (a fakeArchive) LastReport(_ context.Context, name string) (time.Time, time.Time, bool, error) {
	return a.start, a.end, name == "daily", nil
}

func TestStatusIsSeededFromTheArchive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
		reports := newFakeReports(newReport("daily", "0 0 * * *", t0), newReport("other", "0 0 * * *", t0))
		runner := &fakeRunner{}
		sleepUntil(t0, 2*24*time.Hour+time.Hour)
		stop := start(t, New(reports, runner, Options{Archive: fakeArchive{day(0), day(1)}}))
		sleepUntil(t0, 2*24*time.Hour+2*time.Hour)
		stop()
		var got []string
		for _, c := range runner.allCalls() {
			got = append(got, c.report+" "+ivString(c.start, c.end))
		}
		want := []string{
			"daily 01-02T00:00:00/01-03T00:00:00",
			"other 01-01T00:00:00/01-02T00:00:00",
			"other 01-02T00:00:00/01-03T00:00:00",
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("jobs run (-want +got):\n%s", diff)
		}
	})
}

func TestRunTwiceFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(newFakeReports(), &fakeRunner{}, Options{})
		stop := start(t, s)
		synctest.Wait()
		if err := s.Run(t.Context()); err == nil {
			t.Error("a second Run returned no error")
		}
		stop()
	})
}

func TestPanickingRunnerFailsTheJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		reports := newFakeReports(newReport("daily", "0 0 * * *", t0))
		runner := &fakeRunner{behave: func(context.Context, call) error { panic("template bug") }}
		stop := start(t, New(reports, runner, Options{MaxJobRetries: 1}))
		sleepUntil(t0, 25*time.Hour)
		stop()
		st := viewOf(reports.status("daily"))
		if len(runner.allCalls()) != 2 || len(st.Failed) != 1 || st.Active != nil {
			t.Errorf("after %d attempts the status is %+v; want 2 attempts and a failed job", len(runner.allCalls()), st)
		}
	})
}
