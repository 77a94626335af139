package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
)

// kindPolicies is the kind menu's entry for every policy kind and the
// network sets, the default of the policies page.
const kindPolicies = "policies"

// maxObjectRows bounds the rows of the policies page.
const maxObjectRows = 2000

// policyKinds are Kubernetes and Calico network policies (staged
// included), tiers and network sets.
func policyKinds() []audit.Kind {
	var out []audit.Kind
	for _, k := range audit.Tracked() {
		switch {
		case k.Group == audit.GroupNetworking,
			k.Group == audit.GroupCalico && k.Resource != "hostendpoints":
			out = append(out, k)
		}
	}
	return out
}

// objectRow is one object on the policies page.
type objectRow struct {
	Kind       string
	KindName   string
	Group      string
	Namespace  string
	Name       string
	Summary    []keyValue
	Time       time.Time
	User       string
	Verb       string
	Changelog  string
	State      string
	StateLabel string
}

// policiesData is the template data of the policies page.
type policiesData struct {
	Kinds     []option
	Kind      string
	Namespace string
	Name      string
	At        string // as typed
	AtTime    time.Time
	Objects   []objectRow
	Total     int
	Truncated bool
	Error     string
	Lookup    lookupForm
}

// lookupForm is the "object at a time" form.
type lookupForm struct {
	Kinds []option
	At    string
}

func (h *handler) policyList(w http.ResponseWriter, r *request) error {
	if err := h.require(r, "get", "auditlogs", ""); err != nil {
		return err
	}
	qv := r.URL.Query()
	now := h.now()
	d := policiesData{Kind: qv.Get("kind"), Namespace: strings.TrimSpace(qv.Get("namespace")),
		Name: strings.TrimSpace(qv.Get("name")), At: strings.TrimSpace(qv.Get("at")), AtTime: now}
	if d.Kind == "" {
		d.Kind = kindPolicies
	}
	kinds, ok := kindsFor(d.Kind)
	d.Kinds = kindOptions(d.Kind, true)
	d.Lookup = lookupForm{Kinds: kindOptions("", false), At: now.Format(timeInputLayout)}
	status := http.StatusOK
	if !ok {
		d.Error, status = "Unknown kind "+d.Kind+".", http.StatusBadRequest
	}
	if d.At != "" {
		t, err := parseTime(d.At, now)
		if err != nil {
			d.Error, status = "Time: "+err.Error(), http.StatusBadRequest
		}
		d.AtTime = t
	}
	if status != http.StatusOK {
		return h.render(w, r, status, "policies.html", "Policies", "policies", d)
	}
	q := store.VersionQuery{Clusters: []string{h.opts.Cluster}, Kinds: kinds, WithObject: true}
	if d.Namespace != "" {
		q.Namespaces = []string{d.Namespace}
	}
	for v, err := range h.opts.Store.StateAt(r.Context(), d.AtTime, q) {
		if err != nil {
			return unavailable("cannot read the objects now", err)
		}
		if d.Name != "" && !strings.Contains(v.Name, d.Name) {
			continue
		}
		d.Total++
		if len(d.Objects) >= maxObjectRows {
			d.Truncated = true
			continue
		}
		pin := time.Time{}
		if d.At != "" {
			pin = d.AtTime
		}
		d.Objects = append(d.Objects, objectRowOf(v, pin))
	}
	return h.render(w, r, http.StatusOK, "policies.html", "Policies", "policies", d)
}

// objectRowOf makes a row; its state link shows the object at pin, or now
// when pin is zero.
func objectRowOf(v store.Version, pin time.Time) objectRow {
	p := objectPath(v.Kind, v.Namespace, v.Name)
	row := objectRow{Kind: v.Kind.String(), KindName: v.Kind.Name, Group: v.Kind.Group, Namespace: v.Namespace, Name: v.Name,
		Summary: objectSummary(v.Kind, v.Object), Time: v.Time, User: v.User, Verb: v.Verb,
		Changelog: "/policies/changelog/" + p, State: "/policies/state/" + p}
	if v.Baseline {
		row.Verb = "baseline"
	}
	if !pin.IsZero() {
		row.State += "?at=" + url.QueryEscape(pin.UTC().Format(time.RFC3339Nano))
	}
	return row
}

// kindsFor resolves the kind menu's value: the policy kinds, or one
// tracked kind by its Kind.String().
func kindsFor(v string) ([]audit.Kind, bool) {
	if v == kindPolicies {
		return policyKinds(), true
	}
	for _, k := range audit.Tracked() {
		if k.String() == v {
			return []audit.Kind{k}, true
		}
	}
	return nil, false
}

func kindOptions(current string, withPolicies bool) []option {
	var out []option
	if withPolicies {
		out = append(out, option{Value: kindPolicies, Label: "All policies and network sets", Selected: current == kindPolicies})
	}
	for _, k := range audit.Tracked() {
		out = append(out, option{Value: k.String(), Label: kindLabel(k), Selected: current == k.String()})
	}
	return out
}

// kindLabel names a kind for menus: "NetworkPolicy (networking.k8s.io)".
func kindLabel(k audit.Kind) string {
	if k.Group == "" {
		return k.Name
	}
	return k.Name + " (" + k.Group + ")"
}

// resolveObject finds the kind and namespace an object page names. A
// bare resource shared by two groups is resolved by which one has
// versions of the object.
func (h *handler) resolveObject(r *request) (store.ObjectKey, []store.Version, error) {
	resource, ns, name := r.PathValue("resource"), r.PathValue("namespace"), r.PathValue("name")
	kinds := audit.ParseKind(resource)
	if len(kinds) == 0 {
		return store.ObjectKey{}, nil, notFound("Evident does not track objects of kind " + resource + ".")
	}
	if ns == "-" {
		ns = ""
	}
	var first store.ObjectKey
	for i, k := range kinds {
		key := store.ObjectKey{Cluster: h.opts.Cluster, Kind: k, Namespace: ns, Name: name}
		if !k.Namespaced() {
			key.Namespace = ""
		}
		if i == 0 {
			first = key
		}
		vs, err := h.opts.Store.History(r.Context(), key)
		if err != nil {
			return key, nil, unavailable("cannot read the object's history now", err)
		}
		if len(vs) > 0 {
			return key, vs, nil
		}
	}
	return first, nil, nil
}

// objectTitle is Kind namespace/name.
func objectTitle(key store.ObjectKey) string {
	if key.Namespace == "" {
		return key.Kind.Name + " " + key.Name
	}
	return key.Kind.Name + " " + key.Namespace + "/" + key.Name
}

// stateLookup turns the lookup form into an object's state page.
func (h *handler) stateLookup(w http.ResponseWriter, r *request) error {
	if err := h.require(r, "get", "auditlogs", ""); err != nil {
		return err
	}
	qv := r.URL.Query()
	kinds, ok := kindsFor(qv.Get("resource"))
	name := strings.TrimSpace(qv.Get("name"))
	if !ok || len(kinds) != 1 || name == "" {
		return badRequest("Choose a kind and type the object's name.")
	}
	target := "/policies/state/" + objectPath(kinds[0], strings.TrimSpace(qv.Get("namespace")), name)
	if at := strings.TrimSpace(qv.Get("at")); at != "" {
		target += "?at=" + url.QueryEscape(at)
	}
	http.Redirect(w, r.Request, target, http.StatusSeeOther)
	return nil
}
