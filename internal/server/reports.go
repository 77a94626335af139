package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/store"
)

// The resources that guard reports.
const (
	resReports     = "globalreports"
	resReportTypes = "globalreporttypes"
)

// accessDenied is the compliance server's answer to a caller who may not
// list reports or download one.
func accessDenied() *apiError { return unauthorized("Access denied") }

// ReportSummary is one report of a listing.
type ReportSummary struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Type            string          `json:"type"`
	StartTime       time.Time       `json:"startTime"`
	EndTime         time.Time       `json:"endTime"`
	UISummary       json.RawMessage `json:"uiSummary"`
	DownloadURL     string          `json:"downloadUrl"`
	DownloadFormats []report.Format `json:"downloadFormats"`
	GenerationTime  time.Time       `json:"generationTime"`
}

// ReportList is the answer of GET /api/v1/reports and /compliance/reports.
type ReportList struct {
	Reports []ReportSummary `json:"reports"`
	Page    int             `json:"page"`
	Count   int             `json:"count"`
}

// Report listing defaults.
const defaultMaxItems = 100

// reportSortFields are the fields a listing sorts by, with the default
// order appended for those a request does not name.
var reportSortDefaults = []store.ReportSort{
	{Field: "startTime", Descending: true}, {Field: "reportTypeName"}, {Field: "reportName"},
}

var reportSortFields = map[string]bool{
	"reportName": true, "reportTypeName": true, "generationTime": true, "startTime": true, "endTime": true,
}

func invalidParam(format string, args ...any) *apiError {
	return badRequest("Invalid query parameter: "+format, args...)
}

// reportQuery reads the parameters of a report listing.
func reportQuery(v url.Values, now time.Time) (q store.ReportQuery, page int, err error) {
	q.Names, q.Types = v["reportName"], v["reportTypeName"]
	for _, p := range []struct {
		key string
		t   *time.Time
	}{{"fromTime", &q.From}, {"toTime", &q.To}} {
		if s := v.Get(p.key); s != "" {
			if *p.t, err = time.Parse(time.RFC3339, s); err != nil {
				return q, 0, invalidParam("%s %q is not an RFC 3339 time", p.key, s)
			}
		}
	}
	if !q.From.IsZero() && q.To.IsZero() {
		q.To = now
	}
	if s := v.Get("page"); s != "" {
		if page, err = strconv.Atoi(s); err != nil || page < 0 {
			return q, 0, invalidParam("page %q is not an integer of 0 or more", s)
		}
	}
	maxItems := defaultMaxItems
	switch s := v.Get("maxItems"); s {
	case "":
	case "all":
		if page != 0 {
			return q, 0, invalidParam("page must be 0 when maxItems is all")
		}
		maxItems = 0
	default:
		if maxItems, err = strconv.Atoi(s); err != nil || maxItems <= 0 {
			return q, 0, invalidParam("maxItems %q is not a positive integer or all", s)
		}
	}
	if maxItems > 0 {
		if page > (1<<31)/maxItems {
			return q, 0, invalidParam("page %d is out of range", page)
		}
		q.Offset, q.Limit = page*maxItems, maxItems
	}
	if q.Sort, err = reportSort(v["sortBy"]); err != nil {
		return q, 0, err
	}
	return q, page, nil
}

// reportSort reads sortBy values: field, field/ascending or
// field/descending (the default), then the default order for the fields
// not named.
func reportSort(values []string) ([]store.ReportSort, error) {
	var out []store.ReportSort
	named := map[string]bool{}
	for _, s := range values {
		field, dir, _ := strings.Cut(s, "/")
		if !reportSortFields[field] {
			return nil, invalidParam("sortBy %q: the fields are reportName, reportTypeName, generationTime, startTime and endTime", s)
		}
		sk := store.ReportSort{Field: field, Descending: true}
		switch dir {
		case "", "descending":
		case "ascending":
			sk.Descending = false
		default:
			return nil, invalidParam("sortBy %q: the direction is ascending or descending", s)
		}
		out = append(out, sk)
		named[field] = true
	}
	for _, d := range reportSortDefaults {
		if !named[d.Field] {
			out = append(out, d)
		}
	}
	return out, nil
}

// grants caches authorisation answers for one request, per resource name.
type grants struct {
	s        *Server
	ctx      context.Context
	resource string
	cache    map[string]bool
	err      error
}

func (s *Server) grants(ctx context.Context, resource string) *grants {
	return &grants{s: s, ctx: ctx, resource: resource, cache: map[string]bool{}}
}

// get reports whether the user may get the named object; after an
// authorizer failure it answers false and keeps the error.
func (g *grants) get(name string) bool {
	if ok, seen := g.cache[name]; seen {
		return ok
	}
	if g.err != nil {
		return false
	}
	ok, err := g.s.allowed(g.ctx, "get", g.resource, name)
	if err != nil {
		g.err = err
		return false
	}
	g.cache[name] = ok
	return ok
}

// reportList answers a report listing; download links point under prefix.
func (s *Server) reportList(prefix string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		ok, err := s.allowed(ctx, "list", resReports, "")
		if err != nil {
			return unavailable("cannot authorize now", err)
		}
		if !ok {
			return accessDenied()
		}
		q, page, err := reportQuery(r.URL.Query(), s.opts.Now())
		if err != nil {
			return err
		}
		reports, types := s.grants(ctx, resReports), s.grants(ctx, resReportTypes)
		q.Allowed = func(name, _ string) bool { return reports.get(name) }
		recs, total, err := s.opts.Store.ListReports(ctx, q)
		if reports.err != nil {
			return unavailable("cannot authorize now", reports.err)
		}
		if err != nil {
			return storeError(err)
		}
		out := ReportList{Reports: make([]ReportSummary, len(recs)), Page: page, Count: total}
		formats := map[string][]report.Format{}
		for i, rec := range recs {
			sum := ReportSummary{ID: rec.ID, Name: rec.Name, Type: rec.Type, StartTime: rec.Start.UTC(), EndTime: rec.End.UTC(),
				GenerationTime: rec.Generated.UTC(), UISummary: uiSummary(rec.UISummary)}
			if types.get(rec.Type) {
				f, seen := formats[rec.Type]
				if !seen {
					if f, err = s.reportFormats(ctx, rec); err != nil {
						return err
					}
					formats[rec.Type] = f
				}
				sum.DownloadURL, sum.DownloadFormats = prefix+"/"+url.PathEscape(rec.ID)+"/download", f
			}
			out.Reports[i] = sum
		}
		if types.err != nil {
			return unavailable("cannot authorize now", types.err)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

// uiSummary is a report's stored UI summary as JSON, or null when it is
// not JSON.
func uiSummary(s string) json.RawMessage {
	b := []byte(strings.TrimSpace(s))
	if len(b) == 0 || !json.Valid(b) {
		return json.RawMessage("null")
	}
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		return json.RawMessage("null")
	}
	return c.Bytes()
}

// reportType returns the spec of a report's type: the current
// GlobalReportType, or the copy the report saved when it has been deleted.
// saved loads the report's copy.
func (s *Server) reportType(ctx context.Context, name string, saved func() (*v1.ReportTypeSpec, error)) (*v1.ReportTypeSpec, error) {
	if s.opts.Registry != nil {
		rt, err := s.opts.Registry.GetReportType(ctx, name)
		if err == nil {
			return &rt.Spec, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, storeError(err)
		}
	}
	return saved()
}

// reportFormats lists the download formats of a listed report.
func (s *Server) reportFormats(ctx context.Context, rec store.ReportRecord) ([]report.Format, error) {
	spec, err := s.reportType(ctx, rec.Type, func() (*v1.ReportTypeSpec, error) {
		full, err := s.opts.Store.GetReport(ctx, rec.ID)
		if err != nil {
			return nil, storeError(err)
		}
		r, err := report.FromRecord(full)
		if err != nil {
			return nil, err
		}
		return &r.ReportTypeSpec, nil
	})
	if err != nil {
		return nil, err
	}
	return report.Formats(spec), nil
}

// reportDownload answers GET .../reports/{id}/download?format=F...: one
// format as text, several (or none) as a zip, through http.ServeContent
// so that range requests work.
func (s *Server) reportDownload(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	name, typeName, err := report.ParseReportID(id)
	if err != nil {
		return errorf(http.StatusForbidden, "Access denied").withCause(err)
	}
	for _, check := range []struct{ resource, name string }{{resReports, name}, {resReportTypes, typeName}} {
		ok, err := s.allowed(ctx, "get", check.resource, check.name)
		if err != nil {
			return unavailable("cannot authorize now", err)
		}
		if !ok {
			return accessDenied()
		}
	}
	rec, err := s.opts.Store.GetReport(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "Report does not exist")
	}
	if err != nil {
		return storeError(err)
	}
	rep, err := report.FromRecord(rec)
	if err != nil {
		return err
	}
	spec, err := s.reportType(ctx, typeName, func() (*v1.ReportTypeSpec, error) { return &rep.ReportTypeSpec, nil })
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	contentType, filename, err := report.DownloadContext(ctx, &buf, rep, spec, r.URL.Query()["format"])
	var unknown *report.UnknownFormatError
	var render *report.RenderError
	switch {
	case errors.As(err, &unknown):
		return badRequest("%s", unknown.Error())
	case errors.As(err, &render):
		return badRequest("%s", render.Error())
	case err != nil:
		return fmt.Errorf("download %s: %w", id, err)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	http.ServeContent(w, r, filename, rec.Generated, bytes.NewReader(buf.Bytes()))
	return nil
}
