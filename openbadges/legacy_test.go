package openbadges

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strconv"
	"testing"
	"time"

	"backpack/internal/testclock"
)

// OB 1.0 signed badges: verify.url is the issuer's PEM public key, on the
// issuer's own site; its revocation list maps revoked uids to reasons.
func TestVerifySigned10(t *testing.T) {
	is := newTestIssuer(t)
	der, _ := x509.MarshalPKIXPublicKey(&is.key.PublicKey)
	is.put("/key.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	is.put("/issuer10", Object{"name": "Old Academy", "url": is.url("/"), "revocationList": is.url("/revoked10")})
	is.put("/badge10", Object{"name": "Old Badge", "description": "d", "image": is.url("/i.png"), "criteria": is.url("/c"), "issuer": is.url("/issuer10")})
	is.put("/revoked10", Object{"other-uid": "some reason"})
	// 1.0 allows issuedOn in Unix seconds: a year before the test clock.
	issued := testclock.Date(-1, 0, 0)
	a := Object{
		"uid":       "abc-123",
		"recipient": Object{"type": "email", "hashed": true, "salt": "s", "identity": "sha256$" + sha256hex(earner+"s")},
		"badge":     is.url("/badge10"), "issuedOn": json.Number(strconv.FormatInt(issued.Unix(), 10)),
		"verify": Object{"type": "signed", "url": is.url("/key.pem")},
	}
	v := is.verifier(t, testNow)
	ids := []Identity{{Email, earner}}

	r := v.Verify(context.Background(), []byte(sign(t, is.key, a)), ids)
	if !r.Valid || r.Spec != "1.0" || r.Format != "signed" {
		t.Fatalf("valid 1.0 signed badge: %s", dump(r))
	}
	if !r.Badge.IssuedOn.Equal(issued) {
		t.Errorf("issuedOn %v, want %v (Unix seconds)", r.Badge.IssuedOn, issued)
	}

	if r := v.Verify(context.Background(), []byte(sign(t, rsaKeys(t)[1], a)), ids); r.Valid || !hasCode(r, "signature-invalid") {
		t.Errorf("1.0 badge signed with another key: %s", dump(r))
	}

	is.put("/revoked10", Object{"abc-123": "Plagiarism"})
	r = v.Verify(context.Background(), []byte(sign(t, is.key, a)), ids)
	if r.Valid || !r.Revoked || r.RevocationReason != "Plagiarism" {
		t.Errorf("revoked 1.0 badge: %s", dump(r))
	}

	// A key elsewhere than on the issuer's site is not the issuer's.
	a["verify"] = Object{"type": "signed", "url": "https://keys.example/key.pem"}
	if r := v.Verify(context.Background(), []byte(sign(t, is.key, a)), ids); r.Valid || !hasCode(r, "key-unresolved") {
		t.Errorf("key off the issuer's site: %s", dump(r))
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in     any
		want   time.Time
		strict bool
		err    bool
	}{
		{"2016-12-31T23:59:59Z", time.Date(2016, 12, 31, 23, 59, 59, 0, time.UTC), true, false},
		{"2016-12-31T23:59:59+02:00", time.Date(2016, 12, 31, 21, 59, 59, 0, time.UTC), true, false},
		{"2016-12-31T23:59:59", time.Date(2016, 12, 31, 23, 59, 59, 0, time.UTC), false, false},
		{"2015-04-30", time.Date(2015, 4, 30, 0, 0, 0, 0, time.UTC), false, false},
		{json.Number("1359217910"), time.Unix(1359217910, 0).UTC(), false, false},
		{"1359217910", time.Unix(1359217910, 0).UTC(), false, false},
		{"yesterday", time.Time{}, false, true},
		{json.Number("-5"), time.Time{}, false, true},
		{nil, time.Time{}, false, true},
		{true, time.Time{}, false, true},
	}
	for _, tt := range tests {
		got, strict, err := parseTime(tt.in)
		if (err != nil) != tt.err || !got.Equal(tt.want) || (err == nil && strict != tt.strict) {
			t.Errorf("parseTime(%v) = %v, %v, %v", tt.in, got, strict, err)
		}
	}
}
