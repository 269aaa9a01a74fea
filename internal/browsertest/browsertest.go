// Package browsertest is a small harness for end-to-end browser tests with
// headless Chromium, driven by chromedp (github.com/chromedp/chromedp v0.23,
// the generic API: chromedp.Do, chromedp.Run[T]).
//
// It is imported by tests only. A test gets a browser tab with New and then
// uses the helpers of this package, or any chromedp action:
//
//	func TestSignup(t *testing.T) {
//		srv := httptest.NewServer(handler)
//		t.Cleanup(srv.Close)
//
//		ctx := browsertest.New(t) // skips when no Chromium is installed
//		if err := browsertest.Navigate(ctx, srv.URL+"/signup"); err != nil {
//			t.Fatal(err)
//		}
//		browsertest.RequireNoSeriousViolations(t, ctx, "") // scan the current page
//		if err := browsertest.Fill(ctx, "#email", "a@example.com", "#name", "Ann"); err != nil {
//			t.Fatal(err)
//		}
//		status, err := browsertest.ClickAndWait(ctx, "button[type=submit]")
//		...
//	}
//
// # When the tests run
//
// With the environment variable BACKPACK_BROWSER_TESTS=1 the browser tests are
// mandatory: New fails the test when no Chromium binary is found. Without the
// variable, New skips the test when no Chromium is on PATH (chromium,
// chromium-browser or google-chrome), and in testing.Short mode.
//
// # The browser
//
// Each call of New starts its own headless Chromium with a fresh profile in
// t.TempDir(), with exactly these flags: --headless, --no-sandbox,
// --disable-gpu, --disable-background-networking, --disable-component-update,
// --disable-sync, --no-first-run, --disable-quic, --user-data-dir and
// --window-size=1280,900. (chromedp adds --remote-debugging-pipe, which is how
// it talks to the browser, and the start page about:blank.) The browser stops
// in t.Cleanup. The returned context has a timeout of [Timeout].
//
// Debian's /usr/bin/chromium is a shell script that adds flags of its own from
// /etc/chromium.d (extensions, GPU rasterization and others). To keep the
// flags exact, New starts the real binary /usr/lib/chromium/chromium when it
// finds that wrapper script.
//
// # Helpers
//
//   - Accessibility: [AxeScan], [Serious], [RequireNoSeriousViolations] run the
//     embedded axe-core (version [AxeVersion]) on a page, also under a strict
//     Content-Security-Policy.
//   - Pages and forms: [Navigate], [Fill], [Click], [ClickAndWait] (submit and
//     wait for the next page), [Text], [Value], [WaitVisible], [Exists],
//     [Location], [Title].
//   - Viewport and screenshots: [PhoneViewport] (375×812), [DesktopViewport],
//     [SetViewport], [Screenshot] (full page PNG).
//   - Console: [ConsoleMessages] and [ConsoleErrors] return what the page
//     logged, including CSP violations and failed requests. When a test fails,
//     the console and the browser output are logged.
//
// The helpers take CSS selectors and act on the first element that matches
// (DOM.querySelector). They wait until the element exists; Click, Fill and
// WaitVisible wait until it is visible.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvMandatory is the environment variable that makes the browser tests
// mandatory when it is set to 1.
const EnvMandatory = "BACKPACK_BROWSER_TESTS"

// Timeout is the overall timeout of the context that New returns. Every
// action of one test shares it.
const Timeout = 60 * time.Second

// Sizes in CSS pixels: the browser window (also the viewport of
// DesktopViewport) and the viewport of PhoneViewport.
const (
	DesktopWidth  = 1280
	DesktopHeight = 900
	PhoneWidth    = 375
	PhoneHeight   = 812
)

// browserNames are the programs that New looks for on PATH, in order.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome"}

// debianChromium is the real binary behind Debian's /usr/bin/chromium script.
const debianChromium = "/usr/lib/chromium/chromium"

// Mandatory reports whether BACKPACK_BROWSER_TESTS=1 is set.
func Mandatory() bool {
	return os.Getenv(EnvMandatory) == "1"
}

// FindChromium returns the path of the Chromium binary that New starts, or ""
// when there is none on PATH.
func FindChromium() string {
	for _, name := range browserNames {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		return unwrapDebian(p)
	}
	return ""
}

// unwrapDebian returns the real Chromium binary when p is the launcher script
// of the Debian package, and p otherwise.
func unwrapDebian(p string) string {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return p
	}
	f, err := os.Open(real)
	if err != nil {
		return p
	}
	head := make([]byte, 2)
	n, _ := f.Read(head)
	f.Close()
	if n != 2 || string(head) != "#!" {
		return p // a real executable
	}
	if fi, err := os.Stat(debianChromium); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return debianChromium
	}
	return p
}

// New starts a headless Chromium for the test t and returns the context of a
// new tab in it, for use with the helpers of this package and with
// chromedp.Do and chromedp.Run. The context times out after [Timeout]. The
// browser and its profile directory are removed in t.Cleanup.
//
// New skips the test when no Chromium is found or when testing.Short() is
// true, unless BACKPACK_BROWSER_TESTS=1 is set; then a missing Chromium fails
// the test.
func New(t testing.TB) context.Context {
	t.Helper()
	mandatory := Mandatory()
	if testing.Short() && !mandatory {
		t.Skip("browser tests skipped in -short mode; set " + EnvMandatory + "=1 to make them mandatory")
	}
	execPath := FindChromium()
	if execPath == "" {
		if mandatory {
			t.Fatalf("browser tests are mandatory (%s=1), but no Chromium was found on PATH (looked for %s); install it, e.g. apt-get install chromium",
				EnvMandatory, strings.Join(browserNames, ", "))
		}
		t.Skip("browser tests skipped: no Chromium found; set " + EnvMandatory + "=1 to make them mandatory")
	}

	// TempDir first: its removal is a cleanup too, and cleanups run last in,
	// first out, so the browser stops before its profile is removed.
	profile := t.TempDir()
	out := &syncBuffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(execPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(DesktopWidth, DesktopHeight),
		chromedp.CombinedOutput(out),
	)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(tabCtx, Timeout)
	var console *consoleLog
	t.Cleanup(func() {
		var msgs []chromedp.ConsoleMessage
		if t.Failed() && console != nil {
			msgs, _ = console.all("")
		}
		cancelTimeout()
		cancelTab()   // closes the tab and the browser
		cancelAlloc() // waits until the browser process has exited
		if console != nil {
			<-console.done
		}
		if t.Failed() {
			for _, m := range msgs {
				t.Logf("browser console: %s", m)
			}
			if s := browserOutput(out.String()); s != "" {
				t.Logf("browser output:\n%s", s)
			}
		}
	})

	// Start the browser now, so that a broken installation is reported here
	// and not by the first action of the test.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v\n%s", execPath, err, browserOutput(out.String()))
	}
	console = watchConsole(ctx)
	return context.WithValue(ctx, consoleKey{}, console)
}

// browserOutput returns the last lines of the output of the browser, without
// the D-Bus errors that Chromium always prints where no D-Bus runs, as in
// containers.
func browserOutput(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" && !strings.Contains(l, ":ERROR:dbus/") {
			lines = append(lines, l)
		}
	}
	if len(lines) > 40 {
		lines = append([]string{"..."}, lines[len(lines)-40:]...)
	}
	return strings.Join(lines, "\n")
}

// syncBuffer is a bytes.Buffer that is safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Navigate loads pageURL in the tab and waits for its load event.
func Navigate(ctx context.Context, pageURL string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		return fmt.Errorf("navigate to %s: %w", pageURL, err)
	}
	return nil
}

// Location returns the URL of the current page.
func Location(ctx context.Context) (string, error) {
	return chromedp.Run(ctx, chromedp.Location())
}

// Title returns the title of the current page.
func Title(ctx context.Context) (string, error) {
	return chromedp.Run(ctx, chromedp.Title())
}

// Fill types values into form fields. It takes pairs of a CSS selector and a
// value:
//
//	err := browsertest.Fill(ctx, "#email", "a@example.com", "#password", "secret")
//
// A text-like input or a textarea gets its text replaced by the value, typed
// as key presses, so the page sees the same events as from a user. A select
// element, and an input of type date, time, datetime-local, month, week,
// color or range, gets its value set directly, followed by the input and
// change events (give the value in the format of the value property, e.g.
// "2025-07-01" for a date). A checkbox or radio button is clicked when its
// checked state differs from the value, which must be "true" or "false".
func Fill(ctx context.Context, selectorValuePairs ...string) error {
	if len(selectorValuePairs)%2 != 0 {
		return errors.New("browsertest.Fill: want pairs of selector and value")
	}
	for i := 0; i < len(selectorValuePairs); i += 2 {
		sel, value := selectorValuePairs[i], selectorValuePairs[i+1]
		if err := fillOne(ctx, sel, value); err != nil {
			return fmt.Errorf("fill %s: %w", sel, err)
		}
	}
	return nil
}

// fieldKindJS returns the kind of a form field: "set" (the value is set
// directly), "checkbox" (also for radio buttons) or "text".
const fieldKindJS = `function() {
	const tag = this.tagName.toLowerCase();
	if (tag === "select") return "set";
	if (tag !== "input") return "text";
	switch (this.type) {
	case "checkbox": case "radio":
		return "checkbox";
	case "date": case "time": case "datetime-local": case "month": case "week": case "color": case "range":
		return "set";
	}
	return "text";
}`

func fillOne(ctx context.Context, sel, value string) error {
	css := chromedp.CSS(sel)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(css)); err != nil {
		return err
	}
	kind, err := callOn[string](ctx, sel, fieldKindJS)
	if err != nil {
		return err
	}
	switch kind {
	case "set":
		ok, err := callOn[bool](ctx, sel, `function(v) {
			this.value = v;
			this.dispatchEvent(new Event("input", {bubbles: true}));
			this.dispatchEvent(new Event("change", {bubbles: true}));
			return this.value === v;
		}`, value)
		if err == nil && !ok {
			err = fmt.Errorf("the field does not accept the value %q", value)
		}
		return err
	case "checkbox":
		want := value == "true"
		if value != "true" && value != "false" {
			return fmt.Errorf("value %q for a checkbox or radio button: want true or false", value)
		}
		checked, err := callOn[bool](ctx, sel, `function() { return this.checked; }`)
		if err != nil {
			return err
		}
		if checked != want {
			return chromedp.Do(ctx, chromedp.Click(css))
		}
		return nil
	default:
		// Select the current text and type over it; this keeps the events
		// of a real user and also works for inputs that chromedp.Clear
		// does not handle.
		if _, err := callOn[bool](ctx, sel, `function() {
			this.focus();
			if (typeof this.select === "function") this.select();
			return true;
		}`); err != nil {
			return err
		}
		if value == "" {
			return chromedp.Do(ctx, chromedp.KeyEvent("\b"))
		}
		return chromedp.Do(ctx, chromedp.SendKeys(css, value))
	}
}

// callOn calls the JavaScript function fn with this set to the first element
// that matches the CSS selector sel, and decodes its result.
func callOn[T any](ctx context.Context, sel, fn string, args ...any) (T, error) {
	var zero T
	if args == nil {
		args = []any{}
	}
	argsJSON, err := json.Marshal(args)
	if err != nil {
		return zero, err
	}
	expr := fmt.Sprintf(`(() => {
		const el = document.querySelector(%s);
		if (!el) throw new Error("no element matches " + %s);
		return (%s).apply(el, %s);
	})()`, jsString(sel), jsString(sel), fn, argsJSON)
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

// Click clicks the first element that matches the CSS selector sel, after it
// is visible. It does not wait for a navigation; see [ClickAndWait].
func Click(ctx context.Context, sel string) error {
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		return fmt.Errorf("click %s: %w", sel, err)
	}
	return nil
}

// ClickAndWait clicks the first element that matches the CSS selector sel,
// such as the submit button of a form or a link, waits until the page that
// the click loads has finished loading, and returns the HTTP status code of
// that page. It blocks until the context ends when the click loads no page.
func ClickAndWait(ctx context.Context, sel string) (int, error) {
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		return 0, fmt.Errorf("click %s and wait for the page: %w", sel, err)
	}
	if resp == nil {
		return 0, fmt.Errorf("click %s: no response for the new page", sel)
	}
	return int(resp.Status), nil
}

// Text returns the visible text (innerText) of the first element that matches
// the CSS selector sel.
func Text(ctx context.Context, sel string) (string, error) {
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		return "", fmt.Errorf("text of %s: %w", sel, err)
	}
	return s, nil
}

// Value returns the value of the form field that matches the CSS selector sel.
func Value(ctx context.Context, sel string) (string, error) {
	s, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		return "", fmt.Errorf("value of %s: %w", sel, err)
	}
	return s, nil
}

// WaitVisible waits until an element that matches the CSS selector sel is
// visible.
func WaitVisible(ctx context.Context, sel string) error {
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		return fmt.Errorf("wait for %s: %w", sel, err)
	}
	return nil
}

// Exists reports whether an element matches the CSS selector sel now,
// without waiting.
func Exists(ctx context.Context, sel string) (bool, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%s) !== null", jsString(sel))))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a JSON string is a JavaScript string literal
	return string(b)
}

// SetViewport sets the size of the viewport, in CSS pixels, for the current
// tab (device metrics emulation). It stays in effect across navigations.
func SetViewport(ctx context.Context, width, height int64) error {
	return chromedp.Do(ctx, chromedp.EmulateViewport(width, height))
}

// PhoneViewport emulates the 375×812 viewport of a phone in portrait
// orientation.
func PhoneViewport(ctx context.Context) error {
	return chromedp.Do(ctx, chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulatePortrait))
}

// DesktopViewport emulates a 1280×900 viewport. Without emulation the page
// gets the browser window of 1280×900 minus the height of the browser's own
// (invisible) toolbars, about 1280×757 with Chromium 156.
func DesktopViewport(ctx context.Context) error {
	return SetViewport(ctx, DesktopWidth, DesktopHeight)
}

// Screenshot saves a PNG screenshot of the whole page, beyond the viewport,
// to the file path. Its directory must exist.
func Screenshot(ctx context.Context, path string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	return os.WriteFile(path, png, 0o644)
}
