package dataintegrity

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mr-tron/base58"

	"backpack/internal/testclock"
	"backpack/openbadges/problem"
)

// vectorsNow is the instant the test vectors and fixtures (files written
// by others, with their own dates) are verified at. It is fixed, not the
// shiftable test clock: after the newest proof's created date (2026-01-23,
// in 1edtech/); none of their proofs has an expires date.
var vectorsNow = testclock.Fixed(2026, time.June, 1)

func readJSON(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func wantCode(t *testing.T, err error, code problem.Code, fragment string) {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %v (%T), want a *problem.Error %s", err, err, code)
	}
	if pe.Code != code || !strings.Contains(pe.Message, fragment) {
		t.Fatalf("got %s %q, want %s containing %q", pe.Code, pe.Message, code, fragment)
	}
}

// verify verifies doc at now and fails the test on an error.
func verify(t *testing.T, doc map[string]any, resolve Resolver, now time.Time) Result {
	t.Helper()
	res, err := Verify(context.Background(), doc, resolve, now)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// proofOf returns the (single) proof object of doc.
func proofOf(doc map[string]any) map[string]any { return doc["proof"].(map[string]any) }

// withProofValue returns a copy of doc whose proof has another proofValue.
func withProofValue(doc map[string]any, sig []byte) map[string]any {
	p := make(map[string]any)
	for k, v := range proofOf(doc) {
		p[k] = v
	}
	p["proofValue"] = "z" + base58.Encode(sig)
	out := make(map[string]any)
	for k, v := range doc {
		out[k] = v
	}
	out["proof"] = p
	return out
}

// The W3C vc-di-eddsa test vectors verify; changing one character of the
// credential, or one bit of the signature, breaks them.
func TestW3CVectors(t *testing.T) {
	for _, tc := range []struct{ file, typ, suite string }{
		{"w3c/eddsa-rdfc-2022/signedDataInt.json", DataIntegrityProof, EddsaRdfc2022},
		{"w3c/Ed25519Signature2020/signedEdSig.json", Ed25519Signature2020, ""},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			doc := readJSON(t, tc.file)
			res := verify(t, doc, didKey, vectorsNow)
			if res.Type != tc.typ || res.Cryptosuite != tc.suite ||
				res.Key.Controller != "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2" ||
				!res.Created.Equal(time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC)) {
				t.Errorf("result %+v", res)
			}

			tampered := readJSON(t, tc.file)
			tampered["credentialSubject"].(map[string]any)["alumniOf"] = "The School of Exampler"
			_, err := Verify(context.Background(), tampered, didKey, vectorsNow)
			wantCode(t, err, problem.SignatureInvalid, "changed after it was signed")

			sig, _ := base58.Decode(proofOf(doc)["proofValue"].(string)[1:])
			sig[10] ^= 1
			_, err = Verify(context.Background(), withProofValue(doc, sig), didKey, vectorsNow)
			wantCode(t, err, problem.SignatureInvalid, "does not match")
		})
	}
}

// A proof set: each proof signs the credential without the proofs, and
// each verifies on its own.
func TestW3CProofSet(t *testing.T) {
	doc := readJSON(t, "w3c/proof-set-chain/signedProofSet2.json")
	proofs := doc["proof"].([]any)
	for i := range proofs {
		one := readJSON(t, "w3c/proof-set-chain/signedProofSet2.json")
		one["proof"] = proofs[i]
		verify(t, one, didKey, vectorsNow)
	}
	verify(t, doc, didKey, vectorsNow)

	// A proof chain's later proof also signs the earlier ones: not
	// supported, and said so rather than reported as a bad signature.
	chain := readJSON(t, "w3c/proof-set-chain/signedProofChain1.json")
	chain["proof"] = chain["proof"].([]any)[2]
	_, err := Verify(context.Background(), chain, didKey, vectorsNow)
	wantCode(t, err, problem.Unsupported, "previousProof")
}

// The 1EdTech OB 3.0 test vector: it verifies, its signature is the one
// published, and Sign reproduces it exactly (Ed25519 is deterministic).
func TestOB3SpecVector(t *testing.T) {
	signed := readJSON(t, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json")
	res := verify(t, signed, keyInFragment, vectorsNow)
	if res.Key.Controller != "https://example.edu/issuers/565049" {
		t.Errorf("controller %q", res.Key.Controller)
	}
	var key struct {
		PrivateKeyHex, ExpectedSignatureHex string
	}
	b, _ := os.ReadFile("testdata/ob3-spec/ob3-test-vector-key.json")
	if err := json.Unmarshal(b, &key); err != nil {
		t.Fatal(err)
	}
	proof := proofOf(signed)
	sig, _ := base58.Decode(proof["proofValue"].(string)[1:])
	if hex.EncodeToString(sig) != key.ExpectedSignatureHex {
		t.Fatalf("published signature %x", sig)
	}

	priv, _ := hex.DecodeString(key.PrivateKeyHex)
	unsigned := readJSON(t, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json")
	delete(unsigned, "proof")
	created, _ := time.Parse(time.RFC3339, proof["created"].(string))
	resigned, err := Sign(context.Background(), unsigned, ed25519.PrivateKey(priv), proof["verificationMethod"].(string), created)
	if err != nil {
		t.Fatal(err)
	}
	if got := proofOf(resigned)["proofValue"]; got != proof["proofValue"] {
		t.Fatalf("Sign gave %s, the specification %s", got, proof["proofValue"])
	}
}

// expected outcomes of the 1EdTech validator and DCC fixtures (see
// shared/fixtures/MANIFEST.md, "offline check"); any other is valid.
var expected = map[string]problem.Code{
	// 1EdTech
	"1edtech/complete_v1.json":                                                       problem.Schema,        // safe mode: type 1EdTechCredentialRefresh undefined (before its key, not available offline)
	"1edtech/credential-status-revoked.json":                                         problem.KeyUnresolved, // did:web not available
	"1edtech/endorsement-err-schema-status-refresh.json":                             problem.SignatureInvalid,
	"1edtech/sd/derivedcredential.json":                                              problem.Unsupported, // ecdsa-sd-2023
	"1edtech/simple-noproof.json":                                                    problem.Schema,
	"1edtech/simple-err-proof-value.json":                                            problem.SignatureInvalid,
	"1edtech/simple-err-proof-method.json":                                           problem.KeyUnresolved,
	"1edtech/simple-err-proof-method-no-scheme.json":                                 problem.Schema, // a relative IRI, which JSON-LD would drop
	"1edtech/simple-err-proof-method-unknown-did-method.json":                        problem.KeyUnresolved,
	"1edtech/simple-err-proof-method-unknown-scheme.json":                            problem.KeyUnresolved,
	"1edtech/simple-err-context.json":                                                problem.Schema, // safe mode: VC context missing
	"1edtech/simple-err-type.json":                                                   problem.Schema, // safe mode: undefined type
	"1edtech/simple-err-issuer-type.json":                                            problem.Schema,
	"1edtech/simple-err-issuer-parentorg-type.json":                                  problem.Schema,
	"1edtech/simple-err-issuer-otheridentifier-type.json":                            problem.Schema,
	"1edtech/simple-err-evidence-type.json":                                          problem.Schema,
	"1edtech/simple-err-credential-subject-type.json":                                problem.Schema,
	"1edtech/simple-err-credential-subject-result-type.json":                         problem.Schema,
	"1edtech/simple-err-credential-subject-profile-type.json":                        problem.Schema,
	"1edtech/simple-err-credential-subject-identifier-type.json":                     problem.Schema,
	"1edtech/simple-err-credential-subject-achievement-result-description-type.json": problem.Schema,
	// DCC
	"dcc/verifiableCredentials/v2/ed25519/didKey/legacy-noStatus-noExpiry-tampered.json": problem.SignatureInvalid,
	"dcc/verifiableCredentials/v2/ed25519/didWeb/badDidWeb.json":                         problem.KeyUnresolved,
}

// Every 1EdTech validator and DCC credential fixture verifies, or fails
// with the expected code.
func TestFixtures(t *testing.T) {
	var n, valid int
	for _, dir := range []string{"testdata/1edtech", "testdata/dcc/verifiableCredentials"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
				return err
			}
			name := strings.TrimPrefix(filepath.ToSlash(path), "testdata/")
			t.Run(name, func(t *testing.T) {
				res, err := Verify(context.Background(), readJSON(t, name), anyResolver, vectorsNow)
				want, invalid := expected[name]
				switch {
				case !invalid && err != nil:
					t.Fatalf("want valid, got %v", err)
				case invalid && problem.CodeOf(err) != want:
					t.Fatalf("want %s, got %v (%+v)", want, err, res)
				case !invalid:
					valid++
				}
			})
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d fixtures, %d valid", n, valid)
}
