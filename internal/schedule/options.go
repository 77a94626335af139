package schedule

import (
	"context"
	"log/slog"
	"time"
)

// Defaults of Options.
const (
	DefaultJobStartDelay            = 30 * time.Minute
	DefaultMaxActiveJobs            = 5
	DefaultMaxSuccessfulJobsHistory = 2
	DefaultMaxFailedJobsHistory     = 3
	DefaultMaxJobRetries            = 6
	DefaultRetryBackoff             = time.Minute
	DefaultMaxRetryBackoff          = time.Hour
	DefaultCatchUpWindow            = 168 * time.Hour
	DefaultPollInterval             = 10 * time.Second
)

// Outcomes passed to Options.Observe.
const (
	// OutcomeSucceeded is a job attempt that produced its report.
	OutcomeSucceeded = "succeeded"
	// OutcomeRetried is a failed attempt that will be retried.
	OutcomeRetried = "retried"
	// OutcomeFailed is a failed attempt with no retries left: the job
	// failed.
	OutcomeFailed = "failed"
)

// Options tune the scheduler. A zero field takes its default; a negative
// JobStartDelay, MaxSuccessfulJobsHistory, MaxFailedJobsHistory or
// MaxJobRetries means none (no delay, no history kept, no retries).
type Options struct {
	// JobStartDelay is how long after the end of an interval its job
	// starts. Default 30m.
	JobStartDelay time.Duration
	// MaxActiveJobs is how many jobs of one report may run at once.
	// Default 5.
	MaxActiveJobs int
	// MaxSuccessfulJobsHistory is how many successful jobs the status
	// keeps. Default 2.
	MaxSuccessfulJobsHistory int
	// MaxFailedJobsHistory is how many failed jobs the status keeps.
	// Default 3.
	MaxFailedJobsHistory int
	// MaxJobRetries is how many times a failed job is retried before it
	// counts as failed. Default 6.
	MaxJobRetries int
	// RetryBackoff is the wait before the first retry; each further retry
	// waits twice as long as the one before, up to MaxRetryBackoff.
	// Defaults 1m and 1h.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// CatchUpWindow is how far back missed intervals are still run.
	// Default 168h.
	CatchUpWindow time.Duration
	// PollInterval is how often the scheduler looks at the reports, give or
	// take 10%. Default 10s.
	PollInterval time.Duration
	// Location is the time zone in which schedules without a CRON_TZ
	// prefix are evaluated. Default UTC.
	Location *time.Location
	// Archive, when set, seeds the status of a report that has never
	// scheduled a job from the newest report already stored for it.
	Archive Archive
	// Clock is the scheduler's time. Default: the real clock.
	Clock Clock
	// Logger receives the scheduler's log. Default: discard.
	Logger *slog.Logger
	// Observe, when set, is called after every job attempt with the
	// report name, the outcome (OutcomeSucceeded, OutcomeRetried or
	// OutcomeFailed) and how long the attempt took. It is called from
	// several goroutines at once.
	Observe func(report, outcome string, d time.Duration)
}

// Archive finds the reports already stored for a GlobalReport.
type Archive interface {
	// LastReport returns the interval of the stored report of the named
	// GlobalReport with the latest end time; ok is false when there is
	// none.
	LastReport(ctx context.Context, name string) (start, end time.Time, ok bool, err error)
}

// withDefaults returns o with every zero field set to its default and
// every negative "none" field set to zero.
func (o Options) withDefaults() Options {
	dur := func(v *time.Duration, def time.Duration, negIsNone bool) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0 && negIsNone:
			*v = 0
		case *v < 0:
			*v = def
		}
	}
	num := func(v *int, def int, negIsNone bool) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0 && negIsNone:
			*v = 0
		case *v < 0:
			*v = def
		}
	}
	dur(&o.JobStartDelay, DefaultJobStartDelay, true)
	num(&o.MaxActiveJobs, DefaultMaxActiveJobs, false)
	num(&o.MaxSuccessfulJobsHistory, DefaultMaxSuccessfulJobsHistory, true)
	num(&o.MaxFailedJobsHistory, DefaultMaxFailedJobsHistory, true)
	num(&o.MaxJobRetries, DefaultMaxJobRetries, true)
	dur(&o.RetryBackoff, DefaultRetryBackoff, false)
	dur(&o.MaxRetryBackoff, DefaultMaxRetryBackoff, false)
	dur(&o.CatchUpWindow, DefaultCatchUpWindow, false)
	dur(&o.PollInterval, DefaultPollInterval, false)
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	return o
}

// backoff is the wait before retry number n+1 (n counts from 0).
func (o Options) backoff(n int) time.Duration {
	d := o.RetryBackoff
	for range n {
		if d >= o.MaxRetryBackoff/2 {
			return o.MaxRetryBackoff
		}
		d *= 2
	}
	return min(d, o.MaxRetryBackoff)
}
