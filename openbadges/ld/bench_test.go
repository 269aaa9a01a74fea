package ld

import (
	"context"
	"testing"
)

// BenchmarkCanonicalize canonicalises the 1EdTech OB 3.0 test-vector
// credential (VC 2.0 + OB 3.0.3 contexts), the larger of the two
// canonicalisations of an eddsa-rdfc-2022 verification.
func BenchmarkCanonicalize(b *testing.B) {
	doc, _ := split(readJSON(b, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Canonicalize(context.Background(), doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCanonicalizeProofConfig is the smaller one: the proof options.
func BenchmarkCanonicalizeProofConfig(b *testing.B) {
	_, proof := split(readJSON(b, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Canonicalize(context.Background(), proof); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCanonicalizeParallel runs on every CPU, as a verifying server
// would.
func BenchmarkCanonicalizeParallel(b *testing.B) {
	doc, _ := split(readJSON(b, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json"))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Canonicalize(context.Background(), doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkJSONGoldNormalize is json-gold's own Normalize on the same
// document, for comparison.
func BenchmarkJSONGoldNormalize(b *testing.B) {
	doc, _ := split(readJSON(b, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json"))
	b.ReportAllocs()
	for b.Loop() {
		jsonGold(b, doc)
	}
}
