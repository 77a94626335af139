package report

import (
	"context"
	"fmt"
	"time"

	json "github.com/goccy/go-json"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/store"
)

// TypeGetter finds report types by name.
type TypeGetter interface {
	GetReportType(ctx context.Context, name string) (*v1.GlobalReportType, error)
}

// Saver keeps generated reports.
type Saver interface {
	PutReport(ctx context.Context, r store.ReportRecord) error
}

// Runner generates and stores reports: the scheduler's jobs and manual
// runs alike. Running the same report over the same interval again
// replaces the stored one (its ID is the same).
type Runner struct {
	Engine  *Engine
	Types   TypeGetter
	Reports Saver
}

// RunReport computes a report over [start, end] and stores it.
func (r *Runner) RunReport(ctx context.Context, rep *v1.GlobalReport, start, end time.Time) error {
	_, err := r.Generate(ctx, rep, start, end)
	return err
}

// Generate is RunReport returning the stored report.
func (r *Runner) Generate(ctx context.Context, rep *v1.GlobalReport, start, end time.Time) (*Report, error) {
	rt, err := r.Types.GetReportType(ctx, rep.Spec.ReportType)
	if err != nil {
		return nil, fmt.Errorf("report %s: report type %q: %w", rep.Name, rep.Spec.ReportType, err)
	}
	out, err := r.Engine.Run(ctx, rep, rt, start, end)
	if err != nil {
		return nil, err
	}
	rec, err := Record(out)
	if err != nil {
		return nil, err
	}
	if err := r.Reports.PutReport(ctx, rec); err != nil {
		return nil, fmt.Errorf("store report %s: %w", out.ID, err)
	}
	return out, nil
}

// Record is the stored form of a report. (Reports of large clusters run
// to tens of megabytes: goccy/go-json encodes them several times faster
// than encoding/json.)
func Record(r *Report) (store.ReportRecord, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return store.ReportRecord{}, fmt.Errorf("encode report %s: %w", r.ID, err)
	}
	return store.ReportRecord{ID: r.ID, Name: r.ReportName, Type: r.ReportTypeName, Start: r.StartTime.Time,
		End: r.EndTime.Time, Generated: r.GenerationTime.Time, UISummary: r.UISummary, Data: data}, nil
}

// FromRecord decodes a stored report.
func FromRecord(rec store.ReportRecord) (*Report, error) {
	var r Report
	if err := json.Unmarshal(rec.Data, &r); err != nil {
		return nil, fmt.Errorf("decode stored report %s: %w", rec.ID, err)
	}
	return &r, nil
}
