// Package timespec parses the times and durations users type: RFC 3339
// times, "now", "now-<N><unit>", and Go durations extended with days.
package timespec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Parse reads a time: RFC 3339 (with or without fractional seconds or a
// zone offset), a date (2006-01-02, UTC midnight), "now", or
// "now-<N>{s,m,h,d}". Relative times are taken from now. The result is UTC.
func Parse(s string, now time.Time) (time.Time, error) {
	v := strings.TrimSpace(s)
	switch {
	case v == "":
		return time.Time{}, fmt.Errorf("empty time: use RFC 3339 (2026-11-23T04:00:00Z), now, or now-<N>{s,m,h,d}")
	case v == "now":
		return now.UTC(), nil
	case strings.HasPrefix(v, "now-"):
		d, err := ParseDuration(v[len("now-"):])
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %w", s, err)
		}
		return now.Add(-d).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: use RFC 3339 (2026-11-23T04:00:00Z), a date (2026-11-23), now, or now-<N>{s,m,h,d}", s)
}

// maxDays is the longest duration in days that time.Duration holds.
const maxDays = int(math.MaxInt64 / int64(24*time.Hour))

// ParseDuration reads a Go duration ("90m", "1h30m") or a whole number of
// days ("7d"); negative durations, and ones too long to represent, are
// rejected.
func ParseDuration(s string) (time.Duration, error) {
	v := strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("duration %q: want a whole number of days like 7d, or a Go duration like 36h", s)
		}
		if days > maxDays {
			return 0, fmt.Errorf("duration %q: at most %dd (about 292 years)", s, maxDays)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want a Go duration like 90m or 36h, or days like 7d", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return d, nil
}
