package dashboard

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/evident-dev/evident/internal/objdiff"
	"github.com/evident-dev/evident/internal/store"
)

// changelogData is the template data of an object's changelog.
type changelogData struct {
	Key          store.ObjectKey
	Path         string // resource/namespace/name
	Kind         string
	Entries      []changeView // newest first
	Current      string       // the latest version as reviewed (YAML), when alive
	Deleted      bool
	AtInput      string
	TimelineURL  string
	StateFormURL string
}

// changeView is one version of the changelog.
type changeView struct {
	Anchor          string
	Time            time.Time
	Verb            string
	User            string
	Code            int
	ResourceVersion string
	UID             string
	Deleted         bool
	Cascade         bool
	Baseline        bool
	EventURL        string
	StateURL        string
	Rows            []diffRow
	Unchanged       bool
}

// diffRow is one row of a side-by-side diff.
type diffRow struct {
	LeftClass, RightClass string
	LeftMark, RightMark   string
	Left, Right           string
	Gap                   bool
}

func (h *handler) changelog(w http.ResponseWriter, r *request) error {
	if err := h.require(r, "get", "auditlogs", ""); err != nil {
		return err
	}
	key, versions, err := h.resolveObject(r)
	if err != nil {
		return err
	}
	if len(versions) == 0 {
		return notFound("No versions of " + objectTitle(key) + " are recorded in cluster " + key.Cluster +
			". Only successful writes seen in the audit trail, and imported baselines, are recorded.")
	}
	entries, err := objdiff.Changelog(versions, false)
	if err != nil {
		return unavailable("cannot compare the object's versions", err)
	}
	path := objectPath(key.Kind, key.Namespace, key.Name)
	d := changelogData{Key: key, Path: path, Kind: kindLabel(key.Kind), AtInput: h.now().Format(timeInputLayout),
		StateFormURL: "/policies/state/" + path}
	tv := url.Values{"since": {rangeAll}, "resource": {key.Kind.Resource}, "name": {key.Name}}
	if key.Namespace != "" {
		tv.Set("namespace", key.Namespace)
	}
	d.TimelineURL = "/timeline?" + tv.Encode()
	last := versions[len(versions)-1]
	d.Deleted = last.Deleted
	if !last.Deleted {
		if d.Current, err = objdiff.Normalize(last.Object); err != nil {
			return unavailable("cannot read the object's latest version", err)
		}
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		cv := changeView{Anchor: "v" + strconv.Itoa(i+1), Time: e.Time, Verb: e.Verb, User: e.User, Code: e.Code,
			ResourceVersion: e.ResourceVersion, UID: e.UID, Deleted: e.Deleted, Cascade: e.Cascade, Baseline: e.Baseline,
			StateURL: "/policies/state/" + path + "?at=" + url.QueryEscape(e.Time.UTC().Format(time.RFC3339Nano)),
			Rows:     diffRows(objdiff.SideBySide(e.Diff)), Unchanged: !e.Deleted && len(e.Diff) == 0}
		if e.EventID != "" {
			cv.EventURL = "/timeline/events/" + url.PathEscape(e.EventID)
		}
		d.Entries = append(d.Entries, cv)
	}
	return h.render(w, r, http.StatusOK, "changelog.html", "Changelog of "+objectTitle(key), "policies", d)
}

// diffRows styles the side-by-side pairs.
func diffRows(pairs []objdiff.Pair) []diffRow {
	out := make([]diffRow, 0, len(pairs))
	for _, p := range pairs {
		row := diffRow{Left: p.Left, Right: p.Right}
		switch p.Op {
		case objdiff.Gap:
			row.Gap = true
		case objdiff.Added:
			row.LeftClass, row.RightClass, row.RightMark = "d-empty", "d-add", "+"
		case objdiff.Removed:
			row.LeftClass, row.RightClass, row.LeftMark = "d-del", "d-empty", "-"
		case '!':
			row.LeftClass, row.RightClass, row.LeftMark, row.RightMark = "d-del", "d-add", "-", "+"
		default:
			row.LeftClass, row.RightClass = "d-same", "d-same"
		}
		out = append(out, row)
	}
	return out
}

// stateData is the template data of an object's state at a time.
type stateData struct {
	Key          store.ObjectKey
	Path         string
	Kind         string
	At           time.Time
	AtInput      string
	Version      *store.Version
	NotYet       bool // no version recorded at or before At
	FirstTime    time.Time
	YAML         string
	JSON         string
	ChangelogURL string
	EventURL     string
	PrevURL      string
	NextURL      string
}

func (h *handler) stateView(w http.ResponseWriter, r *request) error {
	if err := h.require(r, "get", "auditlogs", ""); err != nil {
		return err
	}
	now := h.now()
	at := now
	if s := r.URL.Query().Get("at"); s != "" {
		t, err := parseTime(s, now)
		if err != nil {
			return badRequest("Time " + strconv.Quote(s) + ": " + err.Error())
		}
		at = t
	}
	key, versions, err := h.resolveObject(r)
	if err != nil {
		return err
	}
	if len(versions) == 0 {
		return notFound("No versions of " + objectTitle(key) + " are recorded in cluster " + key.Cluster + ".")
	}
	path := objectPath(key.Kind, key.Namespace, key.Name)
	d := stateData{Key: key, Path: path, Kind: kindLabel(key.Kind), At: at, AtInput: at.Format(timeInputLayout),
		ChangelogURL: "/policies/changelog/" + path}
	stateURL := func(t time.Time) string {
		return "/policies/state/" + path + "?at=" + url.QueryEscape(t.UTC().Format(time.RFC3339Nano))
	}
	idx := -1
	for i, v := range versions {
		if v.Time.After(at) {
			break
		}
		idx = i
	}
	if idx+1 < len(versions) {
		d.NextURL = stateURL(versions[idx+1].Time)
	}
	if idx < 0 {
		d.NotYet, d.FirstTime = true, versions[0].Time
		return h.render(w, r, http.StatusOK, "state.html", objectTitle(key)+" at "+fmtTime(at), "policies", d)
	}
	if idx > 0 {
		d.PrevURL = stateURL(versions[idx-1].Time)
	}
	v := versions[idx]
	d.Version = &v
	if v.EventID != "" {
		d.EventURL = "/timeline/events/" + url.PathEscape(v.EventID)
	}
	if !v.Deleted {
		if d.YAML, err = objdiff.Normalize(v.Object); err != nil {
			return unavailable("cannot read the object", err)
		}
		d.JSON = pretty(v.Object)
	}
	return h.render(w, r, http.StatusOK, "state.html", objectTitle(key)+" at "+fmtTime(at), "policies", d)
}
