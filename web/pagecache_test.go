package web

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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
	var whileRendering func()
	h := a.cachedPublic(func(c echo.Context) error {
		calls++
		setOwner(c, owner.ID)
		if whileRendering != nil {
			whileRendering()
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
	// The first response only names the owner; the second is kept.
	first := get("/b/x")
	want("a first request", 1)
	get("/b/x")
	want("a second request", 2)
	third := get("/b/x")
	want("a repeat", 2)
	if third.Body.String() != first.Body.String() || third.Header().Get("X-Frame-Options") != "" || third.Header().Get("ETag") != `"v1"` {
		t.Fatalf("cached response differs: %q %v", third.Body.String(), third.Header())
	}
	if r := get("/b/x", "If-None-Match", `"v1"`); r.Code != http.StatusNotModified || r.Body.Len() != 0 {
		t.Fatalf("conditional hit: %d", r.Code)
	}
	want("a conditional repeat", 2)
	for range 3 {
		get("/b/x?theme=dark")
	}
	want("another theme, three times", 4)
	for range 3 {
		get("/b/x", "Accept", "application/json")
	}
	want("JSON, three times", 6)
	for _, q := range []string{"?checked=now", "?theme=blue", "?badge=1"} {
		for range 3 {
			get("/b/x" + q)
		}
	}
	want("queries are not cached", 15)
	for range 3 {
		get("/b/x?cookie=1")
	}
	want("responses that set cookies are not cached", 18)

	// Another user's writes, and writes no page shows, leave it kept.
	a.db.SetDisplayName(ctx, other.ID, "Other")
	a.db.CreateSession(ctx, store.Session{IDHash: []byte("s"), UserID: owner.ID, CreatedAt: a.clock.now(), LastSeenAt: a.clock.now(), ExpiresAt: a.clock.now().Add(time.Hour)})
	get("/b/x")
	want("after another user's write", 18)
	// The owner's writes, or the TTL, make it render again.
	if err := a.db.SetDisplayName(ctx, owner.ID, "Owner"); err != nil {
		t.Fatal(err)
	}
	get("/b/x")
	want("after the owner's write", 19)
	get("/b/x")
	want("after the owner's write, again", 19)
	a.clock.add(pageTTL)
	get("/b/x")
	want("after the TTL", 20)
	get("/b/x")
	want("after the TTL, again", 20)
	// A response during which the owner's write became visible is not
	// kept: it might be older than the version it would be kept with.
	a.clock.add(pageTTL)
	whileRendering = func() { a.db.SetDisplayName(ctx, owner.ID, fmt.Sprint("meanwhile ", calls)) }
	get("/b/x")
	whileRendering = nil
	get("/b/x")
	want("after a write while rendering", 22)
	get("/b/x")
	want("kept again", 22)
	// Another user's write meanwhile does not matter.
	a.clock.add(pageTTL)
	whileRendering = func() { a.db.SetDisplayName(ctx, other.ID, fmt.Sprint("meanwhile ", calls)) }
	get("/b/x")
	whileRendering = nil
	get("/b/x")
	want("after another user's write while rendering", 23)
}

// TestPageCacheSeesAnotherInstance runs two app instances on one
// database: the app under test and a second store handle on its data
// folder, as another instance would open it. What the second one writes
// shows on the first app's kept pages at once, without the clock moving.
func TestPageCacheSeesAnotherInstance(t *testing.T) {
	a, targets := publicTargets(t, 3)
	ctx := context.Background()
	elsewhere, err := store.Open(ctx, filepath.Dir(a.db.Path()))
	if err != nil {
		t.Fatal(err)
	}
	defer elsewhere.Close()
	u, err := elsewhere.UserByEmail(ctx, "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	col, shield, embed := targets[0].path, targets[2].path, targets[1].path
	badgePage := "/b/" + strings.TrimSuffix(strings.TrimPrefix(shield, "/embed/b/"), ".svg")
	cols, err := elsewhere.Collections(ctx, u.ID)
	if err != nil || len(cols) != 1 {
		t.Fatalf("collections: %v, %v", cols, err)
	}
	b, _, err := elsewhere.SharedBadge(ctx, strings.TrimPrefix(badgePage, "/b/"))
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{col, embed, shield, badgePage}
	warm := func() {
		t.Helper()
		for _, p := range paths {
			fetchOK(t, a, p)
			fetchOK(t, a, p)
			if kept := a.pages.get(p + "\x00"); kept == nil || !kept.kept {
				t.Fatalf("%s is not kept after two requests", p)
			}
		}
	}
	shows := func(path, text string, yes bool) {
		t.Helper()
		body := fetchOK(t, a, path).Body.String()
		if strings.Contains(body, text) != yes {
			t.Errorf("%s: shows %q is %v, want %v:\n%s", path, text, !yes, yes, body)
		}
	}

	warm()
	shows(col, "Work I am proud of", true)
	if err := elsewhere.UpdateCollection(ctx, u.ID, cols[0].ID, "Renamed elsewhere", "", true, false, "", a.clock.now()); err != nil {
		t.Fatal(err)
	}
	shows(col, "Renamed elsewhere", true)
	shows(embed, "Renamed elsewhere", true)

	warm()
	if err := elsewhere.SetDisplayName(ctx, u.ID, "Alice Elsewhere"); err != nil {
		t.Fatal(err)
	}
	shows(col, "Alice Elsewhere", true)

	warm()
	shows(shield, "verified", true)
	if err := elsewhere.UpdateVerification(ctx, u.ID, b.ID, store.Verification{Reachable: true, Status: store.StatusRevoked,
		Name: "Revoked elsewhere", BadgeJSON: []byte(`{}`), ReportJSON: []byte(`{}`), At: a.clock.now()}); err != nil {
		t.Fatal(err)
	}
	shows(shield, "Revoked elsewhere: revoked", true)
	shows(col, "Revoked elsewhere", true)

	warm()
	if err := elsewhere.UpdateShare(ctx, u.ID, b.ID, false, false, false, "", a.clock.now()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{badgePage, shield} {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://backpack.test"+p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s after sharing stopped elsewhere: status %d, want 404", p, rec.Code)
		}
	}
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

// TestPageCacheIsBoundedByBytes: however many public pages are read, the
// kept responses never take more than pageCacheBytes; the least recently
// used go first, and entries older than pageTTL are dropped.
func TestPageCacheIsBoundedByBytes(t *testing.T) {
	a := newApp(t)
	owner, _, _ := a.db.CreateUser(context.Background(), "owner@example.org", "h", a.clock.now())
	const pageSize, pages = 32 << 10, 2000 // 62.5 MiB of pages: twice the budget
	calls := map[string]int{}
	h := a.cachedPublic(func(c echo.Context) error {
		calls[c.Request().URL.Path]++
		setOwner(c, owner.ID)
		body := bytes.Repeat([]byte{byte(len(calls))}, pageSize)
		return c.Blob(http.StatusOK, "text/html; charset=utf-8", body)
	})
	get := func(path string) {
		t.Helper()
		c := a.echo.NewContext(httptest.NewRequest(http.MethodGet, "http://backpack.test"+path, nil), httptest.NewRecorder())
		if err := h(c); err != nil {
			t.Fatal(err)
		}
	}
	held := func() (n int64) {
		for _, p := range a.pages.lru.Values() {
			n += p.size
		}
		return n
	}
	path := func(i int) string { return fmt.Sprintf("/b/page%d", i) }
	for i := range pages {
		get(path(i))
		get(path(i)) // kept
		get(path(0)) // read all along: never the least recently used
		if a.pages.bytes > pageCacheBytes {
			t.Fatalf("after %d pages the cache holds %d bytes, over its %d", i+1, a.pages.bytes, pageCacheBytes)
		}
	}
	if n := held(); n != a.pages.bytes || n < pageCacheBytes/2 {
		t.Errorf("the cache counts %d bytes, its entries take %d (budget %d)", a.pages.bytes, n, pageCacheBytes)
	}
	before := maps.Clone(calls)
	get(path(pages - 1))
	get(path(0))
	get(path(1))
	if calls[path(pages-1)] != before[path(pages-1)] || calls[path(0)] != before[path(0)] {
		t.Error("the most recently used pages were not kept")
	}
	if calls[path(1)] != before[path(1)]+1 {
		t.Error("the least recently used page was not evicted")
	}

	// Past the TTL, the next page kept drops all the others.
	a.clock.add(pageTTL)
	get("/b/fresh")
	if n := a.pages.lru.Len(); n != 1 || a.pages.bytes != held() {
		t.Errorf("after the TTL the cache holds %d entries (%d bytes), want only the new one", n, a.pages.bytes)
	}
}
