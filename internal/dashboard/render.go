package dashboard

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// pages holds one parsed template set per page.
type pages struct {
	set map[string]*template.Template
}

// pageFiles are the page templates; each defines "content" and is
// rendered inside layout.html.
func pageFiles() []string {
	return []string{
		"login.html", "error.html", "home.html",
		"reports.html", "report.html",
		"timeline.html", "event.html",
		"policies.html", "changelog.html", "state.html",
		"schedules.html", "schedule.html",
	}
}

func loadPages(fsys fs.FS) (*pages, error) {
	p := &pages{set: map[string]*template.Template{}}
	for _, name := range pageFiles() {
		t, err := template.New(name).Funcs(funcs()).ParseFS(fsys,
			"templates/layout.html", "templates/parts.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p.set[name] = t
	}
	return p, nil
}

// view is the data every page template gets; Data is the page's own.
type view struct {
	Title    string
	Section  string // the active navigation entry
	SignedIn bool
	User     string
	Nav      navPerms
	Now      time.Time
	Data     any
}

// render executes a page into a buffer and writes it with the status.
func (h *handler) render(w http.ResponseWriter, r *request, status int, page, title, section string, data any) error {
	t, ok := h.pages.set[page]
	if !ok {
		return fmt.Errorf("no page template %s", page)
	}
	v := view{Title: title, Section: section, SignedIn: r.user.Name != "", User: r.user.Name, Nav: r.nav,
		Now: h.now(), Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// Template layouts of times: full UTC, and the value of datetime-local
// inputs (read as UTC).
const (
	timeLayout      = "2006-01-02 15:04:05Z"
	timeInputLayout = "2006-01-02T15:04:05"
)

func funcs() template.FuncMap {
	return template.FuncMap{
		"time":      fmtTime,
		"rfc3339":   func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
		"timeInput": func(t time.Time) string { return t.UTC().Format(timeInputLayout) },
		"verbClass": verbClass,
		"codeClass": codeClass,
		"code": func(c int) string {
			if c == 0 {
				return "–"
			}
			return strconv.Itoa(c)
		},
		"join":     strings.Join,
		"duration": durationString,
		"pct":      pct,
		"count": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return strconv.Itoa(n) + " " + many
		},
	}
}

// durationString prints a duration without zero units: 1h, 90m, 1h30m.
func durationString(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// verbClass is the badge class of an audit verb.
func verbClass(verb string) string {
	switch verb {
	case "create":
		return "badge verb-create"
	case "update", "patch":
		return "badge verb-modify"
	case "delete", "deletecollection":
		return "badge verb-delete"
	}
	return "badge verb-read"
}

// codeClass is the badge class of an HTTP response code.
func codeClass(code int) string {
	switch {
	case code >= 500:
		return "badge code-5xx"
	case code >= 400:
		return "badge code-4xx"
	case code >= 300:
		return "badge code-3xx"
	case code >= 200:
		return "badge code-2xx"
	}
	return "badge code-none"
}

// pct is part/total as a whole percentage ("–" without a total).
func pct(part, total int) string {
	if total <= 0 {
		return "–"
	}
	return strconv.Itoa(int(float64(part)*100/float64(total)+0.5)) + "%"
}
