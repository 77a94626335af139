package v1

import (
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		spec    string
		wantErr string // "" means valid
	}{
		{"0 0 * * 0", ""},
		{"0 0 * * *", ""},
		{"0 * * * *", ""},
		{"0 0 1 * *", ""},
		{"0,30 * * * *", ""},
		{"*/30 * * * *", ""},
		{"15 */2 * * 1-5", ""},
		{"@hourly", ""},
		{"@daily", ""},
		{"@weekly", ""},
		{"@monthly", ""},
		{"@yearly", ""},
		{"@every 30m", ""},
		{"@every 24h", ""},
		{"CRON_TZ=UTC 0 0 * * *", ""},
		{"0,20,40 * * * *", "fires 3 times an hour; at most 2 schedules are permitted per hour"},
		{"*/5 * * * *", "fires 12 times an hour; at most 2 schedules are permitted per hour"},
		{"* * * * *", "fires 60 times an hour; at most 2 schedules are permitted per hour"},
		{"0-2 0 1 1 *", "fires 3 times an hour; at most 2 schedules are permitted per hour"},
		{"@every 29m", "fires every 29m0s; at most 2 schedules are permitted per hour (every 30m0s)"},
		{"@every 1s", "fires every 1s; at most 2 schedules are permitted per hour (every 30m0s)"},
		{"", "schedule is empty"},
		{"0 0 * *", "not a valid cron schedule: expected exactly 5 fields, found 4: [0 0 * *]"},
		{"0 0 0 * * *", "not a valid cron schedule: expected exactly 5 fields, found 6: [0 0 0 * * *]"},
		{"61 * * * *", "not a valid cron schedule: end of range (61) above maximum (59): 61"},
		{"@every soon", `not a valid cron schedule: failed to parse duration @every soon: time: invalid duration "soon"`},
		{"@fortnightly", "not a valid cron schedule: unrecognized descriptor: @fortnightly"},
		{"CRON_TZ=UTC", "not a valid cron schedule: a time zone must be followed by a schedule"},
		{"TZ=Nowhere/None 0 0 * * *", "not a valid cron schedule: provided bad location Nowhere/None: unknown time zone Nowhere/None"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseSchedule(%q): %v", tt.spec, err)
				}
				start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
				if next := s.Next(start); !next.After(start) {
					t.Errorf("Next(%v) = %v", start, next)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseSchedule(%q) error\n got %v\nwant %s", tt.spec, err, tt.wantErr)
			}
		})
	}
}

// TestParseScheduleFiresAtMostTwiceAnHour checks the limit against the
// schedule itself: over a week, no clock hour sees more than two ticks.
func TestParseScheduleFiresAtMostTwiceAnHour(t *testing.T) {
	for _, spec := range []string{"0,59 * * * *", "*/30 * * * *", "@every 30m", "@every 45m", "@hourly", "7,8 1-23 * * *"} {
		s, err := ParseSchedule(spec)
		if err != nil {
			t.Fatalf("ParseSchedule(%q): %v", spec, err)
		}
		ticks := make(map[time.Time]int)
		start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		for at := s.Next(start); at.Before(start.Add(7 * 24 * time.Hour)); at = s.Next(at) {
			ticks[at.Truncate(time.Hour)]++
		}
		for hour, n := range ticks {
			if n > MaxSchedulesPerHour {
				t.Errorf("%q fires %d times in the hour from %v", spec, n, hour)
			}
		}
	}
}
