package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestCollections(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	alice, _, _ := db.CreateUser(ctx, "alice@example.org", "h", now)
	bob, _, _ := db.CreateUser(ctx, "bob@example.org", "h", now)
	var ids []int64
	for i := range 3 {
		id, _, err := db.SaveBadge(ctx, Badge{UserID: alice.ID, Original: []byte(fmt.Sprint(i)), OriginalType: "json",
			Name: fmt.Sprint("B", i), BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	bobBadge, _, _ := db.SaveBadge(ctx, Badge{UserID: bob.ID, Original: []byte("bob"), OriginalType: "json", Name: "Bob's",
		BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})

	cid, err := db.CreateCollection(ctx, alice.ID, "Work", "My **work**", "slug-a", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := db.AddToCollection(ctx, alice.ID, cid, id, now); err != nil {
			t.Fatal(err)
		}
	}
	db.AddToCollection(ctx, alice.ID, cid, ids[0], now) // again: no-op
	order := func() string {
		bs, err := db.CollectionBadges(ctx, cid)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, b := range bs {
			s += b.Name
		}
		return s
	}
	if o := order(); o != "B0B1B2" {
		t.Fatalf("order %q", o)
	}
	db.MoveInCollection(ctx, alice.ID, cid, ids[2], -1, now)
	db.MoveInCollection(ctx, alice.ID, cid, ids[0], -1, now) // already first
	if o := order(); o != "B0B2B1" {
		t.Fatalf("after moving B2 up: %q", o)
	}
	db.MoveInCollection(ctx, alice.ID, cid, ids[0], 1, now)
	if o := order(); o != "B2B0B1" {
		t.Fatalf("after moving B0 down: %q", o)
	}
	// Another user can touch none of it.
	for name, err := range map[string]error{
		"add bob's badge": db.AddToCollection(ctx, alice.ID, cid, bobBadge, now),
		"bob adds":        db.AddToCollection(ctx, bob.ID, cid, bobBadge, now),
		"bob removes":     db.RemoveFromCollection(ctx, bob.ID, cid, ids[0], now),
		"bob moves":       db.MoveInCollection(ctx, bob.ID, cid, ids[0], 1, now),
		"bob renames":     db.UpdateCollection(ctx, bob.ID, cid, "x", "", true, false, "", now),
		"bob deletes":     db.DeleteCollection(ctx, bob.ID, cid),
		"bob reads":       func() error { _, err := db.CollectionByID(ctx, bob.ID, cid); return err }(),
		"private by slug": func() error { _, err := db.SharedCollection(ctx, "slug-a"); return err }(),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if o := order(); o != "B2B0B1" {
		t.Fatalf("changed by bob: %q", o)
	}
	// Share, rotate, unshare.
	db.UpdateCollection(ctx, alice.ID, cid, "Work", "My **work**", true, false, "", now)
	if c, err := db.SharedCollection(ctx, "slug-a"); err != nil || c.ID != cid || c.Indexable || c.OwnerName != "" {
		t.Fatalf("shared: %+v %v", c, err)
	}
	if err := db.SetDisplayName(ctx, alice.ID, "Alice A."); err != nil {
		t.Fatal(err)
	}
	db.UpdateCollection(ctx, alice.ID, cid, "Work", "My **work**", true, true, "", now)
	if c, err := db.SharedCollection(ctx, "slug-a"); err != nil || !c.Indexable || c.OwnerName != "Alice A." {
		t.Fatalf("indexable, named: %+v %v", c, err)
	}
	db.UpdateCollection(ctx, alice.ID, cid, "Work", "", true, false, "slug-b", now)
	if _, err := db.SharedCollection(ctx, "slug-a"); !errors.Is(err, ErrNotFound) {
		t.Fatal("old link alive")
	}
	list, _ := db.Collections(ctx, alice.ID)
	if len(list) != 1 || list[0].Count != 3 || list[0].Slug != "slug-b" {
		t.Fatalf("Collections = %+v", list)
	}
	// Deleting a badge takes it out; deleting the collection keeps badges.
	db.DeleteBadge(ctx, alice.ID, ids[1])
	if o := order(); o != "B2B0" {
		t.Fatalf("after deleting B1: %q", o)
	}
	if err := db.RemoveFromCollection(ctx, alice.ID, cid, ids[2], now); err != nil || order() != "B0" {
		t.Fatalf("remove: %v %q", err, order())
	}
	if err := db.DeleteCollection(ctx, alice.ID, cid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BadgeByID(ctx, alice.ID, ids[0]); err != nil {
		t.Fatal("deleting the collection deleted a badge")
	}
}

func TestSetCollectionOrder(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	alice, _, _ := db.CreateUser(ctx, "alice@example.org", "h", t0)
	bob, _, _ := db.CreateUser(ctx, "bob@example.org", "h", t0)
	var ids []int64
	for i := range 4 {
		id, _, err := db.SaveBadge(ctx, Badge{UserID: alice.ID, Original: []byte(fmt.Sprint(i)), OriginalType: "json",
			Name: fmt.Sprint("B", i), BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	bobBadge, _, _ := db.SaveBadge(ctx, Badge{UserID: bob.ID, Original: []byte("bob"), OriginalType: "json", Name: "Bob's",
		BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})
	cid, err := db.CreateCollection(ctx, alice.ID, "Work", "", "slug-a", t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:3] { // B3 stays out
		if err := db.AddToCollection(ctx, alice.ID, cid, id, t0); err != nil {
			t.Fatal(err)
		}
	}
	order := func() string {
		bs, err := db.CollectionBadges(ctx, cid)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, b := range bs {
			s += b.Name
		}
		return s
	}

	t1 := t0.Add(time.Hour)
	if err := db.SetCollectionOrder(ctx, alice.ID, cid, []int64{ids[2], ids[0], ids[1]}, t1); err != nil {
		t.Fatal(err)
	}
	if o := order(); o != "B2B0B1" {
		t.Fatalf("order %q, want B2B0B1", o)
	}
	if c, _ := db.CollectionByID(ctx, alice.ID, cid); !c.UpdatedAt.Equal(t1) {
		t.Errorf("updated at %v, want %v", c.UpdatedAt, t1)
	}
	// The buttons still work on the new order.
	db.MoveInCollection(ctx, alice.ID, cid, ids[1], -1, t1)
	if o := order(); o != "B2B1B0" {
		t.Fatalf("after moving B1 up: %q", o)
	}

	t2 := t1.Add(time.Hour)
	for name, c := range map[string]struct {
		user int64
		ids  []int64
		want error
	}{
		"missing one":           {alice.ID, []int64{ids[0], ids[1]}, ErrStaleOrder},
		"extra one of hers":     {alice.ID, []int64{ids[0], ids[1], ids[2], ids[3]}, ErrStaleOrder},
		"one of hers for other": {alice.ID, []int64{ids[0], ids[1], ids[3]}, ErrStaleOrder},
		"bob's badge":           {alice.ID, []int64{ids[0], ids[1], ids[2], bobBadge}, ErrStaleOrder},
		"unknown id":            {alice.ID, []int64{ids[0], ids[1], 999_999}, ErrStaleOrder},
		"duplicate":             {alice.ID, []int64{ids[0], ids[1], ids[1]}, ErrStaleOrder},
		"duplicate and all":     {alice.ID, []int64{ids[0], ids[1], ids[2], ids[0]}, ErrStaleOrder},
		"empty":                 {alice.ID, nil, ErrStaleOrder},
		"bob, right ids":        {bob.ID, []int64{ids[0], ids[1], ids[2]}, ErrNotFound},
	} {
		if err := db.SetCollectionOrder(ctx, c.user, cid, c.ids, t2); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if o := order(); o != "B2B1B0" {
		t.Fatalf("refused orders changed it: %q", o)
	}
	if c, _ := db.CollectionByID(ctx, alice.ID, cid); !c.UpdatedAt.Equal(t1) {
		t.Errorf("refused orders touched it: updated at %v", c.UpdatedAt)
	}
	if err := db.SetCollectionOrder(ctx, alice.ID, 999_999, nil, t2); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown collection: %v", err)
	}
	// An empty collection takes the empty order.
	empty, _ := db.CreateCollection(ctx, alice.ID, "Empty", "", "slug-e", t0)
	if err := db.SetCollectionOrder(ctx, alice.ID, empty, nil, t2); err != nil {
		t.Errorf("empty collection: %v", err)
	}
}
