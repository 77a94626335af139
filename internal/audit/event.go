package audit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// The audit API versions this package reads.
const (
	APIVersionV1      = "audit.k8s.io/v1"
	APIVersionV1beta1 = "audit.k8s.io/v1beta1"
)

// The stages of a request, in the order the API server emits them.
const (
	StageRequestReceived  = "RequestReceived"
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"
)

// Event is one audit event: the envelope fields that are indexed and
// filtered on, and the body exactly as received (audit.k8s.io/v1 JSON).
type Event struct {
	Cluster string // stamped at ingest; not part of the body

	AuditID          string
	Stage            string
	Level            string
	Verb             string
	RequestURI       string
	User             string
	UserGroups       []string
	ImpersonatedUser string
	SourceIPs        []string
	UserAgent        string

	APIGroup    string
	APIVersion  string // objectRef.apiVersion
	Resource    string
	Subresource string
	Namespace   string
	Name        string // the response object's name, else objectRef.name (see Decode)
	ObjectName  string // objectRef.name as sent
	Code        int    // responseStatus.code; 0 when absent

	ResponseKind       string
	ResponseAPIVersion string

	// Time is requestReceivedTimestamp (v1beta1: timestamp when absent);
	// StageTime is stageTimestamp (Time when absent).
	Time      time.Time
	StageTime time.Time

	// Change is set when the event created a new version of a tracked object.
	Change *Change

	Body []byte
}

// ErrorReason classifies why an input was rejected; counts are kept per reason.
type ErrorReason string

// The rejection reasons.
const (
	ReasonMalformed    ErrorReason = "malformed"     // not valid JSON
	ReasonTruncated    ErrorReason = "truncated"     // JSON that ends early (cut-off line)
	ReasonOversized    ErrorReason = "oversized"     // larger than the configured limit
	ReasonMissingField ErrorReason = "missing-field" // no auditID, stage or timestamp
	ReasonWrongType    ErrorReason = "wrong-type"    // a field of the wrong JSON type
	ReasonBadValue     ErrorReason = "bad-value"     // a value out of range (stage, timestamp, kind)
)

// DecodeError is why one input was rejected.
type DecodeError struct {
	Reason ErrorReason
	Msg    string
}

func (e *DecodeError) Error() string { return e.Msg }

func reject(reason ErrorReason, format string, args ...any) *DecodeError {
	return &DecodeError{Reason: reason, Msg: fmt.Sprintf(format, args...)}
}

// ReasonOf reports the rejection reason of an error from this package.
func ReasonOf(err error) ErrorReason {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Reason
	}
	return ReasonMalformed
}

// userInfo, objectRef and wireEvent mirror the audit.k8s.io/v1 JSON for the
// envelope fields only; everything else in the body is skipped.
type userInfo struct {
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

type objectRef struct {
	Resource    string `json:"resource"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	APIGroup    string `json:"apiGroup"`
	APIVersion  string `json:"apiVersion"`
	Subresource string `json:"subresource"`
}

type objectMeta struct {
	Name              string `json:"name"`
	Namespace         string `json:"namespace"`
	UID               string `json:"uid"`
	ResourceVersion   string `json:"resourceVersion"`
	DeletionTimestamp string `json:"deletionTimestamp"`
}

type responseObject struct {
	Kind       string     `json:"kind"`
	APIVersion string     `json:"apiVersion"`
	Metadata   objectMeta `json:"metadata"`
	Details    *struct {
		Name string `json:"name"`
	} `json:"details"`
}

type wireEvent struct {
	Kind             *string    `json:"kind"`
	APIVersion       *string    `json:"apiVersion"`
	Level            string     `json:"level"`
	AuditID          string     `json:"auditID"`
	Stage            string     `json:"stage"`
	RequestURI       string     `json:"requestURI"`
	Verb             string     `json:"verb"`
	User             userInfo   `json:"user"`
	ImpersonatedUser *userInfo  `json:"impersonatedUser"`
	SourceIPs        []string   `json:"sourceIPs"`
	UserAgent        string     `json:"userAgent"`
	ObjectRef        *objectRef `json:"objectRef"`
	ResponseStatus   *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	ResponseObject           *responseObject `json:"responseObject"`
	RequestReceivedTimestamp string          `json:"requestReceivedTimestamp"`
	StageTimestamp           string          `json:"stageTimestamp"`
	Timestamp                string          `json:"timestamp"` // v1beta1 only
}

var v1TypeMeta = []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1",`)

// Decode decodes one audit event object. listVersion is the apiVersion of
// the enclosing EventList ("" for a standalone event); it applies to items
// that carry none. The returned event's Body is a copy of data, with the
// kind/apiVersion spliced in when the item lacked them, or a v1 re-encoding
// for v1beta1 input.
func Decode(data []byte, listVersion string) (Event, error) {
	data = bytes.TrimSpace(data)
	var w wireEvent
	if err := json.Unmarshal(data, &w); err != nil {
		return Event{}, classify(data, err)
	}
	// Items of an EventList carry no kind and apiVersion; a standalone
	// event carries both, non-empty.
	if (w.Kind == nil) != (w.APIVersion == nil) {
		return Event{}, reject(ReasonMissingField, "event has only one of kind and apiVersion")
	}
	typed := w.Kind != nil
	if typed && *w.Kind != "Event" {
		return Event{}, reject(ReasonBadValue, "kind is %q, want Event", *w.Kind)
	}
	version := listVersion
	if typed {
		version = *w.APIVersion
	} else if version == "" {
		version = APIVersionV1
	}
	ev, err := envelope(&w)
	if err != nil {
		return Event{}, err
	}
	switch version {
	case APIVersionV1:
		if !typed {
			ev.Body = make([]byte, 0, len(data)+len(v1TypeMeta))
			ev.Body = append(ev.Body, v1TypeMeta...)
			rest := bytes.TrimSpace(data[1:])
			if len(rest) > 0 && rest[0] == '}' {
				ev.Body = ev.Body[:len(ev.Body)-1] // empty object: drop the comma
			}
			ev.Body = append(ev.Body, rest...)
		} else {
			ev.Body = bytes.Clone(data)
		}
	case APIVersionV1beta1:
		if ev.Body, err = convertV1beta1(data); err != nil {
			return Event{}, err
		}
	default:
		return Event{}, reject(ReasonBadValue, "apiVersion %q is not supported (want %s or %s)", version, APIVersionV1, APIVersionV1beta1)
	}
	return ev, nil
}

// envelope validates the wire form and fills the indexed fields.
func envelope(w *wireEvent) (Event, error) {
	if w.AuditID == "" {
		return Event{}, reject(ReasonMissingField, "event has no auditID")
	}
	switch w.Stage {
	case "":
		return Event{}, reject(ReasonMissingField, "event %s has no stage", w.AuditID)
	case StageRequestReceived, StageResponseStarted, StageResponseComplete, StagePanic:
	default:
		return Event{}, reject(ReasonBadValue, "event %s has unknown stage %q", w.AuditID, w.Stage)
	}
	ev := Event{
		AuditID:    w.AuditID,
		Stage:      w.Stage,
		Level:      w.Level,
		Verb:       w.Verb,
		RequestURI: w.RequestURI,
		User:       w.User.Username,
		UserGroups: w.User.Groups,
		SourceIPs:  w.SourceIPs,
		UserAgent:  w.UserAgent,
	}
	if w.ImpersonatedUser != nil {
		ev.ImpersonatedUser = w.ImpersonatedUser.Username
	}
	var err error
	received := w.RequestReceivedTimestamp
	if received == "" {
		received = w.Timestamp
	}
	stage := w.StageTimestamp
	switch {
	case received == "" && stage == "":
		return Event{}, reject(ReasonMissingField, "event %s has no timestamp", w.AuditID)
	case received == "":
		received = stage
	case stage == "":
		stage = received
	}
	if ev.Time, err = parseTime(received); err != nil {
		return Event{}, reject(ReasonBadValue, "event %s: requestReceivedTimestamp: %v", w.AuditID, err)
	}
	if ev.StageTime, err = parseTime(stage); err != nil {
		return Event{}, reject(ReasonBadValue, "event %s: stageTimestamp: %v", w.AuditID, err)
	}
	if r := w.ObjectRef; r != nil {
		ev.APIGroup, ev.APIVersion, ev.Resource = r.APIGroup, r.APIVersion, r.Resource
		ev.Subresource, ev.Namespace, ev.Name, ev.ObjectName = r.Subresource, r.Namespace, r.Name, r.Name
	}
	if w.ResponseStatus != nil {
		ev.Code = w.ResponseStatus.Code
	}
	if o := w.ResponseObject; o != nil {
		ev.ResponseKind, ev.ResponseAPIVersion = o.Kind, o.APIVersion
		// The object's own name wins over objectRef's: creates with
		// generateName only learn their name from the response.
		switch {
		case o.Metadata.Name != "":
			ev.Name = o.Metadata.Name
		case o.Details != nil && o.Details.Name != "":
			ev.Name = o.Details.Name
		}
		if ev.Namespace == "" && o.Metadata.Namespace != "" && o.Kind != "Status" {
			ev.Namespace = o.Metadata.Namespace
		}
	}
	ev.Change = changeOf(&ev, w.ResponseObject)
	return ev, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// classify maps a JSON error to a rejection reason and message.
func classify(data []byte, err error) *DecodeError {
	msg := err.Error()
	var ute *json.UnmarshalTypeError
	switch {
	case errors.As(err, &ute):
		field := ute.Field
		if field == "" {
			field = "event"
		}
		return reject(ReasonWrongType, "%s is a JSON %s, want %s", field, ute.Value, typeName(ute.Type.String()))
	case !json.Valid(data) && truncated(data):
		return reject(ReasonTruncated, "truncated JSON (the line ends inside an object)")
	case strings.Contains(msg, "cannot unmarshal"):
		return reject(ReasonWrongType, "%s", strings.TrimPrefix(msg, "json: "))
	default:
		return reject(ReasonMalformed, "invalid JSON: %s", strings.TrimPrefix(msg, "json: "))
	}
}

func typeName(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"):
		return "a number"
	default:
		return "an object"
	}
}

// truncated reports whether data looks like the start of a JSON object cut
// off before its end: it opens with '{' and its brackets never close.
func truncated(data []byte) bool {
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return false
			}
		}
	}
	return depth > 0
}
