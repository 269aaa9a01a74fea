package did

import (
	"context"
	"crypto/elliptic"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// didJWK encodes a JWK as did:jwk.
func didJWK(t testing.TB, jwk object) string {
	t.Helper()
	b, err := json.Marshal(jwk)
	if err != nil {
		t.Fatal(err)
	}
	return "did:jwk:" + b64(b)
}

func TestResolveDIDJWK(t *testing.T) {
	ed := newEd25519(t)
	p256 := newECDSA(t, elliptic.P256())
	for _, tc := range []struct {
		name string
		jwk  object
		want equaler
	}{
		{"Ed25519", okpJWK(ed), ed},
		{"P-256 with use sig", with(ecJWK(t, p256), "use", "sig"), p256},
		{"RSA", rsaJWKOf(&testRSA(t).PublicKey), &testRSA(t).PublicKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			did := didJWK(t, tc.jwk)
			// As a Data Integrity verification method: #0 only.
			k, err := Resolve(context.Background(), noNetwork{t}, did+"#0")
			if err != nil {
				t.Fatal(err)
			}
			if k.ID != did+"#0" || k.Controller != did || !tc.want.Equal(k.Public) {
				t.Errorf("got %+v", k)
			}
			if _, err := Resolve(context.Background(), noNetwork{t}, did); problem.CodeOf(err) != problem.KeyUnresolved {
				t.Errorf("bare did:jwk as a verification method: %v", err)
			}
			// As a kid: bare or #0.
			for _, kid := range []string{did, did + "#0"} {
				k, err := ResolveKID(context.Background(), noNetwork{t}, kid)
				if err != nil {
					t.Fatal(err)
				}
				if k.ID != did+"#0" || k.Controller != did || k.Source != "" || !tc.want.Equal(k.Public) {
					t.Errorf("%s: got %+v", kid, k)
				}
			}
		})
	}
}

func TestResolveDIDJWKErrors(t *testing.T) {
	ed := newEd25519(t)
	for _, tc := range []struct {
		name, id string
		want     problem.Code
	}{
		{"another fragment", didJWK(t, okpJWK(ed)) + "#1", problem.KeyUnresolved},
		{"encryption key", didJWK(t, with(okpJWK(ed), "use", "enc")), problem.KeyUnresolved},
		{"private key", didJWK(t, with(okpJWK(ed), "d", b64(make([]byte, 32)))), problem.Malformed},
		{"symmetric key (a secret)", didJWK(t, object{"kty": "oct", "k": "c2VjcmV0"}), problem.Malformed},
		{"unsupported curve", didJWK(t, object{"kty": "OKP", "crv": "X448", "x": b64(make([]byte, 56))}), problem.Unsupported},
		{"not base64url", "did:jwk:eyJ+a3R5Ijoi", problem.Malformed},
		{"not a JSON object", "did:jwk:" + b64([]byte(`["OKP"]`)), problem.Malformed},
		{"empty", "did:jwk:", problem.Malformed},
		{"too long", "did:jwk:" + strings.Repeat("A", maxDIDJWKLen+1), problem.TooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ResolveKID(context.Background(), noNetwork{t}, tc.id)
			t.Log(err)
			wantCode(t, err, tc.want)
		})
	}
}

func TestResolveKIDDIDKeyWithoutFragment(t *testing.T) {
	ed := newEd25519(t)
	mb := encodeMultibase(0xed, ed)
	k, err := ResolveKID(context.Background(), noNetwork{t}, "did:key:"+mb)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != "did:key:"+mb+"#"+mb || k.Controller != "did:key:"+mb || !ed.Equal(k.Public) {
		t.Errorf("got %+v", k)
	}
	// With the fragment, as before; with another fragment, refused.
	if _, err := ResolveKID(context.Background(), noNetwork{t}, "did:key:"+mb+"#"+mb); err != nil {
		t.Error(err)
	}
	_, err = ResolveKID(context.Background(), noNetwork{t}, "did:key:"+mb+"#key-1")
	wantCode(t, err, problem.KeyUnresolved)
}

func TestResolveKIDURL(t *testing.T) {
	ed := newEd25519(t)
	other := newEd25519(t)
	p256 := newECDSA(t, elliptic.P256())
	const jwksURL = "https://issuer.example/.well-known/jwks.json"
	set := object{"keys": []any{
		with(okpJWK(ed), "kid", "key-1", "iss", issuerURL),
		with(ecJWK(t, p256), "kid", jwksURL+"#key-2"),
		with(okpJWK(other), "kid", "enc-1", "use", "enc"),
	}}
	for _, tc := range []struct {
		name, kid, source, iss string
		doc                    any
		want                   equaler
	}{
		{"bare JWK", keyURL, keyURL, "", okpJWK(ed), ed},
		{"bare JWK with iss", keyURL, keyURL, issuerURL, with(okpJWK(ed), "iss", issuerURL), ed},
		{"bare JWK whose kid is the fragment", keyURL + "#k1", keyURL, "", with(okpJWK(ed), "kid", "k1"), ed},
		{"bare JWK whose kid is the URL", keyURL + "#k1", keyURL, "", with(okpJWK(ed), "kid", keyURL+"#k1"), ed},
		{"bare JWK without kid, with a fragment", keyURL + "#k1", keyURL, "", okpJWK(ed), ed},
		{"JWK Set entry by fragment", jwksURL + "#key-1", jwksURL, issuerURL, set, ed},
		{"JWK Set entry by whole URL", jwksURL + "#key-2", jwksURL, "", set, p256},
		{"JWK Set of one key, no fragment", jwksURL, jwksURL, "", object{"keys": []any{okpJWK(ed)}}, ed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWeb(t)
			w.serve(t, tc.source, tc.doc)
			k, err := ResolveKID(context.Background(), w.session(), tc.kid)
			if err != nil {
				t.Fatal(err)
			}
			if k.ID != tc.kid || k.Controller != "" || k.Source != tc.source || k.Issuer != tc.iss || !tc.want.Equal(k.Public) {
				t.Errorf("got %+v", k)
			}
		})
	}
	// A key or controller document is read as Resolve reads it.
	w := newWeb(t)
	mb := encodeMultibase(0xed, ed)
	w.serve(t, issuerURL, object{"id": issuerURL, "type": "Profile", "verificationMethod": []any{multikey("#key-1", issuerURL, mb)}})
	k, err := ResolveKID(context.Background(), w.session(), issuerURL+"#key-1")
	if err != nil {
		t.Fatal(err)
	}
	if k.Controller != issuerURL || k.Source != "" || !ed.Equal(k.Public) {
		t.Errorf("controller document: got %+v", k)
	}
}

func TestResolveKIDURLErrors(t *testing.T) {
	ed := newEd25519(t)
	const jwksURL = "https://issuer.example/.well-known/jwks.json"
	twoKeys := object{"keys": []any{with(okpJWK(ed), "kid", "a"), with(okpJWK(newEd25519(t)), "kid", "b")}}
	for _, tc := range []struct {
		name, kid, at string
		doc           any
		want          problem.Code
	}{
		{"bare JWK with another kid", keyURL + "#k1", keyURL, with(okpJWK(ed), "kid", "k2"), problem.KeyUnresolved},
		{"bare JWK with private parts", keyURL, keyURL, with(okpJWK(ed), "d", b64(make([]byte, 32))), problem.KeyUnresolved},
		{"bare symmetric JWK (a secret)", keyURL, keyURL, object{"kty": "oct", "k": "c2VjcmV0"}, problem.KeyUnresolved},
		{"bare JWK of an unsupported curve", keyURL, keyURL, object{"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"}, problem.Unsupported},
		{"bare JWK for encryption", keyURL, keyURL, with(okpJWK(ed), "use", "enc"), problem.Unsupported},
		{"JWK Set without the kid", jwksURL + "#c", jwksURL, twoKeys, problem.KeyUnresolved},
		{"JWK Set of several keys, no fragment", jwksURL, jwksURL, twoKeys, problem.KeyUnresolved},
		{"JWK Set with the kid twice", jwksURL + "#a", jwksURL,
			object{"keys": []any{with(okpJWK(ed), "kid", "a"), with(okpJWK(newEd25519(t)), "kid", "a")}}, problem.KeyUnresolved},
		{"JWK Set entry with private parts", jwksURL + "#a", jwksURL,
			object{"keys": []any{with(okpJWK(ed), "kid", "a", "d", b64(make([]byte, 32)))}}, problem.KeyUnresolved},
		{"nothing there", keyURL, "https://issuer.example/elsewhere", okpJWK(ed), problem.KeyUnresolved},
		{"not JSON", keyURL, keyURL, []byte("-----BEGIN PUBLIC KEY-----"), problem.KeyUnresolved},
		// A document that is neither a JWK nor served at its own id.
		{"document naming another id", keyURL, keyURL, object{"id": "https://other.example/k", "type": "Profile"}, problem.KeyUnresolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWeb(t)
			w.serve(t, tc.at, tc.doc)
			_, err := ResolveKID(context.Background(), w.session(), tc.kid)
			t.Log(err)
			wantCode(t, err, tc.want)
		})
	}
}

func TestResolveKIDDIDWeb(t *testing.T) {
	ed := newEd25519(t)
	mb := encodeMultibase(0xed, ed)
	const did = "did:web:issuer.example"
	const docURL = "https://issuer.example/.well-known/did.json"
	one := object{"id": did, "verificationMethod": []any{multikey(did+"#k1", did, mb)}, "assertionMethod": []any{"#k1"}}
	w := newWeb(t)
	w.serve(t, docURL, one)
	k, err := ResolveKID(context.Background(), w.session(), did)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != did+"#k1" || k.Controller != did || !ed.Equal(k.Public) {
		t.Errorf("got %+v", k)
	}
	// Two keys: which one is meant cannot be told.
	two := with(one, "verificationMethod", []any{multikey(did+"#k1", did, mb), multikey(did+"#k2", did, encodeMultibase(0xed, newEd25519(t)))},
		"assertionMethod", []any{"#k1", "#k2"})
	w.serve(t, docURL, two)
	_, err = ResolveKID(context.Background(), w.session(), did)
	wantCode(t, err, problem.KeyUnresolved)
	// With a fragment it is Resolve's did:web.
	if k, err := ResolveKID(context.Background(), w.session(), did+"#k2"); err != nil || k.ID != did+"#k2" {
		t.Errorf("did:web with fragment: %+v, %v", k, err)
	}
}

func TestFetchJWKSet(t *testing.T) {
	ed := newEd25519(t)
	p256 := newECDSA(t, elliptic.P256())
	const jwksURL = "https://issuer.example/.well-known/jwks.json"
	w := newWeb(t)
	w.serve(t, jwksURL, object{"keys": []any{
		with(okpJWK(ed), "kid", "a", "iss", issuerURL),
		ecJWK(t, p256),
		with(okpJWK(newEd25519(t)), "use", "enc"),
		object{"kty": "oct", "k": "c2VjcmV0"},
		with(okpJWK(ed), "d", b64(make([]byte, 32))),
		"not a key",
	}})
	keys, err := FetchJWKSet(context.Background(), w.session(), jwksURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].KID != "a" || keys[0].Issuer != issuerURL || !ed.Equal(keys[0].Public) || !p256.Equal(keys[1].Public) {
		t.Errorf("got %+v", keys)
	}
	w.serve(t, jwksURL, object{"keys": "none"})
	_, err = FetchJWKSet(context.Background(), w.session(), jwksURL)
	wantCode(t, err, problem.KeyUnresolved)
	_, err = FetchJWKSet(context.Background(), w.session(), "https://other.example/.well-known/jwks.json")
	wantCode(t, err, problem.KeyUnresolved)
}

// TestResolveKIDLoopbackIsBlocked: a kid URL on loopback, with the
// production fetch client, is refused and nothing is sent.
func TestResolveKIDLoopbackIsBlocked(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c, err := fetch.New(fetch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, kid := range []string{srv.URL + "/key", "https://127.0.0.1/.well-known/jwks.json#k", "did:web:127.0.0.1%3A8443"} {
		_, err := ResolveKID(context.Background(), c.Session(5), kid)
		t.Log(err)
		wantCode(t, err, problem.BlockedAddress)
	}
	_, err = FetchJWKSet(context.Background(), c.Session(5), srv.URL+"/.well-known/jwks.json")
	wantCode(t, err, problem.BlockedAddress)
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests", n)
	}
}

func TestDIDKeys(t *testing.T) {
	ed := newEd25519(t)
	mb := encodeMultibase(0xed, ed)
	const web = "did:web:issuer.example"
	w := newWeb(t)
	w.serve(t, "https://issuer.example/.well-known/did.json", object{"id": web,
		"verificationMethod": []any{multikey(web+"#k1", web, mb), multikey(web+"#k2", web, encodeMultibase(0xed, newEd25519(t)))},
		"assertionMethod":    []any{"#k1", "#k2"}})
	for _, tc := range []struct {
		did  string
		n    int
		want string // the first key's id
	}{
		{"did:key:" + mb, 1, "did:key:" + mb + "#" + mb},
		{didJWK(t, okpJWK(ed)), 1, didJWK(t, okpJWK(ed)) + "#0"},
		{web, 2, web + "#k1"},
	} {
		keys, err := DIDKeys(context.Background(), w.session(), tc.did)
		if err != nil || len(keys) != tc.n || keys[0].ID != tc.want || !ed.Equal(keys[0].Public) {
			t.Errorf("%s: %+v, %v", tc.did, keys, err)
		}
	}
	for _, bad := range []string{"did:key:" + mb + "#" + mb, "did:example:123"} {
		if _, err := DIDKeys(context.Background(), w.session(), bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
