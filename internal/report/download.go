package report

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
)

// EvidenceCoverageFormat is the download format every report has besides
// its type's templates: the report's evidence-coverage section as indented
// JSON. A report type's own template of the same name takes its place.
const EvidenceCoverageFormat = "evidence-coverage.json"

// Content types of downloads.
const (
	ContentTypeText = "text/plain"
	ContentTypeZip  = "application/zip"
)

// UnknownFormatError is returned by Download for a format the report type
// does not have.
type UnknownFormatError struct {
	Format string
	Known  []string // the formats the type has, in order
}

func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("unknown report format %q (the report type has %s)", e.Format, strings.Join(e.Known, ", "))
}

// RenderError is returned by Download when a format's template fails.
type RenderError struct {
	Format string
	Err    error
}

func (e *RenderError) Error() string { return fmt.Sprintf("render %s: %v", e.Format, e.Err) }

func (e *RenderError) Unwrap() error { return e.Err }

// Format is one download format of a report type.
type Format struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Formats lists the download formats of a report type: its download
// templates in order, then EvidenceCoverageFormat unless a template
// already has that name.
func Formats(rt *v1.ReportTypeSpec) []Format {
	var out []Format
	builtin := true
	if rt != nil {
		for _, t := range rt.DownloadTemplates {
			out = append(out, Format{Name: t.Name, Description: t.Description})
			builtin = builtin && t.Name != EvidenceCoverageFormat
		}
	}
	if builtin {
		out = append(out, Format{Name: EvidenceCoverageFormat,
			Description: "What evidence the report was computed from: baselines, audit coverage and gaps"})
	}
	return out
}

// Download renders formats of report r, whose type is rt, and writes the
// result to w. One format (after removing duplicates) gives that file as
// text/plain; several, or none, give a zip archive with one deflated entry
// per format, each named as FileName names it. The returned filename is
// the one to offer for saving.
//
// Every format is rendered before anything is written, so on error w has
// received nothing, unless writing itself failed. A format the type does
// not have is an *UnknownFormatError and a failed template a *RenderError;
// both are the caller's mistake (HTTP 400).
func Download(w io.Writer, r *Report, rt *v1.ReportTypeSpec, formats []string) (contentType, filename string, err error) {
	return DownloadContext(context.Background(), w, r, rt, formats)
}

// DownloadContext is Download with a context that bounds rendering time.
func DownloadContext(ctx context.Context, w io.Writer, r *Report, rt *v1.ReportTypeSpec, formats []string) (contentType, filename string, err error) {
	formats = dedupe(formats)
	known := Formats(rt)
	files := make([][]byte, len(formats))
	for i, f := range formats {
		files[i], err = renderFormat(ctx, r, rt, known, f)
		if err != nil {
			return "", "", err
		}
	}
	start, end := r.StartTime.Time, r.EndTime.Time
	if len(formats) == 1 {
		if _, err := w.Write(files[0]); err != nil {
			return "", "", fmt.Errorf("write download: %w", err)
		}
		return ContentTypeText, FileName(r.ReportTypeName, r.ReportName, start, end, formats[0]), nil
	}
	if err := writeZip(w, r, formats, files); err != nil {
		return "", "", err
	}
	return ContentTypeZip, ZipName(r.ReportTypeName, r.ReportName, start, end), nil
}

func dedupe(formats []string) []string {
	var out []string
	for _, f := range formats {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// renderFormat renders one format of r.
func renderFormat(ctx context.Context, r *Report, rt *v1.ReportTypeSpec, known []Format, format string) ([]byte, error) {
	if rt != nil {
		for _, t := range rt.DownloadTemplates {
			if t.Name == format {
				s, err := renderNamed(ctx, t.Name, t.Template, &r.ReportData)
				if err != nil {
					return nil, &RenderError{Format: format, Err: err}
				}
				return []byte(s), nil
			}
		}
	}
	if format == EvidenceCoverageFormat {
		b, err := json.MarshalIndent(r.EvidenceCoverage, "", "  ")
		if err != nil {
			return nil, &RenderError{Format: format, Err: err}
		}
		return append(b, '\n'), nil
	}
	names := make([]string, len(known))
	for i, f := range known {
		names[i] = f.Name
	}
	return nil, &UnknownFormatError{Format: format, Known: names}
}

// writeZip writes one deflated entry per format, dated with the report's
// generation time (its end time when that is unset) so that the archive of
// a stored report is always the same bytes.
func writeZip(w io.Writer, r *Report, formats []string, files [][]byte) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	mod := r.GenerationTime.Time
	if mod.IsZero() {
		mod = r.EndTime.Time
	}
	if mod.Before(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)) {
		mod = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC) // the earliest time zip can hold
	}
	for i, f := range formats {
		h := &zip.FileHeader{
			Name:     FileName(r.ReportTypeName, r.ReportName, r.StartTime.Time, r.EndTime.Time, f),
			Method:   zip.Deflate,
			Modified: mod.UTC(),
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("write zip: %w", err)
		}
		if _, err := fw.Write(files[i]); err != nil {
			return fmt.Errorf("write zip: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write download: %w", err)
	}
	return nil
}
