package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"
)

// chromium finds the browser of the browser tests. Without it the tests
// are skipped, loudly, unless EVIDENT_REQUIRE_SERVICES=1 demands them.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	msg := "BROWSER TESTS NOT RUN: Chromium is not installed (apt-get install chromium); " +
		"the dashboard's pages were not checked in a real browser"
	if os.Getenv("EVIDENT_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile. The flags
// keep it off the network: without them it stalls on a closed network.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	)
	t.Cleanup(cancel)
	ctx, stop := chromedp.NewContext(alloc)
	t.Cleanup(stop)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// tab is one signed-in browser session (its own cookie jar).
type tab struct {
	t   *testing.T
	ctx context.Context
	url string
	dir string // downloads
}

func (h *harness) session(t *testing.T, b context.Context, token string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	tb := &tab{t: t, ctx: ctx, url: h.srv.URL, dir: t.TempDir()}
	tb.do(chromedp.Navigate(tb.url+"/reports"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.CSS(".account-name")))
	tb.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: tb.dir, EventsEnabled: new(true),
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
		})
		return err
	}))
	return tb
}

// do runs actions with a time limit.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatal(err)
	}
}

// open navigates to a path and returns the response status.
func (tb *tab) open(path string) int64 {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(tb.url+path))
	if err != nil {
		tb.t.Fatalf("open %s: %v", path, err)
	}
	return resp.Status
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// texts returns the text of every element a CSS selector matches.
func texts(tb *tab, selector string) []string {
	tb.t.Helper()
	js, _ := json.Marshal(selector)
	return eval[[]string](tb, fmt.Sprintf(`Array.from(document.querySelectorAll(%s), e => e.textContent.trim())`, js))
}

// download clicks a link that the server answers with an attachment and
// returns the file the browser saved.
func (tb *tab) download(selector string) []byte {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(selector))); err != nil {
		tb.t.Fatalf("click %s: %v", selector, err)
	}
	for ev, err := range progress {
		if err != nil {
			tb.t.Fatalf("download from %s: %v", selector, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			data, err := os.ReadFile(filepath.Join(tb.dir, ev.GUID))
			if err != nil {
				tb.t.Fatal(err)
			}
			return data
		case browser.DownloadProgressStateCanceled:
			tb.t.Fatalf("download from %s was canceled", selector)
		}
	}
	tb.t.Fatalf("no download from %s", selector)
	return nil
}

// TestBrowser drives the dashboard in a real headless Chromium.
func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	h := newHarness(t)
	t.Run("each user sees what RBAC allows", func(t *testing.T) { testUsersSeeWhatRBACAllows(t, b, h) })
	t.Run("sign out", func(t *testing.T) { testSignOut(t, b, h) })
	t.Run("filter the timeline and export it", func(t *testing.T) { testTimelineExport(t, b, h) })
	t.Run("a policy's changelog shows a diff", func(t *testing.T) { testChangelogDiff(t, b, h) })
	t.Run("download a CSV", func(t *testing.T) { testCSVDownload(t, b, h) })
	t.Run("hostile audit content stays text", func(t *testing.T) {
		testHostileContent(t, h, h.session(t, b, "admin-token"))
	})
}

func testUsersSeeWhatRBACAllows(t *testing.T, b context.Context, h *harness) {
	var all []string
	for name := range h.reports {
		all = append(all, name)
	}
	slices.Sort(all)
	tests := []struct {
		token     string
		reports   []string
		downloads bool
		nav       []string
		timeline  int64
	}{
		{"admin-token", all, true, []string{"Reports", "Timeline", "Policies", "Schedules"}, http.StatusOK},
		{"paul-token", all, false, []string{"Reports", "Schedules"}, http.StatusForbidden},
		{"candice-token", all, true, []string{"Reports", "Timeline", "Policies", "Schedules"}, http.StatusOK},
		{"david-token", []string{"dev-inventory"}, false, []string{"Reports", "Schedules"}, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.token, func(t *testing.T) {
			tb := h.session(t, b, tc.token)
			if st := tb.open("/reports"); st != http.StatusOK {
				t.Fatalf("reports: status %d", st)
			}
			got := eval[[]string](tb, `Array.from(document.querySelectorAll('[data-report]'), e => e.dataset.report).sort()`)
			if !slices.Equal(got, tc.reports) {
				t.Errorf("reports %v, want %v", got, tc.reports)
			}
			if n := eval[int](tb, `document.querySelectorAll('a[data-format]').length`); (n > 0) != tc.downloads {
				t.Errorf("%d download links; want some: %v", n, tc.downloads)
			}
			if nav := texts(tb, ".mainnav a"); !slices.Equal(nav, tc.nav) {
				t.Errorf("navigation %v, want %v", nav, tc.nav)
			}
			st := tb.open("/timeline")
			if st != tc.timeline {
				t.Fatalf("timeline: status %d, want %d", st, tc.timeline)
			}
			rows := eval[int](tb, `document.querySelectorAll('#events tbody tr').length`)
			if heading := texts(tb, "h1"); st == http.StatusForbidden {
				if !slices.Equal(heading, []string{"You don't have access"}) || rows != 0 {
					t.Errorf("403 page: heading %q, %d rows", heading, rows)
				}
			} else if rows == 0 {
				t.Errorf("timeline shows no events")
			}
		})
	}
}

func testSignOut(t *testing.T, b context.Context, h *harness) {
	tb := h.session(t, b, "candice-token")
	tb.do(chromedp.Click(chromedp.CSS(".account button")), chromedp.WaitVisible(chromedp.ID("token")))
	tb.open("/timeline")
	if loc := eval[string](tb, `location.pathname + location.search`); loc != "/login?next=%2Ftimeline" {
		t.Errorf("after signing out, /timeline went to %s", loc)
	}
}

func testTimelineExport(t *testing.T, b context.Context, h *harness) {
	tb := h.session(t, b, "candice-token")
	tb.open("/timeline")
	tb.do(chromedp.SetValue(chromedp.ID("resource"), "networkpolicies"),
		chromedp.Click(chromedp.CSS(`input[name="verb"][value="patch"]`)),
		chromedp.Click(chromedp.ID("apply-filters")),
		chromedp.WaitVisible(chromedp.CSS(`#resource[value="networkpolicies"]`)))
	verbs, resources := texts(tb, "#events tbody td:nth-child(3)"), texts(tb, "#events tbody td:nth-child(4)")
	if len(verbs) == 0 {
		t.Fatal("no events after filtering")
	}
	for i := range verbs {
		if verbs[i] != "patch" || !strings.HasPrefix(resources[i], "networkpolicies") {
			t.Errorf("row %d: %s %s", i, verbs[i], resources[i])
		}
	}
	check := func(format string, list auditv1.EventList) {
		if list.Kind != "EventList" || list.APIVersion != "audit.k8s.io/v1" || len(list.Items) != len(verbs) {
			t.Fatalf("%s export: %s %s with %d items, want %d", format, list.Kind, list.APIVersion, len(list.Items), len(verbs))
		}
		for _, ev := range list.Items {
			if ev.Verb != "patch" || ev.ObjectRef == nil || ev.ObjectRef.Resource != "networkpolicies" {
				t.Errorf("%s export has %s of %+v", format, ev.Verb, ev.ObjectRef)
			}
		}
	}
	var list auditv1.EventList
	if err := json.Unmarshal(tb.download("#export-json"), &list); err != nil {
		t.Fatalf("JSON export: %v", err)
	}
	check("JSON", list)
	list = auditv1.EventList{}
	if err := yaml.Unmarshal(tb.download("#export-yaml"), &list); err != nil {
		t.Fatalf("YAML export: %v", err)
	}
	check("YAML", list)
}

func testChangelogDiff(t *testing.T, b context.Context, h *harness) {
	tb := h.session(t, b, "candice-token")
	tb.open("/policies")
	// The table filter (app.js) narrows the rows to the typed text.
	tb.do(chromedp.SendKeys(chromedp.ID("objects-table-filter"), "deny-egress"))
	visible := eval[[]string](tb, `Array.from(document.querySelectorAll('#objects-table tbody tr:not([hidden]) td.objname'), e => e.textContent.trim())`)
	if !slices.Equal(visible, []string{"default.deny-egress-internet"}) {
		t.Errorf("filtered rows %q", visible)
	}
	link := `#objects-table a[href="/policies/changelog/globalnetworkpolicies.projectcalico.org/-/default.deny-egress-internet"]`
	tb.do(chromedp.Click(chromedp.CSS(link)), chromedp.WaitVisible(chromedp.CSS("table.diff")))
	if title := texts(tb, "#object-title"); !slices.Equal(title, []string{"default.deny-egress-internet"}) {
		t.Errorf("changelog of %v", title)
	}
	added, removed := len(texts(tb, "table.diff td.d-add")), len(texts(tb, "table.diff td.d-del"))
	if added == 0 || removed == 0 {
		t.Errorf("diff has %d added and %d removed cells", added, removed)
	}
	if n := len(texts(tb, "ol.changes > li")); n < 2 {
		t.Errorf("%d versions", n)
	}
}

func testCSVDownload(t *testing.T, b context.Context, h *harness) {
	tb := h.session(t, b, "candice-token")
	tb.open("/reports")
	got := tb.download(`[data-report="weekly-full-inventory"] a[data-format="summary.csv"]`)
	rt, err := h.reg.GetReportType(t.Context(), "inventory")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	if _, _, err := reportDownload(&want, h.reports["weekly-full-inventory"], rt, "summary.csv"); err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("summary.csv:\n%s\nwant:\n%s", got, want.String())
	}
	if lines := strings.Split(strings.TrimSpace(string(got)), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "startTime") {
		t.Errorf("summary.csv is not a heading and one row:\n%s", got)
	}
}

// testHostileContent opens every page that shows the hostile events and
// checks that no payload ran and that each is shown as the text it is.
func testHostileContent(t *testing.T, h *harness, tb *tab) {
	evPage, err := h.st.Events(t.Context(), storeQueryName(xssName))
	if err != nil || len(evPage.Events) != 2 {
		t.Fatalf("hostile events: %v %v", evPage.Events, err)
	}
	objPath := "networkpolicies.networking.k8s.io/dev/" + url.PathEscape(xssName)
	pages := []struct {
		path  string
		check func()
	}{
		{"/timeline?since=all&namespace=dev", func() {
			if !slices.Contains(texts(tb, "#events td.objname"), xssName) || !slices.Contains(texts(tb, "#events td.user"), "mallory") {
				t.Errorf("timeline does not show the hostile name as text")
			}
		}},
		{"/timeline/events/" + evPage.Events[0].ID, func() {
			want := map[string]string{"#object-name": xssName, "#user-agent": xssAgent, "#event-user": "mallory"}
			for sel, v := range want {
				if got := texts(tb, sel); !slices.Equal(got, []string{v}) {
					t.Errorf("event %s = %q, want %q", sel, got, v)
				}
			}
			if ann := texts(tb, "#annotations td"); !slices.Contains(ann, xssAnnotation) {
				t.Errorf("annotations %q lack %q", ann, xssAnnotation)
			}
			if obj := texts(tb, "#response-object"); len(obj) != 1 || !strings.Contains(obj[0], `"app": "x<script>window.__xss=1</script>"`) {
				t.Errorf("response object %q", obj)
			}
		}},
		{"/policies?namespace=dev", func() {
			if !slices.Contains(texts(tb, "#objects-table td.objname a"), xssName) {
				t.Errorf("policies page does not show the hostile name as text")
			}
		}},
		{"/policies/changelog/" + objPath, func() {
			if got := texts(tb, "#object-title"); !slices.Equal(got, []string{"dev/" + xssName}) {
				t.Errorf("changelog title %q", got)
			}
			cells := strings.Join(texts(tb, "table.diff td"), "\n")
			for _, s := range []string{`<img src=x onerror="window.__xss=2">`, `<svg onload="window.__xss=4">`} {
				if !strings.Contains(cells, s) {
					t.Errorf("diff lacks %q:\n%s", s, cells)
				}
			}
		}},
		{"/policies/state/" + objPath, func() {
			if y := texts(tb, "#object-yaml"); len(y) != 1 || !strings.Contains(y[0], "window.__xss=4") {
				t.Errorf("state %q", y)
			}
		}},
	}
	for _, p := range pages {
		if st := tb.open(p.path); st != http.StatusOK {
			t.Fatalf("%s: status %d", p.path, st)
		}
		p.check()
		if !eval[bool](tb, `window.__xss === undefined`) {
			t.Errorf("%s: a payload ran (window.__xss = %v)", p.path, eval[any](tb, `window.__xss`))
		}
		if n := eval[int](tb, `document.querySelectorAll('img, svg[onload], script:not([src="/static/app.js"])').length`); n != 0 {
			t.Errorf("%s: %d injected elements", p.path, n)
		}
	}
	// The page's own script ran despite the strict policy: tables are
	// sortable.
	tb.open("/policies?namespace=dev")
	if n := eval[int](tb, `document.querySelectorAll('button.sort').length`); n == 0 {
		t.Error("app.js did not run")
	}
}
