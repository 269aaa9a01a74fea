package did

import (
	"context"
	"crypto"
	"net/url"
	"strings"

	"backpack/openbadges/problem"
)

// acceptKey is what a VC-JWT kid URL may answer with: a JWK, a JWK Set, or
// a key or controller document.
const acceptKey = "application/jwk+json, application/jwk-set+json, application/ld+json;q=0.9, application/json;q=0.8"

// KIDKey is the key a VC-JWT header's kid dereferences to.
type KIDKey struct {
	Key
	// Source is the URL of the bare JWK or JWK Set the key was read from;
	// Controller is then empty, as a JWK names none. Whether that URL
	// speaks for the credential's issuer is the caller's to decide.
	Source string
	// Issuer is the JWK's "iss" member, if any: the issuer id a platform
	// that signs for many issuers binds the key to (OB 3.0
	// implementation guide, "Key provenance").
	Issuer string
}

// ResolveKID dereferences a VC-JWT kid to the public key it names (OB 3.0
// §8.2: "a URI that can be dereferenced to an object of type JWK"):
//
//   - did:key:X, with or without the fragment #X: the DID's one key;
//   - did:jwk:B, with or without #0: the JWK it encodes;
//   - did:web:…#frag as Resolve does, and a bare did:web when its DID
//     document authorises exactly one key for assertionMethod;
//   - an http(s) URL answering with a bare JWK (a fragment, if any, must
//     then be the JWK's kid), with a JWK Set (the fragment, or the whole
//     URL, selects the entry by its kid; without one a set of one key
//     gives that key), or with a key or controller document as Resolve
//     reads it.
//
// Like Resolve it never binds the key to an issuer: a KIDKey from a JWK
// has no Controller, only the Source it was fetched from.
func ResolveKID(ctx context.Context, g Getter, kid string) (KIDKey, error) {
	switch {
	case kid == "":
		return KIDKey{}, problem.New(problem.Malformed, "the kid is empty")
	case len(kid) > maxIDLen:
		return KIDKey{}, problem.New(problem.TooLarge, "the kid is longer than %d bytes", maxIDLen)
	case strings.HasPrefix(kid, "did:key:") && !strings.Contains(kid, "#"):
		k, err := resolveKey(kid + "#" + strings.TrimPrefix(kid, "did:key:"))
		return KIDKey{Key: k}, err
	case strings.HasPrefix(kid, "did:jwk:"):
		k, err := resolveDIDJWK(kid, true)
		return KIDKey{Key: k}, err
	case strings.HasPrefix(kid, "did:web:") && !strings.Contains(kid, "#") && g != nil:
		doc, err := webDocument(ctx, g, kid)
		if err != nil {
			return KIDKey{}, err
		}
		keys := KeysOf(doc)
		if len(keys) != 1 {
			return KIDKey{}, problem.New(problem.KeyUnresolved, "the kid names a DID with %d keys for assertionMethod, not one", len(keys))
		}
		return KIDKey{Key: keys[0]}, nil
	case isHTTP(kid) && g != nil:
		return resolveKIDURL(ctx, g, kid)
	}
	k, err := Resolve(ctx, g, kid)
	return KIDKey{Key: k}, err
}

// resolveKIDURL dereferences an http(s) kid.
func resolveKIDURL(ctx context.Context, g Getter, kid string) (KIDKey, error) {
	u, err := url.Parse(kid)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return KIDKey{}, problem.New(problem.Malformed, "the kid is not a valid URL")
	}
	docURL, frag, _ := strings.Cut(kid, "#")
	doc, err := fetchDocument(ctx, g, docURL, u.Host, acceptKey)
	if err != nil {
		return KIDKey{}, err
	}
	var jwk map[string]any
	switch {
	case doc["keys"] != nil:
		if jwk, err = setEntry(doc, kid, frag, u.Host); err != nil {
			return KIDKey{}, err
		}
	case doc["kty"] != nil:
		jwk = doc
		if id, ok := jwk["kid"].(string); ok && frag != "" && id != frag && id != kid {
			return KIDKey{}, problem.New(problem.KeyUnresolved, "the JWK at %s has another kid than the token names", u.Host)
		}
	default:
		k, err := keyInURLDocument(ctx, g, doc, kid, docURL, u.Host)
		return KIDKey{Key: k}, err
	}
	pub, err := publishedJWK(jwk)
	if err != nil {
		return KIDKey{}, err
	}
	iss, _ := jwk["iss"].(string)
	return KIDKey{Key: Key{ID: kid, Public: pub}, Source: docURL, Issuer: iss}, nil
}

// setEntry selects the entry of a JWK Set that kid (or its fragment)
// names by its "kid" member.
func setEntry(set map[string]any, kid, frag, host string) (map[string]any, error) {
	entries := objects(set["keys"])
	var found []map[string]any
	for _, e := range entries {
		if id, _ := e["kid"].(string); id != "" && (id == kid || (frag != "" && id == frag)) {
			found = append(found, e)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return nil, problem.New(problem.KeyUnresolved, "the JWK Set at %s has several keys with the kid the token names", host)
	case frag == "" && len(entries) == 1:
		return entries[0], nil
	}
	return nil, problem.New(problem.KeyUnresolved, "the JWK Set at %s has no key with the kid the token names", host)
}

// publishedJWK reads a JWK that someone publishes as their key. A key
// type Backpack does not handle stays Unsupported; any other defect means
// there is no usable key.
func publishedJWK(jwk map[string]any) (crypto.PublicKey, error) {
	pub, err := PublicKeyFromJWK(jwk)
	switch {
	case problem.CodeOf(err) == problem.Unsupported:
		return nil, err
	case err != nil:
		return nil, problem.Wrap(err, problem.KeyUnresolved, "the published JWK is not valid: %s", problem.MessageOf(err))
	}
	return pub, nil
}

// JWK is one usable key of a JWK Set.
type JWK struct {
	KID    string // its "kid" member, if any
	Issuer string // its "iss" member, if any
	Public crypto.PublicKey
}

// FetchJWKSet fetches the JWK Set (RFC 7517 §5) at rawURL, such as an
// issuer's https://{authority}/.well-known/jwks.json, and returns its
// public signing keys. Entries that are not such keys (encryption keys,
// private or symmetric keys, unsupported types) are left out.
func FetchJWKSet(ctx context.Context, g Getter, rawURL string) ([]JWK, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, problem.New(problem.Malformed, "the JWK Set address is not a valid URL")
	}
	doc, err := fetchDocument(ctx, g, rawURL, u.Host, "application/jwk-set+json, application/json;q=0.9")
	if err != nil {
		return nil, err
	}
	if _, ok := doc["keys"].([]any); !ok {
		return nil, problem.New(problem.KeyUnresolved, "the document at %s is not a JWK Set", u.Host)
	}
	var out []JWK
	for _, e := range objects(doc["keys"]) {
		pub, err := PublicKeyFromJWK(e)
		if err != nil {
			continue
		}
		kid, _ := e["kid"].(string)
		iss, _ := e["iss"].(string)
		out = append(out, JWK{KID: kid, Issuer: iss, Public: pub})
	}
	return out, nil
}

// DIDKeys returns the keys a DID authorises for assertionMethod: the one
// key of a did:key or did:jwk, or those its did:web document lists.
func DIDKeys(ctx context.Context, g Getter, did string) ([]Key, error) {
	switch {
	case strings.Contains(did, "#"):
		return nil, problem.New(problem.Malformed, "a DID has no fragment")
	case strings.HasPrefix(did, "did:key:"), strings.HasPrefix(did, "did:jwk:"):
		k, err := ResolveKID(ctx, g, did)
		if err != nil {
			return nil, err
		}
		return []Key{k.Key}, nil
	case strings.HasPrefix(did, "did:web:") && g != nil:
		doc, err := webDocument(ctx, g, did)
		if err != nil {
			return nil, err
		}
		return KeysOf(doc), nil
	}
	return nil, problem.New(problem.Unsupported, "this DID method is not supported")
}
