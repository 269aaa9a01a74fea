package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/store"
)

func TestPageCache(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	owner, _, _ := a.db.CreateUser(ctx, "owner@example.org", "h", a.clock.now())
	other, _, _ := a.db.CreateUser(ctx, "other@example.org", "h", a.clock.now())
	calls := 0
	writeWhileRendering := false
	h := a.cachedPublic(func(c echo.Context) error {
		calls++
		setOwner(c, owner.ID)
		if writeWhileRendering {
			a.db.SetDisplayName(ctx, other.ID, "meanwhile")
		}
		c.Response().Header().Set("ETag", `"v1"`)
		c.Response().Header().Del("X-Frame-Options")
		if c.QueryParam("cookie") != "" {
			c.SetCookie(&http.Cookie{Name: "x", Value: "y"})
		}
		return c.String(http.StatusOK, "page "+c.QueryParam("theme"))
	})
	get := func(target string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+target, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		c := a.echo.NewContext(req, rec)
		c.Response().Header().Set("X-Frame-Options", "DENY") // as the middleware does
		if err := h(c); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	want := func(what string, n int) {
		t.Helper()
		if calls != n {
			t.Fatalf("%s: the handler ran %d times, want %d", what, calls, n)
		}
	}
	first := get("/b/x")
	second := get("/b/x")
	want("a repeat", 1)
	if second.Body.String() != first.Body.String() || second.Header().Get("X-Frame-Options") != "" || second.Header().Get("ETag") != `"v1"` {
		t.Fatalf("cached response differs: %q %v", second.Body.String(), second.Header())
	}
	if r := get("/b/x", "If-None-Match", `"v1"`); r.Code != http.StatusNotModified || r.Body.Len() != 0 {
		t.Fatalf("conditional hit: %d", r.Code)
	}
	want("a conditional repeat", 1)
	get("/b/x?theme=dark")
	get("/b/x?theme=dark")
	want("another theme, twice", 2)
	get("/b/x", "Accept", "application/json")
	want("JSON", 3)
	for _, q := range []string{"?checked=now", "?theme=blue", "?badge=1"} {
		get("/b/x" + q)
		get("/b/x" + q)
	}
	want("queries are not cached", 9)
	get("/b/x?cookie=1")
	get("/b/x?cookie=1")
	want("responses that set cookies are not cached", 11)

	// Another user's writes, and writes no page shows, leave it kept.
	a.db.SetDisplayName(ctx, other.ID, "Other")
	a.db.CreateSession(ctx, store.Session{IDHash: []byte("s"), UserID: owner.ID, CreatedAt: a.clock.now(), LastSeenAt: a.clock.now(), ExpiresAt: a.clock.now().Add(time.Hour)})
	get("/b/x")
	want("after another user's write", 11)
	// The owner's writes, or the TTL, make it render again.
	if err := a.db.SetDisplayName(ctx, owner.ID, "Owner"); err != nil {
		t.Fatal(err)
	}
	get("/b/x")
	want("after the owner's write", 12)
	get("/b/x")
	want("after the owner's write, again", 12)
	a.clock.add(pageTTL)
	get("/b/x")
	want("after the TTL", 13)
	// A response during which a write became visible is not kept: it might
	// be older than the stamp it would be kept with.
	a.clock.add(pageTTL)
	writeWhileRendering = true
	get("/b/x")
	writeWhileRendering = false
	get("/b/x")
	want("after a write while rendering", 15)
	get("/b/x")
	want("kept again", 15)
}

func TestCachedEmbedKeepsItsHeaders(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	_, pub := shareFirstBadge(t, a, alice, is)
	embed := strings.Replace(pub, "/b/", "/embed/b/", 1)
	v := a.browser(t)
	for i := range 2 {
		for _, path := range []string{embed, pub} {
			p := v.get(path)
			csp := p.Header.Get("Content-Security-Policy")
			framable := path == embed
			if strings.Contains(csp, "frame-ancestors *") != framable || (p.Header.Get("X-Frame-Options") == "") != framable {
				t.Errorf("request %d of %s: CSP %q, X-Frame-Options %q", i+1, path, csp, p.Header.Get("X-Frame-Options"))
			}
		}
	}
}
