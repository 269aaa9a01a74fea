package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"backpack/badges"
	"backpack/openbadges/problem"
	"backpack/store"
)

func TestPostWithoutCSRFTokenIsRefused(t *testing.T) {
	a := newApp(t)
	signedIn := a.signUpConfirmed(t, "alice@example.org")
	forms := map[string]url.Values{
		"/signup":          {"email": {"x@example.org"}, "password": {goodPassword}},
		"/login":           {"email": {"alice@example.org"}, "password": {goodPassword}},
		"/password/forgot": {"email": {"alice@example.org"}},
		"/logout":          {},
		"/settings/delete": {"password": {goodPassword}, "confirm": {"yes"}},
	}
	mails := len(a.mail.all())
	for path, form := range forms {
		for name, token := range map[string]string{"missing": "", "wrong": "not-the-token"} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if token != "" {
				f.Set("_csrf", token)
			}
			p := signedIn.postRaw(path, f)
			if p.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %s token: %d, want 403", path, name, p.StatusCode)
			}
			if !strings.Contains(p.text(), "form has expired") {
				t.Errorf("POST %s: 403 page does not explain: %s", path, p.text())
			}
		}
	}
	if len(a.mail.all()) != mails {
		t.Error("a refused request sent mail")
	}
	// Nothing happened: still signed in, account still there.
	wantStatus(t, signedIn.get("/badges"), http.StatusOK)
}

func TestCrossSiteRequestsAreRefusedEvenWithAToken(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	tests := []struct {
		headers map[string]string
		want    int
	}{
		{map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden},
		{map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://sub.backpack.test"}, http.StatusForbidden},
		{map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
		{map[string]string{}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		b.get("/settings")
		b.header = http.Header{}
		for k, v := range tt.headers {
			b.header.Set(k, v)
		}
		p := b.post("/settings/sessions", url.Values{"scope": {"others"}})
		b.header = http.Header{}
		if p.StatusCode != tt.want {
			t.Errorf("headers %v: %d, want %d", tt.headers, p.StatusCode, tt.want)
		}
	}
}

func TestLogoutNeedsPost(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	p := b.get("/logout")
	if p.StatusCode != http.StatusMethodNotAllowed && p.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /logout: %d", p.StatusCode)
	}
	wantStatus(t, b.get("/badges"), http.StatusOK)
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	paths := []string{"/", "/signup", "/login", "/password/forgot", "/badges", "/settings", "/healthz", "/no-such-page", "/confirm/x", a.css}
	for _, r := range a.Echo().Routes() {
		if r.Method == http.MethodGet && !strings.Contains(r.Path, ":") {
			paths = append(paths, r.Path)
		}
	}
	for _, p := range paths {
		resp := b.get(p)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "script-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") && strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
			t.Errorf("%s: CSP allows inline scripts", p)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", p)
		}
		if h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: no Referrer-Policy", p)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", p)
		}
	}
}

func TestSessionCookieFlags(t *testing.T) {
	check := func(t *testing.T, a *app, wantName string, wantSecure bool) {
		b := a.browser(t)
		b.get("/signup")
		b.post("/signup", url.Values{"email": {"alice@example.org"}, "password": {goodPassword}})
		b.get(a.mail.lastLink(t, "alice@example.org"))
		b.get("/login")
		p := b.post("/login", url.Values{"email": {"alice@example.org"}, "password": {goodPassword}})
		wantStatus(t, p, http.StatusSeeOther)
		var found bool
		for _, c := range p.Cookies() {
			if c.Name != wantName {
				continue
			}
			found = true
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, no Domain", c)
			}
			if c.MaxAge <= 0 || c.MaxAge > 43200 {
				t.Errorf("cookie Max-Age %d, want 1..43200", c.MaxAge)
			}
			if c.Secure != wantSecure {
				t.Errorf("cookie Secure = %v, want %v", c.Secure, wantSecure)
			}
		}
		if !found {
			t.Fatalf("no %s cookie set on sign-in: %v", wantName, p.Header.Values("Set-Cookie"))
		}
	}
	t.Run("http", func(t *testing.T) { check(t, newApp(t), "backpack", false) })
	t.Run("https", func(t *testing.T) {
		a := newApp(t, func(c *Config) { c.BaseURL = &url.URL{Scheme: "https", Host: "backpack.test"} })
		check(t, a, "__Host-backpack", true)
		if h := a.browser(t).get("/").Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
			t.Errorf("no HSTS over https: %q", h)
		}
	})
}

func TestTamperedCookieIsNotASession(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	for _, c := range b.jar.Cookies(base) {
		if c.Name != "backpack" {
			continue
		}
		raw, err := base64.URLEncoding.DecodeString(c.Value)
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)/2] ^= 1
		c.Value = base64.URLEncoding.EncodeToString(raw)
		b.jar.SetCookies(base, []*http.Cookie{c})
	}
	wantRedirect(t, b.get("/badges"), "/login?next=%2Fbadges")
}

func TestSessionKeyRotation(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	oldCookies := b.jar.Cookies(base)
	newKey := make([]byte, 64)
	copy(newKey, "a different key of sixty-four bytes for signing and encrypting!!")
	rotated, err := New(Config{Store: a.db, Mail: a.mail, BaseURL: a.cfg.BaseURL, Now: a.clock.now,
		Hasher: a.hasher, SessionKeys: [][]byte{newKey, testKey}})
	if err != nil {
		t.Fatal(err)
	}
	a.Server = rotated
	wantStatus(t, b.get("/badges"), http.StatusOK) // the old cookie still decodes

	onlyNew, _ := New(Config{Store: a.db, Mail: a.mail, BaseURL: a.cfg.BaseURL, Now: a.clock.now,
		Hasher: a.hasher, SessionKeys: [][]byte{newKey}})
	a.Server = onlyNew
	b.jar.SetCookies(base, oldCookies) // pages re-sign the cookie: replay the old one
	wantRedirect(t, b.get("/badges"), "/login?next=%2Fbadges")

	if _, err := New(Config{Store: a.db, Mail: a.mail, BaseURL: a.cfg.BaseURL, SessionKeys: [][]byte{[]byte("short")}}); err == nil {
		t.Fatal("a 5-byte session key was accepted")
	}
}

func TestIdleAndAbsoluteSessionTimeouts(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	a.clock.add(sessionIdle + time.Minute)
	wantRedirect(t, b.get("/badges"), "/login?next=%2Fbadges")

	b.login("alice@example.org", goodPassword)
	for elapsed := time.Duration(0); elapsed < sessionLifetime-time.Hour; elapsed += time.Hour {
		a.clock.add(time.Hour)
		wantStatus(t, b.get("/badges"), http.StatusOK) // active: the idle limit never bites
	}
	a.clock.add(time.Hour)
	wantRedirect(t, b.get("/badges"), "/login?next=%2Fbadges")
}

func TestErrorPagesHideInternals(t *testing.T) {
	a := newApp(t)
	a.Echo().GET("/boom", func(echo.Context) error { return errors.New("SECRET database detail") })
	a.Echo().GET("/api/boom", func(echo.Context) error { return errors.New("SECRET database detail") })
	a.Echo().GET("/panic", func(echo.Context) error { panic("SECRET panic detail") })
	b := a.browser(t)

	for _, path := range []string{"/boom", "/panic"} {
		p := b.get(path)
		wantStatus(t, p, http.StatusInternalServerError)
		if strings.Contains(p.body, "SECRET") || !p.has(`[data-testid=error]`) {
			t.Errorf("%s: %s", path, p.body)
		}
	}
	if !strings.Contains(a.logs.String(), "SECRET database detail") {
		t.Error("the internal error was not logged")
	}

	p := b.get("/api/boom")
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || strings.Contains(p.body, "SECRET") {
		t.Errorf("JSON route error: %s %s", ct, p.body)
	}

	p = b.get("/no-such-page")
	wantStatus(t, p, http.StatusNotFound)
	if !strings.Contains(p.text(), "Page not found") || p.doc.Find("title").Text() == "" {
		t.Errorf("404 page: %s", p.text())
	}
	b.header.Set("Accept", "application/json")
	p = b.get("/no-such-page")
	if !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") || !strings.Contains(p.body, `"status":404`) {
		t.Errorf("404 for a JSON client: %s", p.body)
	}
	b.header = http.Header{}

	req := httptest.NewRequest(http.MethodHead, "http://backpack.test/no-such-page", nil)
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound || rec.Body.Len() != 0 {
		t.Errorf("HEAD 404: %d with %d bytes", rec.Code, rec.Body.Len())
	}
}

// TestErrorTable answers each error of the table, plain and wrapped, as a
// page, as JSON and to HEAD: the status and the user's words, never the
// error's own text.
func TestErrorTable(t *testing.T) {
	a := newApp(t)
	msg := func(status int) [2]string { return userMessages[status] }
	cases := []struct {
		name          string
		err           error
		status        int
		heading, text string
	}{
		{"store not found", store.ErrNotFound, http.StatusNotFound, msg(404)[0], msg(404)[1]},
		{"store conflict", store.ErrConflict, http.StatusConflict, msg(409)[0], msg(409)[1]},
		{"verification problem", problem.New(problem.SignatureInvalid, "the proof does not verify"), http.StatusUnprocessableEntity,
			msg(422)[0], "The badge's signature does not match: it was changed after it was issued, or not issued by whom it says (the proof does not verify)."},
		{"import refusal", &badges.Refusal{Code: badges.CodeTooManyBadges, N: 12000, Max: 10000}, http.StatusUnprocessableEntity,
			msg(422)[0], "This ZIP file holds 12000 badges; at most 10000 can be imported at once. Split it in two."},
		{"user error", userErrorf("You sent %d files; at most %d can be added at once.", 60, 50), http.StatusUnprocessableEntity,
			msg(422)[0], "You sent 60 files; at most 50 can be added at once."},
		{"body too large", &http.MaxBytesError{Limit: defaultBody}, http.StatusRequestEntityTooLarge, msg(413)[0], msg(413)[1]},
		{"echo not found", echo.ErrNotFound, http.StatusNotFound, msg(404)[0], msg(404)[1]},
		{"echo bad request", echo.NewHTTPError(http.StatusBadRequest, "SECRET unknown action"), http.StatusBadRequest, msg(400)[0], msg(400)[1]},
		{"csrf", errCSRF, http.StatusForbidden, msg(403)[0], msg(403)[1]},
		{"rate limit", tooMany(90 * time.Second), http.StatusTooManyRequests, msg(429)[0], msg(429)[1]},
		{"internal", errors.New("SECRET table users is locked"), http.StatusInternalServerError, msg(500)[0], msg(500)[1]},
	}
	answer := func(err error, method, path, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "http://backpack.test"+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		a.handleError(err, a.Echo().NewContext(req, rec))
		return rec
	}
	for _, tc := range cases {
		for _, err := range []error{tc.err, fmt.Errorf("SECRET context: %w", tc.err)} {
			t.Run(tc.name, func(t *testing.T) {
				rec := answer(err, http.MethodGet, "/badges/7", "")
				if rec.Code != tc.status {
					t.Fatalf("status %d, want %d", rec.Code, tc.status)
				}
				doc, _ := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
				box := doc.Find("[data-testid=error]")
				if h := strings.TrimSpace(box.Find("h1").Text()); h != tc.heading {
					t.Errorf("heading %q, want %q", h, tc.heading)
				}
				if p := strings.TrimSpace(box.Find("p").First().Text()); p != tc.text {
					t.Errorf("text %q, want %q", p, tc.text)
				}
				if strings.Contains(rec.Body.String(), "SECRET") {
					t.Errorf("the page shows the error: %s", rec.Body.String())
				}
				if tc.status == http.StatusTooManyRequests && rec.Header().Get("Retry-After") != "90" {
					t.Errorf("Retry-After %q, want 90", rec.Header().Get("Retry-After"))
				}

				// JSON routes and JSON clients get the same words as JSON.
				for _, r := range []struct{ path, accept string }{{"/b/x.json", ""}, {"/badges/7", "application/json"}} {
					rec := answer(err, http.MethodGet, r.path, r.accept)
					var got struct {
						Error struct {
							Status  int    `json:"status"`
							Message string `json:"message"`
						} `json:"error"`
					}
					if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
						t.Fatalf("%s: not JSON (%v): %s", r.path, err, rec.Body.String())
					}
					if rec.Code != tc.status || got.Error.Status != tc.status || got.Error.Message != tc.text {
						t.Errorf("%s: %d %+v, want %d %q", r.path, rec.Code, got.Error, tc.status, tc.text)
					}
				}

				rec = answer(err, http.MethodHead, "/badges/7", "")
				if rec.Code != tc.status || rec.Body.Len() != 0 {
					t.Errorf("HEAD: %d with %d bytes", rec.Code, rec.Body.Len())
				}
			})
		}
	}
	logs := a.logs.String()
	if !strings.Contains(logs, `level=ERROR msg="request failed"`) || !strings.Contains(logs, "SECRET table users is locked") {
		t.Errorf("the internal error was not logged as an error:\n%s", logs)
	}
	if strings.Contains(logs, `level=ERROR msg="request failed" method=GET path=/badges/7 status=404`) {
		t.Error("a 404 was logged as an error")
	}

	// A response already begun is left alone.
	req := httptest.NewRequest(http.MethodGet, "http://backpack.test/settings/export.zip", nil)
	rec := httptest.NewRecorder()
	c := a.Echo().NewContext(req, rec)
	if err := c.String(http.StatusOK, "half an archive"); err != nil {
		t.Fatal(err)
	}
	a.handleError(store.ErrNotFound, c)
	if rec.Code != http.StatusOK || rec.Body.String() != "half an archive" {
		t.Errorf("committed response changed: %d %q", rec.Code, rec.Body.String())
	}
}

// TestOversizedBodyIsRefused: every route has a body limit in force
// before anything reads the body, with or without a Content-Length; the
// upload routes declare larger ones.
func TestOversizedBodyIsRefused(t *testing.T) {
	a := newApp(t)
	b := a.browser(t)
	b.get("/signup")
	big := strings.Repeat("x", defaultBody+1)
	p := b.post("/signup", url.Values{"email": {"a@example.org"}, "password": {big}})
	wantStatus(t, p, http.StatusRequestEntityTooLarge)
	if !strings.Contains(p.text(), "too large") {
		t.Errorf("413 page: %s", p.text())
	}

	// chunked sends body with no Content-Length, as a chunked request
	// arrives: the limit is found while reading.
	chunked := func(b *browser, path, contentType string, body []byte) *page {
		req := httptest.NewRequest(http.MethodPost, b.origin()+path, io.MultiReader(bytes.NewReader(body)))
		req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
		req.Header.Set("Content-Type", contentType)
		return b.do(req)
	}
	form := func(b *browser) []byte {
		return []byte(url.Values{"_csrf": {b.csrf}, "email": {"a@example.org"}, "name": {"n"}, "badge_id": {"1"}, "filler": {big}}.Encode())
	}
	const urlencoded = "application/x-www-form-urlencoded"
	alice := a.signUpConfirmed(t, "alice@example.org")
	for _, tc := range []struct {
		b    *browser
		path string
	}{
		{b, "/signup"},
		{b, "/login"},
		{b, "/b/" + strings.Repeat("A", 26) + "/verify"}, // public: no session, no token
		{b, "/c/" + strings.Repeat("A", 26) + "/verify"},
		{alice, "/collections"},
		{alice, "/settings/profile"},
		{alice, "/badges"}, // an upload route, but a urlencoded form is held in memory
	} {
		tc.b.get("/")
		if p := chunked(tc.b, tc.path, urlencoded, form(tc.b)); p.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked POST %s: %d, want 413", tc.path, p.StatusCode)
		}
	}
	alice.get("/settings")
	body, ct := multipartBody(t, map[string]string{"_csrf": alice.csrf, "display_name": "A"}, "files", "big.bin", []byte(big))
	if p := chunked(alice, "/settings/profile", ct, body); p.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked multipart POST /settings/profile: %d, want 413", p.StatusCode)
	}

	// The upload routes take more than an ordinary form, with or without
	// a Content-Length, up to their own limits.
	noise := make([]byte, defaultBody+defaultBody/4) // 1.25 MiB that do not compress
	rand.NewChaCha8([32]byte{}).Read(noise)
	alice.get("/badges/new")
	p = alice.postFiles([]upload{{"noise.png", noise}}, nil, "")
	wantStatus(t, p, http.StatusOK)
	if o := p.doc.Find(`[data-testid=import-result]`).AttrOr("data-outcome", ""); o != "rejected" {
		t.Errorf("a 1.25 MiB upload: outcome %q: %s", o, p.text())
	}
	alice.get("/badges/new")
	body, ct = multipartBody(t, map[string]string{"_csrf": alice.csrf}, "files", "noise.png", noise)
	wantStatus(t, chunked(alice, "/badges", ct, body), http.StatusOK)
	importZip(t, alice, "noise.zip", zipOf(t, "noise.png", noise))
	// A declared limit is in force before csrf reads the form, chunked or
	// not: a route declared here for 2 MiB takes 1.25 MiB and refuses 3.
	a.acceptBody(a.Echo().POST("/test/upload", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }), 2<<20, 0)
	for size, want := range map[int]int{len(noise): http.StatusNoContent, 3 << 20: http.StatusRequestEntityTooLarge} {
		alice.get("/badges/new")
		body, ct := multipartBody(t, map[string]string{"_csrf": alice.csrf}, "files", "noise.png", make([]byte, size))
		if p := chunked(alice, "/test/upload", ct, body); p.StatusCode != want {
			t.Errorf("chunked POST of %d bytes to a 2 MiB route: %d, want %d", size, p.StatusCode, want)
		}
	}
	for path, limit := range map[string]int64{"/badges": maxUploadBody, "/imports": maxArchiveBody} {
		alice.get("/badges/new")
		body, ct := multipartBody(t, map[string]string{"_csrf": alice.csrf}, "files", "noise.png", noise)
		req := httptest.NewRequest(http.MethodPost, alice.origin()+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.ContentLength = limit + 1 // said, not sent: refused before reading
		if p := alice.do(req); p.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s of %d bytes: %d, want 413", path, limit+1, p.StatusCode)
		}
	}
}

// multipartBody is a multipart form with fields and one file.
func multipartBody(t testing.TB, fields map[string]string, field, name string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

func TestHealthz(t *testing.T) {
	a := newApp(t)
	p := a.browser(t).get("/healthz")
	if p.StatusCode != http.StatusOK || p.body != "ok" {
		t.Fatalf("healthz: %d %q", p.StatusCode, p.body)
	}
	a.db.Close()
	if p := a.browser(t).get("/healthz"); p.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz with the database closed: %d", p.StatusCode)
	}
}

func TestStaticAssetsAreHashedAndCached(t *testing.T) {
	a := newApp(t)
	b := a.browser(t)
	home := b.get("/")
	href, _ := home.doc.Find(`link[rel=stylesheet]`).Attr("href")
	if href != a.css || !strings.HasPrefix(href, "/static/app.") {
		t.Fatalf("stylesheet href %q", href)
	}
	p := b.get(href)
	wantStatus(t, p, http.StatusOK)
	if !strings.Contains(p.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/css") {
		t.Errorf("static headers: %v", p.Header)
	}
	wantStatus(t, b.get("/static/app.css"), http.StatusNotFound) // only hashed names
	wantStatus(t, b.get("/static/app.000000000000.css"), http.StatusNotFound)
}
