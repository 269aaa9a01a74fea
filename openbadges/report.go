package openbadges

import (
	"slices"

	"backpack/openbadges/problem"
)

// Code is a verification error code (see package problem).
type Code = problem.Code

// Report is the outcome of verifying one badge: the JSON object that
// `backpack verify --json` prints, a stable contract (fields may be added,
// none removed or renamed).
//
// Every check that can run does, whatever the others found: once the
// badge can be read, a key that cannot be resolved, a signature that does
// not match or a document that cannot be fetched does not stop the
// revocation, validity and recipient checks. Checks lists each check in
// the order it ran; Errors holds every failure, ordered by precedence, so
// Errors[0] (and Code) names the most telling one. Expired and Revoked
// are true whenever such a failure is among them.
type Report struct {
	Valid bool `json:"valid"`
	// Code is the code of Errors[0], the failure that matters most by
	// precedence; empty when valid.
	Code             Code            `json:"code,omitempty"`
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

// precedence orders the error codes from the one that says most about a
// badge to the one that says least; a report's Errors are sorted by it
// (failures with the same code keep the order they happened in).
//
//   - revoked: the issuer withdrew the badge. That is final whatever else
//     is wrong, and nothing the earner can do changes it.
//   - signature-invalid, id-mismatch: shown not to be what the issuer
//     issued (altered, forged, or not the document the issuer hosts).
//   - key-unresolved, blocked-address, fetch-failed: the issuer could not
//     be shown to stand behind it; the last two may pass another time.
//   - unsupported, too-large, malformed, schema: parts Backpack cannot
//     read or check, or data that contradicts itself (a JWT claim that
//     does not match its credential, an expiry before the issue date).
//   - recipient-mismatch: a badge that may be genuine, issued to someone
//     else: not the earner's, whatever its dates.
//   - expired, not-yet-valid: the badge's own validity window. An expired
//     badge still records an achievement; one not yet valid becomes
//     valid by itself.
//
// The dates and recipient come last because, with an earlier failure,
// they are read from data nobody vouched for; they are still reported.
var precedence = []Code{
	problem.Revoked,
	problem.SignatureInvalid, problem.IDMismatch,
	problem.KeyUnresolved, problem.BlockedAddress, problem.FetchFailed,
	problem.Unsupported, problem.TooLarge, problem.Malformed, problem.Schema,
	problem.RecipientMismatch,
	problem.Expired, problem.NotYetValid,
}

// rankOf is a code's place in precedence; an unknown code goes last.
func rankOf(c Code) int {
	if i := slices.Index(precedence, c); i >= 0 {
		return i
	}
	return len(precedence)
}

// order sorts the errors by precedence and sets Code.
func (r *Report) order() {
	slices.SortStableFunc(r.Errors, func(a, b Problem) int { return rankOf(a.Code) - rankOf(b.Code) })
	r.Code = ""
	if len(r.Errors) > 0 {
		r.Code = r.Errors[0].Code
	}
}
