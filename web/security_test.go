package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
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

func TestOversizedBodyIsRefused(t *testing.T) {
	a := newApp(t)
	b := a.browser(t)
	b.get("/signup")
	p := b.post("/signup", url.Values{"email": {"a@example.org"}, "password": {strings.Repeat("x", 2<<20)}})
	wantStatus(t, p, http.StatusRequestEntityTooLarge)
	if !strings.Contains(p.text(), "too large") {
		t.Errorf("413 page: %s", p.text())
	}
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
