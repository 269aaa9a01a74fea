package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"backpack/internal/browsertest"
)

// phone and desktop set the viewport's width.
func (a *browserApp) phone() {
	a.t.Helper()
	if err := browsertest.PhoneViewport(a.ctx); err != nil {
		a.t.Fatal(err)
	}
}

func (a *browserApp) desktop() {
	a.t.Helper()
	if err := browsertest.DesktopViewport(a.ctx); err != nil {
		a.t.Fatal(err)
	}
}

// browserLabelLinesJS counts the lines of each label that matches the
// selector %s: a label the layout squeezes breaks into several (letter by
// letter, at worst).
const browserLabelLinesJS = `[...document.querySelectorAll(%q)].map((el) => {
	const r = document.createRange();
	r.selectNodeContents(el);
	const tops = new Set([...r.getClientRects()].filter((b) => b.width > 0).map((b) => Math.round(b.top)));
	return {text: el.textContent.trim(), lines: tops.size, width: Math.round(el.getBoundingClientRect().width)};
})`

type browserLabelLines struct {
	Text  string `json:"text"`
	Lines int    `json:"lines"`
	Width int    `json:"width"`
}

// requireOneLine fails the test when a label that matches sel takes more
// than one line at the current width.
func (a *browserApp) requireOneLine(what, sel string) {
	a.t.Helper()
	labels := browserEval[[]browserLabelLines](a.t, a.ctx, fmt.Sprintf(browserLabelLinesJS, sel))
	if len(labels) == 0 {
		a.t.Fatalf("%s: nothing matches %s", what, sel)
	}
	for _, l := range labels {
		if l.Lines != 1 {
			a.t.Errorf("%s: %q takes %d lines in %d px", what, l.Text, l.Lines, l.Width)
		}
	}
}

// requireWholeWords fails the test when a label that matches sel breaks
// other than at its spaces and hyphens: into more lines than it has parts.
func (a *browserApp) requireWholeWords(what, sel string) {
	a.t.Helper()
	labels := browserEval[[]browserLabelLines](a.t, a.ctx, fmt.Sprintf(browserLabelLinesJS, sel))
	if len(labels) == 0 {
		a.t.Fatalf("%s: nothing matches %s", what, sel)
	}
	for _, l := range labels {
		if parts := len(strings.FieldsFunc(l.Text, func(r rune) bool { return r == ' ' || r == '-' })); l.Lines > parts {
			a.t.Errorf("%s: %q takes %d lines in %d px: broken inside a word", what, l.Text, l.Lines, l.Width)
		}
	}
}

// TestBrowserPublicCollection shares a collection of more badges than a
// page holds and looks at its public pages in the browser: every page
// passes the accessibility scan at both widths, the pager leads from page
// to page, and after a viewer's Verify now the card shows its checks with
// the button's label whole on a phone. With BACKPACK_SCREENSHOTS=DIR it
// saves the pages there.
func TestBrowserPublicCollection(t *testing.T) {
	t.Parallel()
	is := newBrowserIssuer(t)
	a := newBrowserAppArgs(t, "--allow-host", is.hostPort())
	const email = "ida@example.com"
	a.newConfirmedUser(email)
	is.putJSON("/badge-long", map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": is.url("/badge-long"),
		"name": "Advanced Autonomous Robot Wrangling and Maintenance", "description": "Wrangles many robots.", "image": is.url("/badge.png"),
		"criteria": map[string]any{"narrative": "Wrangle **thirty** robots."}, "issuer": is.url("/issuer")})
	const n = 26 // more than a page (web.collectionPageSize)
	var urls []string
	for i := range n {
		path := fmt.Sprintf("/a/%d", i)
		is.assertion(path, email)
		if i%3 == 0 {
			is.putJSON(path, map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": is.url(path),
				"recipient": map[string]any{"type": "email", "hashed": false, "identity": email},
				"badge":     is.url("/badge-long"), "issuedOn": issuedOn(), "verification": map[string]any{"type": "hosted"}})
		}
		urls = append(urls, is.url(path))
	}
	for len(urls) > 0 { // the form takes 20 URLs at once
		part := urls[:min(len(urls), 20)]
		urls = urls[len(part):]
		a.open("/badges/new")
		a.fill("#f-urls", strings.Join(part, "\n"))
		if status := a.submit("[data-testid=add-submit]"); status != 200 {
			t.Fatalf("post URLs: status %d", status)
		}
	}
	a.open("/collections")
	a.fill("#f-name", "Everything I wrangled", "#f-description", "All of it, *in order*.")
	if status := a.submit("[data-testid=create-collection]"); status != 200 {
		t.Fatalf("create collection: status %d", status)
	}
	for range n {
		if status := a.submit("[data-testid=add-to-collection]"); status != 200 {
			t.Fatalf("add to collection: status %d", status)
		}
	}
	if status := a.submit("[data-testid=collection-share-on]"); status != 200 {
		t.Fatalf("share collection: status %d", status)
	}
	public := browserEval[string](t, a.ctx, `new URL(document.querySelector("[data-testid=collection-link]").href).pathname`)
	dir := os.Getenv("BACKPACK_SCREENSHOTS")
	shoot := func(name string) {
		t.Helper()
		if dir != "" {
			a.shoot(dir, name)
		}
	}

	if status := a.open(public); status != 200 {
		t.Fatalf("%s: status %d", public, status)
	}
	first := a.count("[data-testid=public-card]")
	if first == 0 || first >= n || !a.exists(`[data-testid=collection-pages] a[rel=next]`) || a.exists(`[data-testid=collection-pages] a[rel=prev]`) {
		t.Fatalf("first page: %d cards of %d, or a wrong pager", first, n)
	}
	a.checkPage("public collection, first page")
	shoot("public-collection")

	// Verify now on the last card of the first page: back on the same
	// page, the card shows its checks, and no label breaks on a phone.
	card := browserEval[string](t, a.ctx, `[...document.querySelectorAll("[data-testid=public-card]")].at(-1).id`)
	if status := a.submit("#" + card + " [data-testid=viewer-verify]"); status != 200 {
		t.Fatalf("Verify now: status %d", status)
	}
	if !a.exists("#"+card+" [data-testid=checked-notice]") || a.count("[data-testid=public-card]") != first {
		t.Fatalf("after Verify now on %s: no notice on its card, or another page (%s)", card, a.location())
	}
	a.checkPage("public collection after Verify now")
	for _, width := range []string{"desktop", "phone"} {
		if width == "phone" {
			a.phone()
		}
		a.requireOneLine("Verify now ("+width+")", "[data-testid=viewer-verify]")
		a.requireOneLine("pager ("+width+")", "[data-testid=collection-pages] a")
		a.requireWholeWords("check names ("+width+")", "#"+card+" [data-testid=public-checks] strong")
	}
	a.desktop()
	shoot("public-collection-checked")

	// The next page: the rest, with a way back.
	if status := a.submit(`[data-testid=collection-pages] a[rel=next]`); status != 200 {
		t.Fatalf("next page: status %d", status)
	}
	if got := a.count("[data-testid=public-card]"); got != n-first || !a.exists(`[data-testid=collection-pages] a[rel=prev]`) ||
		a.exists(`[data-testid=collection-pages] a[rel=next]`) {
		t.Fatalf("second page: %d cards, want %d, or a wrong pager", got, n-first)
	}
	a.checkPage("public collection, second page")
	shoot("public-collection-page-2")
	if status := a.submit(`[data-testid=collection-pages] a[rel=prev]`); status != 200 || a.count("[data-testid=public-card]") != first {
		t.Fatalf("back to the first page: status %d", status)
	}

	// One badge shared with its verifiable original: the owner's share
	// options, and the public page with its download.
	a.open("/badges")
	badge := browserEval[string](t, a.ctx, `document.querySelector("[data-testid=badge-card] a.card-link").getAttribute("href")`)
	a.open(badge)
	if status := a.submit("[data-testid=share-on]"); status != 200 {
		t.Fatalf("share: status %d", status)
	}
	if err := browsertest.Click(a.ctx, "[data-testid=share-original]"); err != nil {
		t.Fatal(err)
	}
	if status := a.submit("[data-testid=share-options]"); status != 200 || !a.exists("[data-testid=share-original]:checked") {
		t.Fatalf("share the original: status %d", status)
	}
	a.checkPage("badge detail, sharing the original")
	shoot("badge-share-original")
	pub := browserEval[string](t, a.ctx, `new URL(document.querySelector("[data-testid=share-link]").href).pathname`)
	if status := a.open(pub); status != 200 || !a.exists("[data-testid=public-download]") {
		t.Fatalf("%s: status %d, or no download", pub, status)
	}
	a.checkPage("public badge page with its original")
	for _, width := range []string{"desktop", "phone"} {
		if width == "phone" {
			a.phone()
		}
		a.requireOneLine("Verify now on the badge's page ("+width+")", "[data-testid=viewer-verify]")
	}
	a.desktop()
	shoot("public-badge")
	a.requireNoConsoleErrors()
}
