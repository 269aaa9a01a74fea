package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"backpack/store"
)

// TestViewerVerifyNowKeepsTheOwnersResult: a viewer's Verify now, on a
// badge's page or on a collection's card, checks the stored original (the
// collection's page reads its badges without it) and writes the owner's
// record only when the check found something: a badge that verifies, or
// one the issuer revoked. A check that could not be completed, or an
// issuer that could not be reached, leaves the owner's result as it was.
func TestViewerVerifyNowKeepsTheOwnersResult(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	u, err := a.db.UserByEmail(context.Background(), "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	href, pub := shareFirstBadge(t, a, alice, is) // the badge at /a/1
	badgeID, _ := strconv.ParseInt(strings.TrimPrefix(href, "/badges/"), 10, 64)
	// The collection holds both badges; its card of the badge at /a/0 is
	// the one to check.
	cpub := sharedCollectionPath(t, alice, collectionWithBadges(t, alice, is, 1))
	var cardID int64
	a.browser(t).get(cpub).doc.Find(`[data-testid=public-card] input[name=badge_id]`).Each(func(_ int, s *goquerySelection) {
		if id, _ := strconv.ParseInt(s.AttrOr("value", ""), 10, 64); id != badgeID {
			cardID = id
		}
	})
	if cardID == 0 || cardID == badgeID {
		t.Fatalf("collection card badge %d, shared badge %d", cardID, badgeID)
	}
	stored := func(id int64) store.Badge {
		t.Helper()
		b, err := a.db.BadgeByID(context.Background(), u.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	for _, c := range []struct {
		name, issuerPath string
		id               int64
		verify           func(v *browser) *page
		back             string
	}{
		{"badge page", "/a/1", badgeID,
			func(v *browser) *page { return v.postRaw(pub+"/verify", nil) }, pub + "?checked=%s#checks"},
		{"collection card", "/a/0", cardID,
			func(v *browser) *page {
				return v.postRaw(cpub+"/verify", url.Values{"badge_id": {strconv.FormatInt(cardID, 10)}})
			}, cpub + "?badge=" + strconv.FormatInt(cardID, 10) + "&checked=%s#badge-" + strconv.FormatInt(cardID, 10)},
	} {
		t.Run(c.name, func(t *testing.T) {
			viewer := a.browser(t)
			viewer.remote = "198.51.100.30:1"
			want := func(checked string) string { return strings.Replace(c.back, "%s", checked, 1) }

			// The issuer still stands behind it: the check of the original
			// passes and is kept.
			a.clock.add(time.Hour)
			wantRedirect(t, c.verify(viewer), want(checkedNow))
			b := stored(c.id)
			rep, err := b.Report()
			if b.Status != store.StatusVerified || !rep.Valid || !b.VerifiedAt.Equal(a.clock.now()) {
				t.Fatalf("after a good check: %s, valid %v, verified at %v (now %v): %s", b.Status, rep.Valid, b.VerifiedAt, a.clock.now(), b.ReportJSON)
			}
			if err != nil || len(rep.Checks) < 3 {
				t.Fatalf("the check did not run on the original: %v %+v", err, rep.Checks)
			}

			// The issuer serves something unreadable: no finding, nothing
			// written.
			a.clock.add(time.Hour)
			before := stored(c.id)
			is.put(c.issuerPath, []byte("this is not an assertion"))
			p := c.verify(viewer)
			wantRedirect(t, p, want(checkedNothing))
			if after := stored(c.id); after.Status != before.Status || !after.VerifiedAt.Equal(before.VerifiedAt) ||
				string(after.ReportJSON) != string(before.ReportJSON) || after.UnreachableSince != nil {
				t.Fatalf("an inconclusive check changed the owner's record: %s at %v, %s", after.Status, after.VerifiedAt, after.ReportJSON)
			}
			p = viewer.follow(p)
			if !strings.Contains(p.text(), "could not be completed") || !strings.Contains(p.text(), "Verified") {
				t.Fatalf("page after an inconclusive check: %s", p.text())
			}

			// The issuer cannot be reached: nothing written either.
			a.clock.add(time.Hour)
			is.status(c.issuerPath, http.StatusServiceUnavailable)
			wantRedirect(t, c.verify(viewer), want(checkedUnreachable))
			if after := stored(c.id); !after.VerifiedAt.Equal(before.VerifiedAt) || after.UnreachableSince != nil {
				t.Fatalf("an unreachable issuer changed the owner's record: verified at %v, unreachable since %v", after.VerifiedAt, after.UnreachableSince)
			}

			// The issuer revokes it: that is news, and is kept.
			a.clock.add(time.Hour)
			is.status(c.issuerPath, http.StatusGone)
			wantRedirect(t, c.verify(viewer), want(checkedNow))
			if after := stored(c.id); after.Status != store.StatusRevoked {
				t.Fatalf("a revocation was not kept: %s", after.Status)
			}
		})
	}
}
