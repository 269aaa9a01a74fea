package did

import (
	"crypto"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"math/big"

	"backpack/openbadges/problem"
)

// RSA modulus sizes accepted: smaller keys are weak, larger ones only
// make verification expensive.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// privateMembers are the JWK members that carry private or secret key
// material (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// PublicKeyFromJWK reads a public JWK: OKP Ed25519, EC P-256 or P-384, or
// RSA of 2048 to 8192 bits. A JWK with private or secret parts ("d", "p",
// "q", …, "k") is refused, as is one whose "use" is not "sig".
func PublicKeyFromJWK(jwk map[string]any) (crypto.PublicKey, error) {
	if jwk == nil {
		return nil, problem.New(problem.Malformed, "the JWK is missing")
	}
	for _, m := range privateMembers {
		if _, ok := jwk[m]; ok {
			return nil, problem.New(problem.Malformed, "the JWK contains private key material")
		}
	}
	if use, ok := jwk["use"]; ok && use != "sig" {
		return nil, problem.New(problem.Unsupported, "the JWK is not meant for signatures")
	}
	kty, _ := jwk["kty"].(string)
	crv, _ := jwk["crv"].(string)
	switch kty {
	case "OKP":
		if crv != "Ed25519" {
			return nil, problem.New(problem.Unsupported, "only the Ed25519 curve is supported for OKP JWKs")
		}
		x, err := jwkBytes(jwk, "x", ed25519.PublicKeySize)
		if err != nil {
			return nil, err
		}
		return ed25519.PublicKey(x), nil
	case "EC":
		var curve elliptic.Curve
		switch crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		default:
			return nil, problem.New(problem.Unsupported, "only the P-256 and P-384 curves are supported for EC JWKs")
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err := jwkBytes(jwk, "x", size)
		if err != nil {
			return nil, err
		}
		y, err := jwkBytes(jwk, "y", size)
		if err != nil {
			return nil, err
		}
		return uncompressed(curve, x, y)
	case "RSA":
		return rsaJWK(jwk)
	case "":
		return nil, problem.New(problem.Malformed, "the JWK has no key type (kty)")
	case "oct":
		return nil, problem.New(problem.Unsupported, "symmetric JWKs are not accepted")
	}
	return nil, problem.New(problem.Unsupported, "this JWK key type is not supported")
}

func rsaJWK(jwk map[string]any) (*rsa.PublicKey, error) {
	nb, err := jwkBytes(jwk, "n", 0)
	if err != nil {
		return nil, err
	}
	eb, err := jwkBytes(jwk, "e", 0)
	if err != nil {
		return nil, err
	}
	n := new(big.Int).SetBytes(nb)
	switch {
	case n.BitLen() < minRSABits:
		return nil, problem.New(problem.Unsupported, "RSA keys shorter than %d bits are not accepted", minRSABits)
	case n.BitLen() > maxRSABits:
		return nil, problem.New(problem.Unsupported, "RSA keys longer than %d bits are not accepted", maxRSABits)
	case n.Bit(0) == 0:
		return nil, problem.New(problem.Malformed, "the RSA modulus is even")
	}
	e := new(big.Int).SetBytes(eb)
	if e.BitLen() > 31 || e.Int64() < 3 || e.Bit(0) == 0 {
		return nil, problem.New(problem.Malformed, "the RSA public exponent is not valid")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

// jwkBytes decodes the base64url member name; size > 0 requires exactly
// that many bytes.
func jwkBytes(jwk map[string]any, name string, size int) ([]byte, error) {
	s, ok := jwk[name].(string)
	if !ok || s == "" {
		return nil, problem.New(problem.Malformed, "the JWK has no %q member", name)
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, problem.Wrap(err, problem.Malformed, "the JWK member %q is not base64url", name)
	}
	if size > 0 && len(b) != size {
		return nil, problem.New(problem.Malformed, "the JWK member %q must have %d bytes", name, size)
	}
	return b, nil
}
