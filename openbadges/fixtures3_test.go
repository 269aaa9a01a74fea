package openbadges

import (
	"bufio"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFixturesOB3 verifies every Open Badges 3.0 fixture and compares the
// outcome with the one its MANIFEST row gives (testdata/fixtures/
// ob3-expected.tsv keeps those rows' words next to the expected code).
//
// DID documents and status lists are served from loopback under their
// real addresses (url-map.json). The 1EdTech fixtures name keys such as
// https://example.com/issuers/876543#z6Mk…: the 1EdTech validator reads the
// key out of the URL fragment, which would let anyone claim any https
// issuer, so Backpack fetches the issuer's document instead; the test
// publishes that document (the issuer profile listing the key) as such an
// issuer would.
func TestFixturesOB3(t *testing.T) {
	f, err := os.Open(filepath.Join(fixtureDir, "ob3-expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		file, expected, why := parts[0], parts[1], parts[2]
		n++
		t.Run(file, func(t *testing.T) {
			web := newFixtureWeb(t, "ob3-dcc", "ob3-1edtech-validator")
			input := readFixture(t, file)
			publishFragmentKeys(t, web, input)
			publishFragmentKeys(t, web, readFixture(t, "ob3/1edtech-validator/bit-string-list/testlist"))
			v := &Verifier{Fetch: web.client, Now: func() time.Time { return fixtureNow }}
			r := v.Verify(context.Background(), input, nil)
			if expected == "valid" {
				if !r.Valid {
					t.Fatalf("not valid; MANIFEST: %s\n%s", why, dump(r))
				}
			} else {
				ok := false
				for _, code := range strings.Split(expected, "|") {
					ok = ok || hasCode(r, Code(code))
				}
				if r.Valid || !ok {
					t.Fatalf("valid=%v codes %v, want %s; MANIFEST: %s\n%s", r.Valid, errorCodes(r), expected, why, dump(r))
				}
			}
			if r.Spec != "3.0" && !strings.HasPrefix(expected, "schema") {
				t.Errorf("spec %q", r.Spec)
			}
			if r.Valid && (r.Badge == nil || r.Badge.Name == "" || r.Badge.Issuer.ID == "") {
				t.Errorf("badge %+v", r.Badge)
			}
		})
	}
	if n < 150 {
		t.Fatalf("only %d fixtures listed", n)
	}
}

// publishFragmentKeys serves, for each proof whose verification method is
// an https URL with a multibase key in its fragment, the issuer document
// at the URL listing that key for assertionMethod.
func publishFragmentKeys(t *testing.T, web *fixtureWeb, b []byte) {
	if p, err := unbakeForTest(b); err == nil {
		b = []byte(p)
	}
	o, err := decodeObject(b)
	if err != nil {
		return
	}
	for _, p := range list(o["proof"]) {
		po, ok := p.(Object)
		if !ok {
			continue
		}
		vm := str(po, "verificationMethod")
		u, err := url.Parse(vm)
		if err != nil || u.Scheme != "https" || !strings.HasPrefix(u.Fragment, "z6Mk") {
			continue
		}
		doc := strings.TrimSuffix(vm, "#"+u.Fragment)
		prof := Object{"id": doc, "type": "Profile", "name": "issuer",
			"verificationMethod": []any{Object{"id": vm, "type": "Multikey", "controller": doc, "publicKeyMultibase": u.Fragment}},
			"assertionMethod":    []any{vm}}
		if old, ok := web.override[doc]; ok { // several keys on one issuer
			prev, _ := decodeObject(old)
			prof["verificationMethod"] = append(list(prev["verificationMethod"]), prof["verificationMethod"].([]any)...)
			prof["assertionMethod"] = append(list(prev["assertionMethod"]), vm)
		}
		web.override[doc] = mustJSON(t, prof)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
