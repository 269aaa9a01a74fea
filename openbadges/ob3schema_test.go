package openbadges

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"backpack/openbadges/schema"
)

// The official achievement credential schema's id, as the 1EdTech
// examples name it.
const ob3AchievementSchema = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"

// useSchemas makes the verifier find schemas in docs (id -> JSON) for the
// rest of the test. Tests that call it do not run in parallel.
func useSchemas(t testing.TB, docs map[string][]byte) {
	reg, err := schema.New(docs)
	if err != nil {
		t.Fatal(err)
	}
	old := credentialSchemas
	credentialSchemas = func() *schema.Registry { return reg }
	t.Cleanup(func() { credentialSchemas = old })
}

// testAchievementSchema is Backpack's own test schema (testdata/schema,
// not the official one), registered under the official id.
func testAchievementSchema(t testing.TB) map[string][]byte {
	b, err := os.ReadFile(filepath.Join("testdata", "schema", "test-achievementcredential.json"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{ob3AchievementSchema: b}
}

// verifyOB3Fixture verifies an OB 3.0 fixture (or b, when given) with the
// fixture hosts served, at the fixtures' instant.
func verifyOB3Fixture(t testing.TB, file string, b []byte) *Report {
	tt, _ := t.(*testing.T)
	web := newFixtureWeb(tt, "ob3-dcc", "ob3-1edtech-validator")
	if b == nil {
		b = readFixture(tt, file)
	}
	publishFragmentKeys(tt, web, b)
	v := &Verifier{Fetch: web.client, Now: func() time.Time { return fixtureNow }}
	return v.Verify(context.Background(), b, nil)
}

func schemaChecksOf(r *Report) []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Name == CheckSchema {
			out = append(out, c)
		}
	}
	return out
}

// 1EdTech's complete example names the achievement credential schema: it
// passes, and the report says so.
func TestSchemaCheckPasses(t *testing.T) {
	useSchemas(t, testAchievementSchema(t))
	r := verifyOB3Fixture(t, "ob3/1edtech-validator/complete.json", nil)
	cs := schemaChecksOf(r)
	if !r.Valid || len(cs) != 1 || !cs[0].OK || !strings.Contains(cs[0].Message, ob3AchievementSchema) {
		t.Fatalf("%v\n%s", cs, dump(r))
	}
}

// Tampered: the achievement's image loses its type and its tag is a
// string, not a list (which readCredential lets through): the schema check fails with the code schema and the
// pointer, besides the broken proof.
func TestSchemaCheckFailsTampered(t *testing.T) {
	useSchemas(t, testAchievementSchema(t))
	var o map[string]any
	if err := json.Unmarshal(readFixture(t, "ob3/1edtech-validator/complete.json"), &o); err != nil {
		t.Fatal(err)
	}
	ach := o["credentialSubject"].(map[string]any)["achievement"].(map[string]any)
	delete(ach["image"].(map[string]any), "type")
	ach["tag"] = "one tag"
	b, _ := json.Marshal(o)
	r := verifyOB3Fixture(t, "", b)
	cs := schemaChecksOf(r)
	if r.Valid || !hasCode(r, "schema") || len(cs) != 1 || cs[0].OK {
		t.Fatalf("%v\n%s", cs, dump(r))
	}
	for _, want := range []string{"/credentialSubject/achievement/image: ", "type", "/credentialSubject/achievement/tag: "} {
		if !strings.Contains(cs[0].Message, want) {
			t.Errorf("%q lacks %q", cs[0].Message, want)
		}
	}
	found := false
	for _, e := range r.Errors {
		found = found || (e.Code == "schema" && e.Message == cs[0].Message)
	}
	if !found {
		t.Errorf("no schema error carries the check's message: %v", r.Errors)
	}
}

// Nothing bundled matches (as now, see schema/bundled/PROVENANCE.md): the
// entry is a skipped check, not ok, with a warning, and the credential
// stays valid.
func TestSchemaCheckUnknownIsSkipped(t *testing.T) {
	useSchemas(t, nil)
	r := verifyOB3Fixture(t, "ob3/1edtech-validator/complete.json", nil)
	cs := schemaChecksOf(r)
	if !r.Valid || len(cs) != 1 || cs[0].OK || !strings.HasPrefix(cs[0].Message, "skipped: ") {
		t.Fatalf("%v\n%s", cs, dump(r))
	}
	if !hasWarning(r, "unsupported", "never fetched") {
		t.Fatalf("no warning: %v", r.Warnings)
	}
}

// The bundled registry is what the verifier uses by default.
func TestSchemaCheckUsesBundled(t *testing.T) {
	reg := credentialSchemas()
	if reg != schema.Bundled() {
		t.Fatal("not the bundled registry")
	}
	r := verifyOB3Fixture(t, "ob3/1edtech-validator/complete.json", nil)
	cs := schemaChecksOf(r)
	if len(cs) != 1 || cs[0].OK != reg.Has(ob3AchievementSchema) {
		t.Fatalf("%v", cs)
	}
}

// A schema that does not compile is a warning and a skipped check.
func TestSchemaCheckUnusableSchema(t *testing.T) {
	useSchemas(t, map[string][]byte{ob3AchievementSchema: []byte(`{"pattern":"(?<=x)"}`)})
	r := verifyOB3Fixture(t, "ob3/1edtech-validator/complete.json", nil)
	cs := schemaChecksOf(r)
	if !r.Valid || len(cs) != 1 || cs[0].OK || !strings.Contains(cs[0].Message, "does not compile") {
		t.Fatalf("%v\n%s", cs, dump(r))
	}
	if !hasWarning(r, "schema", "does not compile") {
		t.Fatalf("no warning: %v", r.Warnings)
	}
}

// Another type of credentialSchema entry (the DCC fixture says
// "JsonSchema") is skipped with a warning.
func TestSchemaCheckOtherType(t *testing.T) {
	useSchemas(t, testAchievementSchema(t))
	r := verifyOB3Fixture(t, "ob3/dcc-vc-test-fixtures/verifiableCredentials/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-notExpired-withSchema.json", nil)
	cs := schemaChecksOf(r)
	if !r.Valid || len(cs) != 1 || cs[0].OK || !strings.Contains(cs[0].Message, `"JsonSchema"`) {
		t.Fatalf("%v\n%s", cs, dump(r))
	}
	if !hasWarning(r, "unsupported", "JsonSchema") {
		t.Fatalf("no warning: %v", r.Warnings)
	}
}

// Without credentialSchema there is no schema check (the shape has been
// checked when the credential was read).
func TestSchemaCheckAbsent(t *testing.T) {
	useSchemas(t, testAchievementSchema(t))
	r := verifyOB3Fixture(t, "ob3/1edtech-validator/simple.json", nil)
	if cs := schemaChecksOf(r); len(cs) != 0 {
		t.Fatalf("%v", cs)
	}
}

// Hostile entries: many of them, and entries that are not objects.
func TestSchemaCheckHostileEntries(t *testing.T) {
	useSchemas(t, testAchievementSchema(t))
	r := &run{rep: newReport()}
	entries := []any{"just a string", map[string]any{"type": schema.ValidatorType}}
	for range 20 {
		entries = append(entries, map[string]any{"id": strings.Repeat("x", 5000), "type": schema.ValidatorType})
	}
	r.schemaChecks(&credential{doc: Object{"credentialSchema": entries}})
	cs := schemaChecksOf(r.rep)
	if len(cs) != maxSchemaEntries+1 || len(r.rep.Errors) != 0 {
		t.Fatalf("%d checks, errors %v", len(cs), r.rep.Errors)
	}
	for _, c := range cs {
		if c.OK || len(c.Message) > 500 {
			t.Errorf("%+v", c)
		}
	}
}

func hasWarning(r *Report, code Code, substr string) bool {
	for _, w := range r.Warnings {
		if w.Code == code && strings.Contains(w.Message, substr) {
			return true
		}
	}
	return false
}

// BenchmarkVerifySchema measures what the schema check adds to one
// verification of 1EdTech's complete example: "with" validates its
// credentialSchema entry against the test schema (compiled once, then
// cached), "without" verifies the same bytes with no schema bundled, so
// that the entry is only looked up and skipped. Compare the two ns/op.
func BenchmarkVerifySchema(b *testing.B) {
	in := readFixture(&testing.T{}, "ob3/1edtech-validator/complete.json")
	for _, bc := range []struct {
		name string
		docs map[string][]byte
	}{{"with", testAchievementSchema(b)}, {"without", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			useSchemas(b, bc.docs)
			web := newFixtureWeb(&testing.T{}, "ob3-dcc", "ob3-1edtech-validator")
			publishFragmentKeys(&testing.T{}, web, in)
			v := &Verifier{Fetch: web.client, Now: func() time.Time { return fixtureNow }}
			for b.Loop() {
				if r := v.Verify(context.Background(), in, nil); !r.Valid {
					b.Fatal(dump(r))
				}
			}
		})
	}
}

// BenchmarkSchemaChecks is the schema check alone on the same credential:
// its ns/op over BenchmarkVerifySchema/without's is the added cost.
func BenchmarkSchemaChecks(b *testing.B) {
	useSchemas(b, testAchievementSchema(b))
	o, err := decodeObject(readFixture(&testing.T{}, "ob3/1edtech-validator/complete.json"))
	if err != nil {
		b.Fatal(err)
	}
	c := &credential{doc: o}
	for b.Loop() {
		r := &run{rep: newReport()}
		r.schemaChecks(c)
		if len(r.rep.Checks) != 1 || !r.rep.Checks[0].OK {
			b.Fatal(r.rep.Checks)
		}
	}
}
