package openbadges

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"backpack/internal/testclock"
	"backpack/openbadges/bake"
)

// testNow is the test clock: the badges the tests build and sign are dated
// relative to it and verified at it. The fixtures written by others have
// their own instant, fixtureNow.
var testNow = testclock.Now()

const earner = "alice@example.org"

// scenario prepares the issuer and returns the badge as the earner has it
// (JSON text, a JWS, or the URL of a hosted assertion).
type scenario struct {
	name    string
	signed  bool
	prepare func(is *testIssuer) (text, hostedURL string)
	valid   bool
	code    Code
	check   func(t *testing.T, r *Report)
}

func hostedScenario(mod func(is *testIssuer, a Object)) func(is *testIssuer) (string, string) {
	return func(is *testIssuer) (string, string) {
		a := is.assertion("/assertions/1", earner, false)
		if mod != nil {
			mod(is, a)
		}
		b, _ := json.Marshal(a)
		is.put("/assertions/1", b)
		return string(b), is.url("/assertions/1")
	}
}

func signedScenario(mod func(is *testIssuer, a Object) string) func(is *testIssuer) (string, string) {
	return func(is *testIssuer) (string, string) {
		a := is.assertion("/assertions/s1", earner, true)
		var tok string
		if mod != nil {
			tok = mod(is, a)
		}
		if tok == "" {
			tok = sign(is.t, is.key, a)
		}
		is.put("/signed/1", []byte(tok))
		return tok, is.url("/signed/1")
	}
}

var scenarios = []scenario{
	{name: "valid hosted", prepare: hostedScenario(nil), valid: true, check: func(t *testing.T, r *Report) {
		b := r.Badge
		if b.Name != "Robot Wrangler" || b.Issuer.Name != "Test Academy" || b.Criteria.Narrative == "" || len(b.Tags) != 2 ||
			len(b.Alignments) != 1 || len(b.Evidence) != 1 || b.Issuer.Email != "badges@academy.test" {
			t.Errorf("badge = %+v", b)
		}
		if r.Recipient.Matched == nil || !*r.Recipient.Matched || r.Recipient.Identity != "ALICE@example.org" {
			t.Errorf("recipient = %+v", r.Recipient)
		}
	}},
	{name: "valid signed", signed: true, prepare: signedScenario(nil), valid: true},
	{name: "tampered payload", signed: true, code: "signature-invalid", prepare: signedScenario(func(is *testIssuer, a Object) string {
		tok := sign(is.t, is.key, a)
		a["issuedOn"] = testclock.RFC3339(-5, 0, 0) // claim an older award
		p, _ := json.Marshal(a)
		parts := strings.Split(tok, ".")
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(p) + "." + parts[2]
	})},
	{name: "wrong key", signed: true, code: "signature-invalid", prepare: signedScenario(func(is *testIssuer, a Object) string {
		return sign(is.t, rsaKeys(is.t)[1], a)
	})},
	{name: "key not listed by the issuer", signed: true, code: "key-unresolved", prepare: signedScenario(func(is *testIssuer, a Object) string {
		is.putKey("/rogue-key", &rsaKeys(is.t)[1].PublicKey, is.url("/issuer"))
		a["verification"] = Object{"type": "SignedBadge", "creator": is.url("/rogue-key")}
		return sign(is.t, rsaKeys(is.t)[1], a)
	})},
	{name: "revoked by list", signed: true, code: "revoked", prepare: signedScenario(func(is *testIssuer, a Object) string {
		is.put("/revocations", Object{"type": "RevocationList", "id": is.url("/revocations"),
			"revokedAssertions": []any{Object{"id": is.url("/assertions/s1"), "revocationReason": "Issued in error"}}})
		return ""
	}), check: func(t *testing.T, r *Report) {
		if !r.Revoked || r.RevocationReason != "Issued in error" || !strings.Contains(r.Errors[0].Message, "Issued in error") {
			t.Errorf("revocation not reported with its reason: %s", dump(r))
		}
	}},
	{name: "revoked by 410", code: "revoked", prepare: func(is *testIssuer) (string, string) {
		text, u := hostedScenario(nil)(is)
		is.setStatus("/assertions/1", http.StatusGone)
		return text, u
	}, check: func(t *testing.T, r *Report) {
		if !r.Revoked {
			t.Error("revoked flag not set")
		}
	}},
	{name: "revoked in the hosted body", code: "revoked", prepare: func(is *testIssuer) (string, string) {
		text, u := hostedScenario(nil)(is)
		is.put("/assertions/1", Object{"id": u, "revoked": true, "revocationReason": "Cheating"})
		return text, u
	}, check: func(t *testing.T, r *Report) {
		if r.RevocationReason != "Cheating" {
			t.Errorf("reason %q", r.RevocationReason)
		}
	}},
	{name: "expired hosted", code: "expired", prepare: hostedScenario(func(is *testIssuer, a Object) { a["expires"] = testclock.RFC3339(0, -1, 0) }),
		check: func(t *testing.T, r *Report) {
			if !r.Expired || r.Badge == nil {
				t.Errorf("expired=%v badge=%v", r.Expired, r.Badge)
			}
		}},
	{name: "expired signed", signed: true, code: "expired", prepare: signedScenario(func(is *testIssuer, a Object) string {
		a["expires"] = testclock.RFC3339(0, -1, 0)
		return ""
	})},
	{name: "issued in the future", code: "not-yet-valid", prepare: hostedScenario(func(is *testIssuer, a Object) { a["issuedOn"] = testclock.RFC3339(0, 1, 0) })},
	{name: "wrong recipient hosted", code: "recipient-mismatch", prepare: func(is *testIssuer) (string, string) {
		a := is.assertion("/assertions/1", "mallory@example.org", false)
		is.put("/assertions/1", a)
		b, _ := json.Marshal(a)
		return string(b), is.url("/assertions/1")
	}},
	{name: "wrong recipient signed", signed: true, code: "recipient-mismatch", prepare: func(is *testIssuer) (string, string) {
		tok := sign(is.t, is.key, is.assertion("/assertions/s1", "mallory@example.org", true))
		is.put("/signed/1", []byte(tok))
		return tok, is.url("/signed/1")
	}},
	{name: "id mismatch", code: "id-mismatch", prepare: func(is *testIssuer) (string, string) {
		a := is.assertion("/assertions/1", earner, false)
		b, _ := json.Marshal(a)
		other := is.assertion("/assertions/2", earner, false) // served at /1, says it is /2
		is.put("/assertions/1", other)
		return string(b), is.url("/assertions/1")
	}},
	{name: "missing badge class hosted", code: "fetch-failed", prepare: hostedScenario(func(is *testIssuer, a Object) { a["badge"] = is.url("/no-such-badge") })},
	{name: "missing badge class signed", signed: true, code: "fetch-failed", prepare: signedScenario(func(is *testIssuer, a Object) string {
		a["badge"] = is.url("/no-such-badge")
		return ""
	})},
	{name: "hosted off the issuer's origin", code: "id-mismatch", prepare: hostedScenario(func(is *testIssuer, a Object) {
		is.put("/issuer", Object{"@context": "https://w3id.org/openbadges/v2", "type": "Issuer", "id": "https://academy.test/issuer",
			"name": "Test Academy", "url": "https://academy.test/", "email": "badges@academy.test"})
	})},
}

// TestVerifySelfSigned runs every scenario in every form the earner may
// hold the badge in: JSON (or the JWS), its URL, a baked PNG, a baked SVG.
func TestVerifySelfSigned(t *testing.T) {
	forms := []struct {
		name   string
		source string
		input  func(t *testing.T, text, u string) []byte
	}{
		{"text", "", func(t *testing.T, text, u string) []byte { return []byte(text) }},
		{"url", "url", func(t *testing.T, text, u string) []byte { return []byte(u) }},
		{"png", "png", func(t *testing.T, text, u string) []byte {
			b, err := bake.Bake(plainPNG(t), bake.OB2, text)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"svg", "svg", func(t *testing.T, text, u string) []byte {
			b, err := bake.Bake([]byte(plainSVG), bake.OB2, text)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
	}
	for _, sc := range scenarios {
		for _, form := range forms {
			t.Run(sc.name+"/"+form.name, func(t *testing.T) {
				is := newTestIssuer(t)
				text, u := sc.prepare(is)
				r := is.verifier(t, testNow).Verify(context.Background(), form.input(t, text, u), []Identity{{Email, "ALICE@example.org"}})
				wantSource := form.source
				if wantSource == "" {
					wantSource = map[bool]string{false: "json", true: "jws"}[sc.signed]
				}
				wantFormat := map[bool]string{false: "hosted", true: "signed"}[sc.signed]
				if r.Valid != sc.valid || r.Source != wantSource || r.Format != wantFormat || r.Spec != "2.0" {
					t.Fatalf("valid=%v source=%q format=%q spec=%q; want %v %q %q 2.0\n%s", r.Valid, r.Source, r.Format, r.Spec, sc.valid, wantSource, wantFormat, dump(r))
				}
				if !sc.valid && !hasCode(r, sc.code) {
					t.Fatalf("error codes %v, want %q\n%s", errorCodes(r), sc.code, dump(r))
				}
				if sc.valid && (len(r.Errors) != 0 || r.Badge == nil) {
					t.Fatalf("valid with errors: %s", dump(r))
				}
				for _, c := range r.Checks {
					if c.Name == "" || c.Message == "" {
						t.Errorf("check without name or message: %+v", c)
					}
				}
				if sc.check != nil {
					sc.check(t, r)
				}
			})
		}
	}
}

func TestRecipientNotCheckedWithoutIdentities(t *testing.T) {
	is := newTestIssuer(t)
	_, u := hostedScenario(nil)(is)
	r := is.verifier(t, testNow).VerifyURL(context.Background(), u, nil)
	if !r.Valid || r.Recipient.Matched != nil {
		t.Fatalf("valid=%v matched=%v", r.Valid, r.Recipient.Matched)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"recipient":{"matched":null}`) {
		t.Fatalf("JSON: %s", b)
	}
}

func TestSignedBadgeRefusesDangerousAlgorithms(t *testing.T) {
	is := newTestIssuer(t)
	a := is.assertion("/assertions/s1", earner, true)
	payload, _ := json.Marshal(a)
	enc := base64.RawURLEncoding.EncodeToString
	pubPEM := is.docs["/key"]
	for name, header := range map[string]string{
		"none":  `{"alg":"none"}`,
		"HS256": `{"alg":"HS256"}`,
		"empty": `{}`,
	} {
		tok := enc([]byte(header)) + "." + enc(payload) + "." + enc(pubPEM[:32])
		r := is.verifier(t, testNow).Verify(context.Background(), []byte(tok), nil)
		if r.Valid || !hasCode(r, "unsupported") {
			t.Errorf("%s: %s", name, dump(r))
		}
	}
}

func TestSignedBadgeIgnoresKeysInTheToken(t *testing.T) {
	is := newTestIssuer(t)
	attacker := rsaKeys(t)[1]
	a := is.assertion("/assertions/s1", earner, true)
	b, _ := json.Marshal(a)
	jwk := jose.JSONWebKey{Key: &attacker.PublicKey}
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: attacker}, &jose.SignerOptions{EmbedJWK: true})
	obj, _ := signer.Sign(b)
	tok, _ := obj.CompactSerialize()
	_ = jwk
	r := is.verifier(t, testNow).Verify(context.Background(), []byte(tok), nil)
	if r.Valid || !hasCode(r, "signature-invalid") {
		t.Fatalf("a token carrying its own key was accepted: %s", dump(r))
	}
}

func TestHostileInputsGiveReports(t *testing.T) {
	is := newTestIssuer(t)
	v := is.verifier(t, testNow)
	for name, tt := range map[string]struct {
		in   string
		code Code
	}{
		"empty":            {"", "malformed"},
		"jpeg":             {"\xff\xd8\xff\xe0JFIF", "unsupported"},
		"html":             {"<html><script>alert(1)</script></html>", "unsupported"},
		"duplicate keys":   {`{"@context":"https://w3id.org/openbadges/v2","id":"` + is.url("/a") + `","id":"https://evil.test/"}`, "malformed"},
		"deep":             {strings.Repeat("[", 100000), "malformed"},
		"deep object":      {"{" + strings.Repeat(`"a":{`, 100) + strings.Repeat("}", 101), "malformed"},
		"dotty jws":        {strings.Repeat(".", 1<<20), "malformed"},
		"huge jws":         {strings.Repeat("a", 70000) + ".b.c", "too-large"},
		"jws bad base64":   {"!!!.b.c", "malformed"},
		"ob3 credential":   {`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","OpenBadgeCredential"]}`, "schema"},
		"json not a badge": {`{"hello":"world"}`, "schema"},
		"blocked url":      {"http://169.254.169.254/latest/meta-data/", "blocked-address"},
		"private url":      {"https://10.0.0.1/assertion", "blocked-address"},
	} {
		r := v.Verify(context.Background(), []byte(tt.in), nil)
		if r.Valid || !hasCode(r, tt.code) {
			t.Errorf("%s: codes %v, want %q", name, errorCodes(r), tt.code)
		}
	}
}
