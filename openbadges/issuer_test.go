package openbadges

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"backpack/internal/testclock"
	"backpack/openbadges/fetch"
)

// testIssuer is an Open Badges issuer on a loopback test server: it hosts
// assertions, badge classes, its profile, keys and revocation list, and
// signs badges with RSA keys made for the test.
type testIssuer struct {
	t    testing.TB
	srv  *httptest.Server
	base string
	key  *rsa.PrivateKey

	mu     sync.Mutex
	docs   map[string][]byte
	status map[string]int
	hits   map[string]int
}

var (
	keyOnce  sync.Once
	testKeys [2]*rsa.PrivateKey
)

// rsaKeys generates two 2048-bit keys once for the whole test binary.
func rsaKeys(t testing.TB) [2]*rsa.PrivateKey {
	keyOnce.Do(func() {
		for i := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys[i] = k
		}
	})
	return testKeys
}

func newTestIssuer(t testing.TB) *testIssuer {
	is := &testIssuer{t: t, key: rsaKeys(t)[0], docs: map[string][]byte{}, status: map[string]int{}, hits: map[string]int{}}
	is.srv = httptest.NewServer(http.HandlerFunc(is.serve))
	t.Cleanup(is.srv.Close)
	is.base = is.srv.URL
	is.put("/issuer", Object{
		"@context": "https://w3id.org/openbadges/v2", "type": "Issuer", "id": is.url("/issuer"),
		"name": "Test Academy", "url": is.url("/"), "email": "badges@academy.test",
		"publicKey": is.url("/key"), "revocationList": is.url("/revocations"),
	})
	is.putKey("/key", &is.key.PublicKey, is.url("/issuer"))
	is.put("/revocations", Object{"@context": "https://w3id.org/openbadges/v2", "type": "RevocationList", "id": is.url("/revocations"), "revokedAssertions": []any{}})
	is.put("/badge", Object{
		"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": is.url("/badge"),
		"name": "Robot Wrangler", "description": "Wrangles robots.", "image": is.url("/badge.png"),
		"criteria": Object{"narrative": "Wrangle **three** robots."}, "issuer": is.url("/issuer"),
		"tags":      []any{"robots", "stem"},
		"alignment": []any{Object{"targetName": "Robotics 101", "targetUrl": "https://standards.test/r101"}},
	})
	return is
}

func (is *testIssuer) serve(w http.ResponseWriter, r *http.Request) {
	is.mu.Lock()
	body, ok := is.docs[r.URL.Path]
	status := is.status[r.URL.Path]
	is.hits[r.URL.Path]++
	is.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		w.Write(body)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/ld+json")
	w.Write(body)
}

func (is *testIssuer) url(path string) string { return is.base + path }

func (is *testIssuer) put(path string, v any) {
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			is.t.Fatal(err)
		}
	}
	is.mu.Lock()
	is.docs[path] = b
	is.mu.Unlock()
}

func (is *testIssuer) setStatus(path string, code int) {
	is.mu.Lock()
	is.status[path] = code
	is.mu.Unlock()
}

func (is *testIssuer) putKey(path string, pub *rsa.PublicKey, owner string) {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	is.put(path, Object{"@context": "https://w3id.org/openbadges/v2", "type": "CryptographicKey", "id": is.url(path), "owner": owner,
		"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
}

func (is *testIssuer) verifier(t testing.TB, now time.Time) *Verifier {
	u, _ := url.Parse(is.base)
	c, err := fetch.New(fetch.Options{AllowHosts: []string{u.Host}})
	if err != nil {
		t.Fatal(err)
	}
	return &Verifier{Fetch: c, Now: func() time.Time { return now }}
}

// assertion returns a 2.0 assertion of the test badge for recipient
// (hashed with a salt), hosted at path or signed, issued a year before the
// test clock.
func (is *testIssuer) assertion(path, recipient string, signed bool) Object {
	a := Object{
		"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": is.url(path),
		"recipient": Object{"type": "email", "hashed": true, "salt": "pepper", "identity": "sha256$" + sha256hex(recipient+"pepper")},
		"badge":     is.url("/badge"), "issuedOn": testclock.RFC3339(-1, 0, 0),
		"verification": Object{"type": "hosted"},
		"evidence":     "https://portfolio.test/robots",
	}
	if signed {
		a["verification"] = Object{"type": "SignedBadge", "creator": is.url("/key")}
	}
	return a
}

func sign(t testing.TB, key *rsa.PrivateKey, payload any) string {
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// plainPNG is a small unbaked badge image.
func plainPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 30, 30, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const plainSVG = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4" fill="teal"/></svg>`

func errorCodes(r *Report) []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, string(e.Code))
	}
	return out
}

func hasCode(r *Report, c Code) bool {
	for _, e := range r.Errors {
		if e.Code == c {
			return true
		}
	}
	return false
}

func dump(r *Report) string {
	b, _ := json.MarshalIndent(r, "", " ")
	return strings.TrimSpace(string(b))
}
