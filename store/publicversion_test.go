package store

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"backpack/openbadges"
)

// version reads the user's public version or fails the test.
func version(tb testing.TB, db *DB, userID int64) int64 {
	tb.Helper()
	v, err := db.PublicVersion(context.Background(), userID)
	if err != nil {
		tb.Fatalf("PublicVersion(%d): %v", userID, err)
	}
	return v
}

func TestPublicVersionFollowsTheOwnersPublicWrites(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := t0
	owner := mustUser(t, db, "owner@example.org")
	other := mustUser(t, db, "other@example.org")
	otherBadge := mustSave(t, db, newBadge(other, "Theirs"))
	if _, err := db.ShareBadge(ctx, other, otherBadge, "slug-other-badge-0001", now); err != nil {
		t.Fatal(err)
	}
	var id, second, cid int64
	replacement := newBadge(owner, "Issue 1")
	replacement.DedupKey = "issuer\ncredential"
	changes := []struct {
		name  string
		write func() error
	}{
		{"new badge", func() (err error) { id, _, err = db.SaveBadge(ctx, newBadge(owner, "Mine")); return err }},
		{"second badge", func() (err error) { second, _, err = db.SaveBadge(ctx, replacement); return err }},
		{"newer issue replaces a badge", func() error {
			b := replacement
			b.Original, b.Name, b.ValidFrom = []byte(`{"issue":2}`), "Issue 2", t0.Add(time.Hour)
			_, outcome, err := db.SaveBadge(ctx, b)
			if err == nil && outcome != Updated {
				return errors.New("outcome " + string(outcome))
			}
			return err
		}},
		{"share", func() error { _, err := db.ShareBadge(ctx, owner, id, "slug-owner-badge-0001", now); return err }},
		{"share options", func() error { return db.UpdateShare(ctx, owner, id, true, true, true, "", now) }},
		{"share the original", func() error {
			return db.UpdateShareOptions(ctx, owner, id, ShareOptions{ShowRecipient: true, Indexable: true, ShareOriginal: true}, now)
		}},
		{"new link", func() error { return db.UpdateShare(ctx, owner, id, true, true, true, "slug-owner-badge-0002", now) }},
		{"unshare", func() error { return db.UpdateShare(ctx, owner, id, false, true, true, "", now) }},
		{"share again", func() error { _, err := db.ShareBadge(ctx, owner, id, "unused", now); return err }},
		{"verification", func() error {
			return db.UpdateVerification(ctx, owner, id, Verification{At: now.Add(time.Minute), Reachable: true, Status: StatusRevoked,
				Name: "Mine", BadgeJSON: []byte("{}"), ReportJSON: []byte("{}")})
		}},
		{"verification, issuer unreachable", func() error {
			return db.UpdateVerification(ctx, owner, id, Verification{At: now.Add(2 * time.Minute)})
		}},
		{"display name", func() error { return db.SetDisplayName(ctx, owner, "Owner") }},
		{"displayer opt-in", func() error { _, err := db.EnableDisplayer(ctx, owner, "displayer-owner-00001", now); return err }},
		{"displayer opt-out", func() error { return db.DisableDisplayer(ctx, owner) }},
		{"new collection", func() (err error) {
			cid, err = db.CreateCollection(ctx, owner, "C", "", "slug-owner-col-00001", now)
			return err
		}},
		{"collection shared", func() error { return db.UpdateCollection(ctx, owner, cid, "C", "d", true, false, "", now) }},
		{"add to collection", func() error { return db.AddToCollection(ctx, owner, cid, id, now) }},
		{"add another", func() error { return db.AddToCollection(ctx, owner, cid, second, now) }},
		{"move in collection", func() error { return db.MoveInCollection(ctx, owner, cid, second, -1, now) }},
		{"collection order", func() error { return db.SetCollectionOrder(ctx, owner, cid, []int64{id, second}, now) }},
		{"remove from collection", func() error { return db.RemoveFromCollection(ctx, owner, cid, second, now) }},
		{"collection from an import", func() error {
			job, err := db.CreateImportJob(ctx, owner, "export.zip", "", now)
			if err != nil {
				return err
			}
			return db.FinishImportJob(ctx, job, []NewCollection{{Name: "Imported", Slug: "slug-owner-col-00002", Shared: true, BadgeIDs: []int64{id}}}, now)
		}},
		{"delete collection", func() error { return db.DeleteCollection(ctx, owner, cid) }},
		{"delete badge", func() error { return db.DeleteBadge(ctx, owner, second) }},
		{"delete user", func() error { return db.DeleteUser(ctx, owner) }},
	}
	for _, c := range changes {
		before, otherBefore := version(t, db, owner), version(t, db, other)
		if err := c.write(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if after := version(t, db, owner); after <= before {
			t.Errorf("%s: the owner's public version went from %d to %d, want it up", c.name, before, after)
		}
		if v := version(t, db, other); v != otherBefore {
			t.Errorf("%s: another user's public version went from %d to %d", c.name, otherBefore, v)
		}
	}
}

func TestPublicVersionIgnoresBookkeeping(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := t0
	u, email, err := db.CreateUser(ctx, "owner@example.org", "h", now)
	if err != nil {
		t.Fatal(err)
	}
	b := newBadge(u.ID, "Shared")
	id := mustSave(t, db, b)
	if _, err := db.ShareBadge(ctx, u.ID, id, "slug-owner-badge-0001", now); err != nil {
		t.Fatal(err)
	}
	quiet := []struct {
		name  string
		write func() error
	}{
		{"claim for re-verification", func() error {
			got, err := db.ClaimDue(ctx, now.Add(time.Hour), now.Add(time.Hour), 10, time.Minute)
			if err == nil && len(got) != 1 {
				return errors.New("claimed nothing")
			}
			return err
		}},
		{"the same badge again", func() error { _, _, err := db.SaveBadge(ctx, b); return err }},
		{"session", func() error {
			return db.CreateSession(ctx, Session{IDHash: token(1), UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
		}},
		{"session touched", func() error { return db.TouchSession(ctx, token(1), now.Add(time.Minute)) }},
		{"sessions expired", func() error { _, err := db.DeleteExpiredSessions(ctx, now.Add(2*time.Hour), time.Hour); return err }},
		{"token", func() error {
			return db.CreateToken(ctx, Token{Hash: token(2), Kind: ConfirmEmail, UserID: u.ID, IdentityID: email.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		}},
		{"address confirmed", func() error { _, err := db.UseConfirmToken(ctx, token(2), now); return err }},
		{"identity", func() error {
			_, err := db.AddIdentity(ctx, u.ID, openbadges.URL, "https://owner.example/", now)
			return err
		}},
		{"password", func() error { return db.SetPassword(ctx, u.ID, "h2", nil) }},
		{"password rehashed", func() error { return db.RehashPassword(ctx, u.ID, "h2", "h3") }},
		{"login failure", func() error {
			_, err := db.RecordLoginFailure(ctx, "owner@example.org", now, time.Hour, func(int) time.Duration { return 0 })
			return err
		}},
		{"pending import", func() error {
			_, err := db.AddPending(ctx, Pending{UserID: u.ID, Original: []byte("pending"), OriginalType: "json", CreatedAt: now})
			return err
		}},
		{"import items", func() error {
			job, err := db.CreateImportJob(ctx, u.ID, "badges.zip", "", now)
			if err == nil {
				err = db.AddImportItems(ctx, job, []ImportItem{{Seq: 1, Name: "a.json", Data: []byte("{}")}})
			}
			if err == nil {
				err = db.QueueImportJob(ctx, job, 1)
			}
			if err == nil {
				_, err = db.ClaimImportItems(ctx, job, 1, now, time.Minute)
			}
			if err == nil {
				err = db.FinishImportItem(ctx, ImportItem{JobID: job, Seq: 1, Outcome: "rejected", Message: "no"})
			}
			if err == nil {
				err = db.FinishImportJob(ctx, job, nil, now)
			}
			return err
		}},
		{"images", func() error {
			img := []byte("an image")
			if err := db.PutImage(ctx, hashOf(img), "image/png", img, now); err != nil {
				return err
			}
			if err := db.SetIssuerImage(ctx, "https://issuer.example/", "image/png", []byte("a logo"), now); err != nil {
				return err
			}
			_, err := db.DeleteOrphanImages(ctx, now.Add(time.Hour))
			return err
		}},
	}
	for _, c := range quiet {
		before := version(t, db, u.ID)
		if err := c.write(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if after := version(t, db, u.ID); after != before {
			t.Errorf("%s: the public version went from %d to %d; no public page shows it", c.name, before, after)
		}
	}
}

func TestPublicVersionNeverRepeatsForAnID(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	if _, err := db.PublicVersion(ctx, 12345); !errors.Is(err, ErrNotFound) {
		t.Errorf("a user who never existed: %v, want ErrNotFound", err)
	}
	u := mustUser(t, db, "first@example.org")
	mustSave(t, db, newBadge(u, "B"))
	if err := db.DeleteUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	gone := version(t, db, u)
	// SQLite hands the largest rowid out again: the new user's number
	// must carry on, or a page of the deleted user kept under it would
	// be served as the new user's.
	again := mustUser(t, db, "second@example.org")
	if again != u {
		t.Skipf("the id was not reused (%d, then %d)", u, again)
	}
	if v := version(t, db, again); v <= gone {
		t.Errorf("the reused id's version is %d, want more than %d", v, gone)
	}
}

// Two handles on one folder are two app instances on one database: a
// write through one moves the version the other reads.
func TestPublicVersionSeenByAnotherInstance(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	one, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	two, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer two.Close()
	u := mustUser(t, one, "a@example.org")
	before := version(t, one, u)
	if err := two.SetDisplayName(ctx, u, "Renamed elsewhere"); err != nil {
		t.Fatal(err)
	}
	if v := version(t, one, u); v <= before {
		t.Errorf("after a write through the other handle: %d, want more than %d", v, before)
	}
}

// TestPublicVersionMigrationUpgrades applies 0009 to a database that has
// users already: each gets a version.
func TestPublicVersionMigrationUpgrades(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	triggers := queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'public_version_%'`)
	for _, name := range triggers {
		if _, err := db.w.ExecContext(ctx, "DROP TRIGGER "+name); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"DROP TABLE public_versions", "DELETE FROM schema_migrations WHERE version = 9"} {
		if _, err := db.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	u := mustUser(t, db, "a@example.org")
	if err := migrate(ctx, db.w, migrationFS); err != nil {
		t.Fatal(err)
	}
	before := version(t, db, u)
	mustSave(t, db, newBadge(u, "after the upgrade"))
	if v := version(t, db, u); v <= before {
		t.Errorf("a badge saved after the upgrade left the version at %d", v)
	}
}

// publicTables are the tables public pages show, each with the columns
// whose change does not bump the owner's public version (nil: every
// column bumps). quietTables are those no public page shows. Migration
// 0009 says why. A table or column added later must be placed here, and
// in a trigger when it is shown.
var (
	publicTables = map[string][]string{
		"users":             {"password_hash", "created_at"},
		"badges":            {"claimed_until", "name_lower", "issuer_lower", "description_lower", "tags_lower"},
		"badge_shares":      nil,
		"collections":       nil,
		"collection_badges": nil,
		"displayer_ids":     nil,
	}
	quietTables = []string{"images", "issuer_images", "badge_counts", "badge_issuers", "identities", "sessions", "tokens",
		"login_failures", "pending_imports", "import_jobs", "import_items", "schema_migrations", "public_versions",
		"mail_queue", "storage_used"}
)

var updateOf = regexp.MustCompile(`(?is)AFTER\s+UPDATE\s+OF\s+(.*?)\s+ON\s`)

func TestPublicVersionTriggersCoverTheSchema(t *testing.T) {
	db := MustOpen(t)
	for _, table := range queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`) {
		_, public := publicTables[table]
		if public == slices.Contains(quietTables, table) {
			t.Errorf("table %s: say whether public pages show it (publicTables) or not (quietTables), in the test and in migration 0009", table)
		}
	}
	for table, quiet := range publicTables {
		for _, event := range []string{"insert", "update", "delete"} {
			name := "public_version_" + table + "_" + event
			sql := queryStrings(t, db, `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?`, name)
			if len(sql) != 1 {
				t.Errorf("no trigger %s", name)
				continue
			}
			if event != "update" {
				continue
			}
			m := updateOf.FindStringSubmatch(sql[0])
			if m == nil {
				if quiet != nil {
					t.Errorf("%s fires on every column, but %v should not bump", name, quiet)
				}
				continue
			}
			var bumps []string
			for _, c := range strings.Split(m[1], ",") {
				bumps = append(bumps, strings.TrimSpace(c))
			}
			for _, col := range queryStrings(t, db, `SELECT name FROM pragma_table_info(?)`, table) {
				if slices.Contains(bumps, col) == slices.Contains(quiet, col) {
					t.Errorf("%s.%s: name it in %s or among the columns that do not bump", table, col, name)
				}
			}
		}
	}
}

func queryStrings(tb testing.TB, db *DB, query string, args ...any) []string {
	tb.Helper()
	rows, err := db.r.QueryContext(context.Background(), query, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// BenchmarkPublicVersion is what a cache hit of a public page costs the
// database.
func BenchmarkPublicVersion(b *testing.B) {
	db := MustOpen(b)
	ctx := context.Background()
	u := mustUser(b, db, "a@example.org")
	for b.Loop() {
		if _, err := db.PublicVersion(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
}
