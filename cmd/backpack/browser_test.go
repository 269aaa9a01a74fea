package main

// End-to-end tests in a real browser: the whole app runs in the test process
// (run with "serve"), and headless Chromium drives it through the harness in
// backpack/web/browsertest.
//
// The tests skip when no Chromium is installed, unless
// BACKPACK_BROWSER_TESTS=1 makes them mandatory. With BACKPACK_SCREENSHOTS=DIR
// TestBrowserScreenshots saves screenshots of some pages to DIR.

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"backpack/web/browsertest"
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
	ctx := browsertest.New(t)
	a := &browserApp{t: t, ctx: ctx, stdout: &browserLog{}, stderr: &browserLog{}, failedPages: map[string]bool{}}

	data := t.TempDir()
	srvCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	go func() {
		defer close(done)
		runErr = run(srvCtx, []string{"serve", "--addr", "127.0.0.1:0", "--data", data},
			func(string) string { return "" }, a.stdout, a.stderr)
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
	// shoot saves the whole page at desktop and at phone width. The viewport
	// is made as tall as the page first: with a shorter one the page gets a
	// scroll bar (headless Chromium's are 15 px wide), and the full-page
	// capture then cuts 15 px off the right of a relayout without it.
	shoot := func(name string) {
		t.Helper()
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
