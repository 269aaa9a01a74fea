package dataintegrity

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/mr-tron/base58"

	"backpack/openbadges/problem"
)

// Proof types and cryptosuites.
const (
	DataIntegrityProof   = "DataIntegrityProof"
	Ed25519Signature2020 = "Ed25519Signature2020"
	EddsaRdfc2022        = "eddsa-rdfc-2022"
	Eddsa2022            = "eddsa-2022" // the name of eddsa-rdfc-2022 in drafts
	EcdsaRdfc2019        = "ecdsa-rdfc-2019"
)

// algorithm is the signature algorithm of a suite.
type algorithm int

const (
	ed25519Alg algorithm = iota + 1
	p256Alg
)

// suite returns the signature algorithm of a proof's type and cryptosuite.
func suite(typ, cryptosuite string) (algorithm, error) {
	switch {
	case typ == DataIntegrityProof && (cryptosuite == EddsaRdfc2022 || cryptosuite == Eddsa2022):
		return ed25519Alg, nil
	case typ == DataIntegrityProof && cryptosuite == EcdsaRdfc2019:
		return p256Alg, nil
	case typ == DataIntegrityProof:
		return 0, problem.New(problem.Unsupported, "the cryptosuite %s is not supported", quote(cryptosuite))
	case typ == Ed25519Signature2020:
		return ed25519Alg, nil
	}
	return 0, problem.New(problem.Unsupported, "the proof type %s is not supported", quote(typ))
}

// verify checks one proof: first what needs no work (type, purpose,
// dates, encoding), then the canonical forms, then the key.
func (v *verification) verify(p map[string]any) (Result, error) {
	typ, ok := p["type"].(string)
	if !ok {
		return Result{}, problem.New(problem.Unsupported, "the proof type %s is not supported", quote(fmt.Sprint(p["type"])))
	}
	cryptosuite, _ := p["cryptosuite"].(string)
	alg, err := suite(typ, cryptosuite)
	if err != nil {
		return Result{}, err
	}
	if _, ok := p["previousProof"]; ok {
		return Result{}, problem.New(problem.Unsupported, "the proof is part of a proof chain (previousProof), which Backpack does not support")
	}
	res := Result{Type: typ, Cryptosuite: cryptosuite}
	if purpose, _ := p["proofPurpose"].(string); purpose != "assertionMethod" {
		return Result{}, problem.New(problem.SignatureInvalid,
			"the proof's purpose is %s, not assertionMethod: it does not assert the credential", quote(purpose))
	}
	if res.Created, err = dateTime(p, "created"); err != nil {
		return Result{}, err
	}
	if !res.Created.IsZero() && res.Created.After(v.now.Add(ClockSkew)) {
		return Result{}, problem.New(problem.SignatureInvalid,
			"the proof was created in the future (%s)", res.Created.UTC().Format(time.RFC3339))
	}
	expires, err := dateTime(p, "expires")
	if err != nil {
		return Result{}, err
	}
	if !expires.IsZero() && v.now.After(expires) {
		return Result{}, problem.New(problem.SignatureInvalid,
			"the proof expired on %s", expires.UTC().Format(time.RFC3339))
	}
	sig, err := signature(p)
	if err != nil {
		return Result{}, err
	}
	vm, _ := p["verificationMethod"].(string)
	if vm == "" {
		return Result{}, problem.New(problem.Schema, "the proof has no verificationMethod")
	}

	data, err := v.hashData(p)
	if err != nil {
		return Result{}, err
	}
	if res.Key, err = v.resolve(v.ctx, vm); err != nil {
		return Result{}, err
	}
	if err := check(alg, res.Key, data, sig); err != nil {
		return Result{}, err
	}
	return res, nil
}

// hashData is what the proof signs: SHA-256 of the canonical proof
// options (the proof without proofValue, with the credential's @context),
// then SHA-256 of the canonical credential without its proofs.
func (v *verification) hashData(p map[string]any) ([]byte, error) {
	options := proofOptions(p, v.unsecured)
	proofHash, err := hashCanonical(v.ctx, options)
	if err != nil {
		return nil, err
	}
	docHash, err := v.documentHash()
	if err != nil {
		return nil, err
	}
	return append(proofHash, docHash...), nil
}

// proofOptions returns the proof without proofValue, with the @context of
// the document (VC Data Integrity, "proof configuration").
func proofOptions(p, unsecured map[string]any) map[string]any {
	options := make(map[string]any, len(p)+1)
	for k, e := range p {
		if k != "proofValue" {
			options[k] = e
		}
	}
	if c, ok := unsecured["@context"]; ok {
		options["@context"] = c
	}
	return options
}

// check verifies sig over data with the key, as the algorithm requires.
func check(alg algorithm, key Key, data, sig []byte) error {
	switch alg {
	case ed25519Alg:
		pub, ok := key.Public.(ed25519.PublicKey)
		if !ok || len(pub) != ed25519.PublicKeySize {
			return problem.New(problem.SignatureInvalid, "the verification method is not an Ed25519 key, which the proof needs")
		}
		if !ed25519.Verify(pub, data, sig) {
			return errMismatch()
		}
	case p256Alg:
		pub, ok := key.Public.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			return problem.New(problem.SignatureInvalid, "the verification method is not a P-256 key, which the proof needs")
		}
		// ECDSA with SHA-256 over the 64 bytes of hash data; the
		// signature is r and s, 32 bytes each.
		digest := sha256.Sum256(data)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub, digest[:], r, s) {
			return errMismatch()
		}
	}
	return nil
}

func errMismatch() error {
	return problem.New(problem.SignatureInvalid,
		"the proof does not match: the credential was changed after it was signed, or signed with another key")
}

// signature decodes proofValue: multibase base58btc ("z…") of a 64-byte
// signature (Ed25519, or P-256 r‖s).
func signature(p map[string]any) ([]byte, error) {
	value, ok := p["proofValue"].(string)
	if !ok {
		return nil, problem.New(problem.Malformed, "the proof has no proofValue")
	}
	if !strings.HasPrefix(value, "z") {
		return nil, problem.New(problem.Malformed, "the proofValue is not base58btc multibase (it must start with z)")
	}
	sig, err := base58.Decode(value[1:])
	if err != nil || len(sig) != 64 {
		return nil, problem.New(problem.Malformed, "the proofValue is not a base58btc-encoded 64-byte signature")
	}
	return sig, nil
}

// dateTime reads an optional xsd:dateTime member of the proof. A time
// without a zone is taken as UTC.
func dateTime(p map[string]any, name string) (time.Time, error) {
	v, ok := p[name]
	if !ok || v == nil {
		return time.Time{}, nil
	}
	s, ok := v.(string)
	if ok {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, problem.New(problem.Malformed, "the proof's %s is not a date and time: %s", name, quote(fmt.Sprint(v)))
}

// quote returns s for a message: quoted, escaped and at most 100 bytes.
func quote(s string) string {
	if len(s) > 100 {
		return fmt.Sprintf("%q…", s[:100])
	}
	return fmt.Sprintf("%q", s)
}
