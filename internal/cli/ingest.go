package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/ingest"
)

func newIngestCmd(e *env) *cobra.Command {
	var (
		cluster   string
		follow    bool
		fromStart bool
		maxEvent  int
	)
	cmd := &cobra.Command{
		Use:   "ingest [flags] FILE...",
		Short: "Import audit logs, or follow a live one",
		Long: `Import Kubernetes audit logs into the store: JSON lines as written by
--audit-log-path, EventList documents as the webhook backend sends them, JSON arrays
of either, and gzip-compressed files. Use - for standard input.

Every event is stamped with --cluster and stored once: importing a file again, or a
file that overlaps another, stores nothing twice. A file import resumes after the
last line a previous import of the same file committed (--from-start reads it all
again). Bad lines are counted, reported with file:line and a reason, and never stop
the import.

With --follow, one FILE is tailed until interrupted; log rotation (rename and a new
file) and restarts are handled without losing or repeating events.`,
		Example: `  evident ingest /var/log/kubernetes/audit/audit.log
  evident ingest --cluster prod-eu-1 audit-2026-11-*.log.gz
  kubectl logs -n kube-system kube-apiserver-node1 | evident ingest -
  evident ingest --follow /var/log/kubernetes/audit/audit.log`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := e.requireFormat("table", "json"); err != nil {
				return err
			}
			if follow && len(args) != 1 {
				return usagef("--follow takes exactly one FILE")
			}
			if follow && args[0] == "-" {
				return usagef("--follow needs a file, not standard input")
			}
			limitIngestMemory()
			ctx := cmd.Context()
			st, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			opts := ingest.Options{Cluster: cluster, MaxEventSize: maxEvent}
			if follow {
				e.logger.Info("following audit log; stop with Ctrl-C", "file", args[0], "cluster", opts.Cluster)
				return ingest.Follow(ctx, st, args[0], ingest.FollowOptions{Options: opts, Logger: e.logger})
			}
			var total ingest.Summary
			for _, path := range args {
				sum, err := e.importOne(cmd, st, path, opts, fromStart)
				total = addSummary(total, sum)
				if err != nil {
					return fmt.Errorf("import %s: %w", path, err)
				}
			}
			if len(args) > 1 && e.output == "table" {
				fmt.Fprintf(e.Out, "total: %s\n", summaryLine(total))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cluster, "cluster", "default", "cluster name stamped on every event")
	f.BoolVarP(&follow, "follow", "f", false, "tail FILE until interrupted, surviving rotation and restarts")
	f.BoolVar(&fromStart, "from-start", false, "ignore the file's checkpoint and read it from the beginning")
	f.IntVar(&maxEvent, "max-event-size", audit.DefaultMaxEventSize, "largest accepted event or line, in bytes")
	return cmd
}

// ingestMemoryLimit is the Go heap's soft limit during ingest, unless
// GOMEMLIMIT says otherwise. Ingest keeps about two batches of bodies and
// the compressors' tables live (~150 MB); without a limit the collector
// lets the heap double that before collecting.
const ingestMemoryLimit = 256 << 20

func limitIngestMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(ingestMemoryLimit)
	}
}

func (e *env) importOne(cmd *cobra.Command, st ingest.Appender, path string, opts ingest.Options, fromStart bool) (ingest.Summary, error) {
	ctx := cmd.Context()
	p := newProgress(e.Err, path)
	opts.Progress = p.update
	defer p.done()
	var sum ingest.Summary
	var err error
	if path == "-" {
		sum, err = ingest.ImportReader(ctx, st, e.In, "stdin", opts)
	} else {
		if _, statErr := os.Stat(path); statErr != nil {
			return sum, statErr
		}
		sum, err = ingest.ImportFile(ctx, st, path, ingest.ImportOptions{Options: opts, FromStart: fromStart,
			Resumed: func(line int) {
				fmt.Fprintf(e.Err, "%s: resuming after line %d (already imported; --from-start reads it all again)\n", path, line)
			}})
	}
	p.done()
	e.printSummary(path, sum)
	return sum, err
}

func addSummary(a, b ingest.Summary) ingest.Summary {
	a.Read += b.Read
	a.Stored += b.Stored
	a.Duplicates += b.Duplicates
	a.Versions += b.Versions
	a.Rejected += b.Rejected
	a.Bytes += b.Bytes
	a.Elapsed += b.Elapsed
	return a
}

func summaryLine(s ingest.Summary) string {
	rate := ""
	if secs := s.Elapsed.Seconds(); secs > 0 && s.Read > 0 {
		rate = fmt.Sprintf(", %.0f events/s", float64(s.Read)/secs)
	}
	return fmt.Sprintf("read %d, stored %d, duplicates %d, rejected %d, object versions %d (%s%s)",
		s.Read, s.Stored, s.Duplicates, s.Rejected, s.Versions, s.Elapsed.Round(time.Millisecond), rate)
}

func (e *env) printSummary(path string, s ingest.Summary) {
	if e.output == "json" {
		reasons := map[string]int64{}
		for r, n := range s.ByReason {
			reasons[string(r)] = n
		}
		var msgs []string
		for _, r := range s.Rejects {
			msgs = append(msgs, r.Error())
		}
		_ = writeJSON(e.Out, map[string]any{"file": path, "read": s.Read, "stored": s.Stored, "duplicates": s.Duplicates,
			"rejected": s.Rejected, "rejectedByReason": reasons, "rejections": msgs, "versions": s.Versions,
			"seconds": s.Elapsed.Seconds()})
		return
	}
	fmt.Fprintf(e.Out, "%s: %s\n", path, summaryLine(s))
	if s.Rejected == 0 {
		return
	}
	var reasons []string
	for r, n := range s.ByReason {
		reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
	}
	sort.Strings(reasons)
	fmt.Fprintf(e.Err, "%s: rejected %d: %s\n", path, s.Rejected, strings.Join(reasons, ", "))
	for _, r := range s.Rejects {
		fmt.Fprintf(e.Err, "  %s\n", r.Error())
	}
	if n := s.Rejected - int64(len(s.Rejects)); n > 0 {
		fmt.Fprintf(e.Err, "  ... and %d more (evident status lists the newest)\n", n)
	}
}

// progress draws a one-line progress report on a terminal.
type progress struct {
	w     io.Writer
	name  string
	on    bool
	mu    sync.Mutex
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer, name string) *progress {
	return &progress{w: w, name: name, on: isTerminal(w)}
}

func (p *progress) update(pr ingest.Progress) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	secs := pr.Elapsed.Seconds()
	line := fmt.Sprintf("%s: %d events, %s", p.name, pr.Read, byteSize(pr.Bytes))
	if pr.Total > 0 {
		line += fmt.Sprintf(" of %s (%.0f%%)", byteSize(pr.Total), 100*float64(pr.Bytes)/float64(pr.Total))
	}
	if secs > 0 {
		line += fmt.Sprintf(", %.0f events/s", float64(pr.Read)/secs)
		if pr.Total > 0 && pr.Bytes > 0 {
			eta := time.Duration(float64(pr.Elapsed) * float64(pr.Total-pr.Bytes) / float64(pr.Bytes))
			line += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
		}
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
