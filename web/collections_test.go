package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// collectionWithBadges makes alice a collection holding n imported badges
// and returns its page path.
func collectionWithBadges(t *testing.T, alice *browser, is *testIssuer, n int) string {
	t.Helper()
	var files []upload
	for i := range n {
		files = append(files, upload{fmt.Sprintf("b%d.json", i), is.hosted(fmt.Sprintf("/a/%d", i), "alice@example.org")})
	}
	alice.get("/badges/new")
	alice.postFiles(files, nil, "")
	alice.get("/collections")
	p := alice.post("/collections", url.Values{"name": {"Work <i>stuff</i>"}, "description": {"My **best** work. <script>alert(1)</script>"}})
	wantStatus(t, p, http.StatusSeeOther)
	col := p.Header.Get("Location")
	page := alice.get(col)
	page.doc.Find(`#f-add-badge option`).Each(func(_ int, s *goquerySelection) {
		alice.post(col+"/add", url.Values{"badge_id": {s.AttrOr("value", "")}})
	})
	return col
}

func collectionOrder(b *browser, col string) []string {
	var ids []string
	b.get(col).doc.Find(`[data-testid=collection-badge] a`).Each(func(_ int, s *goquerySelection) {
		ids = append(ids, s.AttrOr("href", ""))
	})
	return ids
}

func TestCollectionsCRUDAndOrder(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	col := collectionWithBadges(t, alice, is, 3)

	p := alice.get(col)
	if name := strings.TrimSpace(p.doc.Find(`[data-testid=collection-name]`).Text()); name != "Work <i>stuff</i>" {
		t.Fatalf("name %q", name)
	}
	if !strings.Contains(p.body, "<strong>best</strong>") || strings.Contains(p.body, "<script>alert") {
		t.Fatal("description not rendered safely")
	}
	before := collectionOrder(alice, col)
	if len(before) != 3 {
		t.Fatalf("%d badges in the collection", len(before))
	}
	idOf := func(href string) string { return strings.TrimPrefix(href, "/badges/") }
	// Move the last one up: it swaps with the middle one.
	alice.get(col)
	wantRedirect(t, alice.post(col+"/move", url.Values{"badge_id": {idOf(before[2])}, "dir": {"up"}}), col+"#cbadges-h")
	after := collectionOrder(alice, col)
	if strings.Join(after, " ") != strings.Join([]string{before[0], before[2], before[1]}, " ") {
		t.Fatalf("order %v after moving %s up (was %v)", after, before[2], before)
	}
	// The first has no "Move up", the last no "Move down" (keyboard users
	// meet only buttons that do something).
	first := alice.get(col).doc.Find(`[data-testid=collection-badge]`).First()
	if first.Find(`input[name=dir][value=up]`).Length() != 0 {
		t.Error("the first badge offers to move up")
	}
	// Remove one; rename; delete.
	alice.post(col+"/remove", url.Values{"badge_id": {idOf(before[0])}})
	if n := len(collectionOrder(alice, col)); n != 2 {
		t.Fatalf("%d badges after removing one", n)
	}
	if p := alice.get("/badges" + strings.TrimPrefix(before[0], "/badges")); p.StatusCode != http.StatusOK {
		t.Fatal("removing from the collection deleted the badge")
	}
	alice.get(col)
	wantStatus(t, alice.post(col+"/edit", url.Values{"name": {""}}), http.StatusUnprocessableEntity)
	alice.post(col+"/edit", url.Values{"name": {"Renamed"}, "description": {""}})
	if !strings.Contains(alice.get("/collections").text(), "Renamed") {
		t.Fatal("rename not shown")
	}
	alice.get(col)
	alice.post(col+"/delete", nil) // not confirmed
	wantStatus(t, alice.get(col), http.StatusOK)
	wantRedirect(t, alice.post(col+"/delete", url.Values{"confirm": {"yes"}}), "/collections")
	wantStatus(t, alice.get(col), http.StatusNotFound)
}

func TestCollectionSharing(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	col := collectionWithBadges(t, alice, is, 2)
	anon := a.browser(t)

	link, _ := alice.get(col).doc.Find(`[data-testid=collection-link]`).Attr("href")
	if link != "" {
		t.Fatal("a new collection is shared")
	}
	alice.post(col+"/share", url.Values{"do": {"on"}})
	link, _ = alice.get(col).doc.Find(`[data-testid=collection-link]`).Attr("href")
	u, _ := url.Parse(link)
	p := anon.get(u.Path)
	wantStatus(t, p, http.StatusOK)
	if n := p.doc.Find(`[data-testid=public-card]`).Length(); n != 2 {
		t.Fatalf("%d public cards", n)
	}
	for _, private := range []string{"alice@example.org", "_csrf", "Sign out"} {
		if strings.Contains(p.body, private) {
			t.Errorf("public collection shows %q", private)
		}
	}
	if p.doc.Find("script").Length() != 0 || strings.Contains(p.body, "<i>stuff") || len(p.Cookies()) != 0 {
		t.Error("hostile name or description became markup, or a cookie was set")
	}
	if !strings.Contains(p.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || p.Header.Get("X-Robots-Tag") != "noindex" {
		t.Errorf("headers %v", p.Header)
	}
	j := anon.get(u.Path + ".json")
	if j.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(j.body, `"status":"verified"`) || strings.Contains(j.body, "alice@") {
		t.Fatalf("JSON twin: %v %s", j.Header, j.body)
	}
	// Rotation kills the old link; unsharing kills the new one.
	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"rotate"}})
	wantStatus(t, anon.get(u.Path), http.StatusNotFound)
	link2, _ := alice.get(col).doc.Find(`[data-testid=collection-link]`).Attr("href")
	u2, _ := url.Parse(link2)
	wantStatus(t, anon.get(u2.Path), http.StatusOK)
	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"off"}})
	wantStatus(t, anon.get(u2.Path), http.StatusNotFound)
}

// TestCollectionRoutesAreOwnerOnly tries every collection and badge route
// with an :id as another user and as a visitor (IDOR).
func TestCollectionRoutesAreOwnerOnly(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	col := collectionWithBadges(t, alice, is, 1)
	colID := strings.TrimPrefix(col, "/collections/")
	badge := collectionOrder(alice, col)[0]
	badgeID := strings.TrimPrefix(badge, "/badges/")
	before := collectionOrder(alice, col)

	bob := a.signUpConfirmed(t, "bob@example.org")
	anon := a.browser(t)
	tried := 0
	for _, r := range a.Echo().Routes() {
		if !strings.Contains(r.Path, ":id") || !(strings.HasPrefix(r.Path, "/collections") || strings.HasPrefix(r.Path, "/badges")) {
			continue
		}
		id := colID
		if strings.HasPrefix(r.Path, "/badges") {
			id = badgeID
		}
		path := strings.Replace(r.Path, ":id", id, 1)
		form := url.Values{"badge_id": {badgeID}, "confirm": {"yes"}, "do": {"on"}, "name": {"pwned"}, "dir": {"up"}}
		var p *page
		if r.Method == http.MethodGet {
			p = bob.get(path)
		} else {
			bob.get("/badges")
			p = bob.post(path, form)
		}
		if p.StatusCode != http.StatusNotFound {
			t.Errorf("bob: %s %s = %d, want 404", r.Method, path, p.StatusCode)
		}
		if r.Method == http.MethodGet {
			if p := anon.get(path); p.StatusCode != http.StatusSeeOther {
				t.Errorf("visitor: GET %s = %d, want a redirect to sign in", path, p.StatusCode)
			}
		}
		tried++
	}
	if tried < 12 {
		t.Fatalf("only %d routes tried", tried)
	}
	if after := collectionOrder(alice, col); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Fatalf("alice's collection changed: %v", after)
	}
	if strings.Contains(alice.get(col).text(), "pwned") {
		t.Fatal("bob renamed alice's collection")
	}
}

func TestAddToCollectionFromTheBadgePage(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	alice.postFiles([]upload{{"b.json", is.hosted("/a/1", "alice@example.org")}}, nil, "")
	href, _ := alice.get("/badges").doc.Find(`[data-testid=badge-card] a`).First().Attr("href")
	alice.get("/collections")
	col := alice.post("/collections", url.Values{"name": {"Showcase"}}).Header.Get("Location")
	p := alice.get(href)
	opt, ok := p.doc.Find(`#f-add-to option`).Attr("value")
	if !ok {
		t.Fatal("no collection offered on the badge page")
	}
	wantRedirect(t, alice.post("/collections/add", url.Values{"badge_id": {strings.TrimPrefix(href, "/badges/")}, "collection_id": {opt}}), href+"#bcol-h")
	if got := collectionOrder(alice, col); len(got) != 1 || got[0] != href {
		t.Fatalf("collection holds %v", got)
	}
	if !alice.get(href).has(`[data-testid=badge-collections] a[href="` + col + `"]`) {
		t.Fatal("the badge page does not list its collection")
	}
	// Another user's collection id: 404, nothing added.
	bob := a.signUpConfirmed(t, "bob@example.org")
	bob.get("/badges")
	wantStatus(t, bob.post("/collections/add", url.Values{"badge_id": {strings.TrimPrefix(href, "/badges/")}, "collection_id": {opt}}), http.StatusNotFound)
}
