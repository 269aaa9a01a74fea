package openbadges

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/url"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// Signed badges: a compact JWS whose payload is the assertion, signed with
// a key the issuer publishes. The key is never taken from the token.

const maxJWS = 64 << 10

// jwsAlgs are the algorithms accepted for OB 1.0/2.0 signed badges:
// asymmetric only, so "none", HS256 and RSA-key-as-HMAC-secret confusion
// are impossible.
var jwsAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.ES256, jose.ES384}

// jwsHeader reads the protected header without trusting it.
func jwsHeader(token string) (Object, error) {
	h, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil, problem.New(problem.Malformed, "the signed badge's header is not base64url")
	}
	return decodeObject(raw)
}

// jwsPayload decodes the payload segment without verifying it.
func jwsPayload(token string) ([]byte, error) {
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, problem.New(problem.Malformed, "the signed badge's payload is not base64url")
	}
	return raw, nil
}

// parseJWS checks the shape and algorithm of a compact JWS before any
// cryptography. It returns the unverified payload: used only to find the
// issuer and key, and replaced by the verified payload before anything is
// shown.
func parseJWS(token string) (*jose.JSONWebSignature, Object, error) {
	if len(token) > maxJWS {
		return nil, nil, problem.New(problem.TooLarge, "the signed badge is larger than %d KiB", maxJWS>>10)
	}
	if strings.Count(token, ".") != 2 || !jwsRE.MatchString(token) {
		return nil, nil, problem.New(problem.Malformed, "not a compact JWS (three base64url parts separated by dots)")
	}
	h, err := jwsHeader(token)
	if err != nil {
		return nil, nil, err
	}
	alg := str(h, "alg")
	ok := false
	for _, a := range jwsAlgs {
		ok = ok || string(a) == alg
	}
	if !ok {
		return nil, nil, problem.New(problem.Unsupported, "signature algorithm %q is not accepted (only RS256/384/512, PS256, ES256, ES384)", truncate(alg, 20))
	}
	if _, crit := h["crit"]; crit {
		return nil, nil, problem.New(problem.Unsupported, "the signature has critical header extensions")
	}
	sig, err := jose.ParseSignedCompact(token, jwsAlgs)
	if err != nil {
		return nil, nil, problem.Wrap(err, problem.Malformed, "the signed badge could not be parsed")
	}
	raw, err := jwsPayload(token)
	if err != nil {
		return nil, nil, err
	}
	payload, err := decodeObject(raw)
	if err != nil {
		return nil, nil, problem.Wrap(err, problem.CodeOf(err), "the signed badge's payload: %s", problem.MessageOf(err))
	}
	return sig, payload, nil
}

// signed verifies a signed OB 1.0/2.0 assertion given as a compact JWS.
func (r *run) signed(ctx context.Context, token string) {
	if isVCJWT(token) {
		r.vcJWT(ctx, token)
		return
	}
	r.rep.Format = "signed"
	sig, payload, err := parseJWS(token)
	if err != nil {
		r.rep.fail(CheckParse, err)
		return
	}
	as, err := readAssertion(payload, "")
	if err != nil {
		r.rep.Spec = ob2Version(payload)
		r.rep.fail(CheckParse, err)
		return
	}
	r.rep.Spec = as.version
	if as.verifyType != "signed" {
		r.rep.fail(CheckParse, problem.New(problem.Schema, "the signed payload says it is verified as %q, not signed", as.verifyType))
		return
	}
	r.rep.pass(CheckParse, "signed Open Badges "+as.version+" assertion")
	// From here on every check runs whatever the others found (the
	// issuer's keys and revocation list need its profile): a key that
	// cannot be found still lets the report say that the badge is revoked
	// or expired.
	bc, ip, ok := r.resolve(ctx, as)
	if ok {
		if keys, err := r.signingKeys(ctx, as, ip); err != nil {
			r.rep.fail(CheckKey, err)
		} else {
			r.verifySignature(sig, keys)
		}
		r.notRevoked(ctx, as, ip)
	}
	r.conclude(as, bc, ip)
}

// isVCJWT tells a VC-JWT (OB 3.0) from an OB 1.0/2.0 signed assertion by
// its unverified payload: only to choose the path, which then verifies.
func isVCJWT(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(token) > maxJWS {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	o, err := decodeObject(raw)
	if err != nil {
		return false
	}
	_, vc := o["vc"].(Object)
	return vc || isOB3(o)
}

// signingKey is a public key the issuer publishes.
type signingKey struct {
	id  string
	key any
}

// signingKeys returns the keys the signature may be made with. OB 2.0: the
// assertion's verification.creator, which the issuer's profile must list
// in publicKey (or, without a creator, every key the profile lists); each
// CryptographicKey must name the issuer as owner. OB 1.0: verify.url is
// the issuer's PEM key, on the issuer's own site.
func (r *run) signingKeys(ctx context.Context, as *assertion, ip *issuerProfile) ([]signingKey, error) {
	if as.version == v10 || as.version == v11 || as.version == v05 {
		return r.legacyKey(ctx, as, ip)
	}
	if !isHTTPURL(ip.ID) {
		return nil, problem.New(problem.KeyUnresolved, "the issuer has no web address to publish keys at")
	}
	ids := ip.publicKeys
	if as.creator != "" {
		listed := false
		for _, k := range ip.publicKeys {
			listed = listed || k == as.creator
		}
		if !listed {
			return nil, problem.New(problem.KeyUnresolved, "the badge was signed with a key (%s) that the issuer's profile does not list", truncate(as.creator, 200))
		}
		ids = []string{as.creator}
	}
	if len(ids) == 0 {
		return nil, problem.New(problem.KeyUnresolved, "the issuer's profile lists no public key")
	}
	var keys []signingKey
	var lastErr error
	for _, id := range ids {
		doc, err := r.fetchJSON(ctx, id, "public key")
		if err != nil {
			lastErr = err
			continue
		}
		if owner := idOf(doc["owner"]); owner != "" && owner != ip.ID {
			lastErr = problem.New(problem.KeyUnresolved, "the key %s belongs to %s, not to the issuer", truncate(id, 200), truncate(owner, 200))
			continue
		}
		if doc["id"] != nil && str(doc, "id") != id {
			lastErr = problem.New(problem.KeyUnresolved, "the key document at %s says it is another key", truncate(id, 200))
			continue
		}
		k, err := parsePublicKey(str(doc, "publicKeyPem"))
		if err != nil {
			lastErr = err
			continue
		}
		keys = append(keys, signingKey{id: id, key: k})
	}
	if len(keys) == 0 {
		if problem.CodeOf(lastErr) == problem.BlockedAddress {
			return nil, lastErr
		}
		return nil, problem.Wrap(lastErr, problem.KeyUnresolved, "no usable public key: %s", problem.MessageOf(lastErr))
	}
	r.rep.pass(CheckKey, "the issuer publishes the signing key")
	return keys, nil
}

func (r *run) legacyKey(ctx context.Context, as *assertion, ip *issuerProfile) ([]signingKey, error) {
	if !isHTTPURL(as.verifyURL) {
		return nil, problem.New(problem.KeyUnresolved, "the signed 1.0 badge names no key URL")
	}
	ku, _ := url.Parse(as.verifyURL)
	iu, err := url.Parse(ip.URL)
	if err != nil || !strings.EqualFold(ku.Hostname(), iu.Hostname()) {
		return nil, problem.New(problem.KeyUnresolved, "the key %s is not on the issuer's site", truncate(as.verifyURL, 200))
	}
	resp, err := r.sess.Get(ctx, as.verifyURL, "application/x-pem-file, text/plain, */*", 64<<10)
	if err != nil {
		return nil, err
	}
	if err := resp.Err(); err != nil {
		return nil, err
	}
	k, err := parsePublicKey(string(resp.Body))
	if err != nil {
		return nil, err
	}
	r.rep.pass(CheckKey, "the issuer publishes the signing key on its site")
	return []signingKey{{id: as.verifyURL, key: k}}, nil
}

// parsePublicKey reads an RSA (2048 bits or more) or ECDSA P-256/P-384
// public key from PEM.
func parsePublicKey(p string) (any, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(p)))
	if block == nil {
		return nil, problem.New(problem.KeyUnresolved, "the issuer's key is not a PEM public key")
	}
	var k any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		k, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		k, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, problem.New(problem.KeyUnresolved, "the issuer's key is a %q, not a public key", truncate(block.Type, 30))
	}
	if err != nil {
		return nil, problem.Wrap(err, problem.KeyUnresolved, "the issuer's public key cannot be read")
	}
	switch k := k.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, problem.New(problem.KeyUnresolved, "the issuer's RSA key is too short (%d bits)", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return nil, problem.New(problem.KeyUnresolved, "the issuer's key uses an unsupported curve")
		}
	default:
		return nil, problem.New(problem.KeyUnresolved, "the issuer's key type is not supported")
	}
	return k, nil
}

// verifySignature checks the JWS with each trusted key.
func (r *run) verifySignature(sig *jose.JSONWebSignature, keys []signingKey) {
	for _, k := range keys {
		if _, err := sig.Verify(k.key); err == nil {
			r.rep.pass(CheckSignature, "signed with the issuer's key")
			return
		}
	}
	r.rep.fail(CheckSignature, problem.New(problem.SignatureInvalid, "the signature does not match the issuer's key: the badge was altered or signed by someone else"))
}

// notRevoked checks the issuer's revocation list, if it has one. OB 2.0
// lists revoked assertion ids (or legacy uids); OB 1.0 lists map uids to
// reasons.
func (r *run) notRevoked(ctx context.Context, as *assertion, ip *issuerProfile) {
	if ip.revocationList == "" {
		r.rep.pass(CheckRevocation, "the issuer publishes no revocation list")
		return
	}
	resp, err := r.sess.Get(ctx, ip.revocationList, acceptJSON, fetch.JSONLimit)
	if err == nil {
		err = resp.Err()
	}
	if err != nil {
		r.rep.fail(CheckRevocation, problem.Wrap(err, problem.CodeOf(err), "the revocation list could not be checked: %s", problem.MessageOf(err)))
		return
	}
	o, err := decodeObject(resp.Body)
	if err != nil {
		r.rep.fail(CheckRevocation, problem.Wrap(err, problem.CodeOf(err), "the revocation list: %s", problem.MessageOf(err)))
		return
	}
	entries, isList := o["revokedAssertions"]
	if !isList {
		if reason, ok := o[as.uid]; ok && as.uid != "" && as.version != v20 { // 1.0: {uid: reason}
			s, _ := reason.(string)
			r.revoked(s)
			return
		}
		r.rep.pass(CheckRevocation, "not on the issuer's revocation list")
		return
	}
	for _, e := range list(entries) {
		var id, uid, reason string
		switch e := e.(type) {
		case string:
			id = e
		case Object:
			id, uid, reason = str(e, "id"), str(e, "uid"), str(e, "revocationReason")
		}
		if (id != "" && id == as.id) || (uid != "" && uid == as.uid) {
			r.revoked(reason)
			return
		}
	}
	r.rep.pass(CheckRevocation, "not on the issuer's revocation list")
}
