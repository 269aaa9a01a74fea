package did

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

func TestWebURL(t *testing.T) {
	for _, tc := range []struct{ did, want string }{
		{"did:web:issuer.example", "https://issuer.example/.well-known/did.json"},
		{"did:web:issuer.example:issuers:42", "https://issuer.example/issuers/42/did.json"},
		{"did:web:issuer.example%3A8443", "https://issuer.example:8443/.well-known/did.json"},
		{"did:web:issuer.example%3a8443:u:alice", "https://issuer.example:8443/u/alice/did.json"},
		{"did:web:127.0.0.1%3A6379", "https://127.0.0.1:6379/.well-known/did.json"},
		{"did:web:digitalcredentials.github.io:vc-test-fixtures:dids:legacy", "https://digitalcredentials.github.io/vc-test-fixtures/dids/legacy/did.json"},
		{"did:web:a.example:x_y.z-1", "https://a.example/x_y.z-1/did.json"},
	} {
		u, err := webURL(tc.did)
		if err != nil {
			t.Errorf("%s: %v", tc.did, err)
			continue
		}
		if u.String() != tc.want {
			t.Errorf("%s: got %s, want %s", tc.did, u, tc.want)
		}
	}
	for _, tc := range []struct {
		did  string
		want problem.Code
	}{
		{"did:web:", problem.Malformed},
		{"did:web::x", problem.Malformed},
		{"did:web:issuer.example:", problem.Malformed},
		{"did:web:issuer.example::x", problem.Malformed},
		{"did:web:issuer.example:..:x", problem.Malformed},
		{"did:web:issuer.example:.", problem.Malformed},
		{"did:web:issuer.example:a%2F..%2Fb", problem.Unsupported},
		{"did:web:issuer.example%2Fevil.example", problem.Malformed},
		{"did:web:evil.example%40issuer.example", problem.Malformed},
		{"did:web:issuer.example%3A", problem.Malformed},
		{"did:web:%3A443", problem.Malformed},
		{"did:web:issuer.example%3A0", problem.Malformed},
		{"did:web:issuer.example%3A65536", problem.Malformed},
		{"did:web:issuer.example%3A44x", problem.Malformed},
		{"did:web:issuer.example%3A1%3A2", problem.Malformed},
		{"did:web:issuer.example%3A+443", problem.Malformed},
		{"did:web:issuer..example", problem.Malformed},
		{"did:web:-issuer.example", problem.Malformed},
		{"did:web:issuer_x.example", problem.Malformed},
		{"did:web:%5B%3A%3A1%5D", problem.Malformed},
		{"did:web:issuer.example/path", problem.Malformed},
		{"did:web:issuer.example?q=1", problem.Malformed},
		{"did:web:user@issuer.example", problem.Malformed},
		{"did:web:issuer.example%", problem.Malformed},
		{"did:web:issuer.example%zz", problem.Malformed},
		{"did:web:issuér.example", problem.Malformed},
	} {
		_, err := webURL(tc.did)
		if problem.CodeOf(err) != tc.want {
			t.Errorf("%s: got %v, want %s", tc.did, err, tc.want)
		}
	}
}

// TestResolveDIDWebFixtures resolves the DCC vc-test-fixtures DID documents
// served under the host names their ids name.
func TestResolveDIDWebFixtures(t *testing.T) {
	const mb = "z6MkjXe1vZvPRqFuc9nRBtZ3e1Y9XKDFSbjFAfzLfW2bD6cZ"
	want, err := PublicKeyFromMultibase(mb)
	if err != nil {
		t.Fatal(err)
	}
	w := newWeb(t)
	for _, name := range []string{"legacy", "oidf"} {
		w.serveFile(t, "https://digitalcredentials.github.io/vc-test-fixtures/dids/"+name+"/did.json", "vc-test-fixtures/dids/"+name+"/did.json")
		did := "did:web:digitalcredentials.github.io:vc-test-fixtures:dids:" + name
		k, err := Resolve(context.Background(), w.session(), did+"#"+mb)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if k.ID != did+"#"+mb || k.Controller != did || !want.(equaler).Equal(k.Public) {
			t.Errorf("%s: got %+v", name, k)
		}
	}
}

func TestResolveDIDWeb(t *testing.T) {
	const did = "did:web:issuer.example"
	const docURL = "https://issuer.example/.well-known/did.json"
	ed := newEd25519(t)
	mb := encodeMultibase(0xed, ed)
	p256 := newECDSA(t, elliptic.P256())
	rk := testRSA(t)

	for _, tc := range []struct {
		name string
		id   string // default did#key-1
		url  string // where doc is served; default docURL
		doc  object
		want equaler
	}{
		{
			name: "Multikey referenced by relative id",
			doc: object{"id": did, "verificationMethod": []any{multikey("#key-1", did, mb)},
				"assertionMethod": []any{"#key-1"}},
			want: ed,
		},
		{
			name: "Ed25519VerificationKey2020 embedded, no controller",
			doc: object{"id": did, "assertionMethod": []any{
				object{"id": did + "#key-1", "type": "Ed25519VerificationKey2020", "publicKeyMultibase": mb}}},
			want: ed,
		},
		{
			name: "JsonWebKey2020 P-256 by absolute reference",
			doc: object{"id": did, "verificationMethod": []any{
				object{"id": did + "#key-1", "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": ecJWK(t, p256)}},
				"assertionMethod": did + "#key-1"},
			want: p256,
		},
		{
			name: "JsonWebKey RSA, type list",
			doc: object{"id": did, "verificationMethod": []any{
				object{"id": did + "#key-1", "type": []any{"JsonWebKey"}, "controller": did, "publicKeyJwk": rsaJWKOf(&rk.PublicKey)}},
				"assertionMethod": []any{"#key-0", did + "#key-1"}},
			want: &rk.PublicKey,
		},
		{
			name: "path",
			id:   did + ":issuers:42#key-1",
			url:  "https://issuer.example/issuers/42/did.json",
			doc: object{"id": did + ":issuers:42", "verificationMethod": []any{multikey("#key-1", did+":issuers:42", mb)},
				"assertionMethod": []any{"#key-1"}},
			want: ed,
		},
		{
			name: "explicit port 443",
			id:   "did:web:issuer.example%3A443#key-1",
			url:  "https://issuer.example:443/.well-known/did.json",
			doc: object{"id": "did:web:issuer.example%3A443", "assertionMethod": []any{
				multikey("did:web:issuer.example%3A443#key-1", "did:web:issuer.example%3A443", mb)}},
			want: ed,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWeb(t)
			id := cmpOr(tc.id, did+"#key-1")
			w.serve(t, cmpOr(tc.url, docURL), tc.doc)
			k, err := Resolve(context.Background(), w.session(), id)
			if err != nil {
				t.Fatal(err)
			}
			ctrl, _, _ := strings.Cut(id, "#")
			if k.ID != id || k.Controller != ctrl {
				t.Errorf("got ID %q Controller %q", k.ID, k.Controller)
			}
			if !tc.want.Equal(k.Public) {
				t.Errorf("got another key")
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestResolveDIDWebErrors(t *testing.T) {
	const did = "did:web:issuer.example"
	const docURL = "https://issuer.example/.well-known/did.json"
	mb := encodeMultibase(0xed, newEd25519(t))
	good := func() object {
		return object{"id": did, "verificationMethod": []any{multikey(did+"#key-1", did, mb)}, "assertionMethod": []any{"#key-1"}}
	}
	for _, tc := range []struct {
		name  string
		id    string // default did#key-1
		setup func(t *testing.T, w *web)
		want  problem.Code
	}{
		{"document names another DID", "", func(t *testing.T, w *web) {
			w.serve(t, docURL, with(good(), "id", "did:web:other.example"))
		}, problem.KeyUnresolved},
		{"document without id", "", func(t *testing.T, w *web) {
			w.serve(t, docURL, with(good(), "id", nil))
		}, problem.KeyUnresolved},
		{"not in assertionMethod", "", func(t *testing.T, w *web) {
			w.serve(t, docURL, with(good(), "assertionMethod", []any{}, "authentication", []any{"#key-1"}))
		}, problem.KeyUnresolved},
		{"no assertionMethod at all", "", func(t *testing.T, w *web) {
			w.serve(t, docURL, with(good(), "assertionMethod", nil))
		}, problem.KeyUnresolved},
		{"method not listed", did + "#key-2", func(t *testing.T, w *web) {
			w.serve(t, docURL, good())
		}, problem.KeyUnresolved},
		{"no fragment", did, func(t *testing.T, w *web) {
			w.serve(t, docURL, good())
		}, problem.KeyUnresolved},
		{"method of another controller", "", func(t *testing.T, w *web) {
			w.serve(t, docURL, with(good(), "verificationMethod", []any{multikey(did+"#key-1", "did:web:other.example", mb)}))
		}, problem.KeyUnresolved},
		{"unsupported method type", "", func(t *testing.T, w *web) {
			vm := with(multikey(did+"#key-1", did, mb), "type", "EcdsaSecp256k1VerificationKey2019")
			w.serve(t, docURL, with(good(), "verificationMethod", []any{vm}))
		}, problem.KeyUnresolved},
		{"Multikey with a JWK", "", func(t *testing.T, w *web) {
			vm := with(multikey(did+"#key-1", did, mb), "publicKeyMultibase", nil, "publicKeyJwk", okpJWK(newEd25519(t)))
			w.serve(t, docURL, with(good(), "verificationMethod", []any{vm}))
		}, problem.KeyUnresolved},
		{"two keys", "", func(t *testing.T, w *web) {
			vm := with(multikey(did+"#key-1", did, mb), "publicKeyJwk", okpJWK(newEd25519(t)))
			w.serve(t, docURL, with(good(), "verificationMethod", []any{vm}))
		}, problem.KeyUnresolved},
		{"Ed25519VerificationKey2020 with a P-256 key", "", func(t *testing.T, w *web) {
			vm := object{"id": did + "#key-1", "type": "Ed25519VerificationKey2020",
				"publicKeyMultibase": encodeMultibase(0x1200, compress(t, newECDSA(t, elliptic.P256())))}
			w.serve(t, docURL, with(good(), "verificationMethod", []any{vm}))
		}, problem.KeyUnresolved},
		{"private JWK", "", func(t *testing.T, w *web) {
			vm := object{"id": did + "#key-1", "type": "JsonWebKey2020", "publicKeyJwk": with(okpJWK(newEd25519(t)), "d", "AAAA")}
			w.serve(t, docURL, with(good(), "verificationMethod", []any{vm}))
		}, problem.KeyUnresolved},
		{"secp256k1 Multikey", "", func(t *testing.T, w *web) {
			vm := multikey(did+"#key-1", did, encodeMultibase(0xe7, append([]byte{2}, make([]byte, 32)...)))
			w.serve(t, docURL, with(good(), "verificationMethod", []any{vm}))
		}, problem.Unsupported},
		{"not found", "", func(t *testing.T, w *web) {}, problem.KeyUnresolved},
		{"not JSON", "", func(t *testing.T, w *web) {
			w.serve(t, docURL, []byte("<html>SECRET-123</html>"))
		}, problem.KeyUnresolved},
		{"duplicate id", "", func(t *testing.T, w *web) {
			w.serve(t, docURL, []byte(`{"id":"did:web:other.example","id":"did:web:issuer.example","assertionMethod":[]}`))
		}, problem.KeyUnresolved},
		{"JSON after the document", "", func(t *testing.T, w *web) {
			w.serve(t, docURL, []byte(`{"id":"did:web:issuer.example"} {}`))
		}, problem.KeyUnresolved},
		{"nested too deep", "", func(t *testing.T, w *web) {
			w.serve(t, docURL, []byte(`{"id":"did:web:issuer.example","x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`))
		}, problem.KeyUnresolved},
		{"larger than 256 KiB", "", func(t *testing.T, w *web) {
			w.serve(t, docURL, with(good(), "padding", strings.Repeat("x", 256<<10)))
		}, problem.KeyUnresolved},
		{"redirect to another host", "", func(t *testing.T, w *web) {
			w.set(docURL, page{location: "https://other.example/did.json"})
			w.serve(t, "https://other.example/did.json", good())
		}, problem.KeyUnresolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWeb(t)
			tc.setup(t, w)
			_, err := Resolve(context.Background(), w.session(), cmpOr(tc.id, did+"#key-1"))
			t.Log(err)
			wantCode(t, err, tc.want)
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error quotes fetched content: %v", err)
			}
		})
	}
}

// TestResolveDIDWebKeepsFetchError: a failed fetch is KeyUnresolved, with
// the fetcher's error (and its code) in the chain and no response body in
// the message.
func TestResolveDIDWebKeepsFetchError(t *testing.T) {
	w := newWeb(t)
	w.set("https://issuer.example/.well-known/did.json", page{status: http.StatusInternalServerError, body: []byte("SECRET-123")})
	_, err := Resolve(context.Background(), w.session(), "did:web:issuer.example#key-1")
	wantCode(t, err, problem.KeyUnresolved)
	var inner *problem.Error
	if !errors.As(errors.Unwrap(err), &inner) || inner.Code != problem.FetchFailed {
		t.Errorf("the fetch error is not wrapped: %v", err)
	}
	if msg := err.Error(); strings.Contains(msg, "SECRET") || !strings.Contains(msg, "HTTP 500 from issuer.example") {
		t.Errorf("message = %q", msg)
	}
}

func TestResolveDIDWebRedirectOnSameHost(t *testing.T) {
	const did = "did:web:issuer.example"
	w := newWeb(t)
	mb := encodeMultibase(0xed, newEd25519(t))
	w.set("https://issuer.example/.well-known/did.json", page{location: "/dids/main.json"})
	w.serve(t, "https://issuer.example/dids/main.json", object{"id": did, "assertionMethod": []any{multikey(did+"#k", did, mb)}})
	if _, err := Resolve(context.Background(), w.session(), did+"#k"); err != nil {
		t.Fatal(err)
	}
}

// TestDIDWebLoopbackIsBlocked: with the production fetch client, did:web
// ids naming loopback (S3, ack #223) are refused and nothing is sent.
func TestDIDWebLoopbackIsBlocked(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	c, err := fetch.New(fetch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{
		"did:web:127.0.0.1%3A8443#key-1",
		"did:web:127.0.0.1%3A" + u.Port() + "#key-1",
		"did:web:localhost%3A" + u.Port() + ":user:alice#key-1",
		"did:web:127.0.0.1#key-1",
	} {
		_, err := Resolve(context.Background(), c.Session(5), id)
		t.Log(err)
		wantCode(t, err, problem.BlockedAddress)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests", n)
	}
}

// TestDIDWebMessages: messages name hosts, never document content.
func TestDIDWebMessages(t *testing.T) {
	w := newWeb(t)
	w.serve(t, "https://issuer.example/.well-known/did.json", object{"id": "did:web:SECRET.example"})
	_, err := Resolve(context.Background(), w.session(), "did:web:issuer.example#key-1")
	wantCode(t, err, problem.KeyUnresolved)
	if bytes.Contains([]byte(err.Error()), []byte("SECRET")) {
		t.Errorf("message quotes the document: %v", err)
	}
}
