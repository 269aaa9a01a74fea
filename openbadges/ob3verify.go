package openbadges

import (
	"context"
	"fmt"
	"strings"
	"time"

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
// Integrity proof. Once the credential can be read, every check runs
// whatever the others found: a proof that fails still lets the report say
// that the credential has expired, is revoked or was issued to someone
// else.
func (r *run) diCredential(ctx context.Context, o Object) {
	r.rep.Spec, r.rep.Format = v30, "data-integrity"
	c, err := readCredential(o)
	if err != nil {
		r.rep.fail(CheckParse, err)
		return
	}
	r.rep.pass(CheckParse, "Open Badges 3.0 credential (Verifiable Credentials "+c.vcVersion+")")
	// An issuer may sign a credential when it becomes valid, ahead of
	// now: its proof's creation is judged at validFrom, so that such a
	// credential is reported not yet valid (by its dates), not forged.
	proofNow := r.now
	if c.validFrom.After(proofNow) {
		proofNow = c.validFrom
	}
	res, err := dataintegrity.Verify(ctx, o, r.resolveKey, proofNow)
	if err == nil {
		err = bindsIssuer(c.issuer.ID, res.Key.ID, res.Key.Controller)
		if err != nil {
			r.rep.fail(CheckKey, err)
		} else {
			r.rep.pass(CheckKey, "the signing key belongs to the issuer ("+truncate(c.issuer.ID, 120)+")")
			r.rep.pass(CheckProof, "signed with "+proofName(res))
		}
	} else {
		r.rep.fail(CheckProof, err)
	}
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

// concludeOB3 runs the checks all OB 3.0 formats share: status, validity
// window, recipient.
func (r *run) concludeOB3(ctx context.Context, c *credential) {
	r.rep.Badge = c.badge
	c.badge.Expires = c.validUntil
	for _, w := range c.warnings {
		r.rep.warn(problem.Schema, w)
	}
	r.schemaChecks(c)
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
