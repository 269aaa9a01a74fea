package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBadgeShares(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	alice, _, _ := db.CreateUser(ctx, "alice@example.org", "h", now)
	bob, _, _ := db.CreateUser(ctx, "bob@example.org", "h", now)
	id, _, err := db.SaveBadge(ctx, Badge{UserID: alice.ID, Original: []byte("b"), OriginalType: "json", Name: "B",
		BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.BadgeShare(ctx, alice.ID, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("share before sharing: %v", err)
	}
	if _, err := db.ShareBadge(ctx, bob.ID, id, "bobs-slug", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob shared alice's badge: %v", err)
	}
	s, err := db.ShareBadge(ctx, alice.ID, id, "slug-1", now)
	if err != nil || s.Slug != "slug-1" || !s.Enabled {
		t.Fatalf("ShareBadge = %+v, %v", s, err)
	}
	if err := db.SetDisplayName(ctx, alice.ID, "Ada L."); err != nil {
		t.Fatal(err)
	}
	if b, sh, err := db.SharedBadge(ctx, "slug-1"); err != nil || b.ID != id || sh.OwnerName != "Ada L." {
		t.Fatalf("SharedBadge = %+v %v", sh, err)
	}
	// Off: the link dies; on again: the same link.
	if err := db.UpdateShare(ctx, alice.ID, id, false, false, false, "", now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SharedBadge(ctx, "slug-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unshared badge still public: %v", err)
	}
	if s, _ := db.ShareBadge(ctx, alice.ID, id, "slug-2", now); s.Slug != "slug-1" {
		t.Fatalf("sharing again changed the link to %q", s.Slug)
	}
	// A new link kills the old one.
	if err := db.UpdateShare(ctx, alice.ID, id, true, true, true, "slug-3", now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SharedBadge(ctx, "slug-1"); !errors.Is(err, ErrNotFound) {
		t.Fatal("old link still works")
	}
	if _, s, err := db.SharedBadge(ctx, "slug-3"); err != nil || !s.ShowRecipient || !s.Indexable {
		t.Fatalf("new link: %+v %v", s, err)
	}
	if err := db.UpdateShare(ctx, bob.ID, id, false, false, false, "", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob changed alice's share: %v", err)
	}
	// Deleting the badge deletes its share.
	db.DeleteBadge(ctx, alice.ID, id)
	if _, _, err := db.SharedBadge(ctx, "slug-3"); !errors.Is(err, ErrNotFound) {
		t.Fatal("deleted badge still public")
	}
}
