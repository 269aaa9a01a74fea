package openbadges

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"backpack/openbadges/did"
	"backpack/openbadges/problem"
)

// Open Badges 3.0 credentials as VC-JWT: a compact JWS whose payload is the
// credential (VC 2.0) or carries it in its vc claim (VC 1.1).

// vcJWTAlgs are the algorithms accepted for VC-JWT.
var vcJWTAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.ES256, jose.ES384, jose.EdDSA}

// vcJWT verifies an OB 3.0 credential given as a VC-JWT. Once the token
// and the credential in it can be read, every check runs whatever the
// others found: a key that cannot be found, or a signature that does not
// match, still lets the report say that the credential has expired, is
// revoked or was issued to someone else (Report explains the order of
// the errors).
func (r *run) vcJWT(ctx context.Context, token string) {
	r.rep.Spec, r.rep.Format = v30, "vc-jwt"
	sig, header, payload, c, ok := r.readVCJWT(token)
	if !ok {
		return
	}
	if key, how, err := r.jwtKey(ctx, header, c.issuer.ID); err != nil {
		r.rep.fail(CheckKey, err)
	} else {
		r.rep.pass(CheckKey, how)
		verified, err := sig.Verify(key)
		if err != nil || !bytes.Equal(verified, mustPayload(token)) {
			r.rep.fail(CheckSignature, problem.New(problem.SignatureInvalid, "the signature does not match the issuer's key: the credential was altered or signed by someone else"))
		} else {
			r.rep.pass(CheckSignature, "signed with the issuer's key ("+str(header, "alg")+")")
		}
	}
	r.checkClaims(c, payload)
	r.concludeOB3(ctx, c)
}

// readVCJWT parses the token and reads the credential it carries,
// recording the parse check.
func (r *run) readVCJWT(token string) (*jose.JSONWebSignature, Object, Object, *credential, bool) {
	sig, header, payload, err := parseVCJWT(token)
	if err != nil {
		r.rep.fail(CheckParse, err)
		return nil, nil, nil, nil, false
	}
	credObj := payload
	vcClaim, hasVC := payload["vc"].(Object)
	if hasVC {
		credObj = vcClaim
	}
	c, err := readCredential(credObj)
	if err != nil {
		r.rep.fail(CheckParse, err)
		return nil, nil, nil, nil, false
	}
	if hasVC && c.vcVersion != "1.1" {
		r.rep.fail(CheckParse, schemaErr("vc", "a vc claim holds a Verifiable Credentials 1.1 credential, but its context is 2.0"))
		return nil, nil, nil, nil, false
	}
	r.rep.pass(CheckParse, "Open Badges 3.0 credential (Verifiable Credentials "+c.vcVersion+") in a JWT")
	return sig, header, payload, c, true
}

func mustPayload(token string) []byte {
	b, _ := jwsPayload(token)
	return b
}

// parseVCJWT checks a VC-JWT's shape and header before any key is sought.
func parseVCJWT(token string) (*jose.JSONWebSignature, Object, Object, error) {
	if len(token) > maxJWS {
		return nil, nil, nil, problem.New(problem.TooLarge, "the credential is larger than %d KiB", maxJWS>>10)
	}
	if strings.Count(token, ".") != 2 || !jwsRE.MatchString(token) {
		return nil, nil, nil, problem.New(problem.Malformed, "not a compact JWS (three base64url parts separated by dots)")
	}
	h, err := jwsHeader(token)
	if err != nil {
		return nil, nil, nil, err
	}
	alg := str(h, "alg")
	ok := false
	for _, a := range vcJWTAlgs {
		ok = ok || string(a) == alg
	}
	if !ok {
		return nil, nil, nil, problem.New(problem.Unsupported, "signature algorithm %q is not accepted (RS256, ES256, EdDSA and their kin only)", truncate(alg, 20))
	}
	for k := range h {
		switch k {
		case "alg", "kid", "jwk", "typ", "cty":
		default:
			return nil, nil, nil, problem.New(problem.Unsupported, "the token header has %q, which Backpack does not accept", truncate(k, 20))
		}
	}
	sig, err := jose.ParseSignedCompact(token, vcJWTAlgs)
	if err != nil {
		return nil, nil, nil, problem.Wrap(err, problem.Malformed, "the token could not be parsed")
	}
	raw, err := jwsPayload(token)
	if err != nil {
		return nil, nil, nil, err
	}
	payload, err := decodeObject(raw)
	if err != nil {
		return nil, nil, nil, problem.Wrap(err, problem.CodeOf(err), "the token's payload: %s", problem.MessageOf(err))
	}
	return sig, h, payload, nil
}

// jwtKey finds the key a VC-JWT is verified with, and says for the report
// why it is the issuer's (issuerID is issuer.id, which iss must equal).
//
// A kid is dereferenced (did.ResolveKID: a DID URL, or a URL answering
// with a JWK, a JWK Set or a key or controller document). Its key is the
// issuer's when its controller is the issuer (the issuer's DID, or the
// issuer's own controller document), or, for a bare JWK or JWK Set entry,
// when the URL it came from is on the issuer id's origin and the JWK names
// no other issuer in an "iss" member. Failing that, or when the kid is no
// URI at all, the issuer's own publications decide (publishedKey).
//
// A jwk in the header is never trusted by itself, since anyone can put a
// key in a token: it must be the key the kid names, or, without a kid, a
// key the issuer publishes.
func (r *run) jwtKey(ctx context.Context, h Object, issuerID string) (crypto.PublicKey, string, error) {
	kid := str(h, "kid")
	var headerKey crypto.PublicKey
	switch m := h["jwk"].(type) {
	case nil:
	case Object:
		pub, err := did.PublicKeyFromJWK(m)
		if err != nil {
			return nil, "", problem.Wrap(err, problem.CodeOf(err), "the key in the token's header: %s", problem.MessageOf(err))
		}
		headerKey = pub
	default:
		return nil, "", problem.New(problem.Malformed, "the jwk in the token's header is not a JSON object")
	}
	var (
		key crypto.PublicKey
		how string
		err error
	)
	switch {
	case kid != "":
		key, how, err = r.kidKey(ctx, kid, issuerID)
	case headerKey != nil:
		key, how, err = r.publishedKey(ctx, headerKey, "", issuerID)
	default:
		return nil, "", problem.New(problem.KeyUnresolved, "the token names no key (no kid or jwk)")
	}
	if err != nil {
		return nil, "", err
	}
	if headerKey != nil && !sameKey(headerKey, key) {
		return nil, "", problem.New(problem.KeyUnresolved, "the key in the token's header is not the key its kid names")
	}
	return key, how, nil
}

// kidKey finds the issuer's key that the header's kid names.
func (r *run) kidKey(ctx context.Context, kid, issuerID string) (crypto.PublicKey, string, error) {
	ref := kid
	if strings.HasPrefix(kid, "#") {
		ref = issuerID + kid
	}
	var (
		resolved crypto.PublicKey
		kidErr   error
	)
	if isIRI(ref) {
		k, err := did.ResolveKID(ctx, r.sess, ref)
		switch {
		case err == nil:
			if kidErr = bindsKID(k, issuerID); kidErr == nil {
				return k.Public, "the key the token's kid names belongs to the issuer (" + truncate(issuerID, 120) + ")", nil
			}
			resolved = k.Public
		case problem.CodeOf(err) == problem.BlockedAddress:
			return nil, "", err
		default:
			kidErr = err
		}
	}
	key, how, err := r.publishedKey(ctx, resolved, kid, issuerID)
	switch {
	case err == nil:
		return key, how, nil
	case kidErr != nil && problem.CodeOf(err) != problem.BlockedAddress:
		return nil, "", kidErr // what the kid itself led to tells more
	}
	return nil, "", err
}

// bindsKID requires a key a kid dereferenced to to be the issuer's: a key
// from a DID or controller document is by its controller (bindsIssuer); a
// bare JWK or JWK Set entry by where it is published, the issuer id's own
// origin, unless the JWK names another issuer.
func bindsKID(k did.KIDKey, issuerID string) error {
	if k.Source == "" {
		return bindsIssuer(issuerID, k.ID, k.Controller)
	}
	if k.Issuer != "" && k.Issuer != issuerID {
		return problem.New(problem.KeyUnresolved, "the key at %s belongs to %s, not to the issuer %s", hostOf(k.Source), truncate(k.Issuer, 120), truncate(issuerID, 120))
	}
	if !sameOrigin(k.Source, issuerID) {
		return problem.New(problem.KeyUnresolved, "the key at %s is not published on the issuer's site (%s)", hostOf(k.Source), truncate(issuerID, 120))
	}
	return nil
}

// publishedKey looks for the token's key among those the issuer
// publishes: by the key itself (key, from a header jwk or a kid bound to
// someone else) or by the header's kid. A DID issuer publishes the keys of
// its DID document. An https issuer publishes a JWK Set at
// https://{authority}/.well-known/jwks.json (the OB 3.0 implementation
// guide's "Key provenance"), whose entries count unless their "iss" names
// another issuer, and may list keys in its profile's verificationMethod.
func (r *run) publishedKey(ctx context.Context, key crypto.PublicKey, kid, issuerID string) (crypto.PublicKey, string, error) {
	if strings.HasPrefix(issuerID, "did:") {
		if key == nil {
			return nil, "", problem.New(problem.KeyUnresolved, "the token's kid names no key of the issuer %s", truncate(issuerID, 120))
		}
		keys, err := did.DIDKeys(ctx, r.sess, issuerID)
		if err != nil {
			return nil, "", problem.Wrap(err, keyCode(err), "the issuer's DID could not be read: %s", problem.MessageOf(err))
		}
		for _, k := range keys {
			if sameKey(k.Public, key) {
				return key, "the key is one the issuer's DID lists", nil
			}
		}
		return nil, "", problem.New(problem.KeyUnresolved, "the token's key is not one the issuer's DID lists")
	}
	if !isHTTPURL(issuerID) {
		return nil, "", problem.New(problem.KeyUnresolved, "the issuer id %s publishes no keys Backpack can read", truncate(issuerID, 120))
	}
	u, _ := url.Parse(issuerID)
	set, setErr := did.FetchJWKSet(ctx, r.sess, u.Scheme+"://"+u.Host+"/.well-known/jwks.json")
	otherIssuer := false
	for _, e := range set {
		if (kid == "" || e.KID != kid) && (key == nil || !sameKey(e.Public, key)) {
			continue
		}
		if e.Issuer != "" && e.Issuer != issuerID {
			otherIssuer = true
			continue
		}
		return e.Public, "the issuer's JWK Set lists the key", nil
	}
	switch {
	case problem.CodeOf(setErr) == problem.BlockedAddress:
		return nil, "", setErr
	case otherIssuer:
		return nil, "", problem.New(problem.KeyUnresolved, "the issuer's JWK Set gives the key to another issuer")
	case key == nil && setErr != nil:
		return nil, "", problem.Wrap(setErr, problem.KeyUnresolved, "the issuer's JWK Set, where the kid would be listed, could not be read: %s", problem.MessageOf(setErr))
	case key == nil:
		return nil, "", problem.New(problem.KeyUnresolved, "the issuer's JWK Set has no key with the token's kid")
	}
	prof, err := r.fetchJSON(ctx, issuerID, "issuer profile")
	if err == nil {
		for _, k := range did.KeysOf(prof) {
			if sameKey(k.Public, key) {
				return key, "the issuer's profile lists the key", nil
			}
		}
	}
	return nil, "", problem.New(problem.KeyUnresolved, "the token's key is not one the issuer publishes (in its JWK Set or profile)")
}

// keyCode keeps BlockedAddress and Unsupported; anything else that stops
// a key from being found is KeyUnresolved.
func keyCode(err error) Code {
	switch c := problem.CodeOf(err); c {
	case problem.BlockedAddress, problem.Unsupported:
		return c
	}
	return problem.KeyUnresolved
}

// sameKey reports whether two public keys are the same key.
func sameKey(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && b != nil && eq.Equal(b)
}

// sameOrigin reports whether two http(s) URLs share scheme, host and port.
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" || ub.Host == "" {
		return false
	}
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "http") {
			return "80"
		}
		return "443"
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Hostname(), ub.Hostname()) && port(ua) == port(ub)
}

// checkClaims maps the JWT claims onto the credential: iss is the issuer,
// jti the credential id, sub the subject, nbf and exp its validity. Every
// claim that does not match is named in one failed check. When nbf or
// exp disagree with the credential's dates, the stricter of the two is
// what the validity checks then judge by; an exp sets a validUntil the
// credential lacks (OB 3.0 §8.2.4.1).
func (r *run) checkClaims(c *credential, p Object) {
	var wrong []string
	if iss := str(p, "iss"); iss != c.issuer.ID {
		wrong = append(wrong, fmt.Sprintf("iss %q does not name the credential's issuer", truncate(iss, 120)))
	}
	switch jti := str(p, "jti"); {
	case jti == "":
		r.rep.warn(problem.Schema, "the token has no jti claim")
	case jti != c.id:
		wrong = append(wrong, "jti does not match the credential id")
	}
	switch sub := str(p, "sub"); {
	case sub == "":
		r.rep.warn(problem.Schema, "the token has no sub claim")
	case sub != c.subjectID:
		wrong = append(wrong, "sub does not match the credential subject")
	}
	if nbf, ok := numericDate(p["nbf"]); ok {
		if !nbf.Equal(c.validFrom.Truncate(time.Second)) {
			wrong = append(wrong, "nbf does not match validFrom")
			if nbf.After(c.validFrom) {
				c.validFrom = nbf
			}
		}
	} else {
		r.rep.warn(problem.Schema, "the token has no nbf claim")
	}
	if exp, ok := numericDate(p["exp"]); ok {
		switch {
		case c.validUntil == nil:
			c.validUntil = &exp
		case !exp.Equal(c.validUntil.Truncate(time.Second)):
			wrong = append(wrong, "exp does not match validUntil")
			if exp.Before(*c.validUntil) {
				c.validUntil = &exp
			}
		}
	}
	if len(wrong) > 0 {
		r.rep.fail(CheckClaims, problem.New(problem.Schema, "the token's claims do not match the credential: %s", strings.Join(wrong, "; ")))
		return
	}
	r.rep.pass(CheckClaims, "the token's claims match the credential")
}

func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1<<36 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}
