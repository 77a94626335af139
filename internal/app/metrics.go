package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/evident-dev/evident/internal/ingest"
	"github.com/evident-dev/evident/internal/store"
)

// metrics are the process's Prometheus metrics (the HTTP ones are the
// server's).
type metrics struct {
	reg        *prometheus.Registry
	received   *prometheus.CounterVec
	stored     *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	lastEvent  *prometheus.GaugeVec
	lag        *prometheus.GaugeVec
	reportRuns *prometheus.CounterVec
	reportTime *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.received = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "evident_events_received_total",
		Help: "Audit events received, per source (stored, duplicate or not)."}, []string{"source"})
	m.stored = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "evident_events_stored_total",
		Help: "Audit events stored for the first time, per source."}, []string{"source"})
	m.duplicates = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "evident_events_duplicate_total",
		Help: "Audit events received again and not stored twice, per source."}, []string{"source"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "evident_events_rejected_total",
		Help: "Audit inputs rejected, per source and reason."}, []string{"source", "reason"})
	m.lastEvent = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "evident_source_last_event_timestamp_seconds",
		Help: "Time of the newest event a source delivered (time() minus this is how long it has been silent)."}, []string{"source"})
	m.lag = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "evident_ingest_lag_seconds",
		Help: "Delay between the newest event of a source's latest batch and its storage."}, []string{"source"})
	m.reportRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "evident_report_runs_total",
		Help: "Scheduled report job attempts, per report and outcome (succeeded, retried, failed)."}, []string{"report", "outcome"})
	m.reportTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "evident_report_run_duration_seconds",
		Help: "Duration of report job attempts.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}, []string{"report"})
	m.reg.MustRegister(m.received, m.stored, m.duplicates, m.rejected, m.lastEvent, m.lag, m.reportRuns, m.reportTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeReport is the scheduler's Observe hook.
func (m *metrics) observeReport(report, outcome string, d time.Duration) {
	m.reportRuns.WithLabelValues(report, outcome).Inc()
	m.reportTime.WithLabelValues(report).Observe(d.Seconds())
}

// meteredAppender counts what sources append.
type meteredAppender struct {
	ingest.Appender
	m   *metrics
	now func() time.Time
}

func (a meteredAppender) Append(ctx context.Context, b *store.Batch) (store.AppendResult, error) {
	res, err := a.Appender.Append(ctx, b)
	src := b.Source
	a.m.received.WithLabelValues(src).Add(float64(len(b.Events)))
	for _, r := range b.Rejects {
		a.m.rejected.WithLabelValues(src, string(r.Reason)).Inc()
	}
	if err != nil {
		return res, err
	}
	a.m.stored.WithLabelValues(src).Add(float64(res.Stored))
	a.m.duplicates.WithLabelValues(src).Add(float64(res.Duplicates))
	var newest time.Time
	for i := range b.Events {
		if t := b.Events[i].StageTime; t.After(newest) {
			newest = t
		}
	}
	if !newest.IsZero() {
		a.m.lastEvent.WithLabelValues(src).Set(float64(newest.UnixNano()) / 1e9)
		a.m.lag.WithLabelValues(src).Set(a.now().Sub(newest).Seconds())
	}
	return res, nil
}
