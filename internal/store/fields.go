package store

import (
	"strconv"
	"time"

	"github.com/evident-dev/evident/internal/audit"
)

// bodyFields are the fields a backend cannot answer from its indexed
// columns; testing them needs the decoded event body.
var bodyFields = map[Field]bool{
	FieldLevel: true, FieldRequestURI: true, FieldSourceIPs: true, FieldUserGroups: true,
	FieldObjectAPIVersion: true, FieldObjectName: true, FieldResponseKind: true, FieldResponseAPIVersion: true,
}

// NeedsBody reports whether evaluating c needs fields that only the event
// body holds.
func NeedsBody(c Cond) bool {
	switch c := c.(type) {
	case And:
		for _, m := range c {
			if NeedsBody(m) {
				return true
			}
		}
	case Or:
		for _, m := range c {
			if NeedsBody(m) {
				return true
			}
		}
	case Not:
		return NeedsBody(c.C)
	case Cmp:
		return bodyFields[c.Field]
	case In:
		return bodyFields[c.Field]
	}
	return false
}

// FieldValues returns the values an event has for a field, in the text form
// conditions compare (times as RFC 3339 with nanoseconds, codes in decimal).
// It returns nil when the event has no value.
func FieldValues(ev *audit.Event, f Field) []string {
	one := func(s string) []string {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	switch f {
	case FieldAPIVersion:
		return []string{audit.APIVersionV1}
	case FieldKind:
		return []string{"Event"}
	case FieldAuditID:
		return one(ev.AuditID)
	case FieldLevel:
		return one(ev.Level)
	case FieldName:
		return one(ev.Name)
	case FieldObjectAPIGroup:
		return one(ev.APIGroup)
	case FieldObjectAPIVersion:
		return one(ev.APIVersion)
	case FieldObjectName:
		return one(ev.ObjectName)
	case FieldObjectResource:
		return one(ev.Resource)
	case FieldObjectNamespace:
		return one(ev.Namespace)
	case FieldRequestReceivedTimestamp, FieldTimestamp:
		return one(formatTime(ev.Time))
	case FieldStageTimestamp:
		return one(formatTime(ev.StageTime))
	case FieldRequestURI:
		return one(ev.RequestURI)
	case FieldResponseAPIVersion:
		return one(ev.ResponseAPIVersion)
	case FieldResponseKind:
		return one(ev.ResponseKind)
	case FieldResponseCode:
		if ev.Code == 0 {
			return nil
		}
		return []string{strconv.Itoa(ev.Code)}
	case FieldSourceIPs:
		return ev.SourceIPs
	case FieldStage:
		return one(ev.Stage)
	case FieldUserGroups:
		return ev.UserGroups
	case FieldUsername:
		return one(ev.User)
	case FieldVerb:
		return one(ev.Verb)
	}
	return nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
