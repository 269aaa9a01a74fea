package did

import (
	"encoding/base64"
	"strings"

	"backpack/openbadges/problem"
)

// maxDIDJWKLen bounds a did:jwk: an encoded 8192-bit RSA JWK is well
// under it.
const maxDIDJWKLen = 2048

// resolveDIDJWK decodes did:jwk:B#0, whose method-specific id B is the
// base64url encoding of a public JWK (did:jwk method spec). Its DID
// document holds the one method #0, authorised for assertionMethod
// unless the JWK says it is for encryption ("use": "enc"). bare accepts
// did:jwk:B without the fragment, as a VC-JWT kid may name the DID whose
// single key is meant.
func resolveDIDJWK(vmID string, bare bool) (Key, error) {
	did, frag, hasFrag := strings.Cut(vmID, "#")
	enc := strings.TrimPrefix(did, "did:jwk:")
	switch {
	case enc == "":
		return Key{}, problem.New(problem.Malformed, "the did:jwk carries no key")
	case len(enc) > maxDIDJWKLen:
		return Key{}, problem.New(problem.TooLarge, "the did:jwk is longer than %d bytes", maxDIDJWKLen)
	case hasFrag && frag != "0", !hasFrag && !bare:
		return Key{}, problem.New(problem.KeyUnresolved, "a did:jwk verification method must be did:jwk:…#0")
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return Key{}, problem.New(problem.Malformed, "the did:jwk is not base64url")
	}
	jwk, err := decodeObject(raw)
	if err != nil {
		return Key{}, problem.Wrap(err, problem.Malformed, "the did:jwk does not hold a JWK: %s", problem.MessageOf(err))
	}
	if use, ok := jwk["use"]; ok && use != "sig" {
		return Key{}, problem.New(problem.KeyUnresolved, "the did:jwk key is not meant for signatures")
	}
	pub, err := PublicKeyFromJWK(jwk)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: did + "#0", Controller: did, Public: pub}, nil
}
