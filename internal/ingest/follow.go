package ingest

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/evident-dev/evident/internal/audit"
)

// FollowOptions configure tailing a live audit log.
type FollowOptions struct {
	Options
	Poll   time.Duration // how often to look for new data and rotation; default 250ms
	Logger *slog.Logger
}

// Follow tails an audit log until ctx ends. It survives the API server's
// log rotation (the file renamed, a new one created: --audit-log-maxbackup
// style) and truncation, and restarts where the last run's checkpoint left
// off: in the same file, or in the rotated backup that file became, then
// every newer backup, then the live file. Already stored events are never
// stored twice; events are not lost as long as backups exist.
func Follow(ctx context.Context, st Appender, path string, opts FollowOptions) error {
	opts.defaults()
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	source := SourceName(path)
	cp, err := loadCheckpoint(ctx, st, source)
	if err != nil {
		return err
	}
	t := &tail{path: path, st: st, opts: opts, source: source}
	f, err := t.waitOpen(ctx)
	if err != nil {
		return err
	}
	var start int64
	var startLine int
	switch {
	case cp == nil:
	case cp.matches(f):
		start, startLine = cp.Offset, cp.Line
	default:
		if err := t.catchUp(ctx, cp, f); err != nil {
			f.Close()
			return err
		}
	}
	return t.live(ctx, f, start, startLine)
}

type tail struct {
	path   string
	st     Appender
	opts   FollowOptions
	source string
}

// waitOpen opens the live file, waiting while it does not exist.
func (t *tail) waitOpen(ctx context.Context) (*os.File, error) {
	for {
		f, err := os.Open(t.path)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open %s: %w", t.path, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(t.opts.Poll):
		}
	}
}

// backups lists the rotated files of the live file, oldest first:
// <name>-<timestamp><ext>[.gz] in the same directory, as kube-apiserver's
// log rotation names them.
func (t *tail) backups() ([]string, error) {
	dir, base := filepath.Split(t.path)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	entries, err := os.ReadDir(filepath.Clean(dir + "."))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	type bk struct {
		name string
		mod  time.Time
	}
	var out []bk
	for _, e := range entries {
		n := e.Name()
		if n == base || !strings.HasPrefix(n, stem+"-") || e.IsDir() {
			continue
		}
		if info, err := e.Info(); err == nil {
			out = append(out, bk{filepath.Join(dir, n), info.ModTime()})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].mod.Equal(out[j].mod) {
			return out[i].mod.Before(out[j].mod)
		}
		return out[i].name < out[j].name
	})
	names := make([]string, len(out))
	for i, b := range out {
		names[i] = b.name
	}
	return names, nil
}

// matchesBackup reports whether a backup is the checkpointed file: the same
// inode and first bytes, or (compressed) the same first bytes once
// decompressed.
func matchesBackup(path string, cp *fileCheckpoint) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return false
		}
		head := make([]byte, cp.FPLen)
		if _, err := io.ReadFull(zr, head); err != nil {
			return false
		}
		sum := sha256.Sum256(head)
		return hex.EncodeToString(sum[:]) == cp.Fingerprint
	}
	return cp.matches(f)
}

// catchUp reads what the API server wrote after the checkpoint and before
// the live file was created: the rest of the checkpointed file, now a
// backup, then every newer backup.
func (t *tail) catchUp(ctx context.Context, cp *fileCheckpoint, live *os.File) error {
	names, err := t.backups()
	if err != nil {
		return err
	}
	from := -1
	for i, n := range names {
		if matchesBackup(n, cp) {
			from = i
			break
		}
	}
	if from < 0 {
		t.opts.Logger.Warn("checkpointed file not found among backups; reading the live file from its start",
			"file", t.path, "line", cp.Line)
		return nil
	}
	for i, n := range names[from:] {
		if lf, err := os.Open(n); err == nil {
			same := sameFile(lf, live)
			lf.Close()
			if same {
				break
			}
		}
		ropts := audit.ReaderOptions{MaxEventSize: t.opts.MaxEventSize}
		if i == 0 {
			ropts.Offset, ropts.Line = cp.Offset, cp.Line
		}
		t.opts.Logger.Info("reading rotated audit log", "file", n, "fromLine", ropts.Line)
		if err := t.readWhole(ctx, n, ropts); err != nil {
			return err
		}
	}
	return nil
}

func sameFile(a, b *os.File) bool {
	ia, err1 := a.Stat()
	ib, err2 := b.Stat()
	return err1 == nil && err2 == nil && os.SameFile(ia, ib)
}

// readWhole imports one rotated file, checkpointing by its identity.
func (t *tail) readWhole(ctx context.Context, path string, ropts audit.ReaderOptions) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	id, err := identifyContent(f, path)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r, err := audit.NewReader(f, ropts)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	sum := &Summary{}
	b := &batcher{st: t.st, source: t.source, opts: t.opts.Options, sum: sum, started: time.Now()}
	b.mkCP = func(_ *fileCheckpoint, end int64, line int) []byte { return id.at(end, line) }
	return run(ctx, &readerSource{r: r, line: ropts.Line}, b, filepath.Base(path), nil)
}

// identifyContent fingerprints a file by its (decompressed) first bytes.
func identifyContent(f *os.File, path string) (fileCheckpoint, error) {
	var src io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fileCheckpoint{}, fmt.Errorf("open %s: %w", path, err)
		}
		src = zr
	}
	head := make([]byte, fingerprintLen)
	n, _ := io.ReadFull(src, head)
	sum := sha256.Sum256(head[:n])
	var inode uint64
	if fi, err := f.Stat(); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && !strings.HasSuffix(path, ".gz") {
			inode = st.Ino
		}
	}
	return fileCheckpoint{Inode: inode, Fingerprint: hex.EncodeToString(sum[:]), FPLen: n}, nil
}

func (cp fileCheckpoint) at(end int64, line int) []byte {
	cp.Offset, cp.Line = end, line
	raw, _ := json.Marshal(cp)
	return raw
}

// live tails the live file from an offset, switching to the new file on
// rotation and starting over on truncation.
func (t *tail) live(ctx context.Context, f *os.File, offset int64, line int) error {
	src := &liveSource{t: t}
	if err := src.open(f, offset, line); err != nil {
		return err
	}
	defer func() { src.f.Close() }()
	sum := &Summary{}
	b := &batcher{st: t.st, source: t.source, opts: t.opts.Options, sum: sum, started: time.Now()}
	b.mkCP = func(id *fileCheckpoint, end int64, line int) []byte {
		if id == nil {
			return nil
		}
		return id.at(end, line)
	}
	err := run(ctx, src, b, filepath.Base(t.path), src.wait)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// liveSource reads complete lines from the live file.
type liveSource struct {
	t       *tail
	f       *os.File
	r       *audit.Reader
	id      fileCheckpoint
	line    int
	rotated bool
}

func (s *liveSource) open(f *os.File, offset int64, line int) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("read %s: %w", s.t.path, err)
	}
	r, err := audit.NewReader(f, audit.ReaderOptions{MaxEventSize: s.t.opts.MaxEventSize, Follow: true, Offset: offset, Line: line})
	if err != nil {
		return fmt.Errorf("read %s: %w", s.t.path, err)
	}
	inode, _, _, err := identity(f, 0)
	if err != nil {
		return err
	}
	s.f, s.r, s.line, s.rotated = f, r, line, false
	s.id = fileCheckpoint{Inode: inode}
	return nil
}

// ident identifies the live file by inode and its current first bytes.
func (s *liveSource) ident() *fileCheckpoint {
	inode, fp, n, err := identity(s.f, fingerprintLen)
	if err != nil {
		return nil
	}
	return &fileCheckpoint{Inode: inode, Fingerprint: fp, FPLen: n}
}

func (s *liveSource) nextChunk(ctx context.Context, max int) (chunk, error) {
	for {
		c, err := (&readerSource{r: s.r, line: s.line}).nextChunk(ctx, max)
		if len(c.lines) > 0 {
			s.line = c.line
			c.final = false
			c.ident = s.ident()
			return c, nil
		}
		if !errors.Is(err, io.EOF) {
			return c, err
		}
		if !s.rotated {
			return chunk{}, io.EOF
		}
		// The old file is drained: move on to the new one.
		s.t.opts.Logger.Info("audit log rotated; following the new file", "file", s.t.path, "lines", s.line)
		nf, err := os.Open(s.t.path)
		if err != nil {
			return chunk{}, io.EOF // not created yet; wait
		}
		s.f.Close()
		if err := s.open(nf, 0, 0); err != nil {
			return chunk{}, err
		}
	}
}

// wait pauses for the poll interval and notes rotation or truncation.
func (s *liveSource) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(s.t.opts.Poll):
	}
	fi, err := os.Stat(s.t.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			s.rotated = true
			return nil
		}
		return fmt.Errorf("stat %s: %w", s.t.path, err)
	}
	cur, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", s.t.path, err)
	}
	switch {
	case !os.SameFile(fi, cur):
		s.rotated = true
	case fi.Size() < s.r.Offset():
		s.t.opts.Logger.Warn("audit log truncated; reading it from the start", "file", s.t.path)
		if err := s.open(s.f, 0, 0); err != nil {
			return err
		}
	}
	return nil
}
