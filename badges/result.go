package badges

import "backpack/openbadges/problem"

// Outcome says what became of one thing brought in.
type Outcome string

// Outcomes of an import.
const (
	Added     Outcome = "added"     // a new badge in the backpack
	Duplicate Outcome = "duplicate" // already there; nothing changed
	Updated   Outcome = "updated"   // a newer issue replaced the one there
	Pending   Outcome = "pending"   // kept until the earner confirms the identity it was issued to
	Rejected  Outcome = "rejected"  // not kept; Code says why
)

// Code says why an outcome is what it is. Beside the verifier's problem
// codes (problem.Code, the verify contract: "revoked", "fetch-failed", …)
// it takes the importer's own codes below. Codes are stored with import
// items and shown in words chosen by the web layer.
type Code string

// The importer's own codes.
const (
	// With Added or Updated: the badge is genuine but has expired, and is
	// kept marked so (it still records an achievement).
	CodeExpired = Code(problem.Expired)
	// With Pending: issued to an email address (Detail) the earner has not
	// confirmed.
	CodeIssuedToEmail Code = "issued-to-email"
	// With Pending: issued to another kind of identity (Detail: a URL or a
	// telephone number) the earner has not confirmed.
	CodeIssuedToIdentity Code = "issued-to-identity"
	// With Pending: issued to a hashed address that matches none of the
	// earner's confirmed ones.
	CodeIssuedToHidden Code = "issued-to-hidden"
	// With Rejected: the verifier found nothing it could read, and no
	// problem to name.
	CodeNotABadge Code = "not-a-badge"
	// With Rejected: an archive inside the archive, which is not opened.
	CodeNestedArchive Code = "nested-archive"
	// With Rejected: saving failed for a reason of Backpack's own (logged);
	// trying again may work.
	CodeInternal Code = "internal"
	// With Rejected: keeping it would take the user past their storage
	// quota (Detail: the quota in bytes). Nothing was verified if the user
	// was at the quota already.
	CodeQuotaExceeded Code = "quota-exceeded"
)

// Result is what became of one item.
type Result struct {
	Item    string  // the item's label: a file name, a URL, "pasted text"
	Outcome Outcome //
	Code    Code    // why; "" for a plain Added, Duplicate or Updated
	// Detail goes with Code: the verifier's own explanation of a problem
	// (safe to show), or the identity a pending badge was issued to.
	Detail  string
	Name    string // the badge's name, when known
	BadgeID int64  // the stored badge (Added, Duplicate, Updated); 0 otherwise
}

// Saved reports whether the result is a badge in the backpack.
func (r Result) Saved() bool { return r.BadgeID != 0 }
