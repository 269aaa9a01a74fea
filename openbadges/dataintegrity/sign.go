package dataintegrity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"maps"
	"math/big"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/mr-tron/base58"

	"backpack/openbadges/problem"
)

// Sign returns a copy of doc with an eddsa-rdfc-2022 DataIntegrityProof
// made with priv, for the verification method given (a URL whose key is
// priv's public key) and the creation time given (to the second, UTC).
// It is SignWith for that suite.
func Sign(ctx context.Context, doc map[string]any, priv ed25519.PrivateKey, verificationMethod string, created time.Time) (map[string]any, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, problem.New(problem.Malformed, "the signing key is not an Ed25519 private key")
	}
	return SignWith(ctx, doc, priv, SignOptions{Suite: SuiteEddsaRdfc2022, VerificationMethod: verificationMethod, Created: created})
}

// SignOptions are the proof options of SignWith.
type SignOptions struct {
	Suite              Suite
	VerificationMethod string    // a URL or DID URL whose key is the signer's public key
	Created            time.Time // to the second, UTC; zero leaves created out
	Purpose            string    // proofPurpose; "" is assertionMethod
}

// SignWith returns a copy of doc with a proof of the suite given, made
// with key: an ed25519.PrivateKey, or an *ecdsa.PrivateKey (P-256 or
// P-384), or for JsonWebSignature2020 also an *rsa.PrivateKey (PS256).
// doc needs a @context that defines the proof type (for the RDFC suites:
// its terms must be defined), as the VC 2.0 context does for
// DataIntegrityProof. A proof doc already has is kept: the new one joins
// it in a proof set, signed over the document without proofs.
//
// ECDSA proofValue signatures are deterministic (RFC 6979); JWS
// signatures are made by go-jose. The JCS suites copy doc's @context into
// the proof, as their specifications advise.
//
// SignWith is for tests and tools: Backpack verifies credentials, it does
// not issue them.
func SignWith(ctx context.Context, doc map[string]any, key crypto.Signer, o SignOptions) (map[string]any, error) {
	info, ok := suites[o.Suite]
	if !ok {
		return nil, problem.New(problem.Unsupported, "the suite %s is not supported", quote(o.Suite.String()))
	}
	kt, err := signerKeyType(key)
	if err != nil {
		return nil, err
	}
	proof := map[string]any{"type": o.Suite.Type}
	if o.Suite.Cryptosuite != "" {
		proof["cryptosuite"] = o.Suite.Cryptosuite
	}
	if !o.Created.IsZero() {
		proof["created"] = o.Created.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	proof["verificationMethod"] = o.VerificationMethod
	proof["proofPurpose"] = o.Purpose
	if o.Purpose == "" {
		proof["proofPurpose"] = "assertionMethod"
	}
	if c, ok := doc["@context"]; ok && info.canon == jcs {
		proof["@context"] = c
	}

	var alg string
	if info.jws {
		alg = jwsAlg(kt)
		if !slices.Contains(info.jwsAlgs, alg) {
			return nil, problem.New(problem.Unsupported, "%s cannot be made with %s key", o.Suite, kt)
		}
	} else if !info.allows(kt) {
		return nil, problem.New(problem.Unsupported, "%s cannot be made with %s key", o.Suite, kt)
	}

	v := &verification{ctx: ctx, unsecured: maps.Clone(doc)}
	delete(v.unsecured, "proof")
	data, err := v.hashData(proof, info, kt.hash())
	if err != nil {
		return nil, err
	}
	if info.jws {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: key},
			(&jose.SignerOptions{}).WithBase64(false))
		if err != nil {
			return nil, problem.Wrap(err, problem.Malformed, "cannot sign with this key")
		}
		obj, err := signer.Sign(data)
		if err != nil {
			return nil, problem.Wrap(err, problem.Malformed, "cannot sign with this key")
		}
		if proof["jws"], err = obj.DetachedCompactSerialize(); err != nil {
			return nil, problem.Wrap(err, problem.Malformed, "cannot serialise the JWS")
		}
	} else {
		sig, err := rawSignature(key, kt, data)
		if err != nil {
			return nil, err
		}
		proof["proofValue"] = "z" + base58.Encode(sig)
	}

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

func signerKeyType(key crypto.Signer) (keyType, error) {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		if len(k) == ed25519.PrivateKeySize {
			return ed25519Key, nil
		}
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return p256Key, nil
		case elliptic.P384():
			return p384Key, nil
		}
	case *rsa.PrivateKey:
		return rsaKey, nil
	}
	return 0, problem.New(problem.Unsupported, "the signing key is not an Ed25519, P-256, P-384 or RSA private key")
}

// jwsAlg is the JWS algorithm of a key type in the JsonWebSignature2020
// table.
func jwsAlg(k keyType) string {
	switch k {
	case ed25519Key:
		return "EdDSA"
	case p256Key:
		return "ES256"
	case p384Key:
		return "ES384"
	}
	return "PS256"
}

// rawSignature signs the hash data for a proofValue: Ed25519, or ECDSA
// with the curve's hash, deterministic, as r‖s.
func rawSignature(key crypto.Signer, kt keyType, data []byte) ([]byte, error) {
	if kt == ed25519Key {
		return ed25519.Sign(key.(ed25519.PrivateKey), data), nil
	}
	h := kt.hash()
	der, err := key.Sign(nil, sum(h, data), h) // nil: RFC 6979
	if err != nil {
		return nil, problem.Wrap(err, problem.Malformed, "cannot sign with this key")
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		return nil, problem.Wrap(err, problem.Malformed, "cannot sign with this key")
	}
	n := (key.Public().(*ecdsa.PublicKey).Curve.Params().BitSize + 7) / 8
	sig := make([]byte, 2*n)
	rs.R.FillBytes(sig[:n])
	rs.S.FillBytes(sig[n:])
	return sig, nil
}
