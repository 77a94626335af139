package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/registry"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/schedule"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

// local is the store with the registry over it.
type local struct {
	st  *sqlite.Store
	reg *registry.Registry
}

func (e *env) openLocal(ctx context.Context) (*local, error) {
	st, err := e.openStore(ctx)
	if err != nil {
		return nil, err
	}
	reg := registry.New(st, registry.Options{Defaults: report.DefaultTypes(), Render: report.Validate})
	if err := reg.InstallDefaults(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return &local{st: st, reg: reg}, nil
}

// kindNames maps what users type to resource kinds.
var kindNames = map[string]string{
	"globalreport": v1.KindGlobalReport, "globalreports": v1.KindGlobalReport, "gr": v1.KindGlobalReport,
	"globalreporttype": v1.KindGlobalReportType, "globalreporttypes": v1.KindGlobalReportType, "grt": v1.KindGlobalReportType,
	"globalalert": v1.KindGlobalAlert, "globalalerts": v1.KindGlobalAlert, "ga": v1.KindGlobalAlert,
}

func parseKindName(s string) (string, error) {
	k := strings.ToLower(s)
	k, _, _ = strings.Cut(k, ".") // globalreports.evident.dev, globalreports.projectcalico.org
	if kind, ok := kindNames[k]; ok {
		return kind, nil
	}
	return "", usagef("unknown kind %q: want globalreports, globalreporttypes or globalalerts", s)
}

func resourcePlural(kind string) string { return strings.ToLower(kind) + "s.evident.dev" }

func newApplyCmd(e *env) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Create or update GlobalReports, GlobalReportTypes and GlobalAlerts",
		Long: `Create or update configuration objects from YAML or JSON manifests (several documents
per file, List kinds, a directory of files, or - for standard input). Manifests with
apiVersion evident.dev/v1 or projectcalico.org/v3 are accepted. Every object is
validated first: if any is invalid, nothing is applied and each problem is reported
with its file, document, line and field.`,
		Example: `  evident apply -f config/samples/globalreports.yaml
  evident apply -f reports/ -f alerts.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return usagef("-f FILE is required")
			}
			ctx := cmd.Context()
			objs, err := e.loadManifests(files)
			if err != nil {
				return err
			}
			if e.server != "" {
				return e.remoteApply(ctx, objs)
			}
			l, err := e.openLocal(ctx)
			if err != nil {
				return err
			}
			defer l.st.Close()
			// Report types first, so reports in the same files can name them.
			sort.SliceStable(objs, func(i, j int) bool {
				return registry.KindOf(objs[i]) == v1.KindGlobalReportType && registry.KindOf(objs[j]) != v1.KindGlobalReportType
			})
			for _, o := range objs {
				out, err := l.reg.Apply(ctx, o)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "%s/%s %s\n", strings.ToLower(registry.KindOf(o))+".evident.dev", o.GetName(), out)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file or directory (repeatable; - for standard input)")
	return cmd
}

// loadManifests reads and validates manifest files.
func (e *env) loadManifests(files []string) ([]v1.Object, error) {
	var objs []v1.Object
	var errs []error
	load := func(name string, data []byte) {
		o, err := v1.Load(name, data, report.Validate)
		if err != nil {
			errs = append(errs, err)
			return
		}
		objs = append(objs, o...)
	}
	for _, f := range files {
		if f == "-" {
			data, err := io.ReadAll(e.In)
			if err != nil {
				return nil, err
			}
			load("stdin", data)
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		paths := []string{f}
		if fi.IsDir() {
			paths = nil
			for _, ext := range []string{"*.yaml", "*.yml", "*.json"} {
				m, _ := filepath.Glob(filepath.Join(f, ext))
				paths = append(paths, m...)
			}
			sort.Strings(paths)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			load(p, data)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("nothing applied:\n%w", errors.Join(errs...))
	}
	if len(objs) == 0 {
		return nil, usagef("no objects found in %s", strings.Join(files, ", "))
	}
	return objs, nil
}

func newGetCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "get KIND [NAME]",
		Short: "Show GlobalReports (with schedule and status), GlobalReportTypes or GlobalAlerts",
		Example: `  evident get globalreports
  evident get globalreport daily-production-inventory -o yaml`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := e.requireFormat("table", "json", "yaml"); err != nil {
				return err
			}
			kind, err := parseKindName(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var objs []v1.Object
			if e.server != "" {
				objs, err = e.remoteGet(ctx, kind, args[1:])
			} else {
				objs, err = e.localGet(ctx, kind, args[1:])
			}
			if err != nil {
				return err
			}
			return e.printObjects(kind, objs, len(args) == 2)
		},
	}
}

func (e *env) localGet(ctx context.Context, kind string, name []string) ([]v1.Object, error) {
	l, err := e.openLocal(ctx)
	if err != nil {
		return nil, err
	}
	defer l.st.Close()
	if len(name) == 1 {
		o, err := l.reg.Get(ctx, kind, name[0])
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%s %q not found", kind, name[0])
		}
		return []v1.Object{o}, err
	}
	return l.reg.List(ctx, kind)
}

func (e *env) printObjects(kind string, objs []v1.Object, single bool) error {
	switch e.output {
	case "json", "yaml":
		var v any = objs
		if single {
			v = objs[0]
		} else {
			v = map[string]any{"apiVersion": "v1", "kind": "List", "items": objs}
		}
		if e.output == "yaml" {
			return writeYAML(e.Out, v)
		}
		return writeJSON(e.Out, v)
	}
	now := e.now()
	switch kind {
	case v1.KindGlobalReport:
		t := newTable(e.Out, "NAME", "TYPE", "SCHEDULE", "SUSPENDED", "LAST SCHEDULED", "ACTIVE", "NEXT RUN", "AGE")
		for _, o := range objs {
			r := o.(*v1.GlobalReport)
			last, next := "", ""
			if j := r.Status.LastScheduledReportJob; j != nil {
				last = j.End.UTC().Format(time.RFC3339)
			}
			if at, ok := schedule.NextRun(r, now, schedule.Options{}); ok {
				next = at.UTC().Format(time.RFC3339)
			}
			t.row(r.Name, r.Spec.ReportType, r.Spec.Schedule, fmt.Sprint(r.Spec.Suspend != nil && *r.Spec.Suspend), last,
				fmt.Sprint(len(r.Status.ActiveReportJobs)), next, age(now, r.CreationTimestamp.Time))
		}
		return t.flush()
	case v1.KindGlobalReportType:
		t := newTable(e.Out, "NAME", "DOWNLOADS", "ENDPOINTS", "AUDIT", "CIS", "AGE")
		for _, o := range objs {
			rt := o.(*v1.GlobalReportType)
			var dl []string
			for _, d := range rt.Spec.DownloadTemplates {
				dl = append(dl, d.Name)
			}
			t.row(rt.Name, strings.Join(dl, ","), fmt.Sprint(rt.Spec.IncludeEndpointData), fmt.Sprint(rt.Spec.AuditEventsSelection != nil),
				fmt.Sprint(rt.Spec.IncludeCISBenchmarkData), age(now, rt.CreationTimestamp.Time))
		}
		return t.flush()
	}
	t := newTable(e.Out, "NAME", "SEVERITY", "DATASET", "PERIOD", "QUERY", "AGE")
	for _, o := range objs {
		a := o.(*v1.GlobalAlert)
		period := ""
		if a.Spec.Period != nil {
			period = a.Spec.Period.Duration.String()
		}
		t.row(a.Name, fmt.Sprint(a.Spec.Severity), a.Spec.DataSet, period, a.Spec.Query, age(now, a.CreationTimestamp.Time))
	}
	return t.flush()
}

func age(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

func newDeleteCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "delete KIND NAME",
		Short: "Delete a GlobalReport, GlobalReportType or GlobalAlert",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := parseKindName(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if e.server != "" {
				err = e.remoteDelete(ctx, kind, args[1])
			} else {
				var l *local
				if l, err = e.openLocal(ctx); err != nil {
					return err
				}
				defer l.st.Close()
				err = l.reg.Delete(ctx, kind, args[1])
			}
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%s %q not found", kind, args[1])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Out, "%s/%s deleted\n", resourcePlural(kind), args[1])
			return nil
		},
	}
}
