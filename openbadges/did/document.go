package did

import (
	"crypto"
	"crypto/ed25519"
	"slices"
	"strings"

	"backpack/openbadges/problem"
)

// KeysOf returns the keys a controller document lists for assertionMethod:
// a DID document, or an OB 3.0 issuer Profile carrying verificationMethod
// entries. It serves to check a key found elsewhere (a VC-JWT header jwk
// or kid) against what the issuer publishes; compare keys with their Equal
// method.
//
// The methods counted are those referenced from or embedded in
// assertionMethod. A document that is not a DID document (its id is not a
// DID) and has no assertionMethod at all counts all its verificationMethod
// entries, as issuer Profiles commonly list their keys only there. A
// method whose controller is not the document, whose type is not
// Multikey, Ed25519VerificationKey2020, JsonWebKey2020, JsonWebKey or
// Ed25519VerificationKey2018 (with publicKeyBase58, as Ed25519Signature2018
// issuers publish keys), or whose key cannot be read is left out; so is a document without an id.
// Every returned Key has the document id as Controller and an absolute ID.
func KeysOf(doc map[string]any) []Key {
	docID, _ := doc["id"].(string)
	if docID == "" {
		return nil
	}
	var keys []Key
	for _, vm := range assertionMethods(doc, docID) {
		id := entryID(vm, docID)
		if id == "" || slices.ContainsFunc(keys, func(k Key) bool { return k.ID == id }) {
			continue
		}
		if checkController(vm, docID) != nil {
			continue
		}
		pub, err := methodKey(vm)
		if err != nil {
			continue
		}
		keys = append(keys, Key{ID: id, Controller: docID, Public: pub})
	}
	return keys
}

// keyIn finds the method vmID among those doc authorises for
// assertionMethod and reads its key.
func keyIn(doc map[string]any, docID, vmID string) (Key, error) {
	vm := methodByID(assertionMethods(doc, docID), docID, vmID)
	if vm == nil {
		if methodByID(objects(doc["verificationMethod"]), docID, vmID) != nil {
			return Key{}, problem.New(problem.KeyUnresolved, "the verification method is not authorised for assertionMethod")
		}
		return Key{}, problem.New(problem.KeyUnresolved, "the document does not list the verification method")
	}
	if err := checkController(vm, docID); err != nil {
		return Key{}, err
	}
	pub, err := methodKey(vm)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: vmID, Controller: docID, Public: pub}, nil
}

// assertionEntries returns the entries (method objects or references)
// through which doc authorises methods for assertionMethod.
func assertionEntries(doc map[string]any, docID string) []any {
	if am, ok := doc["assertionMethod"]; ok {
		return list(am)
	}
	if strings.HasPrefix(docID, "did:") {
		return nil // a DID document authorises nothing by listing a method
	}
	return list(doc["verificationMethod"])
}

// assertionMethods returns the method objects authorised for
// assertionMethod: embedded ones, and those referenced by id that the
// document's verificationMethod holds.
func assertionMethods(doc map[string]any, docID string) []map[string]any {
	var out []map[string]any
	for _, e := range assertionEntries(doc, docID) {
		switch e := e.(type) {
		case map[string]any:
			out = append(out, e)
		case string:
			if vm := methodByID(objects(doc["verificationMethod"]), docID, absID(e, docID)); vm != nil {
				out = append(out, vm)
			}
		}
	}
	return out
}

// authorises reports whether doc lists the method id for assertionMethod,
// by reference or embedded.
func authorises(doc map[string]any, docID, id string) bool {
	return slices.ContainsFunc(assertionEntries(doc, docID), func(e any) bool { return entryID(e, docID) == id })
}

// checkController requires a method's controller, when given, to be the
// document that lists it. Reporting another controller would let any
// document vouch for a key "controlled" by somebody else's issuer id.
func checkController(vm map[string]any, docID string) error {
	if c, ok := vm["controller"]; ok && c != docID {
		return problem.New(problem.KeyUnresolved, "the verification method names another controller than its document")
	}
	return nil
}

// methodKey reads the key of a verification method of a supported type.
// An unsupported key type stays Unsupported; any other defect in a
// published key means there is no usable key: KeyUnresolved.
func methodKey(vm map[string]any) (crypto.PublicKey, error) {
	mb, hasMB := vm["publicKeyMultibase"]
	jwk, hasJWK := vm["publicKeyJwk"]
	b58, hasB58 := vm["publicKeyBase58"]
	var (
		pub crypto.PublicKey
		err error
	)
	switch {
	case hasMB && hasJWK || hasB58 && (hasMB || hasJWK):
		return nil, problem.New(problem.KeyUnresolved, "the verification method carries two keys")
	case hasB58 && hasType(vm, "Ed25519VerificationKey2018"):
		s, _ := b58.(string)
		pub, err = ed25519FromBase58(s)
	case hasMB && hasType(vm, "Multikey", "Ed25519VerificationKey2020"):
		s, _ := mb.(string)
		pub, err = PublicKeyFromMultibase(s)
		if _, ed := pub.(ed25519.PublicKey); err == nil && !ed && !hasType(vm, "Multikey") {
			return nil, problem.New(problem.KeyUnresolved, "an Ed25519VerificationKey2020 method holds another type of key")
		}
	case hasJWK && hasType(vm, "JsonWebKey2020", "JsonWebKey"):
		m, _ := jwk.(map[string]any)
		pub, err = PublicKeyFromJWK(m)
	default:
		return nil, problem.New(problem.KeyUnresolved, "the verification method has no supported type and key")
	}
	switch {
	case problem.CodeOf(err) == problem.Unsupported:
		return nil, problem.Wrap(err, problem.Unsupported, "the verification method's key type is not supported")
	case err != nil:
		return nil, problem.Wrap(err, problem.KeyUnresolved, "the verification method's key is not valid: %s", problem.MessageOf(err))
	}
	return pub, nil
}

// hasType reports whether the method's type (a string or a list) is one
// of types.
func hasType(vm map[string]any, types ...string) bool {
	return slices.ContainsFunc(list(vm["type"]), func(t any) bool {
		s, _ := t.(string)
		return slices.Contains(types, s)
	})
}

// methodByID returns the method whose absolute id is id.
func methodByID(methods []map[string]any, docID, id string) map[string]any {
	for _, vm := range methods {
		if entryID(vm, docID) == id {
			return vm
		}
	}
	return nil
}

// entryID is the absolute id of a method object or reference.
func entryID(e any, docID string) string {
	switch e := e.(type) {
	case string:
		return absID(e, docID)
	case map[string]any:
		s, _ := e["id"].(string)
		return absID(s, docID)
	}
	return ""
}

// absID resolves a relative "#fragment" id against the document id.
func absID(id, docID string) string {
	if strings.HasPrefix(id, "#") {
		return docID + id
	}
	return id
}

// list reads a JSON value that may be a single item or an array.
func list(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// objects returns the objects among a single item or an array.
func objects(v any) []map[string]any {
	var out []map[string]any
	for _, e := range list(v) {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
