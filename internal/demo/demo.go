// Package demo builds the data of `evident demo`: a synthetic cluster's
// 30-day history (package synth) imported into a store with its baseline,
// the seed's example GlobalReports and their reports for the whole period,
// and the demo users' tokens and RBAC. The result is an ordinary data
// directory that `evident serve` (and `evident demo` again) reuses.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/config/samples"
	"github.com/evident-dev/evident/internal/demo/synth"
	"github.com/evident-dev/evident/internal/ingest"
	"github.com/evident-dev/evident/internal/registry"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/schedule"
	"github.com/evident-dev/evident/internal/snapshot"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

// Users are the demo's bearer tokens: an administrator and the three
// users of the seed's RBAC example.
var Users = []User{
	{Token: "demo-admin", Name: "admin", Groups: "system:masters", Can: "everything"},
	{Token: "demo-paul", Name: "paul", Can: "manage GlobalReports; no downloads"},
	{Token: "demo-candice", Name: "candice", Can: "list and download every report"},
	{Token: "demo-david", Name: "david", Can: "list reports; download only dev-inventory"},
}

// User is a demo user.
type User struct{ Token, Name, Groups, Can string }

// Seed fixes the synthetic history: every demo shows the same cluster.
const Seed = 42

// Options configure Build.
type Options struct {
	Dir    string
	Days   int
	Now    time.Time // the history ends at the start of Now's day (UTC)
	Logger *slog.Logger
	// Progress, when set, is told what Build is doing.
	Progress func(step string)
}

// Info describes a built demo (saved as demo.json in the directory).
type Info struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Days     int       `json:"days"`
	Events   int64     `json:"events"`
	Reports  int       `json:"reports"`
	Complete bool      `json:"complete"`
}

const infoFile = "demo.json"

// Files of the demo directory that serve reads.
const (
	TokensFile = "demo-tokens.csv"
	RBACFile   = "demo-rbac.yaml"
)

// Load returns the demo already built in dir, if there is one.
func Load(dir string) (Info, bool) {
	raw, err := os.ReadFile(filepath.Join(dir, infoFile))
	if err != nil {
		return Info{}, false
	}
	var info Info
	if json.Unmarshal(raw, &info) != nil || !info.Complete {
		return Info{}, false
	}
	return info, true
}

// Build creates the demo in opts.Dir, which must be empty or missing (or
// hold an incomplete demo, which is started over).
func Build(ctx context.Context, opts Options) (Info, error) {
	if opts.Days <= 0 {
		opts.Days = 30
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	step := func(s string) {
		if opts.Progress != nil {
			opts.Progress(s)
		}
	}
	if err := prepareDir(opts.Dir); err != nil {
		return Info{}, err
	}
	end := opts.Now.UTC().Truncate(24 * time.Hour)
	start := end.AddDate(0, 0, -opts.Days)
	info := Info{Start: start, End: end, Days: opts.Days}
	gen, err := synth.New(synth.Demo(Seed, start, opts.Days))
	if err != nil {
		return info, err
	}
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: opts.Dir})
	if err != nil {
		return info, err
	}
	defer st.Close()

	step("importing the baseline snapshot")
	if err := importBaseline(ctx, st, gen, start); err != nil {
		return info, err
	}
	step("importing the audit trail")
	if info.Events, err = importEvents(ctx, st, gen); err != nil {
		return info, err
	}
	step("applying GlobalReports")
	reg := registry.New(st, registry.Options{Defaults: report.DefaultTypes(), Render: report.Validate,
		Now: func() time.Time { return start }})
	if err := reg.InstallDefaults(ctx); err != nil {
		return info, err
	}
	reports, err := applyReports(ctx, reg)
	if err != nil {
		return info, err
	}
	step("generating reports for the whole period")
	engine := report.NewEngine(st, report.EngineOptions{Now: func() time.Time { return end }, Logger: opts.Logger})
	runner := &report.Runner{Engine: engine, Types: reg, Reports: st}
	if info.Reports, err = generateReports(ctx, reg, runner, reports, end); err != nil {
		return info, err
	}
	if err := writeAuth(opts.Dir); err != nil {
		return info, err
	}
	info.Complete = true
	raw, _ := json.MarshalIndent(info, "", "  ")
	return info, os.WriteFile(filepath.Join(opts.Dir, infoFile), raw, 0o644)
}

// prepareDir refuses to build into a directory holding other data.
func prepareDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o750)
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, infoFile)); err != nil {
		return fmt.Errorf("%s holds data that is not a demo: give the demo its own directory (--data)", dir)
	}
	// An interrupted build: start over.
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func importBaseline(ctx context.Context, st *sqlite.Store, gen *synth.Generator, at time.Time) error {
	lists, err := gen.Baseline(at)
	if err != nil {
		return err
	}
	for _, l := range lists {
		kind := l.Resource
		if group, _, ok := strings.Cut(l.APIVersion, "/"); ok {
			kind += "." + group
		}
		parsed, err := snapshot.ParseList(l.Resource+".json", l.JSON, kind)
		if err != nil {
			return err
		}
		for _, b := range parsed.Baselines {
			b.Cluster, b.Time, b.Source = "default", at, "snapshot:demo-baseline"
			if _, err := st.ImportBaseline(ctx, &b); err != nil {
				return err
			}
		}
	}
	return nil
}

func importEvents(ctx context.Context, st *sqlite.Store, gen *synth.Generator) (int64, error) {
	pr, pw := io.Pipe()
	go func() {
		_, err := gen.WriteEvents(ctx, pw)
		pw.CloseWithError(err)
	}()
	sum, err := ingest.ImportReader(ctx, st, pr, "file:/var/log/kubernetes/audit/audit.log", ingest.Options{Cluster: "default"})
	pr.Close()
	if err != nil {
		return 0, fmt.Errorf("import the demo's audit trail: %w", err)
	}
	return sum.Stored, nil
}

// applyReports applies the seed's example GlobalReports and the demo's
// own dev-inventory (the report the seed's RBAC example lets david see).
func applyReports(ctx context.Context, reg *registry.Registry) ([]string, error) {
	raw, err := samples.FS.ReadFile("globalreports.yaml")
	if err != nil {
		return nil, err
	}
	raw = append(raw, []byte(devInventory)...)
	objs, err := v1.Load("globalreports.yaml", raw, report.Validate)
	if err != nil {
		return nil, err
	}
	// The dev-inventory report has a report type of its own name, as in the
	// seed's RBAC example, which grants david get on that type only.
	for _, t := range report.DefaultTypes() {
		if t.Name == "inventory" {
			dev := t.DeepCopy()
			dev.Name = "dev-inventory"
			dev.Labels = map[string]string{v1.LabelGlobalReportType: "dev-inventory"}
			if _, err := reg.Apply(ctx, dev); err != nil {
				return nil, err
			}
		}
	}
	var names []string
	for _, o := range objs {
		if _, err := reg.Apply(ctx, o); err != nil {
			return nil, err
		}
		names = append(names, o.GetName())
	}
	return names, nil
}

const devInventory = `
---
apiVersion: evident.dev/v1
kind: GlobalReport
metadata:
  name: dev-inventory
spec:
  reportType: dev-inventory
  endpoints:
    namespaces:
      names: ["dev"]
  schedule: 0 0 * * *
`

// generateReports runs every report over each of its intervals from its
// creation up to end, and records them in its status as the scheduler
// would have.
func generateReports(ctx context.Context, reg *registry.Registry, runner *report.Runner, names []string, end time.Time) (int, error) {
	type job struct {
		rep *v1.GlobalReport
		iv  schedule.Interval
	}
	var jobs []job
	for _, name := range names {
		rep, err := reg.GetReport(ctx, name)
		if err != nil {
			return 0, err
		}
		sched, err := v1.ParseSchedule(rep.Spec.Schedule)
		if err != nil || sched == nil {
			continue
		}
		from := rep.CreationTimestamp.UTC()
		for {
			to := sched.Next(from)
			if to.IsZero() || to.After(end) {
				break
			}
			jobs = append(jobs, job{rep, schedule.Interval{Start: from, End: to}})
			from = to
		}
	}
	var mu sync.Mutex
	var firstErr error
	done := map[string][]schedule.Interval{}
	work := make(chan job)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range work {
				err := runner.RunReport(ctx, j.rep, j.iv.Start, j.iv.End)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				done[j.rep.Name] = append(done[j.rep.Name], j.iv)
				mu.Unlock()
			}
		})
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	for name, ivs := range done {
		sort.Slice(ivs, func(i, j int) bool { return ivs[i].End.Before(ivs[j].End) })
		if err := reg.UpdateReportStatus(ctx, name, statusOf(name, ivs)); err != nil {
			return 0, err
		}
	}
	return len(jobs), nil
}

// statusOf is the status the scheduler would have left after these jobs.
func statusOf(name string, ivs []schedule.Interval) v1.ReportStatus {
	var st v1.ReportStatus
	job := func(iv schedule.Interval) v1.CompletedReportJob {
		t := v1Time(iv.End.Add(schedule.DefaultJobStartDelay + time.Minute))
		return v1.CompletedReportJob{ReportJob: v1.ReportJob{Start: v1Time(iv.Start), End: v1Time(iv.End),
			Job: jobRef(schedule.JobName(name, iv.End))}, JobCompletionTime: &t}
	}
	last := ivs[len(ivs)-1]
	lj := job(last).ReportJob
	st.LastScheduledReportJob = &lj
	for _, iv := range ivs[max(0, len(ivs)-schedule.DefaultMaxSuccessfulJobsHistory):] {
		st.LastSuccessfulReportJobs = append(st.LastSuccessfulReportJobs, job(iv))
	}
	return st
}

// Stats of the demo for printing.
func Stats(ctx context.Context, st store.Store) (store.Stats, error) { return st.Stats(ctx) }
