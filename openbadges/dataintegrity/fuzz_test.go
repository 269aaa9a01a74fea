package dataintegrity

import (
	"context"
	"encoding/json"
	"maps"
	"testing"

	"backpack/openbadges/problem"
)

// fuzzDocs are credentials written by others, one per suite, whose proofs
// FuzzVerifyProof mutates; their keys are did:key.
var fuzzDocs = []string{
	"w3c/eddsa-rdfc-2022/signedDataInt.json",
	"w3c/eddsa-jcs-2022/signedJCS.json",
	"w3c/Ed25519Signature2020/signedEdSig.json",
	"w3c-ecdsa/ecdsa-rdfc-2019-p256/signedECDSAP256.json",
	"w3c-ecdsa/ecdsa-rdfc-2019-p384/signedECDSAP384.json",
	"w3c-ecdsa/ecdsa-jcs-2019-p256/signedJCSECDSAP256.json",
	"w3c-ecdsa/ecdsa-jcs-2019-p384/signedJCSECDSAP384.json",
	"jff/plugfest-3-signed_badge_example-p3.json",
}

// FuzzVerifyProof puts an arbitrary proof (the JSON given) on one of the
// credentials above and checks that Verify never panics and fails only
// with a *problem.Error. The seeds are the credentials' own proofs, which
// verify, and a few malformed ones.
func FuzzVerifyProof(f *testing.F) {
	docs := make([]map[string]any, len(fuzzDocs))
	for i, name := range fuzzDocs {
		docs[i] = readJSON(f, name)
		proof, err := json.Marshal(docs[i]["proof"])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), proof)
	}
	for _, s := range []string{
		`{"type":"JsonWebSignature2020","proofPurpose":"assertionMethod","verificationMethod":"did:key:z6MknTHVAhsRyNzBG6h5wjTrg76UGUaBoXS5Vs9Apfr1fbCj#z6MknTHVAhsRyNzBG6h5wjTrg76UGUaBoXS5Vs9Apfr1fbCj","jws":"eyJhbGciOiJFUzI1NksiLCJiNjQiOmZhbHNlLCJjcml0IjpbImI2NCJdfQ..AA"}`,
		`{"type":"Ed25519Signature2018","proofPurpose":"assertionMethod","verificationMethod":"did:key:z6Mk#z6Mk","jws":"e30..","created":"2020-01-01T00:00:00Z"}`,
		`{"type":"DataIntegrityProof","cryptosuite":"ecdsa-jcs-2019","proofPurpose":"assertionMethod","verificationMethod":"did:key:zDn#zDn","proofValue":"z1111","@context":[1,{"a":null}]}`,
		`[{"type":"DataIntegrityProof"},{"type":"Ed25519Signature2018","jws":".."}]`,
	} {
		f.Add(uint8(7), []byte(s))
	}
	f.Fuzz(func(t *testing.T, which uint8, proof []byte) {
		if len(proof) > 4<<10 {
			t.Skip()
		}
		var p any
		if json.Unmarshal(proof, &p) != nil {
			t.Skip()
		}
		doc := maps.Clone(docs[int(which)%len(docs)])
		doc["proof"] = p
		if _, err := Verify(context.Background(), doc, didKey, vectorsNow); err != nil && problem.CodeOf(err) == "" {
			t.Fatalf("error %v is not a *problem.Error", err)
		}
	})
}
