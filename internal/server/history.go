package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/objdiff"
	"github.com/evident-dev/evident/internal/store"
)

// defaultCluster is the cluster of changelog and state queries that name
// none.
const defaultCluster = "default"

// Changelog is the answer of GET /api/v1/changelog/...: every recorded
// version of one object, oldest first.
type Changelog struct {
	Kind      string           `json:"kind"`
	Cluster   string           `json:"cluster"`
	Namespace string           `json:"namespace"`
	Name      string           `json:"name"`
	Versions  []ChangelogEntry `json:"versions"`
}

// ChangelogEntry is one version of an object (objdiff.Entry in a form
// clients can decode).
type ChangelogEntry struct {
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
	Diff            []DiffLine      `json:"diff,omitempty"`
	Object          json.RawMessage `json:"object,omitempty"`
}

// DiffLine is one line of a diff: Op is " " (unchanged), "+", "-", or "~"
// for lines left out between hunks.
type DiffLine struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

func changelogEntries(entries []objdiff.Entry) []ChangelogEntry {
	out := make([]ChangelogEntry, len(entries))
	for i, en := range entries {
		out[i] = ChangelogEntry{Time: en.Time.UTC(), Verb: en.Verb, User: en.User, Code: en.Code, ResourceVersion: en.ResourceVersion,
			UID: en.UID, Deleted: en.Deleted, Cascade: en.Cascade, Baseline: en.Baseline, AuditID: en.AuditID, EventID: en.EventID,
			Object: en.Object}
		for _, l := range en.Diff {
			out[i].Diff = append(out[i].Diff, DiffLine{Op: string(rune(l.Op)), Text: l.Text})
		}
	}
	return out
}

// trackedNames lists the tracked kinds for error messages.
func trackedNames() string {
	var names []string
	for _, k := range audit.Tracked() {
		names = append(names, k.String())
	}
	return strings.Join(names, ", ")
}

// changelog answers GET /api/v1/changelog/{resource}/{namespace}/{name}.
// A resource name two groups share (networkpolicies) is resolved by which
// of them has the object.
func (s *Server) changelog(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.require(ctx, "get", resAuditLogs, ""); err != nil {
		return err
	}
	resource, ns, name := r.PathValue("resource"), r.PathValue("namespace"), r.PathValue("name")
	v := r.URL.Query()
	cluster := v.Get("cluster")
	if cluster == "" {
		cluster = defaultCluster
	}
	withObjects, err := boolParam(v, "objects")
	if err != nil {
		return err
	}
	kinds := audit.ParseKind(resource)
	if len(kinds) == 0 {
		return badRequest("%q is not a tracked kind; tracked: %s", resource, trackedNames())
	}
	if ns == "-" {
		ns = ""
	}
	type hit struct {
		kind     audit.Kind
		versions []store.Version
	}
	var hits []hit
	for _, k := range kinds {
		objNS := ns
		if !k.Namespaced() {
			objNS = ""
		} else if objNS == "" {
			return badRequest("%s is namespaced: name the namespace in the path", k)
		}
		vs, err := s.opts.Store.History(ctx, store.ObjectKey{Cluster: cluster, Kind: k, Namespace: objNS, Name: name})
		if err != nil {
			return storeError(err)
		}
		if len(vs) > 0 {
			hits = append(hits, hit{k, vs})
		}
	}
	switch len(hits) {
	case 0:
		return errorf(http.StatusNotFound, "no recorded versions of %s %s in cluster %q", resource, qualified(ns, name), cluster)
	case 1:
	default:
		return badRequest("%q is ambiguous: both %s and %s have %s; name the group, e.g. %s",
			resource, hits[0].kind, hits[1].kind, qualified(ns, name), hits[0].kind)
	}
	entries, err := objdiff.Changelog(hits[0].versions, withObjects)
	if err != nil {
		return fmt.Errorf("changelog of %s %s: %w", hits[0].kind, qualified(ns, name), err)
	}
	first := hits[0].versions[0]
	writeJSON(w, http.StatusOK, Changelog{Kind: hits[0].kind.String(), Cluster: cluster, Namespace: first.Namespace,
		Name: first.Name, Versions: changelogEntries(entries)})
	return nil
}

func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// StateItem is one object alive at the time asked for, in the version
// current then.
type StateItem struct {
	Cluster         string          `json:"cluster"`
	Kind            string          `json:"kind"`
	Namespace       string          `json:"namespace"`
	Name            string          `json:"name"`
	UID             string          `json:"uid"`
	ResourceVersion string          `json:"resourceVersion"`
	Time            time.Time       `json:"time"`
	Verb            string          `json:"verb"`
	User            string          `json:"user"`
	Baseline        bool            `json:"baseline,omitempty"`
	Object          json.RawMessage `json:"object,omitempty"`
}

// State is the answer of GET /api/v1/state.
type State struct {
	At    time.Time   `json:"at"`
	Items []StateItem `json:"items"`
}

// state answers GET /api/v1/state: the objects alive at a time (default
// now), streamed as they are read.
func (s *Server) state(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.require(ctx, "get", resAuditLogs, ""); err != nil {
		return err
	}
	at, q, err := stateQuery(r.URL.Query(), s.opts.Now())
	if err != nil {
		return err
	}
	// Nothing is written until the first object (or the end) is read, so
	// that a failing store is still an error answer.
	var bw *bufio.Writer
	start := func() error {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		bw = bufio.NewWriterSize(w, 64<<10)
		atJSON, _ := json.Marshal(at.UTC())
		_, err := fmt.Fprintf(bw, `{"at":%s,"items":[`, atJSON)
		return err
	}
	// Once the answer has begun, a failure can only break it off, so that
	// the client does not take a partial list as complete.
	abort := func(err error) {
		infoFrom(ctx).cause = fmt.Errorf("state broken off: %w", err)
		panic(http.ErrAbortHandler)
	}
	n := 0
	for ver, err := range s.opts.Store.StateAt(ctx, at, q) {
		if err != nil {
			if bw == nil {
				return storeError(err)
			}
			abort(err)
		}
		b, err := json.Marshal(stateItem(&ver))
		if err != nil {
			err = fmt.Errorf("encode %s %s: %w", ver.Kind, qualified(ver.Namespace, ver.Name), err)
			if bw == nil {
				return err
			}
			abort(err)
		}
		if bw == nil {
			if err := start(); err != nil {
				return nil // the client has gone
			}
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.Write(b)
		n++
	}
	if bw == nil {
		if err := start(); err != nil {
			return nil
		}
	}
	bw.WriteString("]}\n")
	_ = bw.Flush()
	return nil
}

// stateQuery reads the parameters of a state query: at (default now),
// cluster (default "default"), resource, namespace and objects.
func stateQuery(v url.Values, now time.Time) (time.Time, store.VersionQuery, error) {
	q := store.VersionQuery{Clusters: list(v, "cluster"), Namespaces: list(v, "namespace")}
	at, err := timeParam(v, "at", now)
	if err != nil {
		return at, q, err
	}
	if at.IsZero() {
		at = now
	}
	if len(q.Clusters) == 0 {
		q.Clusters = []string{defaultCluster}
	}
	for _, res := range list(v, "resource") {
		kinds := audit.ParseKind(res)
		if len(kinds) == 0 {
			return at, q, badRequest("invalid parameter resource: %q is not a tracked kind; tracked: %s", res, trackedNames())
		}
		q.Kinds = append(q.Kinds, kinds...)
	}
	q.WithObject, err = boolParam(v, "objects")
	return at, q, err
}

func stateItem(v *store.Version) StateItem {
	it := StateItem{Cluster: v.Cluster, Kind: v.Kind.String(), Namespace: v.Namespace, Name: v.Name, UID: v.UID,
		ResourceVersion: v.ResourceVersion, Time: v.Time.UTC(), Verb: v.Verb, User: v.User, Baseline: v.Baseline}
	if len(v.Object) > 0 {
		it.Object = json.RawMessage(v.Object)
	}
	return it
}
