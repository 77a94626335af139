package audit

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
)

// FuzzDecode checks that no input makes the decoder panic, that every
// rejection carries a reason, and that accepted events have the fields
// validation promises.
func FuzzDecode(f *testing.F) {
	raw, err := os.ReadFile(realLog)
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for i := 0; sc.Scan() && i < 20; i++ {
		f.Add(append([]byte(nil), sc.Bytes()...))
	}
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","stage":"Panic","stageTimestamp":"2026-01-01T00:00:00Z"},{}]}`))
	f.Add([]byte(`{"kind":0}`))
	f.Add([]byte("[\n{}\n]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), ReaderOptions{MaxEventSize: 1 << 16})
		if err != nil {
			return
		}
		for {
			l, err := r.Next()
			if errors.Is(err, io.EOF) || err != nil {
				return
			}
			events, rejects := DecodeLine(l, "fuzz", 1<<16)
			for _, rj := range rejects {
				if rj.Reason == "" || rj.Location == "" || rj.Msg == "" {
					t.Fatalf("incomplete reject %+v", rj)
				}
			}
			for _, ev := range events {
				if ev.AuditID == "" || ev.Stage == "" || ev.Time.IsZero() || len(ev.Body) == 0 {
					t.Fatalf("accepted incomplete event %+v", ev)
				}
				if _, err := Decode(ev.Body, ""); err != nil {
					t.Fatalf("stored body does not decode: %v\n%s", err, ev.Body)
				}
			}
		}
	})
}
