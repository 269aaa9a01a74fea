package openbadges

import (
	"context"
	"fmt"
	"time"

	"backpack/openbadges/problem"
)

// resolve finds the assertion's BadgeClass and Issuer, fetching those given
// by URL.
func (r *run) resolve(ctx context.Context, as *assertion) (*badgeClass, *issuerProfile, bool) {
	bcObj, err := r.node(ctx, as.badge, "badge class")
	if err != nil {
		r.rep.fail(CheckBadgeClass, err)
		return nil, nil, false
	}
	bc, err := readBadgeClass(bcObj, as.version)
	if err != nil {
		r.rep.fail(CheckBadgeClass, err)
		return nil, nil, false
	}
	r.rep.pass(CheckBadgeClass, "badge class "+quote(bc.name))
	ipObj, err := r.node(ctx, bc.issuer, "issuer profile")
	if err != nil {
		r.rep.fail(CheckIssuer, err)
		return nil, nil, false
	}
	ip, err := readIssuer(ipObj, as.version)
	if err != nil {
		r.rep.fail(CheckIssuer, err)
		return nil, nil, false
	}
	r.rep.pass(CheckIssuer, "issued by "+quote(ip.Name))
	return bc, ip, true
}

// node returns v if it is an embedded object, or fetches it if it is a URL.
func (r *run) node(ctx context.Context, v any, what string) (Object, error) {
	switch v := v.(type) {
	case Object:
		return v, nil
	case string:
		if !isHTTPURL(v) {
			return nil, problem.New(problem.Schema, "the %s is neither embedded nor a web address", what)
		}
		o, err := r.fetchJSON(ctx, v, what)
		if err == nil && str(o, "id") != "" && !sameURL(str(o, "id"), v) {
			r.rep.warn(problem.IDMismatch, fmt.Sprintf("the %s fetched from %s says its address is %s", what, truncate(v, 200), truncate(str(o, "id"), 200)))
		}
		return o, err
	}
	return nil, problem.New(problem.Schema, "the %s is missing", what)
}

func quote(s string) string { return "“" + truncate(s, 120) + "”" }

// conclude builds the normalised badge and runs the checks every format
// shares: dates and recipient. Without the badge class or the issuer
// (they could not be fetched) there is no badge to show, but the
// assertion's own dates and recipient are still checked.
func (r *run) conclude(as *assertion, bc *badgeClass, ip *issuerProfile) {
	for _, w := range as.warnings {
		r.rep.warn(problem.Schema, w)
	}
	r.dates(as.issuedOn, as.expires)
	r.recipient(as.recipient)
	if bc == nil || ip == nil {
		return
	}
	b := &Badge{
		ID: as.id, Name: bc.name, Description: bc.description, Image: bc.image,
		Criteria: bc.criteria, Issuer: ip.Issuer, IssuedOn: as.issuedOn, Expires: as.expires,
		Recipient: as.recipient, Narrative: as.narrative, Evidence: as.evidence,
		Alignments: bc.alignments, Tags: bc.tags, BadgeClass: bc.id,
	}
	if as.image != "" {
		b.Image = as.image
	}
	r.rep.Badge = b
}

func (r *run) dates(issued time.Time, expires *time.Time) {
	switch {
	case issued.IsZero():
		r.rep.warn(problem.Schema, "the badge does not say when it was issued")
	case issued.After(r.now.Add(clockSkew)):
		r.rep.fail(CheckIssued, problem.New(problem.NotYetValid, "issued in the future (%s)", issued.Format(time.RFC3339)))
	default:
		r.rep.pass(CheckIssued, "issued "+issued.Format("2 January 2006"))
	}
	if expires == nil {
		r.rep.pass(CheckExpiry, "does not expire")
		return
	}
	switch {
	case !issued.IsZero() && expires.Before(issued):
		r.rep.fail(CheckExpiry, problem.New(problem.Schema, "expires (%s) before it was issued", expires.Format(time.RFC3339)))
	case !r.now.Before(*expires):
		r.rep.fail(CheckExpiry, problem.New(problem.Expired, "expired on %s", expires.Format("2 January 2006")))
	default:
		r.rep.pass(CheckExpiry, "valid until "+expires.Format("2 January 2006"))
	}
}

// clockSkew tolerates issuer clocks a little ahead of ours.
const clockSkew = 5 * time.Minute

func (r *run) recipient(rec Recipient) {
	if len(r.ids) == 0 {
		return
	}
	id, ok := MatchRecipient(rec, r.ids)
	r.rep.Recipient.Matched = &ok
	if ok {
		r.rep.Recipient.Identity = id.Value
		r.rep.pass(CheckRecipient, "issued to "+id.Value)
		return
	}
	msg := "issued to someone else"
	if s, readable := ReadableRecipient(rec); readable {
		msg = "issued to " + truncate(s, 120) + ", not to you"
	} else if rec.Hashed {
		msg = "issued to a hashed " + or(rec.Type, "email") + " that matches none of your identities"
	}
	r.rep.fail(CheckRecipient, problem.New(problem.RecipientMismatch, "%s", msg))
}
