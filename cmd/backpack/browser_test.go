package main

// End-to-end tests in a real browser: the whole app runs in the test process
// (run with "serve"), and headless Chromium drives it through the harness in
// backpack/internal/browsertest.
//
// The tests skip when no Chromium is installed, unless
// BACKPACK_BROWSER_TESTS=1 makes them mandatory. With BACKPACK_SCREENSHOTS=DIR
// TestBrowserScreenshots saves screenshots of some pages to DIR.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"backpack/internal/browsertest"
	"backpack/openbadges/bake"
)

// browserPassword is the password of the test users: long enough and not on
// the list of common passwords.
const browserPassword = "correct horse battery staple"

// browserApp is one Backpack server and one browser tab, for one test.
type browserApp struct {
	t      *testing.T
	ctx    context.Context // the browser tab
	url    string          // base URL of the server, without a trailing slash
	stdout *browserLog
	stderr *browserLog // the server's log, where the mail goes

	// failedPages are the URLs of the pages that the test loaded with an
	// error status on purpose; the browser logs an error for each.
	failedPages map[string]bool
}

// browserLog is a bytes.Buffer that is safe for concurrent use.
type browserLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *browserLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *browserLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var browserRunningRE = regexp.MustCompile(`Backpack is running at (http://127\.0\.0\.1:\d+) `)

// newBrowserApp opens a browser tab (or skips the test, see browsertest.New)
// and starts the app on a free port with a fresh data folder and mail to the
// log. The server shuts down gracefully when the test ends, before the
// browser closes.
func newBrowserApp(t *testing.T) *browserApp {
	t.Helper()
	return newBrowserAppArgs(t)
}

// newBrowserAppArgs is newBrowserApp with more arguments for "serve", such
// as --allow-host.
func newBrowserAppArgs(t *testing.T, serveArgs ...string) *browserApp {
	t.Helper()
	ctx := browsertest.New(t)
	a := &browserApp{t: t, ctx: ctx, stdout: &browserLog{}, stderr: &browserLog{}, failedPages: map[string]bool{}}

	data := t.TempDir()
	srvCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	go func() {
		defer close(done)
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data}, serveArgs...)
		runErr = run(srvCtx, args, func(string) string { return "" }, a.stdout, a.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
			if runErr != nil {
				t.Errorf("server: run returned %v", runErr)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("server: no graceful shutdown within 20 s")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", a.stderr.String())
		}
	})

	deadline := time.Now().Add(15 * time.Second)
	for {
		if m := browserRunningRE.FindStringSubmatch(a.stdout.String()); m != nil {
			a.url = m[1]
			return a
		}
		select {
		case <-done:
			t.Fatalf("server stopped before it was ready: %v\nstdout: %s\nstderr: %s", runErr, a.stdout, a.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not say where it runs within 15 s\nstdout: %s\nstderr: %s", a.stdout, a.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// open loads the page at path (relative to the server) and returns the
// status of the page that it ends on, after redirects.
func (a *browserApp) open(path string) int {
	a.t.Helper()
	resp, err := chromedp.Run(a.ctx, chromedp.NavigateResponse(a.url+path))
	if err != nil {
		a.t.Fatalf("open %s: %v", path, err)
	}
	if resp == nil {
		a.t.Fatalf("open %s: no response", path)
	}
	if resp.Status >= 400 {
		a.failedPages[resp.URL] = true
	}
	return int(resp.Status)
}

// fill types into form fields, see browsertest.Fill.
func (a *browserApp) fill(selectorValuePairs ...string) {
	a.t.Helper()
	if err := browsertest.Fill(a.ctx, selectorValuePairs...); err != nil {
		a.t.Fatal(err)
	}
}

// submit clicks sel, waits for the next page and returns its status.
func (a *browserApp) submit(sel string) int {
	a.t.Helper()
	status, err := browsertest.ClickAndWait(a.ctx, sel)
	if err != nil {
		a.t.Fatal(err)
	}
	if status >= 400 {
		loc, err := browsertest.Location(a.ctx)
		if err != nil {
			a.t.Fatal(err)
		}
		a.failedPages[loc] = true
	}
	return status
}

// location returns the path, query and fragment of the current page.
func (a *browserApp) location() string {
	a.t.Helper()
	loc, err := browsertest.Location(a.ctx)
	if err != nil {
		a.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		a.t.Fatalf("location %q: %v", loc, err)
	}
	if got := u.Scheme + "://" + u.Host; got != a.url {
		a.t.Fatalf("location %s is not on the server %s", loc, a.url)
	}
	return u.RequestURI() + func() string {
		if u.Fragment != "" {
			return "#" + u.Fragment
		}
		return ""
	}()
}

// path returns the path of the current page.
func (a *browserApp) path() string {
	a.t.Helper()
	p, _, _ := strings.Cut(a.location(), "?")
	p, _, _ = strings.Cut(p, "#")
	return p
}

// text returns the visible text of the first element that matches sel.
func (a *browserApp) text(sel string) string {
	a.t.Helper()
	s, err := browsertest.Text(a.ctx, sel)
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

// exists reports whether an element matches sel now.
func (a *browserApp) exists(sel string) bool {
	a.t.Helper()
	ok, err := browsertest.Exists(a.ctx, sel)
	if err != nil {
		a.t.Fatal(err)
	}
	return ok
}

// browserEval evaluates a JavaScript expression in the page of the tab and
// decodes its result.
func browserEval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// mailLinks returns the links to the server whose path starts with prefix
// (e.g. "/confirm/") in the mail logged for the address to, oldest first.
// The log sender writes one line per mail with slog's TextHandler, which
// quotes the body and escapes its line breaks as \n; a link ends at white
// space, a quote or a backslash.
func (a *browserApp) mailLinks(to, prefix string) []string {
	linkRE := regexp.MustCompile(regexp.QuoteMeta(a.url+prefix) + `[^\s"\\]+`)
	var links []string
	for _, line := range strings.Split(a.stderr.String(), "\n") {
		if !strings.Contains(line, " to="+to+" ") && !strings.Contains(line, ` to="`+to+`" `) {
			continue
		}
		links = append(links, linkRE.FindAllString(line, -1)...)
	}
	return links
}

// waitMail waits until there are more than after links for mailLinks(to,
// prefix) and returns the newest.
func (a *browserApp) waitMail(to, prefix string, after int) string {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if links := a.mailLinks(to, prefix); len(links) > after {
			return links[len(links)-1]
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("no mail to %s with a link %s... within 10 s; server log:\n%s", to, prefix, a.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// signUp creates an account in the browser and returns with the "Check your
// inbox" page shown.
func (a *browserApp) signUp(email string) {
	a.t.Helper()
	a.open("/signup")
	a.fill("#f-email", email, "#f-password", browserPassword)
	if status := a.submit("[data-testid=signup-submit]"); status != 200 {
		a.t.Fatalf("sign up %s: status %d", email, status)
	}
	if got := a.text("[data-testid=message] h1"); got != "Check your inbox" {
		a.t.Fatalf("sign up %s: page says %q, want Check your inbox", email, got)
	}
}

// confirm opens the newest confirmation link mailed to email and returns the
// status of the page it ends on.
func (a *browserApp) confirm(email string) int {
	a.t.Helper()
	link := a.waitMail(email, "/confirm/", 0)
	return a.open(strings.TrimPrefix(link, a.url))
}

// signIn signs in on the sign-in page and returns the status of the page
// that follows.
func (a *browserApp) signIn(email string) int {
	a.t.Helper()
	a.open("/login")
	a.fill("#f-email", email, "#f-password", browserPassword)
	return a.submit("[data-testid=login-submit]")
}

// newConfirmedUser signs up email, confirms it and signs in.
func (a *browserApp) newConfirmedUser(email string) {
	a.t.Helper()
	a.signUp(email)
	a.confirm(email)
	if status := a.signIn(email); status != 200 || a.path() != "/badges" {
		a.t.Fatalf("sign in %s: status %d on %s, want 200 on /badges", email, status, a.location())
	}
}

// requireNoConsoleErrors fails the test when the pages logged errors or
// threw exceptions, other than the failed loads of the pages that the test
// requested with an error status on purpose (see failedPages) and of
// /favicon.ico, which the app does not serve and the browser asks for on its
// own.
func (a *browserApp) requireNoConsoleErrors() {
	a.t.Helper()
	var errs []string
	for _, m := range browsertest.ConsoleMessages(a.ctx) {
		if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException {
			continue
		}
		if m.Source == "network" && strings.HasPrefix(m.Text, "Failed to load resource") &&
			(a.failedPages[m.URL] || m.URL == a.url+"/favicon.ico") {
			continue
		}
		errs = append(errs, fmt.Sprintf("%s (%s)", m, m.URL))
	}
	if len(errs) > 0 {
		a.t.Errorf("browser console errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

func TestBrowserAccountFlow(t *testing.T) {
	t.Parallel()
	a := newBrowserApp(t)
	const email = "ann@example.com"

	a.signUp(email)
	if msg := a.text("[data-testid=message]"); !strings.Contains(msg, email) {
		t.Errorf("check-inbox page does not name the address: %q", msg)
	}
	a.waitMail(email, "/confirm/", 0)

	// Signing in before confirming is refused with a request to confirm.
	if status := a.signIn(email); status != 403 {
		t.Errorf("sign in before confirming: status %d, want 403", status)
	}
	if p := a.path(); p != "/login" {
		t.Fatalf("sign in before confirming: on %s, want to stay on /login", p)
	}
	if !a.exists(`[data-testid=form-errors][role=alert]`) {
		t.Fatal("sign in before confirming: no alert")
	}
	if msg := a.text("[data-testid=form-errors]"); !strings.Contains(strings.ToLower(msg), "confirm") {
		t.Errorf("sign in before confirming: alert %q does not ask to confirm", msg)
	}
	if a.exists("[data-testid=logout]") {
		t.Error("sign in before confirming: the header offers to sign out")
	}

	// Open the (newest) confirmation link from the mail.
	if status := a.confirm(email); status != 200 {
		t.Errorf("confirmation link: status %d", status)
	}
	if p := a.path(); p != "/login" {
		t.Fatalf("confirmation link: on %s, want /login", p)
	}
	if flash := a.text("[data-testid=flash]"); !strings.Contains(flash, email+" is confirmed") {
		t.Errorf("confirmation link: flash %q", flash)
	}

	// Sign in: the backpack is empty.
	if status := a.signIn(email); status != 200 {
		t.Errorf("sign in: status %d", status)
	}
	if p := a.path(); p != "/badges" {
		t.Fatalf("sign in: on %s, want /badges", p)
	}
	if err := browsertest.WaitVisible(a.ctx, "[data-testid=empty-backpack]"); err != nil {
		t.Fatal(err)
	}
	if got := a.text("[data-testid=empty-backpack] h2"); got != "Your backpack is empty" {
		t.Errorf("empty backpack heading %q", got)
	}

	// Sign out with the button in the header.
	if status := a.submit("header [data-testid=logout]"); status != 200 {
		t.Errorf("sign out: status %d", status)
	}
	if p := a.path(); p != "/login" {
		t.Fatalf("sign out: on %s, want /login", p)
	}
	if flash := a.text("[data-testid=flash]"); !strings.Contains(flash, "signed out") {
		t.Errorf("sign out: flash %q", flash)
	}
	if a.exists("[data-testid=logout]") {
		t.Error("signed out, but the header still offers to sign out")
	}

	// The backpack is private again.
	a.open("/badges")
	if p := a.path(); p != "/login" {
		t.Fatalf("/badges after signing out: on %s, want /login", p)
	}
	if next := a.location(); next != "/login?next=%2Fbadges" {
		t.Errorf("/badges after signing out: location %s, want /login?next=%%2Fbadges", next)
	}
	if a.exists("[data-testid=empty-backpack]") {
		t.Error("/badges after signing out shows the backpack")
	}
	a.requireNoConsoleErrors()
}

// checkPage scans the current page with axe at desktop and at phone width,
// and at phone width also checks that it does not scroll sideways. It leaves
// the desktop viewport set.
func (a *browserApp) checkPage(name string) {
	a.t.Helper()
	t := a.t
	if err := browsertest.DesktopViewport(a.ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("scan %s (%s), desktop", name, a.location())
	browsertest.RequireNoSeriousViolations(t, a.ctx, "")
	a.requireLabelledControls(name)

	if err := browsertest.PhoneViewport(a.ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("scan %s, phone", name)
	browsertest.RequireNoSeriousViolations(t, a.ctx, "")
	a.requireNoSidewaysScroll(name)

	if err := browsertest.DesktopViewport(a.ctx); err != nil {
		t.Fatal(err)
	}
}

// browserLabelsJS finds what axe-core 4.14 does not report: duplicate ids
// (its duplicate-id rules are deprecated), form fields that no label points
// to (with a duplicate id, a label names the first element with the id,
// and axe still counts it for the second), and aria-describedby or
// aria-labelledby that name a missing id.
const browserLabelsJS = `(() => {
	const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? "[name=" + el.name + "]" : "") +
		(el.form && el.form.getAttribute("action") ? " in form " + el.form.getAttribute("action") : "");
	const seen = new Set(), dups = new Set();
	for (const el of document.querySelectorAll("[id]")) {
		if (seen.has(el.id)) dups.add(el.id);
		seen.add(el.id);
	}
	const unlabelled = [];
	for (const el of document.querySelectorAll("input, select, textarea")) {
		if (el.type === "hidden" || el.hidden) continue;
		if (el.labels.length === 0 && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby")) unlabelled.push(describe(el));
	}
	const broken = [];
	for (const attr of ["aria-describedby", "aria-labelledby"]) {
		for (const el of document.querySelectorAll("[" + attr + "]")) {
			for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean)) {
				if (!document.getElementById(id)) broken.push(describe(el) + " " + attr + " " + id);
			}
		}
	}
	return {dups: [...dups], unlabelled, broken};
})()`

type browserLabels struct {
	Dups       []string `json:"dups"`
	Unlabelled []string `json:"unlabelled"`
	Broken     []string `json:"broken"`
}

// requireLabelledControls fails the test when the page has duplicate ids,
// form fields without a label, or ARIA references to missing ids.
func (a *browserApp) requireLabelledControls(name string) {
	a.t.Helper()
	l := browserEval[browserLabels](a.t, a.ctx, browserLabelsJS)
	if len(l.Dups) > 0 {
		a.t.Errorf("%s: duplicate ids: %s", name, strings.Join(l.Dups, ", "))
	}
	if len(l.Unlabelled) > 0 {
		a.t.Errorf("%s: form fields without a label: %s", name, strings.Join(l.Unlabelled, ", "))
	}
	if len(l.Broken) > 0 {
		a.t.Errorf("%s: ARIA references to missing ids: %s", name, strings.Join(l.Broken, "; "))
	}
}

// browserOverflowJS measures the page and lists the elements that reach beyond the
// right edge of the viewport.
const browserOverflowJS = `(() => {
	const vw = window.innerWidth;
	const wide = [];
	for (const el of document.body.querySelectorAll("*")) {
		const r = el.getBoundingClientRect();
		if (r.width > 0 && r.right > vw + 0.5) {
			const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "";
			wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls + " (right " + Math.round(r.right) + ")");
		}
	}
	return {scrollWidth: document.documentElement.scrollWidth, innerWidth: vw, wide: wide.slice(0, 10)};
})()`

type browserOverflow struct {
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Wide        []string `json:"wide"`
}

// requireNoSidewaysScroll fails the test when the page is wider than the
// viewport.
func (a *browserApp) requireNoSidewaysScroll(name string) {
	a.t.Helper()
	o := browserEval[browserOverflow](a.t, a.ctx, browserOverflowJS)
	if o.InnerWidth != browsertest.PhoneWidth {
		a.t.Fatalf("%s: viewport is %d px wide, want %d", name, o.InnerWidth, browsertest.PhoneWidth)
	}
	if o.ScrollWidth > o.InnerWidth {
		a.t.Errorf("%s scrolls sideways at %d px: document is %d px wide; too wide: %s",
			name, o.InnerWidth, o.ScrollWidth, strings.Join(o.Wide, ", "))
	}
}

func TestBrowserAccessibility(t *testing.T) {
	t.Parallel()
	a := newBrowserApp(t)
	const email = "ben@example.com"

	// Signed out.
	for _, p := range []struct{ name, path string }{
		{"home", "/"},
		{"sign-up form", "/signup"},
		{"sign-in form", "/login"},
		{"forgotten-password form", "/password/forgot"},
	} {
		if status := a.open(p.path); status != 200 {
			t.Errorf("%s: status %d", p.path, status)
		}
		a.checkPage(p.name)
	}
	if status := a.open("/nope"); status != 404 || !a.exists("[data-testid=error]") {
		t.Errorf("/nope: status %d, want the 404 error page", status)
	}
	a.checkPage("404 page, signed out")

	// A form with errors: each field marked invalid, with its message.
	a.open("/signup")
	a.fill("#f-email", "not an address", "#f-password", "short")
	if status := a.submit("[data-testid=signup-submit]"); status != 422 {
		t.Errorf("sign up with errors: status %d, want 422", status)
	}
	if !a.exists(`#f-email[aria-invalid=true]`) || !a.exists(`#f-password[aria-invalid=true]`) {
		t.Error("sign up with errors: fields not marked invalid")
	}
	a.checkPage("sign-up form with errors")

	a.signUp(email)
	a.checkPage("check-inbox page")

	// Sign-in form with the alert to confirm first.
	if status := a.signIn(email); status != 403 {
		t.Errorf("sign in before confirming: status %d, want 403", status)
	}
	a.checkPage("sign-in form with an alert")

	a.confirm(email)
	if !a.exists("[data-testid=flash]") {
		t.Error("no flash after confirming")
	}
	a.checkPage("sign-in form with flash messages")

	// Forgotten password: the message page and the reset form from the mail.
	a.open("/password/forgot")
	a.fill("#f-email", email)
	if status := a.submit(`form[action="/password/forgot"] button[type=submit]`); status != 200 {
		t.Errorf("forgot password: status %d", status)
	}
	a.checkPage("reset-sent page")
	reset := a.waitMail(email, "/password/reset/", 0)
	if status := a.open(strings.TrimPrefix(reset, a.url)); status != 200 {
		t.Fatalf("reset link: status %d", status)
	}
	if !a.exists("#f-password") {
		t.Fatal("reset link: no password field")
	}
	a.checkPage("reset form")

	// Signed in.
	if status := a.signIn(email); status != 200 || a.path() != "/badges" {
		t.Fatalf("sign in: status %d on %s", status, a.location())
	}
	a.checkPage("badges")
	if status := a.open("/settings"); status != 200 {
		t.Errorf("/settings: status %d", status)
	}
	a.checkPage("settings")

	// Add an identity that is not an email address.
	a.fill("#f-kind", "email", "#f-value", "not an address")
	if status := a.submit("[data-testid=add-identity]"); status != 422 {
		t.Errorf("add invalid identity: status %d, want 422", status)
	}
	if !a.exists(`#f-value[aria-invalid=true][aria-describedby~=f-value-error]`) || !a.exists("#f-value-error") {
		t.Error("add invalid identity: the field is not marked invalid")
	}
	a.checkPage("settings with a form error")

	// The password and delete forms with errors: the two password fields
	// named "password" must keep their own labels and messages.
	a.fill(`form[action="/settings/password"] input[name=current]`, "wrong password",
		`form[action="/settings/password"] input[name=password]`, "short")
	if status := a.submit(`form[action="/settings/password"] button[type=submit]`); status != 422 {
		t.Errorf("change password with errors: status %d, want 422", status)
	}
	a.checkPage("settings with password errors")
	a.fill(`form[action="/settings/delete"] input[name=password]`, "wrong password")
	if status := a.submit("[data-testid=delete-account]"); status != 422 {
		t.Errorf("delete account with errors: status %d, want 422", status)
	}
	for _, sel := range []string{
		`form[action="/settings/delete"] input[name=password][aria-invalid=true]`,
		`form[action="/settings/delete"] input[name=confirm][aria-invalid=true]`,
	} {
		if !a.exists(sel) {
			t.Errorf("delete account with errors: no %s", sel)
		}
	}
	a.checkPage("settings with delete errors")

	// A web address identity: a second row with its actions.
	a.fill("#f-kind", "url", "#f-value", "https://example.org/ben")
	if status := a.submit("[data-testid=add-identity]"); status != 200 {
		t.Errorf("add identity: status %d", status)
	}
	if n := browserEval[int](t, a.ctx, `document.querySelectorAll("[data-testid=identity]").length`); n != 2 {
		t.Errorf("identities: %d, want 2", n)
	}
	a.checkPage("settings with two identities and a flash")

	if status := a.open("/nope"); status != 404 {
		t.Errorf("/nope signed in: status %d", status)
	}
	a.checkPage("404 page, signed in")
	a.requireNoConsoleErrors()
}

// browserFocus describes document.activeElement.
type browserFocus struct {
	Tag          string  `json:"tag"`
	ID           string  `json:"id"`
	Class        string  `json:"class"`
	Text         string  `json:"text"`
	OutlineStyle string  `json:"outlineStyle"`
	OutlineWidth string  `json:"outlineWidth"`
	Top          float64 `json:"top"`
	Bottom       float64 `json:"bottom"`
}

const browserFocusJS = `(() => {
	const el = document.activeElement;
	const cs = getComputedStyle(el);
	const r = el.getBoundingClientRect();
	return {tag: el.tagName.toLowerCase(), id: el.id, class: typeof el.className === "string" ? el.className : "",
		text: (el.innerText || "").trim(), outlineStyle: cs.outlineStyle, outlineWidth: cs.outlineWidth,
		top: r.top, bottom: r.bottom};
})()`

func (a *browserApp) focus() browserFocus {
	a.t.Helper()
	return browserEval[browserFocus](a.t, a.ctx, browserFocusJS)
}

// press sends keys to the focused element.
func (a *browserApp) press(keys string) {
	a.t.Helper()
	if err := chromedp.Do(a.ctx, chromedp.KeyEvent(keys)); err != nil {
		a.t.Fatalf("press %q: %v", keys, err)
	}
}

// requireFocusIndicator fails the test when the focused element shows no
// outline.
func (a *browserApp) requireFocusIndicator(what string, f browserFocus) {
	a.t.Helper()
	if f.OutlineStyle == "none" || f.OutlineStyle == "" || f.OutlineWidth == "0px" {
		a.t.Errorf("%s has no visible focus indicator: outline %s %s", what, f.OutlineStyle, f.OutlineWidth)
	}
}

func TestBrowserKeyboardOnly(t *testing.T) {
	t.Parallel()
	a := newBrowserApp(t)
	const email = "cat@example.com"
	a.signUp(email)
	a.confirm(email)

	// From here on only the keyboard.
	a.open("/login")

	// The first Tab reaches the skip link, which becomes visible.
	a.press("\t")
	f := a.focus()
	if f.Tag != "a" || f.Class != "skip-link" || f.Text != "Skip to content" {
		t.Fatalf("first Tab focuses %+v, want the Skip to content link", f)
	}
	if f.Top < 0 || f.Bottom <= f.Top {
		t.Errorf("focused skip link is not in view: top %v, bottom %v", f.Top, f.Bottom)
	}
	a.requireFocusIndicator("the skip link", f)

	// Enter follows it to the main content; the next Tab is the email field.
	a.press("\r")
	if f := a.focus(); f.Tag != "main" || f.ID != "main" {
		t.Errorf("after Enter on the skip link the focus is on %+v, want main#main", f)
	}
	if loc := a.location(); loc != "/login#main" {
		t.Errorf("after Enter on the skip link: location %s, want /login#main", loc)
	}
	a.press("\t")
	f = a.focus()
	if f.Tag != "input" || f.ID != "f-email" {
		t.Fatalf("Tab after the skip link focuses %+v, want input#f-email", f)
	}
	a.requireFocusIndicator("the email field", f)

	a.press(email)
	a.press("\t")
	f = a.focus()
	if f.ID != "f-password" {
		t.Fatalf("Tab from the email field focuses %+v, want input#f-password", f)
	}
	a.requireFocusIndicator("the password field", f)
	a.press(browserPassword)
	if got := browserEval[string](t, a.ctx, `document.getElementById("f-email").value`); got != email {
		t.Errorf("email field holds %q, want %q", got, email)
	}
	if n := browserEval[int](t, a.ctx, `document.getElementById("f-password").value.length`); n != len(browserPassword) {
		t.Errorf("password field holds %d characters, want %d", n, len(browserPassword))
	}

	// Enter submits the form.
	resp, err := chromedp.RunResponse(a.ctx, chromedp.KeyEvent("\r"))
	if err != nil {
		t.Fatalf("Enter in the password field: %v", err)
	}
	if resp.Status != 200 {
		t.Errorf("Enter in the password field: status %d", resp.Status)
	}
	if p := a.path(); p != "/badges" {
		t.Fatalf("after signing in with the keyboard: on %s, want /badges", p)
	}
	if !a.exists("[data-testid=empty-backpack]") {
		t.Error("after signing in with the keyboard: no empty backpack")
	}

	// The buttons of the page show focus too: Tab to the sign-out button.
	for range 10 {
		a.press("\t")
		if f = a.focus(); f.Tag == "button" {
			break
		}
	}
	if f.Tag != "button" || f.Text != "Sign out" {
		t.Fatalf("Tab did not reach the Sign out button; focus on %+v", f)
	}
	a.requireFocusIndicator("the Sign out button", f)
	a.requireNoConsoleErrors()
}

// TestBrowserScreenshots saves screenshots of the main pages at desktop and
// phone width to the folder BACKPACK_SCREENSHOTS, for a person to look at.
// shoot saves the whole page at desktop and at phone width in dir. The
// viewport is made as tall as the page first: with a shorter one the page
// gets a scroll bar (headless Chromium's are 15 px wide), and the full-page
// capture then cuts 15 px off the right of a relayout without it.
func (a *browserApp) shoot(dir, name string) {
	a.t.Helper()
	t := a.t
	for _, v := range []struct {
		suffix        string
		width, height int64
	}{
		{"desktop", browsertest.DesktopWidth, browsertest.DesktopHeight},
		{"phone", browsertest.PhoneWidth, browsertest.PhoneHeight},
	} {
		if err := browsertest.SetViewport(a.ctx, v.width, v.height); err != nil {
			t.Fatal(err)
		}
		h := browserEval[int64](t, a.ctx, `document.documentElement.scrollHeight`)
		if err := browsertest.SetViewport(a.ctx, v.width, max(h, v.height)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-%s.png", name, v.suffix))
		if err := browsertest.Screenshot(a.ctx, path); err != nil {
			t.Fatal(err)
		}
		t.Logf("saved %s", path)
	}
	if err := browsertest.DesktopViewport(a.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserScreenshots(t *testing.T) {
	dir := os.Getenv("BACKPACK_SCREENSHOTS")
	if dir == "" {
		t.Skip("set BACKPACK_SCREENSHOTS=DIR to save screenshots")
	}
	t.Parallel()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	a := newBrowserApp(t)
	shoot := func(name string) { t.Helper(); a.shoot(dir, name) }

	a.open("/")
	shoot("home")
	a.open("/signup")
	shoot("signup")
	a.fill("#f-email", "not an address", "#f-password", "short")
	a.submit("[data-testid=signup-submit]")
	shoot("signup-errors")

	const email = "dan.with.a.rather.long.address@example.com"
	a.newConfirmedUser(email)
	shoot("badges")
	a.open("/settings")
	a.fill("#f-kind", "url", "#f-value", "https://example.org/people/dan-with-a-long-path")
	a.submit("[data-testid=add-identity]")
	a.fill("#f-kind", "email", "#f-value", "not an address")
	a.submit("[data-testid=add-identity]")
	shoot("settings")
	a.open("/nope")
	shoot("error")
}

// browserIssuer hosts Open Badges 2.0 hosted assertions, their badge class,
// issuer profile and image on a loopback server, for the badge tests. Start
// the app with --allow-host issuer.hostPort() so that it may fetch them.
type browserIssuer struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	docs map[string]browserDoc
	// delay, when set (see slowDown), is how long to wait before
	// answering a path; it must be safe for concurrent use.
	delay func(path string) time.Duration
}

type browserDoc struct {
	contentType string
	body        []byte
}

func newBrowserIssuer(t *testing.T) *browserIssuer {
	t.Helper()
	is := &browserIssuer{t: t, docs: map[string]browserDoc{}}
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		is.mu.Lock()
		d, ok := is.docs[r.URL.Path]
		delay := is.delay
		is.mu.Unlock()
		if delay != nil {
			time.Sleep(delay(r.URL.Path))
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", d.contentType)
		w.Write(d.body)
	}))
	t.Cleanup(is.srv.Close)
	u := is.srv.URL
	is.putJSON("/issuer", map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Issuer", "id": u + "/issuer",
		"name": "Test Academy", "url": u, "email": "badges@academy.test"})
	is.putJSON("/badge", map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": u + "/badge",
		"name": "Robot Wrangler", "description": "Wrangles robots.", "image": u + "/badge.png",
		"criteria": map[string]any{"narrative": "Wrangle **three** robots."}, "issuer": u + "/issuer", "tags": []string{"robots"}})
	is.put("/badge.png", "image/png", browserPNG(t, color.RGBA{0, 120, 200, 255}))
	return is
}

// slowDown makes the issuer wait delay(path) before each answer.
func (is *browserIssuer) slowDown(delay func(path string) time.Duration) {
	is.mu.Lock()
	is.delay = delay
	is.mu.Unlock()
}

func (is *browserIssuer) put(path, contentType string, body []byte) {
	is.mu.Lock()
	is.docs[path] = browserDoc{contentType, body}
	is.mu.Unlock()
}

func (is *browserIssuer) putJSON(path string, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		is.t.Fatal(err)
	}
	is.put(path, "application/json", b)
	return b
}

func (is *browserIssuer) url(path string) string { return is.srv.URL + path }

// hostPort is the issuer's HOST:PORT, for --allow-host.
func (is *browserIssuer) hostPort() string { return strings.TrimPrefix(is.srv.URL, "http://") }

// assertion publishes a hosted assertion at path, issued to email in clear,
// and returns its JSON.
func (is *browserIssuer) assertion(path, email string) []byte {
	return is.putJSON(path, map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": is.url(path),
		"recipient": map[string]any{"type": "email", "hashed": false, "identity": email},
		"badge":     is.url("/badge"), "issuedOn": issuedOn(), "verification": map[string]any{"type": "hosted"}})
}

// issuedOn dates the badges that the real server verifies at the wall
// clock (it has no other): a fixed day long past, so they are valid on any
// day the tests run, and the same for every badge (a badge issued again
// with a later date would be a newer issue, not the same badge).
func issuedOn() string { return "2020-01-01T00:00:00Z" }

// baked publishes a hosted assertion for email at path and bakes it into
// img (a PNG or an SVG).
func (is *browserIssuer) baked(img []byte, path, email string) []byte {
	is.t.Helper()
	b, err := bake.Bake(img, bake.OB2, string(is.assertion(path, email)))
	if err != nil {
		is.t.Fatalf("bake %s: %v", path, err)
	}
	return b
}

// browserPNG is a small PNG with a diagonal line of colour c.
func browserPNG(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, c)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// browserSVG is a harmless SVG badge image.
const browserSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">` +
	`<circle cx="32" cy="32" r="30" fill="#2a7"/></svg>`

// browserFile is a file to drop on the page.
type browserFile struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Data []byte `json:"data"` // base64 in JSON, decoded in the page with atob
}

// writeBrowserFiles writes the files to a new temporary folder, as a user
// would have them on disk, and reads them back.
func writeBrowserFiles(t *testing.T, files []browserFile) []browserFile {
	t.Helper()
	dir := t.TempDir()
	out := make([]browserFile, len(files))
	for i, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = browserFile{Name: f.Name, Type: f.Type, Data: b}
	}
	return out
}

// browserDropJS drops files on an element: it builds a DataTransfer of File
// objects and dispatches dragenter, dragover and drop on the element, as a
// drag from the desktop would. (chromedp cannot drag files from the
// system.) It returns whether the page took the drop (called
// preventDefault). It runs through the DevTools protocol, which the page's
// Content-Security-Policy does not block.
const browserDropJS = `((sel, files) => {
	const el = document.querySelector(sel);
	if (!el) throw new Error("no element matches " + sel);
	const dt = new DataTransfer();
	for (const f of files) {
		const bin = atob(f.data);
		const bytes = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
		dt.items.add(new File([bytes], f.name, {type: f.type}));
	}
	const r = el.getBoundingClientRect();
	const at = {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2};
	for (const type of ["dragenter", "dragover"]) {
		el.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true, ...at}));
	}
	return !el.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true, ...at}));
})(%s, %s)`

// drop drops files on the element that matches sel and fails the test
// when the page does not take them.
func (a *browserApp) drop(sel string, files []browserFile) {
	a.t.Helper()
	js, err := json.Marshal(files)
	if err != nil {
		a.t.Fatal(err)
	}
	q, _ := json.Marshal(sel)
	if taken := browserEval[bool](a.t, a.ctx, fmt.Sprintf(browserDropJS, q, js)); !taken {
		a.t.Fatalf("drop on %s: the page did not take the files", sel)
	}
}

// waitJS evaluates the JavaScript expression cond in the page until it is
// true, and fails the test when it is not within timeout. (chromedp.Poll
// compiles its predicate with new Function, which the app's
// Content-Security-Policy forbids.)
func (a *browserApp) waitJS(what, cond string, timeout time.Duration) {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if browserEval[bool](a.t, a.ctx, "!!("+cond+")") {
			return
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%s: not within %v (%s)", what, timeout, cond)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// browserResult is one import result that the page shows.
type browserResult struct {
	Item    string `json:"item"`
	Outcome string `json:"outcome"`
	Name    string `json:"name"` // the badge's name, when not the item
	Message string `json:"message"`
	Link    string `json:"link"` // the View badge link, if any
}

// browserResultsJS lists the import results inside the element sel.
const browserResultsJS = `[...document.querySelectorAll(%s + " [data-testid=import-result]")].map((li) => ({
	item: (li.querySelector(".item") || {}).textContent || "",
	outcome: li.getAttribute("data-outcome") || "",
	name: ((li.querySelector(".badge-name") || {}).textContent || "").trim(),
	message: ((li.querySelector(".message") || {}).textContent || "").trim(),
	link: (li.querySelector("a[href^='/badges/']") || {getAttribute: () => ""}).getAttribute("href"),
}))`

func (a *browserApp) results(sel string) []browserResult {
	a.t.Helper()
	q, _ := json.Marshal(sel)
	return browserEval[[]browserResult](a.t, a.ctx, fmt.Sprintf(browserResultsJS, q))
}

// waitUploads waits until #progress shows n results and no upload runs,
// and returns the results.
func (a *browserApp) waitUploads(n int) []browserResult {
	a.t.Helper()
	a.waitJS(fmt.Sprintf("%d upload results", n), fmt.Sprintf(
		`document.querySelectorAll("#progress > [data-testid=import-result]").length >= %d && !document.querySelector("#progress .uploading")`, n),
		30*time.Second)
	rs := a.results("#progress")
	if len(rs) != n {
		a.t.Fatalf("upload results: %d, want %d: %+v", len(rs), n, rs)
	}
	return rs
}

// requireOutcomes fails the test unless the results are for the items, in
// order, each with its outcome.
func (a *browserApp) requireOutcomes(what string, rs []browserResult, itemOutcome ...string) {
	a.t.Helper()
	if len(rs) != len(itemOutcome)/2 {
		a.t.Fatalf("%s: %d results, want %d: %+v", what, len(rs), len(itemOutcome)/2, rs)
	}
	for i, r := range rs {
		item, outcome := itemOutcome[2*i], itemOutcome[2*i+1]
		if r.Item != item || r.Outcome != outcome {
			a.t.Errorf("%s: result %d is %q %s (%s), want %q %s", what, i+1, r.Item, r.Outcome, r.Message, item, outcome)
		}
	}
}

// count returns how many elements match sel now.
func (a *browserApp) count(sel string) int {
	a.t.Helper()
	q, _ := json.Marshal(sel)
	return browserEval[int](a.t, a.ctx, fmt.Sprintf("document.querySelectorAll(%s).length", q))
}

func TestBrowserDropThreeFiles(t *testing.T) {
	t.Parallel()
	is := newBrowserIssuer(t)
	a := newBrowserAppArgs(t, "--allow-host", is.hostPort())
	const email = "fay@example.com"
	a.newConfirmedUser(email)

	files := writeBrowserFiles(t, []browserFile{
		{"robot one.png", "image/png", is.baked(browserPNG(t, color.RGBA{200, 0, 0, 255}), "/a/1", email)},
		{"robot-two.png", "image/png", is.baked(browserPNG(t, color.RGBA{0, 160, 0, 255}), "/a/2", email)},
		{"robot-three.svg", "image/svg+xml", is.baked([]byte(browserSVG), "/a/3", email)},
	})

	if status := a.open("/badges/new"); status != 200 {
		t.Fatalf("/badges/new: status %d", status)
	}
	// app.js shows the drop zone.
	if err := browsertest.WaitVisible(a.ctx, "#dropzone"); err != nil {
		t.Fatal(err)
	}
	a.drop("#dropzone", files)
	a.waitJS("three dropped files listed", `document.querySelectorAll("#dropzone .dropped-files li").length === 3`, 10*time.Second)
	listed := browserEval[[]string](t, a.ctx, `[...document.querySelectorAll("#dropzone .dropped-files li")].map((li) => li.firstChild.textContent.trim())`)
	for i, f := range files {
		if i >= len(listed) || listed[i] != f.Name {
			t.Errorf("dropped files listed as %q, want the names of %d files in order", listed, len(files))
			break
		}
	}
	if a.exists("#dropzone.dragover") {
		t.Error("the drop zone still looks dragged over after the drop")
	}

	if err := browsertest.Click(a.ctx, "[data-testid=add-submit]"); err != nil {
		t.Fatal(err)
	}
	rs := a.waitUploads(3)
	a.requireOutcomes("drop three files", rs, "robot one.png", "added", "robot-two.png", "added", "robot-three.svg", "added")
	for _, r := range rs {
		if !regexp.MustCompile(`^/badges/\d+$`).MatchString(r.Link) {
			t.Errorf("result %q: View badge link %q", r.Item, r.Link)
		}
		// As on the server's results page, the result names the badge.
		if r.Name != "Robot Wrangler" {
			t.Errorf("result %q names the badge %q, want Robot Wrangler", r.Item, r.Name)
		}
	}
	if a.count("#dropzone .dropped-files li") != 0 {
		t.Error("the drop zone still lists the files after sending them")
	}
	if browserEval[bool](t, a.ctx, `document.querySelector("[data-testid=add-submit]").disabled`) {
		t.Error("the submit button stays disabled after the uploads")
	}

	// The backpack shows the three badges, each with its own image.
	a.open("/badges")
	if n := a.count("[data-testid=badge-grid] [data-testid=badge-card]"); n != 3 {
		t.Fatalf("/badges shows %d badge cards, want 3", n)
	}
	if got := a.text(".page-head .count"); !strings.Contains(got, "3 badges") {
		t.Errorf("badge count %q, want 3 badges", got)
	}
	srcs := browserEval[[]string](t, a.ctx, `[...document.querySelectorAll("[data-testid=badge-card] img.badge-img")].map((i) => i.getAttribute("src")).sort()`)
	var pngs, svgs int
	seen := map[string]bool{}
	for _, s := range srcs {
		seen[s] = true
		switch {
		case regexp.MustCompile(`^/img/[0-9a-f]{64}\.png$`).MatchString(s):
			pngs++
		case regexp.MustCompile(`^/img/[0-9a-f]{64}\.svg$`).MatchString(s):
			svgs++
		}
	}
	if pngs != 2 || svgs != 1 || len(seen) != 3 {
		t.Errorf("badge images %q, want two PNGs and one SVG, all different", srcs)
	}
	a.waitJS("badge images loaded", `[...document.querySelectorAll("[data-testid=badge-card] img.badge-img")].every((i) => i.complete && i.naturalWidth > 0)`, 10*time.Second)
	a.requireNoConsoleErrors()
}

// browserEvilSVG is a badge image that tries to run script in every way an
// SVG can: an onload attribute, a script element that also calls back to
// the app, and an HTML iframe with a javascript: URL. Its title is what
// document.title must stay.
const browserEvilSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" onload="document.title='pwned'">` +
	`<title>Harmless badge</title>` +
	`<script>document.title='pwned2'; fetch('/settings'); console.log('pwned script ran')</script>` +
	`<foreignObject width="64" height="64"><iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:parent.document.title='pwned3'"></iframe></foreignObject>` +
	`<circle cx="32" cy="32" r="30" fill="#2a7"/></svg>`

// requestLog records the requests that the tab sends.
type requestLog struct {
	mu   sync.Mutex
	urls []string
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.urls...)
}

// watchRequests records the URL of every request that the tab sends from
// now until the test ends.
func (a *browserApp) watchRequests() *requestLog {
	a.t.Helper()
	ctx, cancel := context.WithCancel(a.ctx)
	l := &requestLog{}
	done := make(chan struct{})
	events := chromedp.Events(ctx, network.RequestWillBeSent) // subscribes now
	go func() {
		defer close(done)
		for ev, err := range events {
			if err != nil {
				return
			}
			l.mu.Lock()
			l.urls = append(l.urls, ev.Request.URL)
			l.mu.Unlock()
		}
	}()
	a.t.Cleanup(func() { cancel(); <-done })
	return l
}

func TestBrowserSVGScriptDoesNotRun(t *testing.T) {
	t.Parallel()
	is := newBrowserIssuer(t)
	a := newBrowserAppArgs(t, "--allow-host", is.hostPort())
	const email = "gil@example.com"
	a.newConfirmedUser(email)

	// Import the SVG with the file input.
	evil := is.baked([]byte(browserEvilSVG), "/a/evil", email)
	for _, s := range []string{`onload="document.title='pwned'"`, "<script>", "<foreignObject"} {
		if !bytes.Contains(evil, []byte(s)) {
			t.Fatalf("the baked SVG lost %s", s)
		}
	}
	path := filepath.Join(t.TempDir(), "evil.svg")
	if err := os.WriteFile(path, evil, 0o644); err != nil {
		t.Fatal(err)
	}
	a.open("/badges/new")
	if err := chromedp.Do(a.ctx, chromedp.SetUploadFiles(chromedp.CSS("#f-files"), []string{path})); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.Click(a.ctx, "[data-testid=add-submit]"); err != nil {
		t.Fatal(err)
	}
	a.requireOutcomes("import evil.svg", a.waitUploads(1), "evil.svg", "added")

	// The list shows it as an <img> only: no inline SVG, no handlers.
	a.open("/badges")
	src := browserEval[string](t, a.ctx, `(document.querySelector("[data-testid=badge-card] img.badge-img") || {getAttribute: () => ""}).getAttribute("src")`)
	if !regexp.MustCompile(`^/img/[0-9a-f]{64}\.svg$`).MatchString(src) {
		t.Fatalf("badge image %q, want /img/HASH.svg", src)
	}
	if n := a.count("main svg, main foreignObject, main iframe, main [onload]"); n != 0 {
		t.Errorf("the badge list has %d inline svg, foreignObject, iframe or onload elements", n)
	}
	if n := a.count("script:not([src])"); n != 0 {
		t.Errorf("the badge list has %d inline scripts", n)
	}
	if html := browserEval[string](t, a.ctx, `document.documentElement.outerHTML`); strings.Contains(html, "pwned") {
		t.Error("the badge list contains the SVG's script")
	}
	a.waitJS("the SVG as an image", `(() => { const i = document.querySelector("[data-testid=badge-card] img.badge-img"); return i.complete && i.naturalWidth > 0; })()`, 10*time.Second)
	if title := browserEval[string](t, a.ctx, `document.title`); strings.Contains(title, "pwned") {
		t.Errorf("badge list title %q", title)
	}

	// Open the image itself, as a link to it would: the browser renders the
	// SVG as a document, where its script would run on the app's origin if
	// the server let it.
	reqs := a.watchRequests()
	resp, err := chromedp.Run(a.ctx, chromedp.NavigateResponse(a.url+src))
	if err != nil {
		t.Fatalf("open %s: %v", src, err)
	}
	if resp.Status != 200 || resp.MimeType != "image/svg+xml" {
		t.Fatalf("%s: status %d, type %s", src, resp.Status, resp.MimeType)
	}
	if csp := fmt.Sprint(resp.Headers["Content-Security-Policy"]); !strings.Contains(csp, "sandbox") {
		t.Errorf("%s: Content-Security-Policy %q without sandbox", src, csp)
	}
	if err := chromedp.Do(a.ctx, chromedp.WaitReady(chromedp.CSS("svg"))); err != nil {
		t.Fatal(err)
	}
	a.waitJS("the SVG document loaded", `document.readyState === "complete"`, 10*time.Second)
	if got := browserEval[string](t, a.ctx, `document.documentElement.localName + " " + (document.querySelector("script") ? "with script" : "")`); got != "svg with script" {
		t.Fatalf("the image page is %q, want the SVG as served", got)
	}
	if title := browserEval[string](t, a.ctx, `document.title`); title != "Harmless badge" {
		t.Errorf("the SVG's script ran: document.title is %q", title)
	}

	// Every request the SVG could have made comes before the request of the
	// next page: load it, then look.
	a.open("/badges")
	var next bool
	for _, u := range reqs.all() {
		next = next || u == a.url+"/badges"
	}
	if !next {
		t.Fatalf("the request of /badges was not seen: %q", reqs.all())
	}
	for _, u := range reqs.all() {
		if u == a.url+src || u == a.url+"/badges" || strings.HasPrefix(u, a.url+"/static/") || strings.HasPrefix(u, a.url+"/img/") {
			continue
		}
		t.Errorf("request to %s after opening the SVG", u)
	}
	var blocked bool
	for _, m := range browsertest.ConsoleMessages(a.ctx) {
		if strings.Contains(m.Text, "pwned") {
			t.Errorf("the SVG's script wrote to the console: %s", m)
		}
		blocked = blocked || strings.Contains(m.Text, "sandboxed") || strings.Contains(m.Text, "Content Security Policy")
		t.Logf("console: %s (%s)", m, m.URL)
	}
	if !blocked {
		t.Log("the browser reported no blocked script (it may not log it)")
	}

	// The detail page shows the image as an <img> too.
	link := browserEval[string](t, a.ctx, `document.querySelector("[data-testid=badge-card] a.card-link").getAttribute("href")`)
	if status := a.open(link); status != 200 {
		t.Fatalf("%s: status %d", link, status)
	}
	if got := browserEval[string](t, a.ctx, `(document.querySelector("[data-testid=badge-detail] img.badge-img") || {getAttribute: () => ""}).getAttribute("src")`); got != src {
		t.Errorf("detail page image %q, want %q", got, src)
	}
	if n := a.count("main svg, main foreignObject, main iframe, main [onload]"); n != 0 {
		t.Errorf("the detail page has %d inline svg, foreignObject, iframe or onload elements", n)
	}

	// The control: the same SVG from a server without Backpack's headers
	// runs its script, so the checks above would see it.
	is.put("/evil.svg", "image/svg+xml", []byte(browserEvilSVG))
	is.put("/settings", "text/plain", []byte("ok"))
	if err := browsertest.Navigate(a.ctx, is.url("/evil.svg")); err != nil {
		t.Fatal(err)
	}
	a.waitJS("the control SVG loaded", `document.readyState === "complete"`, 10*time.Second)
	if title := browserEval[string](t, a.ctx, `document.title`); !strings.HasPrefix(title, "pwned") {
		t.Errorf("control: the SVG's script did not run without the sandbox (title %q): the test cannot see it run", title)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(reqs.all(), is.url("/settings")) {
		if time.Now().After(deadline) {
			t.Errorf("control: no request to %s seen: %q", is.url("/settings"), reqs.all())
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBrowserBadgePagesAccessibility(t *testing.T) {
	t.Parallel()
	is := newBrowserIssuer(t)
	a := newBrowserAppArgs(t, "--allow-host", is.hostPort())
	const email = "hal@example.com"
	a.newConfirmedUser(email)
	if !a.exists("[data-testid=empty-backpack]") {
		t.Fatal("no empty backpack after signing in")
	}
	a.checkPage("empty backpack")

	if status := a.open("/badges/new"); status != 200 {
		t.Fatalf("/badges/new: status %d", status)
	}
	if err := browsertest.WaitVisible(a.ctx, "#dropzone"); err != nil {
		t.Fatal(err)
	}
	a.checkPage("add-badges form")

	// URLs alone are posted by the form itself (app.js sends only files):
	// the server's results page, with one result of each kind.
	is.assertion("/a/1", email)
	is.assertion("/a/other", "someone.else@example.com")
	a.fill("#f-urls", is.url("/a/1")+"\n"+is.url("/a/other")+"\n"+is.url("/a/missing"))
	if status := a.submit("[data-testid=add-submit]"); status != 200 {
		t.Fatalf("post URLs: status %d", status)
	}
	a.requireOutcomes("post URLs", a.results("[data-testid=import-results]"),
		is.url("/a/1"), "added", is.url("/a/other"), "pending", is.url("/a/missing"), "rejected")
	if !a.exists("[data-testid=import-results] [data-testid=add-email]") {
		t.Error("post URLs: the pending result offers no button to add the address")
	}
	a.checkPage("add-badges form with the server's results")

	// Files go one by one through app.js: its results in #progress.
	files := writeBrowserFiles(t, []browserFile{
		{"new.png", "image/png", is.baked(browserPNG(t, color.RGBA{200, 0, 0, 255}), "/a/2", email)},
		{"again.svg", "image/svg+xml", is.baked([]byte(browserSVG), "/a/1", email)},
		{"not-a-badge.png", "image/png", browserPNG(t, color.Black)},
		{"other.png", "image/png", is.baked(browserPNG(t, color.RGBA{0, 0, 200, 255}), "/a/other2", "someone.else@example.com")},
	})
	a.drop("#dropzone", files)
	a.waitJS("dropped files listed", `document.querySelectorAll("#dropzone .dropped-files li").length === 4`, 10*time.Second)
	a.checkPage("add-badges form with dropped files")
	if err := browsertest.Click(a.ctx, "[data-testid=add-submit]"); err != nil {
		t.Fatal(err)
	}
	a.requireOutcomes("upload files", a.waitUploads(4),
		"new.png", "added", "again.svg", "duplicate", "not-a-badge.png", "rejected", "other.png", "pending")
	if a.exists("[data-testid=import-results]") {
		t.Error("the results of the last post stay beside the new ones")
	}
	a.checkPage("add-badges form with upload results")

	// The backpack with badges, filters and pending imports.
	a.open("/badges")
	if n := a.count("[data-testid=badge-card]"); n != 2 {
		t.Errorf("/badges: %d badge cards, want 2", n)
	}
	if n := a.count("[data-testid=pending-import]"); n != 2 {
		t.Errorf("/badges: %d pending imports, want 2", n)
	}
	a.checkPage("backpack with badges")

	// One badge, with its verification report open too.
	link := browserEval[string](t, a.ctx, `document.querySelector("[data-testid=badge-card] a.card-link").getAttribute("href")`)
	if status := a.open(link); status != 200 {
		t.Fatalf("%s: status %d", link, status)
	}
	if !a.exists("[data-testid=badge-detail]") {
		t.Fatalf("%s: no badge detail", link)
	}
	a.checkPage("badge detail")
	if err := browsertest.Click(a.ctx, "[data-testid=verification-report] summary"); err != nil {
		t.Fatal(err)
	}
	a.waitJS("verification report open", `document.querySelector("[data-testid=verification-report]").open`, 5*time.Second)
	a.checkPage("badge detail with the verification report")

	// Shared: the owner's share controls, then the public page.
	if status := a.submit("[data-testid=share-on]"); status != 200 {
		t.Fatalf("share: status %d", status)
	}
	if !a.exists("[data-testid=share-link]") {
		t.Fatal("no share link after sharing")
	}
	a.checkPage("badge detail, shared")
	public := browserEval[string](t, a.ctx, `new URL(document.querySelector("[data-testid=share-link]").href).pathname`)
	if status := a.open(public); status != 200 || !a.exists("[data-testid=public-badge]") {
		t.Fatalf("%s: status %d", public, status)
	}
	a.checkPage("public badge page")

	// Collections: the list, one collection with badges, its public page.
	a.open("/collections")
	a.checkPage("collections")
	a.fill("#f-name", "Best of 2026", "#f-description", "Things I *like*.")
	if status := a.submit("[data-testid=create-collection]"); status != 200 {
		t.Fatalf("create collection: status %d", status)
	}
	if status := a.submit("[data-testid=add-to-collection]"); status != 200 {
		t.Fatalf("add to collection: status %d", status)
	}
	if status := a.submit("[data-testid=add-to-collection]"); status != 200 {
		t.Fatalf("add to collection: status %d", status)
	}
	if n := a.count("[data-testid=collection-badge]"); n != 2 {
		t.Fatalf("%d badges in the collection, want 2", n)
	}
	a.checkPage("collection")
	if status := a.submit("[data-testid=collection-share-on]"); status != 200 {
		t.Fatalf("share collection: status %d", status)
	}
	publicCol := browserEval[string](t, a.ctx, `new URL(document.querySelector("[data-testid=collection-link]").href).pathname`)
	if status := a.open(publicCol); status != 200 || a.count("[data-testid=public-card]") != 2 {
		t.Fatalf("%s: status %d", publicCol, status)
	}
	a.checkPage("public collection page")
	if status := a.open(strings.Replace(publicCol, "/c/", "/embed/c/", 1)); status != 200 || a.count("[data-testid=embed-card]") != 2 {
		t.Fatalf("collection embed: status %d", status)
	}
	a.checkPage("collection embed")
	a.requireNoConsoleErrors()

	// A portfolio on another origin frames the widgets: the embeds load,
	// the public page refuses to be framed (frame-ancestors 'none').
	a.requireFraming(is, map[string]bool{
		strings.Replace(public, "/b/", "/embed/b/", 1):    true,
		strings.Replace(publicCol, "/c/", "/embed/c/", 1): true,
		public:    false,
		publicCol: false,
	})
}

// requireFraming opens a page on the issuer's origin with one iframe for
// each path of the app and checks, in the browser's frame tree, which of
// them loaded (true) and which the browser refused to show (false).
func (a *browserApp) requireFraming(is *browserIssuer, paths map[string]bool) {
	a.t.Helper()
	var html strings.Builder
	html.WriteString("<!doctype html><title>Portfolio</title>")
	for path := range paths {
		fmt.Fprintf(&html, "<iframe title=%q src=%q></iframe>", path, a.url+path)
	}
	is.put("/portfolio.html", "text/html; charset=utf-8", []byte(html.String()))
	if err := chromedp.Do(a.ctx, chromedp.Navigate(is.url("/portfolio.html"))); err != nil {
		a.t.Fatal(err)
	}
	a.waitJS("portfolio frames", `document.readyState === "complete"`, 10*time.Second)
	tree, err := chromedp.Call(a.ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		a.t.Fatal(err)
	}
	got := map[string]bool{}
	for _, child := range tree.FrameTree.ChildFrames {
		f := child.Frame
		if f.UnreachableURL != "" {
			got[strings.TrimPrefix(f.UnreachableURL, a.url)] = false
		} else {
			got[strings.TrimPrefix(f.URL, a.url)] = strings.HasPrefix(f.URL, a.url)
		}
	}
	for path, want := range paths {
		loaded, ok := got[path]
		switch {
		case !ok:
			a.t.Errorf("framed %s: not in the frame tree %v", path, got)
		case loaded != want:
			a.t.Errorf("framed %s: loaded %v, want %v (frame tree %v)", path, loaded, want, got)
		}
	}
}

// tabTo presses Tab until the focused element matches sel, at most max
// times, and returns it.
func (a *browserApp) tabTo(sel string, max int) browserFocus {
	a.t.Helper()
	q, _ := json.Marshal(sel)
	var seen []string
	for range max {
		a.press("\t")
		if browserEval[bool](a.t, a.ctx, fmt.Sprintf("document.activeElement.matches(%s)", q)) {
			return a.focus()
		}
		f := a.focus()
		seen = append(seen, f.Tag+"#"+f.ID+" "+strings.Join(strings.Fields(f.Text), " "))
	}
	a.t.Fatalf("%d presses of Tab did not reach %s; focused in turn: %q", max, sel, seen)
	return browserFocus{}
}

func TestBrowserAddBadgesKeyboard(t *testing.T) {
	t.Parallel()
	a := newBrowserApp(t)
	const email = "ida@example.com"
	a.newConfirmedUser(email)
	a.open("/badges/new")
	if err := browsertest.WaitVisible(a.ctx, "#dropzone"); err != nil {
		t.Fatal(err)
	}

	// From the top of the page, Tab reaches each field and the button in
	// order, each with a visible focus indicator.
	for _, c := range []struct{ what, sel string }{
		{"the file input", "#f-files"},
		{"the URLs field", "#f-urls"},
		{"the paste field", "#f-text"},
		{"the Add badges button", "[data-testid=add-submit]"},
	} {
		f := a.tabTo(c.sel, 15)
		a.requireFocusIndicator(c.what, f)
		if f.Bottom <= f.Top {
			t.Errorf("%s is focused but not shown: %+v", c.what, f)
		}
	}

	// Dropped files get a Remove button each, in the tab order between the
	// file input and the URLs; removing one puts the focus back on the file
	// input.
	a.drop("#dropzone", []browserFile{
		{"one.png", "image/png", browserPNG(t, color.Black)},
		{"two.png", "image/png", browserPNG(t, color.White)},
	})
	a.waitJS("dropped files listed", `document.querySelectorAll("#dropzone .dropped-files li").length === 2`, 10*time.Second)
	if err := chromedp.Do(a.ctx, chromedp.Focus(chromedp.CSS("#f-files"))); err != nil {
		t.Fatal(err)
	}
	f := a.tabTo("#dropzone button", 1)
	if !strings.HasPrefix(f.Text, "Remove") || !strings.Contains(browserEval[string](t, a.ctx, `document.activeElement.textContent`), "one.png") {
		t.Errorf("Tab from the file input focuses %+v, want the Remove button of one.png", f)
	}
	a.requireFocusIndicator("the Remove button", f)
	a.press("\r")
	a.waitJS("one file left", `document.querySelectorAll("#dropzone .dropped-files li").length === 1`, 5*time.Second)
	if got := browserEval[string](t, a.ctx, `document.querySelector("#dropzone .dropped-files li").firstChild.textContent.trim()`); got != "two.png" {
		t.Errorf("after removing one.png the list shows %q", got)
	}
	f = a.focus()
	if f.ID != "f-files" {
		t.Errorf("after Remove the focus is on %+v, want the file input", f)
	}
	a.requireFocusIndicator("the file input after Remove", f)

	// Enter on the button sends the file; the focus is not lost on the way.
	a.tabTo("[data-testid=add-submit]", 10)
	a.press("\r")
	a.requireOutcomes("send with the keyboard", a.waitUploads(1), "two.png", "rejected")
	// The button is disabled while the files upload, which takes the focus
	// away from it; app.js gives it back.
	if f = a.focus(); f.Tag != "button" || f.Text != "Add badges" {
		t.Errorf("after the upload the focus is on %s#%s %q, want the Add badges button", f.Tag, f.ID, shortText(f.Text))
	} else {
		a.requireFocusIndicator("the Add badges button after the upload", f)
	}
	a.requireNoConsoleErrors()
}

// shortText is s on one line, cut to 60 bytes.
func shortText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// browserDragPointsJS returns where to drag the collection badge named from
// (its issuer, which is not a link or a button) and where to drop it: in
// the upper or lower quarter of the badge named to.
const browserDragPointsJS = `((from, to, after) => {
	const item = (name) => [...document.querySelectorAll("[data-testid=collection-badge]")].find((li) => li.dataset.name === name);
	const src = item(from), dst = item(to);
	if (!src || !dst) throw new Error("no badge " + (src ? to : from) + " in the collection");
	document.querySelector("[data-testid=collection-badges]").scrollIntoView({block: "center"});
	const s = src.querySelector(".what .muted").getBoundingClientRect(), d = dst.getBoundingClientRect();
	return [s.left + s.width / 2, s.top + s.height / 2, d.left + d.width / 2, d.top + d.height * (after ? 0.75 : 0.25)];
})(%s, %s, %t)`

// dragBadge drags the collection badge named from with the mouse and drops
// it before or after the badge named to (a native HTML5 drag, through
// chromedp.DragAndDropXY).
func (a *browserApp) dragBadge(from, to string, after bool) {
	a.t.Helper()
	f, _ := json.Marshal(from)
	d, _ := json.Marshal(to)
	p := browserEval[[]float64](a.t, a.ctx, fmt.Sprintf(browserDragPointsJS, f, d, after))
	if err := chromedp.Do(a.ctx, chromedp.DragAndDropXY(p[0], p[1], p[2], p[3])); err != nil {
		a.t.Fatalf("drag %s onto %s: %v", from, to, err)
	}
}

// collectionOrder returns the names of the badges on the collection page,
// each with the labels of its buttons: "Alpha: Move down, Remove".
func (a *browserApp) collectionOrder() []string {
	a.t.Helper()
	return browserEval[[]string](a.t, a.ctx, `[...document.querySelectorAll("[data-testid=collection-badge]")].map((li) =>
		li.dataset.name + ": " + [...li.querySelectorAll(".actions button")].map((b) => b.textContent.trim()).join(", "))`)
}

func TestBrowserCollectionDragAndDrop(t *testing.T) {
	t.Parallel()
	is := newBrowserIssuer(t)
	a := newBrowserAppArgs(t, "--allow-host", is.hostPort())
	const email = "joy@example.com"
	a.newConfirmedUser(email)

	// Three badges with their own names, added to a collection in order.
	var urls []string
	for i, name := range []string{"Alpha", "Bravo", "Charlie"} {
		class := fmt.Sprintf("/badge/%d", i)
		is.putJSON(class, map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": is.url(class),
			"name": name, "description": "A badge.", "image": is.url("/badge.png"),
			"criteria": map[string]any{"narrative": "Do it."}, "issuer": is.url("/issuer")})
		path := fmt.Sprintf("/a/%d", i)
		var as map[string]any
		if err := json.Unmarshal(is.assertion(path, email), &as); err != nil {
			t.Fatal(err)
		}
		as["badge"] = is.url(class)
		is.putJSON(path, as)
		urls = append(urls, is.url(path))
	}
	a.open("/badges/new")
	a.fill("#f-urls", strings.Join(urls, "\n"))
	if status := a.submit("[data-testid=add-submit]"); status != 200 {
		t.Fatalf("add badges: status %d", status)
	}
	a.requireOutcomes("add badges", a.results("[data-testid=import-results]"), urls[0], "added", urls[1], "added", urls[2], "added")
	a.open("/collections")
	a.fill("#f-name", "Favourites")
	if status := a.submit("[data-testid=create-collection]"); status != 200 {
		t.Fatalf("create collection: status %d", status)
	}
	for range 3 { // the first badge by name each time
		if status := a.submit("[data-testid=add-to-collection]"); status != 200 {
			t.Fatalf("add to collection: status %d", status)
		}
	}
	col := a.path()
	requireOrder := func(what string, want ...string) {
		t.Helper()
		if got := a.collectionOrder(); !slices.Equal(got, want) {
			t.Fatalf("%s: the collection shows\n  %q\nwant\n  %q", what, got, want)
		}
	}
	requireOrder("to start with", "Alpha: Move down, Remove", "Bravo: Move up, Move down, Remove", "Charlie: Move up, Remove")
	a.waitJS("badges draggable", `document.querySelectorAll("[data-testid=collection-badge][draggable=true]").length === 3`, 5*time.Second)

	// Drag Alpha below Charlie: the list changes at once, the buttons
	// follow, the live region says so, and the order is saved.
	a.dragBadge("Alpha", "Charlie", true)
	a.waitJS("the move announced", `document.querySelector("#order-status").textContent !== ""`, 10*time.Second)
	if got := a.text("#order-status"); got != "Moved Alpha to position 3 of 3." || a.exists("#order-status.error") {
		t.Fatalf("after the drop the live region says %q", got)
	}
	want := []string{"Bravo: Move down, Remove", "Charlie: Move up, Move down, Remove", "Alpha: Move up, Remove"}
	requireOrder("after the drop", want...)
	if a.exists(".drop-before, .drop-after, .dragging") {
		t.Error("a drop indicator stays after the drop")
	}
	a.checkPage("collection after a drag and drop")
	a.open(col)
	requireOrder("after a reload", want...)

	// The Move buttons that app.js made work like the server's.
	if status := a.submit(`[data-testid=collection-badge][data-name=Alpha] button[aria-label="Move up: Alpha"]`); status != 200 {
		t.Fatalf("move up: status %d", status)
	}
	want = []string{"Bravo: Move down, Remove", "Alpha: Move up, Move down, Remove", "Charlie: Move up, Remove"}
	requireOrder("after Move up", want...)

	// A stale page: Charlie leaves the collection behind the page's back.
	// The drop is refused; the old order comes back, with a message.
	removed, err := chromedp.Run(a.ctx, chromedp.Evaluate[int](`(async () => {
		const f = document.querySelector("[data-testid=collection-badge][data-name=Charlie] form[action$='/remove']");
		return (await fetch(f.action, {method: "POST", body: new FormData(f), credentials: "same-origin"})).status;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || removed != 200 {
		t.Fatalf("remove Charlie behind the page's back: status %d, %v", removed, err)
	}
	a.failedPages[a.url+col+"/order"] = true
	a.dragBadge("Bravo", "Charlie", true)
	a.waitJS("the refusal shown", `document.querySelector("#order-status.error")`, 10*time.Second)
	if got := a.text("#order-status"); !strings.Contains(got, "Could not move Bravo") || !strings.Contains(got, "Reload the page") {
		t.Errorf("after the refused drop the live region says %q", got)
	}
	requireOrder("after the refused drop", want...)
	a.open(col)
	requireOrder("after a reload", "Bravo: Move down, Remove", "Alpha: Move up, Remove")
	a.requireNoConsoleErrors()
}
