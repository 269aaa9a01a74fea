package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestDisplayerOptInAndOut(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	alice, _, _ := db.CreateUser(ctx, "alice@example.org", "h", now)
	bob, _, _ := db.CreateUser(ctx, "bob@example.org", "h", now)

	if _, err := db.UserDisplayer(ctx, alice.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before opting in: %v", err)
	}
	d, err := db.EnableDisplayer(ctx, alice.ID, "ID-ONE-ID-ONE-ID-ONE-ID-ONE", now)
	if err != nil || d.ID != "ID-ONE-ID-ONE-ID-ONE-ID-ONE" || d.UserID != alice.ID || !d.CreatedAt.Equal(now) {
		t.Fatalf("EnableDisplayer = %+v, %v", d, err)
	}
	// Opting in again keeps the id.
	if d2, err := db.EnableDisplayer(ctx, alice.ID, "ID-TWO-ID-TWO-ID-TWO-ID-TWO", now.Add(time.Hour)); err != nil || d2 != d {
		t.Fatalf("second EnableDisplayer = %+v, %v; want %+v", d2, err, d)
	}
	if got, err := db.DisplayerByID(ctx, d.ID); err != nil || got != d {
		t.Fatalf("DisplayerByID = %+v, %v", got, err)
	}
	if got, err := db.UserDisplayer(ctx, alice.ID); err != nil || got != d {
		t.Fatalf("UserDisplayer = %+v, %v", got, err)
	}
	// Another user cannot take the id.
	if _, err := db.EnableDisplayer(ctx, bob.ID, d.ID, now); !errors.Is(err, ErrConflict) {
		t.Fatalf("bob takes alice's id: %v", err)
	}
	if _, err := db.UserDisplayer(ctx, bob.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob opted in by the failed attempt: %v", err)
	}
	// Opting out forgets the id; opting in again gives the new one.
	if err := db.DisableDisplayer(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.DisableDisplayer(ctx, alice.ID); err != nil {
		t.Fatalf("opting out twice: %v", err)
	}
	if _, err := db.DisplayerByID(ctx, d.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old id after opting out: %v", err)
	}
	if d3, err := db.EnableDisplayer(ctx, alice.ID, "ID-TWO-ID-TWO-ID-TWO-ID-TWO", now); err != nil || d3.ID != "ID-TWO-ID-TWO-ID-TWO-ID-TWO" {
		t.Fatalf("opting in again = %+v, %v", d3, err)
	}
	if _, err := db.DisplayerByID(ctx, d.ID); !errors.Is(err, ErrNotFound) {
		t.Fatal("the old id came back")
	}
	// Deleting the account deletes the opt-in.
	if err := db.DeleteUser(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DisplayerByID(ctx, "ID-TWO-ID-TWO-ID-TWO-ID-TWO"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("id of a deleted account: %v", err)
	}
}

func TestDisplayerGroups(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	alice, _, _ := db.CreateUser(ctx, "alice@example.org", "h", now)
	bob, _, _ := db.CreateUser(ctx, "bob@example.org", "h", now)
	var ids []int64
	for i, status := range []Status{StatusVerified, StatusRevoked, StatusExpired, StatusUnverified, StatusVerified} {
		id, _, err := db.SaveBadge(ctx, Badge{UserID: alice.ID, Original: []byte(fmt.Sprint(i)), OriginalType: "json",
			Name: fmt.Sprint("B", i), BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: status, VerifiedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	shared, _ := db.CreateCollection(ctx, alice.ID, "Work", "", "slug-work", now)
	private, _ := db.CreateCollection(ctx, alice.ID, "Private", "", "slug-private", now)
	empty, _ := db.CreateCollection(ctx, alice.ID, "Another", "", "slug-empty", now)
	bobs, _ := db.CreateCollection(ctx, bob.ID, "Bob's", "", "slug-bob", now)
	for _, i := range []int{4, 0, 1, 2, 3} {
		if err := db.AddToCollection(ctx, alice.ID, shared, ids[i], now); err != nil {
			t.Fatal(err)
		}
	}
	db.AddToCollection(ctx, alice.ID, private, ids[0], now)
	db.UpdateCollection(ctx, alice.ID, shared, "Work", "", true, false, "", now)
	db.UpdateCollection(ctx, alice.ID, empty, "Another", "", true, false, "", now)
	db.UpdateCollection(ctx, bob.ID, bobs, "Bob's", "", true, false, "", now)
	db.EnableDisplayer(ctx, alice.ID, "ALICE-ALICE-ALICE-ALICE", now)

	groups, changed, err := db.DisplayerGroups(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, g := range groups {
		got += fmt.Sprintf("%s:%s:%d ", g.Name, g.Slug, g.Count)
	}
	// Only shared collections; revoked and unverified badges not counted.
	if want := "Another:slug-empty:0 Work:slug-work:3 "; got != want {
		t.Fatalf("groups %q, want %q", got, want)
	}
	if !changed.Equal(now) {
		t.Fatalf("changed %v, want %v", changed, now)
	}

	col, badges, _, err := db.DisplayerGroup(ctx, alice.ID, "slug-work")
	if err != nil || col.ID != shared {
		t.Fatalf("DisplayerGroup: %+v %v", col, err)
	}
	order := ""
	for _, b := range badges {
		order += b.Name
	}
	if order != "B4B0B2" {
		t.Fatalf("badges %q, want B4B0B2 (collection order, revoked and unverified left out)", order)
	}
	for name, slug := range map[string]string{"private": "slug-private", "bob's": "slug-bob", "unknown": "slug-nope"} {
		if _, _, _, err := db.DisplayerGroup(ctx, alice.ID, slug); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s collection under alice: %v, want ErrNotFound", name, err)
		}
	}

	// A verification of a badge that is not listed still moves the time:
	// revoking one changes what is listed.
	later := now.Add(time.Hour)
	if err := db.UpdateVerification(ctx, alice.ID, ids[0], Verification{Status: StatusRevoked, Reachable: true,
		BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Name: "B0", At: later}); err != nil {
		t.Fatal(err)
	}
	_, badges, gChanged, _ := db.DisplayerGroup(ctx, alice.ID, "slug-work")
	groups, changed, _ = db.DisplayerGroups(ctx, alice.ID)
	if len(badges) != 2 || !gChanged.Equal(later) || !changed.Equal(later) || groups[1].Count != 2 {
		t.Fatalf("after revoking B0: %d badges, changed %v / %v, count %d", len(badges), gChanged, changed, groups[1].Count)
	}
	// Unsharing moves the list's time forward, not back.
	evenLater := later.Add(time.Hour)
	db.UpdateCollection(ctx, alice.ID, shared, "Work", "", false, false, "", evenLater)
	groups, changed, _ = db.DisplayerGroups(ctx, alice.ID)
	if len(groups) != 1 || !changed.Equal(evenLater) {
		t.Fatalf("after unsharing: %d groups, changed %v", len(groups), changed)
	}
}
