package dataintegrity

import (
	"context"
	"crypto/ed25519"
	"maps"
	"time"

	"github.com/mr-tron/base58"

	"backpack/openbadges/problem"
)

// Sign returns a copy of doc with an eddsa-rdfc-2022 DataIntegrityProof
// made with priv, for the verification method given (a URL whose key is
// priv's public key) and the creation time given (to the second, UTC).
// doc needs a @context that defines DataIntegrityProof, as the VC 2.0
// context does. A proof doc already has is kept: the new one joins it in
// a proof set, signed over the document without proofs.
//
// Sign is for tests and tools: Backpack verifies credentials, it does not
// issue them.
func Sign(ctx context.Context, doc map[string]any, priv ed25519.PrivateKey, verificationMethod string, created time.Time) (map[string]any, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, problem.New(problem.Malformed, "the signing key is not an Ed25519 private key")
	}
	proof := map[string]any{
		"type":               DataIntegrityProof,
		"cryptosuite":        EddsaRdfc2022,
		"created":            created.UTC().Truncate(time.Second).Format(time.RFC3339),
		"verificationMethod": verificationMethod,
		"proofPurpose":       "assertionMethod",
	}
	v := &verification{ctx: ctx, unsecured: maps.Clone(doc)}
	delete(v.unsecured, "proof")
	data, err := v.hashData(proof)
	if err != nil {
		return nil, err
	}
	proof["proofValue"] = "z" + base58.Encode(ed25519.Sign(priv, data))

	signed := maps.Clone(doc)
	switch old := doc["proof"].(type) {
	case nil:
		signed["proof"] = proof
	case []any:
		signed["proof"] = append(append([]any(nil), old...), proof)
	default:
		signed["proof"] = []any{old, proof}
	}
	return signed, nil
}
