// Package did finds the public key behind a verification method id, as
// Open Badges 3.0 credentials name it in a Data Integrity proof
// (proof.verificationMethod) or a VC-JWT header (kid).
//
// Four kinds of id are understood: did:key and did:jwk (decoded locally,
// no network), did:web (the DID document is fetched over https) and
// http(s) URLs of a key document or of a controller document such as an
// issuer Profile. A VC-JWT kid may also name a bare JWK or a JWK Set
// entry (see ResolveKID).
// Everything fetched goes through a Getter, in production the guarded
// fetch client, so the SSRF rules of package fetch apply to every request.
//
// A resolved Key is one its controller authorises for assertionMethod, and
// its Controller is never a claim taken from a document that the
// controller does not serve: binding the key to the credential's issuer
// (Controller == issuer id) is left to the caller.
//
// Failures are *problem.Error values: Malformed for an id or key that
// cannot be parsed, Unsupported for methods and key types this package
// does not handle, BlockedAddress when the fetcher refused the destination
// and KeyUnresolved for everything else. Messages never quote fetched
// content.
package did

import (
	"context"
	"crypto"
	"strings"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// Getter fetches documents; *fetch.Session and *fetch.Client implement it.
type Getter interface {
	Get(ctx context.Context, rawURL, accept string, limit fetch.Limit) (*fetch.Response, error)
}

// Key is a resolved verification method.
type Key struct {
	ID         string           // verification method id (absolute)
	Controller string           // its controller (a DID or URL)
	Public     crypto.PublicKey // ed25519.PublicKey, *ecdsa.PublicKey (P-256 or P-384), or *rsa.PublicKey (≥ 2048 bits)
}

// maxIDLen bounds the verification method ids this package looks at.
const maxIDLen = 2048

// Resolve dereferences a verification method id and returns the key, which
// is authorised for assertionMethod by its controller:
//
//   - did:key:X#X is decoded locally; the controller is did:key:X.
//   - did:jwk:B#0 is decoded locally; the controller is did:jwk:B.
//   - did:web:host[:path…]#frag is fetched through g from https://host/…,
//     the document's id must be the DID and the method must be referenced
//     from (or embedded in) its assertionMethod; the controller is the DID.
//   - an http(s) URL is fetched through g: either a key document (its id is
//     the URL and it carries the key; its controller's document must list
//     the key in turn) or a controller document served at its own id that
//     lists the method (see KeysOf for which entries count).
func Resolve(ctx context.Context, g Getter, vmID string) (Key, error) {
	if vmID == "" {
		return Key{}, problem.New(problem.Malformed, "the verification method id is empty")
	}
	if len(vmID) > maxIDLen {
		return Key{}, problem.New(problem.TooLarge, "the verification method id is longer than %d bytes", maxIDLen)
	}
	scheme, rest, _ := strings.Cut(vmID, ":")
	switch {
	case scheme == "did":
		method, _, _ := strings.Cut(rest, ":")
		switch method {
		case "key":
			return resolveKey(vmID)
		case "jwk":
			return resolveDIDJWK(vmID, false)
		case "web":
			if g == nil {
				return Key{}, problem.New(problem.KeyUnresolved, "no fetcher to resolve did:web")
			}
			return resolveWeb(ctx, g, vmID)
		}
		if isMethodName(method) && len(method) <= 20 {
			return Key{}, problem.New(problem.Unsupported, "the DID method %q is not supported", method)
		}
		return Key{}, problem.New(problem.Unsupported, "this DID method is not supported")
	case isHTTP(vmID):
		if g == nil {
			return Key{}, problem.New(problem.KeyUnresolved, "no fetcher to resolve URLs")
		}
		return resolveURL(ctx, g, vmID)
	}
	return Key{}, problem.New(problem.Unsupported, "the verification method is neither a did:key, did:jwk, did:web nor an http(s) URL")
}

// isMethodName reports whether s fits DID method-name syntax (a-z, 0-9),
// which makes it safe to quote in a message.
func isMethodName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// unresolved reports a failed fetch or check as KeyUnresolved, keeping
// BlockedAddress (the fetcher refused the destination) as it is: that is
// the cause a user and the tests need to see. The message adds the
// cause's user-safe message, never fetched content.
func unresolved(err error, msg string) error {
	code := problem.KeyUnresolved
	if problem.CodeOf(err) == problem.BlockedAddress {
		code = problem.BlockedAddress
	}
	return problem.Wrap(err, code, "%s: %s", msg, problem.MessageOf(err))
}
