package dataintegrity

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/mr-tron/base58"

	"backpack/openbadges/problem"
)

// sig is the signature of a proof, decoded.
type sig struct {
	key   keyType // the type of key that made it
	bytes []byte  // proofValue: Ed25519, or ECDSA r‖s
	jws   string  // the detached JWS, for the JWS suites
	alg   string  // its algorithm
}

// maxJWSLen bounds the jws member: an RSA-8192 signature with a short
// header is under 1,500 characters.
const maxJWSLen = 4096

// signatureOf decodes the signature of a proof of the given suite.
func signatureOf(p map[string]any, s Suite, info suiteInfo) (sig, error) {
	if info.jws {
		return jwsOf(p, s, info)
	}
	value, ok := p["proofValue"].(string)
	if !ok {
		return sig{}, problem.New(problem.Malformed, "the proof has no proofValue")
	}
	if !strings.HasPrefix(value, "z") {
		return sig{}, problem.New(problem.Malformed, "the proofValue is not base58btc multibase (it must start with z)")
	}
	if len(value) > 200 { // base58 decoding is quadratic; 96 bytes need 132 characters
		return sig{}, problem.New(problem.Malformed, "the proofValue is longer than any signature Backpack supports")
	}
	b, err := base58.Decode(value[1:])
	if err != nil {
		b = nil
	}
	// The length of an ECDSA signature tells the curve: r‖s of 32 bytes
	// each for P-256, 48 for P-384. An Ed25519 signature has 64 bytes.
	var key keyType
	switch {
	case len(b) == 64 && info.allows(ed25519Key):
		key = ed25519Key
	case len(b) == 64 && info.allows(p256Key):
		key = p256Key
	case len(b) == 96 && info.allows(p384Key):
		key = p384Key
	case info.allows(p384Key):
		return sig{}, problem.New(problem.Malformed, "the proofValue is not a base58btc-encoded 64-byte (P-256) or 96-byte (P-384) signature")
	default:
		return sig{}, problem.New(problem.Malformed, "the proofValue is not a base58btc-encoded 64-byte signature")
	}
	return sig{key: key, bytes: b}, nil
}

// jwsOf reads the detached JWS of a Linked Data Signatures proof:
// header..signature, the header with "b64": false listed in "crit" (RFC
// 7797) and an algorithm the suite allows.
func jwsOf(p map[string]any, s Suite, info suiteInfo) (sig, error) {
	value, ok := p["jws"].(string)
	if !ok {
		return sig{}, problem.New(problem.Malformed, "the %s proof has no jws", s)
	}
	if len(value) > maxJWSLen {
		return sig{}, problem.New(problem.Malformed, "the proof's jws is longer than %d characters", maxJWSLen)
	}
	parts := strings.Split(value, ".")
	if len(parts) != 3 || parts[1] != "" {
		return sig{}, problem.New(problem.Malformed, "the proof's jws is not a detached JWS (header..signature)")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return sig{}, problem.New(problem.Malformed, "the header of the proof's jws is not base64url")
	}
	var header struct {
		Alg  *string `json:"alg"`
		B64  *bool   `json:"b64"`
		Crit []any   `json:"crit"`
	}
	if err := json.Unmarshal(raw, &header); err != nil {
		return sig{}, problem.New(problem.Malformed, "the header of the proof's jws is not a JSON object")
	}
	switch {
	case header.B64 == nil || *header.B64 || !slices.Contains(header.Crit, any("b64")):
		return sig{}, problem.New(problem.Malformed,
			`the proof's jws does not use the unencoded payload option ("b64": false, critical), which %s requires`, s)
	case len(header.Crit) != 1:
		return sig{}, problem.New(problem.Unsupported, "the proof's jws has critical header parameters other than b64")
	case header.Alg == nil:
		return sig{}, problem.New(problem.Malformed, "the header of the proof's jws has no alg")
	}
	alg := *header.Alg
	if !slices.Contains(info.jwsAlgs, alg) {
		if alg == "ES256K" {
			return sig{}, problem.New(problem.Unsupported, "the proof is signed with a secp256k1 key (ES256K), which Backpack does not support")
		}
		return sig{}, problem.New(problem.Unsupported, "%s proofs signed with the JWS algorithm %s are not supported (only %s)",
			s, quote(alg), strings.Join(info.jwsAlgs, ", "))
	}
	return sig{key: jwsKeyType(alg), jws: value, alg: alg}, nil
}

// check verifies the signature over the hash data with the key, which
// must be of the type the signature was made with.
func check(sg sig, key Key, data []byte) error {
	if err := checkKeyType(sg.key, key); err != nil {
		return err
	}
	if sg.jws != "" {
		obj, err := jose.ParseDetached(sg.jws, data, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(sg.alg)})
		if err != nil {
			return problem.Wrap(err, problem.Malformed, "the proof's jws could not be read")
		}
		if obj.DetachedVerify(data, key.Public) != nil {
			return errMismatch()
		}
		return nil
	}
	switch sg.key {
	case ed25519Key:
		if !ed25519.Verify(key.Public.(ed25519.PublicKey), data, sg.bytes) {
			return errMismatch()
		}
	case p256Key, p384Key:
		// ECDSA over the hash data with SHA-256 (P-256) or SHA-384
		// (P-384); the signature is r‖s, each the size of the curve.
		n := len(sg.bytes) / 2
		r, s := new(big.Int).SetBytes(sg.bytes[:n]), new(big.Int).SetBytes(sg.bytes[n:])
		if !ecdsa.Verify(key.Public.(*ecdsa.PublicKey), sum(sg.key.hash(), data), r, s) {
			return errMismatch()
		}
	}
	return nil
}

// checkKeyType requires the resolved key to be of type want.
func checkKeyType(want keyType, key Key) error {
	var ok bool
	switch pub := key.Public.(type) {
	case ed25519.PublicKey:
		ok = want == ed25519Key && len(pub) == ed25519.PublicKeySize
	case *ecdsa.PublicKey:
		ok = want == p256Key && pub.Curve == elliptic.P256() || want == p384Key && pub.Curve == elliptic.P384()
	case *rsa.PublicKey:
		if want == rsaKey && pub.N.BitLen() < 2048 {
			return problem.New(problem.SignatureInvalid, "the verification method is an RSA key shorter than 2048 bits")
		}
		ok = want == rsaKey
	}
	if !ok {
		return problem.New(problem.SignatureInvalid, "the verification method is not %s key, which the proof needs", want)
	}
	return nil
}

func errMismatch() error {
	return problem.New(problem.SignatureInvalid,
		"the proof does not match: the credential was changed after it was signed, or signed with another key")
}
