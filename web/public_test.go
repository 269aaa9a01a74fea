package web

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"backpack/openbadges"
	"backpack/store"
)

// shareFirstBadge imports a badge for alice, shares it and returns the
// badge page path and the public link's path.
func shareFirstBadge(t *testing.T, a *app, b *browser, is *testIssuer) (string, string) {
	t.Helper()
	b.get("/badges/new")
	b.postFiles([]upload{{"b.json", is.hosted("/a/1", "alice@example.org")}}, nil, "")
	href, _ := b.get("/badges").doc.Find(`[data-testid=badge-card] a`).First().Attr("href")
	b.get(href)
	wantRedirect(t, b.post(href+"/share", url.Values{"do": {"on"}}), href+"#share-h")
	link, ok := b.get(href).doc.Find(`[data-testid=share-link]`).Attr("href")
	if !ok {
		t.Fatal("no share link on the badge page")
	}
	u, _ := url.Parse(link)
	return href, u.Path
}

func TestPublicBadgePage(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	href, pub := shareFirstBadge(t, a, alice, is)
	if slug := strings.TrimPrefix(pub, "/b/"); len(slug) < 26 {
		t.Fatalf("slug %q is shorter than 128 bits of base32", slug)
	}

	visitor := a.browser(t)
	visitor.remote = "198.51.100.20:1234"
	p := visitor.get(pub)
	wantStatus(t, p, http.StatusOK)
	if !strings.Contains(p.text(), "Robot Wrangler") || !strings.Contains(p.text(), "Test Academy") || !strings.Contains(p.text(), "Last verified") {
		t.Fatalf("public page: %s", p.text())
	}
	for _, private := range []string{"alice@example.org", "Sign out", "Settings", "_csrf"} {
		if strings.Contains(p.body, private) {
			t.Errorf("public page shows %q", private)
		}
	}
	if len(p.Cookies()) != 0 {
		t.Errorf("public page sets cookies: %v", p.Header.Values("Set-Cookie"))
	}
	h := p.Header
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("Referrer-Policy") != "no-referrer" ||
		h.Get("X-Robots-Tag") != "noindex" || !p.has(`meta[name=robots][content=noindex]`) {
		t.Errorf("headers %v", h)
	}
	og, _ := p.doc.Find(`meta[property="og:image"]`).Attr("content")
	if !strings.HasPrefix(og, "http://backpack.test/img/") || !p.has(`meta[property="og:title"]`) || !p.has(`meta[name="twitter:card"]`) {
		t.Errorf("preview meta: og:image %q", og)
	}
	oe, _ := p.doc.Find(`link[type="application/json+oembed"]`).Attr("href")
	ou, _ := url.Parse(oe)
	o := visitor.get(ou.RequestURI())
	if o.StatusCode != http.StatusOK || !strings.Contains(o.body, `"title":"Robot Wrangler"`) {
		t.Fatalf("oEmbed: %d %s", o.StatusCode, o.body)
	}

	// JSON twin: CORS open, no credentials, no recipient.
	j := visitor.get(pub + ".json")
	if j.Header.Get("Access-Control-Allow-Origin") != "*" || j.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("JSON CORS headers %v", j.Header)
	}
	var doc struct {
		Status string
		Badge  openbadges.Badge
	}
	if err := json.Unmarshal([]byte(j.body), &doc); err != nil || doc.Status != "verified" || doc.Badge.Name != "Robot Wrangler" {
		t.Fatalf("JSON twin %v: %s", err, j.body)
	}
	if doc.Badge.Recipient.Identity != "" || strings.Contains(j.body, "alice@") {
		t.Fatalf("JSON twin shows the recipient: %s", j.body)
	}

	// Conditional requests.
	req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+pub, nil)
	req.Header.Set("If-None-Match", p.Header.Get("ETag"))
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("If-None-Match: %d", rec.Code)
	}
	req = httptest.NewRequest(http.MethodGet, "http://backpack.test"+pub, nil)
	req.Header.Set("If-Modified-Since", p.Header.Get("Last-Modified"))
	rec = httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("If-Modified-Since: %d", rec.Code)
	}

	// Show the recipient: now it appears.
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"options"}, "show_recipient": {"yes"}, "indexable": {"yes"}})
	p = visitor.get(pub)
	if !strings.Contains(p.text(), "alice@example.org") || p.has(`meta[name=robots]`) || p.Header.Get("X-Robots-Tag") != "" {
		t.Fatalf("after opting in: %s", p.text())
	}

	// A new link kills the old; stopping sharing kills the link.
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"rotate"}})
	wantStatus(t, visitor.get(pub), http.StatusNotFound)
	newLink, _ := alice.get(href).doc.Find(`[data-testid=share-link]`).Attr("href")
	nu, _ := url.Parse(newLink)
	if nu.Path == pub {
		t.Fatal("the link did not change")
	}
	wantStatus(t, visitor.get(nu.Path), http.StatusOK)
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"off"}})
	wantStatus(t, visitor.get(nu.Path), http.StatusNotFound)
	wantStatus(t, visitor.get(nu.Path+".json"), http.StatusNotFound)
	o = visitor.get("/oembed?url=" + url.QueryEscape(newLink))
	wantStatus(t, o, http.StatusNotFound)
}

func TestSharingIsOwnerOnly(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	href, _ := shareFirstBadge(t, a, alice, is)
	bob := a.signUpConfirmed(t, "bob@example.org")
	bob.get("/badges")
	for _, do := range []string{"on", "off", "rotate", "options"} {
		wantStatus(t, bob.post(href+"/share", url.Values{"do": {do}}), http.StatusNotFound)
	}
	anon := a.browser(t)
	for _, path := range []string{"/b/AAAAAAAAAAAAAAAAAAAAAAAAAA", "/b/short", "/b/" + strings.Repeat("A", 100)} {
		wantStatus(t, anon.get(path), http.StatusNotFound)
	}
	// oEmbed never fetches: a foreign URL is a 404 and reaches nobody.
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer srv.Close()
	wantStatus(t, anon.get("/oembed?url="+url.QueryEscape(srv.URL+"/b/AAAAAAAAAAAAAAAAAAAAAAAAAA")), http.StatusNotFound)
	if hits != 0 {
		t.Fatal("oEmbed fetched the URL it was given")
	}
}

func TestPublicPageIsInjectionSafe(t *testing.T) {
	a := newApp(t)
	a.signUpConfirmed(t, "alice@example.org")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	evil := `<script>alert(1)</script>"><img src=x onerror=alert(1)>`
	ob := openbadges.Badge{Name: evil, Description: evil, Issuer: openbadges.Issuer{Name: evil, URL: "javascript:alert(1)"},
		Criteria: openbadges.Criteria{URL: "JaVaScRiPt:alert(1)", Narrative: "[x](javascript:alert(1)) <img src=x onerror=alert(1)>"}}
	bj, _ := json.Marshal(ob)
	orig := []byte("evil")
	sum := sha256.Sum256(orig)
	id, _, err := a.db.SaveBadge(context.Background(), store.Badge{UserID: u.ID, ContentHash: sum[:], Original: orig, OriginalType: "json",
		Name: evil, IssuerName: evil, BadgeJSON: bj, ReportJSON: []byte(`{"checks":[{"name":"<b>x</b>","ok":false,"message":"<script>y</script>"}]}`),
		Status: store.StatusUnverified, VerifiedAt: a.clock.now(), CreatedAt: a.clock.now()})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := a.db.ShareBadge(context.Background(), u.ID, id, "EVILEVILEVILEVILEVILEVILEV", a.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	p := a.browser(t).get("/b/" + sh.Slug)
	wantStatus(t, p, http.StatusOK)
	if p.doc.Find("script").Length() != 0 || p.doc.Find("img[onerror]").Length() != 0 || strings.Contains(p.body, "<script>alert") {
		t.Fatal("hostile badge text became markup on the public page")
	}
	p.doc.Find("a").Each(func(_ int, s *goquerySelection) {
		if href := strings.ToLower(s.AttrOr("href", "")); strings.HasPrefix(href, "javascript:") {
			t.Errorf("javascript: link %q", href)
		}
	})
	if !strings.Contains(p.body, "&lt;script&gt;") {
		t.Error("the hostile name is not shown escaped")
	}
}
