package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// recount is what the user keeps, counted from scratch (as migration 0013
// counts what was there before it).
func recount(tb testing.TB, db *DB, userID int64) int64 {
	tb.Helper()
	var n int64
	err := db.r.QueryRowContext(context.Background(), `SELECT
		COALESCE((SELECT SUM(length(CAST(b.original AS BLOB)) + COALESCE((SELECT length(CAST(i.bytes AS BLOB)) FROM images i WHERE i.hash = b.image_hash), 0))
			FROM badges b WHERE b.user_id = ?), 0)
		+ COALESCE((SELECT SUM(length(CAST(p.original AS BLOB))) FROM pending_imports p WHERE p.user_id = ?), 0)`, userID, userID).Scan(&n)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func used(tb testing.TB, db *DB, userID int64) int64 {
	tb.Helper()
	n, err := db.StorageUsed(context.Background(), userID)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func withImage(b Badge, img string) Badge {
	b.Image, b.ImageType = []byte(img), "image/png"
	return b
}

// TestStorageUsedFollowsEveryWrite: every write that keeps or drops bytes
// for a user moves their count by exactly that, and only theirs.
func TestStorageUsedFollowsEveryWrite(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	owner, other := mustUser(t, db, "owner@example.org"), mustUser(t, db, "other@example.org")
	mustSave(t, db, withImage(newBadge(other, "Theirs"), "a shared image"))
	var first, second int64
	replaced := withImage(newBadge(owner, "Issue 1"), "image one")
	replaced.DedupKey = "issuer\ncredential"
	var pending int64
	steps := []struct {
		name  string
		write func() error
		delta int64
	}{
		{"badge with an image", func() (err error) {
			first, _, err = db.SaveBadge(ctx, withImage(newBadge(owner, "Mine"), "a shared image"))
			return err
		}, int64(len(`{"name":"Mine"}`) + len("a shared image"))},
		{"the same badge again", func() error {
			_, _, err := db.SaveBadge(ctx, withImage(newBadge(owner, "Mine"), "a shared image"))
			return err
		}, 0},
		{"badge to be replaced", func() (err error) { second, _, err = db.SaveBadge(ctx, replaced); return err },
			int64(len(`{"name":"Issue 1"}`) + len("image one"))},
		{"newer issue, other image", func() error {
			b := replaced
			b.Original, b.ValidFrom, b.Image = []byte(`{"issue":2, "longer": true}`), t0.Add(time.Hour), []byte("image two, larger")
			_, outcome, err := db.SaveBadge(ctx, b)
			if err == nil && outcome != Updated {
				err = errors.New("outcome " + string(outcome))
			}
			return err
		}, int64(len(`{"issue":2, "longer": true}`)+len("image two, larger")) - int64(len(`{"name":"Issue 1"}`)+len("image one"))},
		{"re-verification", func() error {
			return db.UpdateVerification(ctx, owner, first, Verification{At: t0.Add(time.Minute), Reachable: true, Status: StatusRevoked,
				Name: "Mine", BadgeJSON: []byte("{}"), ReportJSON: []byte("{}")})
		}, 0},
		{"pending badge", func() (err error) {
			pending, err = db.AddPending(ctx, Pending{UserID: owner, Original: []byte("pending original"), OriginalType: "json", CreatedAt: t0})
			return err
		}, int64(len("pending original"))},
		{"the same pending badge", func() error {
			_, err := db.AddPending(ctx, Pending{UserID: owner, Original: []byte("pending original"), OriginalType: "json", CreatedAt: t0})
			return err
		}, 0},
		{"pending dropped", func() error { return db.DeletePending(ctx, owner, pending) }, -int64(len("pending original"))},
		{"delete the replaced badge", func() error { return db.DeleteBadge(ctx, owner, second) }, -int64(len(`{"issue":2, "longer": true}`) + len("image two, larger"))},
		{"delete the badge whose image another shows", func() error { return db.DeleteBadge(ctx, owner, first) }, -int64(len(`{"name":"Mine"}`) + len("a shared image"))},
	}
	otherUses := used(t, db, other)
	for _, s := range steps {
		before := used(t, db, owner)
		if err := s.write(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		after := used(t, db, owner)
		if after-before != s.delta || after != recount(t, db, owner) {
			t.Errorf("%s: storage went from %d to %d (recounted %d), want %+d", s.name, before, after, recount(t, db, owner), s.delta)
		}
		if n := used(t, db, other); n != otherUses || n != recount(t, db, other) {
			t.Errorf("%s: another user's storage went from %d to %d", s.name, otherUses, n)
		}
	}
	if used(t, db, owner) != 0 {
		t.Errorf("an empty backpack uses %d bytes", used(t, db, owner))
	}
	if err := db.DeleteUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StorageUsed(ctx, other); !errors.Is(err, ErrNotFound) {
		t.Errorf("a deleted user's storage: %v", err)
	}
}

// TestQuotaAtTheEdge: a badge that brings the user to their quota exactly
// is kept; one byte more is refused with ErrQuota and leaves nothing
// behind (neither the badge nor its import item's outcome); a write that
// does not grow the storage goes through even past the quota.
func TestQuotaAtTheEdge(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	u := mustUser(t, db, "owner@example.org")
	mustSave(t, db, withImage(newBadge(u, "First"), "first image"))
	base := used(t, db, u)
	next := withImage(newBadge(u, "Second"), "second image")
	size := int64(len(next.Original) + len(next.Image))

	job, _ := db.CreateImportJob(ctx, u, "badges.zip", "", t0)
	if err := db.AddImportItems(ctx, job, []ImportItem{{Seq: 1, Name: "second.json", Data: next.Original}}); err != nil {
		t.Fatal(err)
	}
	over := next
	over.Quota, over.FromItem = base+size-1, &ItemOutcome{JobID: job, Seq: 1}
	if _, _, err := db.SaveBadge(ctx, over); !errors.Is(err, ErrQuota) {
		t.Fatalf("one byte over the quota: %v, want ErrQuota", err)
	}
	if used(t, db, u) != base || countRows(t, db, "badges") != 1 {
		t.Fatalf("a refused badge left %d bytes and %d badges", used(t, db, u)-base, countRows(t, db, "badges"))
	}
	if items, _ := db.ImportItems(ctx, job); items[0].Done {
		t.Fatal("a refused badge marked its import item done")
	}
	at := over
	at.Quota = base + size
	if _, outcome, err := db.SaveBadge(ctx, at); err != nil || outcome != Added {
		t.Fatalf("exactly at the quota: %s, %v", outcome, err)
	}
	if used(t, db, u) != base+size {
		t.Fatalf("storage %d, want %d", used(t, db, u), base+size)
	}
	// Full: the same badge again is still a duplicate, not a refusal.
	if _, outcome, err := db.SaveBadge(ctx, at); err != nil || outcome != Duplicate {
		t.Fatalf("a duplicate when full: %s, %v", outcome, err)
	}
	p := Pending{UserID: u, Original: []byte("p"), OriginalType: "json", CreatedAt: t0, Quota: base + size}
	if _, err := db.AddPending(ctx, p); !errors.Is(err, ErrQuota) {
		t.Fatalf("a pending badge past the quota: %v", err)
	}
	p.Quota++
	if _, err := db.AddPending(ctx, p); err != nil {
		t.Fatalf("a pending badge just within: %v", err)
	}
}

// TestMigrationCountsWhatWasThere: migration 0013 counts the storage of a
// database that had badges before it.
func TestMigrationCountsWhatWasThere(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	u := mustUser(t, db, "owner@example.org")
	mustSave(t, db, withImage(newBadge(u, "First"), "first image"))
	if _, err := db.AddPending(ctx, Pending{UserID: u, Original: []byte("pending"), OriginalType: "json", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	want := used(t, db, u)
	for _, q := range []string{
		`DROP TABLE storage_used`,
		`DELETE FROM schema_migrations WHERE version = 13`,
	} {
		if _, err := db.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'storage_used_%'`) {
		if _, err := db.w.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate(ctx, db.w, migrationFS); err != nil {
		t.Fatal(err)
	}
	if got := used(t, db, u); got != want || want == 0 {
		t.Fatalf("after the migration: %d bytes, want %d", got, want)
	}
}
