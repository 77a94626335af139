package v1

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Limits on how often a GlobalReport may be scheduled.
const (
	// MaxSchedulesPerHour is the most minute values a five-field schedule
	// may name.
	MaxSchedulesPerHour = 2
	// MinScheduleInterval is the shortest @every interval.
	MinScheduleInterval = 30 * time.Minute
)

// starBit is the bit robfig/cron sets in a field's mask when the field was
// written as "*"; it is not a minute value.
const starBit = 1 << 63

// ParseSchedule parses a GlobalReport schedule: a five-field cron
// expression, optionally preceded by CRON_TZ=<zone>, or a descriptor
// (@hourly, @daily, @every 1h, ...). It rejects an empty schedule and one
// that may fire more than MaxSchedulesPerHour times an hour: more than two
// minute values, or @every shorter than MinScheduleInterval.
func ParseSchedule(spec string) (cron.Schedule, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("schedule is empty")
	}
	// robfig/cron slices past the zone without checking for the space that
	// must follow it.
	if (strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")) && !strings.Contains(spec, " ") {
		return nil, errors.New("not a valid cron schedule: a time zone must be followed by a schedule")
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("not a valid cron schedule: %w", err)
	}
	switch s := sched.(type) {
	case *cron.SpecSchedule:
		if n := bits.OnesCount64(s.Minute &^ starBit); n > MaxSchedulesPerHour {
			return nil, fmt.Errorf("fires %d times an hour; at most %d schedules are permitted per hour",
				n, MaxSchedulesPerHour)
		}
	case cron.ConstantDelaySchedule:
		if s.Delay < MinScheduleInterval {
			return nil, fmt.Errorf("fires every %s; at most %d schedules are permitted per hour (every %s)",
				s.Delay, MaxSchedulesPerHour, MinScheduleInterval)
		}
	}
	return sched, nil
}
