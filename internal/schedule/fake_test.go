package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/evident-dev/evident/api/v1"
)

// fakeReports is an in-memory GlobalReport store. Statuses go through a
// JSON round trip, as they would through a real store.
type fakeReports struct {
	mu         sync.Mutex
	reports    map[string]*v1.GlobalReport
	writes     []write
	failWrites bool
}

// write is one status update.
type write struct {
	report string
	at     time.Time
	status v1.ReportStatus
}

var errUnavailable = errors.New("store unavailable")

func newFakeReports(rs ...*v1.GlobalReport) *fakeReports {
	f := &fakeReports{reports: make(map[string]*v1.GlobalReport)}
	for _, r := range rs {
		f.put(r)
	}
	return f
}

func (f *fakeReports) ListReports(context.Context) ([]*v1.GlobalReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*v1.GlobalReport
	for _, r := range f.reports {
		out = append(out, r.DeepCopy())
	}
	slices.SortFunc(out, func(a, b *v1.GlobalReport) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (f *fakeReports) UpdateReportStatus(_ context.Context, name string, st v1.ReportStatus) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWrites {
		return errUnavailable
	}
	r, ok := f.reports[name]
	if !ok {
		return fmt.Errorf("globalreport %s: not found", name)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	var stored v1.ReportStatus
	if err := json.Unmarshal(data, &stored); err != nil {
		return err
	}
	r.Status = stored
	f.writes = append(f.writes, write{report: name, at: time.Now(), status: *stored.DeepCopy()})
	return nil
}

func (f *fakeReports) put(r *v1.GlobalReport) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reports[r.Name] = r.DeepCopy()
}

func (f *fakeReports) remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.reports, name)
}

func (f *fakeReports) edit(name string, fn func(*v1.GlobalReport)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.reports[name])
}

func (f *fakeReports) setFailWrites(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failWrites = fail
}

func (f *fakeReports) status(name string) v1.ReportStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.reports[name].Status.DeepCopy()
}

func (f *fakeReports) allWrites() []write {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes)
}

// call is one RunReport call.
type call struct {
	report     string
	start, end time.Time
	at         time.Time
	attempt    int // earlier calls for the same report and interval
}

// fakeRunner records its calls; behave decides how each call ends.
type fakeRunner struct {
	behave func(ctx context.Context, c call) error

	mu        sync.Mutex
	calls     []call
	running   int
	maxActive int
}

func (f *fakeRunner) RunReport(ctx context.Context, r *v1.GlobalReport, start, end time.Time) error {
	f.mu.Lock()
	c := call{report: r.Name, start: start, end: end, at: time.Now()}
	for _, p := range f.calls {
		if p.report == c.report && p.start.Equal(start) && p.end.Equal(end) {
			c.attempt++
		}
	}
	f.calls = append(f.calls, c)
	f.running++
	f.maxActive = max(f.maxActive, f.running)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		f.mu.Unlock()
	}()
	if f.behave == nil {
		return nil
	}
	return f.behave(ctx, c)
}

// allCalls returns the calls in the order they started; calls that started
// at the same time are in the order of their intervals.
func (f *fakeRunner) allCalls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	calls := slices.Clone(f.calls)
	slices.SortStableFunc(calls, func(a, b call) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.end.Compare(b.end)
	})
	return calls
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// observation is one Options.Observe call.
type observation struct {
	report, outcome string
}

// observer collects Observe calls.
type observer struct {
	mu  sync.Mutex
	obs []observation
}

func (o *observer) observe(report, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.obs = append(o.obs, observation{report, outcome})
}

func (o *observer) all() []observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.obs)
}

// newReport returns a GlobalReport created at created.
func newReport(name, schedule string, created time.Time) *v1.GlobalReport {
	return &v1.GlobalReport{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			UID:               types.UID(name + "-uid"),
			CreationTimestamp: metav1.NewTime(created),
		},
		Spec: v1.ReportSpec{ReportType: "inventory", Schedule: schedule},
	}
}

// start runs s until the returned function is called; that function
// stops s and waits for Run to return.
func start(t *testing.T, s *Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// ts parses an RFC 3339 time.
func ts(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fmtTime formats a time for comparisons in tests.
func fmtTime(t time.Time) string { return t.UTC().Format("01-02T15:04:05") }

// ivString is "start/end" of an interval.
func ivString(start, end time.Time) string { return fmtTime(start) + "/" + fmtTime(end) }

// intervalsOf lists the intervals of calls, in call order.
func intervalsOf(calls []call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, ivString(c.start, c.end))
	}
	return out
}

// statusView is a compact, comparable form of a ReportStatus.
type statusView struct {
	Last       string
	Active     []string
	Successful []string
	Failed     []string
}

func viewOf(st v1.ReportStatus) statusView {
	var v statusView
	job := func(j v1.ReportJob) string {
		s := ivString(j.Start.Time, j.End.Time)
		if j.Job != nil {
			s += " " + j.Job.Kind + "/" + j.Job.Name
		}
		return s
	}
	done := func(j v1.CompletedReportJob) string {
		s := job(j.ReportJob)
		if j.JobCompletionTime != nil {
			s += " @" + fmtTime(j.JobCompletionTime.Time)
		}
		return s
	}
	if st.LastScheduledReportJob != nil {
		v.Last = job(*st.LastScheduledReportJob)
	}
	for _, j := range st.ActiveReportJobs {
		v.Active = append(v.Active, job(j))
	}
	for _, j := range st.LastSuccessfulReportJobs {
		v.Successful = append(v.Successful, done(j))
	}
	for _, j := range st.LastFailedReportJobs {
		v.Failed = append(v.Failed, done(j))
	}
	return v
}
