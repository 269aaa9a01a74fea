package browsertest_test

import (
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backpack/internal/browsertest"
)

// strictCSP is the policy of the app: no inline or eval'd script.
const strictCSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

const accessiblePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Accessible test page</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><a class="skip" href="#main">Skip to content</a></header>
<main id="main">
<h1>Pack list</h1>
<p>A page that should pass the axe checks.</p>
<a href="/form"><img src="/logo.svg" alt="Backpack home" width="48" height="48"></a>
<form method="post" action="/form">
  <label for="item">Item</label>
  <input id="item" name="item" type="text" autocomplete="off">
  <button type="submit">Add</button>
</form>
</main>
<script src="/app.js"></script>
<script>document.documentElement.dataset.inline = "ran";</script>
</body>
</html>`

const styleCSS = `body { font-family: sans-serif; margin: 2rem; color: #111; background: #fff; }
h1 { color: #0b3d91; }
.skip { position: absolute; left: -10000px; }
.skip:focus { left: 1rem; }
button { background: #0b3d91; color: #fff; border: 0; padding: .5rem 1rem; }`

const logoSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><rect width="48" height="48" rx="8" fill="#0b3d91"/></svg>`

// appJS proves that same-origin script runs under the CSP.
const appJS = `document.documentElement.dataset.js = "ok";`

// inaccessiblePage fails several serious or critical axe rules: an image
// without alt text in a link without text (image-alt, link-name), an input
// without a label (label), and no lang attribute (html-has-lang).
const inaccessiblePage = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>Inaccessible test page</title></head>
<body>
<main>
<h1>Broken</h1>
<a href="/somewhere"><img src="/logo.svg"></a>
<form><input type="text" name="q"></form>
</main>
</body>
</html>`

// formPage has a form that posts to itself and shows what it got.
func formPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", strictCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	result := ""
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var parts []string
		for _, k := range []string{"name", "email", "when", "size", "notes", "waterproof"} {
			parts = append(parts, fmt.Sprintf("%s=%s", k, r.PostForm.Get(k)))
		}
		result = `<p id="result" role="status">` + html.EscapeString(strings.Join(parts, "; ")) + `</p>`
	}
	fmt.Fprintf(w, `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Form</title><link rel="stylesheet" href="/style.css"></head>
<body><main>
<h1>Add an item</h1>
%s
<form method="post" action="/form">
  <label for="name">Name</label>
  <input id="name" name="name" type="text" value="old value">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" value="old@example.com">
  <label for="when">Date</label>
  <input id="when" name="when" type="date">
  <label for="size">Size</label>
  <select id="size" name="size"><option value="s">Small</option><option value="m">Medium</option><option value="l">Large</option></select>
  <label for="notes">Notes</label>
  <textarea id="notes" name="notes">draft</textarea>
  <label><input id="waterproof" name="waterproof" type="checkbox" value="yes"> Waterproof</label>
  <button id="save" type="submit">Save</button>
</form>
<button id="count" type="button">Clicked <span id="n">0</span> times</button>
<script src="/counter.js"></script>
</main></body></html>`, result)
}

const counterJS = `document.getElementById("count").addEventListener("click", () => {
	const n = document.getElementById("n");
	n.textContent = String(Number(n.textContent) + 1);
});`

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	static := func(ctype, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			fmt.Fprint(w, body)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", strictCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, accessiblePage)
	})
	mux.HandleFunc("GET /bad", static("text/html; charset=utf-8", inaccessiblePage))
	mux.HandleFunc("/form", formPage)
	mux.HandleFunc("GET /style.css", static("text/css", styleCSS))
	mux.HandleFunc("GET /logo.svg", static("image/svg+xml", logoSVG))
	mux.HandleFunc("GET /app.js", static("text/javascript", appJS))
	mux.HandleFunc("GET /counter.js", static("text/javascript", counterJS))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent) // no 404 in the console
	})
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

func TestAxeAccessiblePageUnderStrictCSP(t *testing.T) {
	srv := newServer(t)
	ctx := browsertest.New(t)

	vs, err := browsertest.AxeScan(ctx, srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Logf("violation: %s", v)
	}
	if s := browsertest.Serious(vs); len(s) > 0 {
		t.Errorf("accessible page: want no serious violations, got %v", s)
	}

	// The page's own script ran (script-src 'self'), so the CSP is in force
	// and does not block the page, and axe ran in the same document.
	js, err := browsertest.Exists(ctx, `html[data-js="ok"]`)
	if err != nil {
		t.Fatal(err)
	}
	if !js {
		t.Error("app.js did not run")
	}
	// The inline script of the page must be blocked by the CSP: the header
	// is in force, and the scan above ran under it.
	blocked, err := browsertest.Exists(ctx, `html[data-inline]`)
	if err != nil {
		t.Fatal(err)
	}
	if blocked {
		t.Error("inline script ran despite script-src 'self'")
	}
	// The only console error is the blocked inline script: axe, injected
	// over the DevTools protocol, caused no CSP violation.
	errs := browsertest.ConsoleErrors(ctx)
	if len(errs) != 1 || !strings.Contains(errs[0], "Content Security Policy") || !strings.Contains(errs[0], "inline script") {
		t.Errorf("console errors: want one for the blocked inline script, got %q", errs)
	}

	// Scanning the current page a second time reuses the injected axe.
	browsertest.RequireNoSeriousViolations(t, ctx, "")

	dir := os.Getenv("BROWSERTEST_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	shot := filepath.Join(dir, "accessible.png")
	if err := browsertest.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, shot, browsertest.DesktopWidth)

	if err := browsertest.PhoneViewport(ctx); err != nil {
		t.Fatal(err)
	}
	shot = filepath.Join(dir, "accessible-phone.png")
	if err := browsertest.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, shot, browsertest.PhoneWidth)
	browsertest.RequireNoSeriousViolations(t, ctx, "")
}

func TestAxeFindsViolations(t *testing.T) {
	srv := newServer(t)
	ctx := browsertest.New(t)

	vs, err := browsertest.AxeScan(ctx, srv.URL+"/bad")
	if err != nil {
		t.Fatal(err)
	}
	serious := browsertest.Serious(vs)
	if len(serious) == 0 {
		t.Fatalf("inaccessible page: want serious violations, got none (all: %v)", vs)
	}
	ids := map[string]bool{}
	for _, v := range serious {
		t.Logf("violation: %s", v)
		ids[v.ID] = true
		if len(v.Nodes) == 0 || v.Nodes[0].Target == "" {
			t.Errorf("violation %s has no target selectors", v.ID)
		}
		if v.Help == "" {
			t.Errorf("violation %s has no help text", v.ID)
		}
	}
	for _, id := range []string{"image-alt", "link-name", "label"} {
		if !ids[id] {
			t.Errorf("want a serious violation %q, got %v", id, serious)
		}
	}

	// RequireNoSeriousViolations must fail on this page.
	ft := &fakeT{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != errFatal {
				panic(r)
			}
		}()
		browsertest.RequireNoSeriousViolations(ft, ctx, "")
	}()
	if !ft.fatal {
		t.Error("RequireNoSeriousViolations did not fail on the inaccessible page")
	}
	if !strings.Contains(ft.msg, "image-alt") {
		t.Errorf("failure message does not name the rule: %s", ft.msg)
	}
}

func TestFormInteraction(t *testing.T) {
	srv := newServer(t)
	ctx := browsertest.New(t)

	if err := browsertest.Navigate(ctx, srv.URL+"/form"); err != nil {
		t.Fatal(err)
	}

	// A plain button with a same-origin script handler.
	for range 3 {
		if err := browsertest.Click(ctx, "#count"); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := browsertest.Text(ctx, "#n"); err != nil || n != "3" {
		t.Fatalf("counter = %q, %v; want 3", n, err)
	}

	if err := browsertest.Fill(ctx,
		"#name", "Tent & poles",
		"#email", "ann@example.com",
		"#when", "2025-07-01",
		"#size", "l",
		"#notes", "", // clears the textarea
		"#waterproof", "true",
	); err != nil {
		t.Fatal(err)
	}
	if v, err := browsertest.Value(ctx, "#name"); err != nil || v != "Tent & poles" {
		t.Fatalf("name = %q, %v; the old value must be replaced", v, err)
	}

	status, err := browsertest.ClickAndWait(ctx, "#save")
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK {
		t.Fatalf("status %d after submit", status)
	}
	got, err := browsertest.Text(ctx, "#result")
	if err != nil {
		t.Fatal(err)
	}
	if want := "name=Tent & poles; email=ann@example.com; when=2025-07-01; size=l; notes=; waterproof=yes"; got != want {
		t.Fatalf("result = %q, want %q", got, want)
	}
	loc, err := browsertest.Location(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/form") {
		t.Errorf("location %s", loc)
	}
	browsertest.RequireNoSeriousViolations(t, ctx, "")
	if errs := browsertest.ConsoleErrors(ctx); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

func checkPNG(t *testing.T, path string, wantWidth int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if cfg.Width != wantWidth || cfg.Height < 100 {
		t.Errorf("%s: %dx%d, want width %d", path, cfg.Width, cfg.Height, wantWidth)
	}
}

// fakeT records a Fatal without ending the real test.
type fakeT struct {
	testing.TB
	fatal bool
	msg   string
}

var errFatal = new(int)

func (f *fakeT) Helper() {}

func (f *fakeT) Logf(format string, args ...any) { f.TB.Logf(format, args...) }

func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatal = true
	f.msg = fmt.Sprintf(format, args...)
	panic(errFatal)
}
