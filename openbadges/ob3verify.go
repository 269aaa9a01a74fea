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

	"backpack/openbadges/dataintegrity"
	"backpack/openbadges/did"
	"backpack/openbadges/problem"
	"backpack/openbadges/status"
)

// Checks specific to Open Badges 3.0.
const (
	CheckProof  = "proof"
	CheckStatus = "status"
	CheckClaims = "jwt-claims"
)

// diCredential verifies an OB 3.0 credential with an embedded Data
// Integrity proof.
func (r *run) diCredential(ctx context.Context, o Object) {
	r.rep.Spec, r.rep.Format = v30, "data-integrity"
	c, err := readCredential(o)
	if err != nil {
		r.rep.fail(CheckParse, err)
		return
	}
	r.rep.pass(CheckParse, "Open Badges 3.0 credential (Verifiable Credentials "+c.vcVersion+")")
	res, err := dataintegrity.Verify(ctx, o, r.resolveKey, r.now)
	if err != nil {
		r.rep.fail(CheckProof, err)
		return
	}
	if err := bindsIssuer(c.issuer.ID, res.Key.ID, res.Key.Controller); err != nil {
		r.rep.fail(CheckKey, err)
		return
	}
	r.rep.pass(CheckKey, "the signing key belongs to the issuer ("+truncate(c.issuer.ID, 120)+")")
	r.rep.pass(CheckProof, "signed with "+proofName(res))
	r.concludeOB3(ctx, c)
}

func proofName(res dataintegrity.Result) string {
	if res.Cryptosuite != "" {
		return res.Cryptosuite
	}
	return res.Type
}

// resolveKey resolves a verification method through the guarded session.
func (r *run) resolveKey(ctx context.Context, vm string) (dataintegrity.Key, error) {
	k, err := did.Resolve(ctx, r.sess, vm)
	if err != nil {
		return dataintegrity.Key{}, err
	}
	return dataintegrity.Key{ID: k.ID, Controller: k.Controller, Public: k.Public}, nil
}

// bindsIssuer requires the key to be the issuer's: its controller is the
// issuer id, or the key is a method of the issuer's DID.
func bindsIssuer(issuerID, keyID, controller string) error {
	if controller == issuerID || (strings.HasPrefix(issuerID, "did:") && strings.HasPrefix(keyID, issuerID+"#")) {
		return nil
	}
	return problem.New(problem.KeyUnresolved, "the signing key belongs to %s, not to the issuer %s", truncate(or(controller, keyID), 120), truncate(issuerID, 120))
}

// vcJWTAlgs are the algorithms accepted for VC-JWT.
var vcJWTAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.ES256, jose.ES384, jose.EdDSA}

// vcJWT verifies an OB 3.0 credential given as a VC-JWT.
func (r *run) vcJWT(ctx context.Context, token string) {
	r.rep.Spec, r.rep.Format = v30, "vc-jwt"
	c, payload, err := r.checkVCJWT(ctx, token)
	if err != nil {
		return
	}
	if err := r.checkClaims(c, payload); err != nil {
		r.rep.fail(CheckClaims, err)
		return
	}
	r.concludeOB3(ctx, c)
}

// checkVCJWT parses the token, reads the credential, finds the issuer's
// key and verifies the signature, recording checks. The payload is the
// verified one.
func (r *run) checkVCJWT(ctx context.Context, token string) (*credential, Object, error) {
	sig, header, payload, err := parseVCJWT(token)
	if err != nil {
		r.rep.fail(CheckParse, err)
		return nil, nil, err
	}
	credObj := payload
	vcClaim, hasVC := payload["vc"].(Object)
	if hasVC {
		credObj = vcClaim
	}
	c, err := readCredential(credObj)
	if err != nil {
		r.rep.fail(CheckParse, err)
		return nil, nil, err
	}
	if hasVC && c.vcVersion != "1.1" {
		err := schemaErr("vc", "a vc claim holds a Verifiable Credentials 1.1 credential, but its context is 2.0")
		r.rep.fail(CheckParse, err)
		return nil, nil, err
	}
	r.rep.pass(CheckParse, "Open Badges 3.0 credential (Verifiable Credentials "+c.vcVersion+") in a JWT")
	key, how, err := r.jwtKey(ctx, header, c.issuer.ID)
	if err != nil {
		r.rep.fail(CheckKey, err)
		return nil, nil, err
	}
	r.rep.pass(CheckKey, how)
	verified, err := sig.Verify(key)
	if err != nil || !bytes.Equal(verified, mustPayload(token)) {
		err := problem.New(problem.SignatureInvalid, "the signature does not match the issuer's key: the credential was altered or signed by someone else")
		r.rep.fail(CheckSignature, err)
		return nil, nil, err
	}
	r.rep.pass(CheckSignature, "signed with the issuer's key ("+str(header, "alg")+")")
	return c, payload, nil
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

// jwtKey finds the key a VC-JWT must be verified with. A kid is resolved
// (a DID URL, or a URL the issuer controls) and must belong to the issuer;
// a jwk in the header is only used when the issuer publishes the very same
// key, since anyone can put a key in a token.
// It also says how the key was found, for the report.
func (r *run) jwtKey(ctx context.Context, h Object, issuerID string) (crypto.PublicKey, string, error) {
	if kid := str(h, "kid"); kid != "" {
		if strings.HasPrefix(kid, "#") {
			kid = issuerID + kid
		}
		k, err := did.Resolve(ctx, r.sess, kid)
		if err != nil {
			return nil, "", err
		}
		if err := bindsIssuer(issuerID, k.ID, k.Controller); err != nil {
			return nil, "", err
		}
		return k.Public, "the signing key belongs to the issuer (" + truncate(issuerID, 120) + ")", nil
	}
	jwk, ok := h["jwk"].(Object)
	if !ok {
		return nil, "", problem.New(problem.KeyUnresolved, "the token names no key (no kid or jwk)")
	}
	pub, err := did.PublicKeyFromJWK(jwk)
	if err != nil {
		return nil, "", err
	}
	published, err := r.issuerKeys(ctx, issuerID)
	if err != nil {
		return nil, "", problem.Wrap(err, problem.KeyUnresolved, "the token carries its own key and the issuer's published keys could not be read: %s", problem.MessageOf(err))
	}
	for _, k := range published {
		if eq, ok := k.(interface{ Equal(crypto.PublicKey) bool }); ok && eq.Equal(pub) {
			return pub, "the key in the token is one the issuer publishes", nil
		}
	}
	return nil, "", problem.New(problem.KeyUnresolved, "the token carries its own key, which the issuer does not publish")
}

// issuerKeys returns the keys an issuer publishes: a did:key is its own
// key; an https issuer's profile lists verification methods, and its site
// may serve a JWK Set at /.well-known/jwks.json.
func (r *run) issuerKeys(ctx context.Context, issuerID string) ([]crypto.PublicKey, error) {
	switch {
	case strings.HasPrefix(issuerID, "did:key:"):
		pub, err := did.PublicKeyFromMultibase(strings.TrimPrefix(issuerID, "did:key:"))
		if err != nil {
			return nil, err
		}
		return []crypto.PublicKey{pub}, nil
	case isHTTPURL(issuerID):
	default:
		return nil, problem.New(problem.KeyUnresolved, "the issuer id %s publishes no keys Backpack can read", truncate(issuerID, 120))
	}
	var keys []crypto.PublicKey
	var lastErr error
	if prof, err := r.fetchJSON(ctx, issuerID, "issuer profile"); err == nil {
		for _, k := range did.KeysOf(prof) {
			keys = append(keys, k.Public)
		}
	} else {
		lastErr = err
	}
	u, _ := url.Parse(issuerID)
	if set, err := r.fetchJSON(ctx, u.Scheme+"://"+u.Host+"/.well-known/jwks.json", "JWK Set"); err == nil {
		for _, k := range list(set["keys"]) {
			if m, ok := k.(Object); ok {
				if pub, err := did.PublicKeyFromJWK(m); err == nil {
					keys = append(keys, pub)
				}
			}
		}
	} else if lastErr == nil {
		lastErr = err
	}
	if len(keys) == 0 && lastErr != nil {
		return nil, lastErr
	}
	return keys, nil
}

// checkClaims maps the JWT claims onto the credential: iss is the issuer,
// jti the credential id, sub the subject, nbf and exp its validity.
func (r *run) checkClaims(c *credential, p Object) error {
	if iss := str(p, "iss"); iss != c.issuer.ID {
		return schemaErr("iss", "%q does not name the credential's issuer", truncate(iss, 120))
	}
	switch jti := str(p, "jti"); {
	case jti == "":
		r.rep.warn(problem.Schema, "the token has no jti claim")
	case jti != c.id:
		return schemaErr("jti", "does not match the credential id")
	}
	switch sub := str(p, "sub"); {
	case sub == "":
		r.rep.warn(problem.Schema, "the token has no sub claim")
	case sub != c.subjectID:
		return schemaErr("sub", "does not match the credential subject")
	}
	if nbf, ok := numericDate(p["nbf"]); ok {
		if !nbf.Equal(c.validFrom.Truncate(time.Second)) {
			return schemaErr("nbf", "does not match validFrom")
		}
	} else {
		r.rep.warn(problem.Schema, "the token has no nbf claim")
	}
	if exp, ok := numericDate(p["exp"]); ok {
		switch {
		case c.validUntil == nil:
			c.validUntil = &exp
		case !exp.Equal(c.validUntil.Truncate(time.Second)):
			return schemaErr("exp", "does not match validUntil")
		}
	}
	r.rep.pass(CheckClaims, "the token's claims match the credential")
	return nil
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

// concludeOB3 runs the checks all OB 3.0 formats share: status, validity
// window, recipient.
func (r *run) concludeOB3(ctx context.Context, c *credential) {
	r.rep.Badge = c.badge
	c.badge.Expires = c.validUntil
	for _, w := range c.warnings {
		r.rep.warn(problem.Schema, w)
	}
	if c.status != nil {
		results, err := status.Check(ctx, r.sess, c.status, c.id, c.issuer.ID, r.now, r.verifyStatusList)
		r.statusResults(results, err)
	}
	switch {
	case c.validFrom.After(r.now.Add(clockSkew)):
		r.rep.fail(CheckIssued, problem.New(problem.NotYetValid, "not valid before %s", c.validFrom.Format(time.RFC3339)))
	default:
		r.rep.pass(CheckIssued, "valid from "+c.validFrom.Format("2 January 2006"))
	}
	switch {
	case c.validUntil == nil:
		r.rep.pass(CheckExpiry, "does not expire")
	case !r.now.Before(*c.validUntil):
		r.rep.fail(CheckExpiry, problem.New(problem.Expired, "expired on %s", c.validUntil.Format("2 January 2006")))
	default:
		r.rep.pass(CheckExpiry, "valid until "+c.validUntil.Format("2 January 2006"))
	}
	if len(r.ids) == 0 {
		return
	}
	id, ok := c.matchRecipient(r.ids)
	r.rep.Recipient.Matched = &ok
	if ok {
		r.rep.Recipient.Identity = id.Value
		r.rep.pass(CheckRecipient, "issued to "+id.Value)
		return
	}
	msg := "issued to someone else"
	if len(c.identifiers) > 0 {
		if s, readable := ReadableRecipient(c.identifiers[0]); readable {
			msg = "issued to " + truncate(s, 120) + ", not to you"
		} else {
			msg = "issued to a hashed identity that matches none of yours"
		}
	}
	r.rep.fail(CheckRecipient, problem.New(problem.RecipientMismatch, "%s", msg))
}

// statusResults records the status outcome. A revocation found by one
// entry counts even when another entry could not be checked.
func (r *run) statusResults(results []status.Result, err error) {
	for _, s := range results {
		switch {
		case s.Revoked:
			r.revoked(s.Reason)
			return
		case s.Suspended:
			r.rep.fail(CheckStatus, problem.New(problem.Revoked, "the issuer has suspended this credential"))
			r.rep.Revoked = true
			return
		}
	}
	if err != nil {
		r.rep.fail(CheckStatus, problem.Wrap(err, problem.CodeOf(err), "the status could not be checked: %s", problem.MessageOf(err)))
		return
	}
	for _, s := range results {
		if s.Unchecked || s.Note != "" {
			r.rep.warn(problem.FetchFailed, fmt.Sprintf("status: %s", s.Note))
		}
	}
	r.rep.pass(CheckStatus, "not revoked or suspended")
}

// verifyStatusList verifies a status list credential like any credential:
// its proof and that its key belongs to its issuer.
func (r *run) verifyStatusList(ctx context.Context, raw []byte) (map[string]any, error) {
	text := strings.TrimSpace(string(raw))
	if jwsRE.MatchString(text) {
		sig, h, payload, err := parseVCJWT(text)
		if err != nil {
			return nil, err
		}
		doc := payload
		if vc, ok := payload["vc"].(Object); ok {
			doc = vc
		}
		issuer := idOf(doc["issuer"])
		key, _, err := r.jwtKey(ctx, h, issuer)
		if err != nil {
			return nil, err
		}
		if _, err := sig.Verify(key); err != nil {
			return nil, problem.New(problem.SignatureInvalid, "the status list's signature does not match")
		}
		return doc, nil
	}
	doc, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	res, err := dataintegrity.Verify(ctx, doc, r.resolveKey, r.now)
	if err != nil {
		return nil, problem.Wrap(err, problem.CodeOf(err), "the status list: %s", problem.MessageOf(err))
	}
	if err := bindsIssuer(idOf(doc["issuer"]), res.Key.ID, res.Key.Controller); err != nil {
		return nil, err
	}
	return doc, nil
}
