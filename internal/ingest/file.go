package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/evident-dev/evident/internal/audit"
)

// fileCheckpoint is where a file source stands: which file (by inode and a
// fingerprint of its first bytes) and how far into it.
type fileCheckpoint struct {
	Inode       uint64 `json:"inode"`
	Fingerprint string `json:"fingerprint"` // sha256 of the first FPLen bytes
	FPLen       int    `json:"fpLen"`
	Offset      int64  `json:"offset"`
	Line        int    `json:"line"`
}

const fingerprintLen = 1024

// identity reads a file's inode and the fingerprint of its first n bytes
// (n = fingerprintLen, or fewer when the file is shorter).
func identity(f *os.File, n int) (inode uint64, fp string, fpLen int, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, "", 0, err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		inode = st.Ino
	}
	buf := make([]byte, n)
	m, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return 0, "", 0, err
	}
	sum := sha256.Sum256(buf[:m])
	return inode, hex.EncodeToString(sum[:]), m, nil
}

// matches reports whether f is the file a checkpoint describes.
func (cp *fileCheckpoint) matches(f *os.File) bool {
	inode, fp, n, err := identity(f, cp.FPLen)
	return err == nil && n == cp.FPLen && fp == cp.Fingerprint && (cp.Inode == 0 || inode == cp.Inode)
}

// SourceName is the source name of a file path: "file:" + its absolute path.
func SourceName(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return "file:" + path
}

func loadCheckpoint(ctx context.Context, st Appender, source string) (*fileCheckpoint, error) {
	raw, err := st.Checkpoint(ctx, source)
	if err != nil || raw == nil {
		return nil, err
	}
	var cp fileCheckpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return nil, fmt.Errorf("read checkpoint of %s: %w", source, err)
	}
	return &cp, nil
}

// ImportOptions add file-import settings to Options.
type ImportOptions struct {
	Options
	// FromStart ignores the file's checkpoint and reads it all again
	// (events already stored are counted as duplicates).
	FromStart bool
	// Resumed, when set, is told the line an import resumes after.
	Resumed func(line int)
}

// ImportFile imports an audit log file (JSON lines, EventList documents or
// gzip). A JSON-lines file resumes after the last committed line of an
// earlier import of the same file.
func ImportFile(ctx context.Context, st Appender, path string, opts ImportOptions) (Summary, error) {
	opts.defaults()
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	source := SourceName(path)
	var cp *fileCheckpoint
	if !opts.FromStart {
		if cp, err = loadCheckpoint(ctx, st, source); err != nil {
			return Summary{}, err
		}
		if cp != nil && !cp.matches(f) {
			cp = nil // a different file now has this name
		}
	}
	inode, fp, fpLen, err := identity(f, fingerprintLen)
	if err != nil {
		return Summary{}, fmt.Errorf("read %s: %w", path, err)
	}
	var total int64
	if fi, err := f.Stat(); err == nil {
		total = fi.Size()
	}
	ropts := audit.ReaderOptions{MaxEventSize: opts.MaxEventSize}
	if cp != nil {
		ropts.Offset, ropts.Line = cp.Offset, cp.Line
		if opts.Resumed != nil {
			opts.Resumed(cp.Line)
		}
	}
	r, err := audit.NewReader(f, ropts)
	if err != nil {
		return Summary{}, fmt.Errorf("read %s: %w", path, err)
	}
	sum := &Summary{}
	b := &batcher{st: st, source: source, opts: opts.Options, sum: sum, total: total, started: time.Now()}
	if !r.Document() {
		b.mkCP = func(_ *fileCheckpoint, end int64, line int) []byte {
			raw, _ := json.Marshal(fileCheckpoint{Inode: inode, Fingerprint: fp, FPLen: fpLen, Offset: end, Line: line})
			return raw
		}
	}
	err = run(ctx, &readerSource{r: r, line: ropts.Line}, b, filepath.Base(path), nil)
	sum.Elapsed = time.Since(b.started)
	return *sum, err
}

// ImportReader imports from a stream (such as standard input) under a
// source name; streams have no checkpoint.
func ImportReader(ctx context.Context, st Appender, src io.Reader, name string, opts Options) (Summary, error) {
	opts.defaults()
	r, err := audit.NewReader(src, audit.ReaderOptions{MaxEventSize: opts.MaxEventSize})
	if err != nil {
		return Summary{}, fmt.Errorf("read %s: %w", name, err)
	}
	sum := &Summary{}
	b := &batcher{st: st, source: name, opts: opts, sum: sum, started: time.Now()}
	err = run(ctx, &readerSource{r: r}, b, name, nil)
	sum.Elapsed = time.Since(b.started)
	return *sum, err
}
