package dashboard

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

// eventBody is the part of an audit.k8s.io/v1 event the detail page
// shows besides the envelope.
type eventBody struct {
	RequestURI string   `json:"requestURI"`
	UserAgent  string   `json:"userAgent"`
	SourceIPs  []string `json:"sourceIPs"`
	User       struct {
		Username string   `json:"username"`
		UID      string   `json:"uid"`
		Groups   []string `json:"groups"`
	} `json:"user"`
	ImpersonatedUser *struct {
		Username string   `json:"username"`
		Groups   []string `json:"groups"`
	} `json:"impersonatedUser"`
	ResponseStatus json.RawMessage   `json:"responseStatus"`
	RequestObject  json.RawMessage   `json:"requestObject"`
	ResponseObject json.RawMessage   `json:"responseObject"`
	Annotations    map[string]string `json:"annotations"`
}

// eventData is the template data of the event page.
type eventData struct {
	Event          store.StoredEvent
	Resource       string
	RequestURI     string
	UserAgent      string
	SourceIPs      []string
	UserUID        string
	UserGroups     []string
	Impersonated   string
	ImpGroups      []string
	Annotations    []keyValue
	ResponseStatus string
	RequestObject  string
	ResponseObject string
	Raw            string
	Links          *objectLinks
	SameObjectURL  string
	BodyError      bool
}

type keyValue struct{ Key, Value string }

func (h *handler) eventView(w http.ResponseWriter, r *request) error {
	if err := h.require(r, "get", "auditlogs", ""); err != nil {
		return err
	}
	ev, err := h.opts.Store.Event(r.Context(), r.PathValue("id"))
	if err != nil {
		return storeError(err, "This event")
	}
	d := eventData{Event: ev, Resource: resourceText(ev.Resource, ev.Subresource, ev.APIGroup), Raw: pretty(ev.Body)}
	var b eventBody
	if err := json.Unmarshal(ev.Body, &b); err != nil {
		d.BodyError = true
	} else {
		d.RequestURI, d.UserAgent, d.SourceIPs = b.RequestURI, b.UserAgent, b.SourceIPs
		d.UserUID, d.UserGroups = b.User.UID, b.User.Groups
		if b.ImpersonatedUser != nil {
			d.Impersonated, d.ImpGroups = b.ImpersonatedUser.Username, b.ImpersonatedUser.Groups
		}
		for k, v := range b.Annotations {
			d.Annotations = append(d.Annotations, keyValue{k, v})
		}
		sort.Slice(d.Annotations, func(i, j int) bool { return d.Annotations[i].Key < d.Annotations[j].Key })
		d.ResponseStatus = pretty(b.ResponseStatus)
		d.RequestObject = pretty(b.RequestObject)
		d.ResponseObject = pretty(b.ResponseObject)
	}
	at := ev.StageTime
	if at.IsZero() {
		at = ev.Time
	}
	d.Links = linksFor(ev.APIGroup, ev.Resource, ev.Namespace, ev.Name, at)
	if ev.Name != "" {
		v := url.Values{"since": {rangeAll}, "resource": {ev.Resource}, "name": {ev.Name}}
		if ev.Namespace != "" {
			v.Set("namespace", ev.Namespace)
		}
		d.SameObjectURL = "/timeline?" + v.Encode()
	}
	return h.render(w, r, http.StatusOK, "event.html", "Event "+ev.Time.UTC().Format(time.RFC3339), "timeline", d)
}

// pretty indents JSON; anything else is returned as it is, and null or
// nothing as "".
func pretty(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}
