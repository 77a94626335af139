package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
)

// Appender is the part of the store ingest writes to.
type Appender interface {
	Append(ctx context.Context, b *store.Batch) (store.AppendResult, error)
	Checkpoint(ctx context.Context, source string) ([]byte, error)
}

// Options tune a pipeline.
type Options struct {
	Cluster      string        // stamped on every event; default "default"
	MaxEventSize int           // per line/event; default audit.DefaultMaxEventSize
	BatchEvents  int           // events per store transaction; default 10000
	FlushEvery   time.Duration // commit a partial batch after this long (follow mode); default 1s
	Workers      int           // decoding goroutines; default GOMAXPROCS
	Progress     func(Progress)
	// KeepRejects is how many rejection messages the summary keeps (all are
	// counted and stored); default 20.
	KeepRejects int
}

func (o *Options) defaults() {
	if o.Cluster == "" {
		o.Cluster = "default"
	}
	if o.MaxEventSize <= 0 {
		o.MaxEventSize = audit.DefaultMaxEventSize
	}
	if o.BatchEvents <= 0 {
		o.BatchEvents = 10000
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = time.Second
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.KeepRejects <= 0 {
		o.KeepRejects = 20
	}
}

// Summary counts what an import did.
type Summary struct {
	Read       int64 // events decoded
	Stored     int64
	Duplicates int64
	Versions   int64
	Rejected   int64
	ByReason   map[audit.ErrorReason]int64
	Rejects    []*audit.Reject // the first KeepRejects
	Bytes      int64           // input bytes consumed
	Elapsed    time.Duration
}

func (s *Summary) add(r store.AppendResult) {
	s.Stored += int64(r.Stored)
	s.Duplicates += int64(r.Duplicates)
	s.Versions += int64(r.Versions)
}

// Progress is reported after each committed batch.
type Progress struct {
	Summary
	Total int64 // input size when known, else 0
}

// chunkLines is how many lines are decoded together.
const chunkLines = 512

// chunk is a run of input lines and where the input stands after them.
type chunk struct {
	seq   int // assigned by run, in reading order
	lines []audit.Line
	end   int64
	line  int
	final bool            // the reader reached the end of its input
	ident *fileCheckpoint // the file the lines came from, when it can change (live tail)
}

type decoded struct {
	seq     int
	events  []audit.Event
	rejects []*audit.Reject
	end     int64
	line    int
	bytes   int64
	final   bool
	ident   *fileCheckpoint
}

// lineSource yields chunks of lines; it returns io.EOF when the input is
// exhausted (for now, in follow mode).
type lineSource interface {
	nextChunk(ctx context.Context, max int) (chunk, error)
}

// readerSource adapts an audit.Reader.
type readerSource struct {
	r    *audit.Reader
	line int
}

func (s *readerSource) nextChunk(ctx context.Context, max int) (chunk, error) {
	var c chunk
	size := 0
	for len(c.lines) < max && size < 8<<20 {
		l, err := s.r.Next()
		if errors.Is(err, io.EOF) {
			c.final = true
			break
		}
		if err != nil {
			return c, err
		}
		c.lines = append(c.lines, l)
		size += len(l.Data)
		s.line = l.Number
	}
	c.end, c.line = s.r.Offset(), s.line
	if len(c.lines) == 0 && c.final {
		return c, io.EOF
	}
	return c, ctx.Err()
}

// decodeChunks decodes chunks on several goroutines and delivers them in
// order on the returned channel.
func decodeChunks(ctx context.Context, in <-chan chunk, name string, opts Options) <-chan decoded {
	// Decoding runs up to about a batch ahead, so that the next batch is
	// ready when the store finishes the current one.
	out := make(chan decoded, opts.BatchEvents/chunkLines+1)
	results := make(chan decoded, opts.Workers*2)
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range in {
				d := decoded{seq: c.seq, end: c.end, line: c.line, final: c.final, ident: c.ident}
				for _, l := range c.lines {
					d.bytes += int64(len(l.Data))
					evs, rj := audit.DecodeLine(l, name, opts.MaxEventSize)
					for i := range evs {
						evs[i].Cluster = opts.Cluster
					}
					d.events = append(d.events, evs...)
					d.rejects = append(d.rejects, rj...)
				}
				select {
				case results <- d:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	go func() {
		defer close(out)
		next := 0
		pending := map[int]decoded{}
		for d := range results {
			pending[d.seq] = d
			for {
				p, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				select {
				case out <- p:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// batcher accumulates decoded chunks into store batches.
type batcher struct {
	st      Appender
	source  string
	opts    Options
	sum     *Summary
	total   int64
	started time.Time

	batch     store.Batch
	pendEnd   int64
	pendLine  int
	pendIdent *fileCheckpoint
	dirty     bool
	mkCP      func(ident *fileCheckpoint, end int64, line int) []byte
}

func (b *batcher) add(d decoded) {
	b.batch.Events = append(b.batch.Events, d.events...)
	for _, r := range d.rejects {
		b.sum.Rejected++
		if b.sum.ByReason == nil {
			b.sum.ByReason = map[audit.ErrorReason]int64{}
		}
		b.sum.ByReason[r.Reason]++
		if len(b.sum.Rejects) < b.opts.KeepRejects {
			b.sum.Rejects = append(b.sum.Rejects, r)
		}
		b.batch.Rejects = append(b.batch.Rejects, store.Rejection{Source: b.source, Location: r.Location, Reason: r.Reason, Message: r.Msg})
	}
	b.sum.Read += int64(len(d.events))
	b.sum.Bytes = d.end
	b.pendEnd, b.pendLine, b.pendIdent, b.dirty = d.end, d.line, d.ident, true
}

func (b *batcher) full() bool { return len(b.batch.Events) >= b.opts.BatchEvents }

// flush commits what has accumulated, with the checkpoint after it.
func (b *batcher) flush(ctx context.Context) error {
	if !b.dirty {
		return nil
	}
	b.batch.Source = b.source
	b.batch.Checkpoint = nil
	if b.mkCP != nil {
		b.batch.Checkpoint = b.mkCP(b.pendIdent, b.pendEnd, b.pendLine)
	}
	res, err := b.st.Append(ctx, &b.batch)
	if err != nil {
		return fmt.Errorf("store batch ending at line %d: %w", b.pendLine, err)
	}
	b.sum.add(res)
	b.batch.Events, b.batch.Rejects, b.dirty = b.batch.Events[:0], b.batch.Rejects[:0], false
	b.sum.Elapsed = time.Since(b.started)
	if b.opts.Progress != nil {
		b.opts.Progress(Progress{Summary: *b.sum, Total: b.total})
	}
	return nil
}

// run pumps a line source through decoding into the store until the source
// is exhausted (or, with follow set, until ctx ends).
func run(ctx context.Context, src lineSource, b *batcher, name string, follow func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, b.opts.Workers*2)
	readErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		seq := 0
		for {
			c, err := src.nextChunk(ctx, chunkLines)
			if len(c.lines) > 0 || c.final && !errors.Is(err, io.EOF) {
				c.seq, seq = seq, seq+1
				select {
				case chunks <- c:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
			}
			if errors.Is(err, io.EOF) && follow != nil {
				// Flush is driven by the consumer's timer; wait for more input.
				if err := follow(ctx); err != nil {
					readErr <- err
					return
				}
				continue
			}
			if err != nil || c.final {
				readErr <- ignoreEOF(err)
				return
			}
		}
	}()
	out := decodeChunks(ctx, chunks, name, b.opts)
	timer := time.NewTicker(b.opts.FlushEvery)
	defer timer.Stop()
	for {
		select {
		case d, ok := <-out:
			if !ok {
				// Input ended or ctx was cancelled: commit what was decoded.
				if err := b.flush(context.WithoutCancel(ctx)); err != nil {
					return err
				}
				return <-readErr
			}
			b.add(d)
			if b.full() {
				if err := b.flush(context.WithoutCancel(ctx)); err != nil {
					return err
				}
			}
		case <-timer.C:
			if err := b.flush(ctx); err != nil {
				return err
			}
		}
	}
}

func ignoreEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
