package timespec

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  string
	}{
		{"now", now, ""},
		{"now-90m", now.Add(-90 * time.Minute), ""},
		{"now-7d", now.AddDate(0, 0, -7), ""},
		{"2026-11-23T04:00:00Z", time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC), ""},
		{"2026-11-23T05:00:00+01:00", time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC), ""},
		{"2026-11-23T04:00:00.5Z", time.Date(2026, 11, 23, 4, 0, 0, 5e8, time.UTC), ""},
		{"2026-11-23", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), ""},
		{"2026-11-23 04:00:00", time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC), ""},
		{"", time.Time{}, "empty time"},
		{"yesterday", time.Time{}, `time "yesterday": use RFC 3339`},
		{"now-3x", time.Time{}, `time "now-3x": duration "3x"`},
		{"now--1h", time.Time{}, "negative"},
		{"now-1.5d", time.Time{}, "whole number of days"},
		{"now-210000000d", time.Time{}, "at most 106751d"},
		{"now-106751d", now.Add(-106751 * 24 * time.Hour), ""},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"now", "now-1d", "2026-11-23T04:00:00Z", "now-1h30m", "7d"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if tm, err := Parse(s, now); err == nil && tm.Location() != time.UTC {
			t.Fatalf("Parse(%q) not UTC", s)
		}
		if d, err := ParseDuration(s); err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
	})
}
