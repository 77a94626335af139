package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/auth"
	"github.com/evident-dev/evident/internal/ingest"
	"github.com/evident-dev/evident/internal/policy"
	"github.com/evident-dev/evident/internal/registry"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/schedule"
	"github.com/evident-dev/evident/internal/store/sqlite"
)

// Options configure `evident serve`.
type Options struct {
	Config *Config
	Logger *slog.Logger
	// Clock drives the scheduler, report times and retention; nil is the
	// real clock (tests use schedule.FakeClock).
	Clock schedule.Clock
	// Ready, when set, receives the address the server listens on.
	Ready   func(addr string)
	Version Version
	// PollInterval overrides the scheduler's poll interval (tests).
	PollInterval time.Duration
}

// Version describes the build.
type Version struct {
	Version, BuildDate, GitTagRef, GitCommit string
}

// App is a running `evident serve`.
type App struct {
	cfg      *Config
	log      *slog.Logger
	clock    schedule.Clock
	Store    *sqlite.Store
	Registry *registry.Registry
	Runner   *report.Runner
	Authn    auth.Authenticator
	Authz    auth.Authorizer
	metrics  *metrics
	sched    *schedule.Scheduler
	hooks    []*ingest.Webhook
	// sourceFailed is when a file source last failed (UnixNano; 0: never).
	sourceFailed atomic.Int64
	pollInterval time.Duration
}

// Serve runs the server until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, opts Options) error {
	a, err := New(ctx, opts)
	if err != nil {
		return err
	}
	return a.Run(ctx, opts)
}

// New opens the store and builds every part of the server.
func New(ctx context.Context, opts Options) (*App, error) {
	cfg := opts.Config
	if cfg == nil {
		var err error
		if cfg, err = LoadConfig(""); err != nil {
			return nil, err
		}
	}
	a := &App{cfg: cfg, log: opts.Logger, clock: opts.Clock, metrics: newMetrics()}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.clock == nil {
		a.clock = realClock{}
	}
	if err := a.setupAuth(); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: cfg.Store.Path})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	a.Store = st
	var sched *schedule.Scheduler
	a.Registry = registry.New(st, registry.Options{Defaults: report.DefaultTypes(), Render: report.Validate, Now: a.clock.Now,
		Changed: func(kind, _ string) {
			if kind == v1.KindGlobalReport && sched != nil {
				sched.Trigger()
			}
		}})
	if err := a.Registry.InstallDefaults(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if err := a.loadResources(ctx); err != nil {
		st.Close()
		return nil, err
	}
	pol := policy.DefaultOptions()
	pol.IncludeStaged = cfg.Reports.IncludeStagedPolicies
	engine := report.NewEngine(st, report.EngineOptions{Cluster: cfg.Cluster, Policy: pol, Now: a.clock.Now, Logger: a.log})
	a.Runner = &report.Runner{Engine: engine, Types: a.Registry, Reports: st}
	a.pollInterval = opts.PollInterval
	sched = schedule.New(a.Registry, a.Runner, a.scheduleOptions())
	a.sched = sched
	return a, nil
}

// scheduleOptions are the scheduler's options from the configuration.
func (a *App) scheduleOptions() schedule.Options {
	r := a.cfg.Reports
	return schedule.Options{
		JobStartDelay: r.JobStartDelay.Duration, MaxActiveJobs: r.MaxActiveJobs,
		MaxFailedJobsHistory: r.MaxFailedJobsHistory, MaxSuccessfulJobsHistory: r.MaxSuccessfulJobsHistory,
		MaxJobRetries: r.MaxJobRetries, CatchUpWindow: r.CatchUpWindow.Duration, PollInterval: a.pollInterval,
		Archive: archive{a.Store}, Clock: a.clock, Logger: a.log.With("component", "scheduler"), Observe: a.metrics.observeReport,
	}
}

// setupAuth builds the authenticator and authoriser the config names.
func (a *App) setupAuth() error {
	c := a.cfg.Auth
	if c.Kubeconfig != "" {
		var rc *rest.Config
		var err error
		if c.Kubeconfig == InCluster {
			rc, err = rest.InClusterConfig()
		} else {
			rc, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
		}
		if err != nil {
			return fmt.Errorf("auth.kubeconfig: %w", err)
		}
		k, err := auth.NewKubernetes(rc)
		if err != nil {
			return fmt.Errorf("auth.kubeconfig: %w", err)
		}
		a.Authn, a.Authz = k, k
		return nil
	}
	tokens, err := auth.LoadTokenFile(c.TokensFile)
	if err != nil {
		return fmt.Errorf("auth.tokensFile: %w", err)
	}
	rbac, err := auth.LoadRBAC(c.RBACFiles...)
	if err != nil {
		return fmt.Errorf("auth.rbacFiles: %w", err)
	}
	a.Authn, a.Authz = tokens, rbac
	return nil
}

// loadResources applies the configuration objects of the resources
// directory.
func (a *App) loadResources(ctx context.Context) error {
	if a.cfg.Resources == "" {
		return nil
	}
	var files []string
	for _, ext := range []string{"*.yaml", "*.yml", "*.json"} {
		m, err := filepath.Glob(filepath.Join(a.cfg.Resources, ext))
		if err != nil {
			return err
		}
		files = append(files, m...)
	}
	if _, err := os.Stat(a.cfg.Resources); err != nil {
		return fmt.Errorf("resources: %w", err)
	}
	sort.Strings(files)
	var objs []v1.Object
	var errs []error
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("resources: %w", err)
		}
		o, err := v1.Load(f, raw, report.Validate)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o...)
	}
	if len(errs) > 0 {
		return fmt.Errorf("resources: %w", errors.Join(errs...))
	}
	sort.SliceStable(objs, func(i, j int) bool {
		return registry.KindOf(objs[i]) == v1.KindGlobalReportType && registry.KindOf(objs[j]) != v1.KindGlobalReportType
	})
	for _, o := range objs {
		out, err := a.Registry.Apply(ctx, o)
		if err != nil {
			return fmt.Errorf("resources: %w", err)
		}
		a.log.Info("resource loaded", "kind", registry.KindOf(o), "name", o.GetName(), "outcome", string(out))
	}
	return nil
}

// appender is the store as sources see it: counted for /metrics.
func (a *App) appender() ingest.Appender {
	return meteredAppender{Appender: a.Store, m: a.metrics, now: a.clock.Now}
}

// Run starts the sources, the scheduler, retention and the HTTP server,
// and stops them when ctx ends: the listener first (requests in flight
// finish and their webhook batches commit), then the sources (each
// commits what it has read), then the scheduler, then the store.
func (a *App) Run(ctx context.Context, opts Options) error {
	defer a.Store.Close()
	handler, err := a.handler(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	a.startSources(bg, &wg)
	schedDone := make(chan error, 1)
	go func() { schedDone <- a.sched.Run(bg) }()
	wg.Go(func() { a.retentionLoop(bg) })

	errc := make(chan error, 1)
	go func() {
		if a.cfg.TLS != nil {
			errc <- srv.ServeTLS(ln, a.cfg.TLS.CertFile, a.cfg.TLS.KeyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	a.log.Info("serving", "addr", ln.Addr().String(), "data", a.cfg.Store.Path, "cluster", a.cfg.Cluster)
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}
	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && serveErr == nil {
		serveErr = fmt.Errorf("shut down HTTP: %w", err)
	}
	for _, h := range a.hooks {
		h.Close()
	}
	stopBG()
	wg.Wait()
	<-schedDone
	return serveErr
}

// startSources starts a follower per file source.
func (a *App) startSources(ctx context.Context, wg *sync.WaitGroup) {
	for _, s := range a.cfg.Sources {
		if s.File == nil {
			continue
		}
		f := s.File
		wg.Go(func() {
			log := a.log.With("source", "file:"+f.Path)
			opts := ingest.FollowOptions{Options: ingest.Options{Cluster: f.Cluster, MaxEventSize: a.cfg.Limits.MaxEventSize}, Logger: log}
			for {
				err := ingest.Follow(ctx, a.appender(), f.Path, opts)
				if ctx.Err() != nil {
					return
				}
				a.sourceFailed.Store(time.Now().UnixNano())
				log.Error("audit log source stopped; restarting in 10s", "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(10 * time.Second):
				}
			}
		})
	}
}

// retentionLoop drops whole months older than the retention, daily.
func (a *App) retentionLoop(ctx context.Context) {
	for {
		cutoff := a.clock.Now().Add(-a.cfg.Retention.Duration)
		dropped, err := a.Store.DropBefore(ctx, cutoff)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Error("retention", "err", err)
		case len(dropped) > 0:
			a.log.Info("retention dropped months of events", "partitions", dropped, "cutoff", cutoff)
		}
		c, stop := a.clock.After(24 * time.Hour)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-c:
		}
	}
}

// archive lets the scheduler seed a report's status from stored reports.
type archive struct{ st *sqlite.Store }

func (ar archive) LastReport(ctx context.Context, name string) (time.Time, time.Time, bool, error) {
	r, ok, err := ar.st.LastReport(ctx, name)
	return r.Start, r.End, ok, err
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}
