package audit

import (
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// v1beta1Extra holds the v1beta1 fields that v1 dropped.
type v1beta1Extra struct {
	Timestamp string `json:"timestamp"`
}

// convertV1beta1 re-encodes a v1beta1 event as v1. The two versions share
// every field but v1beta1's object metadata and timestamp; the timestamp
// becomes requestReceivedTimestamp when that is absent. Request and response
// objects are carried over byte for byte.
func convertV1beta1(data []byte) ([]byte, error) {
	var ev auditv1.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, reject(ReasonWrongType, "convert v1beta1 event: %v", err)
	}
	if ev.RequestReceivedTimestamp.IsZero() {
		var extra v1beta1Extra
		if err := json.Unmarshal(data, &extra); err == nil && extra.Timestamp != "" {
			if t, err := time.Parse(time.RFC3339Nano, extra.Timestamp); err == nil {
				ev.RequestReceivedTimestamp = metav1.NewMicroTime(t)
			}
		}
	}
	if ev.StageTimestamp.IsZero() {
		ev.StageTimestamp = ev.RequestReceivedTimestamp
	}
	ev.Kind, ev.APIVersion = "Event", APIVersionV1
	out, err := json.Marshal(&ev)
	if err != nil {
		return nil, fmt.Errorf("encode converted event: %w", err)
	}
	return out, nil
}
