package badges

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"backpack/internal/testclock"
	"backpack/openbadges"
	"backpack/openbadges/problem"
	"backpack/store"
)

func TestImportOutcomes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	good := w.is.hosted("/a/good", "alice@example.org", nil)
	expired := w.is.hosted("/a/expired", "alice@example.org", func(a map[string]any) { a["expires"] = testclock.RFC3339(0, -1, 0) })
	elsewhere := w.is.hosted("/a/work", "alice@work.example", nil)
	revoked := w.is.hosted("/a/revoked", "alice@example.org", nil)
	w.is.Status("/a/revoked", http.StatusGone)

	res, err := w.svc.Import(ctx, alice, []Item{
		{Label: "good.json", Data: good},
		{Label: "again.json", Data: good},
		{Label: "expired.json", Data: expired},
		{Label: "work.json", Data: elsewhere},
		{Label: "revoked.json", Data: revoked},
		{Label: "notes.txt", Data: []byte("my shopping list")},
		{Label: "huge.png", Err: problem.New(problem.TooLarge, "the file is larger than 5 MB")},
		{Label: w.is.At("/a/good"), Data: []byte(w.is.At("/a/good")), URL: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Item    string
		Outcome Outcome
		Code    Code
		Detail  string
		Saved   bool
	}
	var gots []got
	for _, r := range res {
		gots = append(gots, got{r.Item, r.Outcome, r.Code, r.Detail, r.Saved()})
	}
	want := []got{
		{"good.json", Added, "", "", true},
		{"again.json", Duplicate, "", "", true},
		{"expired.json", Added, CodeExpired, "", true},
		{"work.json", Pending, CodeIssuedToEmail, "alice@work.example", false},
		{"revoked.json", Rejected, Code(problem.Revoked), res[4].Detail, false},
		{"notes.txt", Rejected, Code(problem.Malformed), res[5].Detail, false}, // text that is no badge: malformed (README, verify)
		{"huge.png", Rejected, Code(problem.TooLarge), "the file is larger than 5 MB", false},
		{w.is.At("/a/good"), Duplicate, "", "", true},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	if res[0].BadgeID != res[1].BadgeID || res[0].BadgeID != res[7].BadgeID || res[0].Name != "Robot Wrangler" {
		t.Errorf("the duplicates do not name the badge there: %+v", res)
	}
	if res[5].Detail == "" {
		t.Error("a rejection carries no explanation from the verifier")
	}

	b, err := w.db.BadgeByID(ctx, alice, res[0].BadgeID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != store.StatusVerified || b.ImageType != "image/png" || b.Recipient != "alice@example.org" || b.Name != "Robot Wrangler" {
		t.Errorf("stored badge %+v", b)
	}
	if e, _ := w.db.BadgeByID(ctx, alice, res[2].BadgeID); e.Status != store.StatusExpired {
		t.Errorf("expired badge stored as %q", e.Status)
	}
	if _, ct, err := w.db.IssuerImage(ctx, w.is.At("/issuer")); err != nil || ct != "image/png" {
		t.Errorf("issuer logo not kept: %q, %v", ct, err)
	}
	pending, _ := w.db.PendingImports(ctx, alice)
	if len(pending) != 1 || pending[0].RecipientIdentity != "alice@work.example" {
		t.Errorf("pending %+v", pending)
	}
}

func TestImportOfARecipientKind(t *testing.T) {
	w := newWorld(t)
	alice := w.user(t, "alice@example.org")
	url := w.is.hosted("/a/url", "https://alice.example", func(a map[string]any) {
		a["recipient"] = map[string]any{"type": "url", "hashed": false, "identity": "https://alice.example"}
	})
	hidden := w.is.hosted("/a/hidden", "", func(a map[string]any) {
		a["recipient"] = map[string]any{"type": "email", "hashed": true, "salt": "s", "identity": "sha256$" + sha256Hex("nobody@example.org"+"s")}
	})
	res, err := w.svc.Import(context.Background(), alice, []Item{{Label: "url", Data: url}, {Label: "hidden", Data: hidden}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Outcome != Pending || r.Code != CodeIssuedToIdentity || r.Detail != "https://alice.example" {
		t.Errorf("url recipient: %+v", r)
	}
	if r := res[1]; r.Outcome != Pending || r.Code != CodeIssuedToHidden || r.Detail != "" {
		t.Errorf("hashed recipient: %+v", r)
	}
}

func TestFinishPendingOnceTheAddressIsConfirmed(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	work := w.is.hosted("/a/work", "alice@work.example", nil)
	gone := w.is.hosted("/a/gone", "alice@work.example", nil)
	if res, _ := w.svc.Import(ctx, alice, []Item{{Label: "w", Data: work}, {Label: "g", Data: gone}}); res[0].Outcome != Pending || res[1].Outcome != Pending {
		t.Fatalf("not pending: %+v", res)
	}
	// Nothing to finish before the address is confirmed.
	if n, err := w.svc.FinishPending(ctx, alice); n != 0 || err != nil {
		t.Fatalf("FinishPending before confirming = %d, %v", n, err)
	}
	id, err := w.db.AddIdentity(ctx, alice, openbadges.Email, "alice@work.example", w.clock())
	if err != nil {
		t.Fatal(err)
	}
	w.confirm(t, alice, id.ID)
	w.is.Status("/a/gone", http.StatusGone) // revoked meanwhile
	if n, err := w.svc.FinishPending(ctx, alice); n != 1 || err != nil {
		t.Fatalf("FinishPending = %d, %v; want 1", n, err)
	}
	if p, _ := w.db.PendingImports(ctx, alice); len(p) != 0 {
		t.Errorf("left pending: %+v (the revoked one is dropped, the other added)", p)
	}
	list, _ := w.db.ListBadges(ctx, alice, store.BadgeQuery{})
	if list.Total != 1 {
		t.Errorf("%d badges, want 1", list.Total)
	}
}

func TestCheckKeepsTheLastResultWhileTheIssuerIsDown(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	res, _ := w.svc.Import(ctx, alice, []Item{{Label: "a", Data: w.is.hosted("/a/1", "alice@example.org", nil)}})
	b, _ := w.db.BadgeByID(ctx, alice, res[0].BadgeID)

	w.is.Status("/a/1", http.StatusInternalServerError)
	w.advance(1)
	v, err := w.svc.Check(ctx, b)
	if err != nil || v.Reachable {
		t.Fatalf("Check with the issuer down = %+v, %v", v, err)
	}
	if after, _ := w.db.BadgeByID(ctx, alice, b.ID); after.Status != store.StatusVerified || after.UnreachableSince == nil {
		t.Errorf("after an unreachable check: status %q, unreachable since %v", after.Status, after.UnreachableSince)
	}
	w.is.Status("/a/1", http.StatusGone)
	if v, err := w.svc.Check(ctx, b); err != nil || !v.Reachable || v.Status != store.StatusRevoked {
		t.Fatalf("Check of a revoked badge = %+v, %v", v, err)
	}
	if after, _ := w.db.BadgeByID(ctx, alice, b.ID); after.Status != store.StatusRevoked || after.UnreachableSince != nil || after.Name != "Robot Wrangler" {
		t.Errorf("after revocation: %+v", after)
	}
}

func TestKeep(t *testing.T) {
	badge := &openbadges.Badge{Name: "x"}
	for _, tc := range []struct {
		name string
		rep  openbadges.Report
		want store.Status
		ok   bool
	}{
		{"valid", openbadges.Report{Valid: true, Badge: badge}, store.StatusVerified, true},
		{"only expired", openbadges.Report{Badge: badge, Errors: []openbadges.Problem{{Code: problem.Expired}}}, store.StatusExpired, true},
		{"expired and revoked", openbadges.Report{Badge: badge, Errors: []openbadges.Problem{{Code: problem.Expired}, {Code: problem.Revoked}}}, "", false},
		{"no badge", openbadges.Report{Errors: []openbadges.Problem{{Code: problem.Expired}}}, "", false},
		{"invalid without a reason", openbadges.Report{Badge: badge}, "", false},
	} {
		if got, ok := Keep(&tc.rep); got != tc.want || ok != tc.ok {
			t.Errorf("%s: Keep = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNewNeedsStoreAndVerifier(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without a store or verifier succeeded")
	}
	var r *Refusal
	if !errors.As(checkCount(MaxJobItems+1), &r) || r.Code != CodeTooManyBadges || r.N != MaxJobItems+1 {
		t.Fatalf("checkCount over the limit = %v", r)
	}
}

func TestIssuerLogoIsFetchedOnceADay(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	var items []Item
	for i := range 5 {
		items = append(items, Item{Label: "b", Data: w.is.hosted("/a/"+string(rune('a'+i)), "alice@example.org", nil)})
	}
	if _, err := w.svc.Import(ctx, alice, items); err != nil {
		t.Fatal(err)
	}
	if n := w.is.Hits("/logo.png"); n != 1 {
		t.Fatalf("the issuer's logo was fetched %d times for 5 badges, want once", n)
	}
	w.advance(issuerLogoFresh + time.Minute)
	if _, err := w.svc.Import(ctx, alice, []Item{{Label: "b", Data: w.is.hosted("/a/later", "alice@example.org", nil)}}); err != nil {
		t.Fatal(err)
	}
	if n := w.is.Hits("/logo.png"); n != 2 {
		t.Fatalf("a day later the logo was fetched %d times in all, want 2 (it may have changed)", n)
	}
}

func TestVerificationOfARevocationIsNewsEvenWithAFetchFailure(t *testing.T) {
	b := store.Badge{Name: "Robot Wrangler", Status: store.StatusVerified}
	now := testclock.Now()
	rep := &openbadges.Report{Revoked: true, Badge: &openbadges.Badge{Name: "Robot Wrangler"},
		Errors: []openbadges.Problem{{Code: problem.Revoked}, {Code: problem.FetchFailed}}}
	if v := VerificationOf(rep, b, now); !v.Reachable || v.Status != store.StatusRevoked {
		t.Fatalf("revoked with a fetch failure beside it: %+v", v)
	}
	rep = &openbadges.Report{Badge: &openbadges.Badge{Name: "Robot Wrangler"}, Errors: []openbadges.Problem{{Code: problem.FetchFailed}}}
	if v := VerificationOf(rep, b, now); v.Reachable {
		t.Fatalf("an unreachable issuer changed the result: %+v", v)
	}
}
