package status

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"backpack/internal/testclock"
	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// now is the test clock, for the status lists the tests build here: their
// dates are placed relative to it.
var now = testclock.Now()

// fixtureNow is the instant the fixtures (credentials and status lists
// written by others, with their own dates) are checked at. It is fixed, not
// the shiftable test clock: after the newest validFrom of a list meant to be
// current (2025-01-09, dcc/lists/e5WK8CbZ1GjycuPombrj), after the expired
// list's validUntil (2021-01-09) and before the not-yet-valid list's
// validFrom (year 3000).
var fixtureNow = testclock.Fixed(2026, time.March, 1)

// hosts are the names the test web answers for, over https from loopback.
var hosts = []string{
	"digitalcredentials.github.io", "raw.githubusercontent.com",
	"testing.dcconsortium.org", "issuer.example",
}

// fixtureURLs maps the status list URLs of the fixtures to testdata files
// (url-map.json scenarios "ob3-dcc" and "ob3-1edtech-validator").
var fixtureURLs = map[string]string{
	"https://raw.githubusercontent.com/digitalcredentials/verifier-core/refs/heads/main/src/test-fixtures/status/e5WK8CbZ1GjycuPombrj":                             "dcc/lists/e5WK8CbZ1GjycuPombrj",
	"https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/e5WK8CbZ1GjycuPombrj":                                           "dcc/lists/e5WK8CbZ1GjycuPombrj",
	"https://testing.dcconsortium.org/status/e5WK8CbZ1GjycuPombrj":                                                                                                 "dcc/lists/e5WK8CbZ1GjycuPombrj",
	"https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/expired":                                                        "dcc/lists/expired",
	"https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/missingBitStringType":                                           "dcc/lists/missingBitStringType",
	"https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/notYetValid":                                                    "dcc/lists/notYetValid",
	"https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/tampered":                                                       "dcc/lists/tampered",
	"https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/main/inspector-vc/src/test/resources/ob30/bit-string-list/testlist": "1edtech/testlist",
}

// web is a loopback https server answering for hosts.
type web struct {
	mu    sync.Mutex
	pages map[string][]byte // URL without fragment -> body; missing = 404
	hits  map[string]int
	total atomic.Int64
	get   *fetch.Session
}

var (
	certOnce sync.Once
	cert     tls.Certificate
	pool     *x509.CertPool
)

func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		// The certificate is checked by crypto/tls against the wall clock,
		// never against the test clock: its validity is wall time.
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "status test hosts"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			DNSNames: hosts, IsCA: true, BasicConstraintsValid: true,
			KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		c, _ := x509.ParseCertificate(der)
		pool = x509.NewCertPool()
		pool.AddCert(c)
		cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	return cert, pool
}

// newWeb serves the fixture lists plus pages, through a fetch.Session.
func newWeb(t *testing.T, pages map[string][]byte) *web {
	w := &web{pages: map[string][]byte{}, hits: map[string]int{}}
	for u, f := range fixtureURLs {
		w.pages[u] = readFile(t, f)
	}
	for u, b := range pages {
		w.pages[u] = b
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		u := "https://" + r.Host + r.URL.RequestURI()
		w.total.Add(1)
		w.mu.Lock()
		w.hits[u]++
		body, ok := w.pages[u]
		w.mu.Unlock()
		if !ok {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.Write(body)
	}))
	c, p := testCert(t)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{c}}
	s.StartTLS()
	t.Cleanup(s.Close)
	redirect := map[string]string{}
	for _, h := range hosts {
		redirect[h+":443"] = strings.TrimPrefix(s.URL, "https://")
	}
	client, err := fetch.New(fetch.Options{Redirect: redirect, RootCAs: p})
	if err != nil {
		t.Fatal(err)
	}
	w.get = client.Session(50)
	return w
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parse is a ListVerifier that checks nothing but JSON: the real one
// (proofs, keys) belongs to the main verifier.
func parse(_ context.Context, raw []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, problem.Wrap(err, problem.Malformed, "not JSON")
	}
	return m, nil
}

// credential is the part of a credential Check needs.
type credential struct {
	ID               string
	Issuer           any
	CredentialStatus any
}

func loadCredential(t *testing.T, path string) credential {
	t.Helper()
	var c credential
	if err := json.Unmarshal(readFile(t, path), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFixtureCredentials runs the DCC and 1EdTech credentials through
// Check against their real status lists.
func TestFixtureCredentials(t *testing.T) {
	w := newWeb(t, nil)
	for _, tc := range []struct {
		file string
		want Result // URL not compared
		code problem.Code
	}{
		// issued by the list's issuer, index 8 (set)
		{file: "dcc/credentials/v2Revoked.json", want: Result{Type: BitstringEntry, Purpose: Revocation, Revoked: true}},
		// issued by the list's issuer, index 9 (clear)
		{file: "dcc/credentials/v2WithValidStatus.json", want: Result{Type: BitstringEntry, Purpose: Revocation}},
		// did:web issuer, list signed by a did:key: a set bit still revokes
		{file: "dcc/credentials/v1-didWeb-legacy-revokedStatus-noExpiry.json", want: Result{Type: BitstringEntry, Purpose: Revocation, Revoked: true,
			Note: "the status list at digitalcredentials.github.io is not issued by the credential's issuer"}},
		// ... but a clear bit cannot vouch for the credential
		{file: "dcc/credentials/v1-didWeb-legacy-validStatus-noExpiry.json", want: Result{Type: BitstringEntry, Purpose: Revocation, Unchecked: true,
			Note: "the status list at digitalcredentials.github.io is not issued by the credential's issuer, so it cannot confirm the credential's revocation status"}},
		{file: "dcc/credentials/legacy-expiredStatus-noExpiry.json", code: problem.FetchFailed},
		{file: "dcc/credentials/legacy-notYetValidStatus-noExpiry.json", code: problem.FetchFailed},
		{file: "dcc/credentials/legacy-missingTypeStatus-noExpiry.json", code: problem.Schema},
		{file: "dcc/credentials/legacy-tamperedStatus-noExpiry.json", code: problem.Malformed}, // parse does not check proofs
		// index 23 of the 1EdTech test list
		{file: "1edtech/credential-status-revoked.json", want: Result{Type: BitstringEntry, Purpose: Revocation, Revoked: true}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := loadCredential(t, tc.file)
			rs, err := Check(context.Background(), w.get, c.CredentialStatus, c.ID, idOf(c.Issuer), fixtureNow, parse)
			if tc.code != "" {
				wantCode(t, err, tc.code)
				t.Logf("%v", err)
				return
			}
			if err != nil || len(rs) != 1 {
				t.Fatalf("Check = %+v, %v; want one result", rs, err)
			}
			rs[0].URL = ""
			if rs[0] != tc.want {
				t.Errorf("Check = %+v\nwant    %+v", rs[0], tc.want)
			}
		})
	}
}

func TestExpiredListMessage(t *testing.T) {
	w := newWeb(t, nil)
	c := loadCredential(t, "dcc/credentials/legacy-expiredStatus-noExpiry.json")
	_, err := Check(context.Background(), w.get, c.CredentialStatus, c.ID, idOf(c.Issuer), fixtureNow, parse)
	want := "credentialStatus: the status list at digitalcredentials.github.io expired on 2021-01-09T15:20:02Z, so the status cannot be checked"
	if problem.MessageOf(err) != want {
		t.Errorf("message = %q\nwant      %q", problem.MessageOf(err), want)
	}
}

const issuer = "https://issuer.example/profile"

// listVC returns a status list credential of the given type and purpose
// (a string or a list) holding encoded, valid from a year before the test
// clock.
func listVC(typ string, purpose any, encoded string, extra map[string]any) []byte {
	vc := map[string]any{
		"@context":  []any{"https://www.w3.org/ns/credentials/v2"},
		"id":        "https://issuer.example/status/1",
		"type":      []any{"VerifiableCredential", typ},
		"issuer":    map[string]any{"id": issuer, "type": "Profile"},
		"validFrom": testclock.RFC3339(-1, 0, 0),
		"credentialSubject": map[string]any{
			"id": "https://issuer.example/status/1#list", "type": strings.TrimSuffix(typ, "Credential"),
			"statusPurpose": purpose, "encodedList": encoded,
		},
	}
	for k, v := range extra {
		if v == nil {
			delete(vc, k)
		} else {
			vc[k] = v
		}
	}
	b, _ := json.Marshal(vc)
	return b
}

func entry(typ, purpose string, index any, list string) map[string]any {
	return map[string]any{
		"id": list + "#x", "type": typ, "statusPurpose": purpose,
		"statusListIndex": index, "statusListCredential": list,
	}
}

// TestBuiltLists covers the entry types, purposes and list checks with
// lists built here (16 KiB bitstrings with bits 5 and 131071 set).
func TestBuiltLists(t *testing.T) {
	z := gz(t, bitstring(16<<10, 5, 131_071))
	mb := "u" + base64.RawURLEncoding.EncodeToString(z)
	std := base64.StdEncoding.EncodeToString(z)
	const u = "https://issuer.example/status/"
	w := newWeb(t, map[string][]byte{
		u + "revocation":     listVC(bitstringListVC, "revocation", mb, nil),
		u + "suspension":     listVC(bitstringListVC, "suspension", mb, nil),
		u + "both":           listVC(bitstringListVC, []any{"revocation", "suspension"}, mb, nil),
		u + "2021":           listVC(statusList2021VC, "revocation", std, map[string]any{"validFrom": nil, "issuanceDate": testclock.RFC3339(-1, 0, 0)}),
		u + "2021-expired":   listVC(statusList2021VC, "revocation", std, map[string]any{"expirationDate": testclock.RFC3339(0, -1, 0)}),
		u + "bad-date":       listVC(bitstringListVC, "revocation", mb, map[string]any{"validUntil": "next tuesday"}),
		u + "no-list":        listVC(bitstringListVC, "revocation", "", nil),
		u + "no-subject":     listVC(bitstringListVC, "revocation", mb, map[string]any{"credentialSubject": nil}),
		u + "bomb":           listVC(bitstringListVC, "revocation", "u"+base64.RawURLEncoding.EncodeToString(zeroBomb(t, 64)), nil),
		u + "other-issuer":   listVC(bitstringListVC, "revocation", mb, map[string]any{"issuer": "did:example:other"}),
		u + "not-json":       []byte("<html>"),
		u + "string-subject": listVC(bitstringListVC, "revocation", mb, map[string]any{"credentialSubject": "https://issuer.example/x"}),
	})
	for _, tc := range []struct {
		name  string
		entry any
		want  Result // URL not compared
		code  problem.Code
	}{
		{"revocation set", entry(BitstringEntry, "revocation", "5", u+"revocation"), Result{Type: BitstringEntry, Purpose: Revocation, Revoked: true}, ""},
		{"revocation clear", entry(BitstringEntry, "revocation", "6", u+"revocation"), Result{Type: BitstringEntry, Purpose: Revocation}, ""},
		{"numeric index", entry(BitstringEntry, "revocation", 131071.0, u+"revocation"), Result{Type: BitstringEntry, Purpose: Revocation, Revoked: true}, ""},
		{"suspension set", entry(BitstringEntry, "suspension", "5", u+"suspension"), Result{Type: BitstringEntry, Purpose: Suspension, Suspended: true}, ""},
		{"suspension clear", entry(BitstringEntry, "suspension", "4", u+"suspension"), Result{Type: BitstringEntry, Purpose: Suspension}, ""},
		{"list with two purposes", entry(BitstringEntry, "suspension", "5", u+"both"), Result{Type: BitstringEntry, Purpose: Suspension, Suspended: true}, ""},
		{"type as array", map[string]any{"type": []any{"Extra", BitstringEntry}, "statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": u + "revocation"},
			Result{Type: BitstringEntry, Purpose: Revocation, Revoked: true}, ""},
		{"statusSize 1", map[string]any{"type": BitstringEntry, "statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": u + "revocation", "statusSize": 1.0},
			Result{Type: BitstringEntry, Purpose: Revocation, Revoked: true}, ""},
		{"StatusList2021 set", entry(StatusList2021, "revocation", "5", u+"2021"), Result{Type: StatusList2021, Purpose: Revocation, Revoked: true}, ""},
		{"StatusList2021 clear", entry(StatusList2021, "revocation", "7", u+"2021"), Result{Type: StatusList2021, Purpose: Revocation}, ""},
		{"message purpose: not fetched", entry(BitstringEntry, "message", "5", u+"nowhere"),
			Result{Type: BitstringEntry, Purpose: "message", Note: `status purpose "message" is neither revocation nor suspension; not checked`}, ""},
		{"unknown type", map[string]any{"type": "RevocationList2020Status", "id": "https://issuer.example/x"},
			Result{Type: "RevocationList2020Status", Unchecked: true, Note: `status type "RevocationList2020Status" is not supported`}, ""},
		{"other issuer, bit set", entry(BitstringEntry, "revocation", "5", u+"other-issuer"),
			Result{Type: BitstringEntry, Purpose: Revocation, Revoked: true, Note: "the status list at issuer.example is not issued by the credential's issuer"}, ""},
		{"other issuer, bit clear", entry(BitstringEntry, "revocation", "6", u+"other-issuer"),
			Result{Type: BitstringEntry, Purpose: Revocation, Unchecked: true, Note: "the status list at issuer.example is not issued by the credential's issuer, so it cannot confirm the credential's revocation status"}, ""},

		{"purpose mismatch", entry(BitstringEntry, "revocation", "5", u+"suspension"), Result{}, problem.Schema},
		{"wrong list type", entry(StatusList2021, "revocation", "5", u+"revocation"), Result{}, problem.Schema},
		{"wrong list type (2021 list for bitstring entry)", entry(BitstringEntry, "revocation", "5", u+"2021"), Result{}, problem.Schema},
		{"expired VC 1.1 list", entry(StatusList2021, "revocation", "5", u+"2021-expired"), Result{}, problem.FetchFailed},
		{"bad list date", entry(BitstringEntry, "revocation", "5", u+"bad-date"), Result{}, problem.Schema},
		{"no encodedList", entry(BitstringEntry, "revocation", "5", u+"no-list"), Result{}, problem.Schema},
		{"no credentialSubject", entry(BitstringEntry, "revocation", "5", u+"no-subject"), Result{}, problem.Schema},
		{"credentialSubject not an object", entry(BitstringEntry, "revocation", "5", u+"string-subject"), Result{}, problem.Schema},
		{"gzip bomb list", entry(BitstringEntry, "revocation", "5", u+"bomb"), Result{}, problem.TooLarge},
		{"list 404", entry(BitstringEntry, "revocation", "5", u+"missing"), Result{}, problem.FetchFailed},
		{"list not JSON", entry(BitstringEntry, "revocation", "5", u+"not-json"), Result{}, problem.Malformed},
		{"list on a refused address", entry(BitstringEntry, "revocation", "5", "https://10.0.0.1/list"), Result{}, problem.BlockedAddress},
		{"index out of range", entry(BitstringEntry, "revocation", "131072", u+"revocation"), Result{}, problem.Malformed},
		{"index negative", entry(BitstringEntry, "revocation", "-1", u+"revocation"), Result{}, problem.Malformed},
		{"index negative number", entry(BitstringEntry, "revocation", -1.0, u+"revocation"), Result{}, problem.Malformed},
		{"index fractional", entry(BitstringEntry, "revocation", 1.5, u+"revocation"), Result{}, problem.Malformed},
		{"index huge", entry(BitstringEntry, "revocation", "99999999999999999999", u+"revocation"), Result{}, problem.Malformed},
		{"index huge number", entry(BitstringEntry, "revocation", 1e300, u+"revocation"), Result{}, problem.Malformed},
		{"index not numeric", entry(BitstringEntry, "revocation", "five", u+"revocation"), Result{}, problem.Malformed},
		{"index with sign", entry(BitstringEntry, "revocation", "+5", u+"revocation"), Result{}, problem.Malformed},
		{"index boolean", entry(BitstringEntry, "revocation", true, u+"revocation"), Result{}, problem.Malformed},
		{"no index", map[string]any{"type": BitstringEntry, "statusPurpose": "revocation", "statusListCredential": u + "revocation"}, Result{}, problem.Schema},
		{"no list URL", map[string]any{"type": BitstringEntry, "statusPurpose": "revocation", "statusListIndex": "5"}, Result{}, problem.Schema},
		{"no purpose", map[string]any{"type": BitstringEntry, "statusListIndex": "5", "statusListCredential": u + "revocation"}, Result{}, problem.Schema},
		{"statusSize 2", map[string]any{"type": BitstringEntry, "statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": u + "revocation", "statusSize": 2.0}, Result{}, problem.Unsupported},
		{"entry not an object", "https://issuer.example/status", Result{}, problem.Schema},
		{"entry without type", map[string]any{"id": "https://issuer.example/status"}, Result{}, problem.Schema},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Check(context.Background(), w.get, tc.entry, "urn:uuid:1", issuer, now, parse)
			if tc.code != "" {
				wantCode(t, err, tc.code)
				if len(rs) != 0 {
					t.Errorf("results %+v alongside the error", rs)
				}
				return
			}
			if err != nil || len(rs) != 1 {
				t.Fatalf("Check = %+v, %v; want one result", rs, err)
			}
			rs[0].URL = ""
			if rs[0] != tc.want {
				t.Errorf("Check = %+v\nwant    %+v", rs[0], tc.want)
			}
		})
	}
	if n := w.hits[u+"nowhere"]; n != 0 {
		t.Errorf("the list of a message entry was fetched %d times", n)
	}
}

func TestListVerifierError(t *testing.T) {
	w := newWeb(t, nil)
	c := loadCredential(t, "dcc/credentials/v2Revoked.json")
	for _, tc := range []struct {
		name string
		err  error
		code problem.Code
	}{
		{"signature", problem.New(problem.SignatureInvalid, "the proof does not verify"), problem.SignatureInvalid},
		{"key", problem.New(problem.KeyUnresolved, "did:key could not be resolved"), problem.KeyUnresolved},
		{"foreign error", errors.New("boom"), problem.SignatureInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			verify := func(context.Context, []byte) (map[string]any, error) { return nil, tc.err }
			rs, err := Check(context.Background(), w.get, c.CredentialStatus, c.ID, idOf(c.Issuer), fixtureNow, verify)
			wantCode(t, err, tc.code)
			if !errors.Is(err, tc.err) {
				t.Errorf("error %v does not wrap %v", err, tc.err)
			}
			if len(rs) != 0 {
				t.Errorf("results %+v", rs)
			}
			t.Log(err)
		})
	}
	_, err := Check(context.Background(), w.get, c.CredentialStatus, c.ID, idOf(c.Issuer), fixtureNow, nil)
	wantCode(t, err, problem.Unsupported)
}

// TestSeveralEntries: every entry is evaluated; a failure does not hide a
// revocation; a list used twice is fetched and verified once.
func TestSeveralEntries(t *testing.T) {
	mb := multibase(t, bitstring(16<<10, 5))
	const list = "https://issuer.example/status/list"
	w := newWeb(t, map[string][]byte{list: listVC(bitstringListVC, []any{"revocation", "suspension"}, mb, nil)})
	verified := 0
	verify := func(ctx context.Context, raw []byte) (map[string]any, error) {
		verified++
		return parse(ctx, raw)
	}
	statuses := []any{
		entry(BitstringEntry, "suspension", "4", list),
		entry(BitstringEntry, "revocation", "999999", list), // out of range
		entry(BitstringEntry, "revocation", "5", list),
		map[string]any{"type": "Unknown"},
	}
	rs, err := Check(context.Background(), w.get, statuses, "urn:uuid:1", issuer, now, verify)
	wantCode(t, err, problem.Malformed)
	if !strings.HasPrefix(problem.MessageOf(err), "credentialStatus[1]: ") {
		t.Errorf("message %q does not name the entry", problem.MessageOf(err))
	}
	if len(rs) != 3 || rs[0].Suspended || !rs[1].Revoked || !rs[2].Unchecked {
		t.Errorf("results = %+v; want clear suspension, revocation, unchecked", rs)
	}
	if w.hits[list] != 1 || verified != 1 {
		t.Errorf("list fetched %d times, verified %d times; want 1, 1", w.hits[list], verified)
	}

	rs, err = Check(context.Background(), w.get, []any{}, "urn:uuid:1", issuer, now, verify)
	if rs != nil || err != nil {
		t.Errorf("empty credentialStatus: %+v, %v", rs, err)
	}
	rs, err = Check(context.Background(), w.get, nil, "urn:uuid:1", issuer, now, verify)
	if rs != nil || err != nil {
		t.Errorf("nil credentialStatus: %+v, %v", rs, err)
	}
	many := make([]any, MaxEntries+1)
	for i := range many {
		many[i] = entry(BitstringEntry, "revocation", "5", list)
	}
	before := w.total.Load()
	_, err = Check(context.Background(), w.get, many, "urn:uuid:1", issuer, now, verify)
	wantCode(t, err, problem.TooLarge)
	if w.total.Load() != before {
		t.Error("too many entries, yet something was fetched")
	}
}

func TestRevocationList(t *testing.T) {
	const base = "https://issuer.example/revocations/"
	doc := func(key string, entries ...any) []byte {
		b, _ := json.Marshal(map[string]any{"id": "x", key: entries})
		return b
	}
	w := newWeb(t, map[string][]byte{
		base + "listed": doc("revokedCredential",
			map[string]any{"id": "urn:uuid:other"},
			map[string]any{"id": "urn:uuid:1", "revocationReason": "Issued in error.\n"}),
		base + "plural":      doc("revokedCredentials", map[string]any{"id": "urn:uuid:1", "revoked": true}),
		base + "unrevoked":   doc("revokedCredential", map[string]any{"id": "urn:uuid:1", "revoked": false}),
		base + "not-listed":  doc("revokedCredential", map[string]any{"id": "urn:uuid:2"}),
		base + "empty":       []byte(`{}`),
		base + "not-json":    []byte(`revoked: urn:uuid:1`),
		base + "json-array":  []byte(`["urn:uuid:1"]`),
		base + "string-item": doc("revokedCredential", "urn:uuid:1"),
	})
	rev := func(url string, revoked bool, reason string) Result {
		return Result{Type: RevocationList, Purpose: Revocation, URL: url, Revoked: revoked, Reason: reason}
	}
	unchecked := func(url, note string) Result {
		return Result{Type: RevocationList, Purpose: Revocation, URL: url, Unchecked: true, Note: note}
	}
	for _, tc := range []struct {
		name, url, credID string
		want              Result
	}{
		{"revoked, with reason", base + "listed", "urn:uuid:1", rev(base+"listed", true, "Issued in error. ")},
		{"revoked: true (plural key)", base + "plural", "urn:uuid:1", rev(base+"plural", true, "")},
		{"revoked: false", base + "unrevoked", "urn:uuid:1", rev(base+"unrevoked", false, "")},
		{"not listed", base + "not-listed", "urn:uuid:1", rev(base+"not-listed", false, "")},
		{"empty list", base + "empty", "urn:uuid:1", rev(base+"empty", false, "")},
		{"string item", base + "string-item", "urn:uuid:1", rev(base+"string-item", true, "")},
		{"404 is a warning", base + "missing", "urn:uuid:1", unchecked(base+"missing", "the revocation list could not be fetched: HTTP 404 from issuer.example")},
		{"not JSON is a warning", base + "not-json", "urn:uuid:1", unchecked(base+"not-json", "the revocation list at issuer.example is not a JSON object")},
		{"JSON array is a warning", base + "json-array", "urn:uuid:1", unchecked(base+"json-array", "the revocation list at issuer.example is not a JSON object")},
		{"refused address is a warning", "https://10.0.0.1/revocations", "urn:uuid:1", unchecked("https://10.0.0.1/revocations", "the revocation list could not be fetched: 10.0.0.1 is not an allowed destination")},
		{"credential without id", base + "listed", "", unchecked(base+"listed", "the credential has no id to look up in its revocation list")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status := map[string]any{"id": tc.url, "type": RevocationList}
			rs, err := Check(context.Background(), w.get, status, tc.credID, issuer, now, parse)
			if err != nil || len(rs) != 1 {
				t.Fatalf("Check = %+v, %v; want one result", rs, err)
			}
			if rs[0] != tc.want {
				t.Errorf("Check = %+v\nwant    %+v", rs[0], tc.want)
			}
		})
	}
	_, err := Check(context.Background(), w.get, map[string]any{"type": RevocationList}, "urn:uuid:1", issuer, now, parse)
	wantCode(t, err, problem.Schema)
}
