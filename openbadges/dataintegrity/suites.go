package dataintegrity

import (
	"crypto"
	"fmt"
	"slices"

	"backpack/openbadges/ld"
	"backpack/openbadges/problem"
)

// Proof types and cryptosuites.
const (
	DataIntegrityProof   = "DataIntegrityProof"
	Ed25519Signature2020 = "Ed25519Signature2020"
	Ed25519Signature2018 = "Ed25519Signature2018"
	JsonWebSignature2020 = "JsonWebSignature2020"

	EddsaRdfc2022 = "eddsa-rdfc-2022"
	Eddsa2022     = "eddsa-2022" // the name of eddsa-rdfc-2022 in drafts
	EddsaJcs2022  = "eddsa-jcs-2022"
	EcdsaRdfc2019 = "ecdsa-rdfc-2019"
	EcdsaJcs2019  = "ecdsa-jcs-2019"
)

// Suite is a proof type and, for DataIntegrityProof, its cryptosuite.
type Suite struct{ Type, Cryptosuite string }

// The suites Verify and SignWith know.
var (
	SuiteEddsaRdfc2022        = Suite{DataIntegrityProof, EddsaRdfc2022}
	SuiteEddsaJcs2022         = Suite{DataIntegrityProof, EddsaJcs2022}
	SuiteEcdsaRdfc2019        = Suite{DataIntegrityProof, EcdsaRdfc2019}
	SuiteEcdsaJcs2019         = Suite{DataIntegrityProof, EcdsaJcs2019}
	SuiteEd25519Signature2020 = Suite{Type: Ed25519Signature2020}
	SuiteEd25519Signature2018 = Suite{Type: Ed25519Signature2018}
	SuiteJsonWebSignature2020 = Suite{Type: JsonWebSignature2020}
)

func (s Suite) String() string {
	if s.Cryptosuite != "" {
		return s.Cryptosuite
	}
	return s.Type
}

// canonicalisation is how a suite turns JSON into the bytes it hashes.
type canonicalisation int

const (
	rdfc canonicalisation = iota + 1 // RDFC-1.0 (URDNA2015) N-Quads
	jcs                              // RFC 8785 JSON
)

// keyType is the kind of public key a proof is made with.
type keyType int

const (
	ed25519Key keyType = iota + 1
	p256Key
	p384Key
	rsaKey
)

func (k keyType) String() string {
	switch k {
	case ed25519Key:
		return "an Ed25519"
	case p256Key:
		return "a P-256"
	case p384Key:
		return "a P-384"
	}
	return "an RSA"
}

// hash is the hash function of the proof options, the document and, for
// ECDSA, the signature: SHA-384 with P-384, SHA-256 otherwise.
func (k keyType) hash() crypto.Hash {
	if k == p384Key {
		return crypto.SHA384
	}
	return crypto.SHA256
}

// suiteInfo says how a suite's proofs are made.
type suiteInfo struct {
	canon canonicalisation
	// jws: the signature is a detached JWS with the unencoded payload
	// option (RFC 7797) in the member "jws", over the hash data; else it
	// is the multibase (base58btc) member "proofValue", over the hash data
	// itself.
	jws bool
	// keys are the key types a proofValue signature may be made with;
	// for a JWS the header's alg decides (jwsAlgs).
	keys []keyType
	// jwsAlgs are the JWS algorithms allowed.
	jwsAlgs []string
}

var suites = map[Suite]suiteInfo{
	SuiteEddsaRdfc2022:              {canon: rdfc, keys: []keyType{ed25519Key}},
	{DataIntegrityProof, Eddsa2022}: {canon: rdfc, keys: []keyType{ed25519Key}},
	SuiteEd25519Signature2020:       {canon: rdfc, keys: []keyType{ed25519Key}},
	SuiteEddsaJcs2022:               {canon: jcs, keys: []keyType{ed25519Key}},
	SuiteEcdsaRdfc2019:              {canon: rdfc, keys: []keyType{p256Key, p384Key}},
	SuiteEcdsaJcs2019:               {canon: jcs, keys: []keyType{p256Key, p384Key}},
	// Ed25519Signature2018 (w3c-ccg lds-ed25519-2018, on Linked Data
	// Signatures): URDNA2015, SHA-256, a detached EdDSA JWS.
	SuiteEd25519Signature2018: {canon: rdfc, jws: true, jwsAlgs: []string{"EdDSA"}},
	// JsonWebSignature2020 (w3c-ccg lds-jws2020): the same with the JOSE
	// algorithms of its table, less ES256K (secp256k1), which Backpack
	// does not support.
	SuiteJsonWebSignature2020: {canon: rdfc, jws: true, jwsAlgs: []string{"EdDSA", "ES256", "ES384", "PS256"}},
}

// suiteOf returns the suite of a proof, or why it is not supported.
func suiteOf(p map[string]any) (Suite, suiteInfo, error) {
	typ, ok := p["type"].(string)
	if !ok {
		return Suite{}, suiteInfo{}, problem.New(problem.Unsupported, "the proof type %s is not supported", quote(fmt.Sprint(p["type"])))
	}
	s := Suite{Type: typ}
	if typ == DataIntegrityProof {
		s.Cryptosuite, _ = p["cryptosuite"].(string)
	}
	info, ok := suites[s]
	switch {
	case ok:
		return s, info, nil
	case typ == DataIntegrityProof:
		return s, info, problem.New(problem.Unsupported, "the cryptosuite %s is not supported", quote(s.Cryptosuite))
	}
	return s, info, problem.New(problem.Unsupported, "the proof type %s is not supported", quote(typ))
}

// jwsKeyType is the key type a JWS algorithm needs.
func jwsKeyType(alg string) keyType {
	switch alg {
	case "EdDSA":
		return ed25519Key
	case "ES256":
		return p256Key
	case "ES384":
		return p384Key
	}
	return rsaKey // PS256
}

// proofOptions returns the proof without its signature: without
// proofValue, and for the JWS suites also without jws and signatureValue,
// as Linked Data Signatures removes them.
func proofOptions(p map[string]any, info suiteInfo) map[string]any {
	options := make(map[string]any, len(p)+1)
	for k, e := range p {
		if k == "proofValue" || info.jws && (k == "jws" || k == "signatureValue") {
			continue
		}
		options[k] = e
	}
	return options
}

// hashData is what a proof signs: the hash of the canonical proof
// options, then the hash of the canonical credential without its proofs.
//
// With RDFC-1.0 the proof options take the credential's @context (VC Data
// Integrity "proof configuration"; Linked Data Signatures likewise).
//
// With JCS the proof options keep their own @context, if they have one;
// the credential's @context must then start with it, and the credential
// is hashed with the proof's @context in place of its own (contexts added
// after signing are not signed).
func (v *verification) hashData(p map[string]any, info suiteInfo, h crypto.Hash) ([]byte, error) {
	options := proofOptions(p, info)
	var proofHash, docHash []byte
	switch info.canon {
	case rdfc:
		if c, ok := v.unsecured["@context"]; ok {
			options["@context"] = c
		}
		nq, err := ld.CanonicalizeWithHash(v.ctx, options, h)
		if err != nil {
			return nil, err
		}
		proofHash = sum(h, []byte(nq))
		if docHash, err = v.documentHash(h); err != nil {
			return nil, err
		}
	case jcs:
		// Not processed as JSON-LD, but held to the same bounds and
		// known contexts as the RDFC suites (VC Data Integrity, "Context
		// Validation").
		if err := ld.Check(v.unsecured); err != nil {
			return nil, err
		}
		if err := ld.Check(options); err != nil {
			return nil, err
		}
		doc := v.unsecured
		if c, ok := options["@context"]; ok {
			if !startsWith(v.unsecured["@context"], c) {
				return nil, problem.New(problem.SignatureInvalid,
					"the proof's @context is not the beginning of the credential's @context")
			}
			doc = cloneWith(v.unsecured, "@context", c)
		}
		canonOptions, err := ld.JCS(options)
		if err != nil {
			return nil, err
		}
		proofHash = sum(h, canonOptions)
		canonDoc, err := ld.JCS(doc)
		if err != nil {
			return nil, err
		}
		docHash = sum(h, canonDoc)
	}
	return append(proofHash, docHash...), nil
}

// documentHash returns the hash of the canonical (RDFC-1.0) unsecured
// credential, computed once per hash function.
func (v *verification) documentHash(h crypto.Hash) ([]byte, error) {
	if r, ok := v.docHashes[h]; ok {
		return r.sum, r.err
	}
	nq, err := ld.CanonicalizeWithHash(v.ctx, v.unsecured, h)
	var r hashResult
	if err != nil {
		r.err = err
	} else {
		r.sum = sum(h, []byte(nq))
	}
	if v.docHashes == nil {
		v.docHashes = make(map[crypto.Hash]hashResult, 1)
	}
	v.docHashes[h] = r
	return r.sum, r.err
}

type hashResult struct {
	sum []byte
	err error
}

func sum(h crypto.Hash, b []byte) []byte {
	md := h.New()
	md.Write(b)
	return md.Sum(nil)
}

// startsWith reports whether the @context value doc begins with the
// values of prefix, in order (each may be a single value or an array).
func startsWith(doc, prefix any) bool {
	d, p := asList(doc), asList(prefix)
	if len(p) > len(d) {
		return false
	}
	for i := range p {
		a, err1 := ld.JCS(d[i])
		b, err2 := ld.JCS(p[i])
		if err1 != nil || err2 != nil || string(a) != string(b) {
			return false
		}
	}
	return true
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// cloneWith returns a shallow copy of m with key set to v.
func cloneWith(m map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, e := range m {
		out[k] = e
	}
	out[key] = v
	return out
}

// allows reports whether a suite takes proofValue signatures made with k.
func (info suiteInfo) allows(k keyType) bool { return slices.Contains(info.keys, k) }
