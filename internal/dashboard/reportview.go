package dashboard

import (
	"net/http"
	"strings"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/report"
)

// maxReportRows bounds each table of the report page; the downloads have
// every row.
const maxReportRows = 5000

// reportData is the template data of one report.
type reportData struct {
	reportCard
	Rep        *report.Report
	Counts     []countRow
	Endpoints  []report.EndpointsReportEndpoint
	Namespaces []report.EndpointsReportNamespace
	Services   []report.EndpointsReportService
	Events     []auditRow
	Flows      []report.EndpointsReportFlow
	Truncated  []string // the tables cut short
	Coverage   report.EvidenceCoverage
	Snapshots  []report.Baseline // the kinds that started from a snapshot
	NoSnapshot []string          // the kinds that did not
	Selection  []keyValue
}

// countRow is one line of the summary counts: endpoints, namespaces or
// services.
type countRow struct {
	What string
	report.EndpointsSummary
	Services bool
}

// auditRow is one audit event of a report.
type auditRow struct {
	Time      string
	Verb      string
	User      string
	Resource  string
	Namespace string
	Name      string
	Code      int
	Changelog string
}

func (h *handler) reportView(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	name, _, err := report.ParseReportID(id)
	if err != nil {
		return notFound("There is no report with this id.")
	}
	if err := h.require(r, "get", "globalreports", name); err != nil {
		return err
	}
	ctx := r.Context()
	rec, err := h.opts.Store.GetReport(ctx, id)
	if err != nil {
		return storeError(err, "This report")
	}
	rep, err := report.FromRecord(rec)
	if err != nil {
		return unavailable("cannot read this report", err)
	}
	acc := h.reportAccess(r)
	card, err := h.reportCard(ctx, acc, rec)
	if err != nil {
		return unavailable("cannot read the report type now", err)
	}
	d := reportData{reportCard: card, Rep: rep, Coverage: rep.EvidenceCoverage, Selection: endpointSelection(rep.ReportSpec.Endpoints)}
	if rep.EndpointsSummary.NumTotal > 0 || len(rep.Endpoints) > 0 || rep.ReportTypeSpec.IncludeEndpointData {
		d.Counts = []countRow{{What: "Endpoints", EndpointsSummary: rep.EndpointsSummary},
			{What: "Namespaces", EndpointsSummary: rep.NamespacesSummary},
			{What: "Services", EndpointsSummary: rep.ServicesSummary, Services: true}}
	}
	for _, b := range rep.EvidenceCoverage.Baselines {
		if b.SnapshotTime != nil {
			d.Snapshots = append(d.Snapshots, b)
		} else {
			d.NoSnapshot = append(d.NoSnapshot, b.Kind)
		}
	}
	d.Endpoints = capRows(rep.Endpoints, "endpoints", &d.Truncated)
	d.Namespaces = capRows(rep.Namespaces, "namespaces", &d.Truncated)
	d.Services = capRows(rep.Services, "services", &d.Truncated)
	d.Flows = capRows(rep.Flows, "flows", &d.Truncated)
	for i, ev := range rep.AuditEvents {
		if i == maxReportRows {
			d.Truncated = append(d.Truncated, "audit events")
			break
		}
		d.Events = append(d.Events, auditRowOf(ev))
	}
	return h.render(w, r, http.StatusOK, "report.html", rep.ReportName+" report", "reports", d)
}

func capRows[T any](rows []T, what string, truncated *[]string) []T {
	if len(rows) > maxReportRows {
		*truncated = append(*truncated, what)
		return rows[:maxReportRows]
	}
	return rows
}

// auditRowOf reads the envelope of a report's audit event.
func auditRowOf(ev report.AuditEvent) auditRow {
	m := ev.Map()
	get := func(obj map[string]any, k string) string { s, _ := obj[k].(string); return s }
	row := auditRow{Verb: get(m, "verb")}
	if t, err := time.Parse(time.RFC3339Nano, get(m, "requestReceivedTimestamp")); err == nil {
		row.Time = fmtTime(t)
	}
	stage := get(m, "stageTimestamp")
	if u, ok := m["user"].(map[string]any); ok {
		row.User = get(u, "username")
	}
	if st, ok := m["responseStatus"].(map[string]any); ok {
		if c, ok := st["code"].(float64); ok {
			row.Code = int(c)
		}
	}
	if ref, ok := m["objectRef"].(map[string]any); ok {
		group := get(ref, "apiGroup")
		row.Resource = resourceText(get(ref, "resource"), get(ref, "subresource"), group)
		row.Namespace, row.Name = get(ref, "namespace"), get(ref, "name")
		at, _ := time.Parse(time.RFC3339Nano, stage)
		if l := linksFor(group, get(ref, "resource"), row.Namespace, row.Name, at); l != nil {
			row.Changelog = l.Changelog
		}
	}
	return row
}

// endpointSelection describes a report's endpoint selection.
func endpointSelection(es *v1.EndpointsSelection) []keyValue {
	if es == nil {
		return []keyValue{{"Endpoints", "all endpoints"}}
	}
	var out []keyValue
	if es.Selector != "" {
		out = append(out, keyValue{"Endpoint selector", es.Selector})
	}
	if n := es.Namespaces; n != nil {
		if len(n.Names) > 0 {
			out = append(out, keyValue{"Namespaces", strings.Join(n.Names, ", ")})
		}
		if n.Selector != "" {
			out = append(out, keyValue{"Namespace selector", n.Selector})
		}
	}
	if sa := es.ServiceAccounts; sa != nil {
		if len(sa.Names) > 0 {
			out = append(out, keyValue{"Service accounts", strings.Join(sa.Names, ", ")})
		}
		if sa.Selector != "" {
			out = append(out, keyValue{"Service account selector", sa.Selector})
		}
	}
	return out
}
