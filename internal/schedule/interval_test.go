package schedule

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/evident-dev/evident/api/v1"
)

func TestJobName(t *testing.T) {
	end := time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC) // 1709683200
	long := "monthly-widgets-controller-tigera-policy-audit"
	tests := []struct {
		report, want string
	}{
		{"daily", "evident-report.daily-1709683200"},
		{"weekly-full-inventory", "evident-report.weekly-full-inventory-1709683200"},
		// 15 + 37 + 1 + 10 = 63 characters: kept as it is.
		{strings.Repeat("a", 37), "evident-report." + strings.Repeat("a", 37) + "-1709683200"},
		// One more character and the name is shortened. The hashes were
		// computed independently with Python's hashlib and base64.
		{strings.Repeat("a", 38), "evident-report." + strings.Repeat("a", 38) + "-1" + "-e33e7c4"},
		{long, "evident-report.monthly-widgets-controller-tigera-policy" + "-k2qanhg"},
	}
	for _, tt := range tests {
		t.Run(tt.report, func(t *testing.T) {
			got := JobName(tt.report, end)
			if got != tt.want {
				t.Errorf("JobName(%q) = %q, want %q", tt.report, got, tt.want)
			}
			if len(got) > 63 {
				t.Errorf("JobName(%q) has %d characters", tt.report, len(got))
			}
		})
	}
	hashed := regexp.MustCompile(`^.{55}-[0-9a-v]{7}$`)
	a, b := JobName(long, end), JobName(long, end.Add(time.Hour))
	if !hashed.MatchString(a) || !hashed.MatchString(b) || a == b {
		t.Errorf("hashed names of two intervals: %q and %q; want distinct names of 55+1+7 characters", a, b)
	}
}

// reportCase is a GlobalReport at a point in time, with the intervals and
// next run expected of it.
type reportCase struct {
	schedule   string
	created    string
	lastEnd    string // end of lastScheduledReportJob, if any
	active     int
	suspend    bool
	deleting   bool
	opts       Options
	now        string
	intervals  []string
	nextRun    string // "" when NextRun returns false
	wantErrMsg string // prefix of the error of nextIntervals
}

func (c reportCase) report(t *testing.T) *v1.GlobalReport {
	r := newReport("r", c.schedule, ts(t, c.created))
	if c.lastEnd != "" {
		end := ts(t, c.lastEnd)
		r.Status.LastScheduledReportJob = &v1.ReportJob{Start: metav1.NewTime(end.Add(-time.Hour)), End: metav1.NewTime(end)}
	}
	for i := range c.active {
		r.Status.ActiveReportJobs = append(r.Status.ActiveReportJobs, newJob("r", Interval{End: ts(t, c.created).Add(time.Duration(i) * time.Hour)}))
	}
	if c.suspend {
		r.Spec.Suspend = new(true)
	}
	if c.deleting {
		r.DeletionTimestamp = new(metav1.NewTime(ts(t, c.now)))
	}
	return r
}

func TestNextIntervalsAndNextRun(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]reportCase{
		"first daily interval runs from creation to the first tick": {
			schedule: "0 0 * * *", created: "2024-03-05T13:17:42Z", now: "2024-03-06T00:30:01Z",
			intervals: []string{"03-05T13:17:42/03-06T00:00:00"}, nextRun: "2024-03-06T00:30:00Z",
		},
		"nothing before the start delay has passed": {
			schedule: "0 0 * * *", created: "2024-03-05T13:17:42Z", now: "2024-03-06T00:30:00Z",
			nextRun: "2024-03-06T00:30:00Z",
		},
		"creation time is taken to the second": {
			schedule: "@daily", created: "2024-03-05T13:17:42.75Z", now: "2024-03-06T01:00:00Z",
			intervals: []string{"03-05T13:17:42/03-06T00:00:00"}, nextRun: "2024-03-06T00:30:00Z",
		},
		"weekly report created on a Wednesday ends on Sunday": {
			schedule: "0 0 * * 0", created: "2024-03-06T10:00:00Z", now: "2024-03-10T00:31:00Z",
			intervals: []string{"03-06T10:00:00/03-10T00:00:00"}, nextRun: "2024-03-10T00:30:00Z",
		},
		"monthly report catches up two months": {
			schedule: "0 0 1 * *", created: "2024-01-15T08:00:00Z", now: "2024-03-01T01:00:00Z",
			opts:      Options{CatchUpWindow: 90 * 24 * time.Hour},
			intervals: []string{"01-15T08:00:00/02-01T00:00:00", "02-01T00:00:00/03-01T00:00:00"},
			nextRun:   "2024-02-01T00:30:00Z",
		},
		"hourly intervals are limited by the free job slots": {
			schedule: "0 * * * *", created: "2024-03-01T00:00:00Z", lastEnd: "2024-03-06T00:00:00Z",
			active: 1, now: "2024-03-06T07:45:00Z",
			intervals: []string{
				"03-06T00:00:00/03-06T01:00:00", "03-06T01:00:00/03-06T02:00:00",
				"03-06T02:00:00/03-06T03:00:00", "03-06T03:00:00/03-06T04:00:00",
			},
			nextRun: "2024-03-06T01:30:00Z",
		},
		"no interval when every slot is taken": {
			schedule: "0 * * * *", created: "2024-03-01T00:00:00Z", lastEnd: "2024-03-06T00:00:00Z",
			active: 5, now: "2024-03-06T07:45:00Z", nextRun: "2024-03-06T01:30:00Z",
		},
		"a smaller slot limit": {
			schedule: "0 * * * *", created: "2024-03-01T00:00:00Z", lastEnd: "2024-03-06T00:00:00Z",
			opts: Options{MaxActiveJobs: 1}, now: "2024-03-06T07:45:00Z",
			intervals: []string{"03-06T00:00:00/03-06T01:00:00"}, nextRun: "2024-03-06T01:30:00Z",
		},
		"intervals before the catch-up window are skipped": {
			schedule: "0 0 * * *", created: "2024-02-01T00:00:00Z", lastEnd: "2024-03-01T00:00:00Z",
			now: "2024-03-20T12:00:00Z",
			intervals: []string{
				"03-14T00:00:00/03-15T00:00:00", "03-15T00:00:00/03-16T00:00:00",
				"03-16T00:00:00/03-17T00:00:00", "03-17T00:00:00/03-18T00:00:00",
				"03-18T00:00:00/03-19T00:00:00",
			},
			nextRun: "2024-03-15T00:30:00Z",
		},
		"a weekly interval longer than the window still runs": {
			schedule: "0 0 * * 0", created: "2024-02-01T00:00:00Z", lastEnd: "2024-03-03T00:00:00Z",
			now:       "2024-03-10T00:31:00Z",
			intervals: []string{"03-03T00:00:00/03-10T00:00:00"}, nextRun: "2024-03-10T00:30:00Z",
		},
		"a monthly interval longer than the window still runs": {
			schedule: "0 0 1 * *", created: "2024-01-15T08:00:00Z", lastEnd: "2024-02-01T00:00:00Z",
			now:       "2024-03-01T00:31:00Z",
			intervals: []string{"02-01T00:00:00/03-01T00:00:00"}, nextRun: "2024-03-01T00:30:00Z",
		},
		"a weekly report after a long outage resumes at the first tick in the window": {
			schedule: "0 0 * * 0", created: "2024-01-01T00:00:00Z", lastEnd: "2024-01-07T00:00:00Z",
			now: "2024-03-10T00:31:00Z", nextRun: "2024-03-17T00:30:00Z",
		},
		"a report created long ago starts inside the window": {
			schedule: "0 0 * * *", created: "2023-01-01T00:00:00Z", now: "2024-03-08T00:31:00Z",
			opts:      Options{MaxActiveJobs: 1},
			intervals: []string{"03-02T00:00:00/03-03T00:00:00"}, nextRun: "2024-03-03T00:30:00Z",
		},
		"a shorter catch-up window and start delay": {
			schedule: "0 * * * *", created: "2024-03-01T00:00:00Z", lastEnd: "2024-03-01T00:00:00Z",
			opts: Options{CatchUpWindow: 2 * time.Hour, JobStartDelay: 5 * time.Minute},
			now:  "2024-03-06T10:10:00Z",
			intervals: []string{
				"03-06T09:00:00/03-06T10:00:00",
			},
			nextRun: "2024-03-06T10:05:00Z",
		},
		"a negative start delay means none": {
			schedule: "0 0 * * *", created: "2024-03-05T13:17:42Z", now: "2024-03-06T00:00:01Z",
			opts:      Options{JobStartDelay: -1},
			intervals: []string{"03-05T13:17:42/03-06T00:00:00"}, nextRun: "2024-03-06T00:00:00Z",
		},
		"CRON_TZ is honoured": {
			schedule: "CRON_TZ=America/New_York 0 0 * * *", created: "2024-03-05T12:00:00Z", now: "2024-03-06T06:00:00Z",
			intervals: []string{"03-05T12:00:00/03-06T05:00:00"}, nextRun: "2024-03-06T05:30:00Z",
		},
		"Options.Location sets the zone of plain schedules": {
			schedule: "0 0 * * *", created: "2024-03-05T12:00:00Z", now: "2024-03-06T06:00:00Z",
			opts:      Options{Location: ny},
			intervals: []string{"03-05T12:00:00/03-06T05:00:00"}, nextRun: "2024-03-06T05:30:00Z",
		},
		"@every counts from the creation": {
			schedule: "@every 1h", created: "2024-03-05T13:17:42Z", now: "2024-03-05T15:00:00Z",
			intervals: []string{"03-05T13:17:42/03-05T14:17:42"}, nextRun: "2024-03-05T14:47:42Z",
		},
		"suspended": {
			schedule: "0 0 * * *", created: "2024-03-01T00:00:00Z", suspend: true, now: "2024-03-06T00:31:00Z",
		},
		"being deleted": {
			schedule: "0 0 * * *", created: "2024-03-01T00:00:00Z", deleting: true, now: "2024-03-06T00:31:00Z",
		},
		"empty schedule": {
			schedule: "", created: "2024-03-01T00:00:00Z", now: "2024-03-06T00:31:00Z",
		},
		"blank schedule": {
			schedule: "  ", created: "2024-03-01T00:00:00Z", now: "2024-03-06T00:31:00Z",
		},
		"a schedule that never fires": {
			schedule: "0 0 30 2 *", created: "2024-03-01T00:00:00Z", now: "2024-03-06T00:31:00Z",
		},
		"an invalid schedule": {
			schedule: "* * * * *", created: "2024-03-01T00:00:00Z", now: "2024-03-06T00:31:00Z",
			wantErrMsg: `globalreport r: schedule "* * * * *": fires 60 times an hour`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := tt.report(t)
			now := ts(t, tt.now)
			var got []string
			for _, iv := range NextIntervals(r, now, tt.opts) {
				got = append(got, ivString(iv.Start, iv.End))
			}
			if diff := cmp.Diff(tt.intervals, got); diff != "" {
				t.Errorf("NextIntervals (-want +got):\n%s", diff)
			}
			_, err := nextIntervals(r, now, tt.opts.withDefaults())
			if (err == nil) != (tt.wantErrMsg == "") || err != nil && !strings.HasPrefix(err.Error(), tt.wantErrMsg) {
				t.Errorf("nextIntervals error = %v, want %q", err, tt.wantErrMsg)
			}
			run, ok := NextRun(r, now, tt.opts)
			gotRun := ""
			if ok {
				gotRun = run.Format(time.RFC3339)
			}
			if gotRun != tt.nextRun {
				t.Errorf("NextRun = %q, want %q", gotRun, tt.nextRun)
			}
		})
	}
}

// loadSamples returns the sample GlobalReports, the seed's examples.
func loadSamples(t *testing.T) []*v1.GlobalReport {
	t.Helper()
	const path = "../../config/samples/globalreports.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := v1.Load(path, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []*v1.GlobalReport
	for _, o := range objs {
		if r, ok := o.(*v1.GlobalReport); ok {
			out = append(out, r)
		}
	}
	if len(out) != 5 {
		t.Fatalf("%s: %d GlobalReports, want 5", path, len(out))
	}
	return out
}

func TestNextRunOfSamples(t *testing.T) {
	created := ts(t, "2024-03-06T10:00:00Z") // a Wednesday
	want := map[string]string{
		"weekly-full-inventory":                          "2024-03-10T00:30:00Z",
		"daily-production-inventory":                     "2024-03-07T00:30:00Z",
		"hourly-accounts-networkaccess":                  "2024-03-06T11:30:00Z",
		"daily-accounts-networkaccess":                   "2024-03-07T00:30:00Z",
		"monthly-widgets-controller-tigera-policy-audit": "2024-04-01T00:30:00Z",
	}
	got := map[string]string{}
	for _, r := range loadSamples(t) {
		r.CreationTimestamp = metav1.NewTime(created)
		run, ok := NextRun(r, created.Add(time.Minute), Options{})
		if !ok {
			t.Errorf("%s: NextRun returned false", r.Name)
		}
		got[r.Name] = run.Format(time.RFC3339)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NextRun (-want +got):\n%s", diff)
	}
}

func TestBackoff(t *testing.T) {
	o := Options{}.withDefaults()
	var got []time.Duration
	for n := range 9 {
		got = append(got, o.backoff(n))
	}
	m := time.Minute
	want := []time.Duration{m, 2 * m, 4 * m, 8 * m, 16 * m, 32 * m, time.Hour, time.Hour, time.Hour}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
}

func TestOptionsDefaults(t *testing.T) {
	got := Options{}.withDefaults()
	want := Options{
		JobStartDelay: 30 * time.Minute, MaxActiveJobs: 5, MaxSuccessfulJobsHistory: 2,
		MaxFailedJobsHistory: 3, MaxJobRetries: 6, RetryBackoff: time.Minute, MaxRetryBackoff: time.Hour,
		CatchUpWindow: 168 * time.Hour, PollInterval: 10 * time.Second, Location: time.UTC,
	}
	if got.Location != time.UTC || got.Logger == nil {
		t.Errorf("defaults: Location %v, Logger %v; want UTC and a logger", got.Location, got.Logger)
	}
	if got.Clock == nil {
		t.Error("no default clock")
	}
	got.Logger, got.Location, want.Location, got.Clock = nil, nil, nil, nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	none := Options{JobStartDelay: -1, MaxSuccessfulJobsHistory: -1, MaxFailedJobsHistory: -1, MaxJobRetries: -1, MaxActiveJobs: -1}.withDefaults()
	if none.JobStartDelay != 0 || none.MaxSuccessfulJobsHistory != 0 || none.MaxFailedJobsHistory != 0 ||
		none.MaxJobRetries != 0 || none.MaxActiveJobs != DefaultMaxActiveJobs {
		t.Errorf("negative options = %+v; want none, and the default MaxActiveJobs", none)
	}
}

func TestFakeClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewFakeClock(t0)
	a, _ := c.After(time.Hour)
	b, stopB := c.After(2 * time.Hour)
	d, _ := c.After(3 * time.Hour)
	stopB()
	c.Advance(90 * time.Minute)
	select {
	case got := <-a:
		if !got.Equal(t0.Add(time.Hour)) {
			t.Errorf("timer fired at %v", got)
		}
	default:
		t.Fatal("due timer did not fire")
	}
	c.Set(t0.Add(5 * time.Hour))
	select {
	case <-b:
		t.Error("stopped timer fired")
	default:
	}
	if len(d) != 1 || !c.Now().Equal(t0.Add(5*time.Hour)) {
		t.Errorf("later timer: %d, now %v", len(d), c.Now())
	}
	c.Set(t0) // never backwards
	if !c.Now().Equal(t0.Add(5 * time.Hour)) {
		t.Error("clock went backwards")
	}
}
