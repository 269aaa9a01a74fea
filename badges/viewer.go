package badges

import (
	"context"
	"errors"

	"backpack/openbadges"
	"backpack/openbadges/problem"
)

// ErrNoOriginal is returned by Check and CheckForViewer for a badge read
// without its original file: verifying it would verify nothing and
// record "could not verify" over a good result.
var ErrNoOriginal = errors.New("badges: the badge was read without its original")

// ViewerOutcome says what a viewer's Verify now did to the owner's record.
type ViewerOutcome string

// Outcomes of CheckForViewer.
const (
	// ViewerStored: the check found something (the badge verified, or
	// is genuine but expired, or the issuer revoked it, or its documents
	// now show it is not what was issued) and the result was stored.
	ViewerStored ViewerOutcome = "stored"
	// ViewerUnreachable: the issuer could not be reached; nothing stored.
	ViewerUnreachable ViewerOutcome = "unreachable"
	// ViewerInconclusive: the check ended without a finding (a document
	// that could not be read, a key that could not be found, …); the
	// owner's last result stands and nothing was stored.
	ViewerInconclusive ViewerOutcome = "inconclusive"
)

// CheckForViewer is Verify now for a viewer of a public page: someone who
// is not the owner. It reads the owner's badge from the store, original
// included (so it always verifies what the owner brought in, whatever the
// page it was asked from had read), verifies it, and stores the result
// only when it is a finding (see ViewerStored). A viewer can thus confirm
// a badge or bring a revocation to light, but never replace the owner's
// result with a check that failed for reasons of its own.
func (s *Service) CheckForViewer(ctx context.Context, userID, badgeID int64) (ViewerOutcome, error) {
	b, err := s.store.BadgeByID(ctx, userID, badgeID)
	if err != nil {
		return "", err
	}
	if len(b.Original) == 0 {
		return "", ErrNoOriginal
	}
	ids, err := s.VerifiedIdentities(ctx, b.UserID)
	if err != nil {
		return "", err
	}
	rep := s.verifier.Verify(forUser(ctx, b.UserID), b.Original, ids) // the owner's share of the fetch slots
	v := VerificationOf(rep, b, s.now())
	switch {
	case !v.Reachable:
		return ViewerUnreachable, nil
	case !finding(rep):
		return ViewerInconclusive, nil
	}
	return ViewerStored, s.store.UpdateVerification(ctx, b.UserID, b.ID, v)
}

// finding reports whether a report says something about the badge itself
// rather than about this attempt to check it: it verified (perhaps
// expired), the issuer revoked it, or the issuer's documents or keys show
// it is not what was issued.
func finding(rep *openbadges.Report) bool {
	if _, ok := Keep(rep); ok || rep.Revoked {
		return true
	}
	if len(rep.Errors) == 0 {
		return false
	}
	switch rep.Errors[0].Code {
	case problem.SignatureInvalid, problem.IDMismatch:
		return true
	}
	return false
}
