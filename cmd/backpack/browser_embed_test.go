package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"backpack/internal/browsertest"
)

// TestBrowserEmbedSnippets pastes the owner's two web-page snippets into a
// portfolio page on another origin: the plain <iframe> and the one-line
// <script>. Both widgets load; the script's frame takes the height the
// widget reports, follows it when the widget reflows, and ignores height
// messages from anyone else. Then a viewer uses Verify now on the public
// page.
func TestBrowserEmbedSnippets(t *testing.T) {
	t.Parallel()
	is := newBrowserIssuer(t)
	a := newBrowserAppArgs(t, "--allow-host", is.hostPort())
	const email = "jo@example.com"
	a.newConfirmedUser(email)
	// With BACKPACK_SCREENSHOTS=DIR the pages are saved there too.
	shots := os.Getenv("BACKPACK_SCREENSHOTS")
	shoot := func(name string) {
		if shots != "" {
			a.shoot(shots, name)
		}
	}

	var urls []string
	for i := range 5 {
		path := fmt.Sprintf("/a/%d", i)
		is.assertion(path, email)
		urls = append(urls, is.url(path))
	}
	a.open("/badges/new")
	a.fill("#f-urls", strings.Join(urls, "\n"))
	if status := a.submit("[data-testid=add-submit]"); status != 200 {
		t.Fatalf("add badges: status %d", status)
	}
	a.open("/collections")
	a.fill("#f-name", "Portfolio picks")
	if status := a.submit("[data-testid=create-collection]"); status != 200 {
		t.Fatalf("create collection: status %d", status)
	}
	for range urls {
		if status := a.submit("[data-testid=add-to-collection]"); status != 200 {
			t.Fatalf("add to collection: status %d", status)
		}
	}
	if status := a.submit("[data-testid=collection-share-on]"); status != 200 {
		t.Fatalf("share collection: status %d", status)
	}
	a.checkPage("collection, shared, with its share options")
	browserEval[any](t, a.ctx, `document.querySelectorAll("[data-testid=share-out] details").forEach((d) => d.open = true), null`)
	shoot("collection-shared")
	iframeSnippet := browserEval[string](t, a.ctx, `document.querySelector("[data-testid=snippet-iframe]").value`)
	scriptSnippet := browserEval[string](t, a.ctx, `document.querySelector("[data-testid=snippet-script]").value`)
	publicCol := browserEval[string](t, a.ctx, `new URL(document.querySelector("[data-testid=collection-link]").href).pathname`)
	if !strings.HasPrefix(iframeSnippet, "<iframe ") || !strings.HasPrefix(scriptSnippet, "<script ") {
		t.Fatalf("snippets: %q / %q", iframeSnippet, scriptSnippet)
	}

	// The portfolio: the script snippet in a 300-pixel column (tall: one
	// card a row), the iframe snippet below. Its own script records the
	// heights the script's widget reports, as a test probe (the plain
	// iframe's widget reports too, and is ignored).
	portfolio := `<!doctype html><html lang="en"><title>Portfolio</title><link rel="icon" href="data:,">
<script>window.reported = []; addEventListener("message", (e) => { const f = document.querySelector("#col iframe");
if (f && e.source === f.contentWindow && e.data && e.data.backpackEmbedHeight) reported.push(e.data.backpackEmbedHeight); });</script>
<main><h1>My portfolio</h1><div id="col" style="width:300px">` + scriptSnippet + `</div>
<div id="plain">` + iframeSnippet + `</div></main></html>`
	is.put("/portfolio.html", "text/html; charset=utf-8", []byte(portfolio))
	if err := browsertest.Navigate(a.ctx, is.url("/portfolio.html")); err != nil {
		t.Fatal(err)
	}
	a.waitJS("the script inserts the widget's frame", `document.querySelector("#col iframe[data-backpack-frame]")`, 10*time.Second)
	frameHeight := `Math.round(document.querySelector("#col iframe").getBoundingClientRect().height)`
	lastReported := `(window.reported.length ? window.reported[window.reported.length - 1] : 0)`
	if !a.pollJS(lastReported+` > 0 && `+frameHeight+` === `+lastReported, 15*time.Second) {
		t.Fatalf("the frame does not take the reported height: frame %s px, reported %s",
			browserEval[string](t, a.ctx, `String(document.querySelector("#col iframe").getBoundingClientRect().height)`),
			browserEval[string](t, a.ctx, `JSON.stringify(window.reported)`))
	}
	narrow := browserEval[int](t, a.ctx, frameHeight)
	if narrow <= 400 {
		t.Fatalf("five badges one a row fit in %d px: the frame kept its default height", narrow)
	}
	// Wider column, fewer rows: the widget reports a new height and the
	// frame follows it.
	browserEval[any](t, a.ctx, `document.getElementById("col").style.width = "900px", null`)
	a.waitJS("the frame follows the reflow", frameHeight+` < `+fmt.Sprint(narrow)+` && `+frameHeight+` === `+lastReported, 15*time.Second)
	// Someone else's message does not resize the frame.
	before := browserEval[int](t, a.ctx, frameHeight)
	// A listener added after the loader's sees the message after it: once it
	// has, the loader has had its say on that message.
	browserEval[any](t, a.ctx, `addEventListener("message", (e) => { if (e.data && e.data.backpackEmbedHeight === 3000) window.spoofSeen = true; }), null`)
	browserEval[any](t, a.ctx, `window.postMessage({backpackEmbedHeight: 3000}, "*"), null`)
	a.waitJS("the spoofed message is delivered", `window.spoofSeen === true`, 10*time.Second)
	if after := browserEval[int](t, a.ctx, frameHeight); after != before {
		t.Fatalf("a message from the portfolio itself resized the frame: %d -> %d", before, after)
	}
	// Both frames show the widget (the frame tree lists them loaded).
	embed := strings.Replace(publicCol, "/c/", "/embed/c/", 1)
	a.requireLoadedFrames(2, embed)
	shoot("portfolio")
	a.open(embed + "?theme=dark")
	a.checkPage("collection embed, dark theme")
	shoot("embed-dark")

	// A viewer asks to verify one badge on the public page and sees its checks.
	if status := a.open(publicCol); status != 200 {
		t.Fatalf("%s: status %d", publicCol, status)
	}
	a.checkPage("public collection page")
	if status := a.submit("[data-testid=public-card] [data-testid=viewer-verify]"); status != 200 {
		t.Fatalf("Verify now: status %d", status)
	}
	if !a.exists("[data-testid=public-card] [data-testid=checked-notice]") || a.count("[data-testid=public-card] [data-testid=public-checks] li") == 0 {
		t.Fatal("Verify now shows no checks")
	}
	a.checkPage("public collection page after Verify now")
	shoot("public-collection-verified")
	a.requireNoConsoleErrors()
}

// requireLoadedFrames checks, in the browser's frame tree, that at least n
// frames of the current page show the app's path (and none failed).
func (a *browserApp) requireLoadedFrames(n int, path string) {
	a.t.Helper()
	browserEval[any](a.t, a.ctx, `document.querySelectorAll("iframe").forEach((f) => f.scrollIntoView()), null`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		tree, err := chromedp.Call(a.ctx, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			a.t.Fatal(err)
		}
		loaded, seen := 0, []string{}
		for _, child := range tree.FrameTree.ChildFrames {
			f := child.Frame
			seen = append(seen, f.URL+" "+f.UnreachableURL)
			if f.UnreachableURL == "" && strings.HasPrefix(f.URL, a.url+path) {
				loaded++
			}
		}
		if loaded >= n {
			return
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%d of %d frames show %s: %q", loaded, n, path, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pollJS reports whether cond becomes true within timeout.
func (a *browserApp) pollJS(cond string, timeout time.Duration) bool {
	a.t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if browserEval[bool](a.t, a.ctx, "!!("+cond+")") {
			return true
		}
	}
	return false
}
