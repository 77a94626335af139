package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxEventSize is the largest event (or JSON line) accepted unless
// configured otherwise.
const DefaultMaxEventSize = 4 << 20

// Line is one unit of input: a JSON line, or one element of a JSON array
// document. Data is nil for an oversized line (Oversized is set).
type Line struct {
	Data      []byte
	Number    int   // 1-based line number (JSON lines) or element index + 1 (array documents)
	Element   bool  // Number counts array elements, not lines
	End       int64 // input offset just past this line: where a resumed read starts
	Oversized bool
}

// Location names where a line came from, as "name:line" or "name:item N".
func (l Line) Location(name string) string {
	if l.Element {
		return fmt.Sprintf("%s:item %d", name, l.Number)
	}
	return fmt.Sprintf("%s:%d", name, l.Number)
}

// Reader splits an audit input into lines. It reads JSON lines, gzip
// (detected by its magic number), a JSON array of events or EventLists
// (input whose first non-blank byte is '['), and a single pretty-printed
// document (input whose first line is a lone '{').
type Reader struct {
	br       *bufio.Reader
	max      int
	offset   int64 // bytes consumed from the (decompressed) input
	line     int
	follow   bool
	partial  []byte // a line without its newline yet (follow mode)
	doc      *json.Decoder
	docStart int64
	eof      bool
}

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	MaxEventSize int   // default DefaultMaxEventSize
	Offset       int64 // the input has already been read up to here (a checkpoint); skip to it
	Line         int   // the line number at Offset
	// Follow leaves a last line without a newline unread, to be completed by
	// data appended later (tailing a live file). Follow input must be JSON lines.
	Follow bool
}

// NewReader prepares to read src. With opts.Offset set, the first Offset
// bytes (of the decompressed input) are skipped.
func NewReader(src io.Reader, opts ReaderOptions) (*Reader, error) {
	if opts.MaxEventSize <= 0 {
		opts.MaxEventSize = DefaultMaxEventSize
	}
	br := bufio.NewReaderSize(src, 256<<10)
	if !opts.Follow {
		if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			zr, err := gzip.NewReader(br)
			if err != nil {
				return nil, fmt.Errorf("open gzip stream: %w", err)
			}
			br = bufio.NewReaderSize(zr, 256<<10)
		}
	}
	r := &Reader{br: br, max: opts.MaxEventSize, follow: opts.Follow}
	if opts.Offset > 0 {
		n, err := io.CopyN(io.Discard, br, opts.Offset)
		r.offset, r.line = n, opts.Line
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("skip to offset %d: %w", opts.Offset, err)
		}
		return r, nil
	}
	if !opts.Follow && r.isDocument() {
		r.doc = json.NewDecoder(br)
	}
	return r, nil
}

// isDocument peeks at the start of the input for a JSON array or a
// pretty-printed object.
func (r *Reader) isDocument() bool {
	for n := 64; n <= 4096; n *= 4 {
		head, _ := r.br.Peek(n)
		trimmed := bytes.TrimLeft(head, " \t\r\n")
		if len(trimmed) == 0 {
			if len(head) < n {
				return false
			}
			continue
		}
		if trimmed[0] == '[' {
			return true
		}
		if trimmed[0] != '{' {
			return false
		}
		rest := bytes.TrimLeft(trimmed[1:], " \t\r")
		return len(rest) > 0 && rest[0] == '\n'
	}
	return false
}

// Next returns the next line. It returns io.EOF at the end of the input;
// in follow mode that means "no complete line yet", and Next may be called
// again once more data has been appended.
func (r *Reader) Next() (Line, error) {
	if r.doc != nil {
		return r.nextElement()
	}
	for {
		chunk, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(r.partial)+len(chunk) > r.max {
				return r.skipOversized(int64(len(chunk)))
			}
			r.partial = append(r.partial, chunk...)
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return Line{}, fmt.Errorf("read line %d: %w", r.line+1, err)
		}
		if len(r.partial)+len(chunk) > r.max {
			r.offset += int64(len(r.partial) + len(chunk))
			r.partial = nil
			r.line++
			return Line{Number: r.line, End: r.offset, Oversized: true}, nil
		}
		if err != nil { // EOF
			if len(chunk) == 0 && len(r.partial) == 0 {
				return Line{}, io.EOF
			}
			if r.follow {
				r.partial = append(r.partial, chunk...)
				return Line{}, io.EOF
			}
		}
		var data []byte
		if len(r.partial) > 0 {
			data = append(r.partial, chunk...)
			r.partial = nil
		} else {
			data = bytes.Clone(chunk)
		}
		r.offset += int64(len(data))
		r.line++
		if len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		return Line{Data: data, Number: r.line, End: r.offset}, nil
	}
}

// skipOversized discards the rest of a line that is over the size limit,
// counting only its length, and reports it.
func (r *Reader) skipOversized(consumed int64) (Line, error) {
	consumed += int64(len(r.partial))
	r.partial = nil
	for {
		chunk, err := r.br.ReadSlice('\n')
		consumed += int64(len(chunk))
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return Line{}, fmt.Errorf("read line %d: %w", r.line+1, err)
		}
		break
	}
	r.offset += consumed
	r.line++
	return Line{Number: r.line, End: r.offset, Oversized: true}, nil
}

// nextElement returns the next element of a JSON array document, or the
// whole document when it is a single object.
func (r *Reader) nextElement() (Line, error) {
	if r.eof {
		return Line{}, io.EOF
	}
	if r.line == 0 {
		tok, err := r.doc.Token()
		if err != nil {
			r.eof = true
			return Line{}, fmt.Errorf("read document: %w", err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			// A single object: decode the rest of it as one element.
			return r.singleObject()
		}
	}
	if !r.doc.More() {
		r.eof = true
		if _, err := r.doc.Token(); err != nil {
			return Line{}, fmt.Errorf("read end of array after item %d: %w", r.line, err)
		}
		return Line{}, io.EOF
	}
	var raw json.RawMessage
	r.line++
	if err := r.doc.Decode(&raw); err != nil {
		r.eof = true // the stream cannot be resynchronised inside a document
		return Line{}, fmt.Errorf("item %d: %w", r.line, err)
	}
	if len(raw) > r.max {
		return Line{Number: r.line, Element: true, End: r.doc.InputOffset(), Oversized: true}, nil
	}
	return Line{Data: raw, Number: r.line, Element: true, End: r.doc.InputOffset()}, nil
}

// singleObject handles a document that is one pretty-printed object: the
// decoder has consumed its '{', so the object is re-assembled from tokens'
// raw bytes by decoding the remainder of the input.
func (r *Reader) singleObject() (Line, error) {
	r.eof = true
	rest, err := io.ReadAll(io.LimitReader(io.MultiReader(r.doc.Buffered(), r.br), int64(r.max)+1))
	if err != nil {
		return Line{}, fmt.Errorf("read document: %w", err)
	}
	if len(rest)+1 > r.max {
		return Line{Number: 1, End: int64(len(rest) + 1), Oversized: true}, nil
	}
	data := append([]byte{'{'}, rest...)
	return Line{Data: data, Number: 1, End: int64(len(data))}, nil
}

// Document reports whether the input is a JSON document (an array or one
// pretty-printed object) rather than JSON lines. Only JSON lines can be
// resumed from an offset.
func (r *Reader) Document() bool { return r.doc != nil }

// Offset reports how much of the input has been consumed by complete lines.
func (r *Reader) Offset() int64 { return r.offset }
