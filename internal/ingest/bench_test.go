package ingest

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkImportFile imports small generated events end to end into a
// fresh store (see also the cmd-level benchmark in BENCHMARKS.md for
// real-shaped 3 KB events).
func BenchmarkImportFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "gen.log")
	const n = 50000
	writeGenerated(b, path, n)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s, err := openBenchStore(b)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := ImportFile(b.Context(), s, path, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
