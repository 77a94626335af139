package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/evident-dev/evident/internal/demo"
)

// DemoOptions configure `evident demo`.
type DemoOptions struct {
	Dir    string
	Listen string
	Days   int       // days of history (default 30)
	Now    time.Time // the history ends at the start of Now's day (default: today)
	Out    io.Writer // where the URL and tokens are printed
	Logger *slog.Logger
	// Ready, when set, receives the address once the server listens.
	Ready func(addr string)
}

// Demo builds the demo data (unless dir holds a complete demo already),
// then serves it until ctx ends.
func Demo(ctx context.Context, opts DemoOptions) error {
	// The server resolves its files against the data directory, so it
	// must be absolute (./evident-demo is the default).
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return fmt.Errorf("demo directory %s: %w", opts.Dir, err)
	}
	opts.Dir = dir
	info, ok := demo.Load(opts.Dir)
	if !ok {
		t0 := time.Now()
		days, now := opts.Days, opts.Now
		if days <= 0 {
			days = 30
		}
		if now.IsZero() {
			now = t0
		}
		fmt.Fprintf(opts.Out, "Building the demo in %s: a synthetic cluster's %d-day history and its reports...\n", opts.Dir, days)
		info, err = demo.Build(ctx, demo.Options{Dir: opts.Dir, Days: days, Now: now, Logger: opts.Logger,
			Progress: func(step string) { fmt.Fprintf(opts.Out, "  %s\n", step) }})
		if err != nil {
			return fmt.Errorf("build the demo: %w", err)
		}
		fmt.Fprintf(opts.Out, "  done in %s: %d audit events, %d reports\n", time.Since(t0).Round(100*time.Millisecond), info.Events, info.Reports)
	} else {
		fmt.Fprintf(opts.Out, "Using the demo in %s (%s to %s; delete the directory to build it again)\n",
			opts.Dir, info.Start.Format("2006-01-02"), info.End.Format("2006-01-02"))
	}
	cfg := &Config{Listen: opts.Listen, Store: Store{Path: opts.Dir}, Auth: Auth{
		TokensFile: filepath.Join(opts.Dir, demo.TokensFile), RBACFiles: []string{filepath.Join(opts.Dir, demo.RBACFile)}},
		explicit: fieldsSet{}, dir: opts.Dir}
	if err := cfg.defaultAndValidate(); err != nil {
		return err
	}
	ready := func(addr string) {
		fmt.Fprintf(opts.Out, "\nEvident is serving the demo at http://%s/\nSign in with one of these tokens:\n", addr)
		for _, u := range demo.Users {
			fmt.Fprintf(opts.Out, "  %-13s %-8s %s\n", u.Token, u.Name, u.Can)
		}
		fmt.Fprintln(opts.Out, "\nThe API takes the same tokens: curl -H 'Authorization: Bearer demo-admin' http://"+addr+"/api/v1/reports")
		fmt.Fprintln(opts.Out, "Stop with Ctrl-C.")
		if opts.Ready != nil {
			opts.Ready(addr)
		}
	}
	return Serve(ctx, Options{Config: cfg, Logger: opts.Logger, Ready: ready})
}
