package sqlite

import (
	"fmt"
	"testing"
	"time"

	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/store/storetest"
)

// TestDictionaryTrainedInBackground appends batches until the partition's
// dictionary, trained on another goroutine, is in use, then checks that
// every body reads back, from blocks written before and after it, also
// after the store is opened again.
func TestDictionaryTrainedInBackground(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(t.Context(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	n := 0
	appendBatch := func() {
		t.Helper()
		b := &store.Batch{Source: "test"}
		for range 500 {
			ev := storetest.Event(t, storetest.E{ID: fmt.Sprintf("ev-%05d", n), At: time.Duration(n) * time.Second,
				NS: "ns", Name: fmt.Sprintf("pod-%d", n%37), RV: fmt.Sprint(n + 1)})
			want[ev.AuditID] = string(ev.Body)
			b.Events = append(b.Events, ev)
			n++
		}
		if _, err := s.Append(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	dicts := func() (n int) {
		t.Helper()
		for _, p := range s.parts {
			if err := p.db.r.QueryRowContext(t.Context(), `SELECT count(*) FROM dicts`).Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		return n
	}
	for range dictSamples / 500 { // enough samples to start the training
		appendBatch()
	}
	if got := dicts(); got != 0 {
		t.Fatalf("%d dictionaries before any training could finish", got)
	}
	deadline := time.Now().Add(time.Minute)
	for dicts() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no dictionary a minute after training started")
		}
		time.Sleep(20 * time.Millisecond)
		appendBatch()
	}
	appendBatch() // blocks compressed with the new dictionary
	check := func(s *Store) {
		t.Helper()
		page, err := s.Events(t.Context(), store.EventQuery{WithBody: true, Limit: len(want) + 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != len(want) {
			t.Fatalf("read %d events, appended %d", len(page.Events), len(want))
		}
		for _, ev := range page.Events {
			if string(ev.Body) != want[ev.AuditID] {
				t.Fatalf("body of %s changed", ev.AuditID)
			}
		}
	}
	check(s)
	var withDict, without int
	for _, p := range s.parts {
		if err := p.db.r.QueryRowContext(t.Context(), `SELECT count(*) FILTER (WHERE dict != 0), count(*) FILTER (WHERE dict = 0) FROM blocks`).
			Scan(&withDict, &without); err != nil {
			t.Fatal(err)
		}
	}
	if withDict == 0 || without == 0 {
		t.Errorf("blocks with a dictionary %d, without %d: want both", withDict, without)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(t.Context(), Options{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	check(s2)
}
