package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"backpack/openbadges"
	"backpack/store"
)

// The JSON answers of public pages are contracts that other sites and
// plugins read: the JSON twins of /b/{slug} and /c/{slug}, oEmbed and the
// Displayer API. These golden tests pin each of them, key by key and byte
// by byte, on a backpack whose every stored value is known.

// Slugs and ids of the golden backpack: fixed, so that they can be written
// into the expected answers.
const (
	goldenBadgeSlug    = "GOLDENBADGEGOLDENBADGEGOLD"
	goldenRevokedSlug  = "GOLDENREVOKEDGOLDENREVOKED"
	goldenMismatchSlug = "GOLDENMISMATCHGOLDENMISMAT"
	goldenNoIssuerSlug = "GOLDENNOISSUERGOLDENNOISSU"
	goldenColSlug      = "GOLDENCOLLECTIONGOLDENCOLL"
	goldenEmptySlug    = "GOLDENEMPTYGOLDENEMPTYGOLD"
	goldenDisplayerID  = "GOLDENDISPLAYERGOLDENDISPL"
)

// golden is the backpack the golden tests read, and the values to put in
// place of the {{...}} marks of the expected answers.
type golden struct {
	a    *app
	vars *strings.Replacer
}

// goldenImage is the image of the first golden badge; its hash names it.
var goldenImage = []byte("\x89PNG golden image")

// goldenBackpack stores, straight through the store, five badges of
// alice's: verified with a plain recipient; revoked with a reason, no
// image, no issue date, unreachable; not verified for a recipient
// mismatch; expired, in a hosted assertion with a hashed recipient; and
// one whose issuer has no name. It shares all but the expired one, and a
// collection of the first four; opts alice in to the Displayer API; and
// gives bob, who has no display name, an empty shared collection.
func goldenBackpack(t testing.TB) *golden {
	t.Helper()
	a := newApp(t)
	ctx := context.Background()
	now := a.clock.now()
	alice, _, err := a.db.CreateUser(ctx, "alice@example.org", "x", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.SetDisplayName(ctx, alice.ID, "Alice Smith"); err != nil {
		t.Fatal(err)
	}
	bob, _, err := a.db.CreateUser(ctx, "bob@example.org", "x", now)
	if err != nil {
		t.Fatal(err)
	}
	verified := now.Add(-time.Hour)
	issued := now.AddDate(-1, 0, 0)
	expires := now.AddDate(1, 0, 0)
	expired := now.AddDate(0, -1, 0)
	unreachable := now.Add(-30 * time.Minute)
	yes := true

	save := func(b store.Badge, ob openbadges.Badge, rep openbadges.Report) int64 {
		t.Helper()
		b.UserID, b.OriginalType, b.VerifiedAt, b.CreatedAt = alice.ID, "json", verified, verified
		b.Original = []byte("original of " + b.Name)
		b.BadgeJSON, _ = json.Marshal(ob)
		b.ReportJSON, _ = json.Marshal(rep)
		id, _, err := a.db.SaveBadge(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	wrangler := openbadges.Badge{ID: "https://issuer.example/assertions/1", Name: "Robot Wrangler", Description: "Wrangles robots.",
		Image: "https://issuer.example/robot.png", Criteria: openbadges.Criteria{URL: "https://issuer.example/criteria", Narrative: "Wrangle *three* robots."},
		Issuer:   openbadges.Issuer{ID: "https://issuer.example/issuer", Name: "Test Academy", URL: "https://issuer.example/", Email: "badges@issuer.example"},
		IssuedOn: issued, Expires: &expires, Recipient: openbadges.Recipient{Type: "email", Identity: "alice@example.org"},
		Tags: []string{"robots", "care"}, BadgeClass: "https://issuer.example/badges/robot"}
	b1 := save(store.Badge{Spec: "2.0", Format: "hosted", Name: wrangler.Name, IssuerName: wrangler.Issuer.Name, Description: wrangler.Description,
		IssuedOn: issued, Expires: &expires, Status: store.StatusVerified, Recipient: "alice@example.org",
		Image: goldenImage, ImageType: "image/png"}, wrangler,
		openbadges.Report{Valid: true, Spec: "2.0", Format: "hosted", Source: "json", Recipient: openbadges.RecipientResult{Matched: &yes, Identity: "alice@example.org"},
			Badge: &wrangler, Checks: []openbadges.Check{{Name: openbadges.CheckParse, OK: true, Message: "Open Badges 2.0"},
				{Name: openbadges.CheckRecipient, OK: true, Message: "issued to alice@example.org"}}})

	revokedBadge := openbadges.Badge{Name: "Revoked Skill", Issuer: openbadges.Issuer{Name: "Old Issuer"},
		Recipient: openbadges.Recipient{Type: "email", Identity: "sha256$abc", Hashed: true}}
	b2 := save(store.Badge{Spec: "2.0", Format: "hosted", Name: revokedBadge.Name, IssuerName: revokedBadge.Issuer.Name,
		Status: store.StatusRevoked, UnreachableSince: &unreachable}, revokedBadge,
		openbadges.Report{Spec: "2.0", Format: "hosted", Revoked: true, RevocationReason: "Issued in error",
			Errors: []openbadges.Problem{{Code: "revoked", Message: "the issuer revoked it"}},
			Checks: []openbadges.Check{{Name: openbadges.CheckRecipient, OK: true, Message: "issued to alice@example.org"}}})

	mismatchBadge := openbadges.Badge{Name: "Someone Else's", Issuer: openbadges.Issuer{Name: "Test Academy", URL: "javascript:alert(1)"},
		IssuedOn: issued, Recipient: openbadges.Recipient{Type: "email", Identity: "carol@example.org"}}
	b3 := save(store.Badge{Spec: "2.0", Format: "hosted", Name: mismatchBadge.Name, IssuerName: mismatchBadge.Issuer.Name, IssuedOn: issued,
		Status: store.StatusUnverified}, mismatchBadge,
		openbadges.Report{Spec: "2.0", Format: "hosted", Errors: []openbadges.Problem{{Code: "recipient-mismatch", Message: "issued to carol@example.org, not to you"}},
			Checks: []openbadges.Check{{Name: openbadges.CheckRecipient, OK: false, Message: "issued to carol@example.org, not to you"}}})

	expiredBadge := openbadges.Badge{ID: "https://issuer.example/assertions/4", Name: "Lapsed & Gone", Description: "Was <b>valid</b>.",
		Criteria: openbadges.Criteria{URL: "ftp://issuer.example/criteria"},
		Issuer:   openbadges.Issuer{Name: "Test Academy", URL: "https://issuer.example/path?q=1"},
		IssuedOn: issued, Expires: &expired, Recipient: openbadges.Recipient{Type: "email", Identity: "sha256$def", Hashed: true, Salt: "pepper"}}
	b4 := save(store.Badge{Spec: "2.0", Format: "hosted", Name: expiredBadge.Name, IssuerName: expiredBadge.Issuer.Name,
		Description: expiredBadge.Description, IssuedOn: issued, Expires: &expired, Status: store.StatusExpired,
		Image: []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), ImageType: "image/svg+xml"}, expiredBadge,
		openbadges.Report{Spec: "2.0", Format: "hosted", Expired: true, Badge: &expiredBadge,
			Checks: []openbadges.Check{{Name: openbadges.CheckRecipient, OK: true, Message: "issued to alice@example.org"}}})

	// A badge whose issuer has no name, shared on its own.
	b5 := save(store.Badge{Spec: "1.0", Format: "signed", Name: "Anonymous", Status: store.StatusVerified},
		openbadges.Badge{Name: "Anonymous"}, openbadges.Report{Valid: true})

	for id, slug := range map[int64]string{b1: goldenBadgeSlug, b2: goldenRevokedSlug, b3: goldenMismatchSlug, b5: goldenNoIssuerSlug} {
		if _, err := a.db.ShareBadge(ctx, alice.ID, id, slug, now); err != nil {
			t.Fatal(err)
		}
	}
	const colName, colDesc = "Work I am proud of", "Badges from **three** years."
	col, err := a.db.CreateCollection(ctx, alice.ID, colName, colDesc, goldenColSlug, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{b1, b2, b3, b4} {
		if err := a.db.AddToCollection(ctx, alice.ID, col, id, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.db.UpdateCollection(ctx, alice.ID, col, colName, colDesc, true, false, "", now); err != nil {
		t.Fatal(err)
	}
	empty, err := a.db.CreateCollection(ctx, bob.ID, "Nothing yet", "", goldenEmptySlug, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.UpdateCollection(ctx, bob.ID, empty, "Nothing yet", "", true, false, "", now); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.EnableDisplayer(ctx, alice.ID, goldenDisplayerID, now); err != nil {
		t.Fatal(err)
	}
	pngHash, svgHash := sha256.Sum256(goldenImage), sha256.Sum256([]byte("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"))
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	return &golden{a: a, vars: strings.NewReplacer(
		"{{png}}", fmt.Sprintf("%x", pngHash), "{{svg}}", fmt.Sprintf("%x", svgHash),
		"{{verified}}", rfc(verified), "{{issued}}", rfc(issued), "{{expires}}", rfc(expires),
		"{{expired}}", rfc(expired), "{{unreachable}}", rfc(unreachable),
		"{{verifiedMillis}}", verified.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		"{{issuedUnix}}", fmt.Sprint(issued.Unix()), "{{expiresUnix}}", fmt.Sprint(expires.Unix()), "{{expiredUnix}}", fmt.Sprint(expired.Unix()),
	)}
}

// check GETs path (with the Accept header, if not "") and compares the
// answer with want, an indented JSON text with {{...}} marks: first as
// decoded JSON (the contract: same keys, same types, same values), then
// byte for byte.
func (g *golden) check(t *testing.T, path, accept string, status int, want string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	g.a.ServeHTTP(rec, req)
	if rec.Code != status || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: %d %s: %s", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(g.vars.Replace(want))); err != nil {
		t.Fatalf("the expected answer of %s is not JSON: %v", path, err)
	}
	var wantDoc, gotDoc any
	if err := json.Unmarshal(compact.Bytes(), &wantDoc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &gotDoc); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, rec.Body)
	}
	if diff := cmp.Diff(wantDoc, gotDoc); diff != "" {
		t.Fatalf("GET %s (-want +got):\n%s", path, diff)
	}
	if got := rec.Body.String(); got != compact.String()+"\n" {
		t.Fatalf("GET %s: same JSON, other bytes:\n got %s\nwant %s", path, got, compact.String())
	}
}

func TestGoldenBadgeTwin(t *testing.T) {
	g := goldenBackpack(t)
	const hidden = `{
		"badge": {%s"name": "Robot Wrangler", "description": "Wrangles robots.",
			%s"criteria": {"url": "https://issuer.example/criteria", "narrative": "Wrangle *three* robots."},
			"issuer": {"id": "https://issuer.example/issuer", "name": "Test Academy", "url": "https://issuer.example/", "email": "badges@issuer.example"},
			"issuedOn": "{{issued}}", "expires": "{{expires}}",
			"recipient": {"type": "", "identity": "", "hashed": false},
			"tags": ["robots", "care"], "badgeClass": "https://issuer.example/badges/robot"},
		"checks": [{"name": "parse", "ok": true, "message": "Open Badges 2.0"},
			{"name": "recipient", "ok": true, "message": "issued to the person who shares it"}],
		"image": "http://backpack.test/img/{{png}}.png",
		"status": "verified",
		"statusText": "All checks passed: genuine, and not revoked",
		"unreachableSince": null,
		"url": "http://backpack.test/b/GOLDENBADGEGOLDENBADGEGOLD",
		"verifiedAt": "{{verified}}"
	}`
	// Neither the address of the issuer's copy nor the image the
	// assertion names, unless the owner shares the verifiable original.
	g.check(t, "/b/"+goldenBadgeSlug+".json", "", http.StatusOK, fmt.Sprintf(hidden, "", ""))
	g.check(t, "/b/"+goldenBadgeSlug, "application/json", http.StatusOK, fmt.Sprintf(hidden, "", ""))
	ctx := context.Background()
	u, _ := g.a.db.UserByEmail(ctx, "alice@example.org")
	_, sh, err := g.a.db.SharedBadge(ctx, goldenBadgeSlug)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.a.db.UpdateShareOptions(ctx, u.ID, sh.BadgeID, store.ShareOptions{ShareOriginal: true}, g.a.clock.now()); err != nil {
		t.Fatal(err)
	}
	g.check(t, "/b/"+goldenBadgeSlug+".json", "", http.StatusOK, fmt.Sprintf(hidden,
		`"id": "https://issuer.example/assertions/1", `, `"image": "https://issuer.example/robot.png", `))

	g.check(t, "/b/"+goldenRevokedSlug+".json", "", http.StatusOK, `{
		"badge": {"name": "Revoked Skill", "criteria": {}, "issuer": {"name": "Old Issuer"},
			"issuedOn": "0001-01-01T00:00:00Z", "recipient": {"type": "", "identity": "", "hashed": false}},
		"checks": [{"name": "recipient", "ok": true, "message": "issued to the person who shares it"}],
		"image": "",
		"status": "revoked",
		"statusText": "Revoked: Issued in error",
		"unreachableSince": "{{unreachable}}",
		"url": "http://backpack.test/b/GOLDENREVOKEDGOLDENREVOKED",
		"verifiedAt": "{{verified}}"
	}`)

	const mismatch = `{
		"badge": {"name": "Someone Else's", "criteria": {}, "issuer": {"name": "Test Academy", "url": "javascript:alert(1)"},
			"issuedOn": "{{issued}}", "recipient": {%s}},
		"checks": [{"name": "recipient", "ok": false, "message": %s}],
		"image": "",
		"status": "unverified",
		"statusText": %s,
		"unreachableSince": null,
		"url": "http://backpack.test/b/GOLDENMISMATCHGOLDENMISMAT",
		"verifiedAt": "{{verified}}"
	}`
	g.check(t, "/b/"+goldenMismatchSlug+".json", "", http.StatusOK, fmt.Sprintf(mismatch,
		`"type": "", "identity": "", "hashed": false`, `"not issued to the person who shares it"`,
		`"Could not verify: not issued to the person who shares it"`))

	// The owner shows the recipient: the badge keeps it, the checks and
	// the status tell it.
	_, sh, err = g.a.db.SharedBadge(ctx, goldenMismatchSlug)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.a.db.UpdateShare(ctx, u.ID, sh.BadgeID, true, true, false, "", g.a.clock.now()); err != nil {
		t.Fatal(err)
	}
	g.check(t, "/b/"+goldenMismatchSlug+".json", "", http.StatusOK, fmt.Sprintf(mismatch,
		`"type": "email", "identity": "carol@example.org", "hashed": false`, `"issued to carol@example.org, not to you"`,
		`"Could not verify: issued to carol@example.org, not to you"`))
}

func TestGoldenCollectionTwin(t *testing.T) {
	g := goldenBackpack(t)
	want := `{
		"badges": [
			{"badge": {"name": "Robot Wrangler", "description": "Wrangles robots.",
					"criteria": {"url": "https://issuer.example/criteria", "narrative": "Wrangle *three* robots."},
					"issuer": {"id": "https://issuer.example/issuer", "name": "Test Academy", "url": "https://issuer.example/", "email": "badges@issuer.example"},
					"issuedOn": "{{issued}}", "expires": "{{expires}}",
					"recipient": {"type": "", "identity": "", "hashed": false},
					"tags": ["robots", "care"], "badgeClass": "https://issuer.example/badges/robot"},
				"expires": "{{expires}}",
				"image": "http://backpack.test/img/{{png}}.png",
				"issuedOn": "{{issued}}",
				"issuer": "Test Academy",
				"name": "Robot Wrangler",
				"status": "verified",
				"statusText": "All checks passed: genuine, and not revoked",
				"verifiedAt": "{{verified}}"},
			{"badge": {"name": "Revoked Skill", "criteria": {}, "issuer": {"name": "Old Issuer"},
					"issuedOn": "0001-01-01T00:00:00Z", "recipient": {"type": "", "identity": "", "hashed": false}},
				"expires": null,
				"image": "",
				"issuedOn": "0001-01-01T00:00:00Z",
				"issuer": "Old Issuer",
				"name": "Revoked Skill",
				"status": "revoked",
				"statusText": "Revoked: Issued in error",
				"verifiedAt": "{{verified}}"},
			{"badge": {"name": "Someone Else's", "criteria": {}, "issuer": {"name": "Test Academy", "url": "javascript:alert(1)"},
					"issuedOn": "{{issued}}", "recipient": {"type": "", "identity": "", "hashed": false}},
				"expires": null,
				"image": "",
				"issuedOn": "{{issued}}",
				"issuer": "Test Academy",
				"name": "Someone Else's",
				"status": "unverified",
				"statusText": "Could not verify: not issued to the person who shares it",
				"verifiedAt": "{{verified}}"},
			{"badge": {"name": "Lapsed \u0026 Gone", "description": "Was \u003cb\u003evalid\u003c/b\u003e.",
					"criteria": {"url": "ftp://issuer.example/criteria"}, "issuer": {"name": "Test Academy", "url": "https://issuer.example/path?q=1"},
					"issuedOn": "{{issued}}", "expires": "{{expired}}",
					"recipient": {"type": "", "identity": "", "hashed": false}},
				"expires": "{{expired}}",
				"image": "http://backpack.test/img/{{svg}}.svg",
				"issuedOn": "{{issued}}",
				"issuer": "Test Academy",
				"name": "Lapsed \u0026 Gone",
				"status": "expired",
				"statusText": "Genuine, but expired",
				"verifiedAt": "{{verified}}"}
		],
		"description": "Badges from **three** years.",
		"name": "Work I am proud of",
		"next": null,
		"prev": null,
		"url": "http://backpack.test/c/GOLDENCOLLECTIONGOLDENCOLL"
	}`
	g.check(t, "/c/"+goldenColSlug+".json", "", http.StatusOK, want)
	g.check(t, "/c/"+goldenColSlug, "application/json", http.StatusOK, want)
	g.check(t, "/c/"+goldenEmptySlug+".json", "", http.StatusOK, `{
		"badges": [],
		"description": "",
		"name": "Nothing yet",
		"next": null,
		"prev": null,
		"url": "http://backpack.test/c/GOLDENEMPTYGOLDENEMPTYGOLD"
	}`)
}

func TestGoldenOEmbed(t *testing.T) {
	g := goldenBackpack(t)
	oembed := func(page string, extra ...string) string {
		return "/oembed?" + strings.Join(append([]string{"url=" + url.QueryEscape("http://backpack.test"+page)}, extra...), "&")
	}
	g.check(t, oembed("/b/"+goldenBadgeSlug), "", http.StatusOK, `{
		"author_name": "Test Academy",
		"cache_age": 300,
		"height": 130,
		"html": "\u003ciframe src=\"http://backpack.test/embed/b/GOLDENBADGEGOLDENBADGEGOLD\" title=\"Robot Wrangler\" width=\"320\" height=\"130\" style=\"border:0;max-width:100%\" loading=\"lazy\"\u003e\u003c/iframe\u003e",
		"provider_name": "Backpack",
		"provider_url": "http://backpack.test/",
		"title": "Robot Wrangler",
		"type": "rich",
		"version": "1.0",
		"width": 320
	}`)
	g.check(t, oembed("/c/"+goldenColSlug, "format=json", "maxwidth=500", "maxheight=1000"), "", http.StatusOK, `{
		"author_name": "Alice Smith",
		"cache_age": 300,
		"height": 260,
		"html": "\u003ciframe src=\"http://backpack.test/embed/c/GOLDENCOLLECTIONGOLDENCOLL\" title=\"Work I am proud of\" width=\"500\" height=\"260\" style=\"border:0;max-width:100%\" loading=\"lazy\"\u003e\u003c/iframe\u003e",
		"provider_name": "Backpack",
		"provider_url": "http://backpack.test/",
		"title": "Work I am proud of",
		"type": "rich",
		"version": "1.0",
		"width": 500
	}`)
	// An issuer without a name is still an author_name; no display name
	// is no author_name at all.
	g.check(t, oembed("/b/"+goldenNoIssuerSlug), "", http.StatusOK, `{
		"author_name": "",
		"cache_age": 300,
		"height": 130,
		"html": "\u003ciframe src=\"http://backpack.test/embed/b/GOLDENNOISSUERGOLDENNOISSU\" title=\"Anonymous\" width=\"320\" height=\"130\" style=\"border:0;max-width:100%\" loading=\"lazy\"\u003e\u003c/iframe\u003e",
		"provider_name": "Backpack",
		"provider_url": "http://backpack.test/",
		"title": "Anonymous",
		"type": "rich",
		"version": "1.0",
		"width": 320
	}`)
	g.check(t, oembed("/c/"+goldenEmptySlug, "maxheight=50"), "", http.StatusOK, `{
		"cache_age": 300,
		"height": 50,
		"html": "\u003ciframe src=\"http://backpack.test/embed/c/GOLDENEMPTYGOLDENEMPTYGOLD\" title=\"Nothing yet\" width=\"640\" height=\"50\" style=\"border:0;max-width:100%\" loading=\"lazy\"\u003e\u003c/iframe\u003e",
		"provider_name": "Backpack",
		"provider_url": "http://backpack.test/",
		"title": "Nothing yet",
		"type": "rich",
		"version": "1.0",
		"width": 640
	}`)
}

func TestGoldenDisplayer(t *testing.T) {
	g := goldenBackpack(t)
	g.check(t, "/displayer/"+goldenDisplayerID+"/groups.json", "", http.StatusOK, `{
		"userId": "GOLDENDISPLAYERGOLDENDISPL",
		"groups": [{"groupId": "GOLDENCOLLECTIONGOLDENCOLL", "name": "Work I am proud of", "badges": 2}]
	}`)
	g.check(t, "/displayer/"+goldenDisplayerID+"/group/"+goldenColSlug+".json", "", http.StatusOK, `{
		"userId": "GOLDENDISPLAYERGOLDENDISPL",
		"groupId": "GOLDENCOLLECTIONGOLDENCOLL",
		"badges": [
			{"lastValidated": "{{verifiedMillis}}", "assertionType": "hosted", "hostedUrl": null,
				"assertion": {"badge": {"name": "Robot Wrangler", "description": "Wrangles robots.",
						"image": "http://backpack.test/img/{{png}}.png", "criteria": "https://issuer.example/criteria",
						"issuer": {"name": "Test Academy", "url": "https://issuer.example/", "origin": "https://issuer.example"}},
					"issuedOn": {{issuedUnix}}, "issued_on": {{issuedUnix}}, "expires": {{expiresUnix}}},
				"imageUrl": "http://backpack.test/img/{{png}}.png"},
			{"lastValidated": "{{verifiedMillis}}", "assertionType": "hosted", "hostedUrl": "https://issuer.example/assertions/4",
				"assertion": {"badge": {"name": "Lapsed \u0026 Gone", "description": "Was \u003cb\u003evalid\u003c/b\u003e.",
						"image": "http://backpack.test/img/{{svg}}.svg",
						"issuer": {"name": "Test Academy", "url": "https://issuer.example/path?q=1", "origin": "https://issuer.example"}},
					"verify": {"type": "hosted", "url": "https://issuer.example/assertions/4"},
					"issuedOn": {{issuedUnix}}, "issued_on": {{issuedUnix}}, "expires": {{expiredUnix}}},
				"imageUrl": "http://backpack.test/img/{{svg}}.svg"}
		]
	}`)
	g.check(t, "/displayer/"+goldenDisplayerID+"/group/"+goldenEmptySlug, "", http.StatusNotFound, `{"httpStatus": 404, "status": "missing"}`)
}
