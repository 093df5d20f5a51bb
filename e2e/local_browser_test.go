//go:build browser

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hush-scores/hush/localcloud/drill"
)

// This file builds only with -tags browser (`make browser-test`): it needs
// Chromium, which `make test` does not.

// chromium finds Debian's Chromium, or the browser HUSH_CHROMIUM names.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HUSH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is missing: install Debian's package (apt-get install -y chromium), or name a Chromium binary in HUSH_CHROMIUM")
	return ""
}

// browser starts a headless Chromium with the flags these machines need:
// no sandbox (root), and nothing that reaches for the network on its own.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	return ctx
}

// TestStatusPageInBrowser opens the status page in Chromium: it loads,
// shows every region, and changes by itself, without a reload, when a
// region is cut off and when it is reconnected. HUSH_SCREENSHOT names a PNG
// file to keep a screenshot of the page during the cut-off in.
func TestStatusPageInBrowser(t *testing.T) {
	stack := requireLocal(t, "the status page is served by the local stack")
	info := stack.Info()
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	if err := chromedp.Do(ctx,
		chromedp.Navigate(info.StatusURL),
		chromedp.WaitVisible(chromedp.CSS(`article[data-region]`)),
	); err != nil {
		t.Fatalf("open the status page at %s in Chromium: %v", info.StatusURL, err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	regions, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("article[data-region]")].map(e => e.dataset.region)`))
	if err != nil {
		t.Fatal(err)
	}
	// Marks this document: a reload would lose it.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.hushMarker = 1`)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(title, "Hush "+info.Stack) {
		t.Errorf("title %q, want it to name the stack", title)
	}
	var want []string
	for _, r := range info.Regions {
		want = append(want, r.Name)
	}
	if !slices.Equal(regions, want) {
		t.Errorf("the page shows the regions %v, want %v", regions, want)
	}

	cut := want[len(want)-1]
	c := &drill.Client{BaseURL: info.StatusURL}
	if err := c.Break(ctx, drill.CutOff, cut); err != nil {
		t.Fatal(err)
	}
	restored := false
	defer func() {
		if !restored {
			_ = c.Restore(context.WithoutCancel(ctx), drill.CutOff, cut)
		}
	}()
	// Every replication link into and out of the cut region says so.
	stalled := fmt.Sprintf(`[...document.querySelectorAll('tr[data-link*=%q] .badge')].filter(b => b.textContent.includes("cut off")).length`, cut)
	waitFor(ctx, t, "the page to show "+cut+" cut off", stalled, func(n int) bool { return n == 2*(len(want)-1) })
	if path := os.Getenv("HUSH_SCREENSHOT"); path != "" {
		// For the picture, give the cut region's health a few seconds to
		// report its lost path to the write region (a cached probe); the
		// test does not depend on it.
		lost := fmt.Sprintf(`document.querySelectorAll('article[data-region=%q] [data-write-path="unavailable"]').length`, cut)
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](lost)); err == nil && n > 0 {
				break
			}
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the page with %s cut off in %s", cut, path)
	}

	if err := c.Restore(ctx, drill.CutOff, cut); err != nil {
		t.Fatal(err)
	}
	restored = true
	waitFor(ctx, t, "the page to show "+cut+" reconnected", stalled, func(n int) bool { return n == 0 })
	marker, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.hushMarker || 0`))
	if err != nil {
		t.Fatal(err)
	}
	if marker != 1 {
		t.Error("the page was reloaded; it should refresh its content in place")
	}
}

// waitFor evaluates expr in the page until ok holds of its result; the
// page refreshes every second, so 20 s only guards against a hang.
func waitFor(ctx context.Context, t *testing.T, what, expr string, ok func(int) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok(n) {
			return
		}
		if time.Now().After(deadline) {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("waited 20s for %s (got %d); the page reads:\n%s", what, n, text)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
