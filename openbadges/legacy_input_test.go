package openbadges

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"backpack/openbadges/problem"
)

// TestInputRule is the rule of README's verify section for input that is
// not a badge: malformed for text or JSON that cannot be read as a
// badge document, schema for a JSON object that is not a badge (or one
// with required parts missing or wrong), unsupported only for another
// file format or a badge whose verification method Backpack does not
// implement.
func TestInputRule(t *testing.T) {
	v := (&testIssuer{}).offline(t)
	for _, tt := range []struct {
		name, in string
		code     Code
		source   string
	}{
		// Nothing, or text that is not a badge: malformed.
		{"empty", "", problem.Malformed, ""},
		{"blank", " \n\t\r\n", problem.Malformed, ""},
		{"byte order mark only", "\ufeff", problem.Malformed, ""},
		{"words", "hello, I am a badge", problem.Malformed, ""},
		{"non-ASCII words", "Abzeichen für Ärztinnen ☃", problem.Malformed, ""},
		{"relative URL", "/assertions/1", problem.Malformed, ""},
		{"ftp URL", "ftp://example.org/badge.json", problem.Malformed, ""},
		{"two URLs", "https://a.example/1 https://b.example/2", problem.Malformed, ""},
		{"JWS-shaped, bad characters", "!!!.b.c", problem.Malformed, ""},
		{"only dots", strings.Repeat(".", 4096), problem.Malformed, ""},
		{"JWS, header not JSON", "aGVsbG8.aGVsbG8.aGVsbG8", problem.Malformed, "jws"},
		{"a number", "42", problem.Malformed, ""},
		{"a JSON string", `"https://example.org/a"`, problem.Malformed, ""},
		{"true", "true", problem.Malformed, ""},
		{"null", "null", problem.Malformed, ""},
		// JSON that cannot be read as one object: malformed.
		{"deeply nested arrays", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), problem.Malformed, "json"},
		{"unclosed nested arrays", strings.Repeat("[", 100000), problem.Malformed, "json"},
		{"deeply nested objects", strings.Repeat(`{"a":`, 1000) + "1" + strings.Repeat("}", 1000), problem.Malformed, "json"},
		{"an array", `[1, 2, 3]`, problem.Malformed, "json"},
		{"an array of assertions", `[{"recipient":"a@b.test","badge":{"name":"x"}}]`, problem.Malformed, "json"},
		{"broken JSON", `{"recipient": "a@b.test",`, problem.Malformed, "json"},
		{"trailing garbage", `{"a":1} trailing`, problem.Malformed, "json"},
		{"single quotes", `{'a': 1}`, problem.Malformed, "json"},
		{"invalid UTF-8 in JSON", "{\"name\":\"\xff\xfe\"}", problem.Malformed, "json"},
		// A JSON object that is not a badge, or a badge missing parts: schema.
		{"empty object", `{}`, problem.Schema, "json"},
		{"unrelated object", `{"hello":"world"}`, problem.Schema, "json"},
		{"OB 0.5 without badge", `{"recipient":"alice@example.org","salt":"s","issued_on":"2012-01-01"}`, problem.Schema, "json"},
		{"OB 0.5 with badge, no URL to check it", `{"recipient":"alice@example.org","badge":{"name":"x","issuer":{"origin":"https://a.example","name":"A"}}}`, problem.Schema, "json"},
		{"OB 0.5 badge not an object", `{"recipient":"alice@example.org","badge":42}`, problem.Schema, "json"},
		{"OB 0.5 bad issued_on", `{"recipient":"alice@example.org","issued_on":"yesterday","badge":{"name":"x"}}`, problem.Schema, "json"},
		{"OB 1.0 without verify", `{"recipient":{"type":"email","identity":"a@b.test"},"badge":"https://a.example/b","issuedOn":"2014-01-01"}`, problem.Schema, "json"},
		{"OB 1.0 verify.type wrong", `{"recipient":{"type":"email","identity":"a@b.test"},"badge":"https://a.example/b","verify":{"type":"trust-me","url":"https://a.example/a"}}`, problem.Schema, "json"},
		{"OB 2.0 without verification", `{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://a.example/a"}`, problem.Schema, "json"},
		{"OB 2.0 verification.type empty list", `{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://a.example/a","verification":{"type":[]}}`, problem.Schema, "json"},
		{"OB 2.0 verification.type a number", `{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://a.example/a","verification":{"type":7}}`, problem.Schema, "json"},
		{"OB 2.0 hosted and signed at once", `{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://a.example/a","verification":{"type":["HostedBadge","SignedBadge"]}}`, problem.Schema, "json"},
		{"VC without anything", `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"]}`, problem.Schema, "json"},
		// Another file format, or a badge Backpack cannot check: unsupported.
		{"JPEG", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", problem.Unsupported, ""},
		{"GIF", "GIF89a\x01\x00\x01\x00\x00\x00\x00;", problem.Unsupported, ""},
		{"PDF", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", problem.Unsupported, ""},
		{"ZIP", "PK\x03\x04\x14\x00\x00\x00", problem.Unsupported, ""},
		{"HTML", "<!DOCTYPE html><html><body>my badge</body></html>", problem.Unsupported, ""},
		{"XML that is not SVG", `<?xml version="1.0"?><badge><name>x</name></badge>`, problem.Unsupported, ""},
		{"binary noise", "\x00\x01\x02\x03\x04", problem.Unsupported, ""},
		{"Blockcerts verification", `{"@context":["https://w3id.org/openbadges/v2","https://w3id.org/blockcerts/v2"],"type":"Assertion","id":"urn:uuid:3bc1a96a-3501-46ed-8f75-49612bbac257",` +
			`"recipient":{"type":"email","identity":"a@b.test"},"badge":{"type":"BadgeClass","name":"x"},"issuedOn":"2017-07-20T09:33:47Z",` +
			`"verification":{"type":["MerkleProofVerification2017","Extension"]}}`, problem.Unsupported, "json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := v.Verify(context.Background(), []byte(tt.in), nil)
			if r.Valid || !hasCode(r, tt.code) || len(r.Errors) != 1 {
				t.Fatalf("codes %v, want just %q\n%s", errorCodes(r), tt.code, dump(r))
			}
			if r.Source != tt.source {
				t.Errorf("source %q, want %q", r.Source, tt.source)
			}
		})
	}
}

// offline is a verifier whose fetcher can reach nothing (no test server
// is allowed and names are never resolved).
func (*testIssuer) offline(t *testing.T) *Verifier {
	web := newFixtureWeb(t)
	return &Verifier{Fetch: web.client, Now: func() time.Time { return testNow }}
}

// TestBrokenBadgesAreNeverUnsupported takes real OB 0.5, 1.0 and 2.0
// assertions written by others and breaks each top-level property in
// turn (removed, an array, a number, an empty object): whatever the
// verdict, it is never "unsupported", which is kept for formats
// Backpack does not read.
func TestBrokenBadgesAreNeverUnsupported(t *testing.T) {
	for _, f := range []struct{ file, scenario string }{
		{"ob1/validator-core/0_5_full_validate_assertion.json", "ob0.5-example.org"},
		{"ob1/validator-core/0_5_assertion.json", ""},
		{"ob1/validator-core/1_0_basic_assertion.json", "ob1-a.com"},
		{"ob2/validator-core/2_0_basic_assertion.json", "ob2-validator-core"},
	} {
		web := newFixtureWeb(t, f.scenario)
		v := &Verifier{Fetch: web.client, Now: func() time.Time { return fixtureNow }}
		orig, err := decodeObject(readFixture(t, f.file))
		if err != nil {
			t.Fatal(err)
		}
		for key := range orig {
			for i, repl := range []any{nil, []any{}, json.Number("7"), Object{}} {
				o := Object{}
				for k, val := range orig {
					o[k] = val
				}
				if repl == nil {
					delete(o, key)
				} else {
					o[key] = repl
				}
				b, _ := json.Marshal(o)
				r := v.Verify(context.Background(), b, nil)
				if hasCode(r, problem.Unsupported) {
					t.Errorf("%s with %q broken (%d): %v\n%s", f.file, key, i, errorCodes(r), dump(r))
				}
			}
		}
	}
}

func TestVerificationType(t *testing.T) {
	for _, tt := range []struct {
		typ  any
		want string
		code Code
	}{
		{"hosted", "hosted", ""},
		{"HostedBadge", "hosted", ""},
		{"signed", "signed", ""},
		{"SignedBadge", "signed", ""},
		{[]any{"HostedBadge"}, "hosted", ""},
		{[]any{"SignedBadge", "Extension"}, "signed", ""},
		{[]any{"Extension", "hosted"}, "hosted", ""},
		{[]any{"VerificationObject", "HostedBadge"}, "hosted", ""},
		{[]any{"HostedBadge", "hosted"}, "hosted", ""},
		{[]any{"MerkleProofVerification2017", "Extension"}, "", problem.Unsupported},
		{"MerkleProofVerification2019", "", problem.Unsupported},
		{[]any{"https://issuer.example/ns#MyVerification"}, "", problem.Unsupported},
		{[]any{"HostedBadge", "SignedBadge"}, "", problem.Schema},
		{[]any{}, "", problem.Schema},
		{[]any{"Extension"}, "", problem.Schema},
		{"trust-me", "", problem.Schema},
		{json.Number("1"), "", problem.Schema},
		{nil, "", problem.Schema},
	} {
		v := Object{}
		if tt.typ != nil {
			v["type"] = tt.typ
		}
		got, err := verificationType(v)
		if got != tt.want || problem.CodeOf(err) != tt.code {
			t.Errorf("verificationType(%v) = %q, %v; want %q, %q", tt.typ, got, err, tt.want, tt.code)
		}
	}
}

// verification.type as a list, end to end: hosted and signed badges the
// test makes, and a real Blockcerts certificate.
func TestVerificationTypeListEndToEnd(t *testing.T) {
	is := newTestIssuer(t)
	v := is.verifier(t, testNow)
	ids := []Identity{{Email, earner}}

	a := is.assertion("/assertions/list", earner, false)
	a["verification"] = Object{"type": []any{"HostedBadge"}}
	is.put("/assertions/list", a)
	if r := v.Verify(context.Background(), []byte(is.url("/assertions/list")), ids); !r.Valid || r.Format != "hosted" {
		t.Errorf("hosted badge with verification.type [HostedBadge]: %s", dump(r))
	}
	// Tampered: the hosted copy now says it is a Blockcerts certificate.
	a["verification"] = Object{"type": []any{"MerkleProofVerification2017", "Extension"}}
	is.put("/assertions/list", a)
	if r := v.Verify(context.Background(), []byte(is.url("/assertions/list")), ids); r.Valid || !hasCode(r, problem.Unsupported) {
		t.Errorf("hosted copy with a Blockcerts verification type: %s", dump(r))
	}

	s := is.assertion("/assertions/signed-list", earner, true)
	s["verification"] = Object{"type": []any{"SignedBadge", "Extension"}, "creator": is.url("/key")}
	if r := v.Verify(context.Background(), []byte(sign(t, is.key, s)), ids); !r.Valid || r.Format != "signed" {
		t.Errorf("signed badge with verification.type [SignedBadge, Extension]: %s", dump(r))
	}
	if r := v.Verify(context.Background(), []byte(sign(t, rsaKeys(t)[1], s)), ids); r.Valid || !hasCode(r, problem.SignatureInvalid) {
		t.Errorf("the same, signed by someone else: %s", dump(r))
	}

	// A real Blockcerts 2.0 certificate (an OB 2.0 assertion with a
	// blockchain proof): read as OB 2.0, refused as a method Backpack
	// does not check, not as a schema error.
	r := is.verifier(t, fixtureNow).Verify(context.Background(), readFixture(t, "ob2/blockcerts/testnet-valid-v1-issuer-2.0.json"), nil)
	if r.Valid || r.Spec != "2.0" || len(r.Errors) != 1 || !hasCode(r, problem.Unsupported) || !strings.Contains(r.Errors[0].Message, "MerkleProofVerification2017") {
		t.Errorf("Blockcerts certificate: %s", dump(r))
	}
}

// An OB 0.5 assertion given as a file that carries verify.url is checked
// against the copy hosted there (validator-core's rule), over plain http
// on a public name here, with the transport warning.
func TestOB05FileWithVerifyURL(t *testing.T) {
	orig, err := decodeObject(readFixture(t, "ob1/validator-core/0_5_full_validate_assertion.json"))
	if err != nil {
		t.Fatal(err)
	}
	withURL := func(u string) []byte {
		o := Object{}
		for k, v := range orig {
			o[k] = v
		}
		o["verify"] = Object{"type": "hosted", "url": u}
		b, _ := json.Marshal(o)
		return b
	}
	verify := func(scenario string, in []byte) *Report {
		web := newFixtureWeb(t, scenario)
		v := &Verifier{Fetch: web.client, Now: func() time.Time { return fixtureNow }}
		return v.Verify(context.Background(), in, nil)
	}

	r := verify("ob0.5-example.org", withURL("http://example.org/assertion"))
	if !r.Valid || r.Spec != "0.5" || r.Format != "hosted" || r.Source != "json" || !hasWarning(r, WarnTransport, "") {
		t.Errorf("0.5 file with verify.url: %s", dump(r))
	}
	if r.Badge == nil || r.Badge.Name != "Test Badge for admin@bluemantis.com" {
		t.Errorf("badge %+v", r.Badge)
	}
	// Nothing hosted there: the hosted copy decides, so it fails to fetch.
	if r := verify("", withURL("http://example.org/assertion")); r.Valid || !hasCode(r, problem.FetchFailed) {
		t.Errorf("0.5 file whose verify.url answers 404: %s", dump(r))
	}
	// Pointing at a private address: refused as ever.
	if r := verify("", withURL("http://192.168.0.10/assertion")); r.Valid || !hasCode(r, problem.BlockedAddress) {
		t.Errorf("0.5 file whose verify.url is private: %s", dump(r))
	}
	// Tampered copy (another recipient): the issuer's copy is used, and
	// the report says they differ.
	tampered := Object{}
	if err := json.Unmarshal(withURL("http://example.org/assertion"), &tampered); err != nil {
		t.Fatal(err)
	}
	tampered["recipient"] = "mallory@example.org"
	b, _ := json.Marshal(tampered)
	r = verify("ob0.5-example.org", b)
	if !r.Valid || !hasWarning(r, problem.IDMismatch, "") || r.Badge.Recipient.Identity == "mallory@example.org" {
		t.Errorf("tampered 0.5 copy: %s", dump(r))
	}
	// Without verify.url it still names no URL.
	b, _ = json.Marshal(orig)
	if r := verify("ob0.5-example.org", b); r.Valid || !hasCode(r, problem.Schema) {
		t.Errorf("0.5 file without verify.url: %s", dump(r))
	}
}

// Plain http on a public address, through the verifier: fetched with the
// warning; https gives no such warning; loopback stays refused.
func TestVerifierPlainHTTP(t *testing.T) {
	web := newFixtureWeb(t, "ob1-a.com")
	v := &Verifier{Fetch: web.client, Now: func() time.Time { return fixtureNow }}
	r := v.Verify(context.Background(), []byte("http://a.com/instance"), []Identity{{Email, "test@example.com"}})
	if !r.Valid || !hasWarning(r, WarnTransport, "") {
		t.Fatalf("1.0 badge over http: %s", dump(r))
	}
	for _, w := range r.Warnings {
		if w.Code == WarnTransport && (!strings.HasPrefix(w.Message, "insecure: ") || !strings.Contains(w.Message, "a.com")) {
			t.Errorf("transport warning %q", w.Message)
		}
	}
	if n := countWarnings(r, WarnTransport); n != 1 {
		t.Errorf("%d transport warnings for one host, want 1", n)
	}

	// All https (validator-core's 2.0 graph): no transport warning.
	web = newFixtureWeb(t, "ob2-validator-core")
	v = &Verifier{Fetch: web.client, Now: func() time.Time { return fixtureNow }}
	if r := v.Verify(context.Background(), []byte("https://example.org/beths-robotics-badge.json"), nil); !r.Valid || hasWarning(r, WarnTransport, "") {
		t.Errorf("2.0 badge over https: %s", dump(r))
	}

	is := newTestIssuer(t)
	prod := &Verifier{Fetch: (&testIssuer{}).offline(t).Fetch, Now: func() time.Time { return testNow }}
	if r := prod.Verify(context.Background(), []byte(is.url("/badge")), nil); r.Valid || !hasCode(r, problem.BlockedAddress) {
		t.Errorf("http on loopback without --allow-host: %s", dump(r))
	}
	// Allow-listed (--allow-host) plain http is the operator's choice: no warning.
	a := is.assertion("/assertions/ok", earner, false)
	is.put("/assertions/ok", a)
	if r := is.verifier(t, testNow).Verify(context.Background(), []byte(is.url("/assertions/ok")), nil); !r.Valid || hasWarning(r, WarnTransport, "") {
		t.Errorf("allow-listed http: %s", dump(r))
	}
}

func countWarnings(r *Report, c Code) int {
	n := 0
	for _, w := range r.Warnings {
		if w.Code == c {
			n++
		}
	}
	return n
}

// A URL whose issuer answers with something that is no badge document.
func TestURLAnsweringNonBadge(t *testing.T) {
	is := newTestIssuer(t)
	v := is.verifier(t, testNow)
	for path, body := range map[string]string{
		"/page":  "<!DOCTYPE html><html><body>Welcome</body></html>",
		"/words": "hello",
		"/array": "[1,2]",
	} {
		is.put(path, []byte(body))
		if r := v.Verify(context.Background(), []byte(is.url(path)), nil); r.Valid || !hasCode(r, problem.Malformed) || r.Source != "url" {
			t.Errorf("%s: %s", path, dump(r))
		}
	}
	is.put("/thing", Object{"hello": "world"})
	if r := v.Verify(context.Background(), []byte(is.url("/thing")), nil); r.Valid || !hasCode(r, problem.Schema) {
		t.Errorf("/thing: %s", dump(r))
	}
}
