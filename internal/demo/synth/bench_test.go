package synth

import (
	"io"
	"testing"
	"time"
)

// BenchmarkWriteEvents measures volume-mode generation of JSON lines on
// one goroutine, setup (building the cluster) included.
func BenchmarkWriteEvents(b *testing.B) {
	const events = 100_000
	g, err := New(Volume(1, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), events))
	if err != nil {
		b.Fatal(err)
	}
	var bytes int64
	b.ResetTimer()
	for b.Loop() {
		cw := &countingWriter{}
		n, err := g.WriteEvents(b.Context(), cw)
		if err != nil || n != events {
			b.Fatalf("wrote %d events: %v", n, err)
		}
		bytes += cw.n
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(events*b.N)/sec, "events/s")
	b.ReportMetric(float64(bytes)/float64(events*b.N), "bytes/event")
	b.ReportMetric(float64(bytes)/sec/1e6, "MB/s")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
