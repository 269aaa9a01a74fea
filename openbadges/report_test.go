package openbadges

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"backpack/internal/testclock"
	"backpack/openbadges/dataintegrity"
	"backpack/openbadges/problem"
)

// faultCase is a badge with several things wrong at once, in one of the
// four formats. want lists every error code in the order the report must
// give them (by precedence) and checks every check in the order it ran,
// "!" marking a failed one.
type faultCase struct {
	name             string
	format           string
	build            func(t *testing.T) (input []byte, v *Verifier)
	errors           []Code
	expired, revoked bool
	checks           []string
}

// revokedStatus serves a status list on which index 7 is set and returns
// a credentialStatus entry pointing at it.
func revokedStatus(is *ob3Issuer) Object {
	is.statusList(is.t, "/status/1", "BitstringStatusList", 7)
	return Object{"id": is.url("/status/1#7"), "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
		"statusListIndex": "7", "statusListCredential": is.url("/status/1")}
}

// forMallory makes an OB 3.0 credential name mallory as its recipient.
func forMallory(c Object) {
	c["credentialSubject"].(Object)["identifier"].([]any)[0].(Object)["identityHash"] = "sha256$" + sha256hex("mallory@example.org"+"s4lt")
}

// diJSON signs c with the issuer's Ed25519 key (vm: the verification
// method named, created: the proof's creation time) and returns its JSON.
func diJSON(t *testing.T, c Object, key ed25519.PrivateKey, vm string, created time.Time) []byte {
	signed, err := dataintegrity.Sign(context.Background(), jsonRoundTrip(t, c), key, vm, created)
	if err != nil {
		t.Fatal(err)
	}
	return mustJSON(t, signed)
}

// tamperJSON changes the credential's name in signed JSON.
func tamperJSON(t *testing.T, b []byte) []byte {
	out := strings.Replace(string(b), `"name":"Team Player"`, `"name":"Team Captain"`, 1)
	if out == string(b) {
		t.Fatal("nothing to tamper with")
	}
	return []byte(out)
}

var faultCases = []faultCase{
	// VC-JWT.
	{name: "key unresolved and expired", format: "vc-jwt", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		c := is.credential("/credentials/1", earner)
		c["validUntil"] = testclock.RFC3339(0, -1, 0)
		return []byte(signVCJWT(t, c, is.ed, Object{"kid": is.url("/keys/gone")})), is.verifier(t, testNow)
	}, errors: []Code{"key-unresolved", "expired"}, expired: true,
		checks: []string{"parse", "!signing-key", "jwt-claims", "issued-date", "!expiry", "recipient"}},
	{name: "key unresolved and not yet valid", format: "vc-jwt", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		c := is.credential("/credentials/1", earner)
		c["validFrom"] = testclock.RFC3339(0, 1, 0)
		return []byte(signVCJWT(t, c, is.ed, Object{"kid": is.url("/keys/gone")})), is.verifier(t, testNow)
	}, errors: []Code{"key-unresolved", "not-yet-valid"},
		checks: []string{"parse", "!signing-key", "jwt-claims", "!issued-date", "expiry", "recipient"}},
	{name: "tampered, revoked, expired and someone else's", format: "vc-jwt", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		c := is.credential("/credentials/1", earner)
		c["validUntil"] = testclock.RFC3339(0, -1, 0)
		c["credentialStatus"] = revokedStatus(is)
		forMallory(c)
		return []byte(tamper(t, is.signJWT(t, c, jose.EdDSA))), is.verifier(t, testNow)
	}, errors: []Code{"revoked", "signature-invalid", "recipient-mismatch", "expired"}, expired: true, revoked: true,
		checks: []string{"parse", "signing-key", "!signature", "jwt-claims", "!revocation", "issued-date", "!expiry", "!recipient"}},
	{name: "claims contradict the credential, and expired", format: "vc-jwt", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		c := is.credential("/credentials/1", earner)
		c["validUntil"] = testclock.RFC3339(0, -1, 0)
		claims := jwtClaims(c)
		claims["jti"], claims["sub"] = is.url("/credentials/2"), "did:example:someone"
		return []byte(signJWTClaims(t, claims, is.ed, Object{"kid": is.id + "#ed"})), is.verifier(t, testNow)
	}, errors: []Code{"schema", "expired"}, expired: true,
		checks: []string{"parse", "signing-key", "signature", "!jwt-claims", "issued-date", "!expiry", "recipient"}},
	{name: "exp earlier than validUntil: the earlier one counts", format: "vc-jwt", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		c := is.credential("/credentials/1", earner)
		c["validUntil"] = testclock.RFC3339(1, 0, 0)
		claims := jwtClaims(c)
		claims["exp"] = testclock.Date(0, -1, 0).Unix()
		return []byte(signJWTClaims(t, claims, is.ed, Object{"kid": is.id + "#ed"})), is.verifier(t, testNow)
	}, errors: []Code{"schema", "expired"}, expired: true,
		checks: []string{"parse", "signing-key", "signature", "!jwt-claims", "issued-date", "!expiry", "recipient"}},
	{name: "nbf and validFrom at the same future instant", format: "vc-jwt", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		c := is.credential("/credentials/1", earner)
		c["validFrom"] = testclock.RFC3339(0, 1, 0)
		return []byte(is.signJWT(t, c, jose.EdDSA)), is.verifier(t, testNow)
	}, errors: []Code{"not-yet-valid"},
		checks: []string{"parse", "signing-key", "signature", "jwt-claims", "!issued-date", "expiry", "recipient"}},

	// Data Integrity.
	{name: "proof created at a future validFrom", format: "data-integrity", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		c := is.credential("/credentials/1", earner)
		from := testclock.Date(0, 1, 0)
		c["validFrom"] = from.Format(time.RFC3339)
		return diJSON(t, c, is.ed, is.id+"#ed", from), is.verifier(t, testNow)
	}, errors: []Code{"not-yet-valid"},
		checks: []string{"parse", "signing-key", "proof", "!issued-date", "expiry", "recipient"}},
	{name: "proof created in the future of a credential already valid", format: "data-integrity", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		return diJSON(t, is.credential("/credentials/1", earner), is.ed, is.id+"#ed", testclock.Date(0, 1, 0)), is.verifier(t, testNow)
	}, errors: []Code{"signature-invalid"},
		checks: []string{"parse", "!proof", "issued-date", "expiry", "recipient"}},
	{name: "somebody else's key, and expired", format: "data-integrity", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		// The key is its controller's, who lists it: only not the issuer's.
		is.put("/other/key", Object{"id": is.url("/other/key"), "type": "Multikey", "controller": is.url("/other"), "publicKeyMultibase": multikey(pub)})
		is.put("/other", Object{"id": is.url("/other"), "type": "Profile", "name": "Other", "assertionMethod": []any{is.url("/other/key")}})
		c := is.credential("/credentials/1", earner)
		c["validUntil"] = testclock.RFC3339(0, -1, 0)
		return diJSON(t, c, priv, is.url("/other/key"), testNow), is.verifier(t, testNow)
	}, errors: []Code{"key-unresolved", "expired"}, expired: true,
		checks: []string{"parse", "!signing-key", "issued-date", "!expiry", "recipient"}},
	{name: "key nowhere to be found, not yet valid and someone else's", format: "data-integrity", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		c := is.credential("/credentials/1", earner)
		c["validFrom"] = testclock.RFC3339(0, 1, 0)
		forMallory(c)
		return diJSON(t, c, is.ed, is.url("/gone#key"), testNow), is.verifier(t, testNow)
	}, errors: []Code{"key-unresolved", "recipient-mismatch", "not-yet-valid"},
		checks: []string{"parse", "!proof", "!issued-date", "expiry", "!recipient"}},
	{name: "tampered and revoked", format: "data-integrity", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newOB3Issuer(t)
		c := is.credential("/credentials/1", earner)
		c["credentialStatus"] = revokedStatus(is)
		return tamperJSON(t, diJSON(t, c, is.ed, is.id+"#ed", testNow)), is.verifier(t, testNow)
	}, errors: []Code{"revoked", "signature-invalid"}, revoked: true,
		checks: []string{"parse", "!proof", "!revocation", "issued-date", "expiry", "recipient"}},

	// OB 2.0 hosted.
	{name: "badge class missing, expired and someone else's", format: "hosted", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newTestIssuer(t)
		a := is.assertion("/assertions/1", "mallory@example.org", false)
		a["badge"], a["expires"] = is.url("/no-such-badge"), testclock.RFC3339(0, -1, 0)
		is.put("/assertions/1", a)
		return mustJSON(t, a), is.verifier(t, testNow)
	}, errors: []Code{"fetch-failed", "recipient-mismatch", "expired"}, expired: true,
		checks: []string{"parse", "fetch-assertion", "same-assertion", "!badge-class", "issued-date", "!expiry", "!recipient"}},
	{name: "hosted off the issuer's origin, issued in the future", format: "hosted", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newTestIssuer(t)
		is.put("/issuer", Object{"@context": "https://w3id.org/openbadges/v2", "type": "Issuer", "id": "https://academy.test/issuer",
			"name": "Test Academy", "url": "https://academy.test/", "email": "badges@academy.test"})
		a := is.assertion("/assertions/1", earner, false)
		a["issuedOn"] = testclock.RFC3339(0, 1, 0)
		is.put("/assertions/1", a)
		return mustJSON(t, a), is.verifier(t, testNow)
	}, errors: []Code{"id-mismatch", "not-yet-valid"},
		checks: []string{"parse", "fetch-assertion", "same-assertion", "badge-class", "issuer", "!verification-scope", "!issued-date", "expiry", "recipient"}},

	// OB 2.0 signed.
	{name: "key the issuer does not list, revoked and expired", format: "signed", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newTestIssuer(t)
		a := is.assertion("/assertions/s1", earner, true)
		is.putKey("/rogue-key", &rsaKeys(t)[1].PublicKey, is.url("/issuer"))
		a["verification"] = Object{"type": "SignedBadge", "creator": is.url("/rogue-key")}
		a["expires"] = testclock.RFC3339(0, -1, 0)
		is.put("/revocations", Object{"type": "RevocationList", "id": is.url("/revocations"), "revokedAssertions": []any{a["id"]}})
		return []byte(sign(t, rsaKeys(t)[1], a)), is.verifier(t, testNow)
	}, errors: []Code{"revoked", "key-unresolved", "expired"}, expired: true, revoked: true,
		checks: []string{"parse", "badge-class", "issuer", "!signing-key", "!revocation", "issued-date", "!expiry", "recipient"}},
	{name: "tampered to be issued in the future", format: "signed", build: func(t *testing.T) ([]byte, *Verifier) {
		is := newTestIssuer(t)
		a := is.assertion("/assertions/s1", earner, true)
		tok := sign(t, is.key, a)
		a["issuedOn"] = testclock.RFC3339(0, 1, 0)
		parts := strings.Split(tok, ".")
		return []byte(parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(t, a)) + "." + parts[2]), is.verifier(t, testNow)
	}, errors: []Code{"signature-invalid", "not-yet-valid"},
		checks: []string{"parse", "badge-class", "issuer", "signing-key", "!signature", "revocation", "!issued-date", "expiry", "recipient"}},
}

// TestEveryFailureIsReported: a badge with several faults reports them
// all, in the order of precedence, with the expired and revoked flags
// and every check that ran.
func TestEveryFailureIsReported(t *testing.T) {
	formats := map[string]bool{}
	for _, tc := range faultCases {
		formats[tc.format] = true
		t.Run(tc.format+"/"+tc.name, func(t *testing.T) {
			input, v := tc.build(t)
			r := v.Verify(context.Background(), input, []Identity{{Email, earner}})
			var codes []Code
			for _, e := range r.Errors {
				codes = append(codes, e.Code)
			}
			var checks []string
			for _, c := range r.Checks {
				checks = append(checks, map[bool]string{true: "", false: "!"}[c.OK]+c.Name)
			}
			if r.Valid || r.Format != tc.format || !slices.Equal(codes, tc.errors) || r.Code != tc.errors[0] ||
				r.Expired != tc.expired || r.Revoked != tc.revoked || !slices.Equal(checks, tc.checks) {
				t.Fatalf("format %s, code %q, errors %v, expired %v, revoked %v,\nchecks %q\nwant format %s, errors %v, expired %v, revoked %v,\nchecks %q\n%s",
					r.Format, r.Code, codes, r.Expired, r.Revoked, checks, tc.format, tc.errors, tc.expired, tc.revoked, tc.checks, dump(r))
			}
			if failed := strings.Count(strings.Join(checks, " "), "!"); failed != len(r.Errors) {
				t.Errorf("%d failed checks but %d errors", failed, len(r.Errors))
			}
		})
	}
	if len(formats) != 4 {
		t.Errorf("the table covers %d formats, not all four", len(formats))
	}
}

// TestPrecedenceCoversEveryCode: every error code has its place.
func TestPrecedenceCoversEveryCode(t *testing.T) {
	all := []Code{problem.Malformed, problem.Schema, problem.FetchFailed, problem.BlockedAddress, problem.IDMismatch,
		problem.SignatureInvalid, problem.KeyUnresolved, problem.RecipientMismatch, problem.Expired, problem.NotYetValid,
		problem.Revoked, problem.TooLarge, problem.Unsupported}
	for _, c := range all {
		if n := strings.Count(" "+joinCodes(precedence)+" ", " "+string(c)+" "); n != 1 {
			t.Errorf("%s appears %d times in the precedence", c, n)
		}
	}
	if len(precedence) != len(all) {
		t.Errorf("precedence has %d codes, the contract %d", len(precedence), len(all))
	}
}

func joinCodes(cs []Code) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, " ")
}

// TestReportCode: the top-level code is in the JSON of a report that is
// not valid, and absent from a valid one.
func TestReportCode(t *testing.T) {
	is := newOB3Issuer(t)
	c := is.credential("/credentials/1", earner)
	valid := is.verifier(t, testNow).Verify(context.Background(), []byte(is.signJWT(t, c, jose.EdDSA)), nil)
	c["validUntil"] = testclock.RFC3339(0, -1, 0)
	expired := is.verifier(t, testNow).Verify(context.Background(), []byte(is.signJWT(t, c, jose.EdDSA)), nil)
	for _, tc := range []struct {
		r    *Report
		want string
	}{{valid, ""}, {expired, "expired"}} {
		var m map[string]any
		if err := json.Unmarshal(mustJSON(t, tc.r), &m); err != nil {
			t.Fatal(err)
		}
		code, has := m["code"]
		if (tc.want == "") == has || (has && code != tc.want) {
			t.Errorf("code %v (present %v), want %q\n%s", code, has, tc.want, dump(tc.r))
		}
	}
}
