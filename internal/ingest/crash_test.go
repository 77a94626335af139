package ingest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/evident-dev/evident/internal/store/sqlite"
)

func openBenchStore(b *testing.B) (*sqlite.Store, error) {
	s, err := sqlite.Open(b.Context(), sqlite.Options{Dir: b.TempDir()})
	if err == nil {
		b.Cleanup(func() { s.Close() })
	}
	return s, err
}

// TestCrashHelper is the subprocess of TestImportSurvivesSIGKILL: it imports
// a file into a store and is killed while doing so.
func TestCrashHelper(t *testing.T) {
	dir, file := os.Getenv("EVIDENT_CRASH_STORE"), os.Getenv("EVIDENT_CRASH_FILE")
	if dir == "" {
		t.Skip("runs only as the subprocess of TestImportSurvivesSIGKILL")
	}
	s, err := sqlite.Open(t.Context(), sqlite.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ImportFile(t.Context(), s, file, ImportOptions{Options: Options{BatchEvents: 1000}}); err != nil {
		t.Fatal(err)
	}
	t.Fatal("the import finished before it was killed")
}

func TestImportSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: imports 20,000 events in a subprocess")
	}
	work := t.TempDir()
	file := filepath.Join(work, "big.log")
	const n = 20000
	writeGenerated(t, file, n)
	dir := filepath.Join(work, "store")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "EVIDENT_CRASH_STORE="+dir, "EVIDENT_CRASH_FILE="+file)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once a few batches are committed, mid-import.
	source := SourceName(file)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("import made no progress")
		}
		if line := checkpointLine(t, dir, source); line >= 3000 {
			if line >= n {
				t.Fatal("import finished before the kill; make the input larger")
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	s := openStore(t, dir)
	sum, err := ImportFile(t.Context(), s, file, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := stored(t, s) // fails on any event stored twice
	if len(got) != n {
		t.Fatalf("%d events stored after the crash and re-run, want %d (re-run: %+v)", len(got), n, sum)
	}
	st, err := s.Stats(t.Context())
	if err != nil || st.Versions != n {
		t.Errorf("versions %d, want %d (%v)", st.Versions, n, err)
	}
	t.Logf("killed after line %d; the re-run read %d, stored %d, duplicates %d", n-int(sum.Read), sum.Read, sum.Stored, sum.Duplicates)
}

// checkpointLine reads a source's checkpoint from the store directory
// while another process writes it; 0 when there is none yet.
func checkpointLine(t *testing.T, dir, source string) int {
	if _, err := os.Stat(filepath.Join(dir, "meta.db")); err != nil {
		return 0
	}
	s, err := sqlite.Open(t.Context(), sqlite.Options{Dir: dir, ReadOnly: true})
	if err != nil {
		return 0
	}
	defer s.Close()
	raw, err := s.Checkpoint(t.Context(), source)
	if err != nil || raw == nil {
		return 0
	}
	var cp fileCheckpoint
	if json.Unmarshal(raw, &cp) != nil {
		return 0
	}
	return cp.Line
}
