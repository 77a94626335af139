package schedule

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
)

// start runs the job j of report r in a new goroutine.
func (s *Scheduler) start(ctx context.Context, r *v1.GlobalReport, j v1.ReportJob) {
	key := jobKey{report: r.Name, job: jobName(r.Name, j)}
	jctx, cancel := context.WithCancel(ctx)
	jb := &job{uid: r.UID, cancel: cancel}
	s.mu.Lock()
	s.jobs[key] = jb
	s.mu.Unlock()
	iv := Interval{Start: j.Start.Time.UTC(), End: j.End.Time.UTC()}
	s.log.Info("report job started", "report", r.Name, "job", key.job, "start", iv.Start, "end", iv.End)
	s.wg.Go(func() { s.run(jctx, key, jb, r.DeepCopy(), iv) })
}

// run runs one job, retrying failed attempts with exponential backoff,
// and records how it ended. A job whose context ends is dropped without a
// result.
func (s *Scheduler) run(ctx context.Context, key jobKey, jb *job, r *v1.GlobalReport, iv Interval) {
	defer jb.cancel()
	for attempt := 0; ; attempt++ {
		t0 := time.Now()
		err := s.runReport(ctx, r, iv)
		d := time.Since(t0)
		switch {
		case err == nil:
			s.observe(key.report, OutcomeSucceeded, d)
			s.log.Info("report job succeeded", "report", key.report, "job", key.job, "duration", d)
			s.finish(key, jb, true)
			return
		case ctx.Err() != nil:
			s.drop(key, jb)
			return
		case attempt >= s.opts.MaxJobRetries:
			s.observe(key.report, OutcomeFailed, d)
			s.log.Error("report job failed", "report", key.report, "job", key.job,
				"attempts", attempt+1, "err", err)
			s.finish(key, jb, false)
			return
		}
		wait := s.opts.backoff(attempt)
		s.observe(key.report, OutcomeRetried, d)
		s.log.Warn("report job attempt failed; retrying", "report", key.report, "job", key.job,
			"attempt", attempt+1, "retry_in", wait, "err", err)
		tc, stop := s.opts.Clock.After(wait)
		select {
		case <-ctx.Done():
			stop()
			s.drop(key, jb)
			return
		case <-tc:
		}
	}
}

// runReport runs the runner once, turning a panic into an error so that
// one broken report cannot stop the scheduler.
func (s *Scheduler) runReport(ctx context.Context, r *v1.GlobalReport, iv Interval) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("run report %s: panic: %v", r.Name, p)
		}
	}()
	return s.runner.RunReport(ctx, r, iv.Start, iv.End)
}

// finish records the result of a job and wakes the Run loop to write it.
func (s *Scheduler) finish(key jobKey, jb *job, succeeded bool) {
	s.mu.Lock()
	if s.jobs[key] == jb {
		delete(s.jobs, key)
		s.results[key] = result{uid: jb.uid, succeeded: succeeded, at: s.opts.Clock.Now()}
	}
	s.mu.Unlock()
	s.Trigger()
}

// drop forgets a job that was cancelled.
func (s *Scheduler) drop(key jobKey, jb *job) {
	s.mu.Lock()
	if s.jobs[key] == jb {
		delete(s.jobs, key)
	}
	s.mu.Unlock()
}

func (s *Scheduler) observe(report, outcome string, d time.Duration) {
	if s.opts.Observe != nil {
		s.opts.Observe(report, outcome, d)
	}
}
