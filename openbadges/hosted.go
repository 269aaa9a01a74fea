package openbadges

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"backpack/openbadges/bake"
	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// hosted verifies a hosted (1.x/2.0) assertion by fetching it at its URL.
// presented is the copy the earner had, if any; fromInput is true when the
// URL itself was the input (it may then also answer with a baked image).
func (r *run) hosted(ctx context.Context, rawURL string, presented *assertion, fromInput bool) {
	r.rep.Format = "hosted"
	resp, err := r.sess.Get(ctx, rawURL, acceptInput, fetch.JSONLimit+fetch.ImageLimit)
	if err != nil {
		r.rep.fail(CheckFetch, err)
		return
	}
	if resp.Status == http.StatusGone {
		r.rep.pass(CheckFetch, "the issuer answered 410 Gone for "+hostOf(rawURL))
		if r.rep.Spec == "" {
			r.rep.Spec = v20 // 410 Gone as revocation is OB 2.0's rule
		}
		r.revoked("the issuer no longer publishes it (410 Gone)")
		return
	}
	if err := resp.Err(); err != nil {
		r.rep.fail(CheckFetch, err)
		return
	}
	if f, ok := bake.Sniff(resp.Body); ok {
		if !fromInput {
			r.rep.fail(CheckFetch, problem.New(problem.Malformed, "the assertion URL answers with an image, not an assertion"))
			return
		}
		r.rep.Source = "url"
		r.image(ctx, resp.Body, f)
		return
	}
	text := strings.TrimSpace(string(resp.Body))
	if fromInput && jwsRE.MatchString(text) {
		r.signed(ctx, text)
		return
	}
	o, err := decodeObject(resp.Body)
	if err != nil {
		r.rep.fail(CheckFetch, problem.Wrap(err, problem.CodeOf(err), "the assertion at %s: %s", hostOf(rawURL), problem.MessageOf(err)))
		return
	}
	if isOB3(o) {
		if !fromInput {
			r.rep.fail(CheckFetch, problem.New(problem.IDMismatch, "the hosted assertion's address answers with an Open Badges 3.0 credential"))
			return
		}
		r.diCredential(ctx, o)
		return
	}
	as, err := readAssertion(o, rawURL)
	if err != nil {
		r.rep.Spec = ob2Version(o)
		r.rep.fail(CheckParse, err)
		return
	}
	r.rep.Spec = as.version
	r.rep.pass(CheckFetch, "fetched the assertion from "+hostOf(rawURL))
	if as.revoked {
		// A revoked stub needs only id and revoked (OB 2.0): no @context.
		if _, ok := o["@context"]; !ok {
			r.rep.Spec = v20
			if presented != nil {
				r.rep.Spec = presented.version
			}
		}
		r.revoked(as.revokeReason)
		return
	}
	if !r.sameAssertion(rawURL, as, presented) {
		return
	}
	if as.verifyType != "hosted" {
		r.rep.fail(CheckSame, problem.New(problem.IDMismatch, "the hosted document is a signed assertion; verify its signed form instead"))
		return
	}
	// From here on every check runs whatever the others found: a badge
	// class that cannot be fetched still lets the report say that the
	// assertion expired or names someone else.
	bc, ip, ok := r.resolve(ctx, as)
	if ok && as.version == v20 {
		r.scope(as, ip)
	}
	r.conclude(as, bc, ip)
}

// sameAssertion requires the fetched document to be the assertion it was
// fetched for: its id (2.0) or verify.url (1.x) is the URL.
func (r *run) sameAssertion(rawURL string, as, presented *assertion) bool {
	declared := as.id
	if as.version == v10 || as.version == v11 {
		declared = as.verifyURL
		if declared == "" {
			declared = as.id
		}
	}
	if as.version != v05 && !sameURL(declared, rawURL) {
		r.rep.fail(CheckSame, problem.New(problem.IDMismatch, "the document at %s says it is %s: not the same assertion", truncate(rawURL, 200), truncate(declared, 200)))
		return false
	}
	if presented != nil && presented.recipient.Identity != as.recipient.Identity {
		r.rep.warn(problem.IDMismatch, "the copy you have differs from the issuer's (recipient); the issuer's copy is used")
	}
	r.rep.pass(CheckSame, "the issuer hosts this assertion at its own address")
	return true
}

func sameURL(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	ua.Host, ub.Host = strings.ToLower(ua.Host), strings.ToLower(ub.Host)
	ua.Scheme, ub.Scheme = strings.ToLower(ua.Scheme), strings.ToLower(ub.Scheme)
	return ua.String() == ub.String()
}

// scope checks that a hosted 2.0 assertion lives where its issuer allows:
// under one of verification.startsWith, on one of allowedOrigins, or by
// default on the issuer id's own origin.
func (r *run) scope(as *assertion, ip *issuerProfile) {
	aURL, err := url.Parse(as.id)
	if err != nil {
		r.rep.fail(CheckScope, problem.New(problem.Schema, "the assertion id is not a URL"))
		return
	}
	if v := ip.verification; v != nil {
		if starts := strList(v["startsWith"]); len(starts) > 0 {
			for _, s := range starts {
				if strings.HasPrefix(as.id, s) {
					r.rep.pass(CheckScope, "the assertion is under an address the issuer allows")
					return
				}
			}
			r.rep.fail(CheckScope, problem.New(problem.IDMismatch, "the issuer only allows assertions under %s; this one is at %s", truncate(strings.Join(starts, ", "), 200), truncate(as.id, 200)))
			return
		}
		if origins := strList(v["allowedOrigins"]); len(origins) > 0 {
			for _, o := range origins {
				if strings.EqualFold(o, aURL.Host) {
					r.rep.pass(CheckScope, "the assertion is hosted on "+aURL.Host+", which the issuer allows")
					return
				}
			}
			r.rep.fail(CheckScope, problem.New(problem.IDMismatch, "the assertion is hosted on %s, which the issuer does not allow", aURL.Host))
			return
		}
	}
	iURL, err := url.Parse(ip.ID)
	if err != nil || !isHTTPURL(ip.ID) {
		r.rep.warn(problem.IDMismatch, "the issuer has no web address, so where the assertion is hosted cannot be checked")
		r.rep.pass(CheckScope, "not checked: the issuer id is not a web address")
		return
	}
	if !strings.EqualFold(iURL.Host, aURL.Host) {
		r.rep.fail(CheckScope, problem.New(problem.IDMismatch, "the assertion is hosted on %s but the issuer is %s", aURL.Host, iURL.Host))
		return
	}
	r.rep.pass(CheckScope, "the assertion is hosted on the issuer's own site ("+aURL.Host+")")
}
