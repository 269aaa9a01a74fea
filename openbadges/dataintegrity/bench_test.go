package dataintegrity

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"backpack/openbadges/ld"
)

// BenchmarkVerifyEddsaRdfc2022 verifies the 1EdTech OB 3.0 test-vector
// credential (eddsa-rdfc-2022; key in the verification method's
// fragment): two canonicalisations, two SHA-256, one Ed25519 verification.
func BenchmarkVerifyEddsaRdfc2022(b *testing.B) {
	doc := readJSON(b, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(context.Background(), doc, keyInFragment, vectorsNow); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}

// BenchmarkVerifyEddsaRdfc2022Parallel is the same on every CPU, as a
// server verifying uploads would run it.
func BenchmarkVerifyEddsaRdfc2022Parallel(b *testing.B) {
	doc := readJSON(b, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Verify(context.Background(), doc, keyInFragment, vectorsNow); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}

// BenchmarkVerifyFromJSON adds decoding the credential from its JSON, the
// whole cost of checking an uploaded file's proof.
func BenchmarkVerifyFromJSON(b *testing.B) {
	raw, err := os.ReadFile("testdata/ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				b.Fatal(err)
			}
			if _, err := Verify(context.Background(), doc, keyInFragment, vectorsNow); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}

// BenchmarkVerifyLargerCredential verifies a fuller OB credential signed
// in the test (issuer profile, hashed identifier, image, criteria).
func BenchmarkVerifyLargerCredential(b *testing.B) {
	k := newIssuerKey(b)
	signed := k.sign(b, credential())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Verify(context.Background(), signed, k.resolve, testNow); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}

// BenchmarkCanonicalize is the larger of the two canonicalisations.
func BenchmarkCanonicalize(b *testing.B) {
	doc := readJSON(b, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json")
	delete(doc, "proof")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ld.Canonicalize(context.Background(), doc); err != nil {
			b.Fatal(err)
		}
	}
}
