package schema

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

const testID = "https://backpack.test/schema/test-achievementcredential.json"

func testSchema(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "schema", "test-achievementcredential.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustNew(t testing.TB, docs map[string]string) *Registry {
	m := map[string][]byte{}
	for k, v := range docs {
		m[k] = []byte(v)
	}
	r, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func decodeDoc(t testing.TB, s string) any {
	v, err := decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Every bundled file is read and compiles (PROVENANCE.md lists them).
func TestBundledSchemasCompile(t *testing.T) {
	r := Bundled()
	for _, id := range r.IDs() {
		if res := r.Validate(id, map[string]any{}); res.Status == Unusable || res.Status == Unknown {
			t.Errorf("%s: %v", id, res.Err)
		}
	}
}

func TestValidAndInvalid(t *testing.T) {
	r, err := New(map[string][]byte{testID: testSchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	good := `{"@context":["x"],"type":["VerifiableCredential","OpenBadgeCredential"],"issuer":"https://example.org/i",
		"credentialSubject":{"type":["AchievementSubject"],"achievement":{"id":"urn:a","type":["Achievement"],"name":"n","description":"d","criteria":{}}}}`
	if res := r.Validate(testID, decodeDoc(t, good)); res.Status != Valid {
		t.Fatalf("%+v", res)
	}
	if res := r.Validate(testID+"#", decodeDoc(t, good)); res.Status != Valid {
		t.Fatalf("with an empty fragment: %+v", res)
	}
	bad := strings.Replace(good, `"name":"n",`, `"name":7,`, 1)
	bad = strings.Replace(bad, `"criteria":{}`, `"x":1`, 1)
	res := r.Validate(testID, decodeDoc(t, bad))
	if res.Status != Invalid || res.Total != 2 || len(res.Violations) != 2 {
		t.Fatalf("%+v", res)
	}
	var got []string
	for _, v := range res.Violations {
		got = append(got, v.String())
	}
	all := strings.Join(got, "; ")
	for _, want := range []string{"/credentialSubject/achievement/name: ", "/credentialSubject/achievement: ", "criteria"} {
		if !strings.Contains(all, want) {
			t.Errorf("%q lacks %q", all, want)
		}
	}
}

func TestViolationsAreCapped(t *testing.T) {
	r := mustNew(t, map[string]string{"https://s.test/a": `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"},"c":{"type":"string"},"d":{"type":"string"},"e/f":{"type":"string"}}}`})
	res := r.Validate("https://s.test/a", decodeDoc(t, `{"a":1,"b":1,"c":1,"d":1,"e/f":1}`))
	if res.Status != Invalid || res.Total != 5 || len(res.Violations) != MaxViolations {
		t.Fatalf("%+v", res)
	}
	res = mustNew(t, map[string]string{"https://s.test/a": `{"properties":{"e/f~":{"type":"string"}}}`}).Validate("https://s.test/a", decodeDoc(t, `{"e/f~":1}`))
	if res.Status != Invalid || res.Violations[0].Pointer != "/e~1f~0" {
		t.Fatalf("pointer not escaped: %+v", res)
	}
}

func TestUnknownSchema(t *testing.T) {
	r := mustNew(t, nil)
	res := r.Validate("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json", map[string]any{})
	if res.Status != Unknown || !strings.Contains(res.Err.Error(), "never fetched") {
		t.Fatalf("%+v", res)
	}
}

// The compiler is given the registry alone: a $ref to a URL that answers,
// or to a file that exists, is unknown, and nothing is requested.
func TestNothingIsFetchedOrRead(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"type":"string"}`))
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "s.json")
	os.WriteFile(file, []byte(`{"type":"string"}`), 0o644)
	for _, ref := range []string{srv.URL + "/s.json", "file://" + file, "s.json"} {
		r := mustNew(t, map[string]string{"https://s.test/root": `{"$ref":"` + ref + `"}`})
		res := r.Validate("https://s.test/root", "x")
		if res.Status != Unknown {
			t.Errorf("%s: %+v", ref, res)
		}
	}
	// Nor is a schema's own $schema: an unknown metaschema is not loaded.
	r := mustNew(t, map[string]string{"https://s.test/meta": `{"$schema":"` + srv.URL + `/meta"}`})
	if res := r.Validate("https://s.test/meta", "x"); res.Status == Valid {
		t.Errorf("unknown metaschema: %+v", res)
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests", hits.Load())
	}
}

// Hostile schemas: refused when read, or unusable (a warning for the
// verifier), never a pass; and never slow.
func TestHostileSchemas(t *testing.T) {
	deep := strings.Repeat(`{"items":`, MaxDepth+1) + "{}" + strings.Repeat("}", MaxDepth+1)
	if _, err := New(map[string][]byte{"https://s.test/deep": []byte(deep)}); err == nil {
		t.Error("a schema nested too deep was read")
	}
	big := `{"enum":["` + strings.Repeat("a", MaxSchemaSize) + `"]}`
	if _, err := New(map[string][]byte{"https://s.test/big": []byte(big)}); err == nil {
		t.Error("a schema too large was read")
	}
	if _, err := New(map[string][]byte{"https://s.test/broken": []byte(`{"type":`)}); err == nil {
		t.Error("broken JSON was read")
	}
	for name, s := range map[string]string{
		"long pattern":  `{"pattern":"` + strings.Repeat("a", MaxPattern+1) + `"}`,
		"lookahead":     `{"pattern":"^(?=a)a$"}`,
		"wrong keyword": `{"type":5}`,
		"ref cycle":     `{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}}}`,
	} {
		r := mustNew(t, map[string]string{"https://s.test/h": s})
		res := r.Validate("https://s.test/h", "aaaa")
		if res.Status != Unusable || res.Err == nil {
			t.Errorf("%s: %+v", name, res)
		}
	}
}

// Hostile credentials: a catastrophic-backtracking pattern against a long
// string, and a deep document, are checked in linear time: patterns run on
// Go's RE2 engine, which has no backtracking (a hang would be go test's
// timeout, never a wall-clock limit here).
func TestHostileCredential(t *testing.T) {
	r := mustNew(t, map[string]string{"https://s.test/re": `{"properties":{"a":{"pattern":"^(a+)+$"}},"additionalProperties":{"$ref":"#"}}`})
	doc := map[string]any{"a": strings.Repeat("a", 1<<20) + "!"}
	nested := any(doc)
	for range 60 {
		nested = map[string]any{"n": nested}
	}
	res := r.Validate("https://s.test/re", nested)
	if res.Status != Invalid || !strings.HasPrefix(res.Violations[0].Pointer, "/n/n/n") {
		t.Fatalf("%+v", res)
	}
	if len(res.Violations[0].Message) > 210 {
		t.Errorf("message not truncated: %d bytes", len(res.Violations[0].Message))
	}

}

func TestCompiledAreBounded(t *testing.T) {
	docs := map[string]string{}
	for i := range MaxCompiled + 10 {
		docs[fmt.Sprintf("https://s.test/%d", i)] = `{"type":"string"}`
	}
	r := mustNew(t, docs)
	for id := range docs {
		if res := r.Validate(id, "x"); res.Status != Valid {
			t.Fatalf("%s: %+v", id, res)
		}
	}
	if len(r.compiled) > MaxCompiled || len(r.order) > MaxCompiled {
		t.Fatalf("%d compiled kept", len(r.compiled))
	}
}

func BenchmarkValidate(b *testing.B) {
	r, err := New(map[string][]byte{testID: testSchema(b)})
	if err != nil {
		b.Fatal(err)
	}
	doc := decodeDoc(b, `{"@context":["x"],"type":["OpenBadgeCredential"],"issuer":"i","credentialSubject":{"type":["AchievementSubject"],"achievement":{"id":"a","type":["Achievement"],"name":"n","description":"d","criteria":{}}}}`)
	for b.Loop() {
		if res := r.Validate(testID, doc); res.Status != Valid {
			b.Fatal(res)
		}
	}
}
