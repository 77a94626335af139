package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/demo/synth"
	"github.com/evident-dev/evident/internal/ingest"
	"github.com/evident-dev/evident/internal/registry"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/snapshot"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

// reportBenchOptions are the flags of `dev report-bench`.
type reportBenchOptions struct {
	dir           string
	historyDays   int
	windowEvents  int
	historyPerDay int
	runs          int
	scale         string
	seed          int64
	cpuProfile    string
	progressEvery time.Duration
}

// benchInfo describes a built benchmark store (saved in the directory).
type benchInfo struct {
	Scale               string    `json:"scale"`
	Seed                int64     `json:"seed"`
	Start               time.Time `json:"start"`
	HistoryDays         int       `json:"historyDays"`
	HistoryEventsPerDay int       `json:"historyEventsPerDay"`
	WindowEvents        int       `json:"windowEvents"`
	HistoryStored       int64     `json:"historyStored"`
	WindowStored        int64     `json:"windowStored"`
	BuildSeconds        float64   `json:"buildSeconds"`
	Complete            bool      `json:"complete"`
}

const (
	benchInfoFile = "report-bench.json"
	benchSource   = "file:/var/log/kubernetes/audit/audit.log"
	benchReport   = "bench-inventory"
)

// benchStart is the start of the benchmark's window (T0).
var benchStart = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func newDevReportBenchCmd(e *env) *cobra.Command {
	o := reportBenchOptions{progressEvery: 5 * time.Second}
	cmd := &cobra.Command{
		Use:   "report-bench --data DIR --history-days N",
		Short: "Time a 1-day inventory report over a store with N days of history",
		Long: `Build a benchmark store in --data (unless it holds one already) and time the
inventory report of its last day.

The store: a synthetic cluster (--scale large: about 10,000 pods and 1,000
policies; small: a few hundred pods) listed as baselines at T0 =
2026-06-01T00:00:00Z, followed by the window [T0, T0+24h] with --window-events
audit events that change the baseline's objects (pod lifecycle and status,
policy edits). With --history-days N > 1 the store also holds the N-1 days
before T0: about --history-events-per-day events a day of pods created and
deleted (every one gone before T0) and patches of the namespaces and policies
listed at T0, each with a resourceVersion of its own. The baseline records
every object anew at T0, so the objects alive at T0 and the window's changes
are exactly those of the 1-day store with the same flags: the stores differ
only in how much history the report has to look past.

The benchmark applies an inventory GlobalReport that selects every endpoint
and generates its report over [T0, T0+24h] --runs times, printing each run,
the median, the process's peak resident memory during the runs, the report's
size and how many object versions it replayed. --cpuprofile profiles one more
run, after the timed ones.`,
		Example: `  evident dev report-bench --data bench-out/report-1d --history-days 1
  evident dev report-bench --data bench-out/report-365d --history-days 365 --runs 5
  scripts/bench-report.sh    # both, and the table of DESIGN.md §8`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.dir = e.dataDir
			return runReportBench(cmd.Context(), e, o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.historyDays, "history-days", 1, "days of history the store holds, the report's day included")
	f.IntVar(&o.windowEvents, "window-events", 100_000, "audit events in the report's day")
	f.IntVar(&o.historyPerDay, "history-events-per-day", 15_000, "audit events per day before the report's day")
	f.IntVar(&o.runs, "runs", 3, "timed report runs")
	f.StringVar(&o.scale, "scale", "large", "cluster size: large (10k pods, 1k policies) or small")
	f.Int64Var(&o.seed, "seed", 1, "seed of the synthetic cluster and history")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of one more report run to this file")
	return cmd
}

func (o *reportBenchOptions) check() error {
	switch {
	case o.historyDays < 1:
		return usagef("--history-days %d: want at least 1", o.historyDays)
	case o.windowEvents < 1:
		return usagef("--window-events %d: want at least 1", o.windowEvents)
	case o.historyPerDay < podEvents:
		return usagef("--history-events-per-day %d: want at least %d", o.historyPerDay, podEvents)
	case o.runs < 1:
		return usagef("--runs %d: want at least 1", o.runs)
	case o.scale != "large" && o.scale != "small":
		return usagef("--scale %q: want large or small", o.scale)
	}
	return nil
}

// windowEnd is the end of the report's interval.
func windowEnd() time.Time { return benchStart.Add(24 * time.Hour) }

func runReportBench(ctx context.Context, e *env, o reportBenchOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	info, built, err := ensureBenchStore(ctx, e.Err, o)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: o.dir})
	if err != nil {
		return err
	}
	defer st.Close()
	reg := registry.New(st, registry.Options{Defaults: report.DefaultTypes(), Render: report.Validate,
		Now: func() time.Time { return benchStart }})
	if err := reg.InstallDefaults(ctx); err != nil {
		return err
	}
	rep, err := applyBenchReport(ctx, reg)
	if err != nil {
		return err
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		return err
	}
	w := e.Out
	fmt.Fprintf(w, "store %s: %d day(s) of history, %d events (%d before the window), %d versions, %s\n",
		o.dir, info.HistoryDays, stats.Events, info.HistoryStored, stats.Versions, humanBytes(stats.Bytes))
	cs := &countingStore{Store: st}
	runner := &report.Runner{Engine: report.NewEngine(cs, report.EngineOptions{Now: windowEnd}), Types: reg, Reports: st}
	peakReset := resetPeakRSS()
	var times []time.Duration
	var last *report.Report
	for i := range o.runs {
		cs.reset()
		t0 := time.Now()
		r, err := runner.Generate(ctx, rep, benchStart, windowEnd())
		if err != nil {
			return err
		}
		d := time.Since(t0)
		times, last = append(times, d), r
		fmt.Fprintf(w, "run %d: %.3fs (state at start: %d versions, %.3fs reading; changes: %d versions, %.3fs reading)\n",
			i+1, d.Seconds(), cs.stateAt.n, cs.stateAt.d.Seconds(), cs.changes.n, cs.changes.d.Seconds())
	}
	med := median(times)
	rss := "unknown"
	if kb, ok := peakRSSKB(); ok {
		rss = humanBytes(kb * 1024)
		if !peakReset && built {
			rss += " (includes building the store)"
		}
	}
	fmt.Fprintf(w, "report %s: %d endpoints, %d namespaces, %d services; replayed %d versions (%d at the start + %d changes)\n",
		last.ID, last.EndpointsSummary.NumTotal, last.NamespacesSummary.NumTotal, last.ServicesSummary.NumTotal,
		cs.stateAt.n+cs.changes.n, cs.stateAt.n, cs.changes.n)
	fmt.Fprintf(w, "median %.3fs over %d runs; peak RSS %s\n", med.Seconds(), len(times), rss)
	fmt.Fprintf(w, "result history_days=%d events=%d versions=%d store_bytes=%d median_s=%.3f\n",
		info.HistoryDays, stats.Events, stats.Versions, stats.Bytes, med.Seconds())
	if o.cpuProfile != "" {
		err := withCPUProfile(o.cpuProfile, func() error {
			_, err := runner.Generate(ctx, rep, benchStart, windowEnd())
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "CPU profile of one more run written to %s\n", o.cpuProfile)
	}
	return nil
}

// withCPUProfile runs fn under the CPU profiler, writing the profile to path.
func withCPUProfile(path string, fn func() error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	err = fn()
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	return f.Close()
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// applyBenchReport applies the benchmark's GlobalReport: an inventory of
// every endpoint.
func applyBenchReport(ctx context.Context, reg *registry.Registry) (*v1.GlobalReport, error) {
	const manifest = `apiVersion: evident.dev/v1
kind: GlobalReport
metadata:
  name: ` + benchReport + `
spec:
  reportType: inventory
  schedule: 0 0 * * *
`
	objs, err := v1.Load(benchReport+".yaml", []byte(manifest), report.Validate)
	if err != nil {
		return nil, err
	}
	for _, obj := range objs {
		if _, err := reg.Apply(ctx, obj); err != nil {
			return nil, err
		}
	}
	return reg.GetReport(ctx, benchReport)
}

// ensureBenchStore builds the store unless the directory holds a
// complete one built with the same flags; built says whether it did.
func ensureBenchStore(ctx context.Context, w io.Writer, o reportBenchOptions) (benchInfo, bool, error) {
	want := benchInfo{Scale: o.scale, Seed: o.seed, Start: benchStart, HistoryDays: o.historyDays,
		WindowEvents: o.windowEvents, HistoryEventsPerDay: o.historyPerDay}
	if o.historyDays == 1 {
		want.HistoryEventsPerDay = 0
	}
	raw, err := os.ReadFile(filepath.Join(o.dir, benchInfoFile))
	switch {
	case err == nil:
		var have benchInfo
		if err := json.Unmarshal(raw, &have); err != nil {
			return have, false, fmt.Errorf("%s: %w", filepath.Join(o.dir, benchInfoFile), err)
		}
		if have.Complete {
			if !sameBench(have, want) {
				return have, false, fmt.Errorf("%s holds a benchmark store built with other flags (%s): give this one another --data",
					o.dir, describeBench(have))
			}
			fmt.Fprintf(w, "using the store in %s (%s)\n", o.dir, describeBench(have))
			return have, false, nil
		}
		fmt.Fprintf(w, "%s holds an unfinished build: starting over\n", o.dir)
		if err := clearDir(o.dir); err != nil {
			return want, false, err
		}
	case errors.Is(err, os.ErrNotExist):
		entries, err := os.ReadDir(o.dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return want, false, err
		}
		if len(entries) > 0 {
			return want, false, fmt.Errorf("%s holds data that is not a report benchmark store: give the benchmark its own --data", o.dir)
		}
	default:
		return want, false, err
	}
	info, err := buildBenchStore(ctx, w, o, want)
	return info, err == nil, err
}

func sameBench(a, b benchInfo) bool {
	return a.Scale == b.Scale && a.Seed == b.Seed && a.Start.Equal(b.Start) && a.HistoryDays == b.HistoryDays &&
		a.WindowEvents == b.WindowEvents && a.HistoryEventsPerDay == b.HistoryEventsPerDay
}

func describeBench(i benchInfo) string {
	s := fmt.Sprintf("--scale %s --seed %d --history-days %d --window-events %d", i.Scale, i.Seed, i.HistoryDays, i.WindowEvents)
	if i.HistoryDays > 1 {
		s += fmt.Sprintf(" --history-events-per-day %d", i.HistoryEventsPerDay)
	}
	return s
}

func clearDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func writeBenchInfo(dir string, info benchInfo) error {
	raw, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, benchInfoFile), append(raw, '\n'), 0o644)
}

// windowGenerator is the synthetic cluster and its day of changes after
// T0.
func windowGenerator(o reportBenchOptions) (*synth.Generator, error) {
	opts := synth.Large(o.seed, benchStart, 1)
	if o.scale == "small" {
		opts = synth.Demo(o.seed, benchStart, 1)
	}
	opts.Events = o.windowEvents
	return synth.New(opts)
}

// buildBenchStore creates the store: the history (if any), the baseline at
// T0, then the window.
func buildBenchStore(ctx context.Context, w io.Writer, o reportBenchOptions, info benchInfo) (benchInfo, error) {
	started := time.Now()
	if err := os.MkdirAll(o.dir, 0o750); err != nil {
		return info, err
	}
	if err := writeBenchInfo(o.dir, info); err != nil {
		return info, err
	}
	gen, err := windowGenerator(o)
	if err != nil {
		return info, err
	}
	fmt.Fprintf(w, "building the store in %s (%s)\n", o.dir, describeBench(info))
	lists, err := gen.Baseline(benchStart)
	if err != nil {
		return info, err
	}
	baselines, err := parseBenchBaselines(lists)
	if err != nil {
		return info, err
	}
	lists = nil
	// Benchmark data: a crash while building means building again.
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: o.dir, NoSync: true})
	if err != nil {
		return info, err
	}
	defer st.Close()
	if o.historyDays > 1 {
		from := benchStart.Add(-time.Duration(o.historyDays-1) * 24 * time.Hour)
		hist, err := newHistoryGen(baselines, from, benchStart, o.historyPerDay, o.seed)
		if err != nil {
			return info, err
		}
		fmt.Fprintf(w, "history: %d days from %s, about %d events\n", o.historyDays-1, from.Format(time.DateOnly),
			(o.historyDays-1)*o.historyPerDay)
		sum, err := importStream(ctx, st, w, "history", o.progressEvery, hist.write)
		if err != nil {
			return info, err
		}
		info.HistoryStored = sum.Stored
	}
	fmt.Fprintf(w, "baseline at %s\n", benchStart.Format(time.RFC3339))
	if err := importBenchBaselines(ctx, st, baselines, o.historyDays > 1); err != nil {
		return info, err
	}
	baselines = nil
	sum, err := importStream(ctx, st, w, "window", o.progressEvery, gen.WriteEvents)
	if err != nil {
		return info, err
	}
	info.WindowStored = sum.Stored
	info.BuildSeconds = time.Since(started).Seconds()
	info.Complete = true
	fmt.Fprintf(w, "built in %s\n", time.Since(started).Round(time.Second))
	return info, writeBenchInfo(o.dir, info)
}

// parseBenchBaselines turns the generator's List documents into baselines
// at T0, as `evident snapshot import` reads kubectl's.
func parseBenchBaselines(lists []synth.List) ([]store.Baseline, error) {
	var out []store.Baseline
	for _, l := range lists {
		kind := l.Resource
		if group, _, ok := strings.Cut(l.APIVersion, "/"); ok {
			kind += "." + group
		}
		parsed, err := snapshot.ParseList(l.Resource+".json", l.JSON, kind)
		if err != nil {
			return nil, err
		}
		for _, b := range parsed.Baselines {
			b.Cluster, b.Time, b.Source = "default", benchStart, "snapshot:bench-baseline"
			out = append(out, b)
		}
	}
	return out, nil
}

// importBenchBaselines imports the baselines; after a history, none may
// end an object (every history pod is gone by then).
func importBenchBaselines(ctx context.Context, st *sqlite.Store, baselines []store.Baseline, history bool) error {
	for i := range baselines {
		res, err := st.ImportBaseline(ctx, &baselines[i])
		if err != nil {
			return err
		}
		if history && res.Ended > 0 {
			return fmt.Errorf("baseline of %s: %d objects of the history were still alive at T0", baselines[i].Kind, res.Ended)
		}
	}
	return nil
}

// importStream ingests what write writes, through a pipe, with progress
// (events/s) every so often.
func importStream(ctx context.Context, st *sqlite.Store, w io.Writer, label string, every time.Duration,
	write func(context.Context, io.Writer) (int, error)) (ingest.Summary, error) {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, err := write(ctx, pw)
		pw.CloseWithError(err)
	}()
	started, lastShown := time.Now(), time.Now()
	progress := func(p ingest.Progress) {
		if time.Since(lastShown) < every {
			return
		}
		lastShown = time.Now()
		el := time.Since(started)
		fmt.Fprintf(w, "%s: %d events stored in %s (%.0f events/s)\n", label, p.Stored, el.Round(time.Second),
			float64(p.Stored)/el.Seconds())
	}
	sum, err := ingest.ImportReader(ctx, st, pr, benchSource, ingest.Options{Cluster: "default", Progress: progress})
	cancel()
	pr.Close()
	if err != nil {
		return sum, fmt.Errorf("import the %s: %w", label, err)
	}
	if sum.Rejected > 0 {
		return sum, fmt.Errorf("import the %s: %d events rejected (first: %v)", label, sum.Rejected, firstReject(sum))
	}
	el := time.Since(started)
	fmt.Fprintf(w, "%s: %d events, %d versions in %s (%.0f events/s)\n", label, sum.Stored, sum.Versions,
		el.Round(time.Millisecond), float64(sum.Stored)/el.Seconds())
	return sum, nil
}

func firstReject(sum ingest.Summary) string {
	if len(sum.Rejects) == 0 {
		return "none kept"
	}
	return fmt.Sprint(sum.Rejects[0])
}

// countingStore counts the versions the engine reads and the time spent
// reading them (inside the store's iterators).
type countingStore struct {
	*sqlite.Store
	stateAt, changes readCount
}

type readCount struct {
	n int
	d time.Duration
}

func (c *countingStore) reset() { c.stateAt, c.changes = readCount{}, readCount{} }

func (c *countingStore) StateAt(ctx context.Context, t time.Time, q store.VersionQuery) iter.Seq2[store.Version, error] {
	return c.stateAt.wrap(c.Store.StateAt(ctx, t, q))
}

func (c *countingStore) Changes(ctx context.Context, from, to time.Time, q store.VersionQuery) iter.Seq2[store.Version, error] {
	return c.changes.wrap(c.Store.Changes(ctx, from, to, q))
}

func (rc *readCount) wrap(seq iter.Seq2[store.Version, error]) iter.Seq2[store.Version, error] {
	return func(yield func(store.Version, error) bool) {
		last := time.Now()
		defer func() { rc.d += time.Since(last) }()
		for v, err := range seq {
			rc.d += time.Since(last)
			if err == nil {
				rc.n++
			}
			more := yield(v, err)
			last = time.Now()
			if !more {
				return
			}
		}
	}
}

// resetPeakRSS returns the heap's free memory to the system and resets
// the kernel's record of the process's peak resident memory, so that it
// covers only what follows.
func resetPeakRSS() bool {
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSSKB reads the process's peak resident memory (VmHWM), in KiB.
func peakRSSKB() (int64, bool) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
}
