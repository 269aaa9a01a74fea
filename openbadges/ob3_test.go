package openbadges

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/mr-tron/base58"

	"backpack/internal/testclock"
	"backpack/openbadges/bake"
	"backpack/openbadges/dataintegrity"
)

// ob3ValidFrom is when the test credentials become valid: a year before the
// test clock.
var ob3ValidFrom = testclock.Date(-1, 0, 0)

// ob3Issuer is an OB 3.0 issuer on the loopback test server: its profile
// publishes an Ed25519, a P-256 and an RSA key as verification methods.
type ob3Issuer struct {
	*testIssuer
	id  string
	ed  ed25519.PrivateKey
	ec  *ecdsa.PrivateKey
	rsa crypto.Signer
}

func newOB3Issuer(t testing.TB) *ob3Issuer {
	is := &ob3Issuer{testIssuer: newTestIssuer(t)}
	is.id = is.url("/issuers/1")
	_, is.ed, _ = ed25519.GenerateKey(rand.Reader)
	is.ec, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	is.rsa = rsaKeys(t)[0]
	vm := func(frag string, pub crypto.PublicKey) Object {
		j, _ := json.Marshal(jose.JSONWebKey{Key: pub})
		var m Object
		json.Unmarshal(j, &m)
		return Object{"id": is.id + "#" + frag, "type": "JsonWebKey", "controller": is.id, "publicKeyJwk": m}
	}
	is.put("/issuers/1", Object{
		"@context": []any{vcV2Context, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"},
		"id":       is.id, "type": []any{"Profile"}, "name": "Credential Academy",
		"verificationMethod": []any{vm("ed", is.ed.Public()), vm("ec", is.ec.Public()), vm("rsa", is.rsa.Public())},
		"assertionMethod":    []any{is.id + "#ed", is.id + "#ec", is.id + "#rsa"},
	})
	return is
}

// credential returns an unsigned OpenBadgeCredential for email, valid from
// ob3ValidFrom.
func (is *ob3Issuer) credential(id, email string) Object {
	return Object{
		"@context": []any{vcV2Context, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"},
		"id":       is.url(id), "type": []any{"VerifiableCredential", "OpenBadgeCredential"},
		"issuer":    Object{"id": is.id, "type": []any{"Profile"}, "name": "Credential Academy"},
		"validFrom": ob3ValidFrom.Format(time.RFC3339), "name": "Team Player",
		"credentialSubject": Object{
			"type": []any{"AchievementSubject"},
			"identifier": []any{Object{"type": "IdentityObject", "identityType": "emailAddress", "hashed": true, "salt": "s4lt",
				"identityHash": "sha256$" + sha256hex(email+"s4lt")}},
			"achievement": Object{"id": is.url("/achievements/team"), "type": []any{"Achievement"}, "name": "Team Player",
				"description": "Works well with others.", "criteria": Object{"narrative": "Nominated by **three** peers."}},
		},
	}
}

// signDI signs c with an eddsa-rdfc-2022 proof created at the test clock,
// the instant the tests verify at.
func (is *ob3Issuer) signDI(t testing.TB, c Object) Object {
	c = jsonRoundTrip(t, c) // as the verifier will see it: numbers are json.Number
	signed, err := dataintegrity.Sign(context.Background(), c, is.ed, is.id+"#ed", testNow)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// signJWT makes a VC-JWT (VC 2.0 form: the credential is the payload).
func (is *ob3Issuer) signJWT(t testing.TB, c Object, alg jose.SignatureAlgorithm) string {
	key, kid := map[jose.SignatureAlgorithm]any{jose.EdDSA: is.ed, jose.ES256: is.ec, jose.RS256: is.rsa}[alg], ""
	kid = map[jose.SignatureAlgorithm]string{jose.EdDSA: "#ed", jose.ES256: "#ec", jose.RS256: "#rsa"}[alg]
	claims := Object{}
	for k, v := range c {
		claims[k] = v
	}
	claims["iss"], claims["jti"] = is.id, c["id"]
	from, _, _ := parseTime(c["validFrom"])
	claims["nbf"] = from.Unix()
	if u, ok := c["validUntil"]; ok {
		until, _, _ := parseTime(u)
		claims["exp"] = until.Unix()
	}
	b, _ := json.Marshal(claims)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", is.id+kid).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := o.CompactSerialize()
	return tok
}

// statusList serves a signed BitstringStatusListCredential (or a
// StatusList2021Credential) with the given bits set, valid from a year
// before the test clock.
func (is *ob3Issuer) statusList(t testing.TB, path, typ string, set ...int) {
	bits := make([]byte, 16*1024)
	for _, i := range set {
		bits[i/8] |= 0x80 >> (i % 8)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(bits)
	w.Close()
	enc := base64.RawURLEncoding.EncodeToString(gz.Bytes())
	ctxs := []any{vcV2Context}
	listType, subjType := "BitstringStatusListCredential", "BitstringStatusList"
	if typ == "StatusList2021" {
		ctxs = []any{vcV1Context, "https://w3id.org/vc/status-list/2021/v1", "https://w3id.org/security/data-integrity/v2"}
		listType, subjType = "StatusList2021Credential", "StatusList2021"
	} else {
		enc = "u" + enc
	}
	doc := Object{"@context": ctxs, "id": is.url(path), "type": []any{"VerifiableCredential", listType},
		"issuer": is.id, "credentialSubject": Object{"id": is.url(path) + "#list", "type": subjType, "statusPurpose": "revocation", "encodedList": enc}}
	if typ == "StatusList2021" {
		doc["issuanceDate"] = testclock.RFC3339(-1, 0, 0)
	} else {
		doc["validFrom"] = testclock.RFC3339(-1, 0, 0)
	}
	is.put(path, is.signDI(t, doc))
}

type ob3Scenario struct {
	name string
	// jwtOnlyBuild: build applies to VC-JWTs only (for data integrity,
	// after does the same to the signed credential).
	jwtOnlyBuild bool
	build        func(is *ob3Issuer, c Object) // mutate before signing
	after        func(is *ob3Issuer, signed Object) Object
	code         Code
}

var ob3Scenarios = []ob3Scenario{
	{name: "valid"},
	{name: "tampered achievement name", code: "signature-invalid", after: func(is *ob3Issuer, s Object) Object {
		s["credentialSubject"].(Object)["achievement"].(Object)["name"] = "Team Captain"
		return s
	}},
	{name: "key not controlled by the issuer", code: "key-unresolved", after: func(is *ob3Issuer, s Object) Object {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		is.put("/other/key", Object{"id": is.url("/other/key"), "type": "Multikey", "controller": is.url("/other"), "publicKeyMultibase": multikey(pub)})
		delete(s, "proof")
		signed, err := dataintegrity.Sign(context.Background(), s, priv, is.url("/other/key"), testNow)
		if err != nil {
			is.t.Fatal(err)
		}
		return signed
	}},
	{name: "unknown cryptosuite", code: "unsupported", after: func(is *ob3Issuer, s Object) Object {
		s["proof"].(Object)["cryptosuite"] = "bbs-2023"
		return s
	}},
	{name: "context not bundled", code: "unsupported", jwtOnlyBuild: true, build: func(is *ob3Issuer, c Object) {
		c["@context"] = append(c["@context"].([]any), is.url("/my-context.jsonld"))
	}, after: func(is *ob3Issuer, s Object) Object {
		s["@context"] = append(s["@context"].([]any), is.url("/my-context.jsonld"))
		return s
	}},
	{name: "expired", code: "expired", build: func(is *ob3Issuer, c Object) { c["validUntil"] = testclock.RFC3339(0, -1, 0) }},
	{name: "not yet valid", code: "not-yet-valid", build: func(is *ob3Issuer, c Object) { c["validFrom"] = testclock.RFC3339(0, 1, 0) }},
	{name: "revoked by bitstring status list", code: "revoked", build: func(is *ob3Issuer, c Object) {
		is.statusList(is.t, "/status/1", "BitstringStatusList", 3, 94567)
		c["credentialStatus"] = Object{"id": is.url("/status/1#94567"), "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
			"statusListIndex": "94567", "statusListCredential": is.url("/status/1")}
	}},
	{name: "not revoked by bitstring status list", build: func(is *ob3Issuer, c Object) {
		is.statusList(is.t, "/status/1", "BitstringStatusList", 3, 94567)
		c["credentialStatus"] = Object{"id": is.url("/status/1#94566"), "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
			"statusListIndex": 94566, "statusListCredential": is.url("/status/1")}
	}},
	{name: "revoked by StatusList2021", code: "revoked", build: func(is *ob3Issuer, c Object) {
		is.statusList(is.t, "/status/2021", "StatusList2021", 7)
		c["@context"] = append(c["@context"].([]any), "https://w3id.org/vc/status-list/2021/v1")
		c["credentialStatus"] = Object{"id": is.url("/status/2021#7"), "type": "StatusList2021Entry", "statusPurpose": "revocation",
			"statusListIndex": "7", "statusListCredential": is.url("/status/2021")}
	}},
	{name: "revoked by 1EdTech revocation list", code: "revoked", build: func(is *ob3Issuer, c Object) {
		is.put("/revocations/1", Object{"id": is.url("/revocations/1"), "revokedCredential": []any{Object{"id": c["id"], "revocationReason": "Issued in error"}}})
		c["@context"] = append(c["@context"].([]any), "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json")
		c["credentialStatus"] = Object{"id": is.url("/revocations/1"), "type": "1EdTechRevocationList"}
	}},
	{name: "recipient mismatch", code: "recipient-mismatch", build: func(is *ob3Issuer, c Object) {
		c["credentialSubject"].(Object)["identifier"].([]any)[0].(Object)["identityHash"] = "sha256$" + sha256hex("mallory@example.org"+"s4lt")
	}},
}

func TestVerifyOB3SelfSigned(t *testing.T) {
	type form struct {
		name, source string
		wrap         func(t *testing.T, text string) []byte
	}
	forms := []form{
		{"text", "", func(t *testing.T, s string) []byte { return []byte(s) }},
		{"png", "png", func(t *testing.T, s string) []byte {
			b, err := bake.Bake(plainPNG(t), bake.OB3, s)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"svg", "svg", func(t *testing.T, s string) []byte {
			b, err := bake.Bake([]byte(plainSVG), bake.OB3, s)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
	}
	for _, proof := range []string{"data-integrity", "vc-jwt"} {
		for _, sc := range ob3Scenarios {
			if proof == "vc-jwt" && sc.after != nil && sc.build == nil {
				continue // proof-object tampering: data integrity only (JWT tampering is tested below)
			}
			for _, f := range forms {
				t.Run(proof+"/"+sc.name+"/"+f.name, func(t *testing.T) {
					is := newOB3Issuer(t)
					c := is.credential("/credentials/1", earner)
					if sc.build != nil && (proof == "vc-jwt" || !sc.jwtOnlyBuild) {
						sc.build(is, c)
					}
					var text string
					wantSource := "json"
					if proof == "vc-jwt" {
						text, wantSource = is.signJWT(t, c, jose.EdDSA), "jws"
					} else {
						signed := is.signDI(t, c)
						if sc.after != nil {
							signed = sc.after(is, signed)
						}
						b, _ := json.Marshal(signed)
						text = string(b)
					}
					if f.source != "" {
						wantSource = f.source
					}
					r := is.verifier(t, testNow).Verify(context.Background(), f.wrap(t, text), []Identity{{Email, earner}})
					checkOB3Report(t, r, sc.code, proof, wantSource)
					if sc.name == "context not bundled" && is.hits["/my-context.jsonld"] != 0 {
						t.Error("the unknown context was fetched")
					}
				})
			}
		}
	}
}

func checkOB3Report(t *testing.T, r *Report, code Code, format, source string) {
	t.Helper()
	valid := code == ""
	if r.Valid != valid || r.Spec != "3.0" || r.Format != format || r.Source != source {
		t.Fatalf("valid=%v spec=%q format=%q source=%q; want %v 3.0 %q %q\n%s", r.Valid, r.Spec, r.Format, r.Source, valid, format, source, dump(r))
	}
	if !valid && !hasCode(r, code) {
		t.Fatalf("codes %v, want %q\n%s", errorCodes(r), code, dump(r))
	}
	if valid {
		b := r.Badge
		if b == nil || b.Name != "Team Player" || b.Issuer.Name != "Credential Academy" || b.Criteria.Narrative == "" || b.Description == "" {
			t.Fatalf("badge %+v", b)
		}
		if r.Recipient.Matched == nil || !*r.Recipient.Matched {
			t.Fatalf("recipient %+v", r.Recipient)
		}
	}
}

func TestVerifyVCJWTAlgorithms(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256, jose.RS256} {
		t.Run(string(alg), func(t *testing.T) {
			is := newOB3Issuer(t)
			tok := is.signJWT(t, is.credential("/credentials/1", earner), alg)
			r := is.verifier(t, testNow).Verify(context.Background(), []byte(tok), []Identity{{Email, earner}})
			checkOB3Report(t, r, "", "vc-jwt", "jws")

			// Tampered: another achievement name in the payload.
			parts := strings.Split(tok, ".")
			raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
			raw = bytes.Replace(raw, []byte("Team Player"), []byte("Team Captain"), 1)
			bad := parts[0] + "." + base64.RawURLEncoding.EncodeToString(raw) + "." + parts[2]
			r = is.verifier(t, testNow).Verify(context.Background(), []byte(bad), nil)
			if r.Valid || !hasCode(r, "signature-invalid") {
				t.Fatalf("tampered: %s", dump(r))
			}
		})
	}
}

func TestVCJWTRefusesKeysTheIssuerDoesNotPublish(t *testing.T) {
	is := newOB3Issuer(t)
	c := is.credential("/credentials/1", earner)
	b, _ := json.Marshal(Object{"iss": is.id, "jti": c["id"], "nbf": ob3ValidFrom.Unix(), "@context": c["@context"], "id": c["id"], "type": c["type"],
		"issuer": c["issuer"], "validFrom": c["validFrom"], "credentialSubject": c["credentialSubject"]})
	_, attacker, _ := ed25519.GenerateKey(rand.Reader)
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: attacker}, &jose.SignerOptions{EmbedJWK: true})
	o, _ := s.Sign(b)
	tok, _ := o.CompactSerialize()
	r := is.verifier(t, testNow).Verify(context.Background(), []byte(tok), nil)
	if r.Valid || !hasCode(r, "key-unresolved") {
		t.Fatalf("a self-keyed token was accepted: %s", dump(r))
	}
	// The issuer's own key in the header, published in its profile: fine.
	s, _ = jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: is.ed}, &jose.SignerOptions{EmbedJWK: true})
	o, _ = s.Sign(b)
	tok, _ = o.CompactSerialize()
	if r := is.verifier(t, testNow).Verify(context.Background(), []byte(tok), nil); !r.Valid {
		t.Fatalf("the issuer's published key in the header: %s", dump(r))
	}
	// A claim that does not match the credential.
	b2 := bytes.Replace(b, []byte(`"iss":"`+is.id), []byte(`"iss":"https://evil.example`), 1)
	s, _ = jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: is.ed}, (&jose.SignerOptions{}).WithHeader("kid", is.id+"#ed"))
	o, _ = s.Sign(b2)
	tok, _ = o.CompactSerialize()
	if r := is.verifier(t, testNow).Verify(context.Background(), []byte(tok), nil); r.Valid || !hasCode(r, "schema") {
		t.Fatalf("iss mismatch: %s", dump(r))
	}
}

// multikey encodes an Ed25519 public key as publicKeyMultibase.
func multikey(pub ed25519.PublicKey) string {
	return "z" + base58.Encode(append([]byte{0xed, 0x01}, pub...))
}

func jsonRoundTrip(t testing.TB, o Object) Object {
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeObject(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
