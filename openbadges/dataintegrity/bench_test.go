package dataintegrity

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
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

// BenchmarkVerifySuite verifies the same OB credential (the fuller one
// of BenchmarkVerifyLargerCredential) signed by the test with each suite
// and key type, eddsa-rdfc-2022 first as the baseline for ratios. The
// Data Integrity cryptosuites sign it under the VC 2.0 context, the
// older proof types under VC 1.1 (and their own context), as their
// issuers do.
func BenchmarkVerifySuite(b *testing.B) {
	for _, tc := range []struct {
		suite Suite
		key   keyType
	}{
		{SuiteEddsaRdfc2022, ed25519Key},
		{SuiteEddsaJcs2022, ed25519Key},
		{SuiteEcdsaRdfc2019, p256Key},
		{SuiteEcdsaRdfc2019, p384Key},
		{SuiteEcdsaJcs2019, p256Key},
		{SuiteEcdsaJcs2019, p384Key},
		{SuiteEd25519Signature2020, ed25519Key},
		{SuiteEd25519Signature2018, ed25519Key},
		{SuiteJsonWebSignature2020, ed25519Key},
		{SuiteJsonWebSignature2020, p256Key},
		{SuiteJsonWebSignature2020, p384Key},
		{SuiteJsonWebSignature2020, rsaKey},
	} {
		k := newKey(b, tc.key)
		signed := signWith(b, credentialFor(tc.suite), k, SignOptions{Suite: tc.suite})
		resolve := resolverFor(k)
		name := tc.suite.String() + "/" + jwsAlg(tc.key)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(context.Background(), signed, resolve, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyW3CVector verifies the W3C test vector of each suite
// (the same small alumni credential for the DI cryptosuites), beside
// the eddsa-rdfc-2022 one.
func BenchmarkVerifyW3CVector(b *testing.B) {
	for _, file := range []string{
		"w3c/eddsa-rdfc-2022/signedDataInt.json",
		"w3c/eddsa-jcs-2022/signedJCS.json",
		"w3c-ecdsa/ecdsa-rdfc-2019-p256/signedECDSAP256.json",
		"w3c-ecdsa/ecdsa-rdfc-2019-p384/signedECDSAP384.json",
		"w3c-ecdsa/ecdsa-jcs-2019-p256/signedJCSECDSAP256.json",
		"w3c-ecdsa/ecdsa-jcs-2019-p384/signedJCSECDSAP384.json",
	} {
		doc := readJSON(b, file)
		b.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(context.Background(), doc, didKey, vectorsNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
