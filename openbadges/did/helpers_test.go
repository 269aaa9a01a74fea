package did

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mr-tron/base58"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

var (
	_ Getter = (*fetch.Session)(nil)
	_ Getter = (*fetch.Client)(nil)
)

// encodeMultibase is the tests' own encoder: "z" + base58btc(varint(code) || key).
func encodeMultibase(code uint64, key []byte) string {
	return "z" + base58.Encode(append(binary.AppendUvarint(nil, code), key...))
}

// compress returns the SEC 1 compressed form of an ECDSA key.
func compress(t testing.TB, pub *ecdsa.PublicKey) []byte {
	t.Helper()
	b, err := pub.Bytes() // 0x04 || x || y
	if err != nil {
		t.Fatal(err)
	}
	size := (len(b) - 1) / 2
	return append([]byte{2 | b[len(b)-1]&1}, b[1:1+size]...)
}

func newEd25519(t testing.TB) ed25519.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func newECDSA(t testing.TB, curve elliptic.Curve) *ecdsa.PublicKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &k.PublicKey
}

// wantCode fails unless err is a *problem.Error with the given code.
func wantCode(t testing.TB, err error, want problem.Code) {
	t.Helper()
	var p *problem.Error
	switch {
	case err == nil:
		t.Fatalf("got no error, want %s", want)
	case !errors.As(err, &p):
		t.Fatalf("got %T %v, want a *problem.Error with code %s", err, err, want)
	case p.Code != want:
		t.Fatalf("got %v, want code %s", err, want)
	}
}

// noNetwork is a Getter that must not be called.
type noNetwork struct{ t testing.TB }

func (n noNetwork) Get(context.Context, string, string, fetch.Limit) (*fetch.Response, error) {
	n.t.Helper()
	n.t.Fatal("unexpected fetch")
	return nil, nil
}

// webHosts are the host names the test web answers for.
var webHosts = []string{"issuer.example", "other.example", "digitalcredentials.github.io"}

// web is an https test server answering for webHosts, reached through
// fetch's Redirect option: the resolver sees real host names and never
// touches the network.
type web struct {
	mu    sync.Mutex
	pages map[string]page // "host/path" -> answer
	hits  atomic.Int32
	c     *fetch.Client
}

type page struct {
	status   int
	body     []byte
	location string
}

var (
	certOnce sync.Once
	cert     tls.Certificate
	certPool *x509.CertPool
)

// testCert is a self-signed certificate for webHosts, trusted only by the
// test client.
func testCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		// The certificate is checked by crypto/tls against the wall clock,
		// never against the test clock: its validity is wall time.
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "did test hosts"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			DNSNames: webHosts, IsCA: true, BasicConstraintsValid: true,
			KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		certPool = x509.NewCertPool()
		certPool.AddCert(parsed)
		cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	return cert, certPool
}

func newWeb(t *testing.T) *web {
	t.Helper()
	w := &web{pages: map[string]page{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(w.handle))
	c, pool := testCert(t)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{c}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "https://")
	redirect := map[string]string{}
	for _, h := range webHosts {
		redirect[h+":443"] = addr
	}
	client, err := fetch.New(fetch.Options{Redirect: redirect, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	w.c = client
	return w
}

func (w *web) handle(rw http.ResponseWriter, r *http.Request) {
	w.hits.Add(1)
	w.mu.Lock()
	p, ok := w.pages[r.Host+r.URL.Path]
	w.mu.Unlock()
	switch {
	case !ok:
		http.NotFound(rw, r)
	case p.location != "":
		http.Redirect(rw, r, p.location, http.StatusFound)
	default:
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(p.status)
		rw.Write(p.body)
	}
}

// serve answers rawURL (https://host/path) with doc: raw bytes, or any
// other value as JSON.
func (w *web) serve(t testing.TB, rawURL string, doc any) {
	t.Helper()
	b, ok := doc.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(doc); err != nil {
			t.Fatal(err)
		}
	}
	w.set(rawURL, page{status: http.StatusOK, body: b})
}

// serveFile answers rawURL with a file under testdata.
func (w *web) serveFile(t testing.TB, rawURL, file string) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	w.serve(t, rawURL, b)
}

func (w *web) set(rawURL string, p page) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pages[strings.TrimPrefix(rawURL, "https://")] = p
}

// session is a fresh fetch session, as a verification would use.
func (w *web) session() Getter { return w.c.Session(10) }

// object is shorthand for JSON objects in test documents.
type object = map[string]any

// multikey is a Multikey verification method.
func multikey(id, controller, mb string) object {
	return object{"id": id, "type": "Multikey", "controller": controller, "publicKeyMultibase": mb}
}

// equaler is what every standard library public key implements.
type equaler interface{ Equal(crypto.PublicKey) bool }
