package openbadges

import (
	"backpack/openbadges/problem"
)

// Code is a verification error code (see package problem).
type Code = problem.Code

// Report is the outcome of verifying one badge: the JSON object that
// `backpack verify --json` prints, a stable contract (fields may be added,
// none removed or renamed).
type Report struct {
	Valid            bool            `json:"valid"`
	Spec             string          `json:"spec"`   // 0.5 1.0 1.1 2.0 3.0 ("" when not recognised)
	Format           string          `json:"format"` // hosted signed vc-jwt data-integrity
	Source           string          `json:"source"` // png svg json jws url
	Recipient        RecipientResult `json:"recipient"`
	Expired          bool            `json:"expired"`
	Revoked          bool            `json:"revoked"`
	RevocationReason string          `json:"revocationReason,omitempty"`
	Badge            *Badge          `json:"badge"`
	Errors           []Problem       `json:"errors"`
	Warnings         []Problem       `json:"warnings"`
	Checks           []Check         `json:"checks"`
}

// RecipientResult says whether the badge was issued to one of the
// identities given. Matched is nil when no identity was given.
type RecipientResult struct {
	Matched  *bool  `json:"matched"`
	Identity string `json:"identity,omitempty"` // the identity that matched
}

// Problem is one error or warning.
type Problem struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Check is one named step of the verification.
type Check struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// Names of the checks, in the order they can appear.
const (
	CheckInput      = "input"
	CheckUnbake     = "unbake"
	CheckParse      = "parse"
	CheckFetch      = "fetch-assertion"
	CheckSame       = "same-assertion"
	CheckBadgeClass = "badge-class"
	CheckIssuer     = "issuer"
	CheckScope      = "verification-scope"
	CheckKey        = "signing-key"
	CheckSignature  = "signature"
	CheckRevocation = "revocation"
	CheckIssued     = "issued-date"
	CheckExpiry     = "expiry"
	CheckRecipient  = "recipient"
)

func newReport() *Report {
	return &Report{Errors: []Problem{}, Warnings: []Problem{}, Checks: []Check{}}
}

func (r *Report) pass(name, msg string) {
	r.Checks = append(r.Checks, Check{Name: name, OK: true, Message: msg})
}

// fail records a failed check and its error. Errors without a code (bugs)
// are reported as malformed input with a generic message.
func (r *Report) fail(name string, err error) {
	code, msg := problem.CodeOf(err), problem.MessageOf(err)
	if code == "" {
		code, msg = problem.Malformed, "the badge could not be read"
	}
	r.Checks = append(r.Checks, Check{Name: name, OK: false, Message: msg})
	r.Errors = append(r.Errors, Problem{Code: code, Message: msg})
	switch code {
	case problem.Expired:
		r.Expired = true
	case problem.Revoked:
		r.Revoked = true
	}
}

func (r *Report) warn(code Code, msg string) {
	r.Warnings = append(r.Warnings, Problem{Code: code, Message: msg})
}
