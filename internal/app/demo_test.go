package app

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func strconvQuote(s string) string { return strconv.Quote(s) }

// chromiumPath finds the browser; without it the browser test is skipped,
// loudly, unless EVIDENT_REQUIRE_SERVICES=1 demands it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	msg := "BROWSER TEST NOT RUN: Chromium is not installed (apt-get install chromium); the demo's dashboard was not checked"
	if os.Getenv("EVIDENT_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestDemoServesAWorkingDashboard builds the demo as `evident demo` does,
// serves it, and signs in to the dashboard with a real Chromium: the
// reports, timeline and a policy changelog show the demo's data. With
// EVIDENT_SCREENSHOTS=1 it writes the README's pictures.
func TestDemoServesAWorkingDashboard(t *testing.T) {
	browser := chromiumPath(t)
	if testing.Short() {
		t.Skip("slow: builds the demo")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	// A short history that spans a month's start keeps every kind of report
	// (hourly to monthly) and the demo's story, and builds in seconds even
	// under the race detector; the README's pictures show the full demo.
	opts := DemoOptions{Dir: dir, Listen: "127.0.0.1:0", Out: io.Discard, Logger: testLogger(t),
		Days: 3, Now: time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)}
	if os.Getenv("EVIDENT_SCREENSHOTS") == "1" {
		opts.Days, opts.Now = 0, time.Time{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	t0 := time.Now()
	go func() {
		opts.Ready = func(addr string) { ready <- addr }
		done <- Demo(ctx, opts)
	}()
	var url string
	select {
	case addr := <-ready:
		url = "http://" + addr
	case err := <-done:
		t.Fatalf("demo: %v", err)
	case <-time.After(5 * time.Minute):
		t.Fatal("demo did not come up")
	}
	t.Logf("demo built and serving in %v", time.Since(t0).Round(100*time.Millisecond))
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	}()

	alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(browser),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 900))
	defer stopAlloc()
	bctx, stopBrowser := chromedp.NewContext(alloc)
	defer stopBrowser()
	if err := chromedp.Do(bctx); err != nil { // start the browser with this context's lifetime
		t.Fatalf("start Chromium: %v", err)
	}
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(bctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		c, cancel := context.WithTimeout(bctx, 60*time.Second)
		defer cancel()
		s, err := chromedp.Run(c, chromedp.Evaluate[string]("document.querySelector("+strconvQuote(sel)+").innerText"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	run(chromedp.Navigate(url+"/reports"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), "demo-admin"),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.CSS(".account-name")))
	if reports := text("main"); !strings.Contains(reports, "hourly-accounts-networkaccess") {
		t.Errorf("reports page lacks the newest reports:\n%.500s", reports)
	}
	for typ, name := range map[string]string{"policy-audit": "monthly-widgets-controller-tigera-policy-audit",
		"inventory": "daily-production-inventory", "dev-inventory": "dev-inventory"} {
		run(chromedp.Navigate(url+"/reports?type="+typ), chromedp.WaitVisible(chromedp.CSS("main")))
		if got := text("main"); !strings.Contains(got, name) {
			t.Errorf("reports of type %s lack %s:\n%.500s", typ, name, got)
		}
	}
	shot := func(name string, full bool) {
		if os.Getenv("EVIDENT_SCREENSHOTS") != "1" {
			return
		}
		c, cancel := context.WithTimeout(bctx, 60*time.Second)
		defer cancel()
		capture := chromedp.CaptureScreenshot()
		if full {
			capture = chromedp.FullScreenshot(100) // quality 100 gives PNG
		}
		png, err := chromedp.Run(c, capture)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "images", name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(chromedp.Navigate(url+"/reports?name=weekly-full-inventory,daily-production-inventory,daily-accounts-networkaccess,"+
		"monthly-widgets-controller-tigera-policy-audit,dev-inventory"), chromedp.WaitVisible(chromedp.CSS("main")))
	shot("reports.png", false)
	run(chromedp.Navigate(url+"/timeline?since=all&user=mallory"), chromedp.WaitVisible(chromedp.CSS("main")))
	if tl := text("main"); !strings.Contains(tl, "mallory") || !strings.Contains(tl, "403") {
		t.Errorf("timeline lacks mallory's denied requests:\n%.800s", tl)
	}
	run(chromedp.Navigate(url+"/policies/changelog/networkpolicies.networking.k8s.io/storefront/allow-cart-from-web"),
		chromedp.WaitVisible(chromedp.CSS("main")))
	if cl := text("main"); !strings.Contains(cl, "carol") || !strings.Contains(cl, "alice") {
		t.Errorf("changelog of storefront/allow-cart-from-web lacks its editors:\n%.800s", cl)
	}
	shot("changelog.png", true)
}

// TestDemoInRelativeDirectory runs the demo as the quick start does, with
// a relative data directory (the default ./evident-demo): it serves with
// the demo's tokens, and a second start reuses the data.
func TestDemoInRelativeDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds the demo")
	}
	t.Chdir(t.TempDir())
	start := func() (url string, out *strings.Builder, stop func()) {
		t.Helper()
		out = &strings.Builder{}
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			done <- Demo(ctx, DemoOptions{Dir: "evident-demo", Listen: "127.0.0.1:0", Out: out, Logger: testLogger(t),
				Days: 1, Now: time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC), Ready: func(addr string) { ready <- addr }})
		}()
		select {
		case addr := <-ready:
			return "http://" + addr, out, func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("demo: %v", err)
				}
			}
		case err := <-done:
			cancel()
			t.Fatalf("demo: %v\n%s", err, out)
		case <-time.After(5 * time.Minute):
			cancel()
			t.Fatal("demo did not come up")
		}
		return "", nil, nil
	}
	get := func(url, token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/reports", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	url, out, stop := start()
	if code := get(url, "demo-admin"); code != http.StatusOK {
		t.Errorf("reports as demo-admin: %d", code)
	}
	if code := get(url, "not-a-demo-token"); code != http.StatusUnauthorized {
		t.Errorf("reports with an unknown token: %d, want 401", code)
	}
	stop()
	if !strings.Contains(out.String(), "Building the demo") {
		t.Errorf("first start did not build the demo:\n%s", out)
	}
	url, out, stop = start()
	defer stop()
	if !strings.Contains(out.String(), "Using the demo in") {
		t.Errorf("second start did not reuse the demo:\n%s", out)
	}
	if code := get(url, "demo-paul"); code != http.StatusOK {
		t.Errorf("reports as demo-paul: %d", code)
	}
}
