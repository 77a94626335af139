package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/sqlite"
	"github.com/evident-dev/evident/internal/timespec"
)

func newReportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Run, list and download compliance reports",
	}
	cmd.AddCommand(newReportRunCmd(e), newReportListCmd(e), newReportDownloadCmd(e))
	return cmd
}

func (e *env) engineOptions(cluster string) report.EngineOptions {
	return report.EngineOptions{Cluster: cluster, Logger: e.logger, Now: e.now}
}

func newReportRunCmd(e *env) *cobra.Command {
	var start, end, cluster string
	cmd := &cobra.Command{
		Use:   "run NAME --start T --end T",
		Short: "Generate a GlobalReport's report for an interval now",
		Long: `Generate the report of a GlobalReport over [--start, --end] and store it like a scheduled
one (a run over the same interval replaces it). Manual runs do not change the
GlobalReport's status. Times are RFC 3339 or now-<N>{s,m,h,d}.`,
		Example: `  evident report run daily-production-inventory --start now-1d --end now
  evident report run weekly-full-inventory --start 2026-11-16T00:00:00Z --end 2026-11-23T00:00:00Z`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := e.now()
			s, err := timespec.Parse(start, now)
			if err != nil {
				return usagef("--start: %v", err)
			}
			en, err := timespec.Parse(end, now)
			if err != nil {
				return usagef("--end: %v", err)
			}
			if !s.Before(en) {
				return usagef("--start %s is not before --end %s", s.Format(time.RFC3339), en.Format(time.RFC3339))
			}
			ctx := cmd.Context()
			l, err := e.openLocal(ctx)
			if err != nil {
				return err
			}
			defer l.st.Close()
			rep, err := l.reg.GetReport(ctx, args[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("GlobalReport %q not found (evident get globalreports lists them)", args[0])
			}
			if err != nil {
				return err
			}
			runner := &report.Runner{Engine: report.NewEngine(l.st, e.engineOptions(cluster)), Types: l.reg, Reports: l.st}
			t0 := time.Now()
			r, err := runner.Generate(ctx, rep, s, en)
			if err != nil {
				return err
			}
			if e.output == "json" {
				return writeJSON(e.Out, r.Summary())
			}
			fmt.Fprintf(e.Out, "report %s generated in %s\n", r.ID, time.Since(t0).Round(time.Millisecond))
			fmt.Fprintf(e.Out, "  %d endpoints, %d namespaces, %d services, %d audit events\n",
				r.EndpointsSummary.NumTotal, r.NamespacesSummary.NumTotal, r.ServicesSummary.NumTotal, r.AuditSummary.NumTotal)
			for _, n := range r.EvidenceCoverage.Notes {
				fmt.Fprintf(e.Out, "  note: %s\n", n)
			}
			fmt.Fprintf(e.Out, "download with: evident report download %s --format %s\n", r.ID, strings.Join(formatNames(&r.ReportTypeSpec), ","))
			return nil
		},
	}
	cmd.Flags().StringVar(&start, "start", "", "start of the interval")
	cmd.Flags().StringVar(&end, "end", "now", "end of the interval")
	cmd.Flags().StringVar(&cluster, "cluster", "default", "cluster the report describes")
	cmd.MarkFlagRequired("start")
	return cmd
}

func formatNames(rt *v1.ReportTypeSpec) []string {
	var out []string
	for _, f := range report.Formats(rt) {
		out = append(out, f.Name)
	}
	return out
}

func newReportListCmd(e *env) *cobra.Command {
	var names, types []string
	var from, to string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List generated reports, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := e.requireFormat("table", "json", "yaml"); err != nil {
				return err
			}
			q := store.ReportQuery{Names: names, Types: types, Limit: limit,
				Sort: []store.ReportSort{{Field: "startTime", Descending: true}, {Field: "reportTypeName"}, {Field: "reportName"}}}
			now := e.now()
			var err error
			if from != "" {
				if q.From, err = timespec.Parse(from, now); err != nil {
					return usagef("--from: %v", err)
				}
				q.To = now
			}
			if to != "" {
				if q.To, err = timespec.Parse(to, now); err != nil {
					return usagef("--to: %v", err)
				}
			}
			ctx := cmd.Context()
			var recs []store.ReportRecord
			var total int
			if e.server != "" {
				recs, total, err = e.remoteReports(ctx, q)
			} else {
				var st *sqlite.Store
				if st, err = e.openStoreRead(ctx); err != nil {
					return err
				}
				defer st.Close()
				recs, total, err = st.ListReports(ctx, q)
			}
			if err != nil {
				return err
			}
			return e.printReports(recs, total)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&names, "name", nil, "only these GlobalReports")
	f.StringSliceVar(&types, "type", nil, "only these report types (ORed with --name)")
	f.StringVar(&from, "from", "", "reports whose start or end is at or after this time")
	f.StringVar(&to, "to", "", "reports whose start or end is at or before this time")
	f.IntVar(&limit, "limit", 100, "at most this many")
	return cmd
}

func (e *env) printReports(recs []store.ReportRecord, total int) error {
	type row struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		Type      string    `json:"type"`
		Start     time.Time `json:"startTime"`
		End       time.Time `json:"endTime"`
		Generated time.Time `json:"generationTime"`
	}
	if e.output != "table" {
		rows := make([]row, len(recs))
		for i, r := range recs {
			rows[i] = row{r.ID, r.Name, r.Type, r.Start, r.End, r.Generated}
		}
		doc := map[string]any{"reports": rows, "count": total}
		if e.output == "yaml" {
			return writeYAML(e.Out, doc)
		}
		return writeJSON(e.Out, doc)
	}
	t := newTable(e.Out, "ID", "NAME", "TYPE", "START", "END", "GENERATED")
	for _, r := range recs {
		t.row(r.ID, r.Name, r.Type, r.Start.UTC().Format(time.RFC3339), r.End.UTC().Format(time.RFC3339), r.Generated.UTC().Format(time.RFC3339))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if total > len(recs) {
		fmt.Fprintf(e.Err, "%d of %d reports shown (--limit)\n", len(recs), total)
	}
	return nil
}

func newReportDownloadCmd(e *env) *cobra.Command {
	var formats []string
	var out string
	cmd := &cobra.Command{
		Use:   "download ID --format F[,F...] [--out PATH]",
		Short: "Download a report's files (one file, or a zip of several)",
		Long: `Render a stored report in the formats its report type defines (for example
summary.csv, endpoints.csv; every type also has evidence-coverage.json). One format
gives that file, several (or none) a zip of them, named as the original names them:
<type>_<name>_<start>-<end>-<format>.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var body []byte
			var filename string
			var err error
			if e.server != "" {
				body, filename, err = e.remoteDownload(ctx, args[0], formats)
			} else {
				body, filename, err = e.localDownload(cmd, args[0], formats)
			}
			if err != nil {
				return err
			}
			if out == "" {
				out = filename
			}
			if out == "-" {
				_, err = e.Out.Write(body)
				return err
			}
			if fi, err := os.Stat(out); err == nil && fi.IsDir() {
				out = out + string(os.PathSeparator) + filename
			}
			if err := os.WriteFile(out, body, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(e.Out, "wrote %s (%s)\n", out, byteSize(int64(len(body))))
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&formats, "format", nil, "formats (repeatable or comma-separated); none: all, as a zip")
	cmd.Flags().StringVar(&out, "out", "", "where to write (a file, a directory, or - for standard output); default: the report's file name")
	return cmd
}

func (e *env) localDownload(cmd *cobra.Command, id string, formats []string) ([]byte, string, error) {
	ctx := cmd.Context()
	l, err := e.openLocal(ctx)
	if err != nil {
		return nil, "", err
	}
	defer l.st.Close()
	rec, err := l.st.GetReport(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("report %q not found (evident report list shows the stored ones)", id)
	}
	if err != nil {
		return nil, "", err
	}
	r, err := report.FromRecord(rec)
	if err != nil {
		return nil, "", err
	}
	spec := &r.ReportTypeSpec
	if rt, err := l.reg.GetReportType(ctx, r.ReportTypeName); err == nil {
		spec = &rt.Spec // the current type, as the original does; the stored copy when it is gone
	}
	if len(formats) == 0 {
		formats = formatNames(spec)
	}
	var buf bytes.Buffer
	_, filename, err := report.DownloadContext(ctx, &buf, r, spec, formats)
	if err != nil {
		return nil, "", err
	}
	return buf.Bytes(), filename, nil
}
