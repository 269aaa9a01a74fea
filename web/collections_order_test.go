package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// namedCollection makes the user email (signed in on b) a shared
// collection holding one badge of each name (each its own badge class),
// added in that order, and returns the collection's page path and its
// public path.
func namedCollection(t *testing.T, b *browser, is *testIssuer, email string, names ...string) (col, public string) {
	t.Helper()
	var files []upload
	for i, name := range names {
		class := fmt.Sprintf("/badge/%s/%d", email, i)
		is.put(class, map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": is.url(class),
			"name": name, "description": "A badge.", "image": is.url("/badge.png"),
			"criteria": map[string]any{"narrative": "Do it."}, "issuer": is.url("/issuer")})
		path := fmt.Sprintf("/a/%s/%d", email, i)
		var a map[string]any
		if err := json.Unmarshal(is.hosted(path, email), &a); err != nil {
			t.Fatal(err)
		}
		a["badge"] = is.url(class)
		is.put(path, a)
		data, _ := json.Marshal(a)
		files = append(files, upload{fmt.Sprintf("b%d.json", i), data})
	}
	b.get("/badges/new")
	b.postFiles(files, nil, "")
	b.get("/collections")
	p := b.post("/collections", url.Values{"name": {"Work"}})
	wantStatus(t, p, http.StatusSeeOther)
	col = p.Header.Get("Location")
	for _, name := range names {
		var id string
		b.get(col).doc.Find(`#f-add-badge option`).Each(func(_ int, s *goquerySelection) {
			if strings.HasPrefix(s.Text(), name+" — ") {
				id = s.AttrOr("value", "")
			}
		})
		if id == "" {
			t.Fatalf("badge %q not offered", name)
		}
		wantStatus(t, b.post(col+"/add", url.Values{"badge_id": {id}}), http.StatusSeeOther)
	}
	b.get(col)
	b.post(col+"/share", url.Values{"do": {"on"}})
	link, _ := b.get(col).doc.Find(`[data-testid=collection-link]`).Attr("href")
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("collection link %q", link)
	}
	return col, u.Path
}

// ownerOrder returns the names and ids of the badges on the owner's
// collection page, in order.
func ownerOrder(b *browser, col string) (names []string, ids map[string]string) {
	ids = map[string]string{}
	b.get(col).doc.Find(`[data-testid=collection-badge]`).Each(func(_ int, s *goquerySelection) {
		name := strings.TrimSpace(s.Find("strong").Text())
		names = append(names, name)
		ids[name] = s.AttrOr("data-badge-id", "")
	})
	return names, ids
}

// publicOrder returns the names of the badges on a public collection page.
func publicOrder(b *browser, public string) []string {
	var names []string
	b.get(public).doc.Find(`[data-testid=public-card] .badge-name`).Each(func(_ int, s *goquerySelection) {
		names = append(names, strings.TrimSpace(s.Text()))
	})
	return names
}

// postOrder posts a new order as app.js does: the CSRF token in the
// X-CSRF-Token header and Accept: application/json.
func (b *browser) postOrder(col, order string) *page {
	b.t.Helper()
	b.get(col)
	req := newFormRequest(b.origin()+col+"/order", url.Values{"order": {order}})
	req.Header.Set("X-CSRF-Token", b.csrf)
	req.Header.Set("Accept", "application/json")
	return b.do(req)
}

func TestCollectionOrderFromDragAndDrop(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	col, public := namedCollection(t, alice, is, "alice@example.org", "Alpha", "Bravo", "Charlie")
	anon := a.browser(t)
	names, ids := ownerOrder(alice, col)
	if strings.Join(names, " ") != "Alpha Bravo Charlie" {
		t.Fatalf("order %v to start with", names)
	}
	if strings.Join(publicOrder(anon, public), " ") != "Alpha Bravo Charlie" {
		t.Fatalf("public order %v to start with", publicOrder(anon, public))
	}
	if !alice.get(col).has(`[data-testid=collection-badges][data-order-url="` + col + `/order"]`) {
		t.Fatal("the list does not say where to post its order")
	}
	order := func(names ...string) string {
		var s []string
		for _, n := range names {
			s = append(s, ids[n])
		}
		return strings.Join(s, ",")
	}
	want := func(what string, names ...string) {
		t.Helper()
		got, _ := ownerOrder(alice, col)
		if strings.Join(got, " ") != strings.Join(names, " ") {
			t.Fatalf("%s: owner sees %v, want %v", what, got, names)
		}
		if got := publicOrder(anon, public); strings.Join(got, " ") != strings.Join(names, " ") {
			t.Fatalf("%s: public page shows %v, want %v", what, got, names)
		}
	}

	// The script's request: 204, and both pages show the new order.
	p := alice.postOrder(col, order("Charlie", "Alpha", "Bravo"))
	wantStatus(t, p, http.StatusNoContent)
	want("after the drop", "Charlie", "Alpha", "Bravo")

	// A plain form post goes back to the collection.
	alice.get(col)
	wantRedirect(t, alice.post(col+"/order", url.Values{"order": {order("Bravo", "Charlie", "Alpha")}}), col+"#cbadges-h")
	want("after the form post", "Bravo", "Charlie", "Alpha")

	// Orders that do not list exactly its badges are refused, with a
	// message, and change nothing.
	_, bobIDs := func() ([]string, map[string]string) {
		bob := a.signUpConfirmed(t, "bob@example.org")
		bobCol, _ := namedCollection(t, bob, is, "bob@example.org", "Zulu")
		return ownerOrder(bob, bobCol)
	}()
	for _, c := range []struct {
		what, order string
		status      int
	}{
		{"one missing", order("Bravo", "Charlie"), http.StatusConflict},
		{"one extra (bob's)", order("Bravo", "Charlie", "Alpha") + "," + bobIDs["Zulu"], http.StatusConflict},
		{"bob's for one of hers", order("Bravo", "Charlie") + "," + bobIDs["Zulu"], http.StatusConflict},
		{"a duplicate", order("Bravo", "Charlie", "Charlie"), http.StatusConflict},
		{"empty", "", http.StatusConflict},
		{"not numbers", "a,b,c", http.StatusUnprocessableEntity},
		{"an empty item", order("Bravo", "Charlie") + ",," + ids["Alpha"], http.StatusUnprocessableEntity},
		{"negative", "-" + order("Bravo", "Charlie", "Alpha"), http.StatusUnprocessableEntity},
	} {
		p := alice.postOrder(col, c.order)
		if p.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.what, p.StatusCode, c.status)
		}
		var body struct {
			Error struct{ Message string } `json:"error"`
		}
		if err := json.Unmarshal([]byte(p.body), &body); err != nil || !strings.Contains(body.Error.Message, "Reload the page") {
			t.Errorf("%s: body %q, want a JSON error that says to reload", c.what, p.body)
		}
	}
	// Without the script, the refusal is a page with the same message.
	alice.get(col)
	p = alice.post(col+"/order", url.Values{"order": {order("Bravo")}})
	wantStatus(t, p, http.StatusConflict)
	if !strings.Contains(p.text(), "has changed since this page was loaded") {
		t.Errorf("refusal page says %q", p.text())
	}
	want("after the refused orders", "Bravo", "Charlie", "Alpha")
}

func TestCollectionOrderIsOwnerOnlyAndNeedsCSRF(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	col, _ := namedCollection(t, alice, is, "alice@example.org", "Alpha", "Bravo")
	names, ids := ownerOrder(alice, col)
	swapped := ids["Bravo"] + "," + ids["Alpha"]

	// Bob, with the right ids: 404.
	bob := a.signUpConfirmed(t, "bob@example.org")
	wantStatus(t, bob.postOrder(col, swapped), http.StatusNotFound)
	// Alice without the token, or with a wrong one: 403.
	alice.get(col)
	wantStatus(t, alice.postRaw(col+"/order", url.Values{"order": {swapped}}), http.StatusForbidden)
	req := newFormRequest(alice.origin()+col+"/order", url.Values{"order": {swapped}})
	req.Header.Set("X-CSRF-Token", "not-the-token")
	req.Header.Set("Accept", "application/json")
	wantStatus(t, alice.do(req), http.StatusForbidden)
	// A visitor: sent to sign in.
	anon := a.browser(t)
	anon.get("/login")
	if p := anon.post(col+"/order", url.Values{"order": {swapped}}); p.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(p.Header.Get("Location"), "/login") {
		t.Errorf("visitor: %d to %q", p.StatusCode, p.Header.Get("Location"))
	}
	if got, _ := ownerOrder(alice, col); strings.Join(got, " ") != strings.Join(names, " ") {
		t.Fatalf("order changed to %v", got)
	}
	// With the token it works (so the refusals above were not for
	// something else).
	wantStatus(t, alice.postOrder(col, swapped), http.StatusNoContent)
	if got, _ := ownerOrder(alice, col); strings.Join(got, " ") != "Bravo Alpha" {
		t.Fatalf("order %v, want Bravo Alpha", got)
	}
}

// newFormRequest is a POST of form, urlencoded.
func newFormRequest(target string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
