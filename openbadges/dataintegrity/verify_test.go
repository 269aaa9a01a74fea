package dataintegrity

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mr-tron/base58"

	"backpack/internal/testclock"
	"backpack/openbadges/problem"
)

const (
	vc2  = "https://www.w3.org/ns/credentials/v2"
	ob3  = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
	vmID = "https://issuer.example/keys#1"
)

// testNow is the test clock, which the tests verify their own credentials
// at; signedAt, the day before, is when they are signed.
var (
	testNow  = testclock.Now()
	signedAt = testclock.Date(0, 0, -1)
)

// credential returns a realistic unsigned OpenBadgeCredential, valid from
// when it is signed.
func credential() map[string]any {
	return map[string]any{
		"@context": []any{vc2, ob3},
		"id":       "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002",
		"type":     []any{"VerifiableCredential", "OpenBadgeCredential"},
		"issuer": map[string]any{
			"id": "https://issuer.example/", "type": []any{"Profile"}, "name": "Credential Academy",
			"url": "https://issuer.example/about", "email": "badges@issuer.example",
		},
		"validFrom": signedAt.Format(time.RFC3339),
		"name":      "Team Player",
		"credentialSubject": map[string]any{
			"type": []any{"AchievementSubject"},
			"identifier": []any{map[string]any{
				"type": "IdentityObject", "identityType": "emailAddress", "hashed": true, "salt": "s4lt",
				"identityHash": "sha256$c7ef86405ba71b85acd8e2e95166c4b111448089f2e1599f42fe1bba46e865c5",
			}},
			"achievement": map[string]any{
				"id": "https://issuer.example/achievements/team", "type": []any{"Achievement"},
				"name": "Team Player", "description": "Works well with others.",
				"criteria": map[string]any{"narrative": "Nominated by **three** peers."},
				"image":    map[string]any{"id": "https://issuer.example/team.png", "type": "Image"},
			},
		},
	}
}

// issuerKey is a fresh Ed25519 key with a resolver for it.
type issuerKey struct {
	priv ed25519.PrivateKey
	hits atomic.Int64 // resolutions
}

func newIssuerKey(t testing.TB) *issuerKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &issuerKey{priv: priv}
}

func (k *issuerKey) resolve(_ context.Context, vm string) (Key, error) {
	k.hits.Add(1)
	if vm != vmID {
		return Key{}, problem.New(problem.KeyUnresolved, "unknown key %s", vm)
	}
	return Key{ID: vm, Controller: "https://issuer.example/", Public: k.priv.Public()}, nil
}

func (k *issuerKey) sign(t testing.TB, doc map[string]any) map[string]any {
	t.Helper()
	signed, err := Sign(context.Background(), doc, k.priv, vmID, signedAt)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// editProof returns doc with its proof changed by edit (on a copy).
func editProof(doc map[string]any, edit func(p map[string]any)) map[string]any {
	p := make(map[string]any)
	for k, v := range proofOf(doc) {
		p[k] = v
	}
	edit(p)
	out := make(map[string]any)
	for k, v := range doc {
		out[k] = v
	}
	out["proof"] = p
	return out
}

func TestSignVerify(t *testing.T) {
	k := newIssuerKey(t)
	doc := credential()
	signed := k.sign(t, doc)
	if _, ok := doc["proof"]; ok {
		t.Fatal("Sign modified its input")
	}
	res := verify(t, signed, k.resolve, testNow)
	if res.Type != DataIntegrityProof || res.Cryptosuite != EddsaRdfc2022 || res.Key.ID != vmID ||
		res.Key.Controller != "https://issuer.example/" || !res.Created.Equal(signedAt) {
		t.Fatalf("result %+v", res)
	}
}

func TestTamperedAchievementName(t *testing.T) {
	k := newIssuerKey(t)
	doc := credential()
	signed := k.sign(t, doc)
	doc["credentialSubject"].(map[string]any)["achievement"].(map[string]any)["name"] = "Team Captain"
	_, err := Verify(context.Background(), signed, k.resolve, testNow)
	wantCode(t, err, problem.SignatureInvalid, "changed after it was signed")
}

// An added property is data the signature does not cover. A defined one
// changes the canonical form; an undefined one is refused by safe mode
// rather than dropped from it (which would leave it shown but unsigned).
func TestAddedProperty(t *testing.T) {
	k := newIssuerKey(t)
	for _, v1 := range []bool{false, true} {
		doc := credential()
		if v1 {
			doc["@context"] = []any{"https://www.w3.org/2018/credentials/v1", ob3, "https://w3id.org/security/data-integrity/v2"}
			doc["issuanceDate"] = doc["validFrom"]
			delete(doc, "validFrom")
		}
		signed := k.sign(t, doc)
		verify(t, signed, k.resolve, testNow)
		achievement := signed["credentialSubject"].(map[string]any)["achievement"].(map[string]any)

		achievement["achievementType"] = "Certificate"
		_, err := Verify(context.Background(), signed, k.resolve, testNow)
		wantCode(t, err, problem.SignatureInvalid, "does not match")
		delete(achievement, "achievementType")

		achievement["level"] = "gold"
		_, err = Verify(context.Background(), signed, k.resolve, testNow)
		wantCode(t, err, problem.Schema, `"level"`)
	}
}

func TestUnsupportedProofs(t *testing.T) {
	k := newIssuerKey(t)
	signed := k.sign(t, credential())
	_, err := Verify(context.Background(), editProof(signed, func(p map[string]any) { p["cryptosuite"] = "bbs-2023" }), k.resolve, testNow)
	wantCode(t, err, problem.Unsupported, `cryptosuite "bbs-2023"`)
	_, err = Verify(context.Background(), editProof(signed, func(p map[string]any) { p["type"] = "RsaSignature2018" }), k.resolve, testNow)
	wantCode(t, err, problem.Unsupported, `proof type "RsaSignature2018"`)
	if k.hits.Load() != 0 {
		t.Fatal("a key was resolved for an unsupported proof")
	}
}

// A credential naming a context that is not bundled is refused before any
// fetch: not the context, not the key.
func TestUnbundledContextNotFetched(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"@context":{"extra":"https://evil.example/extra"}}`)
	}))
	defer srv.Close()
	k := newIssuerKey(t)
	doc := credential()
	doc["@context"] = []any{vc2, ob3, srv.URL + "/context.json"}
	signed := editProof(k.sign(t, credential()), func(map[string]any) {})
	signed["@context"] = doc["@context"]
	_, err := Verify(context.Background(), signed, k.resolve, testNow)
	wantCode(t, err, problem.Unsupported, "contexts are never fetched")
	if hits.Load() != 0 || k.hits.Load() != 0 {
		t.Fatalf("%d context fetches, %d key resolutions", hits.Load(), k.hits.Load())
	}
	if _, err := Sign(context.Background(), doc, k.priv, vmID, signedAt); problem.CodeOf(err) != problem.Unsupported || hits.Load() != 0 {
		t.Fatalf("Sign: %v, %d fetches", err, hits.Load())
	}
}

func TestProofPurpose(t *testing.T) {
	k := newIssuerKey(t)
	signed := k.sign(t, credential())
	for _, purpose := range []any{"authentication", nil, 3} {
		_, err := Verify(context.Background(), editProof(signed, func(p map[string]any) { p["proofPurpose"] = purpose }), k.resolve, testNow)
		wantCode(t, err, problem.SignatureInvalid, "not assertionMethod")
	}
}

func TestProofDates(t *testing.T) {
	k := newIssuerKey(t)
	signed := k.sign(t, credential())
	// Within the clock skew.
	if _, err := Verify(context.Background(), signed, k.resolve, signedAt.Add(-4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(context.Background(), signed, k.resolve, signedAt.Add(-6*time.Minute))
	wantCode(t, err, problem.SignatureInvalid, "created in the future ("+signedAt.Format(time.RFC3339)+")")

	// Expired after it was signed, before the test clock.
	expires := signedAt.Add(12 * time.Hour).Format(time.RFC3339)
	expired := editProof(signed, func(p map[string]any) { p["expires"] = expires })
	_, err = Verify(context.Background(), expired, k.resolve, testNow)
	wantCode(t, err, problem.SignatureInvalid, "expired on "+expires)

	bad := editProof(signed, func(p map[string]any) { p["created"] = "yesterday" })
	_, err = Verify(context.Background(), bad, k.resolve, testNow)
	wantCode(t, err, problem.Malformed, "created is not a date")
}

func TestBadProofValue(t *testing.T) {
	k := newIssuerKey(t)
	signed := k.sign(t, credential())
	for value, fragment := range map[any]string{
		nil:                                  "no proofValue",
		"uABCD":                              "must start with z",
		"z0OIl":                              "64-byte",
		"z" + base58.Encode([]byte("short")): "64-byte",
	} {
		_, err := Verify(context.Background(), editProof(signed, func(p map[string]any) { p["proofValue"] = value }), k.resolve, testNow)
		wantCode(t, err, problem.Malformed, fragment)
	}
}

func TestNoProof(t *testing.T) {
	for _, proof := range []any{nil, []any{}} {
		doc := credential()
		if proof != nil {
			doc["proof"] = proof
		}
		_, err := Verify(context.Background(), doc, nil, testNow)
		wantCode(t, err, problem.Schema, "the credential has no proof")
	}
	doc := credential()
	doc["proof"] = "z123"
	_, err := Verify(context.Background(), doc, nil, testNow)
	wantCode(t, err, problem.Malformed, "not a JSON object")
}

// The resolver's errors come back as they are.
func TestResolverErrorReturned(t *testing.T) {
	k := newIssuerKey(t)
	signed := k.sign(t, credential())
	blocked := problem.New(problem.BlockedAddress, "the key URL points at a private address")
	_, err := Verify(context.Background(), signed, func(context.Context, string) (Key, error) { return Key{}, blocked }, testNow)
	if err != blocked {
		t.Fatalf("got %v", err)
	}
}

func TestWrongKeyType(t *testing.T) {
	k := newIssuerKey(t)
	signed := k.sign(t, credential())
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, err := Verify(context.Background(), signed, func(context.Context, string) (Key, error) {
		return Key{ID: vmID, Public: &p256.PublicKey}, nil
	}, testNow)
	wantCode(t, err, problem.SignatureInvalid, "not an Ed25519 key")

	other := newIssuerKey(t)
	_, err = Verify(context.Background(), signed, other.resolve, testNow)
	wantCode(t, err, problem.SignatureInvalid, "signed with another key")
}

// With several proofs the first that verifies wins; if none does, a bad
// signature is reported before an unsupported proof.
func TestSeveralProofs(t *testing.T) {
	k := newIssuerKey(t)
	good := proofOf(k.sign(t, credential()))
	unsupported := map[string]any{"type": "SomeProofType", "proofPurpose": "assertionMethod"}
	badSig := editProof(map[string]any{"proof": good}, func(p map[string]any) {
		p["proofValue"] = "z" + base58.Encode(make([]byte, 64))
	})["proof"]

	doc := credential()
	doc["proof"] = []any{unsupported, badSig, good}
	verify(t, doc, k.resolve, testNow)

	doc["proof"] = []any{unsupported, badSig}
	_, err := Verify(context.Background(), doc, k.resolve, testNow)
	wantCode(t, err, problem.SignatureInvalid, "does not match")

	doc["proof"] = []any{unsupported, map[string]any{"type": "DataIntegrityProof", "cryptosuite": "bbs-2023"}}
	_, err = Verify(context.Background(), doc, k.resolve, testNow)
	wantCode(t, err, problem.Unsupported, "SomeProofType")
}

// Signing a credential that already has a proof makes a proof set; each
// proof verifies alone.
func TestSignProofSet(t *testing.T) {
	k := newIssuerKey(t)
	twice := k.sign(t, k.sign(t, credential()))
	proofs, ok := twice["proof"].([]any)
	if !ok || len(proofs) != 2 {
		t.Fatalf("proof %v", twice["proof"])
	}
	for _, p := range proofs {
		one := credential()
		one["proof"] = p
		verify(t, one, k.resolve, testNow)
	}
}

func TestSignRejectsBadKey(t *testing.T) {
	_, err := Sign(context.Background(), credential(), ed25519.PrivateKey("short"), vmID, signedAt)
	wantCode(t, err, problem.Malformed, "not an Ed25519 private key")
}

// ecdsa-rdfc-2019 with P-256: the same hash data, signed with ECDSA and
// SHA-256, r‖s in proofValue.
func TestECDSAP256(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signed, err := SignWith(context.Background(), credential(), priv, SignOptions{
		Suite: SuiteEcdsaRdfc2019, VerificationMethod: vmID, Created: signedAt,
	})
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base58.Decode(proofOf(signed)["proofValue"].(string)[1:])
	if len(sig) != 64 {
		t.Fatalf("%d-byte signature", len(sig))
	}
	resolve := func(context.Context, string) (Key, error) { return Key{ID: vmID, Public: &priv.PublicKey}, nil }
	res := verify(t, signed, resolve, testNow)
	if res.Cryptosuite != EcdsaRdfc2019 {
		t.Fatalf("result %+v", res)
	}
	signed["name"] = "Team Captain"
	_, err = Verify(context.Background(), signed, resolve, testNow)
	wantCode(t, err, problem.SignatureInvalid, "does not match")
}

// Verify runs concurrently (run with -race).
func TestConcurrentVerify(t *testing.T) {
	k := newIssuerKey(t)
	signed := k.sign(t, credential())
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			var err error
			for range 20 {
				if _, err = Verify(context.Background(), signed, k.resolve, testNow); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestCancelled(t *testing.T) {
	k := newIssuerKey(t)
	signed := k.sign(t, credential())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Verify(ctx, signed, k.resolve, testNow)
	if !errors.Is(err, context.Canceled) || problem.CodeOf(err) == "" {
		t.Fatalf("got %v", err)
	}
}
