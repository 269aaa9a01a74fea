package badges

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"backpack/openbadges"
	"backpack/openbadges/problem"
	"backpack/store"
)

// TestCheckForViewerStoresOnlyFindings: a viewer's check reads the
// original from the store itself and writes the owner's record only for a
// finding.
func TestCheckForViewerStoresOnlyFindings(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	res, err := w.svc.Import(ctx, alice, []Item{{Label: "a", Data: w.is.hosted("/a/1", "alice@example.org", nil)}})
	if err != nil || !res[0].Saved() {
		t.Fatalf("import: %+v %v", res, err)
	}
	id := res[0].BadgeID
	read := func() store.Badge {
		t.Helper()
		b, err := w.db.BadgeByID(ctx, alice, id)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	check := func(want ViewerOutcome) {
		t.Helper()
		w.advance(time.Hour)
		if got, err := w.svc.CheckForViewer(ctx, alice, id); err != nil || got != want {
			t.Fatalf("CheckForViewer = %q, %v; want %q", got, err, want)
		}
	}

	check(ViewerStored) // the original verifies: confirmed, at the new time
	if b := read(); b.Status != store.StatusVerified || !b.VerifiedAt.Equal(w.clock()) {
		t.Fatalf("after a good check: %s at %v", b.Status, b.VerifiedAt)
	}
	before := read()
	for _, c := range []struct {
		name string
		set  func()
		want ViewerOutcome
	}{
		{"unreadable answer", func() { w.is.Put("/a/1", []byte("not an assertion")) }, ViewerInconclusive},
		{"issuer down", func() { w.is.Status("/a/1", http.StatusInternalServerError) }, ViewerUnreachable},
	} {
		c.set()
		check(c.want)
		if b := read(); b.Status != before.Status || !b.VerifiedAt.Equal(before.VerifiedAt) || b.UnreachableSince != nil ||
			string(b.ReportJSON) != string(before.ReportJSON) {
			t.Errorf("%s: the owner's record changed: %s at %v, unreachable %v", c.name, b.Status, b.VerifiedAt, b.UnreachableSince)
		}
	}
	w.is.Status("/a/1", http.StatusGone)
	check(ViewerStored)
	if b := read(); b.Status != store.StatusRevoked {
		t.Fatalf("a revocation was not kept: %s", b.Status)
	}
	if _, err := w.svc.CheckForViewer(ctx, alice+1, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's badge: %v", err)
	}
}

// TestCheckRefusesABadgeWithoutItsOriginal: verifying nothing would record
// "could not verify" over a good result.
func TestCheckRefusesABadgeWithoutItsOriginal(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	res, _ := w.svc.Import(ctx, alice, []Item{{Label: "a", Data: w.is.hosted("/a/1", "alice@example.org", nil)}})
	b, err := w.db.BadgeByID(ctx, alice, res[0].BadgeID)
	if err != nil {
		t.Fatal(err)
	}
	b.Original = nil // as the collection's reads return it
	if _, err := w.svc.Check(ctx, b); !errors.Is(err, ErrNoOriginal) {
		t.Fatalf("Check without the original: %v", err)
	}
	if after, _ := w.db.BadgeByID(ctx, alice, b.ID); after.Status != store.StatusVerified || !after.VerifiedAt.Equal(b.VerifiedAt) {
		t.Fatalf("the record changed: %s at %v", after.Status, after.VerifiedAt)
	}
}

func TestFinding(t *testing.T) {
	badge := &openbadges.Badge{Name: "x"}
	errs := func(codes ...problem.Code) []openbadges.Problem {
		var out []openbadges.Problem
		for _, c := range codes {
			out = append(out, openbadges.Problem{Code: c})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		rep  openbadges.Report
		want bool
	}{
		{"valid", openbadges.Report{Valid: true, Badge: badge}, true},
		{"expired", openbadges.Report{Badge: badge, Expired: true, Errors: errs(problem.Expired)}, true},
		{"revoked", openbadges.Report{Revoked: true, Errors: errs(problem.Revoked)}, true},
		{"signature", openbadges.Report{Badge: badge, Errors: errs(problem.SignatureInvalid)}, true},
		{"id mismatch", openbadges.Report{Badge: badge, Errors: errs(problem.IDMismatch, problem.Expired)}, true},
		{"key", openbadges.Report{Badge: badge, Errors: errs(problem.KeyUnresolved)}, false},
		{"malformed", openbadges.Report{Errors: errs(problem.Malformed)}, false},
		{"unsupported", openbadges.Report{Errors: errs(problem.Unsupported)}, false},
		{"recipient", openbadges.Report{Badge: badge, Errors: errs(problem.RecipientMismatch)}, false},
		{"nothing", openbadges.Report{}, false},
	} {
		if got := finding(&tc.rep); got != tc.want {
			t.Errorf("%s: finding = %v, want %v", tc.name, got, tc.want)
		}
	}
}
