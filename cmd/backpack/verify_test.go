package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"backpack/internal/testclock"
)

// issuer is a tiny Open Badges issuer on loopback for the CLI tests.
type issuer struct {
	srv  *httptest.Server
	docs map[string][]byte
	key  *rsa.PrivateKey
}

func newIssuer(t *testing.T) *issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{docs: map[string][]byte{}, key: key}
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := is.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(is.srv.Close)
	u := is.srv.URL
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	is.put("/issuer", map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Issuer", "id": u + "/issuer",
		"name": "CLI Academy", "url": u, "email": "a@cli.test", "publicKey": u + "/key"})
	is.put("/key", map[string]any{"id": u + "/key", "type": "CryptographicKey", "owner": u + "/issuer",
		"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
	is.put("/badge", map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": u + "/badge",
		"name": "Command Line Hero", "description": "d", "image": u + "/img.png", "criteria": map[string]any{"narrative": "n"}, "issuer": u + "/issuer"})
	return is
}

func (is *issuer) put(path string, v any) {
	b, _ := json.Marshal(v)
	is.docs[path] = b
}

func (is *issuer) host() string { return strings.TrimPrefix(is.srv.URL, "http://") }

func (is *issuer) assertion(id, email string, signed bool) map[string]any {
	a := map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": is.srv.URL + id,
		"recipient": map[string]any{"type": "email", "hashed": false, "identity": email},
		"badge":     is.srv.URL + "/badge", "issuedOn": testclock.RFC3339(-1, 0, 0), "verification": map[string]any{"type": "hosted"}}
	if signed {
		a["verification"] = map[string]any{"type": "signed", "creator": is.srv.URL + "/key"}
	}
	return a
}

func (is *issuer) sign(t *testing.T, v any) string {
	b, _ := json.Marshal(v)
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: is.key}, nil)
	o, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := o.CompactSerialize()
	return tok
}

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	// The CLI judges validity at the test clock (its --now wins over this).
	err := run(context.Background(), args, env(map[string]string{"BACKPACK_NOW": testclock.Now().Format(time.RFC3339)}), &out, &errb)
	var uerr usageError
	var exit exitError
	switch {
	case err == nil:
		code = 0
	case errors.As(err, &exit):
		code = int(exit)
	case errors.As(err, &uerr):
		code = 2
	default:
		code = 1
	}
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, name string, b []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerifyCommandContract(t *testing.T) {
	is := newIssuer(t)
	a := is.assertion("/a/1", "alice@example.org", false)
	is.put("/a/1", a)
	aJSON, _ := json.Marshal(a)
	jsonFile := writeFile(t, "badge.txt", aJSON) // judged by content, not name
	allow := "--allow-host=" + is.host()

	out, _, code := runCLI(t, "verify", "--json", "--recipient", "ALICE@example.org", allow, jsonFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("more than one line of JSON: %q", out)
	}
	for _, k := range []string{"valid", "spec", "format", "source", "recipient", "expired", "revoked", "badge", "errors", "warnings", "checks"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	if rep["valid"] != true || rep["spec"] != "2.0" || rep["format"] != "hosted" || rep["source"] != "json" {
		t.Errorf("report %v", rep)
	}
	if _, ok := rep["code"]; ok {
		t.Errorf("a valid report has a top-level code: %v", rep["code"])
	}
	if m := rep["recipient"].(map[string]any)["matched"]; m != true {
		t.Errorf("recipient.matched = %v", m)
	}
	if name := rep["badge"].(map[string]any)["name"]; name != "Command Line Hero" {
		t.Errorf("badge.name = %v", name)
	}

	// No --recipient: matched is null. A URL as input.
	out, _, code = runCLI(t, "verify", "--json", allow, is.srv.URL+"/a/1")
	if code != 0 || !strings.Contains(out, `"recipient":{"matched":null}`) || !strings.Contains(out, `"source":"url"`) {
		t.Fatalf("exit %d: %s", code, out)
	}
	// Wrong recipient: not valid, exit 1, error code named.
	out, _, code = runCLI(t, "verify", "--json", "--recipient", "bob@example.org", allow, jsonFile)
	if code != 1 || !strings.Contains(out, `"code":"recipient-mismatch"`) || !strings.Contains(out, `"matched":false`) {
		t.Fatalf("exit %d: %s", code, out)
	}
	// --now after expiry.
	a["expires"] = testclock.RFC3339(0, 6, 0)
	is.put("/a/1", a)
	out, _, code = runCLI(t, "verify", "--json", "--now", testclock.RFC3339(0, 7, 0), allow, jsonFile)
	if code != 1 || !strings.Contains(out, `"expired":true`) || !strings.Contains(out, `"code":"expired"`) {
		t.Fatalf("exit %d: %s", code, out)
	}
	out, _, code = runCLI(t, "verify", "--json", "--now", testclock.RFC3339(0, 5, 0), allow, jsonFile)
	if code != 0 {
		t.Fatalf("before expiry: exit %d: %s", code, out)
	}
	// Expired and issued to someone else: both reported, the most telling
	// first and as the top-level code, and every check listed.
	out, _, code = runCLI(t, "verify", "--json", "--recipient", "bob@example.org", "--now", testclock.RFC3339(0, 7, 0), allow, jsonFile)
	var both struct {
		Code    string `json:"code"`
		Expired bool   `json:"expired"`
		Errors  []struct {
			Code string `json:"code"`
		} `json:"errors"`
		Checks []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &both); err != nil || code != 1 {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	if both.Code != "recipient-mismatch" || !both.Expired || len(both.Errors) != 2 ||
		both.Errors[0].Code != "recipient-mismatch" || both.Errors[1].Code != "expired" {
		t.Errorf("code %q, expired %v, errors %+v", both.Code, both.Expired, both.Errors)
	}
	failed := 0
	for _, c := range both.Checks {
		if !c.OK {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("%d failed checks, want expiry and recipient: %+v", failed, both.Checks)
	}
	// Without --allow-host the loopback issuer is refused.
	out, _, code = runCLI(t, "verify", "--json", jsonFile)
	if code != 1 || !strings.Contains(out, `"code":"blocked-address"`) {
		t.Fatalf("exit %d: %s", code, out)
	}
}

func TestVerifyCommandSignedAndHuman(t *testing.T) {
	is := newIssuer(t)
	tok := is.sign(t, is.assertion("/a/s", "alice@example.org", true))
	f := writeFile(t, "badge.jwt", []byte(tok+"\n"))
	out, _, code := runCLI(t, "verify", "--recipient", "alice@example.org", "--allow-host", is.host(), f)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"✓ signature", "✓ recipient", "Badge:     Command Line Hero", "Issuer:    CLI Academy", "Recipient: matches alice@example.org", "VALID"} {
		if !strings.Contains(out, want) {
			t.Errorf("human output lacks %q:\n%s", want, out)
		}
	}
	// Tampered: flip the payload.
	parts := strings.Split(tok, ".")
	bad := writeFile(t, "bad.jws", []byte(parts[0]+"."+parts[1]+"x."+parts[2]))
	out, _, code = runCLI(t, "verify", "--allow-host", is.host(), bad)
	if code != 1 || !strings.Contains(out, "✗") || !strings.Contains(out, "NOT VALID") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestVerifyCommandCouldNotRun(t *testing.T) {
	for _, args := range [][]string{
		{"verify"},
		{"verify", "a", "b"},
		{"verify", "--now", "yesterday", "x.json"},
		{"verify", filepath.Join(t.TempDir(), "missing.png")},
		{"verify", t.TempDir()},
		{"verify", "--allow-host", "http://x/", "x.json"},
	} {
		_, errOut, code := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, errOut)
		}
	}
}

func TestVerifyCommandHostileInputIsAReport(t *testing.T) {
	for name, content := range map[string][]byte{
		"garbage":   []byte("\x00\x01\x02 not a badge"),
		"deep json": []byte(strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)),
		"fake png":  append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0xff}, 64)...),
		"xxe svg":   []byte(`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>`),
		"empty":     {},
	} {
		f := writeFile(t, "in", content)
		out, errOut, code := runCLI(t, "verify", "--json", f)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1 (%s)", name, code, errOut)
			continue
		}
		var rep struct {
			Valid  bool
			Errors []struct{ Code string }
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Valid || len(rep.Errors) == 0 || rep.Errors[0].Code == "" {
			t.Errorf("%s: %v %s", name, err, out)
		}
		if strings.Contains(out, "root:") || strings.Contains(out, "goroutine") {
			t.Errorf("%s: leaked %s", name, out)
		}
	}
}

func TestVerifyReadsStdin(t *testing.T) {
	r, w, _ := os.Pipe()
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old }()
	go func() { w.Write([]byte(`{"not":"a badge"}`)); w.Close() }()
	out, _, code := runCLI(t, "verify", "--json", "-")
	if code != 1 || !strings.Contains(out, `"source":"json"`) {
		t.Fatalf("exit %d: %s", code, out)
	}
}

func smallPNG(t *testing.T) []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4)))
	return b.Bytes()
}

func TestBakeAndUnbakeCommands(t *testing.T) {
	is := newIssuer(t)
	a := is.assertion("/a/1", "alice@example.org", false)
	is.put("/a/1", a)
	aJSON, _ := json.Marshal(a)
	in := writeFile(t, "badge.json", aJSON)
	img := writeFile(t, "plain.png", smallPNG(t))
	out := filepath.Join(t.TempDir(), "baked.png")
	if _, errOut, code := runCLI(t, "bake", "--in", in, "--image", img, "--out", out); code != 0 {
		t.Fatalf("bake: exit %d %s", code, errOut)
	}
	got, _, code := runCLI(t, "unbake", out)
	if code != 0 || strings.TrimSpace(got) != string(aJSON) {
		t.Fatalf("unbake: exit %d %q", code, got)
	}
	// The baked image verifies.
	rep, _, code := runCLI(t, "verify", "--json", "--allow-host", is.host(), out)
	if code != 0 || !strings.Contains(rep, `"source":"png"`) {
		t.Fatalf("verify baked: exit %d %s", code, rep)
	}
	// A URL as --in, into an SVG.
	svg := writeFile(t, "plain.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>`))
	outSVG := filepath.Join(t.TempDir(), "baked.svg")
	if _, errOut, code := runCLI(t, "bake", "--in", is.srv.URL+"/a/1", "--image", svg, "--out", outSVG); code != 0 {
		t.Fatalf("bake svg: %d %s", code, errOut)
	}
	if got, _, _ := runCLI(t, "unbake", outSVG); strings.TrimSpace(got) != is.srv.URL+"/a/1" {
		t.Fatalf("unbake svg: %q", got)
	}
	// Refusals: existing output, missing flags, unbaked image, not an image.
	if _, _, code := runCLI(t, "bake", "--in", in, "--image", img, "--out", out); code != 2 {
		t.Errorf("bake over an existing file: exit %d", code)
	}
	if _, _, code := runCLI(t, "bake", "--in", in); code != 2 {
		t.Errorf("bake without --image: exit %d", code)
	}
	if _, errOut, code := runCLI(t, "unbake", img); code != 1 || !strings.Contains(errOut, "malformed") {
		t.Errorf("unbake plain image: exit %d %q", code, errOut)
	}
	if _, _, code := runCLI(t, "bake", "--in", in, "--image", in, "--out", filepath.Join(t.TempDir(), "x")); code != 2 {
		t.Errorf("bake into JSON: exit %d", code)
	}
}
