package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/evident-dev/evident/internal/store"
)

// exportPage is how many events an export reads at a time.
const exportPage = 1000

// allTime is a count bucket wide enough to hold every event in one.
const allTime = time.Duration(1 << 62)

// exportFormat describes one export format.
type exportFormat struct {
	ext, contentType string
	// begin starts the document, items comes before the first event and
	// empty instead of it when there is none, end closes the document.
	begin, items, empty, end string
	item                     func(w io.Writer, body []byte, first bool) error
}

var exportFormats = map[string]exportFormat{
	"json": {
		ext: "json", contentType: "application/json",
		begin: `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`, end: "]}\n",
		item: func(w io.Writer, body []byte, first bool) error {
			if !first {
				if _, err := io.WriteString(w, ",\n"); err != nil {
					return err
				}
			}
			_, err := w.Write(bytes.TrimSpace(body))
			return err
		},
	},
	"jsonl": {
		ext: "jsonl", contentType: "application/jsonl",
		item: func(w io.Writer, body []byte, _ bool) error {
			_, err := w.Write(append(bytes.TrimSpace(body), '\n'))
			return err
		},
	},
	"yaml": {
		ext: "yaml", contentType: "application/yaml",
		begin: "apiVersion: audit.k8s.io/v1\nkind: EventList\nmetadata: {}\n", items: "items:\n", empty: "items: []\n",
		item: writeYAMLItem,
	},
}

// writeYAMLItem writes one event as an item of a YAML list.
func writeYAMLItem(w io.Writer, body []byte, _ bool) error {
	y, err := yaml.JSONToYAML(body)
	if err != nil {
		return fmt.Errorf("convert event to YAML: %w", err)
	}
	var b bytes.Buffer
	prefix := "- "
	for line := range bytes.Lines(y) {
		b.WriteString(prefix)
		b.Write(line)
		prefix = "  "
	}
	_, err = w.Write(b.Bytes())
	return err
}

// fileTime formats a time for an export's file name.
func fileTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// export answers GET /api/v1/audit/export: every matching event, newest
// first, as an audit.k8s.io/v1 EventList (json, yaml) or JSON lines, as a
// download. It counts the events first and refuses exports above the
// limit; the events are then written page by page.
func (s *Server) export(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.require(ctx, "list", resAuditLogs, ""); err != nil {
		return err
	}
	v := r.URL.Query()
	name := v.Get("format")
	if name == "" {
		name = "json"
	}
	f, ok := exportFormats[name]
	if !ok {
		return badRequest("invalid parameter format %q: want json, yaml or jsonl", name)
	}
	now := s.opts.Now()
	q, err := filterQuery(v, now)
	if err != nil {
		return err
	}
	total, err := s.countEvents(ctx, q)
	if err != nil {
		return storeError(err)
	}
	if total > int64(s.opts.ExportLimit) {
		return errorf(http.StatusRequestEntityTooLarge,
			"the export would hold %d events, more than the limit of %d; narrow the time range or the filters", total, s.opts.ExportLimit)
	}
	from, to := "beginning", fileTime(now)
	if !q.From.IsZero() {
		from = fileTime(q.From)
	}
	if !q.To.IsZero() {
		to = fileTime(q.To)
	}
	filename := "audit-events-" + from + "-" + to + "." + f.ext
	q.WithBody, q.Limit = true, exportPage

	// The first page is read before anything is written, so that an
	// early failure is still an error answer.
	page, err := s.opts.Store.Events(ctx, q)
	if err != nil {
		return storeError(err)
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := s.streamExport(ctx, w, f, q, page); err != nil {
		// The answer has begun: all that can be done is to break it off,
		// so that the client does not take a partial export as complete.
		infoFrom(ctx).cause = fmt.Errorf("export broken off: %w", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// countEvents counts the events q selects.
func (s *Server) countEvents(ctx context.Context, q store.EventQuery) (int64, error) {
	cs, err := s.opts.Store.EventCounts(ctx, q, allTime)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, c := range cs {
		n += c.N
	}
	return n, nil
}

// streamExport writes the export, starting with its first page.
func (s *Server) streamExport(ctx context.Context, w http.ResponseWriter, f exportFormat, q store.EventQuery, page store.EventPage) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	rc := http.NewResponseController(w)
	if _, err := io.WriteString(bw, f.begin); err != nil {
		return err
	}
	n := 0
	for {
		for i := range page.Events {
			if n >= s.opts.ExportLimit {
				return fmt.Errorf("more than %d events", s.opts.ExportLimit)
			}
			if n == 0 {
				if _, err := io.WriteString(bw, f.items); err != nil {
					return err
				}
			}
			if err := f.item(bw, page.Events[i].Body, n == 0); err != nil {
				return err
			}
			n++
		}
		if page.Next == "" {
			break
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		_ = rc.Flush()
		q.After = page.Next
		var err error
		if page, err = s.opts.Store.Events(ctx, q); err != nil {
			return err
		}
	}
	if n == 0 {
		if _, err := io.WriteString(bw, f.empty); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(bw, f.end); err != nil {
		return err
	}
	return bw.Flush()
}
