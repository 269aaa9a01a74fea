// Package dataintegrity verifies the proofs embedded in Verifiable
// Credentials, as Open Badges 3.0 issuers make them:
//
//   - DataIntegrityProof with the cryptosuites eddsa-rdfc-2022 (and its
//     draft name eddsa-2022), eddsa-jcs-2022, and ecdsa-rdfc-2019 and
//     ecdsa-jcs-2019 on P-256 or P-384 (W3C VC DI EdDSA and ECDSA);
//   - Ed25519Signature2020 (W3C VC DI EdDSA, legacy);
//   - Ed25519Signature2018 and JsonWebSignature2020 (w3c-ccg Linked Data
//     Signatures suites, which JFF PlugFest, Sphereon and older Digital
//     Credentials Consortium issuers use): a detached JWS with the
//     unencoded payload option (RFC 7797); JsonWebSignature2020 with
//     EdDSA, ES256, ES384 or PS256, not ES256K (secp256k1).
//
// All of them sign the same kind of data: the hash of the canonical proof
// options, followed by the hash of the canonical credential without its
// proofs. The canonical form is RDFC-1.0 N-Quads (package ld, contexts
// bundled, never fetched) or, for the JCS cryptosuites, RFC 8785 JSON
// (ld.JCS); the hash is SHA-256, or SHA-384 with P-384 keys.
package dataintegrity

import (
	"context"
	"crypto"
	"maps"
	"time"

	"backpack/openbadges/problem"
)

// Key is a resolved verification method.
type Key struct {
	ID         string           // the verification method id
	Controller string           // who controls it (must later equal the issuer id: the caller checks)
	Public     crypto.PublicKey // ed25519.PublicKey, *ecdsa.PublicKey (P-256, P-384) or *rsa.PublicKey
}

// Resolver resolves a verification method to its key. Its errors are
// returned by Verify unchanged, so they should be *problem.Error
// (KeyUnresolved, BlockedAddress, FetchFailed).
type Resolver func(ctx context.Context, verificationMethod string) (Key, error)

// Result describes the proof that verified.
type Result struct {
	Type, Cryptosuite string // e.g. DataIntegrityProof / eddsa-rdfc-2022, or Ed25519Signature2020 / ""
	Key               Key
	Created           time.Time // zero if the proof does not say
}

// ClockSkew is how far in the future a proof's creation time may be.
const ClockSkew = 5 * time.Minute

// Verify checks the proofs embedded in the credential (doc has "proof":
// object or array). It succeeds when one supported proof with
// proofPurpose assertionMethod verifies; the first that does wins.
// Otherwise it returns the most telling failure: a signature that does not
// match before a key that cannot be resolved, before a malformed proof,
// before an unsupported one.
//
// Verify checks neither the credential's validity dates nor that the key
// belongs to the issuer: Result.Key.Controller is for the caller to
// compare with the issuer id. Errors are *problem.Error.
func Verify(ctx context.Context, doc map[string]any, resolve Resolver, now time.Time) (Result, error) {
	proofs, err := proofsOf(doc)
	if err != nil {
		return Result{}, err
	}
	if resolve == nil {
		return Result{}, problem.New(problem.KeyUnresolved, "no key resolver was given")
	}
	v := &verification{ctx: ctx, resolve: resolve, now: now, unsecured: maps.Clone(doc)}
	delete(v.unsecured, "proof")
	var best error
	for _, p := range proofs {
		res, err := v.verify(p)
		if err == nil {
			return res, nil
		}
		if best == nil || rank(err) > rank(best) {
			best = err
		}
	}
	return Result{}, best
}

// proofsOf returns the proofs of doc: one object or an array of them.
func proofsOf(doc map[string]any) ([]map[string]any, error) {
	var proofs []map[string]any
	switch p := doc["proof"].(type) {
	case nil:
	case map[string]any:
		proofs = append(proofs, p)
	case []any:
		for _, e := range p {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, problem.New(problem.Malformed, "a proof of the credential is not a JSON object")
			}
			proofs = append(proofs, m)
		}
	default:
		return nil, problem.New(problem.Malformed, "the proof of the credential is not a JSON object")
	}
	if len(proofs) == 0 {
		return nil, problem.New(problem.Schema, "the credential has no proof")
	}
	return proofs, nil
}

// rank orders failures by how much they tell the user.
func rank(err error) int {
	switch problem.CodeOf(err) {
	case problem.SignatureInvalid:
		return 4
	case problem.Unsupported:
		return 1
	case problem.Malformed, problem.Schema, problem.TooLarge:
		return 2
	}
	return 3 // the resolver's: key-unresolved, blocked-address, fetch-failed, …
}

// verification holds what the proofs of one credential share: the
// credential without its proofs, and the hashes of its canonical form,
// computed once.
type verification struct {
	ctx       context.Context
	resolve   Resolver
	now       time.Time
	unsecured map[string]any
	docHashes map[crypto.Hash]hashResult
}
