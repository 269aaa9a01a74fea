package web

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
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"backpack/internal/testclock"
	"backpack/internal/testissuer"
	"backpack/openbadges"
	"backpack/openbadges/fetch"
)

// When the test issuer's assertions say they were issued, relative to the
// test clock so that they stay in the past however the clock is shifted.
var (
	hostedIssuedOn = testclock.Date(0, -10, 0) // hosted and hostedPlain
	signedIssuedOn = hostedIssuedOn.AddDate(0, 0, 1)
)

// testIssuer hosts Open Badges 2.0 assertions, their badge class, issuer
// profile, key and image on a loopback server.
type testIssuer struct {
	t   testing.TB
	srv *testissuer.Server
	key *rsa.PrivateKey
}

var (
	issuerKeyOnce sync.Once
	issuerKey     *rsa.PrivateKey
)

func newTestIssuer(t testing.TB) *testIssuer {
	issuerKeyOnce.Do(func() { issuerKey, _ = rsa.GenerateKey(rand.Reader, 2048) })
	is := &testIssuer{t: t, key: issuerKey, srv: testissuer.New(t)}
	u := is.srv.URL
	der, _ := x509.MarshalPKIXPublicKey(&is.key.PublicKey)
	is.put("/issuer", map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Issuer", "id": u + "/issuer",
		"name": "Test Academy", "url": u, "email": "a@academy.test", "publicKey": u + "/key", "image": u + "/logo.png"})
	is.put("/key", map[string]any{"id": u + "/key", "type": "CryptographicKey", "owner": u + "/issuer",
		"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
	is.put("/badge", map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": u + "/badge",
		"name": "Robot Wrangler", "description": "Wrangles robots.", "image": u + "/badge.png",
		"criteria": map[string]any{"narrative": "Wrangle **three** robots. <script>alert(1)</script>"}, "issuer": u + "/issuer", "tags": []string{"robots"}})
	is.put("/badge.png", plainPNG(t, color.RGBA{0, 120, 200, 255}))
	is.put("/logo.png", plainPNG(t, color.RGBA{200, 20, 20, 255}))
	return is
}

func (is *testIssuer) put(path string, v any) { is.srv.Put(path, v) }

func (is *testIssuer) status(path string, code int) { is.srv.Status(path, code) }

func (is *testIssuer) url(p string) string { return is.srv.URL + p }

// hosted publishes a hosted assertion for email at path and returns its JSON.
func (is *testIssuer) hosted(path, email string) []byte {
	a := map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": is.url(path),
		"recipient": map[string]any{"type": "email", "hashed": true, "salt": "s", "identity": "sha256$" + sha256Hex(strings.ToLower(email)+"s")},
		"badge":     is.url("/badge"), "issuedOn": hostedIssuedOn.Format(time.RFC3339), "verification": map[string]any{"type": "hosted"}}
	b, _ := json.Marshal(a)
	is.put(path, b)
	return b
}

// hostedPlain is hosted with the recipient's address in clear.
func (is *testIssuer) hostedPlain(path, email string) []byte {
	a := map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": is.url(path),
		"recipient": map[string]any{"type": "email", "hashed": false, "identity": email},
		"badge":     is.url("/badge"), "issuedOn": hostedIssuedOn.Format(time.RFC3339), "verification": map[string]any{"type": "hosted"}}
	b, _ := json.Marshal(a)
	is.put(path, b)
	return b
}

// signed returns a signed assertion (compact JWS) for email.
func (is *testIssuer) signed(id, email string) string {
	a := map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": is.url(id),
		"recipient": map[string]any{"type": "email", "hashed": false, "identity": email},
		"badge":     is.url("/badge"), "issuedOn": signedIssuedOn.Format(time.RFC3339), "verification": map[string]any{"type": "signed", "creator": is.url("/key")}}
	b, _ := json.Marshal(a)
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: is.key}, nil)
	o, err := s.Sign(b)
	if err != nil {
		is.t.Fatal(err)
	}
	tok, _ := o.CompactSerialize()
	return tok
}

func (is *testIssuer) config(c *Config) {
	client, err := fetch.New(fetch.Options{AllowHosts: []string{strings.TrimPrefix(is.srv.URL, "http://")}})
	if err != nil {
		is.t.Fatal(err)
	}
	c.Fetch = client
	// The verifier judges expiry by the app's clock, as New's default
	// verifier does; without one, by the test clock.
	now := c.Now
	if now == nil {
		now = testclock.Func()
	}
	c.Verifier = &openbadges.Verifier{Fetch: client, Now: now}
}

func plainPNG(t testing.TB, c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, c)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
