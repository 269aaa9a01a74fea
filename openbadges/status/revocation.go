package status

import (
	"context"
	"encoding/json"
	"strings"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// revocationList evaluates a 1EdTechRevocationList entry: the document at
// the entry's id lists revoked credentials as {id, revoked?,
// revocationReason?}; the credential is revoked when it is listed and
// revoked is absent or true. The list is unsigned, and a failure to fetch
// or read it is a warning (Unchecked), as in the 1EdTech validator.
//
// The list property is revokedCredential in our notes and
// revokedCredentials in the 1EdTech validator; both are read.
func (c *checker) revocationList(ctx context.Context, e map[string]any) (Result, error) {
	r := Result{Type: RevocationList, Purpose: Revocation, URL: str(e["id"])}
	if r.URL == "" {
		return r, problem.New(problem.Schema, "the %s has no id", RevocationList)
	}
	unchecked := func(note string) (Result, error) {
		r.Unchecked, r.Note = true, note
		return r, nil
	}
	if c.credID == "" {
		return unchecked("the credential has no id to look up in its revocation list")
	}
	resp, err := c.g.Get(ctx, r.URL, acceptRevocation, fetch.JSONLimit)
	if err == nil {
		err = resp.Err()
	}
	if err != nil {
		return unchecked("the revocation list could not be fetched: " + problem.MessageOf(err))
	}
	var doc map[string]any
	if err := json.Unmarshal(resp.Body, &doc); err != nil || doc == nil {
		return unchecked("the revocation list at " + hostOf(r.URL) + " is not a JSON object")
	}
	for _, key := range []string{"revokedCredential", "revokedCredentials"} {
		list, _ := doc[key].([]any)
		for _, item := range list {
			if s, ok := item.(string); ok {
				item = map[string]any{"id": s}
			}
			m, ok := item.(map[string]any)
			if !ok || str(m["id"]) != c.credID || !truthy(m["revoked"]) {
				continue
			}
			r.Revoked = true
			r.Reason = clipN(str(m["revocationReason"]), 500)
			return r, nil
		}
	}
	return r, nil
}

// truthy reads an entry's revoked flag: absent or null means revoked.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return v
	case string:
		return strings.EqualFold(strings.TrimSpace(v), "true")
	case float64:
		return v != 0
	case json.Number:
		f, err := v.Float64()
		return err == nil && f != 0
	}
	return false
}
