package did

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/binary"
	"strings"

	"github.com/mr-tron/base58"

	"backpack/openbadges/problem"
)

// Multicodec codes of the public key types a multibase key may carry.
const (
	codecEd25519 = 0xed   // ed25519-pub, varint 0xed 0x01
	codecP256    = 0x1200 // p256-pub, varint 0x80 0x24
	codecP384    = 0x1201 // p384-pub, varint 0x81 0x24
)

// maxMultibaseLen is longer than any supported key (a compressed P-384
// key is 70 characters) and keeps base58 decoding, which is quadratic,
// cheap for hostile input.
const maxMultibaseLen = 128

// PublicKeyFromMultibase reads a publicKeyMultibase value: "z" followed by
// the base58btc encoding of a multicodec-prefixed key, one of ed25519-pub
// (0xed01, 32 bytes), p256-pub (0x8024, 33-byte compressed point) or
// p384-pub (0x8124, 49-byte compressed point).
func PublicKeyFromMultibase(s string) (crypto.PublicKey, error) {
	switch {
	case s == "":
		return nil, problem.New(problem.Malformed, "the multibase key is empty")
	case s[0] != 'z':
		return nil, problem.New(problem.Unsupported, "only base58btc (z…) multibase keys are supported")
	case len(s) > maxMultibaseLen:
		return nil, problem.New(problem.Unsupported, "the multibase key is longer than any supported key type")
	}
	raw, err := base58.Decode(s[1:])
	if err != nil {
		return nil, problem.Wrap(err, problem.Malformed, "the multibase key is not valid base58btc")
	}
	code, n := binary.Uvarint(raw)
	if n <= 0 || !bytes.Equal(raw[:n], binary.AppendUvarint(nil, code)) {
		return nil, problem.New(problem.Malformed, "the multibase key has no valid multicodec prefix")
	}
	key := raw[n:]
	switch code {
	case codecEd25519:
		if len(key) != ed25519.PublicKeySize {
			return nil, problem.New(problem.Malformed, "an Ed25519 multibase key must have 32 bytes, not %d", len(key))
		}
		return ed25519.PublicKey(key), nil
	case codecP256:
		return compressedPoint(elliptic.P256(), key)
	case codecP384:
		return compressedPoint(elliptic.P384(), key)
	}
	return nil, problem.New(problem.Unsupported, "the multicodec key type 0x%x is not supported", code)
}

// ed25519FromBase58 reads the publicKeyBase58 of an
// Ed25519VerificationKey2018: the 32 bytes of the key in base58btc,
// without multibase prefix or multicodec.
func ed25519FromBase58(s string) (ed25519.PublicKey, error) {
	if s == "" || len(s) > 64 {
		return nil, problem.New(problem.Malformed, "the publicKeyBase58 is not a base58 Ed25519 key")
	}
	raw, err := base58.Decode(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, problem.New(problem.Malformed, "the publicKeyBase58 is not a base58 Ed25519 key")
	}
	return ed25519.PublicKey(raw), nil
}

// compressedPoint reads a SEC 1 compressed point and checks it is on the
// curve.
func compressedPoint(curve elliptic.Curve, b []byte) (*ecdsa.PublicKey, error) {
	name := curve.Params().Name
	size := (curve.Params().BitSize + 7) / 8
	if len(b) != 1+size {
		return nil, problem.New(problem.Malformed, "a %s multibase key must be a %d-byte compressed point", name, 1+size)
	}
	x, y := elliptic.UnmarshalCompressed(curve, b)
	if x == nil {
		return nil, problem.New(problem.Malformed, "the %s multibase key is not a point on the curve", name)
	}
	return uncompressed(curve, x.FillBytes(make([]byte, size)), y.FillBytes(make([]byte, size)))
}

// uncompressed builds an ECDSA key from fixed-size coordinates; the
// standard library checks that the point is on the curve.
func uncompressed(curve elliptic.Curve, x, y []byte) (*ecdsa.PublicKey, error) {
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, problem.Wrap(err, problem.Malformed, "the %s key is not a point on the curve", curve.Params().Name)
	}
	return pub, nil
}

// resolveKey decodes did:key:X#X. The DID document of a did:key holds
// exactly one method, X, authorised for every relationship, so there is
// nothing to fetch.
func resolveKey(vmID string) (Key, error) {
	did, frag, hasFrag := strings.Cut(vmID, "#")
	mb := strings.TrimPrefix(did, "did:key:")
	if mb == "" || mb[0] != 'z' {
		return Key{}, problem.New(problem.Malformed, "a did:key must be did:key:z… (base58btc multibase)")
	}
	pub, err := PublicKeyFromMultibase(mb)
	if err != nil {
		return Key{}, err
	}
	if !hasFrag || frag != mb {
		return Key{}, problem.New(problem.KeyUnresolved, "a did:key verification method must be did:key:X#X")
	}
	return Key{ID: vmID, Controller: did, Public: pub}, nil
}
