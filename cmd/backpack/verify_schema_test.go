package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The JSON report carries one credential-schema check per credentialSchema
// entry. No schema is bundled yet (openbadges/schema/bundled/PROVENANCE.md),
// so the entry of the specification's sample is a skipped check, not ok,
// with a warning; nothing is fetched.
func TestVerifyCommandReportsSchemaCheck(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "openbadges", "testdata", "fixtures", "ob3", "spec", "docformat-sample-unsigned.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "verify", "--json", writeFile(t, "cred.json", b))
	if code != 1 { // the sample has no proof
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var rep struct {
		Checks []struct {
			Name, Message string
			OK            bool
		}
		Warnings []struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range rep.Checks {
		if c.Name == "credential-schema" {
			found = true
			if c.OK || !strings.HasPrefix(c.Message, "skipped: ") || !strings.Contains(c.Message, "ob_v3p0_achievementcredential_schema.json") {
				t.Errorf("%+v", c)
			}
		}
	}
	warned := false
	for _, w := range rep.Warnings {
		warned = warned || strings.HasPrefix(w.Message, "credentialSchema: ")
	}
	if !found || !warned {
		t.Fatalf("no schema check or warning:\n%s", out)
	}
}
