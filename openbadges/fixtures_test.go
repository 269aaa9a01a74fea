package openbadges

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"backpack/internal/testclock"
	"backpack/openbadges/fetch"
)

// The fixtures are real badges written by others (testdata/fixtures, see
// its README). They name hosts such as example.org and a.com; the tests
// answer for those hosts from two loopback servers (plain and TLS) using
// the scenarios of url-map.json. The fixture files are never rewritten.

const fixtureDir = "testdata/fixtures"

// fixtureNow is the instant the fixtures are verified at. Their dates were
// written by others, so it is fixed (the test clock's shift leaves it
// alone): after the newest date meant to have passed (validFrom and proof
// created 2026-01-23, in ob3/1edtech-validator) and before the earliest
// meant to lie ahead (validUntil 2030-01-01; the "in future" fixtures are
// dated 2040 and later).
var fixtureNow = testclock.Fixed(2026, time.November, 27)

// fixtureHosts are all the hosts the fixtures refer to.
var fixtureHosts = []string{"example.org", "www.example.org", "a.com", "oldstyle.com", "oldsyle.com", "openbadgefactory.com",
	"example.com", "example.edu", "1edtech.edu", "dc.1edtech.org", "digitalcredentials.github.io", "raw.githubusercontent.com", "testing.dcconsortium.org"}

// fixtureWeb serves one scenario of url-map.json, plus per-test overrides.
type fixtureWeb struct {
	t        *testing.T
	files    map[string]string // URL -> fixture path ("" = 404)
	status   int               // the scenario's __status__, if any
	override map[string][]byte
	client   *fetch.Client
}

var (
	urlMapOnce sync.Once
	urlMap     map[string]map[string]any
	tlsOnce    sync.Once
	tlsCert    tls.Certificate
	tlsPool    *x509.CertPool
)

func loadURLMap(t *testing.T) map[string]map[string]any {
	urlMapOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(fixtureDir, "url-map.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &urlMap); err != nil {
			t.Fatal(err)
		}
	})
	return urlMap
}

// fixtureTLS is a certificate for every fixture host, trusted by the test
// client only.
func fixtureTLS(t *testing.T) (tls.Certificate, *x509.CertPool) {
	tlsOnce.Do(func() {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		// The certificate is checked by crypto/tls against the wall clock,
		// never against the test clock: its validity is wall time.
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fixture hosts"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			DNSNames: fixtureHosts, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		cert, _ := x509.ParseCertificate(der)
		tlsPool = x509.NewCertPool()
		tlsPool.AddCert(cert)
		tlsCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	return tlsCert, tlsPool
}

// newFixtureWeb starts the servers for the scenarios (none: every URL is
// a 404).
func newFixtureWeb(t *testing.T, scenarios ...string) *fixtureWeb {
	w := &fixtureWeb{t: t, files: map[string]string{}, override: map[string][]byte{}}
	for _, scenario := range scenarios {
		if scenario == "" {
			continue
		}
		found := false
		for name, entries := range loadURLMap(t) {
			if !strings.HasPrefix(name, scenario+" ") && name != scenario {
				continue
			}
			found = true
			for u, f := range entries {
				switch u {
				case "__status__":
					switch f := f.(type) {
					case float64:
						w.status = int(f)
					case string:
						w.status, _ = strconv.Atoi(f)
					}
				case "__note__":
				default:
					s, _ := f.(string)
					w.files[u] = s
				}
			}
		}
		if !found {
			t.Fatalf("no scenario %q in url-map.json", scenario)
		}
	}
	plain := httptest.NewServer(w.handler("http"))
	t.Cleanup(plain.Close)
	secure := httptest.NewUnstartedServer(w.handler("https"))
	cert, pool := fixtureTLS(t)
	secure.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	secure.StartTLS()
	t.Cleanup(secure.Close)
	redirect := map[string]string{}
	for _, h := range fixtureHosts {
		redirect[h+":80"] = strings.TrimPrefix(plain.URL, "http://")
		redirect[h+":443"] = strings.TrimPrefix(secure.URL, "https://")
	}
	c, err := fetch.New(fetch.Options{Redirect: redirect, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	w.client = c
	return w
}

func (w *fixtureWeb) handler(scheme string) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		u := scheme + "://" + r.Host + r.URL.Path
		if b, ok := w.override[u]; ok {
			rw.Header().Set("Content-Type", contentType(u))
			rw.Write(b)
			return
		}
		f, ok := w.files[u]
		if !ok || f == "" {
			if ok && w.status != 0 {
				rw.WriteHeader(w.status)
				return
			}
			http.NotFound(rw, r)
			return
		}
		b, err := os.ReadFile(filepath.Join(fixtureDir, f))
		if err != nil {
			http.NotFound(rw, r) // a file we did not copy (AGPL)
			return
		}
		if w.status != 0 {
			rw.WriteHeader(w.status)
		}
		rw.Header().Set("Content-Type", contentType(f))
		rw.Write(b)
	})
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	case ".html":
		return "text/html"
	case ".json", ".jsonld":
		return "application/ld+json"
	}
	return "text/plain"
}

func readFixture(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type fixtureCase struct {
	file      string // input, under testdata/fixtures
	scenario  string // url-map.json scenario ("" = nothing served)
	url       string // verify this URL instead of the file's bytes
	serveSelf bool   // serve the input at its own id (the hosted copy is the file under test)
	recipient string
	valid     bool
	code      Code // expected error code when not valid
	spec      string
	format    string
	source    string
	warning   bool // a warning is expected
	insecure  bool // the "transport" warning is expected (plain http on a public name)
	why       string
}

// fixtureCases gives each fixture the outcome its MANIFEST row states.
var fixtureCases = []fixtureCase{
	// OB 2.0, 1EdTech validator test set.
	{file: "ob2/1edtech-validator/basic-assertion.json", scenario: "ob2-1edtech-validator", serveSelf: true, recipient: "nobody@example.org", valid: true, why: "testSimpleJsonValid"},
	{file: "ob2/1edtech-validator/basic-assertion-expired.json", scenario: "ob2-1edtech-validator", serveSelf: true, code: "expired"},
	{file: "ob2/1edtech-validator/basic-assertion-expired-before-issued.json", scenario: "ob2-1edtech-validator", serveSelf: true, code: "schema"},
	{file: "ob2/1edtech-validator/basic-assertion-in-future.json", scenario: "ob2-1edtech-validator", serveSelf: true, code: "not-yet-valid"},
	{file: "ob2/1edtech-validator/basic-assertion-invalid-context.json", scenario: "ob2-1edtech-validator", serveSelf: true, code: "schema"},
	{file: "ob2/1edtech-validator/basic-assertion-invalid-type.json", scenario: "ob2-1edtech-validator", serveSelf: true, code: "schema"},
	{file: "ob2/1edtech-validator/basic-assertion-no-public-key.json", scenario: "ob2-1edtech-validator", serveSelf: true, valid: true},
	{file: "ob2/1edtech-validator/basic-assertion-with-allowed-origins.json", scenario: "ob2-1edtech-validator", serveSelf: true, valid: true},
	{file: "ob2/1edtech-validator/basic-assertion-with-allowed-origins-valid-starts-with.json", scenario: "ob2-1edtech-validator", serveSelf: true, valid: true},
	{file: "ob2/1edtech-validator/basic-assertion-with-allowed-origins-valid-multiple-starts-with.json", scenario: "ob2-1edtech-validator", serveSelf: true, valid: true},
	{file: "ob2/1edtech-validator/basic-assertion-with-allowed-origins-invalid-starts-with.json", scenario: "ob2-1edtech-validator", serveSelf: true, code: "id-mismatch"},
	{file: "ob2/1edtech-validator/basic-assertion-with-allowed-origins-invalid-multiple-starts-with.json", scenario: "ob2-1edtech-validator", serveSelf: true, code: "id-mismatch"},
	{file: "ob2/1edtech-validator/basic-assertion-with-language.json", scenario: "ob2-1edtech-validator", serveSelf: true, valid: true},
	{file: "ob2/1edtech-validator/assertion-with-data-image.json", scenario: "ob2-1edtech-validator", serveSelf: true, code: "schema"},
	{file: "ob2/1edtech-validator/assertion-with-endorsements.json", scenario: "ob2-1edtech-validator", serveSelf: true, valid: true},
	{file: "ob2/1edtech-validator/assertion-with-extension-node-basic.json", scenario: "ob2-1edtech-validator", serveSelf: true, valid: true},
	{file: "ob2/1edtech-validator/assertion-with-extension-node-invalid.json", scenario: "ob2-1edtech-validator", serveSelf: true, code: "schema"},
	{file: "ob2/1edtech-validator/assertion-with-multiple-extensions.json", scenario: "ob2-1edtech-validator", serveSelf: true, valid: true},
	{file: "ob2/1edtech-validator/warning-issuer-non-http.json", scenario: "ob2-1edtech-validator", serveSelf: true, valid: true, warning: true},
	{file: "ob2/1edtech-validator/warning-with-redirection.json", scenario: "ob2-1edtech-validator", serveSelf: true, valid: true, warning: true},
	{file: "ob2/1edtech-validator/simple.jwt", scenario: "ob2-1edtech-validator", recipient: "nobody@example.org", valid: true, format: "signed", source: "jws", insecure: true, why: "its key is at an http:// address"},
	{file: "ob2/1edtech-validator/simple-not-revoked.jwt", scenario: "ob2-1edtech-validator", valid: true, format: "signed", source: "jws"},
	{file: "ob2/1edtech-validator/simple-revoked.jwt", scenario: "ob2-1edtech-validator", code: "revoked", format: "signed", source: "jws"},
	{file: "baked/ob2/1edtech-validator-simple-badge.png", scenario: "ob2-1edtech-validator", serveSelf: true, recipient: "nobody@example.org", valid: true, source: "png", why: "testSimplePNGPlainValid"},
	// OB 2.0, validator-core's basic graph and the specification's examples.
	{file: "ob2/validator-core/2_0_basic_assertion.json", scenario: "ob2-validator-core", recipient: "nobody@example.org", valid: true},
	{file: "ob2/validator-core/2_0_basic_assertion.json", scenario: "ob2-validator-core", url: "https://example.org/beths-robotics-badge.json", valid: true, source: "url"},
	{file: "ob2/validator-core/2_0_basic_assertion.json", scenario: "ob2-validator-core", recipient: "somebody@example.org", code: "recipient-mismatch"},
	{file: "ob2/spec-examples/assertion.json", scenario: "ob2-spec-examples", code: "malformed", why: "expired, but its badge class holds a raw line break in a string: strict JSON refuses it first"},
	{file: "ob2/spec-examples/assertion.json", scenario: "ob2-revoked-hosted", code: "revoked", why: "410 Gone"},
	{file: "ob2/spec-examples/signed-assertion.jws", scenario: "ob2-spec-examples", code: "malformed", format: "signed", source: "jws", why: "the spec says its example key does not exist; its badge class is not strict JSON"},
	// OB 0.5 and 1.x.
	{file: "ob1/validator-core/0_5_full_validate_assertion.json", scenario: "ob0.5-example.org", url: "http://example.org/assertion", valid: true, spec: "0.5", source: "url", insecure: true},
	{file: "ob1/validator-core/0_5_assertion.json", code: "schema", spec: "0.5", why: "0.5 has no id: needs the URL it was fetched from"},
	{file: "ob1/validator-core/0_5_1_assertion.json", code: "schema", spec: "0.5"},
	{file: "ob1/validator-core/1_0_basic_assertion.json", scenario: "ob1-a.com", recipient: "test@example.com", valid: true, spec: "1.0", insecure: true,
		why: "validator-core would flag the 1.0 issuer's missing email as a 2.0 Profile error; a 1.0 badge is judged by the 1.0 rules"},
	{file: "ob1/validator-core/1_0_basic_assertion.json", scenario: "ob1-a.com", url: "http://a.com/instance", valid: true, spec: "1.0", source: "url", insecure: true},
	{file: "ob1/validator-core/1_0_basic_assertion_with_extra_properties.json", scenario: "ob1-a.com", valid: true, spec: "1.0", insecure: true},
	{file: "ob1/validator-core/1_0_assertion_with_errors.json", scenario: "ob1-a.com", code: "schema", spec: "1.0", why: "recipient is not an IdentityObject"},
	{file: "ob1/validator-core/1_1_basic_assertion.json", code: "fetch-failed", spec: "1.1", why: "detected as 1.1; nothing serves it"},
	// Baked images.
	{file: "baked/legacy/backpack-404.png", scenario: "legacy-404", code: "fetch-failed", source: "png"},
	{file: "baked/legacy/backpack-valid-baked.png", code: "fetch-failed", source: "png", why: "no assertion is served at its URL"},
	{file: "baked/legacy/salava-invalid-metadata.png", code: "fetch-failed", source: "png"},
	{file: "baked/ob1-ob2/bakery-bad-json.svg", code: "malformed", source: "svg"},
	{file: "baked/ob1-ob2/bakery-no-json.svg", code: "fetch-failed", source: "svg", why: "extracts the URL http://example.org, where nothing is"},
	{file: "baked/ob1-ob2/bakery-unbaked.svg", code: "malformed", source: "svg"},
	{file: "baked/ob1-ob2/bakery-unbaked.png", code: "malformed", source: "png"},
}

func TestFixtures(t *testing.T) {
	for _, tc := range fixtureCases {
		name := tc.file
		if tc.url != "" {
			name += "@url"
		}
		if tc.scenario != "" {
			name += "/" + tc.scenario
		}
		t.Run(name, func(t *testing.T) {
			web := newFixtureWeb(t, tc.scenario)
			input := readFixture(t, tc.file)
			if tc.serveSelf {
				id, hosted := fixtureID(t, input)
				web.override[id] = hosted
			}
			if tc.url != "" {
				input = []byte(tc.url)
			}
			v := &Verifier{Fetch: web.client, Now: func() time.Time { return fixtureNow }}
			var ids []Identity
			if tc.recipient != "" {
				ids = []Identity{{Email, tc.recipient}}
			}
			r := v.Verify(context.Background(), input, ids)
			if r.Valid != tc.valid {
				t.Fatalf("valid = %v, want %v (%s)\n%s", r.Valid, tc.valid, tc.why, dump(r))
			}
			if !tc.valid && !hasCode(r, tc.code) {
				t.Fatalf("codes %v, want %q (%s)\n%s", errorCodes(r), tc.code, tc.why, dump(r))
			}
			want := func(field, got, want, def string) {
				if want == "" {
					want = def
				}
				if want != "-" && got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			defSource := "json"
			if tc.url != "" {
				defSource = "url"
			}
			want("source", r.Source, tc.source, defSource)
			if tc.valid || tc.spec != "" {
				want("spec", r.Spec, tc.spec, "2.0")
			}
			if tc.valid {
				want("format", r.Format, tc.format, "hosted")
				if r.Badge == nil || r.Badge.Name == "" || r.Badge.Issuer.Name == "" {
					t.Errorf("badge = %+v", r.Badge)
				}
			}
			if tc.recipient != "" && tc.valid && (r.Recipient.Matched == nil || !*r.Recipient.Matched) {
				t.Errorf("recipient %s not matched", tc.recipient)
			}
			if tc.warning && len(r.Warnings) == 0 {
				t.Errorf("no warning\n%s", dump(r))
			}
			if tc.insecure && !hasWarning(r, WarnTransport, "") {
				t.Errorf("no transport warning\n%s", dump(r))
			}
		})
	}
}

// fixtureID is the id (or 1.x verify.url) of an assertion in JSON or in a
// baked PNG, and the assertion's JSON.
func fixtureID(t *testing.T, b []byte) (string, []byte) {
	if p, err := unbakeForTest(b); err == nil {
		b = []byte(p)
	}
	o, err := decodeObject(b)
	if err != nil {
		t.Fatal(err)
	}
	if id := str(o, "id"); id != "" {
		return id, b
	}
	return str(obj(o, "verify"), "url"), b
}

// TestFixtureNodes checks the fixtures that are single graph nodes rather
// than badges (a BadgeClass, an Issuer, the RDF type tests) with the node
// readers the verifier uses.
func TestFixtureNodes(t *testing.T) {
	dir := "ob2/1edtech-validator/"
	tests := []struct {
		file  string
		read  func(Object) error
		valid bool
	}{
		{dir + "badge-class-with-language.json", badgeClassReader, true},
		{dir + "issuer-compact-iri-validation.json", issuerReader, true},
		{dir + "assets/issuer-invalid-type.json", issuerReader, false},
		{dir + "rdf-validation/badge-class-invalid-issuer-type.json", badgeClassReader, true}, // the node itself is fine...
		{dir + "rdf-validation/invalid-class.json", typesReader, false},
		{dir + "rdf-validation/invalid-empty-type.json", typesReader, false},
		{dir + "rdf-validation/invalid-one-invalid-class.json", typesReader, false},
		{dir + "rdf-validation/valid-alignment-object.json", typesReader, true},
		{dir + "rdf-validation/valid-badge-class-empty-criteria-type.json", badgeClassReader, true},
		{dir + "rdf-validation/valid-badge-class.json", badgeClassReader, true},
		{dir + "rdf-validation/valid-cool-class.json", typesReader, true},
		{dir + "rdf-validation/valid-issuer-extension.json", issuerReader, true},
		{"ob2/validator-core/2_0_basic_badgeclass.json", badgeClassReader, true},
		{"ob2/validator-core/2_0_basic_issuer.json", issuerReader, true},
		{"ob2/spec-examples/issuer.json", issuerReader, true},
	}
	for _, tt := range tests {
		o, err := decodeObject(readFixture(t, tt.file))
		if err == nil {
			err = tt.read(o)
		}
		if (err == nil) != tt.valid {
			t.Errorf("%s: error %v, want valid=%v", tt.file, err, tt.valid)
		}
	}
	// ...but the issuer it names has an invalid type: the badge fails.
	web := newFixtureWeb(t, "ob2-1edtech-validator")
	a := readFixture(t, dir+"basic-assertion.json")
	a = []byte(strings.Replace(string(a), "https://example.org/robotics-badge.json", "https://example.org/badge-with-bad-issuer-type.json", 1))
	web.override["https://example.org/beths-robotics-badge.json"] = a
	web.override["https://example.org/badge-with-bad-issuer-type.json"] = readFixture(t, dir+"rdf-validation/badge-class-invalid-issuer-type.json")
	r := (&Verifier{Fetch: web.client, Now: func() time.Time { return fixtureNow }}).Verify(context.Background(), a, nil)
	if r.Valid || !hasCode(r, "schema") {
		t.Errorf("badge whose issuer has an invalid type: %s", dump(r))
	}
	// The spec's BadgeClass example has a raw line break inside a string.
	if _, err := decodeObject(readFixture(t, "ob2/spec-examples/badgeclass.json")); err == nil {
		t.Error("the spec's BadgeClass example (raw newline in a string) was accepted")
	}
}

func badgeClassReader(o Object) error { _, err := readBadgeClass(o, v20); return err }
func issuerReader(o Object) error     { _, err := readIssuer(o, v20); return err }
func typesReader(o Object) error      { return checkTypes(o) }
