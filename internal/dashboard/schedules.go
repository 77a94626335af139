package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/schedule"
	"github.com/evident-dev/evident/internal/store"
)

// historyLength is how many stored reports a schedule's page lists.
const historyLength = 50

// scheduleRow is one GlobalReport on the schedules page.
type scheduleRow struct {
	Name          string
	Type          string
	Schedule      string
	Suspended     bool
	NextRun       time.Time
	HasNext       bool
	LastScheduled *v1.ReportJob
	Active        int
	LastSuccess   *v1.CompletedReportJob
	LastFailure   *v1.CompletedReportJob
	URL           string
	ReportsURL    string // empty when the user may not see its reports
	Reports       int
}

// schedulesData is the template data of the schedules page.
type schedulesData struct {
	Rows        []scheduleRow
	NoRegistry  bool
	StartDelay  time.Duration
	ScheduleTip string
}

func (h *handler) scheduleList(w http.ResponseWriter, r *request) error {
	if err := h.require(r, "list", "globalreports", ""); err != nil {
		return err
	}
	d := schedulesData{NoRegistry: h.opts.Registry == nil}
	if h.opts.Registry == nil {
		return h.render(w, r, http.StatusOK, "schedules.html", "Schedules", "schedules", d)
	}
	ctx := r.Context()
	reps, err := h.opts.Registry.ListReports(ctx)
	if err != nil {
		return unavailable("cannot read the GlobalReports now", err)
	}
	acc := h.reportAccess(r)
	for _, rep := range reps {
		row := h.scheduleRow(rep)
		if acc.canGet(rep.Name) {
			_, n, err := h.opts.Store.ListReports(ctx, store.ReportQuery{Names: []string{rep.Name}, Limit: 1})
			if err != nil {
				return unavailable("cannot count the stored reports now", err)
			}
			row.Reports = n
			row.ReportsURL = "/reports?" + url.Values{"name": {rep.Name}}.Encode()
		}
		d.Rows = append(d.Rows, row)
	}
	if acc.err != nil {
		return unavailable("cannot check your permissions now", acc.err)
	}
	return h.render(w, r, http.StatusOK, "schedules.html", "Schedules", "schedules", d)
}

func (h *handler) scheduleRow(rep *v1.GlobalReport) scheduleRow {
	row := scheduleRow{Name: rep.Name, Type: rep.Spec.ReportType, Schedule: rep.Spec.Schedule,
		Suspended: rep.Spec.Suspend != nil && *rep.Spec.Suspend, URL: "/schedules/" + url.PathEscape(rep.Name),
		LastScheduled: rep.Status.LastScheduledReportJob, Active: len(rep.Status.ActiveReportJobs)}
	row.NextRun, row.HasNext = schedule.NextRun(rep, h.now(), h.opts.Schedule)
	if s := rep.Status.LastSuccessfulReportJobs; len(s) > 0 {
		row.LastSuccess = &s[len(s)-1]
	}
	if f := rep.Status.LastFailedReportJobs; len(f) > 0 {
		row.LastFailure = &f[len(f)-1]
	}
	return row
}

// scheduleData is the template data of one GlobalReport's page.
type scheduleData struct {
	scheduleRow
	Report    *v1.GlobalReport
	Selection []keyValue
	History   []reportCard
	More      bool
}

func (h *handler) scheduleView(w http.ResponseWriter, r *request) error {
	name := r.PathValue("name")
	if err := h.require(r, "list", "globalreports", ""); err != nil {
		return err
	}
	if err := h.require(r, "get", "globalreports", name); err != nil {
		return err
	}
	if h.opts.Registry == nil {
		return notFound("There is no GlobalReport " + name + ".")
	}
	ctx := r.Context()
	reps, err := h.opts.Registry.ListReports(ctx)
	if err != nil {
		return unavailable("cannot read the GlobalReports now", err)
	}
	var rep *v1.GlobalReport
	for _, x := range reps {
		if x.Name == name {
			rep = x
		}
	}
	if rep == nil {
		return notFound("There is no GlobalReport " + name + ".")
	}
	d := scheduleData{scheduleRow: h.scheduleRow(rep), Report: rep, Selection: endpointSelection(rep.Spec.Endpoints)}
	recs, total, err := h.opts.Store.ListReports(ctx, store.ReportQuery{Names: []string{name}, Limit: historyLength,
		Sort: []store.ReportSort{{Field: "endTime", Descending: true}}})
	if err != nil {
		return unavailable("cannot list the stored reports now", err)
	}
	d.Reports, d.ReportsURL = total, "/reports?"+url.Values{"name": {name}}.Encode()
	d.More = total > len(recs)
	acc := h.reportAccess(r)
	for _, rec := range recs {
		c, err := h.reportCard(ctx, acc, rec)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return unavailable("cannot read the report types now", err)
		}
		d.History = append(d.History, c)
	}
	return h.render(w, r, http.StatusOK, "schedule.html", "Schedule of "+name, "schedules", d)
}
