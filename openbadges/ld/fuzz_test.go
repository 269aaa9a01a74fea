package ld

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"backpack/openbadges/problem"
)

// FuzzCanonicalize checks that Canonicalize never panics (it recovers
// json-gold's panics), fails only with *problem.Error, and is
// deterministic; and that the fast path of expansion, when taken, agrees
// with the plain one. Inputs over 4 KiB are skipped to keep each run
// short.
func FuzzCanonicalize(f *testing.F) {
	for _, name := range []string{
		"ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json",
		"w3c-vc-di-eddsa/unsigned.json",
		"w3c-vc-di-eddsa/eddsa-rdfc-2022/proofConfigDataInt.json",
		"w3c-vc-di-ecdsa/employmentAuth.json",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"@context":{"name":"https://schema.org/name"},"name":"x","unmapped":"y"}`,
		`{"@context":{"@protected":"yes","name":"https://schema.org/name"},"name":"x"}`,
		`{"@context":{"l":{"@id":"https://ex.org/l","@container":"@list"}},"@id":"urn:x","l":[1,2.5,true,{"@id":"_:a"}]}`,
		`{"@context":{"d":{"@id":"https://ex.org/d","@type":"@json"}},"@id":"urn:x","d":{"a":[1,null]}}`,
		`{"@context":"https://www.w3.org/ns/credentials/v2","@graph":[{"@id":"_:a","https://ex.org/p":{"@id":"_:b"}},{"@id":"_:b","https://ex.org/p":{"@id":"_:a"}}]}`,
		`{"@context":{"@vocab":"https://ex.org/","@language":"en"},"@id":"urn:x","n":{"@value":"x","@direction":"rtl"},"m":{"@reverse":{"p":{"@id":"urn:y"}}}}`,
		`{"@context":["https://www.w3.org/ns/credentials/v2","https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],"type":["VerifiableCredential","OpenBadgeCredential"],"issuer":{"id":"urn:i","type":"Profile","name":"I"},"credentialSubject":{"type":"AchievementSubject","achievement":{"type":"Achievement","name":"A","criteria":{"narrative":"n"}}},"proof":{"type":"DataIntegrityProof","proofPurpose":"assertionMethod"}}`,
		`{"@context":["https://www.w3.org/2018/credentials/v1","https://w3id.org/security/suites/ed25519-2020/v1"],"type":"Ed25519Signature2020","proofPurpose":"assertionMethod","created":"2024-01-01T00:00:00Z"}`,
		`{"@context":["https://www.w3.org/2018/credentials/v1","https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"],"type":"Ed25519Signature2018","proofPurpose":"assertionMethod","verificationMethod":"did:key:z6Mk#z6Mk","created":"2023-10-02T13:13:57.148Z"}`,
		`{"@context":["https://www.w3.org/2018/credentials/v1","https://www.w3.org/2018/credentials/examples/v1","https://w3id.org/security/suites/jws-2020/v1"],"type":"JsonWebSignature2020","proofPurpose":"assertionMethod","verificationMethod":"https://example.com/issuer/123#k","created":"2019-12-11T03:50:55Z"}`,
		`{"@context":["https://www.w3.org/2018/credentials/v1","https://www.w3.org/2018/credentials/examples/v1"],"type":["VerifiableCredential","UniversityDegreeCredential"],"credentialSubject":{"degree":{"type":"BachelorDegree","name":"B"}},"termsOfUse":{"type":"Policy","prohibition":{"assigner":"urn:a","action":"Archival"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4<<10 {
			t.Skip()
		}
		var doc map[string]any
		if json.Unmarshal(data, &doc) != nil {
			t.Skip()
		}
		// No deadline: the outcome depends on the input and the work
		// bounds alone, never on the machine's speed. An input that escaped
		// the bounds would hang, which the fuzzing engine reports (it stops
		// an input after 10 seconds), as go test -timeout does for the seeds.
		ctx := context.Background()
		if scan(doc) == nil {
			func() {
				defer func() { recover() }() // json-gold panics are Canonicalize's to recover
				checkFastPath(t, doc)
			}()
		}
		first, err := Canonicalize(ctx, doc)
		if err != nil {
			var pe *problem.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *problem.Error", err)
			}
			return
		}
		// With no deadline, a second run cannot fail where the first did not.
		second, err := Canonicalize(ctx, doc)
		if err != nil || first != second {
			t.Fatalf("not deterministic:\n%s\n%s (%v)", first, second, err)
		}
	})
}
