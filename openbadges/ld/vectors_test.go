package ld

import (
	"context"
	"crypto"
	"crypto/sha256"
	_ "crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jsonld "github.com/piprate/json-gold/ld"

	"backpack/openbadges/problem"
)

// readJSON reads a JSON object from testdata.
func readJSON(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readText(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// split returns the document without its proof, and the proof
// configuration: the proof without proofValue, with the document's
// @context (VC Data Integrity, eddsa-rdfc-2022 "Verify Proof").
func split(signed map[string]any) (doc, proofConfig map[string]any) {
	doc = make(map[string]any)
	for k, v := range signed {
		if k != "proof" {
			doc[k] = v
		}
	}
	proofConfig = map[string]any{"@context": signed["@context"]}
	for k, v := range signed["proof"].(map[string]any) {
		if k != "proofValue" {
			proofConfig[k] = v
		}
	}
	return doc, proofConfig
}

func canonicalize(t testing.TB, doc map[string]any) string {
	t.Helper()
	got, err := Canonicalize(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// The 1EdTech OB 3.0 test vector (ob_v3p0/impl/test-vectors/obv3p0): the
// canonical document and proof configuration, byte for byte.
func TestOB3SpecVector(t *testing.T) {
	doc, proof := split(readJSON(t, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json"))
	if got, want := canonicalize(t, doc), readText(t, "ob3-spec/document-canon.txt"); got != want {
		t.Errorf("document:\n%s\nwant\n%s", got, want)
	}
	if got, want := canonicalize(t, proof), readText(t, "ob3-spec/proof-canon.txt"); got != want {
		t.Errorf("proof configuration:\n%s\nwant\n%s", got, want)
	}
	// The hashes the specification prints.
	if h := sha256Hex(canonicalize(t, doc)); h != "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773" {
		t.Errorf("document hash %s", h)
	}
	if h := sha256Hex(canonicalize(t, proof)); h != "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19" {
		t.Errorf("proof hash %s", h)
	}
}

// The W3C vc-di-eddsa test vectors (TestVectors/eddsa-rdfc-2022 and
// Ed25519Signature2020): canonical forms and their hashes.
func TestW3CVectors(t *testing.T) {
	for _, tc := range []struct{ dir, suffix string }{
		{"eddsa-rdfc-2022", "DataInt"},
		{"Ed25519Signature2020", "EdSig"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := "w3c-vc-di-eddsa/" + tc.dir + "/"
			signed := readJSON(t, dir+"signed"+tc.suffix+".json")
			doc, _ := split(signed)
			gotDoc := canonicalize(t, doc)
			if want := readText(t, dir+"canonDoc"+tc.suffix+".txt"); gotDoc != want {
				t.Errorf("document:\n%s\nwant\n%s", gotDoc, want)
			}
			if want := strings.TrimSpace(readText(t, dir+"docHash"+tc.suffix+".txt")); sha256Hex(gotDoc) != want {
				t.Errorf("document hash %s, want %s", sha256Hex(gotDoc), want)
			}
			gotProof := canonicalize(t, readJSON(t, dir+"proofConfig"+tc.suffix+".json"))
			if want := readText(t, dir+"proofCanon"+tc.suffix+".txt"); gotProof != want {
				t.Errorf("proof configuration:\n%s\nwant\n%s", gotProof, want)
			}
			if want := strings.TrimSpace(readText(t, dir+"proofHash"+tc.suffix+".txt")); sha256Hex(gotProof) != want {
				t.Errorf("proof hash %s, want %s", sha256Hex(gotProof), want)
			}
		})
	}
	// The unsigned credential is the signed one without its proof.
	unsigned := canonicalize(t, readJSON(t, "w3c-vc-di-eddsa/unsigned.json"))
	if want := readText(t, "w3c-vc-di-eddsa/eddsa-rdfc-2022/canonDocDataInt.txt"); unsigned != want {
		t.Errorf("unsigned:\n%s\nwant\n%s", unsigned, want)
	}
}

// Every bundled context loads and processes on its own.
func TestBundledContextsProcess(t *testing.T) {
	for url := range contextURLs {
		if _, err := jsonld.NewContext(nil, options).Parse([]any{url}); err != nil {
			t.Errorf("%s: %v", url, err)
		}
	}
}

// The W3C vc-di-eddsa and vc-di-ecdsa test vectors of the suites that
// canonicalise with RDFC-1.0, among them the "employment authorization"
// credentials, whose blank nodes make the hash function matter: with
// P-384 keys ecdsa-rdfc-2019 runs RDFC-1.0 and hashes with SHA-384, and
// the canonical labels differ from those of SHA-256.
func TestW3CRDFCVectors(t *testing.T) {
	for _, tc := range []struct {
		dir, suffix string
		hash        crypto.Hash
	}{
		{"w3c-vc-di-eddsa/eddsa-rdfc-2022/employ", "DataInt", crypto.SHA256},
		{"w3c-vc-di-ecdsa/ecdsa-rdfc-2019-p256", "ECDSAP256", crypto.SHA256},
		{"w3c-vc-di-ecdsa/ecdsa-rdfc-2019-p256/employ", "ECDSAP256", crypto.SHA256},
		{"w3c-vc-di-ecdsa/ecdsa-rdfc-2019-p384", "ECDSAP384", crypto.SHA384},
		{"w3c-vc-di-ecdsa/ecdsa-rdfc-2019-p384/employ", "ECDSAP384", crypto.SHA384},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			doc, _ := split(readJSON(t, tc.dir+"/signed"+tc.suffix+".json"))
			gotDoc, err := CanonicalizeWithHash(context.Background(), doc, tc.hash)
			if err != nil {
				t.Fatal(err)
			}
			checkVector(t, tc.dir, "canonDoc"+tc.suffix+".txt", "docHash"+tc.suffix+".txt", gotDoc, tc.hash)
			gotProof, err := CanonicalizeWithHash(context.Background(), readJSON(t, tc.dir+"/proofConfig"+tc.suffix+".json"), tc.hash)
			if err != nil {
				t.Fatal(err)
			}
			checkVector(t, tc.dir, "proofCanon"+tc.suffix+".txt", "proofHash"+tc.suffix+".txt", gotProof, tc.hash)
		})
	}
	// The labels do depend on the hash: SHA-256 orders the P-384 employment
	// credential's blank nodes differently.
	doc, _ := split(readJSON(t, "w3c-vc-di-ecdsa/ecdsa-rdfc-2019-p384/employ/signedECDSAP384.json"))
	if canonicalize(t, doc) == readText(t, "w3c-vc-di-ecdsa/ecdsa-rdfc-2019-p384/employ/canonDocECDSAP384.txt") {
		t.Error("SHA-256 and SHA-384 give the same labels")
	}
	if _, err := CanonicalizeWithHash(context.Background(), doc, crypto.SHA512); problem.CodeOf(err) != problem.Unsupported {
		t.Errorf("SHA-512: %v", err)
	}
}

// The W3C vectors of the suites that canonicalise with JCS (RFC 8785):
// the credential without its proof, and the proof configuration.
func TestW3CJCSVectors(t *testing.T) {
	for _, tc := range []struct {
		dir, suffix string
		hash        crypto.Hash
	}{
		{"w3c-vc-di-eddsa/eddsa-jcs-2022", "JCS", crypto.SHA256},
		{"w3c-vc-di-ecdsa/ecdsa-jcs-2019-p256", "JCSECDSAP256", crypto.SHA256},
		{"w3c-vc-di-ecdsa/ecdsa-jcs-2019-p384", "JCSECDSAP384", crypto.SHA384},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			signed := readJSON(t, tc.dir+"/signed"+tc.suffix+".json")
			delete(signed, "proof")
			gotDoc, err := JCS(signed)
			if err != nil {
				t.Fatal(err)
			}
			checkVector(t, tc.dir, "canonDoc"+tc.suffix+".txt", "docHash"+tc.suffix+".txt", string(gotDoc), tc.hash)
			gotProof, err := JCS(readJSON(t, tc.dir+"/proofConfig"+tc.suffix+".json"))
			if err != nil {
				t.Fatal(err)
			}
			checkVector(t, tc.dir, "proofCanon"+tc.suffix+".txt", "proofHash"+tc.suffix+".txt", string(gotProof), tc.hash)
		})
	}
}

// checkVector compares a canonical form and its hash with the files of a
// test vector.
func checkVector(t *testing.T, dir, canonFile, hashFile, got string, h crypto.Hash) {
	t.Helper()
	if want := readText(t, dir+"/"+canonFile); got != want {
		t.Errorf("%s:\n%s\nwant\n%s", canonFile, got, want)
	}
	md := h.New()
	md.Write([]byte(got))
	if sum, want := hex.EncodeToString(md.Sum(nil)), strings.TrimSpace(readText(t, dir+"/"+hashFile)); sum != want {
		t.Errorf("%s: %s, want %s", hashFile, sum, want)
	}
}

// Every embedded context file is served at some URL, and every URL has
// its file.
func TestContextFilesMatchURLs(t *testing.T) {
	served := make(map[string]bool)
	for url, file := range contextURLs {
		if _, err := contextFiles.ReadFile("contexts/" + file); err != nil {
			t.Errorf("%s: %v", url, err)
		}
		served[file] = true
	}
	err := fs.WalkDir(contextFiles, "contexts", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !served[strings.TrimPrefix(path, "contexts/")] {
			t.Errorf("%s is embedded but not served", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
