package synth

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"
)

// Generator produces one synthetic history. It holds only its options:
// every call replays the history from the start, so calls are
// independent and give identical output.
type Generator struct {
	opts Options
}

// New checks the options, fills in defaults and returns a generator.
func New(opts Options) (*Generator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Generator{opts: o}, nil
}

// Options returns the options in effect, defaults filled in.
func (g *Generator) Options() Options { return g.opts }

// newSim builds the cluster at the start of the history and plans it.
func (g *Generator) newSim() *sim {
	s := &sim{
		opts:      g.opts,
		rnd:       newRNG(g.opts.Seed),
		until:     g.opts.Start.Add(g.opts.Duration),
		limit:     g.opts.Events,
		mf:        !g.opts.OmitManagedFields,
		rv:        1000,
		saUIDs:    make(map[string]string),
		templates: make(map[string]*podTemplate),
		buf:       make([]byte, 0, 64<<10),
	}
	s.w = &world{k: newKinds()}
	s.w.users = newUsers(s.rnd, s.saUID)
	s.clock = clusterBirth(g.opts.Start)
	s.build()
	s.clock, s.last = g.opts.Start, g.opts.Start
	s.schedule()
	return s
}

// Events generates the history and calls yield with each event, in time
// order, as one JSON line without the newline. The slice is reused after
// yield returns. An error from yield or the context stops generation and
// is returned.
func (g *Generator) Events(ctx context.Context, yield func(line []byte) error) error {
	s := g.newSim()
	s.yield = func(line []byte) error {
		if s.events&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return yield(line)
	}
	if err := s.run(s.until); err != nil {
		return fmt.Errorf("generate events: %w", err)
	}
	return ctx.Err()
}

// WriteEvents writes the history to w as JSON lines, exactly like the API
// server's --audit-log-path output, and returns the number of events.
func (g *Generator) WriteEvents(ctx context.Context, w io.Writer) (n int, err error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	err = g.Events(ctx, func(line []byte) error {
		if _, err := bw.Write(line); err != nil {
			return err
		}
		n++
		return bw.WriteByte('\n')
	})
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write events: %w", ferr)
	}
	return n, err
}

// Baseline returns the cluster at time at, as the `kubectl get <kind> -A
// -o json` List documents of every tracked kind (items carry kind and
// apiVersion). at is normally the history start; a later time replays the
// events up to it.
func (g *Generator) Baseline(at time.Time) ([]List, error) {
	if at.Before(g.opts.Start) {
		return nil, fmt.Errorf("baseline at %v: before the history start %v", at, g.opts.Start)
	}
	s := g.newSim()
	if at.After(g.opts.Start) {
		s.silent = true
		if err := s.run(at); err != nil {
			return nil, fmt.Errorf("baseline at %v: %w", at, err)
		}
	}
	return s.lists()
}
