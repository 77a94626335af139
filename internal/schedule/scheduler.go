package schedule

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/evident-dev/evident/api/v1"
)

// Reports is the store of GlobalReports the scheduler works from.
type Reports interface {
	// ListReports returns every GlobalReport with its status. It must
	// reflect every status update that has returned without error.
	ListReports(ctx context.Context) ([]*v1.GlobalReport, error)
	// UpdateReportStatus replaces the status of the named GlobalReport.
	UpdateReportStatus(ctx context.Context, name string, status v1.ReportStatus) error
}

// Runner produces and stores one report. Running it twice for the same
// report and interval replaces the first result. It must return promptly
// once ctx is done.
type Runner interface {
	RunReport(ctx context.Context, report *v1.GlobalReport, start, end time.Time) error
}

// Scheduler runs the report jobs of the GlobalReports in a Reports store.
type Scheduler struct {
	reports Reports
	runner  Runner
	opts    Options
	log     *slog.Logger
	wake    chan struct{}
	active  atomic.Bool
	wg      sync.WaitGroup

	// scheduleErr is the last logged schedule error of each report; only
	// the Run loop uses it.
	scheduleErr map[string]string

	mu      sync.Mutex
	jobs    map[jobKey]*job   // running in this process
	results map[jobKey]result // finished, not yet written to the status
}

// jobKey identifies a job: its report and its name.
type jobKey struct{ report, job string }

// job is a job running in this process.
type job struct {
	uid    types.UID // of the report it belongs to
	cancel context.CancelFunc
}

// result is how a job ended.
type result struct {
	uid       types.UID
	succeeded bool
	at        time.Time
}

// New returns a scheduler that reads and updates reports and runs their
// jobs with runner. Call Run to start it.
func New(reports Reports, runner Runner, opts Options) *Scheduler {
	o := opts.withDefaults()
	return &Scheduler{
		reports:     reports,
		runner:      runner,
		opts:        o,
		log:         o.Logger,
		wake:        make(chan struct{}, 1),
		scheduleErr: make(map[string]string),
		jobs:        make(map[jobKey]*job),
		results:     make(map[jobKey]result),
	}
}

// Trigger makes a running scheduler look at the reports now rather than at
// its next poll, for instance after a GlobalReport was applied.
func (s *Scheduler) Trigger() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run schedules and runs report jobs until ctx is done, then cancels the
// running jobs, waits for them to return and returns nil. Jobs cancelled
// this way stay active in the status and run again after the next start.
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.active.CompareAndSwap(false, true) {
		return errors.New("run scheduler: already running")
	}
	defer s.active.Store(false)
	defer s.wg.Wait()
	for {
		s.cycle(ctx)
		tc, stop := s.opts.Clock.After(s.pollDelay())
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-tc:
		case <-s.wake:
			stop()
		}
	}
}

// pollDelay is the poll interval with up to 10% jitter either way.
func (s *Scheduler) pollDelay() time.Duration {
	p := int64(s.opts.PollInterval)
	return time.Duration(p - p/10 + rand.Int64N(p/5+1))
}

// cycle brings every report's status up to date and starts the jobs that
// are due.
func (s *Scheduler) cycle(ctx context.Context) {
	reports, err := s.reports.ListReports(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("list globalreports", "err", err)
		}
		return
	}
	s.forget(reports)
	for _, r := range reports {
		if ctx.Err() != nil {
			return
		}
		s.reconcile(ctx, r, s.opts.Clock.Now())
	}
}

// forget cancels the jobs of reports that no longer exist (or were
// replaced by a new report of the same name) and drops their results.
func (s *Scheduler) forget(reports []*v1.GlobalReport) {
	uids := make(map[string]types.UID, len(reports))
	for _, r := range reports {
		uids[r.Name] = r.UID
	}
	gone := func(report string, uid types.UID) bool {
		cur, ok := uids[report]
		return !ok || cur != uid
	}
	for name := range s.scheduleErr {
		if _, ok := uids[name]; !ok {
			delete(s.scheduleErr, name)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, j := range s.jobs {
		if gone(k.report, j.uid) {
			s.log.Info("report job cancelled: globalreport deleted", "report", k.report, "job", k.job)
			j.cancel()
			delete(s.jobs, k)
		}
	}
	for k, res := range s.results {
		if gone(k.report, res.uid) {
			delete(s.results, k)
		}
	}
}

// reconcile records the finished jobs of r, trims its history, schedules
// the intervals that are due, persists the status if it changed and then
// starts the new jobs along with any active job that is not running.
func (s *Scheduler) reconcile(ctx context.Context, r *v1.GlobalReport, now time.Time) {
	st := r.Status.DeepCopy()
	applied, orphans := s.collect(r, st)
	if err := s.seed(ctx, r, st, now); err != nil {
		s.log.Error("read report archive", "report", r.Name, "err", err)
		return
	}
	advanceLastScheduled(st, now)
	trimHistory(st, s.opts)

	view := *r
	view.Status = *st
	ivs, err := nextIntervals(&view, now, s.opts)
	s.noteScheduleError(r.Name, err)
	var started []v1.ReportJob
	for _, iv := range ivs {
		addJob(st, r.Name, iv)
		started = append(started, st.ActiveReportJobs[len(st.ActiveReportJobs)-1])
	}
	sortStatus(st)

	if !equality.Semantic.DeepEqual(&r.Status, st) {
		if err := s.reports.UpdateReportStatus(ctx, r.Name, *st); err != nil {
			if ctx.Err() == nil {
				s.log.Error("update globalreport status", "report", r.Name, "err", err)
			}
			return
		}
	}
	s.mu.Lock()
	for _, k := range applied {
		delete(s.results, k)
	}
	s.mu.Unlock()

	if r.DeletionTimestamp != nil {
		return
	}
	view.Status = *st
	for _, j := range orphans {
		s.log.Info("report job restarted", "report", r.Name, "job", jobName(r.Name, j))
		s.start(ctx, &view, j)
	}
	for _, j := range started {
		s.start(ctx, &view, j)
	}
}

// collect moves the active jobs of st that have finished into its history.
// It returns the keys of the results it used, and the active jobs that are
// neither running nor finished in this process. It drops results of jobs
// that are not active in st.
func (s *Scheduler) collect(r *v1.GlobalReport, st *v1.ReportStatus) (applied []jobKey, orphans []v1.ReportJob) {
	s.mu.Lock()
	defer s.mu.Unlock()
	active := make(map[jobKey]bool, len(st.ActiveReportJobs))
	for i := 0; i < len(st.ActiveReportJobs); {
		j := st.ActiveReportJobs[i]
		key := jobKey{r.Name, jobName(r.Name, j)}
		active[key] = true
		if res, ok := s.results[key]; ok {
			complete(st, i, res.succeeded, res.at)
			applied = append(applied, key)
			continue
		}
		if _, ok := s.jobs[key]; !ok {
			orphans = append(orphans, j)
		}
		i++
	}
	for k := range s.results {
		if k.report == r.Name && !active[k] {
			delete(s.results, k)
		}
	}
	return applied, orphans
}

// seed sets the last scheduled job of a report that has none from the
// newest report stored for it, once its first interval is due.
func (s *Scheduler) seed(ctx context.Context, r *v1.GlobalReport, st *v1.ReportStatus, now time.Time) error {
	if s.opts.Archive == nil || st.LastScheduledReportJob != nil || len(st.ActiveReportJobs) > 0 || !schedulable(r) {
		return nil
	}
	sched, err := parse(r)
	if sched == nil || err != nil {
		return nil
	}
	first := sched.Next(r.CreationTimestamp.Time.In(s.opts.Location))
	if first.IsZero() || !now.After(first.Add(s.opts.JobStartDelay)) {
		return nil
	}
	start, end, ok, err := s.opts.Archive.LastReport(ctx, r.Name)
	if err != nil || !ok || end.After(now) {
		return err
	}
	st.LastScheduledReportJob = &v1.ReportJob{Start: metav1.NewTime(start), End: metav1.NewTime(end)}
	return nil
}

// noteScheduleError logs err once for as long as it stays the same.
func (s *Scheduler) noteScheduleError(report string, err error) {
	if err == nil {
		delete(s.scheduleErr, report)
		return
	}
	if s.scheduleErr[report] != err.Error() {
		s.scheduleErr[report] = err.Error()
		s.log.Error("globalreport has an invalid schedule; no jobs start", "report", report, "err", err)
	}
}
