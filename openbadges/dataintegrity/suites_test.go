package dataintegrity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mr-tron/base58"

	"backpack/openbadges/did"
	"backpack/openbadges/problem"
)

func readText(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// secretKey decodes a secretKeyMultibase (or privateKeyMultibase) of the
// W3C test vectors: ed25519-priv (0x1300, the 32-byte seed), p256-priv
// (0x1306) or p384-priv (0x1307) and the scalar.
func secretKey(t testing.TB, s string) crypto.Signer {
	t.Helper()
	b, err := base58.Decode(strings.TrimPrefix(s, "z"))
	if err != nil {
		t.Fatal(err)
	}
	code, n := binary.Uvarint(b)
	switch code {
	case 0x1300:
		return ed25519.NewKeyFromSeed(b[n:])
	case 0x1306, 0x1307:
		curve := elliptic.P256()
		if code == 0x1307 {
			curve = elliptic.P384()
		}
		priv, err := ecdsa.ParseRawPrivateKey(curve, b[n:])
		if err != nil {
			t.Fatal(err)
		}
		return priv
	}
	t.Fatalf("multicodec 0x%x", code)
	return nil
}

// hashDataOf computes the hash data of doc's single proof, as Verify does.
func hashDataOf(t testing.TB, doc map[string]any) []byte {
	t.Helper()
	p := proofOf(doc)
	s, info, err := suiteOf(p)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := signatureOf(p, s, info)
	if err != nil {
		t.Fatal(err)
	}
	v := &verification{ctx: context.Background(), unsecured: cloneWith(doc, "proof", nil)}
	delete(v.unsecured, "proof")
	data, err := v.hashData(p, info, sg.key.hash())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The W3C vc-di-eddsa and vc-di-ecdsa test vectors of the suites added
// beside eddsa-rdfc-2022: each verifies; its hash data (hash of the
// canonical proof configuration, then of the canonical credential) and
// its signature are the published ones byte for byte; a changed
// credential or signature fails; signing again with the published key
// gives the same signature (Ed25519 is deterministic, and SignWith signs
// ECDSA deterministically, RFC 6979, as the vectors were made).
func TestW3CSuiteVectors(t *testing.T) {
	for _, tc := range []struct {
		dir, suffix, keys string
		suite             string
	}{
		{"w3c/eddsa-jcs-2022", "JCS", "w3c/keyPair.json", EddsaJcs2022},
		{"w3c/eddsa-rdfc-2022/employ", "DataInt", "w3c/keyPair.json", EddsaRdfc2022},
		{"w3c-ecdsa/ecdsa-rdfc-2019-p256", "ECDSAP256", "w3c-ecdsa/p256KeyPair.json", EcdsaRdfc2019},
		{"w3c-ecdsa/ecdsa-rdfc-2019-p256/employ", "ECDSAP256", "w3c-ecdsa/p256KeyPair.json", EcdsaRdfc2019},
		{"w3c-ecdsa/ecdsa-rdfc-2019-p384", "ECDSAP384", "w3c-ecdsa/p384KeyPair.json", EcdsaRdfc2019},
		{"w3c-ecdsa/ecdsa-rdfc-2019-p384/employ", "ECDSAP384", "w3c-ecdsa/p384KeyPair.json", EcdsaRdfc2019},
		{"w3c-ecdsa/ecdsa-jcs-2019-p256", "JCSECDSAP256", "w3c-ecdsa/p256KeyPair.json", EcdsaJcs2019},
		{"w3c-ecdsa/ecdsa-jcs-2019-p384", "JCSECDSAP384", "w3c-ecdsa/p384KeyPair.json", EcdsaJcs2019},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			file := tc.dir + "/signed" + tc.suffix + ".json"
			doc := readJSON(t, file)
			res := verify(t, doc, didKey, vectorsNow)
			if res.Type != DataIntegrityProof || res.Cryptosuite != tc.suite {
				t.Errorf("result %+v", res)
			}
			if got, want := hex.EncodeToString(hashDataOf(t, doc)), readText(t, tc.dir+"/combinedHash"+tc.suffix+".txt"); got != want {
				t.Errorf("hash data %s, want %s", got, want)
			}
			sig, _ := base58.Decode(proofOf(doc)["proofValue"].(string)[1:])
			if got, want := hex.EncodeToString(sig), readText(t, tc.dir+"/sigHex"+tc.suffix+".txt"); got != want {
				t.Errorf("signature %s, want %s", got, want)
			}

			tampered := readJSON(t, file)
			tampered["validFrom"] = "2024-01-01T00:00:00Z"
			_, err := Verify(context.Background(), tampered, didKey, vectorsNow)
			wantCode(t, err, problem.SignatureInvalid, "changed after it was signed")
			sig[len(sig)-1] ^= 1
			_, err = Verify(context.Background(), withProofValue(doc, sig), didKey, vectorsNow)
			wantCode(t, err, problem.SignatureInvalid, "does not match")

			var kp struct{ SecretKeyMultibase, PrivateKeyMultibase string }
			mustUnmarshal(t, tc.keys, &kp)
			key := secretKey(t, kp.SecretKeyMultibase+kp.PrivateKeyMultibase)
			p := proofOf(doc)
			created, _ := time.Parse(time.RFC3339, p["created"].(string))
			unsigned := readJSON(t, file)
			delete(unsigned, "proof")
			resigned, err := SignWith(context.Background(), unsigned, key, SignOptions{
				Suite: Suite{DataIntegrityProof, tc.suite}, VerificationMethod: p["verificationMethod"].(string), Created: created,
			})
			if err != nil {
				t.Fatal(err)
			}
			verify(t, resigned, didKey, vectorsNow)
			if proofOf(resigned)["proofValue"] != p["proofValue"] {
				t.Errorf("SignWith gave %s, the vector %s", proofOf(resigned)["proofValue"], p["proofValue"])
			}
		})
	}
}

// The JsonWebSignature2020 test vectors of the w3c-ccg specification:
// vc_0 verifies with keypair_0 and signing vc_template_0's data again
// gives its jws exactly (EdDSA is deterministic); signature_0 is the
// detached JWS of "hello world"; signature_1, made with a secp256k1 key
// (ES256K), is refused as unsupported.
func TestJWS2020Vectors(t *testing.T) {
	v := readJSON(t, "w3c-jws2020/test-vectors.json")
	kp := v["keypair_0"].(map[string]any)
	pub, err := did.PublicKeyFromJWK(kp["publicKeyJwk"].(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	issuer := v["issuer_0"].(map[string]any)["id"].(string)
	const vmID = "https://example.com/issuer/123#ovsDKYBjFemIy8DVhc-w2LSi8CvXMw2AYDzHj04yxkc"
	resolve := func(_ context.Context, vm string) (Key, error) {
		if vm != vmID {
			return Key{}, unresolved(vm)
		}
		return Key{ID: vm, Controller: issuer, Public: pub}, nil
	}
	vc := v["vc_0"].(map[string]any)
	res := verify(t, vc, resolve, vectorsNow)
	if res.Type != JsonWebSignature2020 || res.Key.Controller != "https://example.com/issuer/123" {
		t.Errorf("result %+v", res)
	}

	tampered := readJSON(t, "w3c-jws2020/test-vectors.json")["vc_0"].(map[string]any)
	tampered["credentialSubject"].(map[string]any)["degree"].(map[string]any)["name"] = "Bachelor of Arts"
	_, err = Verify(context.Background(), tampered, resolve, vectorsNow)
	wantCode(t, err, problem.SignatureInvalid, "changed after it was signed")

	d, _ := base64.RawURLEncoding.DecodeString(kp["privateKeyJwk"].(map[string]any)["d"].(string))
	priv := ed25519.NewKeyFromSeed(d)
	unsigned := cloneWith(vc, "proof", nil)
	delete(unsigned, "proof")
	created, _ := time.Parse(time.RFC3339, proofOf(vc)["created"].(string))
	resigned, err := SignWith(context.Background(), unsigned, priv, SignOptions{Suite: SuiteJsonWebSignature2020, VerificationMethod: vmID, Created: created})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := proofOf(resigned)["jws"], proofOf(vc)["jws"]; got != want {
		t.Errorf("SignWith gave %s, the vector %s", got, want)
	}

	// The bare JWS vectors, over "hello world".
	s0, err := jwsOf(map[string]any{"jws": v["signature_0"]}, SuiteJsonWebSignature2020, suites[SuiteJsonWebSignature2020])
	if err != nil {
		t.Fatal(err)
	}
	if err := check(s0, Key{Public: pub}, []byte(v["message_0"].(string))); err != nil {
		t.Errorf("signature_0: %v", err)
	}
	if err := check(s0, Key{Public: pub}, []byte("hello world!")); problem.CodeOf(err) != problem.SignatureInvalid {
		t.Errorf("signature_0 over another message: %v", err)
	}
	_, err = jwsOf(map[string]any{"jws": v["signature_1"]}, SuiteJsonWebSignature2020, suites[SuiteJsonWebSignature2020])
	wantCode(t, err, problem.Unsupported, "secp256k1")
}

// mustUnmarshal decodes a JSON file of testdata into v.
func mustUnmarshal(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// Credentials written by others with Ed25519Signature2018 (and one JFF
// badge with Ed25519Signature2020): the JFF x VC-EDU PlugFest 3 example
// badge and a PlugFest 2 badge that Diwala issued, both with did:key.
func TestEd25519Signature2018RealFiles(t *testing.T) {
	for _, tc := range []struct{ file, typ, issuer string }{
		{"jff/plugfest-3-signed_badge_example-p3.json", Ed25519Signature2018, "did:key:z6MknTHVAhsRyNzBG6h5wjTrg76UGUaBoXS5Vs9Apfr1fbCj"},
		{"sphereon/diwala-jff-plugfest-2.json", Ed25519Signature2018, "did:key:z6MkrzXCdarP1kaZcJb3pmNi295wfxerDrmTqPv5c6MkP2r9"},
		{"jff/plugfest-2-signed_badge_example-p2.json", Ed25519Signature2020, "did:key:z6Mki1Yei2cR3NZsk4BRVr7ZQ6JVSNhRuRpyQWdcCxoGmij7"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			doc := readJSON(t, tc.file)
			res := verify(t, doc, didKey, vectorsNow)
			if res.Type != tc.typ || res.Key.Controller != tc.issuer || res.Key.Controller != doc["issuer"].(map[string]any)["id"] {
				t.Errorf("result %+v", res)
			}
			doc["credentialSubject"].(map[string]any)["achievement"].(map[string]any)["name"] = "Something else"
			_, err := Verify(context.Background(), doc, didKey, vectorsNow)
			wantCode(t, err, problem.SignatureInvalid, "changed after it was signed")
		})
	}
	// PlugFest 1 badges name a context of their own, which is not bundled.
	_, err := Verify(context.Background(), readJSON(t, "jff/plugfest-1-ex-1.json"), didKey, vectorsNow)
	wantCode(t, err, problem.Unsupported, "contexts are never fetched")
}
