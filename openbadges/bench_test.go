package openbadges

import (
	"context"
	"encoding/json"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// The verification benchmarks run against a local issuer server, so they
// measure Backpack's own work plus loopback HTTP: four documents for a
// signed badge (badge class, profile, key, revocation list), three for a
// hosted one (assertion, badge class, profile).

func BenchmarkVerifySigned(b *testing.B) {
	is := newTestIssuer(b)
	tok := sign(b, is.key, is.assertion("/assertions/s1", earner, true))
	v := is.verifier(b, testNow)
	ids := []Identity{{Email, earner}}
	b.ResetTimer()
	for b.Loop() {
		if r := v.Verify(context.Background(), []byte(tok), ids); !r.Valid {
			b.Fatal(dump(r))
		}
	}
}

func BenchmarkVerifyHosted(b *testing.B) {
	is := newTestIssuer(b)
	a := is.assertion("/assertions/1", earner, false)
	is.put("/assertions/1", a)
	text, _ := json.Marshal(a)
	v := is.verifier(b, testNow)
	ids := []Identity{{Email, earner}}
	b.ResetTimer()
	for b.Loop() {
		if r := v.Verify(context.Background(), text, ids); !r.Valid {
			b.Fatal(dump(r))
		}
	}
}

// BenchmarkDecodeJSON is the strict JSON reader on a typical assertion,
// the baseline the verifications above compare with.
func BenchmarkDecodeJSON(b *testing.B) {
	is := newTestIssuer(b)
	text, _ := json.Marshal(is.assertion("/assertions/1", earner, false))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := decodeObject(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyOB3DataIntegrity verifies an eddsa-rdfc-2022
// OpenBadgeCredential end to end (the issuer profile is fetched once per
// verification from the loopback server).
func BenchmarkVerifyOB3DataIntegrity(b *testing.B) {
	is := newOB3Issuer(b)
	signed, _ := json.Marshal(is.signDI(b, is.credential("/credentials/1", earner)))
	v := is.verifier(b, testNow)
	ids := []Identity{{Email, earner}}
	b.ResetTimer()
	for b.Loop() {
		if r := v.Verify(context.Background(), signed, ids); !r.Valid {
			b.Fatal(dump(r))
		}
	}
}

// BenchmarkVerifyOB3VCJWT verifies an EdDSA VC-JWT end to end.
func BenchmarkVerifyOB3VCJWT(b *testing.B) {
	is := newOB3Issuer(b)
	tok := []byte(is.signJWT(b, is.credential("/credentials/1", earner), jose.EdDSA))
	v := is.verifier(b, testNow)
	ids := []Identity{{Email, earner}}
	b.ResetTimer()
	for b.Loop() {
		if r := v.Verify(context.Background(), tok, ids); !r.Valid {
			b.Fatal(dump(r))
		}
	}
}
