package status

import (
	"context"
	"fmt"
	"slices"
	"time"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// Getter fetches a URL; *fetch.Session implements it.
type Getter interface {
	Get(ctx context.Context, rawURL, accept string, limit fetch.Limit) (*fetch.Response, error)
}

// ListVerifier verifies a fetched status list credential (its proof, its
// issuer) and returns it as a JSON object, decoded by encoding/json. The
// caller (the main verifier) supplies it so that lists are checked exactly
// like credentials. raw is the response body: JSON, or a compact JWS for a
// VC-JWT list. Its errors should be *problem.Error values (SignatureInvalid,
// KeyUnresolved, …); Check returns them with their code, and gives any other
// error the code SignatureInvalid.
type ListVerifier func(ctx context.Context, raw []byte) (map[string]any, error)

// The status entry types.
const (
	BitstringEntry   = "BitstringStatusListEntry"
	StatusList2021   = "StatusList2021Entry"
	RevocationList   = "1EdTechRevocationList"
	bitstringListVC  = "BitstringStatusListCredential"
	statusList2021VC = "StatusList2021Credential"
)

// The status purposes with a meaning here.
const (
	Revocation = "revocation"
	Suspension = "suspension"
)

// MaxEntries is how many credentialStatus entries Check accepts.
const MaxEntries = 16

// Accept headers for the documents fetched.
const (
	acceptList       = "application/vc+ld+json, application/ld+json, application/json, application/vc+jwt"
	acceptRevocation = "application/json, application/ld+json"
)

// Result is the outcome of one credentialStatus entry.
type Result struct {
	Type      string // the entry type
	Purpose   string // revocation, suspension, …
	URL       string // the status list or revocation list consulted, if any
	Revoked   bool   // revocation bit set / listed
	Suspended bool   // suspension bit set
	// Reason is the revocationReason of a 1EdTechRevocationList entry, if
	// any: text from the issuer's document (at most 500 characters, no
	// control characters), to be escaped like any fetched text.
	Reason string

	// Unchecked reports that the status could not be determined; this is a
	// warning, not an error (see the package documentation). Note says why.
	Unchecked bool
	// Note is a user-safe explanation: why the entry was not checked, or a
	// caveat about a result (a list issued by another issuer, say).
	Note string
}

// Check evaluates each entry of credentialStatus (an object or an array of
// them, as decoded by encoding/json) for the credential with id credID
// issued by issuerID, at time now. Status list credentials are fetched
// with g and verified with verify.
//
// Results come in entry order, one per entry that could be evaluated. On
// failure Check still evaluates the remaining entries, and returns their
// Results along with the first error, so a revocation found by one entry
// is not hidden by another entry's failure. A nil credentialStatus yields
// no Results and no error. See the package documentation for which
// failures are errors and which are Unchecked warnings, and for the
// issuerID rule.
func Check(ctx context.Context, g Getter, credentialStatus any, credID, issuerID string, now time.Time, verify ListVerifier) ([]Result, error) {
	var entries []any
	switch v := credentialStatus.(type) {
	case nil:
		return nil, nil
	case []any:
		entries = v
	default:
		entries = []any{v}
	}
	if len(entries) > MaxEntries {
		return nil, problem.New(problem.TooLarge, "credentialStatus has %d entries, more than %d", len(entries), MaxEntries)
	}
	c := &checker{g: g, verify: verify, credID: credID, issuerID: issuerID, now: now, lists: map[string]*fetched{}}
	var (
		results  []Result
		firstErr error
	)
	_, isList := credentialStatus.([]any)
	for i, e := range entries {
		where := "credentialStatus"
		if isList {
			where = fmt.Sprintf("credentialStatus[%d]", i)
		}
		r, err := c.entry(ctx, e)
		if err != nil {
			if firstErr == nil {
				firstErr = problem.Wrap(err, codeOf(err), "%s: %s", where, problem.MessageOf(err))
			}
			continue
		}
		results = append(results, r)
	}
	return results, firstErr
}

// codeOf is problem.CodeOf with a fallback for foreign errors.
func codeOf(err error) problem.Code {
	if c := problem.CodeOf(err); c != "" {
		return c
	}
	return problem.SignatureInvalid
}

// checker holds the state of one Check call.
type checker struct {
	g        Getter
	verify   ListVerifier
	credID   string
	issuerID string
	now      time.Time
	lists    map[string]*fetched // verified status list credentials by URL
}

// fetched is the outcome of fetching and verifying one status list.
type fetched struct {
	cred map[string]any
	err  error
}

// entry evaluates one credentialStatus entry.
func (c *checker) entry(ctx context.Context, v any) (Result, error) {
	e, ok := v.(map[string]any)
	if !ok {
		return Result{}, problem.New(problem.Schema, "the entry is not an object")
	}
	types := stringList(e["type"])
	t := ""
	for _, known := range []string{BitstringEntry, StatusList2021, RevocationList} {
		if slices.Contains(types, known) {
			t = known
			break
		}
	}
	switch {
	case t == BitstringEntry:
		return c.bitstring(ctx, e, t, bitstringListVC, Multibase)
	case t == StatusList2021:
		return c.bitstring(ctx, e, t, statusList2021VC, Base64)
	case t == RevocationList:
		return c.revocationList(ctx, e)
	case len(types) == 0 || types[0] == "":
		return Result{}, problem.New(problem.Schema, "the entry has no type")
	}
	return Result{Type: types[0], Unchecked: true, Note: fmt.Sprintf("status type %q is not supported", clip(types[0]))}, nil
}
