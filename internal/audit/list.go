package audit

import (
	"bytes"
	"fmt"

	json "github.com/goccy/go-json"
)

// Reject is an input that was not stored, with where it was and why.
type Reject struct {
	Location string
	Reason   ErrorReason
	Msg      string
}

func (r *Reject) Error() string { return r.Location + ": " + r.Msg }

func newReject(location string, err error) *Reject {
	return &Reject{Location: location, Reason: ReasonOf(err), Msg: err.Error()}
}

type wireList struct {
	Kind       string            `json:"kind"`
	APIVersion string            `json:"apiVersion"`
	Items      []json.RawMessage `json:"items"`
}

var eventListMarker = []byte(`"EventList"`)

// isEventList tells a line holding an EventList from one holding an Event
// by looking for the kind near the start, where encoders put it.
func isEventList(data []byte) bool {
	head := data
	if len(head) > 256 {
		head = head[:256]
	}
	return bytes.Contains(head, eventListMarker)
}

// DecodeLine decodes one line of input: an Event or an EventList. It
// returns the good events and a Reject for each bad one; a bad item inside
// a list does not affect its siblings.
func DecodeLine(l Line, name string, maxEventSize int) ([]Event, []*Reject) {
	loc := l.Location(name)
	if l.Oversized {
		if maxEventSize <= 0 {
			maxEventSize = DefaultMaxEventSize
		}
		return nil, []*Reject{{Location: loc, Reason: ReasonOversized,
			Msg: fmt.Sprintf("line is larger than the %d-byte limit", maxEventSize)}}
	}
	if isEventList(l.Data) {
		events, rejects, err := DecodeEventList(l.Data, maxEventSize)
		if err != nil {
			return nil, []*Reject{newReject(loc, err)}
		}
		for _, r := range rejects {
			r.Location = loc + ": " + r.Location
		}
		return events, rejects
	}
	ev, err := Decode(l.Data, "")
	if err != nil {
		return nil, []*Reject{newReject(loc, err)}
	}
	return []Event{ev}, nil
}

// DecodeEventList decodes an EventList body as the webhook backend sends it.
// The error is non-nil when the body is not an EventList at all; otherwise
// each bad item is a Reject located as "items[i]" and the rest are returned.
func DecodeEventList(body []byte, maxEventSize int) ([]Event, []*Reject, error) {
	if maxEventSize <= 0 {
		maxEventSize = DefaultMaxEventSize
	}
	var list wireList
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, nil, classify(bytes.TrimSpace(body), err)
	}
	if list.Kind != "EventList" {
		return nil, nil, reject(ReasonBadValue, "kind is %q, want EventList", list.Kind)
	}
	switch list.APIVersion {
	case APIVersionV1, APIVersionV1beta1:
	default:
		return nil, nil, reject(ReasonBadValue, "EventList apiVersion %q is not supported (want %s)", list.APIVersion, APIVersionV1)
	}
	events := make([]Event, 0, len(list.Items))
	var rejects []*Reject
	for i, item := range list.Items {
		loc := fmt.Sprintf("items[%d]", i)
		if len(item) > maxEventSize {
			rejects = append(rejects, &Reject{Location: loc, Reason: ReasonOversized,
				Msg: fmt.Sprintf("event is larger than the %d-byte limit", maxEventSize)})
			continue
		}
		ev, err := Decode(item, list.APIVersion)
		if err != nil {
			rejects = append(rejects, newReject(loc, err))
			continue
		}
		events = append(events, ev)
	}
	return events, rejects, nil
}

// ResponseObject returns the responseObject of an event body, as it was
// received; nil when the event has none.
func ResponseObject(body []byte) ([]byte, error) {
	var w struct {
		ResponseObject json.RawMessage `json:"responseObject"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("read responseObject: %w", err)
	}
	if len(w.ResponseObject) == 0 || string(w.ResponseObject) == "null" {
		return nil, nil
	}
	return w.ResponseObject, nil
}
