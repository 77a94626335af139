package objdiff

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

// Entry is one version in an object's changelog: who changed it, when,
// how, and what changed against the version before.
type Entry struct {
	Time            time.Time       `json:"time"`
	Verb            string          `json:"verb"`
	User            string          `json:"user"`
	Code            int             `json:"code,omitempty"`
	ResourceVersion string          `json:"resourceVersion,omitempty"`
	UID             string          `json:"uid,omitempty"`
	Deleted         bool            `json:"deleted,omitempty"`
	Cascade         bool            `json:"deletedWithNamespace,omitempty"`
	Baseline        bool            `json:"baseline,omitempty"`
	AuditID         string          `json:"auditID,omitempty"`
	EventID         string          `json:"eventID,omitempty"`
	Diff            []Line          `json:"diff,omitempty"`
	Object          json.RawMessage `json:"object,omitempty"`
}

// Changelog diffs each version (oldest first) against the one before it;
// a version after a deletion is diffed against nothing. withObjects keeps
// each version's full object.
func Changelog(versions []store.Version, withObjects bool) ([]Entry, error) {
	out := make([]Entry, 0, len(versions))
	prev := ""
	var r reader // reused: versions share most of their memory and strings
	for _, v := range versions {
		e := Entry{Time: v.Time, Verb: v.Verb, User: v.User, Code: v.Code, ResourceVersion: v.ResourceVersion, UID: v.UID,
			Deleted: v.Deleted, Cascade: v.Cascade, Baseline: v.Baseline, AuditID: v.AuditID, EventID: v.EventID}
		if v.Deleted {
			prev = ""
		} else {
			norm, err := r.normalize(v.Object)
			if err != nil {
				return nil, fmt.Errorf("version at %s: %w", v.Time.Format(time.RFC3339), err)
			}
			e.Diff = Diff(prev, norm, 3)
			prev = norm
		}
		if withObjects && len(v.Object) > 0 {
			e.Object = json.RawMessage(v.Object)
		}
		out = append(out, e)
	}
	return out, nil
}
