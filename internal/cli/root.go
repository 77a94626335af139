package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/evident-dev/evident/internal/store/sqlite"
)

// IO is where a command reads and writes.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// Version is the build's version, set with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

// env is what every subcommand shares: global flags and I/O.
type env struct {
	IO
	dataDir  string
	output   string
	logLevel string
	server   string
	token    string
	now      func() time.Time
	logger   *slog.Logger
}

// usageError marks errors in how a command was called (exit status 2).
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Execute runs the command line and returns the process exit status.
func Execute(ctx context.Context, args []string, io IO) int {
	e := &env{IO: io, now: time.Now}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(io.Err, "evident: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) || strings.Contains(err.Error(), "unknown flag") || strings.Contains(err.Error(), "unknown command") ||
		strings.Contains(err.Error(), "accepts") {
		return 2
	}
	return 1
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "evident",
		Short: "Kubernetes audit trail and compliance evidence",
		Long: `Evident collects Kubernetes API-server audit events, keeps them as a durable,
searchable audit trail, and produces scheduled compliance reports from them.

Start with "evident demo" to see it on a synthetic cluster, or import an audit log
with "evident ingest /var/log/kubernetes/audit/audit.log".`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return e.setup()
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&e.dataDir, "data", envOr("EVIDENT_DATA", "./evident-data"), "data directory of the embedded store (env EVIDENT_DATA)")
	pf.StringVarP(&e.output, "output", "o", "table", "output format: table, json, yaml, jsonl or csv (where a command supports it)")
	pf.StringVar(&e.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&e.server, "server", os.Getenv("EVIDENT_SERVER"), "query an Evident server at this URL instead of the local data directory (env EVIDENT_SERVER)")
	pf.StringVar(&e.token, "token", os.Getenv("EVIDENT_TOKEN"), "bearer token for --server (env EVIDENT_TOKEN)")
	root.AddCommand(newIngestCmd(e), newTimelineCmd(e), newChangelogCmd(e), newStateCmd(e), newAuditPolicyCmd(e),
		newStatusCmd(e), newServeCmd(e), newDevCmd(e),
		newApplyCmd(e), newGetCmd(e), newDeleteCmd(e), newReportCmd(e), newSnapshotCmd(e), newDemoCmd(e))
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func (e *env) setup() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(e.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", e.logLevel)
	}
	e.logger = slog.New(slog.NewTextHandler(e.Err, &slog.HandlerOptions{Level: level}))
	switch e.output {
	case "table", "json", "yaml", "jsonl", "csv":
	default:
		return usagef("-o %q: want table, json, yaml, jsonl or csv", e.output)
	}
	return nil
}

// openStore opens the embedded store for writing (creating it if needed).
func (e *env) openStore(ctx context.Context) (*sqlite.Store, error) {
	return sqlite.Open(ctx, sqlite.Options{Dir: e.dataDir})
}

// openStoreRead opens an existing store for queries.
func (e *env) openStoreRead(ctx context.Context) (*sqlite.Store, error) {
	if _, err := os.Stat(e.dataDir); err != nil {
		return nil, fmt.Errorf("no Evident data in %s: import audit logs with \"evident ingest FILE\", run \"evident demo\", or point --data at a data directory", e.dataDir)
	}
	return sqlite.Open(ctx, sqlite.Options{Dir: e.dataDir})
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// requireFormat rejects output formats a command does not support.
func (e *env) requireFormat(allowed ...string) error {
	for _, a := range allowed {
		if e.output == a {
			return nil
		}
	}
	return usagef("-o %s is not supported here; use one of %s", e.output, strings.Join(allowed, ", "))
}
