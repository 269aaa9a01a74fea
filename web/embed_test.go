package web

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"backpack/openbadges"
	"backpack/store"
)

func TestEmbedsAreFramableAndInert(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	href, pub := shareFirstBadge(t, a, alice, is)
	slug := strings.TrimPrefix(pub, "/b/")

	// The owner gets copy-ready snippets.
	p := alice.get(href)
	if !strings.Contains(p.doc.Find("#badge-snippet-iframe").Text(), "/embed/b/"+slug) || !strings.Contains(p.doc.Find("#badge-snippet-md").Text(), "/embed/b/"+slug+".svg") ||
		!strings.Contains(p.doc.Find("#badge-snippet-script").Text(), `data-backpack-embed="http://backpack.test/embed/b/`+slug+`"`) {
		t.Fatalf("snippets: %s", p.doc.Find("[data-testid=embed-snippets]").Text())
	}

	visitor := a.browser(t)
	e := visitor.get("/embed/b/" + slug)
	wantStatus(t, e, http.StatusOK)
	if csp := e.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("embed CSP %q", csp)
	}
	if e.Header.Get("X-Frame-Options") != "" || len(e.Cookies()) != 0 || e.doc.Find("form").Length() != 0 || !onlyFrameScript(e) {
		t.Errorf("embed frame header, cookies, form or script: %v %s", e.Header, e.body)
	}
	if n := e.doc.Find("[data-testid=embed-card]").Length(); n != 1 || !strings.Contains(e.text(), "Robot Wrangler") {
		t.Fatalf("embed: %s", e.text())
	}
	// Every other page stays unframable.
	for _, path := range []string{pub, "/", "/login", href} {
		if csp := alice.get(path).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	// The shield is a static SVG.
	sv := visitor.get("/embed/b/" + slug + ".svg")
	if sv.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(sv.body, "verified") || !strings.Contains(sv.body, "Robot Wrangler") {
		t.Fatalf("shield: %s %s", sv.Header.Get("Content-Type"), sv.body)
	}
	// Not shared: 404 everywhere.
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"off"}})
	for _, path := range []string{"/embed/b/" + slug, "/embed/b/" + slug + ".svg"} {
		wantStatus(t, visitor.get(path), http.StatusNotFound)
	}
}

func TestShieldAndEmbedEscapeHostileNames(t *testing.T) {
	a := newApp(t)
	a.signUpConfirmed(t, "alice@example.org")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	evil := `</text><script>alert(1)</script><text x="0" onload="alert(2)">`
	bj, _ := json.Marshal(openbadges.Badge{Name: evil})
	sum := sha256.Sum256([]byte("e"))
	id, _, err := a.db.SaveBadge(context.Background(), store.Badge{UserID: u.ID, ContentHash: sum[:], Original: []byte("e"),
		OriginalType: "json", Name: evil, IssuerName: evil, BadgeJSON: bj, ReportJSON: []byte(`{}`), Status: store.StatusRevoked,
		VerifiedAt: a.clock.now(), CreatedAt: a.clock.now()})
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := a.db.ShareBadge(context.Background(), u.ID, id, "EVILEVILEVILEVILEVILEVILEV", a.clock.now())
	sv := a.browser(t).get("/embed/b/" + sh.Slug + ".svg")
	if strings.Contains(sv.body, "<script") || strings.Contains(sv.body, "onload=") || !strings.Contains(sv.body, "revoked") {
		t.Fatalf("shield: %s", sv.body)
	}
	if !strings.Contains(sv.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatal("shield without a sandbox CSP")
	}
	e := a.browser(t).get("/embed/b/" + sh.Slug)
	if !onlyFrameScript(e) || strings.Contains(e.body, "<script>alert") {
		t.Fatal("embed: hostile name became markup")
	}
}

func TestCollectionEmbed(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	col := collectionWithBadges(t, alice, is, 2)
	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"on"}})
	link, _ := alice.get(col).doc.Find(`[data-testid=collection-link]`).Attr("href")
	slug := strings.TrimPrefix(mustPath(t, link), "/c/")
	e := a.browser(t).get("/embed/c/" + slug)
	wantStatus(t, e, http.StatusOK)
	if n := e.doc.Find("[data-testid=embed-card]").Length(); n != 2 || !strings.Contains(e.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Fatalf("collection embed: %d cards, CSP %q", n, e.Header.Get("Content-Security-Policy"))
	}
	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"off"}})
	wantStatus(t, a.browser(t).get("/embed/c/"+slug), http.StatusNotFound)
}

func mustPath(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// onlyFrameScript reports whether the page's one script is our own height
// reporter, loaded from /static/.
func onlyFrameScript(p *page) bool {
	scripts := p.doc.Find("script")
	src, _ := scripts.Attr("src")
	return scripts.Length() == 1 && strings.HasPrefix(src, "/static/embed-frame.") && strings.TrimSpace(scripts.Text()) == ""
}
