package ld

import (
	"testing"

	jsonld "github.com/piprate/json-gold/ld"
)

// checkFastPath expands doc with and without the fast form of its context
// and fails if both succeed with different results or only one fails. It
// reports whether the fast path was taken.
func checkFastPath(t testing.TB, doc map[string]any) bool {
	t.Helper()
	eligible := false
	withCachedContext(doc["@context"], func(c *activeContext) error {
		eligible = c != nil && c.fast != nil && fastEligible(c.fast, doc)
		return nil
	})
	if !eligible {
		return false
	}
	slow, errSlow := expandWith(doc, false)
	fast, errFast := expandWith(doc, true)
	if (errSlow == nil) != (errFast == nil) {
		t.Fatalf("slow path: %v, fast path: %v", errSlow, errFast)
	}
	if errSlow == nil && !jsonld.DeepCompare(slow, fast, true) {
		t.Fatalf("fast path differs:\nslow %v\nfast %v", slow, fast)
	}
	return true
}

func TestFastPathOnVectors(t *testing.T) {
	doc, proof := split(readJSON(t, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json"))
	for name, d := range map[string]map[string]any{
		"OB 3.0 document": doc, "OB 3.0 proof": proof,
		"W3C unsigned":     readJSON(t, "w3c-vc-di-eddsa/unsigned.json"),
		"W3C proof config": readJSON(t, "w3c-vc-di-eddsa/eddsa-rdfc-2022/proofConfigDataInt.json"),
	} {
		if !checkFastPath(t, d) {
			t.Errorf("%s: fast path not taken", name)
		}
	}
}

// Documents the fast path must refuse, each next to one it takes.
func TestFastPathEligibility(t *testing.T) {
	const ctx = `"@context":["https://www.w3.org/ns/credentials/v2","https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]`
	for _, tc := range []struct {
		doc  string
		fast bool
	}{
		{`{` + ctx + `,"type":["VerifiableCredential","OpenBadgeCredential"],"credentialSubject":{"type":"AchievementSubject","achievement":{"type":"Achievement","name":"A"}}}`, true},
		// An embedded context below the top.
		{`{` + ctx + `,"type":"VerifiableCredential","credentialSubject":{"@context":{"x":"https://ex.org/x"},"x":"y"}}`, false},
		// Two types with scoped contexts on one node.
		{`{` + ctx + `,"type":["VerifiableCredential","Achievement"],"name":"x"}`, false},
		// A typed value object.
		{`{` + ctx + `,"type":"VerifiableCredential","name":{"@value":"x","@type":"https://ex.org/T"}}`, false},
		{`{` + ctx + `,"type":"VerifiableCredential","name":{"@value":"x","@language":"en"}}`, true},
		// A scoped type used as a property.
		{`{` + ctx + `,"id":"urn:x","Achievement":"x"}`, false},
		{`{` + ctx + `,"type":"VerifiableCredential","Achievement":"x"}`, true}, // raw in the scoped context
		// A keyword other than @id and @type in a node.
		{`{` + ctx + `,"@graph":[{"type":"VerifiableCredential"}]}`, false},
		{`{` + ctx + `,"type":"VerifiableCredential","credentialSubject":{"@reverse":{"https://ex.org/p":{"id":"urn:x"}}}}`, false},
		// Nested arrays.
		{`{` + ctx + `,"type":"VerifiableCredential","https://ex.org/p":[["a"]]}`, false},
	} {
		doc := parse(t, tc.doc)
		if got := checkFastPath(t, doc); got != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.doc, got, tc.fast)
		}
		// Either way the canonical form is the plain one.
		if _, err := expandWith(doc, false); err == nil {
			canonicalize(t, doc)
		}
	}
}
