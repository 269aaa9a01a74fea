package status

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// bitstring evaluates a BitstringStatusListEntry or StatusList2021Entry:
// listType is the type its status list credential must have, format the
// encoding of its encodedList.
func (c *checker) bitstring(ctx context.Context, e map[string]any, typ, listType, format string) (Result, error) {
	purpose := strings.TrimSpace(str(e["statusPurpose"]))
	r := Result{Type: typ, Purpose: purpose}
	switch purpose {
	case "":
		return r, problem.New(problem.Schema, "the %s has no statusPurpose", typ)
	case Revocation, Suspension:
	default:
		r.Note = fmt.Sprintf("status purpose %q is neither revocation nor suspension; not checked", clip(purpose))
		return r, nil
	}
	if size, ok := e["statusSize"]; ok {
		if n, err := parseIndex(size); err != nil || n != 1 {
			return r, problem.New(problem.Unsupported, "a statusSize other than 1 is not supported for %s", purpose)
		}
	}
	rawIndex, ok := e["statusListIndex"]
	if !ok {
		return r, problem.New(problem.Schema, "the %s has no statusListIndex", typ)
	}
	index, err := parseIndex(rawIndex)
	if err != nil {
		return r, err
	}
	r.URL = str(e["statusListCredential"])
	if r.URL == "" {
		return r, problem.New(problem.Schema, "the %s has no statusListCredential", typ)
	}
	host := hostOf(r.URL)

	list, err := c.list(ctx, r.URL)
	if err != nil {
		return r, err
	}
	if !slices.Contains(stringList(list["type"]), listType) {
		return r, problem.New(problem.Schema, "the status list at %s is not a %s", host, listType)
	}
	if err := c.current(list, host); err != nil {
		return r, err
	}
	subject := object(list["credentialSubject"])
	if subject == nil {
		return r, problem.New(problem.Schema, "the status list at %s has no credentialSubject", host)
	}
	if !slices.Contains(stringList(subject["statusPurpose"]), purpose) {
		return r, problem.New(problem.Schema, "the status list at %s is not published for %s", host, purpose)
	}
	encoded, ok := subject["encodedList"].(string)
	if !ok || encoded == "" {
		return r, problem.New(problem.Schema, "the status list at %s has no encodedList", host)
	}
	set, err := Bit(encoded, format, index)
	if err != nil {
		return r, problem.Wrap(err, problem.CodeOf(err), "the status list at %s: %s", host, problem.MessageOf(err))
	}

	listIssuer := idOf(list["issuer"])
	if listIssuer == "" {
		listIssuer = str(list["iss"]) // a VC-JWT payload
	}
	sameIssuer := c.issuerID != "" && listIssuer == c.issuerID
	switch {
	case set && purpose == Revocation:
		r.Revoked = true
	case set:
		r.Suspended = true
	case !sameIssuer:
		r.Unchecked = true
		r.Note = fmt.Sprintf("the status list at %s is not issued by the credential's issuer, so it cannot confirm the credential's %s status", host, purpose)
		return r, nil
	}
	if !sameIssuer {
		r.Note = fmt.Sprintf("the status list at %s is not issued by the credential's issuer", host)
	}
	return r, nil
}

// list fetches and verifies the status list credential at rawURL, once
// per Check.
func (c *checker) list(ctx context.Context, rawURL string) (map[string]any, error) {
	if f, ok := c.lists[rawURL]; ok {
		return f.cred, f.err
	}
	f := &fetched{}
	f.cred, f.err = c.fetchList(ctx, rawURL)
	c.lists[rawURL] = f
	return f.cred, f.err
}

func (c *checker) fetchList(ctx context.Context, rawURL string) (map[string]any, error) {
	host := hostOf(rawURL)
	resp, err := c.g.Get(ctx, rawURL, acceptList, fetch.JSONLimit)
	if err == nil {
		err = resp.Err()
	}
	if err != nil {
		return nil, problem.Wrap(err, problem.CodeOf(err), "the status list could not be fetched: %s", problem.MessageOf(err))
	}
	if c.verify == nil {
		return nil, problem.New(problem.Unsupported, "status lists cannot be verified here")
	}
	cred, err := c.verify(ctx, resp.Body)
	if err != nil {
		if problem.CodeOf(err) == "" {
			return nil, problem.Wrap(err, problem.SignatureInvalid, "the status list at %s could not be verified", host)
		}
		return nil, problem.Wrap(err, problem.CodeOf(err), "the status list at %s could not be verified: %s", host, problem.MessageOf(err))
	}
	if cred == nil {
		return nil, problem.New(problem.Schema, "the status list at %s is not a JSON object", host)
	}
	return cred, nil
}

// current checks the validity period of a status list credential at c.now:
// validFrom and issuanceDate are lower bounds, validUntil and
// expirationDate upper ones. A list out of its period cannot be trusted,
// so the status cannot be checked: FetchFailed.
func (c *checker) current(list map[string]any, host string) error {
	for _, k := range []string{"validFrom", "issuanceDate", "validUntil", "expirationDate"} {
		v, ok := list[k]
		if !ok || v == nil {
			continue
		}
		t, ok := parseTime(str(v))
		if !ok {
			return problem.New(problem.Schema, "the status list at %s has an invalid %s", host, k)
		}
		switch k {
		case "validFrom", "issuanceDate":
			if c.now.Before(t) {
				return problem.New(problem.FetchFailed, "the status list at %s is not valid until %s, so the status cannot be checked", host, t.UTC().Format("2006-01-02T15:04:05Z"))
			}
		default:
			if c.now.After(t) {
				return problem.New(problem.FetchFailed, "the status list at %s expired on %s, so the status cannot be checked", host, t.UTC().Format("2006-01-02T15:04:05Z"))
			}
		}
	}
	return nil
}

// hostOf names the host of rawURL for messages.
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return clip(u.Host)
	}
	return "(not a URL)"
}
