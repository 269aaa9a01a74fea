package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentWritersNeverSeeBusy has several users write at once (badges,
// verifications, collections, import items) while others read, and checks
// that no call fails: SQLITE_BUSY (or any other error) must not escape to
// a caller.
func TestConcurrentWritersNeverSeeBusy(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	const writers, each = 6, 40
	var users []int64
	for i := range writers {
		u, _, err := db.CreateUser(ctx, fmt.Sprintf("w%d@example.org", i), "h", now)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*4)
	for w, uid := range users {
		wg.Go(func() {
			cid, err := db.CreateCollection(ctx, uid, "C", "", fmt.Sprintf("slug-c-%d", w), now)
			if err != nil {
				errs <- err
				return
			}
			job, err := db.CreateImportJob(ctx, uid, "z.zip", "", now)
			if err != nil {
				errs <- err
				return
			}
			for i := range each {
				id, _, err := db.SaveBadge(ctx, Badge{UserID: uid, Original: []byte(fmt.Sprintf("%d-%d", w, i)), OriginalType: "json",
					Name: "B", BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified, Image: []byte(fmt.Sprintf("img %d %d", w, i)), ImageType: "image/png"})
				if err != nil {
					errs <- err
					continue
				}
				errs <- db.UpdateVerification(ctx, uid, id, Verification{At: now, Reachable: true, Status: StatusVerified, Name: "B", BadgeJSON: []byte("{}"), ReportJSON: []byte("{}")})
				errs <- db.AddToCollection(ctx, uid, cid, id, now)
				errs <- db.AddImportItems(ctx, job, []ImportItem{{Seq: i + 1, Name: "x", Data: []byte("d")}})
			}
		})
	}
	for r := range 4 {
		wg.Go(func() {
			for range each {
				if _, err := db.ListBadges(ctx, users[r], BadgeQuery{Limit: 24}); err != nil {
					errs <- err
				}
				if _, err := db.Collections(ctx, users[r]); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if err != nil {
			n++
			if n <= 5 {
				t.Errorf("error under concurrent load: %v (busy: %v)", err, strings.Contains(strings.ToLower(err.Error()), "busy"))
			}
		}
	}
	if n > 0 {
		t.Fatalf("%d calls failed", n)
	}
	for _, uid := range users {
		if l, _ := db.ListBadges(ctx, uid, BadgeQuery{Limit: 1}); l.All != each {
			t.Fatalf("user %d has %d badges, want %d", uid, l.All, each)
		}
	}
}
