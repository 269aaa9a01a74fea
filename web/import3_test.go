package web

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"backpack/internal/testclock"
)

// vcJWT publishes an Open Badges 3.0 issuer profile with an Ed25519 key
// on the test issuer and returns a VC-JWT credential for email, valid
// from validFrom, with credential id id.
func (is *testIssuer) vcJWT(t testing.TB, id, email, validFrom string) string {
	_, havePriv := is.srv.Doc("/ob3/issuer")
	if !havePriv || ob3Key == nil {
		_, ob3Key, _ = ed25519.GenerateKey(rand.Reader)
		jwk, _ := json.Marshal(jose.JSONWebKey{Key: ob3Key.Public()})
		var m map[string]any
		json.Unmarshal(jwk, &m)
		issuer := is.url("/ob3/issuer")
		is.put("/ob3/issuer", map[string]any{"id": issuer, "type": "Profile", "name": "Credential Academy",
			"verificationMethod": []any{map[string]any{"id": issuer + "#k", "type": "JsonWebKey", "controller": issuer, "publicKeyJwk": m}},
			"assertionMethod":    []any{issuer + "#k"}})
	}
	issuer := is.url("/ob3/issuer")
	cred := map[string]any{
		"@context": []any{"https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"},
		"id":       is.url(id), "type": []any{"VerifiableCredential", "OpenBadgeCredential"},
		"issuer":    map[string]any{"id": issuer, "type": []any{"Profile"}, "name": "Credential Academy"},
		"validFrom": validFrom, "name": "Team Player",
		"credentialSubject": map[string]any{"type": []any{"AchievementSubject"},
			"identifier": []any{map[string]any{"type": "IdentityObject", "identityType": "emailAddress", "hashed": false, "identityHash": email}},
			"achievement": map[string]any{"id": is.url("/ob3/achievement"), "type": []any{"Achievement"}, "name": "Team Player",
				"description": "Works well with others.", "criteria": map[string]any{"narrative": "Peers said so."}}},
		"iss": issuer, "jti": is.url(id),
	}
	b, _ := json.Marshal(cred)
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: ob3Key}, (&jose.SignerOptions{}).WithHeader("kid", issuer+"#k"))
	o, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := o.CompactSerialize()
	return tok
}

var ob3Key ed25519.PrivateKey

func TestImportVCJWTAndTheEqualityRule(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")

	// Three issues of one credential, all in the past of the test clock.
	first, newer, older := testclock.Date(0, -10, 0), testclock.Date(0, -5, 0), testclock.Date(-1, -5, 0)

	alice.get("/badges/new")
	p := alice.postFiles([]upload{{"cred.jwt", []byte(is.vcJWT(t, "/creds/1", "Alice@Example.org", first.Format(time.RFC3339)))}}, nil, "")
	if o := p.doc.Find(`[data-testid=import-result]`).AttrOr("data-outcome", ""); o != "added" {
		t.Fatalf("VC-JWT import: %s", p.text())
	}
	// A newer issue of the same credential (same issuer and id, later
	// validFrom) replaces the old one; an older one is a duplicate.
	p = alice.postFiles([]upload{{"newer.jwt", []byte(is.vcJWT(t, "/creds/1", "alice@example.org", newer.Format(time.RFC3339)))}}, nil, "")
	if o := p.doc.Find(`[data-testid=import-result]`).AttrOr("data-outcome", ""); o != "updated" {
		t.Fatalf("newer issue: %s", p.text())
	}
	p = alice.postFiles([]upload{{"older.jwt", []byte(is.vcJWT(t, "/creds/1", "alice@example.org", older.Format(time.RFC3339)))}}, nil, "")
	if o := p.doc.Find(`[data-testid=import-result]`).AttrOr("data-outcome", ""); o != "duplicate" {
		t.Fatalf("older issue: %s", p.text())
	}
	list := alice.get("/badges")
	if n := list.doc.Find(`[data-testid=badge-card]`).Length(); n != 1 {
		t.Fatalf("%d badges, want 1", n)
	}
	href, _ := list.doc.Find(`[data-testid=badge-card] a`).First().Attr("href")
	d := alice.get(href)
	if !strings.Contains(d.text(), "Team Player") || !strings.Contains(d.text(), "Credential Academy") || !strings.Contains(d.text(), newer.Format("2 Jan 2006")) {
		t.Fatalf("badge page after the update: %s", d.text())
	}

	// The same hosted assertion updated by its issuer with a later
	// issuedOn: the URL import replaces the JSON one.
	hosted := is.hosted("/a/9", "alice@example.org")
	alice.get("/badges/new")
	alice.postFiles([]upload{{"a9.json", hosted}}, nil, "")
	was, reissued := hostedIssuedOn.Format(time.RFC3339), hostedIssuedOn.AddDate(0, 2, 0).Format(time.RFC3339)
	if !strings.Contains(string(hosted), was) {
		t.Fatalf("hosted assertion without issuedOn %s: %s", was, hosted)
	}
	later := strings.Replace(string(hosted), was, reissued, 1)
	is.put("/a/9", []byte(later))
	p = alice.postFiles(nil, map[string]string{"urls": is.url("/a/9")}, "")
	if o := p.doc.Find(`[data-testid=import-result]`).AttrOr("data-outcome", ""); o != "updated" {
		t.Fatalf("re-issued hosted assertion: %s", p.text())
	}
	if n := alice.get("/badges").doc.Find(`[data-testid=badge-card]`).Length(); n != 2 {
		t.Fatalf("%d badges, want 2", n)
	}
}
