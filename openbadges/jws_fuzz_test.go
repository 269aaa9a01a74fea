package openbadges

import (
	"strings"
	"testing"

	"backpack/openbadges/problem"
)

// FuzzParseJWS feeds arbitrary text to the JWS reader that runs before any
// key is fetched: it must never panic, and every refusal carries a code.
func FuzzParseJWS(f *testing.F) {
	is := newTestIssuer(f)
	f.Add(sign(f, is.key, is.assertion("/a", earner, true)))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.AAAA")
	f.Add("a.b.c")
	f.Add(strings.Repeat(".", 100))
	f.Fuzz(func(t *testing.T, tok string) {
		_, payload, err := parseJWS(tok)
		if err != nil {
			if problem.CodeOf(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		if payload == nil {
			t.Fatal("no error and no payload")
		}
	})
}

// FuzzReadAssertion feeds arbitrary JSON objects to the OB 0.5–2.0
// normaliser.
func FuzzReadAssertion(f *testing.F) {
	for _, s := range []string{
		`{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://a.test/1","recipient":{"type":"email","identity":"a@b.c"},"badge":"https://a.test/b","issuedOn":"2020-01-01T00:00:00Z","verification":{"type":"hosted"}}`,
		`{"recipient":"sha256$abc","salt":"s","issued_on":"2011-06-01","badge":{"name":"x","issuer":{"origin":"http://o.test","name":"n"}}}`,
		`{"uid":"1","recipient":{"identity":"a@b.c","type":"email","hashed":false},"badge":"http://a.com/b","issuedOn":1359217910,"verify":{"type":"signed","url":"http://a.com/k"}}`,
		`{"revoked":true,"id":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := decodeObject(b)
		if err != nil {
			return
		}
		as, err := readAssertion(o, "https://base.test/")
		if err != nil {
			if problem.CodeOf(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		if !as.revoked && as.verifyType != "hosted" && as.verifyType != "signed" {
			t.Fatalf("accepted verify type %q", as.verifyType)
		}
	})
}

// FuzzParseVCJWT feeds arbitrary text to the VC-JWT reader and the
// credential shape checks behind it: no panic, every refusal coded.
func FuzzParseVCJWT(f *testing.F) {
	is := newOB3Issuer(f)
	f.Add(is.signJWT(f, is.credential("/c/1", earner), "EdDSA"))
	f.Add(is.signJWT(f, is.credential("/c/2", earner), "ES256"))
	f.Add("eyJhbGciOiJFZERTQSIsImprdSI6Imh0dHA6Ly94In0.e30.AAAA")
	f.Add("eyJhbGciOiJub25lIn0.eyJ2YyI6e319.")
	f.Fuzz(func(t *testing.T, tok string) {
		_, _, payload, err := parseVCJWT(tok)
		if err != nil {
			if problem.CodeOf(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		doc := payload
		if vc, ok := payload["vc"].(Object); ok {
			doc = vc
		}
		if _, err := readCredential(doc); err != nil && problem.CodeOf(err) == "" {
			t.Fatalf("shape error without a code: %v", err)
		}
	})
}
