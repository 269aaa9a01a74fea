package dataintegrity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/mr-tron/base58"

	"backpack/openbadges/problem"
)

const vc1 = "https://www.w3.org/2018/credentials/v1"

// credentialFor returns the test credential with the contexts a suite's
// issuers use: VC 2.0 for the Data Integrity cryptosuites; VC 1.1 for the
// older proof types, as JFF PlugFest issuers made them, with the suite's
// own context where VC 1.1 does not define the proof type (it defines
// Ed25519Signature2018, and the 2018 suite context conflicts with it).
func credentialFor(s Suite) map[string]any {
	doc := credential()
	if s.Type == DataIntegrityProof {
		return doc
	}
	doc["@context"] = []any{vc1, ob3}
	if c := map[string]string{
		Ed25519Signature2020: "https://w3id.org/security/suites/ed25519-2020/v1",
		JsonWebSignature2020: "https://w3id.org/security/suites/jws-2020/v1",
	}[s.Type]; c != "" {
		doc["@context"] = []any{vc1, ob3, c}
	}
	doc["issuanceDate"] = doc["validFrom"]
	delete(doc, "validFrom")
	return doc
}

// newKey returns a fresh private key of a type.
func newKey(t testing.TB, kt keyType) crypto.Signer {
	t.Helper()
	var (
		k   crypto.Signer
		err error
	)
	switch kt {
	case ed25519Key:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case p256Key:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case p384Key:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case rsaKey:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// resolverFor resolves vmID to the public key of k.
func resolverFor(k crypto.Signer) Resolver {
	return func(_ context.Context, vm string) (Key, error) {
		if vm != vmID {
			return Key{}, unresolved(vm)
		}
		return Key{ID: vm, Controller: "https://issuer.example/", Public: k.Public()}, nil
	}
}

func signWith(t testing.TB, doc map[string]any, k crypto.Signer, o SignOptions) map[string]any {
	t.Helper()
	if o.VerificationMethod == "" {
		o.VerificationMethod = vmID
	}
	if o.Created.IsZero() {
		o.Created = signedAt
	}
	signed, err := SignWith(context.Background(), doc, k, o)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// Every suite and key type: the test signs a realistic badge, which
// verifies; a changed credential, another key of the same type, a key of
// another type and a proof made for another purpose are refused with the
// reason.
func TestSuitesSignVerify(t *testing.T) {
	for _, tc := range []struct {
		suite Suite
		key   keyType
		other keyType // a key type the suite does not take with this signature
	}{
		{SuiteEddsaRdfc2022, ed25519Key, p256Key},
		{SuiteEddsaJcs2022, ed25519Key, p256Key},
		{SuiteEcdsaRdfc2019, p256Key, ed25519Key},
		{SuiteEcdsaRdfc2019, p384Key, p256Key},
		{SuiteEcdsaJcs2019, p256Key, p384Key},
		{SuiteEcdsaJcs2019, p384Key, ed25519Key},
		{SuiteEd25519Signature2020, ed25519Key, p256Key},
		{SuiteEd25519Signature2018, ed25519Key, p256Key},
		{SuiteJsonWebSignature2020, ed25519Key, p384Key},
		{SuiteJsonWebSignature2020, p256Key, rsaKey},
		{SuiteJsonWebSignature2020, p384Key, p256Key},
		{SuiteJsonWebSignature2020, rsaKey, ed25519Key},
	} {
		t.Run(tc.suite.String()+"/"+strings.TrimPrefix(strings.TrimPrefix(tc.key.String(), "an "), "a "), func(t *testing.T) {
			k := newKey(t, tc.key)
			doc := credentialFor(tc.suite)
			signed := signWith(t, doc, k, SignOptions{Suite: tc.suite})
			p := proofOf(signed)
			if info := suites[tc.suite]; info.jws != (p["jws"] != nil) || info.jws == (p["proofValue"] != nil) {
				t.Fatalf("proof %v", p)
			}
			res := verify(t, signed, resolverFor(k), testNow)
			if res.Type != tc.suite.Type || res.Cryptosuite != tc.suite.Cryptosuite || !res.Created.Equal(signedAt) {
				t.Fatalf("result %+v", res)
			}

			tampered := credentialFor(tc.suite)
			tampered["credentialSubject"].(map[string]any)["achievement"].(map[string]any)["name"] = "Team Captain"
			tampered["proof"] = p
			_, err := Verify(context.Background(), tampered, resolverFor(k), testNow)
			wantCode(t, err, problem.SignatureInvalid, "changed after it was signed")

			_, err = Verify(context.Background(), signed, resolverFor(newKey(t, tc.key)), testNow)
			wantCode(t, err, problem.SignatureInvalid, "signed with another key")

			_, err = Verify(context.Background(), signed, resolverFor(newKey(t, tc.other)), testNow)
			wantCode(t, err, problem.SignatureInvalid, "not "+tc.key.String()+" key")

			authn := signWith(t, credentialFor(tc.suite), k, SignOptions{Suite: tc.suite, Purpose: "authentication"})
			_, err = Verify(context.Background(), authn, resolverFor(k), testNow)
			wantCode(t, err, problem.SignatureInvalid, `purpose is "authentication", not assertionMethod`)
		})
	}
}

// A key that does not fit the suite is refused when signing.
func TestSignWithRefuses(t *testing.T) {
	for _, tc := range []struct {
		suite Suite
		key   keyType
	}{
		{SuiteEddsaRdfc2022, p256Key},
		{SuiteEcdsaRdfc2019, ed25519Key},
		{SuiteEcdsaJcs2019, rsaKey},
		{SuiteEd25519Signature2018, p256Key},
		{Suite{DataIntegrityProof, "bbs-2023"}, ed25519Key},
	} {
		_, err := SignWith(context.Background(), credentialFor(tc.suite), newKey(t, tc.key), SignOptions{Suite: tc.suite, VerificationMethod: vmID})
		if problem.CodeOf(err) != problem.Unsupported {
			t.Errorf("%s with %s key: %v", tc.suite, tc.key, err)
		}
	}
}

// withJWS returns doc (signed with a JWS suite) with its jws replaced.
func withJWS(doc map[string]any, jws any) map[string]any {
	return editProof(doc, func(p map[string]any) { p["jws"] = jws })
}

// detachedJWS signs data as a compact JWS with the header members given,
// detached or not.
func detachedJWS(t *testing.T, k crypto.Signer, alg jose.SignatureAlgorithm, data []byte, b64 bool, extra map[jose.HeaderKey]any, detached bool) string {
	t.Helper()
	opts := &jose.SignerOptions{ExtraHeaders: extra}
	if !b64 {
		opts = opts.WithBase64(false)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: k}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(data)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if detached {
		s, err = obj.DetachedCompactSerialize()
	} else {
		s, err = obj.CompactSerialize()
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The JWS of Ed25519Signature2018 and JsonWebSignature2020 proofs must be
// detached, use the unencoded payload option, and name an algorithm the
// suite allows; anything else is refused before a key is resolved.
func TestJWSRefused(t *testing.T) {
	k := newKey(t, ed25519Key)
	signed := signWith(t, credentialFor(SuiteEd25519Signature2018), k, SignOptions{Suite: SuiteEd25519Signature2018})
	data := hashDataOf(t, signed)
	valid := proofOf(signed)["jws"].(string)
	header, _, _ := strings.Cut(valid, ".")
	raw := func(h string) string { return base64.RawURLEncoding.EncodeToString([]byte(h)) }
	sig := valid[strings.LastIndexByte(valid, '.')+1:]

	p256 := newKey(t, p256Key)
	for _, tc := range []struct {
		name string
		jws  any
		code problem.Code
		msg  string
	}{
		{"no jws", nil, problem.Malformed, "has no jws"},
		{"attached payload", detachedJWS(t, k, jose.EdDSA, data, false, nil, false), problem.Malformed, "not a detached JWS"},
		{"b64 true", detachedJWS(t, k, jose.EdDSA, data, true, nil, true), problem.Malformed, `"b64": false`},
		{"b64 not critical", raw(`{"alg":"EdDSA","b64":false}`) + ".." + sig, problem.Malformed, `"b64": false`},
		{"another critical member", detachedJWS(t, k, jose.EdDSA, data, false, map[jose.HeaderKey]any{"crit": []string{"b64", "exp"}, "exp": 1}, true), problem.Unsupported, "critical header parameters"},
		{"no alg", raw(`{"b64":false,"crit":["b64"]}`) + ".." + sig, problem.Malformed, "no alg"},
		{"ES256 for Ed25519Signature2018", detachedJWS(t, p256, jose.ES256, data, false, nil, true), problem.Unsupported, `algorithm "ES256"`},
		{"none", raw(`{"alg":"none","b64":false,"crit":["b64"]}`) + "..", problem.Unsupported, `algorithm "none"`},
		{"header not base64url", "eyJ+.." + sig, problem.Malformed, "not base64url"},
		{"header not JSON", raw(`[1]`) + ".." + sig, problem.Malformed, "not a JSON object"},
		{"signature not base64url", header + "..AB+C", problem.Malformed, "could not be read"},
		{"too long", header + ".." + strings.Repeat("A", maxJWSLen), problem.Malformed, "longer than"},
		{"a number", 7, problem.Malformed, "has no jws"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits := 0
			resolve := func(ctx context.Context, vm string) (Key, error) {
				hits++
				return resolverFor(k)(ctx, vm)
			}
			_, err := Verify(context.Background(), withJWS(signed, tc.jws), resolve, testNow)
			wantCode(t, err, tc.code, tc.msg)
			if tc.code != problem.Malformed || !strings.Contains(tc.msg, "could not be read") {
				if hits != 0 {
					t.Errorf("%d key resolutions", hits)
				}
			}
		})
	}

	// An Ed25519Signature2018 proof carrying a proofValue, as the 2020
	// suite does, has no signature this suite reads.
	proofValue := editProof(signed, func(p map[string]any) {
		delete(p, "jws")
		p["proofValue"] = "z" + base58.Encode(make([]byte, 64))
	})
	_, err := Verify(context.Background(), proofValue, resolverFor(k), testNow)
	wantCode(t, err, problem.Malformed, "Ed25519Signature2018 proof has no jws")
}

// JsonWebSignature2020 keys: a secp256k1 (ES256K) proof is refused as
// unsupported, so is P-521 (not in the suite's table); an RSA key shorter
// than 2048 bits is refused.
func TestJWS2020KeyTypes(t *testing.T) {
	k := newKey(t, p256Key)
	signed := signWith(t, credentialFor(SuiteJsonWebSignature2020), k, SignOptions{Suite: SuiteJsonWebSignature2020})
	data := hashDataOf(t, signed)

	es256k := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256K","b64":false,"crit":["b64"]}`)) + ".." +
		base64.RawURLEncoding.EncodeToString(make([]byte, 64))
	_, err := Verify(context.Background(), withJWS(signed, es256k), resolverFor(k), testNow)
	wantCode(t, err, problem.Unsupported, "secp256k1 key (ES256K)")

	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, err = Verify(context.Background(), withJWS(signed, detachedJWS(t, p521, jose.ES512, data, false, nil, true)), resolverFor(k), testNow)
	wantCode(t, err, problem.Unsupported, `algorithm "ES512"`)

	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	rs := withJWS(signed, detachedJWS(t, small, jose.PS256, data, false, nil, true))
	_, err = Verify(context.Background(), rs, resolverFor(small), testNow)
	wantCode(t, err, problem.SignatureInvalid, "shorter than 2048 bits")

	// RS256 is not in the suite's table: PS256 only for RSA.
	big := newKey(t, rsaKey)
	_, err = Verify(context.Background(), withJWS(signed, detachedJWS(t, big, jose.RS256, data, false, nil, true)), resolverFor(big), testNow)
	wantCode(t, err, problem.Unsupported, `algorithm "RS256"`)
}

// The JCS suites sign the proof's own @context: the credential's must
// start with it. Contexts added to the credential after signing are not
// signed, and do not break the proof; a different or reordered context
// does.
func TestJCSContexts(t *testing.T) {
	for _, suite := range []Suite{SuiteEddsaJcs2022, SuiteEcdsaJcs2019} {
		t.Run(suite.String(), func(t *testing.T) {
			k := newKey(t, map[Suite]keyType{SuiteEddsaJcs2022: ed25519Key, SuiteEcdsaJcs2019: p384Key}[suite])
			signed := signWith(t, credential(), k, SignOptions{Suite: suite})
			if got := proofOf(signed)["@context"]; len(got.([]any)) != 2 {
				t.Fatalf("proof @context %v", got)
			}
			added := cloneWith(signed, "@context", []any{vc2, ob3, "https://w3id.org/security/data-integrity/v2"})
			verify(t, added, resolverFor(k), testNow)

			for _, ctx := range []any{[]any{ob3, vc2}, vc2, []any{vc2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"}} {
				_, err := Verify(context.Background(), cloneWith(signed, "@context", ctx), resolverFor(k), testNow)
				wantCode(t, err, problem.SignatureInvalid, "not the beginning of the credential's @context")
			}

			// Though JCS does not process JSON-LD, a context that is not
			// bundled is refused, as with the RDFC suites, before the key
			// is resolved.
			unknown := cloneWith(signed, "@context", []any{vc2, ob3, "https://evil.example/context.json"})
			hits := 0
			_, err := Verify(context.Background(), unknown, func(ctx context.Context, vm string) (Key, error) {
				hits++
				return resolverFor(k)(ctx, vm)
			}, testNow)
			wantCode(t, err, problem.Unsupported, "contexts are never fetched")
			if hits != 0 {
				t.Errorf("%d key resolutions", hits)
			}

			// Without @context in the proof, the credential is hashed as it is.
			bare := editProof(signed, func(p map[string]any) { delete(p, "@context") })
			_, err = Verify(context.Background(), bare, resolverFor(k), testNow)
			wantCode(t, err, problem.SignatureInvalid, "does not match")
		})
	}
}

// ECDSA proofValues: the length says the curve (64 bytes P-256, 96
// P-384); other lengths are malformed, and a 96-byte signature with a
// P-256 key is refused.
func TestECDSAProofValueLength(t *testing.T) {
	k := newKey(t, p256Key)
	signed := signWith(t, credential(), k, SignOptions{Suite: SuiteEcdsaRdfc2019})
	for _, n := range []int{0, 32, 63, 65, 80, 128} {
		_, err := Verify(context.Background(), withProofValue(signed, make([]byte, n)), resolverFor(k), testNow)
		wantCode(t, err, problem.Malformed, "64-byte (P-256) or 96-byte (P-384)")
	}
	_, err := Verify(context.Background(), withProofValue(signed, make([]byte, 96)), resolverFor(k), testNow)
	wantCode(t, err, problem.SignatureInvalid, "not a P-384 key")
}
