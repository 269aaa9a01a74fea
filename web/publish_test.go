package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"backpack/openbadges"
	"backpack/store"
)

// sharedCollectionPath shares the collection at col and returns its
// public path.
func sharedCollectionPath(t *testing.T, owner *browser, col string) string {
	t.Helper()
	owner.get(col)
	owner.post(col+"/share", url.Values{"do": {"on"}})
	link, ok := owner.get(col).doc.Find(`[data-testid=collection-link]`).Attr("href")
	if !ok {
		t.Fatal("no collection link")
	}
	return mustPath(t, link)
}

func TestDisplayNameOnSharedPages(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	_, pub := shareFirstBadge(t, a, alice, is)
	cpub := sharedCollectionPath(t, alice, collectionWithBadges(t, alice, is, 1))
	visitor := a.browser(t)
	before := visitor.get(pub)
	if before.has(`[data-testid=public-owner]`) || strings.Contains(before.text(), "Shared by") {
		t.Fatalf("a name is shown before one was set: %s", before.text())
	}

	alice.get("/settings")
	for _, bad := range []string{strings.Repeat("x", maxDisplayName+1), "Ali\u0007ce"} {
		p := alice.post("/settings/profile", url.Values{"display_name": {bad}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if !p.has(`#f-display_name-error`) {
			t.Errorf("%q: no error next to the field", bad)
		}
	}
	name := `Alice <b>"Smith"</b>`
	wantRedirect(t, alice.post("/settings/profile", url.Values{"display_name": {"  Alice   <b>\"Smith\"</b> "}}), "/settings#profile-h")
	if v, _ := alice.get("/settings").doc.Find(`#f-display_name`).Attr("value"); v != name {
		t.Fatalf("settings field shows %q", v)
	}
	for _, path := range []string{pub, cpub} {
		p := visitor.get(path)
		if !strings.Contains(p.text(), "Shared by "+name) || p.doc.Find("b").Length() != 0 {
			t.Errorf("%s: owner name missing or unescaped: %s", path, p.text())
		}
		if strings.Contains(p.body, "alice@example.org") {
			t.Errorf("%s shows the owner's address", path)
		}
	}
	// The name is part of the page's validator: an old ETag no longer matches.
	req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+pub, nil)
	req.Header.Set("If-None-Match", before.Header.Get("ETag"))
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("stale ETag answered %d", rec.Code)
	}
	// Clearing the name removes it.
	alice.get("/settings")
	alice.post("/settings/profile", url.Values{"display_name": {""}})
	if p := visitor.get(pub); strings.Contains(p.text(), "Shared by") {
		t.Fatalf("cleared name still shown: %s", p.text())
	}
}

func TestCollectionIndexingIsOptIn(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	col := collectionWithBadges(t, alice, is, 1)
	cpub := sharedCollectionPath(t, alice, col)
	visitor := a.browser(t)
	p := visitor.get(cpub)
	if p.Header.Get("X-Robots-Tag") != "noindex" || !p.has(`meta[name=robots][content=noindex]`) {
		t.Fatalf("shared collection is indexable by default: %v", p.Header)
	}
	bob := a.signUpConfirmed(t, "bob@example.org")
	bob.get("/collections")
	wantStatus(t, bob.post(col+"/share", url.Values{"do": {"options"}, "indexable": {"yes"}}), http.StatusNotFound)
	if visitor.get(cpub).Header.Get("X-Robots-Tag") != "noindex" {
		t.Fatal("another user changed the indexing option")
	}
	alice.get(col)
	wantRedirect(t, alice.post(col+"/share", url.Values{"do": {"options"}, "indexable": {"yes"}}), col+"#cshare-h")
	if !alice.get(col).has(`[data-testid=collection-indexable]:checked`) {
		t.Error("the option is not shown as on")
	}
	p = visitor.get(cpub)
	if p.Header.Get("X-Robots-Tag") != "" || p.has(`meta[name=robots]`) {
		t.Fatalf("opted in, still noindex: %v", p.Header)
	}
	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"options"}})
	if visitor.get(cpub).Header.Get("X-Robots-Tag") != "noindex" {
		t.Fatal("opting out did not restore noindex")
	}
}

func TestViewerVerifyNow(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	_, pub := shareFirstBadge(t, a, alice, is)
	visitor := a.browser(t)
	visitor.remote = "198.51.100.7:4444"

	// Just imported: the result is fresh, nothing is fetched again.
	p := visitor.postRaw(pub+"/verify", nil)
	wantRedirect(t, p, pub+"?checked=recent#checks")
	if len(p.Cookies()) != 0 {
		t.Fatal("Verify now set a cookie")
	}
	// Later the issuer revokes it: Verify now finds out and shows each check.
	a.clock.add(2 * time.Minute)
	is.status("/a/1", http.StatusGone)
	p = visitor.follow(visitor.postRaw(pub+"/verify", nil))
	if !strings.Contains(p.text(), "Checked just now") || !p.has(`details#checks[open]`) || !strings.Contains(p.text(), "Revoked") {
		t.Fatalf("after Verify now: %s", p.text())
	}
	if p.doc.Find(`[data-testid=public-checks] li`).Length() == 0 || strings.Contains(p.body, "alice@example.org") {
		t.Fatalf("checks missing, or the address shown: %s", p.text())
	}
	// A cross-site form post is refused; the browser's signals still count.
	req := httptest.NewRequest(http.MethodPost, "http://backpack.test"+pub+"/verify", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("cross-site Verify now: %d", rec.Code)
	}
	// Per badge: a second check within the window is served from the last.
	a.clock.add(2 * time.Minute)
	is.status("/a/1", 0)
	wantRedirect(t, visitor.postRaw(pub+"/verify", nil), pub+"?checked=now#checks")
	a.clock.add(2 * time.Minute)
	wantRedirect(t, visitor.postRaw(pub+"/verify", nil), pub+"?checked=now#checks")
	a.clock.add(2 * time.Minute)
	for range badgeLimit.Burst + 1 {
		a.clock.add(freshFor + time.Second)
		visitor.postRaw(pub+"/verify", nil)
	}
	// Per viewer: one address cannot keep Backpack fetching.
	col := collectionWithBadges(t, alice, is, viewerLimit.Burst+2)
	cpub := sharedCollectionPath(t, alice, col)
	a.clock.add(time.Hour)
	var ids []string
	visitor.get(cpub).doc.Find(`[data-testid=public-card] input[name=badge_id]`).Each(func(_ int, s *goquerySelection) {
		ids = append(ids, s.AttrOr("value", ""))
	})
	if len(ids) != viewerLimit.Burst+2 {
		t.Fatalf("%d Verify now buttons on the collection page", len(ids))
	}
	statuses := map[int]int{}
	for _, id := range ids {
		statuses[visitor.postRaw(cpub+"/verify", url.Values{"badge_id": {id}}).StatusCode]++
	}
	if statuses[http.StatusSeeOther] != viewerLimit.Burst || statuses[http.StatusTooManyRequests] != 2 {
		t.Fatalf("per-viewer limit: %v", statuses)
	}
	other := a.browser(t)
	other.remote = "203.0.113.9:1"
	p = other.postRaw(cpub+"/verify", url.Values{"badge_id": {ids[len(ids)-1]}})
	if loc := p.Header.Get("Location"); !strings.HasSuffix(loc, "#badge-"+ids[len(ids)-1]) {
		t.Fatalf("another viewer: %d %q", p.StatusCode, loc)
	}
	card := other.follow(p).doc.Find("#badge-" + ids[len(ids)-1])
	if card.Find(`[data-testid=checked-notice]`).Length() != 1 || card.Find(`[data-testid=public-checks] li`).Length() == 0 {
		t.Fatalf("the checked card shows no checks: %s", card.Text())
	}
	// Badges outside the collection, junk ids and unshared pages: 404.
	for _, id := range []string{"999999", "x", ""} {
		wantStatus(t, other.postRaw(cpub+"/verify", url.Values{"badge_id": {id}}), http.StatusNotFound)
	}
	wantStatus(t, other.postRaw("/b/AAAAAAAAAAAAAAAAAAAAAAAAAA/verify", nil), http.StatusNotFound)
	wantStatus(t, other.postRaw("/c/AAAAAAAAAAAAAAAAAAAAAAAAAA/verify", url.Values{"badge_id": {ids[0]}}), http.StatusNotFound)
}

func TestViewerVerifyLimitPerBadge(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	_, pub := shareFirstBadge(t, a, alice, is)
	a.clock.add(time.Hour)
	// Many viewers from different addresses ask at the same moment, all
	// holding the same stale result (as concurrent requests would): the
	// badge is checked at most Burst times; the others get the last result.
	b, _, err := a.db.SharedBadge(context.Background(), strings.TrimPrefix(pub, "/b/"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for i := range 10 {
		req := httptest.NewRequest(http.MethodPost, "http://backpack.test"+pub+"/verify", nil)
		req.RemoteAddr = fmt.Sprintf("198.51.100.%d:1", i+1)
		checked, err := a.viewerCheck(a.echo.NewContext(req, httptest.NewRecorder()), b)
		if err != nil {
			t.Fatal(err)
		}
		got[checked]++
	}
	if got[checkedNow] != badgeLimit.Burst || got[checkedRecent] != 10-badgeLimit.Burst {
		t.Fatalf("per-badge limit: %v", got)
	}
}

func TestShareOutLinks(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	href, pub := shareFirstBadge(t, a, alice, is)
	p := alice.get(href)
	li, ok := p.doc.Find(`[data-testid=linkedin]`).Attr("href")
	if !ok {
		t.Fatal("no LinkedIn link")
	}
	u, _ := url.Parse(li)
	q := u.Query()
	want := map[string]string{"startTask": "CERTIFICATION_NAME", "name": "Robot Wrangler", "organizationName": "Test Academy",
		"issueYear": strconv.Itoa(hostedIssuedOn.Year()), "issueMonth": strconv.Itoa(int(hostedIssuedOn.Month())), "certUrl": "http://backpack.test" + pub, "certId": is.url("/a/1")}
	if u.Host != "www.linkedin.com" || u.Path != "/profile/add" {
		t.Fatalf("LinkedIn link %q", li)
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("LinkedIn %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("expirationYear") {
		t.Error("an expiry for a badge that does not expire")
	}
	if h := p.doc.Find(`[data-testid=snippet-html]`).Text(); !strings.Contains(h, `<img src="http://backpack.test/embed/b/`) {
		t.Errorf("HTML image snippet %q", h)
	}
	if b, ok := p.doc.Find(`[data-testid=copy-link]`).Attr("data-copy"); !ok || b != "http://backpack.test"+pub {
		t.Errorf("copy button copies %q", b)
	}

	// The QR code: the PNG the library draws and our SVG agree module by
	// module, and both are served inert.
	visitor := a.browser(t)
	img, ok := p.doc.Find(`[data-testid=qr] img`).Attr("src")
	if !ok || img != pub+"/qr.svg" {
		t.Fatalf("QR image %q", img)
	}
	sv := visitor.get(pub + "/qr.svg")
	pn := visitor.get(pub + "/qr.png")
	if sv.Header.Get("Content-Type") != "image/svg+xml" || pn.Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(sv.Header.Get("Content-Security-Policy"), "sandbox") || len(sv.Cookies())+len(pn.Cookies()) != 0 {
		t.Fatalf("QR headers: %v / %v", sv.Header, pn.Header)
	}
	compareQR(t, sv.body, []byte(pn.body))
	for _, bad := range []string{"/qr.gif", "/qr", "/badge.exe"} {
		wantStatus(t, visitor.get(pub+bad), http.StatusNotFound)
	}

	// Collections get the same, without LinkedIn.
	col := collectionWithBadges(t, alice, is, 1)
	cpub := sharedCollectionPath(t, alice, col)
	cp := alice.get(col)
	if cp.has(`[data-testid=linkedin]`) || !strings.Contains(cp.doc.Find(`#collection-snippet-script`).Text(), "/embed/c/") {
		t.Fatalf("collection share-out: %s", cp.doc.Find(`[data-testid=share-out]`).Text())
	}
	wantStatus(t, visitor.get(cpub+"/qr.png"), http.StatusOK)
	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"off"}})
	wantStatus(t, visitor.get(cpub+"/qr.png"), http.StatusNotFound)
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"off"}})
	wantStatus(t, visitor.get(pub+"/qr.svg"), http.StatusNotFound)
}

// compareQR checks that the SVG's dark squares are exactly the PNG's dark
// modules.
func compareQR(t *testing.T, svg string, pngBytes []byte) {
	t.Helper()
	im, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("QR PNG: %v", err)
	}
	m := regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("QR SVG has no viewBox: %s", svg)
	}
	n, _ := strconv.Atoi(m[1])
	dark := make([][]bool, n)
	for y := range dark {
		dark[y] = make([]bool, n)
	}
	for _, r := range regexp.MustCompile(`M(\d+) (\d+)h(\d+)`).FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for i := x; i < x+w; i++ {
			dark[y][i] = true
		}
	}
	size := im.Bounds().Dx()
	if size%n != 0 || n < 21 {
		t.Fatalf("PNG %d px is not a whole number of %d modules", size, n)
	}
	px := size / n
	diff := 0
	for y := range n {
		for x := range n {
			r, _, _, _ := im.At(x*px+px/2, y*px+px/2).RGBA()
			if (r < 0x8000) != dark[y][x] {
				diff++
			}
		}
	}
	if diff != 0 {
		t.Fatalf("SVG and PNG QR codes differ in %d of %d modules", diff, n*n)
	}
}

// TestPublicDownloadOnlyWithTheOriginalShared: the baked badge carries the
// assertion, which names the recipient (in clear, or hashed, which a guess
// can confirm), so viewers may download it only when the owner shares the
// verifiable original; showing the recipient is not enough.
func TestPublicDownloadOnlyWithTheOriginalShared(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	visitor := a.browser(t)

	// A hashed recipient: no download either, until the owner opts in.
	href, pub := shareFirstBadge(t, a, alice, is)
	if visitor.get(pub).has(`[data-testid=public-download]`) {
		t.Fatal("download offered without the owner sharing the original")
	}
	wantStatus(t, visitor.get(pub+"/badge.png"), http.StatusNotFound)
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"options"}, "share_original": {"yes"}})
	if !alice.get(href).has(`[data-testid=share-original]:checked`) {
		t.Fatal("the owner's page does not show the option on")
	}
	dl, ok := visitor.get(pub).doc.Find(`[data-testid=public-download]`).Attr("href")
	if !ok || dl != pub+"/badge.png" {
		t.Fatalf("download link %q", dl)
	}
	f := visitor.get(dl)
	wantStatus(t, f, http.StatusOK)
	if f.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(f.Header.Get("Content-Disposition"), `attachment; filename="Robot-Wrangler.png"`) {
		t.Fatalf("download headers %v", f.Header)
	}
	if !bytes.Contains([]byte(f.body), []byte(is.url("/a/1"))) {
		t.Fatal("the downloaded PNG is not baked with the assertion")
	}

	// The address in clear: showing the recipient does not offer the file;
	// sharing the original does.
	alice.get("/badges/new")
	alice.postFiles([]upload{{"plain.json", is.hostedPlain("/a/plain", "alice@example.org")}}, nil, "")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	list, _ := a.db.ListBadges(context.Background(), u.ID, store.BadgeQuery{Limit: 10})
	href = ""
	for _, b := range list.Items {
		if full, _ := a.db.BadgeByID(context.Background(), u.ID, b.ID); bytes.Contains(full.Original, []byte("/a/plain")) {
			href = fmt.Sprintf("/badges/%d", b.ID)
		}
	}
	if href == "" {
		t.Fatal("plain badge not found")
	}
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"on"}})
	link, _ := alice.get(href).doc.Find(`[data-testid=share-link]`).Attr("href")
	ppub := mustPath(t, link)
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"options"}, "show_recipient": {"yes"}})
	if visitor.get(ppub).has(`[data-testid=public-download]`) {
		t.Fatal("download offered for a badge naming its recipient, without the original shared")
	}
	wantStatus(t, visitor.get(ppub+"/badge.png"), http.StatusNotFound)
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"options"}, "share_original": {"yes"}})
	if f := visitor.get(ppub + "/badge.png"); f.StatusCode != http.StatusOK || !strings.Contains(f.body, "alice@example.org") {
		t.Fatalf("download %d", f.StatusCode)
	}
}

func TestOEmbedCollectionsAndSizes(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	_, pub := shareFirstBadge(t, a, alice, is)
	cpub := sharedCollectionPath(t, alice, collectionWithBadges(t, alice, is, 3))
	visitor := a.browser(t)
	oembed := func(page string, extra string) (int, map[string]any) {
		p := visitor.get("/oembed?url=" + url.QueryEscape("http://backpack.test"+page) + extra)
		var out map[string]any
		json.Unmarshal([]byte(p.body), &out)
		return p.StatusCode, out
	}
	code, o := oembed(cpub, "")
	if code != http.StatusOK || o["type"] != "rich" || o["title"] != "Work <i>stuff</i>" || o["width"] != 640.0 {
		t.Fatalf("collection oEmbed %d %v", code, o)
	}
	html, _ := o["html"].(string)
	if !strings.Contains(html, `src="http://backpack.test/embed/c/`) || strings.Contains(html, "<i>") {
		t.Fatalf("oEmbed html %q", html)
	}
	discovered, _ := visitor.get(cpub).doc.Find(`link[type="application/json+oembed"]`).Attr("href")
	if !strings.Contains(discovered, url.QueryEscape("http://backpack.test"+cpub)) {
		t.Fatalf("collection page discovery link %q", discovered)
	}
	code, o = oembed(pub, "&maxwidth=200&maxheight=90")
	if code != http.StatusOK || o["width"] != 200.0 || o["height"] != 90.0 || !strings.Contains(o["html"].(string), `width="200" height="90"`) {
		t.Fatalf("badge oEmbed with max sizes %d %v", code, o)
	}
	code, o = oembed(pub, "&maxwidth=5000&maxheight=-1")
	if code != http.StatusOK || o["width"] != 320.0 || o["height"] != 130.0 {
		t.Fatalf("oEmbed grew past its size: %d %v", code, o)
	}
	for _, bad := range []string{"/x/" + strings.TrimPrefix(pub, "/b/"), "/badges/1", "/c/AAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if code, _ := oembed(bad, ""); code != http.StatusNotFound {
			t.Errorf("oEmbed %s: %d", bad, code)
		}
	}
	if p := visitor.get("/oembed?format=xml&url=" + url.QueryEscape("http://backpack.test"+pub)); p.StatusCode != http.StatusNotImplemented {
		t.Errorf("format=xml: %d", p.StatusCode)
	}
}

func TestEmbedThemesLoaderAndRevalidation(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	_, pub := shareFirstBadge(t, a, alice, is)
	slug := strings.TrimPrefix(pub, "/b/")
	cslug := strings.TrimPrefix(sharedCollectionPath(t, alice, collectionWithBadges(t, alice, is, 2)), "/c/")
	visitor := a.browser(t)
	for q, want := range map[string]string{"": "", "?theme=dark": "dark", "?theme=light": "light", `?theme="><script>`: ""} {
		e := visitor.get("/embed/c/" + cslug + q)
		if got, _ := e.doc.Find("html").Attr("data-theme"); got != want {
			t.Errorf("%q: data-theme %q, want %q", q, got, want)
		}
		if !onlyFrameScript(e) {
			t.Errorf("%q: unexpected script", q)
		}
	}
	if dark, light := visitor.get("/embed/b/"+slug+"?theme=dark"), visitor.get("/embed/b/"+slug+"?theme=light"); dark.Header.Get("ETag") == light.Header.Get("ETag") {
		t.Error("both themes share an ETag")
	}
	for _, path := range []string{"/embed/b/" + slug, "/embed/b/" + slug + ".svg", "/embed/c/" + cslug, "/embed/c/" + cslug + "?theme=dark"} {
		first := visitor.get(path)
		if first.Header.Get("ETag") == "" || first.Header.Get("Last-Modified") == "" || !strings.Contains(first.Header.Get("Cache-Control"), "must-revalidate") {
			t.Fatalf("%s: validators %v", path, first.Header)
		}
		req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+path, nil)
		req.Header.Set("If-None-Match", first.Header.Get("ETag"))
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("%s: conditional GET %d", path, rec.Code)
		}
	}
	// A newer result changes the validator.
	e := visitor.get("/embed/b/" + slug)
	a.clock.add(time.Hour)
	is.status("/a/1", http.StatusGone)
	visitor.postRaw(pub+"/verify", nil)
	if again := visitor.get("/embed/b/" + slug); again.Header.Get("ETag") == e.Header.Get("ETag") || !strings.Contains(again.text(), "Revoked") {
		t.Fatalf("ETag unchanged after revocation: %s", again.text())
	}

	js := visitor.get("/embed.js")
	if js.StatusCode != http.StatusOK || !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(js.body, "backpackEmbedHeight") || js.Header.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
		t.Fatalf("loader: %d %v", js.StatusCode, js.Header)
	}
}

// hostileBadge saves a badge whose every text is hostile markup, in the
// given status with the given report, and returns its id.
func hostileBadge(t *testing.T, a *app, userID int64, status store.Status, report string) int64 {
	t.Helper()
	evil := `<script>alert(1)</script>"><img src=x onerror=alert(1)>`
	ob := openbadges.Badge{Name: evil, Description: evil, Issuer: openbadges.Issuer{Name: evil, URL: "javascript:alert(1)"},
		Criteria:  openbadges.Criteria{URL: "JaVaScRiPt:alert(1)", Narrative: "[x](javascript:alert(1)) <img src=x onerror=alert(1)>"},
		Recipient: openbadges.Recipient{Type: "email", Identity: "secret@example.org"}}
	bj, _ := json.Marshal(ob)
	orig := []byte("hostile " + status)
	id, _, err := a.db.SaveBadge(context.Background(), store.Badge{UserID: userID, Original: orig, OriginalType: "json",
		Name: evil, IssuerName: evil, BadgeJSON: bj, ReportJSON: []byte(report), Status: status, VerifiedAt: a.clock.now(), CreatedAt: a.clock.now()})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPublicCollectionIsInjectionSafe(t *testing.T) {
	a := newApp(t)
	a.signUpConfirmed(t, "alice@example.org")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	ctx := context.Background()
	revoked := hostileBadge(t, a, u.ID, store.StatusRevoked, `{"revoked":true,"revocationReason":"<script>alert(3)</script>"}`)
	mismatch := hostileBadge(t, a, u.ID, store.StatusUnverified,
		`{"errors":[{"code":"recipient-mismatch","message":"issued to secret@example.org, not to you"}],"checks":[{"name":"recipient","ok":false,"message":"issued to secret@example.org, not to you"}]}`)
	cid, err := a.db.CreateCollection(ctx, u.ID, `<script>alert(2)</script>`, "[x](javascript:alert(1)) <iframe src=x>", "HOSTILEHOSTILEHOSTILEHOSTI", a.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{revoked, mismatch} {
		if err := a.db.AddToCollection(ctx, u.ID, cid, id, a.clock.now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.db.UpdateCollection(ctx, u.ID, cid, `<script>alert(2)</script>`, "[x](javascript:alert(1)) <iframe src=x>", true, false, "", a.clock.now()); err != nil {
		t.Fatal(err)
	}
	v := a.browser(t)
	for _, path := range []string{"/c/HOSTILEHOSTILEHOSTILEHOSTI", "/embed/c/HOSTILEHOSTILEHOSTILEHOSTI"} {
		p := v.get(path)
		wantStatus(t, p, http.StatusOK)
		scripts := p.doc.Find("script").Length()
		if path != "/c/HOSTILEHOSTILEHOSTILEHOSTI" && onlyFrameScript(p) {
			scripts = 0
		}
		if scripts != 0 || p.doc.Find("img[onerror], iframe").Length() != 0 || strings.Contains(p.body, "<script>alert") {
			t.Errorf("%s: hostile text became markup", path)
		}
		p.doc.Find("a").Each(func(_ int, s *goquerySelection) {
			if strings.HasPrefix(strings.ToLower(s.AttrOr("href", "")), "javascript:") {
				t.Errorf("%s: javascript: link", path)
			}
		})
		// The reasons are shown (escaped); the mismatch never names the address.
		if !strings.Contains(p.text(), "Revoked: <script>alert(3)</script>") || !strings.Contains(p.text(), "not issued to the person who shares it") {
			t.Errorf("%s: reasons missing: %s", path, p.text())
		}
		if strings.Contains(p.body, "secret@example.org") {
			t.Errorf("%s names the recipient", path)
		}
	}
	j := v.get("/c/HOSTILEHOSTILEHOSTILEHOSTI.json")
	if strings.Contains(j.body, "<script>") || strings.Contains(j.body, "secret@example.org") || !strings.Contains(j.body, `\u003cscript\u003e`) {
		t.Fatalf("collection JSON: %s", j.body)
	}
	var doc struct {
		Badges []struct {
			Status string
			Badge  openbadges.Badge
		}
	}
	if err := json.Unmarshal([]byte(j.body), &doc); err != nil || len(doc.Badges) != 2 || doc.Badges[0].Badge.Issuer.URL != "javascript:alert(1)" {
		t.Fatalf("collection JSON does not carry the normalised badges: %v %s", err, j.body)
	}
	o := v.get("/oembed?url=" + url.QueryEscape("http://backpack.test/c/HOSTILEHOSTILEHOSTILEHOSTI"))
	if strings.Contains(o.body, "<script>") {
		t.Fatalf("oEmbed: %s", o.body)
	}
	var oe map[string]any
	json.Unmarshal([]byte(o.body), &oe)
	if h, _ := oe["html"].(string); !strings.Contains(h, `title="&lt;script&gt;alert(2)&lt;/script&gt;"`) {
		t.Fatalf("oEmbed html does not escape the title: %q", h)
	}

	// A shared badge whose check failed on the recipient: its page tells
	// why without the address, until the owner shows the recipient.
	sh, err := a.db.ShareBadge(ctx, u.ID, mismatch, "MISMATCHMISMATCHMISMATCHMI", a.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	p := v.get("/b/" + sh.Slug)
	if strings.Contains(p.body, "secret@example.org") || !strings.Contains(p.text(), "not issued to the person who shares it") {
		t.Fatalf("badge page: %s", p.text())
	}
	if strings.Contains(v.get("/b/"+sh.Slug+".json").body, "secret@example.org") {
		t.Fatal("badge JSON names the recipient")
	}
	a.db.UpdateShare(ctx, u.ID, mismatch, true, true, false, "", a.clock.now())
	if p := v.get("/b/" + sh.Slug); !strings.Contains(p.text(), "secret@example.org") {
		t.Fatalf("shown recipient missing: %s", p.text())
	}
}

// TestDamagedStoredBadge: a badge whose stored JSON cannot be read (a row
// damaged outside Backpack) still shows where only its columns are needed
// (the backpack, cards, embeds, the shield); what shows the badge itself
// answers 500 and logs it, and a collection card leaves the reason out.
func TestDamagedStoredBadge(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	ctx := context.Background()
	u, _ := a.db.UserByEmail(ctx, "alice@example.org")
	now := a.clock.now()
	id, _, err := a.db.SaveBadge(ctx, store.Badge{UserID: u.ID, Original: []byte("damaged"), OriginalType: "json",
		Name: "Damaged Badge", IssuerName: "Some Issuer", BadgeJSON: []byte(`{"name":`), ReportJSON: []byte(`{"errors":[{"code":"malformed","message":"why"}]}`),
		Status: store.StatusUnverified, VerifiedAt: now, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.ShareBadge(ctx, u.ID, id, "DAMAGEDDAMAGEDDAMAGEDDAMAG", now); err != nil {
		t.Fatal(err)
	}
	cid, err := a.db.CreateCollection(ctx, u.ID, "C", "", "DAMAGEDCOLLECTIONDAMAGEDCO", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.AddToCollection(ctx, u.ID, cid, id, now); err != nil {
		t.Fatal(err)
	}
	if err := a.db.UpdateCollection(ctx, u.ID, cid, "C", "", true, false, "", now); err != nil {
		t.Fatal(err)
	}
	v := a.browser(t)
	for path, want := range map[string]int{
		"/b/DAMAGEDDAMAGEDDAMAGEDDAMAG":           http.StatusInternalServerError,
		"/b/DAMAGEDDAMAGEDDAMAGEDDAMAG.json":      http.StatusInternalServerError,
		"/c/DAMAGEDCOLLECTIONDAMAGEDCO.json":      http.StatusInternalServerError,
		"/c/DAMAGEDCOLLECTIONDAMAGEDCO":           http.StatusOK,
		"/embed/b/DAMAGEDDAMAGEDDAMAGEDDAMAG":     http.StatusOK,
		"/embed/b/DAMAGEDDAMAGEDDAMAGEDDAMAG.svg": http.StatusOK,
		"/embed/c/DAMAGEDCOLLECTIONDAMAGEDCO":     http.StatusOK,
	} {
		if p := v.get(path); p.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, p.StatusCode, want)
		}
	}
	if p := v.get("/c/DAMAGEDCOLLECTIONDAMAGEDCO"); !strings.Contains(p.text(), "Damaged Badge") || !strings.Contains(p.text(), "Could not verify: why") {
		t.Errorf("collection page: %s", p.text())
	}
	if p := alice.get("/badges"); p.StatusCode != http.StatusOK || !strings.Contains(p.text(), "Damaged Badge") {
		t.Errorf("backpack: %d %s", p.StatusCode, p.text())
	}
	wantStatus(t, alice.get(fmt.Sprintf("/badges/%d", id)), http.StatusInternalServerError)
	if !strings.Contains(a.logs.String(), "stored badge") && !strings.Contains(a.logs.String(), "unexpected end of JSON input") {
		t.Errorf("not logged: %s", a.logs.String())
	}
}
