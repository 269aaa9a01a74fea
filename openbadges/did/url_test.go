package did

import (
	"context"
	"crypto/elliptic"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

const (
	issuerURL = "https://issuer.example/issuer"
	keyURL    = "https://issuer.example/keys/1"
)

// keyDoc is a key document served at keyURL naming controller.
func keyDoc(controller, mb string) object {
	return object{"@context": "https://w3id.org/security/multikey/v1", "id": keyURL, "type": "Multikey",
		"controller": controller, "publicKeyMultibase": mb}
}

func TestResolveKeyDocument(t *testing.T) {
	ed := newEd25519(t)
	mb := encodeMultibase(0xed, ed)
	for _, tc := range []struct {
		name       string
		controller string
		setup      func(t *testing.T, w *web)
	}{
		{"issuer profile lists it in assertionMethod", issuerURL, func(t *testing.T, w *web) {
			w.serve(t, issuerURL, object{"id": issuerURL, "type": "Profile", "assertionMethod": []any{keyURL}})
		}},
		{"issuer profile lists it in verificationMethod", issuerURL, func(t *testing.T, w *web) {
			w.serve(t, issuerURL, object{"id": issuerURL, "type": "Profile", "verificationMethod": []any{keyURL}})
		}},
		{"DID document lists it", "did:web:issuer.example", func(t *testing.T, w *web) {
			w.serve(t, "https://issuer.example/.well-known/did.json", object{"id": "did:web:issuer.example", "assertionMethod": []any{keyURL}})
		}},
		{"controls itself", keyURL, func(t *testing.T, w *web) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWeb(t)
			w.serve(t, keyURL, keyDoc(tc.controller, mb))
			tc.setup(t, w)
			k, err := Resolve(context.Background(), w.session(), keyURL)
			if err != nil {
				t.Fatal(err)
			}
			if k.ID != keyURL || k.Controller != tc.controller || !ed.Equal(k.Public) {
				t.Errorf("got %+v", k)
			}
		})
	}
}

func TestResolveKeyDocumentErrors(t *testing.T) {
	mb := encodeMultibase(0xed, newEd25519(t))
	profile := object{"id": issuerURL, "type": "Profile", "assertionMethod": []any{keyURL}}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, w *web)
		want  problem.Code
	}{
		{"no controller", func(t *testing.T, w *web) {
			w.serve(t, keyURL, with(keyDoc(issuerURL, mb), "controller", nil))
			w.serve(t, issuerURL, profile)
		}, problem.KeyUnresolved},
		{"controller does not list it", func(t *testing.T, w *web) {
			w.serve(t, keyURL, keyDoc(issuerURL, mb))
			w.serve(t, issuerURL, with(profile, "assertionMethod", []any{"https://issuer.example/keys/2"}))
		}, problem.KeyUnresolved},
		{"controller lists it only for authentication", func(t *testing.T, w *web) {
			w.serve(t, keyURL, keyDoc(issuerURL, mb))
			w.serve(t, issuerURL, with(profile, "assertionMethod", []any{}, "verificationMethod", []any{keyURL}, "authentication", []any{keyURL}))
		}, problem.KeyUnresolved},
		{"controller document missing", func(t *testing.T, w *web) {
			w.serve(t, keyURL, keyDoc(issuerURL, mb))
		}, problem.KeyUnresolved},
		{"controller document names another id", func(t *testing.T, w *web) {
			w.serve(t, keyURL, keyDoc(issuerURL, mb))
			w.serve(t, issuerURL, with(profile, "id", "https://other.example/issuer"))
		}, problem.KeyUnresolved},
		{"DID controller lists it outside assertionMethod", func(t *testing.T, w *web) {
			w.serve(t, keyURL, keyDoc("did:web:issuer.example", mb))
			w.serve(t, "https://issuer.example/.well-known/did.json", object{"id": "did:web:issuer.example", "verificationMethod": []any{keyURL}})
		}, problem.KeyUnresolved},
		{"did:key controller", func(t *testing.T, w *web) {
			w.serve(t, keyURL, keyDoc("did:key:"+mb, mb))
		}, problem.KeyUnresolved},
		{"malformed did:web controller", func(t *testing.T, w *web) {
			w.serve(t, keyURL, keyDoc("did:web:issuer.example/x", mb))
		}, problem.KeyUnresolved},
		{"controller with fragment", func(t *testing.T, w *web) {
			w.serve(t, keyURL, keyDoc(issuerURL+"#me", mb))
		}, problem.KeyUnresolved},
		{"unknown key type", func(t *testing.T, w *web) {
			w.serve(t, keyURL, with(keyDoc(issuerURL, mb), "type", "CryptographicKey"))
			w.serve(t, issuerURL, profile)
		}, problem.KeyUnresolved},
		{"bad key", func(t *testing.T, w *web) {
			w.serve(t, keyURL, keyDoc(issuerURL, mb+"0"))
			w.serve(t, issuerURL, profile)
		}, problem.KeyUnresolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWeb(t)
			tc.setup(t, w)
			_, err := Resolve(context.Background(), w.session(), keyURL)
			t.Log(err)
			wantCode(t, err, tc.want)
		})
	}
}

func TestResolveControllerDocument(t *testing.T) {
	ed := newEd25519(t)
	mb := encodeMultibase(0xed, ed)
	p256 := newECDSA(t, elliptic.P256())
	rk := testRSA(t)
	profile := object{
		"@context": []any{"https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"},
		"id":       issuerURL, "type": "Profile", "name": "Example Institution",
		"verificationMethod": []any{
			multikey(issuerURL+"#key-1", issuerURL, mb),
			object{"id": "#key-2", "type": "JsonWebKey2020", "publicKeyJwk": ecJWK(t, p256)},
			object{"id": "#key-3", "type": "JsonWebKey", "controller": issuerURL, "publicKeyJwk": rsaJWKOf(&rk.PublicKey)},
		},
	}
	for _, tc := range []struct {
		id   string
		want equaler
	}{
		{issuerURL + "#key-1", ed},
		{issuerURL + "#key-2", p256},
		{issuerURL + "#key-3", &rk.PublicKey},
	} {
		w := newWeb(t)
		w.serve(t, issuerURL, profile)
		k, err := Resolve(context.Background(), w.session(), tc.id)
		if err != nil {
			t.Fatalf("%s: %v", tc.id, err)
		}
		if k.ID != tc.id || k.Controller != issuerURL || !tc.want.Equal(k.Public) {
			t.Errorf("%s: got %+v", tc.id, k)
		}
	}
}

func TestResolveControllerDocumentErrors(t *testing.T) {
	mb := encodeMultibase(0xed, newEd25519(t))
	profile := object{"id": issuerURL, "type": "Profile", "verificationMethod": []any{multikey("#key-1", issuerURL, mb)}}
	for _, tc := range []struct {
		name string
		id   string
		doc  object
		want problem.Code
	}{
		{"served at another id", issuerURL + "#key-1", with(profile, "id", "https://other.example/issuer"), problem.KeyUnresolved},
		{"method not listed", issuerURL + "#key-2", profile, problem.KeyUnresolved},
		{"not in its assertionMethod", issuerURL + "#key-1", with(profile, "assertionMethod", []any{"#key-0"}), problem.KeyUnresolved},
		{"method of another controller", issuerURL + "#key-1",
			with(profile, "verificationMethod", []any{multikey("#key-1", "https://other.example/issuer", mb)}), problem.KeyUnresolved},
		// The 1EdTech fragment shortcut: the key in the fragment is not
		// published by the issuer, so it must not be used.
		{"key in the fragment only", issuerURL + "#" + mb, profile, problem.KeyUnresolved},
		{"key document naming another id", keyURL, with(keyDoc(issuerURL, mb), "id", "https://issuer.example/keys/2"), problem.KeyUnresolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWeb(t)
			w.serve(t, issuerURL, tc.doc)
			w.serve(t, keyURL, tc.doc)
			_, err := Resolve(context.Background(), w.session(), tc.id)
			t.Log(err)
			wantCode(t, err, tc.want)
		})
	}
}

// TestResolveURLLoopbackIsBlocked: an http(s) key URL on loopback, with
// the production fetch client, is refused and nothing is sent.
func TestResolveURLLoopbackIsBlocked(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c, err := fetch.New(fetch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{srv.URL + "/key", "https://127.0.0.1/key#k", "https://[::1]/key"} {
		_, err := Resolve(context.Background(), c.Session(5), id)
		t.Log(err)
		wantCode(t, err, problem.BlockedAddress)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests", n)
	}
}
