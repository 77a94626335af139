package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/store"
)

// reportsPerPage is the page size of the report list.
const reportsPerPage = 20

// reportsData is the template data of the report list.
type reportsData struct {
	Type, Name  string
	From, To    string
	TypeOptions []string
	NameOptions []string
	Reports     []reportCard
	Total       int
	First, Last int
	PrevURL     string
	NextURL     string
	Errors      []string
	Filtered    bool
}

// reportCard is one report with its summary and downloads.
type reportCard struct {
	ID        string
	Name      string
	Type      string
	Start     time.Time
	End       time.Time
	Generated time.Time
	URL       string
	Summary   *summaryView
	Downloads []download
	ZipURL    string
}

type download struct {
	Name, Description, URL string
}

// reportAccess caches a request's report permissions and report types.
type reportAccess struct {
	h       *handler
	r       *request
	reports map[string]bool
	types   map[string]bool
	formats map[string][]report.Format
	err     error
}

func (h *handler) reportAccess(r *request) *reportAccess {
	return &reportAccess{h: h, r: r, reports: map[string]bool{}, types: map[string]bool{},
		formats: map[string][]report.Format{}}
}

// canGet reports whether the user may see reports of a GlobalReport;
// an authorizer failure is kept in a.err and denies.
func (a *reportAccess) canGet(name string) bool {
	return a.cached(a.reports, "globalreports", name)
}

// canDownload reports whether the user may download reports of a type.
func (a *reportAccess) canDownload(typeName string) bool {
	return a.cached(a.types, "globalreporttypes", typeName)
}

func (a *reportAccess) cached(m map[string]bool, resource, name string) bool {
	if ok, seen := m[name]; seen {
		return ok
	}
	ok, err := a.h.allowed(a.r.Context(), a.r.user, "get", resource, name)
	if err != nil && a.err == nil {
		a.err = err
	}
	m[name] = ok
	return ok
}

// downloads lists a report's download links: the formats of its current
// report type, or of the type saved in the report when that is gone.
func (a *reportAccess) downloads(ctx context.Context, rec store.ReportRecord) ([]download, string, error) {
	if !a.canDownload(rec.Type) {
		return nil, "", nil
	}
	formats, ok := a.formats[rec.Type]
	if !ok {
		var err error
		if formats, err = a.h.formatsOf(ctx, rec); err != nil {
			return nil, "", err
		}
		a.formats[rec.Type] = formats
	}
	base := "/api/v1/reports/" + url.PathEscape(rec.ID) + "/download"
	var out []download
	all := url.Values{}
	for _, f := range formats {
		out = append(out, download{Name: f.Name, Description: f.Description, URL: base + "?format=" + url.QueryEscape(f.Name)})
		all.Add("format", f.Name)
	}
	zip := ""
	if len(formats) > 1 {
		zip = base + "?" + all.Encode()
	}
	return out, zip, nil
}

func (h *handler) formatsOf(ctx context.Context, rec store.ReportRecord) ([]report.Format, error) {
	if h.opts.Registry != nil {
		rt, err := h.opts.Registry.GetReportType(ctx, rec.Type)
		if err == nil {
			return report.Formats(&rt.Spec), nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	full := rec
	if len(full.Data) == 0 {
		var err error
		if full, err = h.opts.Store.GetReport(ctx, rec.ID); err != nil {
			return nil, err
		}
	}
	rep, err := report.FromRecord(full)
	if err != nil {
		return nil, err
	}
	return report.Formats(&rep.ReportTypeSpec), nil
}

func (h *handler) reportList(w http.ResponseWriter, r *request) error {
	if err := h.require(r, "list", "globalreports", ""); err != nil {
		return err
	}
	ctx := r.Context()
	now := h.now()
	qv := r.URL.Query()
	d := reportsData{Type: joinList(qv["type"]), Name: joinList(qv["name"]), From: strings.TrimSpace(qv.Get("from")),
		To: strings.TrimSpace(qv.Get("to"))}
	d.Filtered = d.Type != "" || d.Name != "" || d.From != "" || d.To != ""
	acc := h.reportAccess(r)
	if err := h.reportOptions(ctx, acc, &d); err != nil {
		return err
	}
	q, page := reportQuery(&d, qv.Get("page"), now, acc)
	if len(d.Errors) > 0 {
		return h.render(w, r, http.StatusBadRequest, "reports.html", "Reports", "reports", d)
	}
	recs, total, err := h.opts.Store.ListReports(ctx, q)
	if err == nil {
		err = acc.err
	}
	if err != nil {
		return unavailable("cannot list the reports now", err)
	}
	d.Total = total
	for _, rec := range recs {
		c, err := h.reportCard(ctx, acc, rec)
		if err != nil {
			return unavailable("cannot read the report types now", err)
		}
		d.Reports = append(d.Reports, c)
	}
	if len(recs) > 0 {
		d.First, d.Last = q.Offset+1, q.Offset+len(recs)
	}
	if page > 1 {
		d.PrevURL = d.pageURL(page - 1)
	}
	if q.Offset+len(recs) < total {
		d.NextURL = d.pageURL(page + 1)
	}
	return h.render(w, r, http.StatusOK, "reports.html", "Reports", "reports", d)
}

// reportQuery turns the list's filters into a store query of one page;
// problems are added to d.Errors. The store ORs names and types; the
// dashboard's filters are ANDed, and a report is listed only when the
// user may get it.
func reportQuery(d *reportsData, pageParam string, now time.Time, acc *reportAccess) (store.ReportQuery, int) {
	q, page := store.ReportQuery{}, 1
	if pageParam != "" {
		n, err := strconv.Atoi(pageParam)
		if err != nil || n < 1 {
			d.Errors = append(d.Errors, "Page "+strconv.Quote(pageParam)+" is not a page number.")
		}
		page = max(n, 1)
	}
	var err error
	if d.From != "" {
		if q.From, err = parseTime(d.From, now); err != nil {
			d.Errors = append(d.Errors, "From: "+err.Error())
		}
		q.To = now
	}
	if d.To != "" {
		if q.To, err = parseTime(d.To, now); err != nil {
			d.Errors = append(d.Errors, "To: "+err.Error())
		}
	}
	names, types := split(d.Name), split(d.Type)
	if len(names) > 0 {
		q.Names = names
	} else {
		q.Types = types
	}
	q.Allowed = func(name, typ string) bool {
		if len(names) > 0 && len(types) > 0 && !slices.Contains(types, typ) {
			return false
		}
		return acc.canGet(name)
	}
	q.Sort = []store.ReportSort{{Field: "startTime", Descending: true}, {Field: "reportTypeName"}, {Field: "reportName"}}
	q.Offset, q.Limit = (page-1)*reportsPerPage, reportsPerPage
	return q, page
}

// pageURL links to another page of the list with the same filters.
func (d *reportsData) pageURL(p int) string {
	v := url.Values{}
	for k, s := range map[string]string{"type": d.Type, "name": d.Name, "from": d.From, "to": d.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	v.Set("page", strconv.Itoa(p))
	return "/reports?" + v.Encode()
}

// reportOptions fills the filter suggestions with the GlobalReports the
// user may see and their types.
func (h *handler) reportOptions(ctx context.Context, acc *reportAccess, d *reportsData) error {
	if h.opts.Registry == nil {
		return nil
	}
	reps, err := h.opts.Registry.ListReports(ctx)
	if err != nil {
		return unavailable("cannot read the GlobalReports now", err)
	}
	for _, rep := range reps {
		if !acc.canGet(rep.Name) {
			continue
		}
		d.NameOptions = append(d.NameOptions, rep.Name)
		if !slices.Contains(d.TypeOptions, rep.Spec.ReportType) {
			d.TypeOptions = append(d.TypeOptions, rep.Spec.ReportType)
		}
	}
	slices.Sort(d.TypeOptions)
	if acc.err != nil {
		return unavailable("cannot check your permissions now", acc.err)
	}
	return nil
}

func (h *handler) reportCard(ctx context.Context, acc *reportAccess, rec store.ReportRecord) (reportCard, error) {
	c := reportCard{ID: rec.ID, Name: rec.Name, Type: rec.Type, Start: rec.Start, End: rec.End, Generated: rec.Generated,
		URL: "/reports/" + url.PathEscape(rec.ID), Summary: parseSummary(rec.UISummary)}
	var err error
	c.Downloads, c.ZipURL, err = acc.downloads(ctx, rec)
	if err == nil {
		err = acc.err
	}
	return c, err
}
