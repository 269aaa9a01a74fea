package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// pagedCollection makes a collection of n of the user's badges, in an
// order other than the order they were saved in, and returns its id and
// the badge ids in the collection's order.
func pagedCollection(t *testing.T, db *DB, userID int64, n int) (int64, []int64) {
	t.Helper()
	ctx := context.Background()
	cid, err := db.CreateCollection(ctx, userID, "Paged", "", fmt.Sprintf("slug-paged-%020d", userID), t0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range n {
		id := mustSave(t, db, newBadge(userID, fmt.Sprintf("Paged %02d", i)))
		if err := db.AddToCollection(ctx, userID, cid, id, t0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if n >= 5 {
		slices.Reverse(ids[2:5]) // positions now differ from ids in the middle
	}
	if err := db.SetCollectionOrder(ctx, userID, cid, ids, t0); err != nil {
		t.Fatal(err)
	}
	return cid, ids
}

func pageIDs(p CollectionPage) []int64 {
	var out []int64
	for _, b := range p.Badges {
		out = append(out, b.ID)
	}
	return out
}

func TestCollectionBadgePage(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	alice := mustUser(t, db, "alice@example.org")
	cid, ids := pagedCollection(t, db, alice, 7)

	// Forwards, three at a time: every badge once, in order.
	var seen []int64
	var pages []CollectionPage
	q := CollectionPageQuery{Limit: 3}
	for range 10 {
		p, err := db.CollectionBadgePage(ctx, cid, q)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		seen = append(seen, pageIDs(p)...)
		for _, b := range p.Badges {
			if b.Original != nil {
				t.Fatalf("badge %d read with its original", b.ID)
			}
		}
		if !p.Next {
			break
		}
		q.After = p.Badges[len(p.Badges)-1].ID
	}
	if !slices.Equal(seen, ids) {
		t.Fatalf("pages forwards gave %v, want %v", seen, ids)
	}
	flags := func(p CollectionPage) string { return fmt.Sprint(p.Prev, p.Next) }
	if len(pages) != 3 || flags(pages[0]) != "false true" || flags(pages[1]) != "true true" || flags(pages[2]) != "true false" {
		t.Fatalf("%d pages, prev/next %v %v %v", len(pages), flags(pages[0]), flags(pages[1]), flags(pages[len(pages)-1]))
	}

	// Cards read what a card shows, the same badges in the same order.
	full, err := db.CollectionBadgePage(ctx, cid, CollectionPageQuery{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	cards, err := db.CollectionBadgePage(ctx, cid, CollectionPageQuery{Limit: 5, Cards: true})
	if err != nil || !slices.Equal(pageIDs(cards), pageIDs(full)) || flags(cards) != flags(full) {
		t.Fatalf("cards: %v %s %v; want %v %s", pageIDs(cards), flags(cards), err, pageIDs(full), flags(full))
	}
	for i, c := range cards.Badges {
		f := full.Badges[i]
		if c.Name != f.Name || c.IssuerName != f.IssuerName || c.Status != f.Status || !c.IssuedOn.Equal(f.IssuedOn) ||
			!c.VerifiedAt.Equal(f.VerifiedAt) || string(c.ReportJSON) != string(f.ReportJSON) || c.BadgeJSON != nil {
			t.Fatalf("card %d: %+v\nfull: %+v", i, c, f)
		}
		if _, err := c.Report(); err != nil {
			t.Fatalf("card %d: report: %v", i, err)
		}
	}

	// Backwards from the last badge: the badges before it, in order.
	p, err := db.CollectionBadgePage(ctx, cid, CollectionPageQuery{Before: ids[6], Limit: 3})
	if err != nil || !slices.Equal(pageIDs(p), ids[3:6]) || flags(p) != "true true" {
		t.Fatalf("before the last: %v %s %v; want %v", pageIDs(p), flags(p), err, ids[3:6])
	}
	p, err = db.CollectionBadgePage(ctx, cid, CollectionPageQuery{Before: ids[2], Limit: 3})
	if err != nil || !slices.Equal(pageIDs(p), ids[:2]) || flags(p) != "false true" {
		t.Fatalf("before the third: %v %s %v; want %v", pageIDs(p), flags(p), err, ids[:2])
	}

	// A cursor outside the collection is not found, another user's too.
	bob := mustUser(t, db, "bob@example.org")
	bobCol, bobIDs := pagedCollection(t, db, bob, 2)
	for _, q := range []CollectionPageQuery{{After: 999_999}, {Before: bobIDs[0]}, {After: bobIDs[1]}} {
		if _, err := db.CollectionBadgePage(ctx, cid, q); !errors.Is(err, ErrNotFound) {
			t.Errorf("%+v: %v, want ErrNotFound", q, err)
		}
	}
	if p, err := db.CollectionBadgePage(ctx, bobCol, CollectionPageQuery{}); err != nil || !slices.Equal(pageIDs(p), bobIDs) || p.Prev || p.Next {
		t.Fatalf("bob's whole collection: %v %s %v", pageIDs(p), flags(p), err)
	}
	// An empty collection is one empty page.
	empty, _ := db.CreateCollection(ctx, alice, "Empty", "", "slug-empty-000000000000", t0)
	if p, err := db.CollectionBadgePage(ctx, empty, CollectionPageQuery{}); err != nil || len(p.Badges) != 0 || p.Prev || p.Next {
		t.Fatalf("empty collection: %+v %v", p, err)
	}
}

// TestCollectionPageReadsInIndexOrder holds the cost of a page: SQLite
// walks the collection_badges_order index from the cursor and stops after
// the page, never sorting the collection (which would cost in its size).
func TestCollectionPageReadsInIndexOrder(t *testing.T) {
	db := MustOpen(t)
	for _, c := range []struct {
		cursor    int64
		backwards bool
	}{{0, false}, {5, false}, {5, true}} {
		query, args := collectionPageSQL(1, c.cursor, 3, c.backwards, false, 25)
		plan := queryPlan(t, db, query, args...)
		if !strings.Contains(plan, "collection_badges_order") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("cursor %d backwards %v: the page is not read in index order:\n%s", c.cursor, c.backwards, plan)
		}
	}
}

func TestSharedCollectionBadge(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	alice := mustUser(t, db, "alice@example.org")
	cid, ids := pagedCollection(t, db, alice, 2)
	outside := mustSave(t, db, newBadge(alice, "Not in it"))
	slug := fmt.Sprintf("slug-paged-%020d", alice)
	if _, _, err := db.SharedCollectionBadge(ctx, slug, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("private collection: %v", err)
	}
	if err := db.UpdateCollection(ctx, alice, cid, "Paged", "", true, false, "", t0); err != nil {
		t.Fatal(err)
	}
	col, b, err := db.SharedCollectionBadge(ctx, slug, ids[1])
	if err != nil || col.ID != cid || b.ID != ids[1] || b.Original != nil || b.Name == "" {
		t.Fatalf("SharedCollectionBadge = %d, %d (original %q), %v", col.ID, b.ID, b.Original, err)
	}
	for _, id := range []int64{outside, 999_999} {
		if _, _, err := db.SharedCollectionBadge(ctx, slug, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("badge %d, not in the collection: %v", id, err)
		}
	}
}

// queryPlan is SQLite's plan of query, one step a line.
func queryPlan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(steps, "\n")
}
