package web

import (
	"context"
	"crypto/sha256"
	"encoding/json"
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

// The Displayer API's answers, as a client reads them.
type dGroups struct {
	UserID string `json:"userId"`
	Groups []struct {
		GroupID string `json:"groupId"`
		Name    string `json:"name"`
		Badges  int    `json:"badges"`
	} `json:"groups"`
}

type dGroup struct {
	UserID  string `json:"userId"`
	GroupID string `json:"groupId"`
	Badges  []struct {
		LastValidated string  `json:"lastValidated"`
		AssertionType string  `json:"assertionType"`
		HostedURL     *string `json:"hostedUrl"`
		ImageURL      string  `json:"imageUrl"`
		Assertion     struct {
			Badge struct {
				Name        string `json:"name"`
				Description string `json:"description"`
				Image       string `json:"image"`
				Criteria    string `json:"criteria"`
				Issuer      struct {
					Name   string `json:"name"`
					URL    string `json:"url"`
					Origin string `json:"origin"`
				} `json:"issuer"`
			} `json:"badge"`
			Verify *struct {
				Type string `json:"type"`
				URL  string `json:"url"`
			} `json:"verify"`
			IssuedOn   int64 `json:"issuedOn"`
			IssuedOn05 int64 `json:"issued_on"`
		} `json:"assertion"`
	} `json:"badges"`
}

func decodeJSON[T any](t *testing.T, p *page) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(p.body), &v); err != nil {
		t.Fatalf("%v: %s", err, p.body)
	}
	return v
}

// optIn turns the Displayer API on from the settings page and returns the
// displayer id it shows.
func optIn(t *testing.T, b *browser) string {
	t.Helper()
	b.get("/settings")
	wantRedirect(t, b.post("/settings/displayer", url.Values{"do": {"on"}}), "/settings#displayer")
	p := b.get("/settings")
	id := strings.TrimSpace(p.doc.Find(`[data-testid=displayer-id]`).Text())
	if len(id) < 26 {
		t.Fatalf("displayer id %q is shorter than 128 bits of base32", id)
	}
	if href, _ := p.doc.Find(`[data-testid=displayer-groups]`).Attr("href"); href != "http://backpack.test/displayer/"+id+"/groups.json" {
		t.Fatalf("groups link %q", href)
	}
	return id
}

// slugOf returns the share slug of one of the user's collections.
func slugOf(t *testing.T, a *app, email, col string) string {
	t.Helper()
	ctx := context.Background()
	u, _ := a.db.UserByEmail(ctx, email)
	id, _ := strconv.ParseInt(strings.TrimPrefix(col, "/collections/"), 10, 64)
	c, err := a.db.CollectionByID(ctx, u.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Slug
}

// wantMissing checks Mozilla's not-found answer.
func wantMissing(t *testing.T, p *page) {
	t.Helper()
	if p.StatusCode != http.StatusNotFound || p.Header.Get("Access-Control-Allow-Origin") != "*" ||
		strings.TrimSpace(p.body) != `{"httpStatus":404,"status":"missing"}` {
		t.Fatalf("%d %v %s, want Mozilla's 404", p.StatusCode, p.Header, p.body)
	}
}

func TestDisplayerAPI(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	col := collectionWithBadges(t, alice, is, 3)
	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"on"}})
	// Make the order differ from the import order.
	order := collectionOrder(alice, col)
	alice.get(col)
	alice.post(col+"/move", url.Values{"badge_id": {strings.TrimPrefix(order[2], "/badges/")}, "dir": {"up"}})
	order = collectionOrder(alice, col)
	// A private collection.
	alice.get("/collections")
	private := alice.post("/collections", url.Values{"name": {"Private"}}).Header.Get("Location")
	alice.get(private)
	alice.post(private+"/add", url.Values{"badge_id": {strings.TrimPrefix(order[0], "/badges/")}})

	settings := alice.get("/settings")
	if !settings.has(`[data-testid=displayer-on]`) || settings.has(`[data-testid=displayer-id]`) {
		t.Fatal("the Displayer API is on before opting in")
	}
	id := optIn(t, alice)
	anon := a.browser(t)
	slug := slugOf(t, a, "alice@example.org", col)

	// groups.json: only the shared collection, with its size.
	g := anon.get("/displayer/" + id + "/groups.json")
	wantStatus(t, g, http.StatusOK)
	groups := decodeJSON[dGroups](t, g)
	if groups.UserID != id || len(groups.Groups) != 1 || groups.Groups[0].GroupID != slug ||
		groups.Groups[0].Name != "Work <i>stuff</i>" || groups.Groups[0].Badges != 3 {
		t.Fatalf("groups: %s", g.body)
	}
	if plain := anon.get("/displayer/" + id + "/groups"); plain.StatusCode != http.StatusOK || plain.body != g.body {
		t.Fatalf("without .json: %d %s", plain.StatusCode, plain.body)
	}

	// group json: the badges in the collection's order, Mozilla's fields.
	gp := anon.get("/displayer/" + id + "/group/" + slug + ".json")
	wantStatus(t, gp, http.StatusOK)
	group := decodeJSON[dGroup](t, gp)
	if group.UserID != id || group.GroupID != slug || len(group.Badges) != 3 {
		t.Fatalf("group: %s", gp.body)
	}
	ctx := context.Background()
	u, _ := a.db.UserByEmail(ctx, "alice@example.org")
	validated := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	for i, b := range group.Badges {
		bid, _ := strconv.ParseInt(strings.TrimPrefix(order[i], "/badges/"), 10, 64)
		stored, _ := a.db.BadgeByID(ctx, u.ID, bid)
		ob, _ := stored.Badge()
		if b.HostedURL == nil || *b.HostedURL != ob.ID || b.Assertion.Verify == nil || b.Assertion.Verify.URL != ob.ID || b.Assertion.Verify.Type != "hosted" {
			t.Errorf("badge %d: hostedUrl %v, want %s (collection order)", i, b.HostedURL, ob.ID)
		}
		if !validated.MatchString(b.LastValidated) || b.LastValidated != stored.VerifiedAt.UTC().Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("lastValidated %q", b.LastValidated)
		}
		as := b.Assertion
		if b.AssertionType != "hosted" || !strings.HasPrefix(b.ImageURL, "http://backpack.test/img/") || as.Badge.Image != b.ImageURL ||
			as.Badge.Name != "Robot Wrangler" || as.Badge.Description != "Wrangles robots." ||
			as.Badge.Issuer.Name != "Test Academy" || as.Badge.Issuer.URL != is.srv.URL || as.Badge.Issuer.Origin != is.srv.URL ||
			as.IssuedOn != hostedIssuedOn.Unix() || as.IssuedOn05 != as.IssuedOn {
			t.Errorf("badge %d: %+v", i, b)
		}
	}
	for _, private := range []string{"alice@", "recipient", "sha256$", "salt", "a@academy.test"} {
		if strings.Contains(gp.body, private) || strings.Contains(g.body, private) {
			t.Errorf("the Displayer API shows %q: %s", private, gp.body)
		}
	}
	for _, p := range []*page{g, gp} {
		if len(p.Cookies()) != 0 || p.Header.Get("Access-Control-Allow-Origin") != "*" || p.Header.Get("Access-Control-Allow-Credentials") != "" ||
			p.Header.Get("Referrer-Policy") != "no-referrer" || !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
			t.Errorf("headers %v", p.Header)
		}
	}

	// Conditional requests.
	for path, p := range map[string]*page{"/displayer/" + id + "/groups.json": g, "/displayer/" + id + "/group/" + slug + ".json": gp} {
		req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+path, nil)
		req.Header.Set("If-None-Match", p.Header.Get("ETag"))
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("Set-Cookie") != "" {
			t.Fatalf("If-None-Match on %s: %d", path, rec.Code)
		}
		req = httptest.NewRequest(http.MethodGet, "http://backpack.test"+path, nil)
		req.Header.Set("If-Modified-Since", p.Header.Get("Last-Modified"))
		rec = httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			t.Fatalf("If-Modified-Since on %s: %d", path, rec.Code)
		}
	}
	// A revoked badge leaves the group and its count; the validators change.
	bid, _ := strconv.ParseInt(strings.TrimPrefix(order[1], "/badges/"), 10, 64)
	stored, _ := a.db.BadgeByID(ctx, u.ID, bid)
	a.clock.add(time.Hour)
	if err := a.db.UpdateVerification(ctx, u.ID, bid, store.Verification{Status: store.StatusRevoked, Reachable: true,
		BadgeJSON: stored.BadgeJSON, ReportJSON: stored.ReportJSON, Name: stored.Name, IssuerName: stored.IssuerName, At: a.clock.now()}); err != nil {
		t.Fatal(err)
	}
	g2 := anon.get("/displayer/" + id + "/groups.json")
	if decodeJSON[dGroups](t, g2).Groups[0].Badges != 2 || g2.Header.Get("ETag") == g.Header.Get("ETag") || g2.Header.Get("Last-Modified") == g.Header.Get("Last-Modified") {
		t.Fatalf("after revoking one: %s %v", g2.body, g2.Header)
	}
	if n := len(decodeJSON[dGroup](t, anon.get("/displayer/"+id+"/group/"+slug)).Badges); n != 2 {
		t.Fatalf("%d badges listed after revoking one", n)
	}

	// Not found: unknown and garbage ids, the old Mozilla-style numbers,
	// a private collection, another user's collection.
	privSlug := slugOf(t, a, "alice@example.org", private)
	bob := a.signUpConfirmed(t, "bob@example.org")
	bob.get("/collections")
	bobCol := bob.post("/collections", url.Values{"name": {"Bob's"}}).Header.Get("Location")
	bob.get(bobCol)
	bob.post(bobCol+"/share", url.Values{"do": {"on"}})
	bobSlug := slugOf(t, a, "bob@example.org", bobCol)
	bobID := optIn(t, bob)
	if bobID == id {
		t.Fatal("two users share a displayer id")
	}
	wantStatus(t, anon.get("/displayer/"+bobID+"/group/"+bobSlug+".json"), http.StatusOK)
	for _, path := range []string{
		"/displayer/AAAAAAAAAAAAAAAAAAAAAAAAAA/groups.json",
		"/displayer/" + strings.ToLower(id) + "/groups.json",
		"/displayer/1/groups.json",
		"/displayer/" + strconv.FormatInt(u.ID, 10) + "/group/" + slug + ".json",
		"/displayer/short/groups.json",
		"/displayer/" + strings.Repeat("A", 100) + "/groups.json",
		"/displayer/%3Cscript%3E/groups.json",
		"/displayer/" + id + "/group/" + privSlug + ".json",
		"/displayer/" + id + "/group/" + bobSlug + ".json",
		"/displayer/" + bobID + "/group/" + slug + ".json",
		"/displayer/" + id + "/group/x.json",
		"/displayer/" + id + "/group/" + strings.Repeat("A", 100),
		"/displayer/" + id + "/group/AAAAAAAAAAAAAAAAAAAAAAAAAA.json",
	} {
		p := anon.get(path)
		wantMissing(t, p)
		if len(p.Cookies()) != 0 {
			t.Errorf("%s sets a cookie", path)
		}
	}
	// There is no email converter: it would tell who has an account.
	if p := anon.postRaw("/displayer/convert/email", url.Values{"email": {"alice@example.org"}}); p.StatusCode == http.StatusOK || strings.Contains(p.body, id) {
		t.Fatalf("POST /displayer/convert/email: %d %s", p.StatusCode, p.body)
	}
	if p := anon.get("/displayer/convert/email"); p.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /displayer/convert/email: %d", p.StatusCode)
	}

	// Unsharing hides the collection; sharing again shows it under a new
	// groupId (its link), and the old one stays dead.
	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"off"}})
	wantMissing(t, anon.get("/displayer/"+id+"/group/"+slug+".json"))
	if n := len(decodeJSON[dGroups](t, anon.get("/displayer/"+id+"/groups.json")).Groups); n != 0 {
		t.Fatalf("%d groups after unsharing", n)
	}
	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"on"}})
	wantMissing(t, anon.get("/displayer/"+id+"/group/"+slug+".json"))
	slug = slugOf(t, a, "alice@example.org", col)
	wantStatus(t, anon.get("/displayer/"+id+"/group/"+slug+".json"), http.StatusOK)

	// A new collection link changes the groupId; the old one dies.
	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"rotate"}})
	newSlug := slugOf(t, a, "alice@example.org", col)
	if newSlug == slug {
		t.Fatal("rotating did not change the slug")
	}
	wantMissing(t, anon.get("/displayer/"+id+"/group/"+slug+".json"))
	wantStatus(t, anon.get("/displayer/"+id+"/group/"+newSlug+".json"), http.StatusOK)
	if gs := decodeJSON[dGroups](t, anon.get("/displayer/"+id+"/groups.json")); len(gs.Groups) != 1 || gs.Groups[0].GroupID != newSlug {
		t.Fatalf("groups after rotating: %+v", gs)
	}

	// Opting in again keeps the id; opting out kills it; opting in once
	// more makes a new one.
	if again := optIn(t, alice); again != id {
		t.Fatalf("opting in twice changed the id: %s, %s", id, again)
	}
	alice.get("/settings")
	wantRedirect(t, alice.post("/settings/displayer", url.Values{"do": {"off"}}), "/settings#displayer")
	if p := alice.get("/settings"); p.has(`[data-testid=displayer-id]`) || !p.has(`[data-testid=displayer-on]`) {
		t.Fatal("the settings page still shows the displayer id")
	}
	wantMissing(t, anon.get("/displayer/"+id+"/groups.json"))
	wantMissing(t, anon.get("/displayer/"+id+"/group/"+newSlug+".json"))
	if id2 := optIn(t, alice); id2 == id {
		t.Fatal("opting in again brought back the old id")
	}
	wantMissing(t, anon.get("/displayer/"+id+"/groups.json"))
	wantStatus(t, anon.get("/displayer/"+bobID+"/groups.json"), http.StatusOK) // bob unaffected
}

func TestDisplayerSettingsNeedASignedInUser(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	anon := a.browser(t)
	anon.get("/login")
	wantRedirect(t, anon.post("/settings/displayer", url.Values{"do": {"on"}}), "/login")
	// A forged form (no token) does nothing.
	wantStatus(t, alice.postRaw("/settings/displayer", url.Values{"do": {"on"}}), http.StatusForbidden)
	alice.get("/settings")
	wantStatus(t, alice.post("/settings/displayer", url.Values{"do": {"maybe"}}), http.StatusBadRequest)
	if alice.get("/settings").has(`[data-testid=displayer-id]`) {
		t.Fatal("opted in without asking")
	}
}

func TestDisplayerHidesPlainRecipientsAssertion(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	alice.postFiles([]upload{{"b.json", is.hostedPlain("/plain/1", "alice@example.org")}}, nil, "")
	href, _ := alice.get("/badges").doc.Find(`[data-testid=badge-card] a`).First().Attr("href")
	alice.get("/collections")
	col := alice.post("/collections", url.Values{"name": {"Plain"}}).Header.Get("Location")
	alice.get(col)
	alice.post(col+"/add", url.Values{"badge_id": {strings.TrimPrefix(href, "/badges/")}})
	alice.post(col+"/share", url.Values{"do": {"on"}})
	id := optIn(t, alice)
	p := a.browser(t).get("/displayer/" + id + "/group/" + slugOf(t, a, "alice@example.org", col) + ".json")
	wantStatus(t, p, http.StatusOK)
	group := decodeJSON[dGroup](t, p)
	// Its assertion URL would show anyone alice's address.
	if len(group.Badges) != 1 || group.Badges[0].HostedURL != nil || group.Badges[0].Assertion.Verify != nil ||
		strings.Contains(p.body, "/plain/1") || strings.Contains(p.body, "alice@") {
		t.Fatalf("plain-text recipient's assertion exposed: %s", p.body)
	}
	if !strings.Contains(p.body, `"hostedUrl":null`) || group.Badges[0].AssertionType != "hosted" {
		t.Fatalf("hostedUrl not null: %s", p.body)
	}
}

func TestDisplayerIsInjectionSafe(t *testing.T) {
	a := newApp(t)
	a.signUpConfirmed(t, "alice@example.org")
	ctx := context.Background()
	u, _ := a.db.UserByEmail(ctx, "alice@example.org")
	evil := `<script>alert(1)</script>"><img src=x onerror=alert(1)>`
	ob := openbadges.Badge{ID: "javascript:alert(1)", Name: evil, Description: evil, Issuer: openbadges.Issuer{Name: evil, URL: "javascript:alert(1)"},
		Criteria: openbadges.Criteria{URL: "JaVaScRiPt:alert(1)"}, Recipient: openbadges.Recipient{Hashed: true}}
	bj, _ := json.Marshal(ob)
	orig := []byte("evil")
	sum := sha256.Sum256(orig)
	bid, _, err := a.db.SaveBadge(ctx, store.Badge{UserID: u.ID, ContentHash: sum[:], Original: orig, OriginalType: "json", Format: "hosted",
		Name: evil, IssuerName: evil, Description: evil, BadgeJSON: bj, ReportJSON: []byte(`{}`),
		Status: store.StatusVerified, VerifiedAt: a.clock.now(), CreatedAt: a.clock.now()})
	if err != nil {
		t.Fatal(err)
	}
	cid, _ := a.db.CreateCollection(ctx, u.ID, evil, evil, "EVILEVILEVILEVILEVILEVILEV", a.clock.now())
	a.db.AddToCollection(ctx, u.ID, cid, bid, a.clock.now())
	a.db.UpdateCollection(ctx, u.ID, cid, evil, evil, true, false, "", a.clock.now())
	d, _ := a.db.EnableDisplayer(ctx, u.ID, "DISPLAYERDISPLAYERDISPLAYE", a.clock.now())

	anon := a.browser(t)
	for _, path := range []string{"/displayer/" + d.ID + "/groups.json", "/displayer/" + d.ID + "/group/EVILEVILEVILEVILEVILEVILEV.json"} {
		p := anon.get(path)
		wantStatus(t, p, http.StatusOK)
		if strings.Contains(p.body, "<script>") || strings.Contains(p.body, "<img") || !strings.Contains(p.body, `\u003cscript\u003e`) {
			t.Errorf("%s: hostile text not JSON-escaped: %s", path, p.body)
		}
		if strings.Contains(strings.ToLower(p.body), "javascript:") {
			t.Errorf("%s passes on a javascript: URL: %s", path, p.body)
		}
		if p.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
	group := decodeJSON[dGroup](t, anon.get("/displayer/"+d.ID+"/group/EVILEVILEVILEVILEVILEVILEV.json"))
	if b := group.Badges[0]; b.Assertion.Badge.Name != evil || b.Assertion.Badge.Issuer.Name != evil || b.HostedURL != nil {
		t.Fatalf("decoded badge %+v", b)
	}
}
