package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/registry"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/server"
	"github.com/evident-dev/evident/internal/store"
)

// envCAFile names a PEM file of certificate authorities trusted for
// --server, in addition to the system's.
const envCAFile = "EVIDENT_CA_FILE"

// remote is an Evident server reached with --server: the query commands'
// audit source, and the backend of apply, get, delete and report.
type remote struct {
	server string // as given, for messages
	base   string // scheme://host[/prefix], without a trailing slash
	token  string
	client *http.Client
}

var _ auditSource = (*remote)(nil)

// newRemote connects the query commands to an Evident server.
func newRemote(server, token string) (auditSource, error) {
	return dialRemote(server, token)
}

// dialRemote checks the server URL and prepares a client; it sends
// nothing yet. A URL without a scheme is taken as https.
func dialRemote(server, token string) (*remote, error) {
	raw := strings.TrimSpace(server)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q: want a URL such as https://evident.example.com", server)
	}
	u.RawQuery, u.Fragment = "", ""
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if file := os.Getenv(envCAFile); file != "" {
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envCAFile, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s=%s: no PEM certificate found", envCAFile, file)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &remote{server: server, base: strings.TrimSuffix(u.String(), "/"), token: token, client: &http.Client{Transport: tr}}, nil
}

// remote opens the server the global flags name.
func (e *env) remote() (*remote, error) { return dialRemote(e.server, e.token) }

// Close releases idle connections.
func (c *remote) Close() error {
	c.client.CloseIdleConnections()
	return nil
}

// remoteError is an error answer of the server.
type remoteError struct {
	server  string
	status  int
	msg     string
	details []string
	noToken bool
}

func (e *remoteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%d %s)", e.server, e.msg, e.status, http.StatusText(e.status))
	if e.status == http.StatusUnauthorized && e.noToken {
		b.WriteString("; pass a token with --token or EVIDENT_TOKEN")
	}
	for _, d := range e.details {
		b.WriteString("\n  " + d)
	}
	return b.String()
}

// Is makes a 404 answer match store.ErrNotFound.
func (e *remoteError) Is(target error) bool {
	return target == store.ErrNotFound && e.status == http.StatusNotFound
}

// do sends a request; an error status becomes a *remoteError. The caller
// closes the body of a successful answer.
func (c *remote) do(ctx context.Context, method, p string, q url.Values, body []byte) (*http.Response, error) {
	target := c.base + p
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.server, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query server: %w", err)
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	re := &remoteError{server: c.server, status: resp.StatusCode, noToken: c.token == ""}
	var eb struct {
		Error   string   `json:"error"`
		Details []string `json:"details"`
	}
	if json.Unmarshal(raw, &eb) == nil && eb.Error != "" {
		re.msg, re.details = eb.Error, eb.Details
	} else {
		re.msg = strings.TrimSpace(string(raw))
		if re.msg == "" || len(re.msg) > 200 {
			re.msg = "the server answered " + resp.Status
		}
	}
	return nil, re
}

// call sends a request and decodes the JSON answer into out (when not nil).
func (c *remote) call(ctx context.Context, method, p string, q url.Values, body []byte, out any) error {
	resp, err := c.do(ctx, method, p, q, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: read the answer to %s %s: %w", c.server, method, p, err)
	}
	return nil
}

func addAll(v url.Values, key string, values []string) {
	for _, s := range values {
		v.Add(key, s)
	}
}

func setTime(v url.Values, key string, t time.Time) {
	if !t.IsZero() {
		v.Set(key, t.UTC().Format(time.RFC3339Nano))
	}
}

// Events reads one timeline page.
func (c *remote) Events(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	v := url.Values{}
	setTime(v, "from", q.From)
	setTime(v, "to", q.To)
	addAll(v, "cluster", q.Clusters)
	addAll(v, "verb", q.Verbs)
	addAll(v, "resource", q.Resources)
	addAll(v, "apiGroup", q.APIGroups)
	addAll(v, "namespace", q.Namespaces)
	addAll(v, "name", q.Names)
	addAll(v, "user", q.Users)
	for _, code := range q.Codes {
		v.Add("code", strconv.Itoa(code))
	}
	text, err := server.FormatQuery(q.Cond)
	if err != nil {
		return store.EventPage{}, fmt.Errorf("send query: %w", err)
	}
	if text != "" {
		v.Set("query", text)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.After != "" {
		v.Set("after", q.After)
	}
	if q.WithBody {
		v.Set("body", "true")
	}
	var page server.EventPage
	if err := c.call(ctx, http.MethodGet, "/api/v1/audit/events", v, nil, &page); err != nil {
		return store.EventPage{}, err
	}
	out := store.EventPage{Next: page.Next, Events: make([]store.StoredEvent, len(page.Items))}
	for i, it := range page.Items {
		out.Events[i] = store.StoredEvent{ID: it.ID, Source: it.Source, Event: audit.Event{
			Cluster: it.Cluster, AuditID: it.AuditID, Stage: it.Stage, Verb: it.Verb, User: it.User,
			APIGroup: it.APIGroup, Resource: it.Resource, Subresource: it.Subresource, Namespace: it.Namespace,
			Name: it.Name, Code: it.Code, Time: it.Time, StageTime: it.StageTime, Body: []byte(it.Event),
		}}
	}
	return out, nil
}

// History reads every version of one object; an object the server has no
// versions of has an empty history.
func (c *remote) History(ctx context.Context, key store.ObjectKey) ([]store.Version, error) {
	ns := key.Namespace
	if ns == "" {
		ns = "-"
	}
	p := "/api/v1/changelog/" + url.PathEscape(key.Kind.String()) + "/" + url.PathEscape(ns) + "/" + url.PathEscape(key.Name)
	v := url.Values{"objects": {"true"}}
	if key.Cluster != "" {
		v.Set("cluster", key.Cluster)
	}
	var log server.Changelog
	err := c.call(ctx, http.MethodGet, p, v, nil, &log)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]store.Version, len(log.Versions))
	for i, en := range log.Versions {
		out[i] = store.Version{
			ObjectKey: store.ObjectKey{Cluster: log.Cluster, Kind: key.Kind, Namespace: log.Namespace, Name: log.Name},
			UID:       en.UID, ResourceVersion: en.ResourceVersion, Time: en.Time, Verb: en.Verb, User: en.User,
			AuditID: en.AuditID, EventID: en.EventID, Code: en.Code, Deleted: en.Deleted, Cascade: en.Cascade,
			Baseline: en.Baseline, First: i == 0, Object: []byte(en.Object),
		}
	}
	return out, nil
}

// StateAt reads the objects alive at t.
func (c *remote) StateAt(ctx context.Context, t time.Time, q store.VersionQuery) iter.Seq2[store.Version, error] {
	return func(yield func(store.Version, error) bool) {
		v := url.Values{}
		setTime(v, "at", t)
		addAll(v, "cluster", q.Clusters)
		addAll(v, "namespace", q.Namespaces)
		for _, k := range q.Kinds {
			v.Add("resource", k.String())
		}
		if q.WithObject {
			v.Set("objects", "true")
		}
		var st server.State
		if err := c.call(ctx, http.MethodGet, "/api/v1/state", v, nil, &st); err != nil {
			yield(store.Version{}, err)
			return
		}
		for _, it := range st.Items {
			kind, ok := kindNamed(it.Kind)
			if !ok {
				yield(store.Version{}, fmt.Errorf("%s: unknown kind %q in the state answer", c.server, it.Kind))
				return
			}
			ver := store.Version{
				ObjectKey: store.ObjectKey{Cluster: it.Cluster, Kind: kind, Namespace: it.Namespace, Name: it.Name},
				UID:       it.UID, ResourceVersion: it.ResourceVersion, Time: it.Time, Verb: it.Verb, User: it.User,
				Baseline: it.Baseline, Object: []byte(it.Object),
			}
			if !yield(ver, nil) {
				return
			}
		}
	}
}

// kindNamed finds the tracked kind whose String is s.
func kindNamed(s string) (audit.Kind, bool) {
	for _, k := range audit.ParseKind(s) {
		if k.String() == s {
			return k, true
		}
	}
	return audit.Kind{}, false
}

// objectPath is the API path of a configuration object (or of its kind's
// collection when name is empty).
func objectPath(kind, name string) string {
	p := "/api/v1/" + strings.ToLower(kind) + "s"
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	return p
}

func (e *env) remoteApply(ctx context.Context, objs []v1.Object) error {
	c, err := e.remote()
	if err != nil {
		return err
	}
	defer c.Close()
	// Report types first, so reports in the same files can name them.
	sort.SliceStable(objs, func(i, j int) bool {
		return registry.KindOf(objs[i]) == v1.KindGlobalReportType && registry.KindOf(objs[j]) != v1.KindGlobalReportType
	})
	for _, o := range objs {
		kind := registry.KindOf(o)
		body, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", kind, o.GetName(), err)
		}
		var res server.PutResult
		res.Object = newObject(kind)
		if err := c.call(ctx, http.MethodPut, objectPath(kind, o.GetName()), nil, body, &res); err != nil {
			return err
		}
		fmt.Fprintf(e.Out, "%s/%s %s\n", strings.ToLower(kind)+".evident.dev", o.GetName(), res.Outcome)
	}
	return nil
}

// newObject returns an empty object of a kind.
func newObject(kind string) v1.Object {
	switch kind {
	case v1.KindGlobalReport:
		return &v1.GlobalReport{}
	case v1.KindGlobalReportType:
		return &v1.GlobalReportType{}
	}
	return &v1.GlobalAlert{}
}

// decodeObject reads an object of a kind sent by the server.
func decodeObject(kind string, raw []byte) (v1.Object, error) {
	o := newObject(kind)
	if err := json.Unmarshal(raw, o); err != nil {
		return nil, fmt.Errorf("read %s from the server: %w", kind, err)
	}
	o.GetObjectKind().SetGroupVersionKind(v1.GroupVersion.WithKind(kind))
	return o, nil
}

func (e *env) remoteGet(ctx context.Context, kind string, name []string) ([]v1.Object, error) {
	c, err := e.remote()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if len(name) == 1 {
		var raw json.RawMessage
		err := c.call(ctx, http.MethodGet, objectPath(kind, name[0]), nil, nil, &raw)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%s %q not found", kind, name[0])
		}
		if err != nil {
			return nil, err
		}
		o, err := decodeObject(kind, raw)
		if err != nil {
			return nil, err
		}
		return []v1.Object{o}, nil
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := c.call(ctx, http.MethodGet, objectPath(kind, ""), nil, nil, &list); err != nil {
		return nil, err
	}
	out := make([]v1.Object, 0, len(list.Items))
	for _, raw := range list.Items {
		o, err := decodeObject(kind, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// remoteDelete deletes an object; a missing one is store.ErrNotFound.
func (e *env) remoteDelete(ctx context.Context, kind, name string) error {
	c, err := e.remote()
	if err != nil {
		return err
	}
	defer c.Close()
	return c.call(ctx, http.MethodDelete, objectPath(kind, name), nil, nil, nil)
}

func (e *env) remoteReports(ctx context.Context, q store.ReportQuery) ([]store.ReportRecord, int, error) {
	c, err := e.remote()
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	list, err := c.reports(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	recs := make([]store.ReportRecord, len(list.Reports))
	for i, r := range list.Reports {
		recs[i] = store.ReportRecord{ID: r.ID, Name: r.Name, Type: r.Type, Start: r.StartTime, End: r.EndTime,
			Generated: r.GenerationTime}
		if s := string(r.UISummary); s != "" && s != "null" {
			recs[i].UISummary = s
		}
	}
	return recs, list.Count, nil
}

// reports lists reports with the compliance server's parameters.
func (c *remote) reports(ctx context.Context, q store.ReportQuery) (*server.ReportList, error) {
	v := url.Values{}
	addAll(v, "reportName", q.Names)
	addAll(v, "reportTypeName", q.Types)
	setTime(v, "fromTime", q.From)
	setTime(v, "toTime", q.To)
	if q.Limit > 0 {
		v.Set("maxItems", strconv.Itoa(q.Limit))
		v.Set("page", strconv.Itoa(q.Offset/q.Limit))
	} else {
		v.Set("maxItems", "all")
	}
	for _, s := range q.Sort {
		dir := "ascending"
		if s.Descending {
			dir = "descending"
		}
		v.Add("sortBy", s.Field+"/"+dir)
	}
	var list server.ReportList
	if err := c.call(ctx, http.MethodGet, "/api/v1/reports", v, nil, &list); err != nil {
		return nil, err
	}
	return &list, nil
}

func (e *env) remoteDownload(ctx context.Context, id string, formats []string) ([]byte, string, error) {
	c, err := e.remote()
	if err != nil {
		return nil, "", err
	}
	defer c.Close()
	if len(formats) == 0 {
		// Every format, as the local command does; the server's own
		// default (none) is an empty zip.
		if formats, err = c.reportFormats(ctx, id); err != nil {
			return nil, "", err
		}
	}
	resp, err := c.do(ctx, http.MethodGet, "/api/v1/reports/"+url.PathEscape(id)+"/download", url.Values{"format": formats}, nil)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("%s: download %s: %w", c.server, id, err)
	}
	return body, downloadName(resp.Header.Get("Content-Disposition"), id), nil
}

// reportFormats finds the download formats of a report from the listing;
// none when the report is not listed to the caller.
func (c *remote) reportFormats(ctx context.Context, id string) ([]string, error) {
	name, _, err := report.ParseReportID(id)
	if err != nil {
		return nil, nil // the server explains
	}
	list, err := c.reports(ctx, store.ReportQuery{Names: []string{name}})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range list.Reports {
		if r.ID == id {
			for _, f := range r.DownloadFormats {
				out = append(out, f.Name)
			}
		}
	}
	return out, nil
}

// downloadName is the file name a download offers, reduced to a plain
// name so that a server cannot choose where it is written.
func downloadName(disposition, id string) string {
	_, params, err := mime.ParseMediaType(disposition)
	if err == nil {
		name := path.Base(strings.ReplaceAll(params["filename"], `\`, "/"))
		if name != "" && name != "." && name != ".." && name != "/" {
			return name
		}
	}
	return id
}
