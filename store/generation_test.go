package store

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestStampChangesOnTheOwnersPublicWritesOnly(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	u, _, err := db.CreateUser(ctx, "gen@example.org", "h", now)
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := db.CreateUser(ctx, "other@example.org", "h", now)
	id, _, err := db.SaveBadge(ctx, Badge{UserID: u.ID, Original: []byte("g"), OriginalType: "json", Name: "G",
		BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})
	if err != nil {
		t.Fatal(err)
	}
	cid, err := db.CreateCollection(ctx, u.ID, "C", "", "slug-gen-c", now)
	if err != nil {
		t.Fatal(err)
	}
	changes := []struct {
		name  string
		write func() error
	}{
		{"share", func() error { _, err := db.ShareBadge(ctx, u.ID, id, "slug-gen", now); return err }},
		{"share option", func() error { return db.UpdateShare(ctx, u.ID, id, true, true, false, "", now) }},
		{"verification", func() error {
			return db.UpdateVerification(ctx, u.ID, id, Verification{At: now, Reachable: true, Status: StatusRevoked, Name: "G", BadgeJSON: []byte("{}"), ReportJSON: []byte("{}")})
		}},
		{"display name", func() error { return db.SetDisplayName(ctx, u.ID, "Gen") }},
		{"add to collection", func() error { return db.AddToCollection(ctx, u.ID, cid, id, now) }},
		{"collection", func() error { return db.UpdateCollection(ctx, u.ID, cid, "C2", "", true, true, "", now) }},
		{"new badge", func() error {
			_, _, err := db.SaveBadge(ctx, Badge{UserID: u.ID, Original: []byte("h"), OriginalType: "json", Name: "H", BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})
			return err
		}},
		{"delete badge", func() error { return db.DeleteBadge(ctx, u.ID, id) }},
	}
	for _, c := range changes {
		before, writes := db.Stamp(u.ID), db.Writes()
		if err := c.write(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if db.Stamp(u.ID) == before || db.Writes() == writes {
			t.Errorf("%s: the owner's stamp or the write count did not change", c.name)
		}
	}
	// Another user's writes, reads, and writes no public page shows leave
	// the stamp alone.
	before, writes := db.Stamp(u.ID), db.Writes()
	db.SetDisplayName(ctx, other.ID, "Other")
	db.CreateSession(ctx, Session{IDHash: []byte("s"), UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
	db.TouchSession(ctx, []byte("s"), now.Add(time.Minute))
	job, _ := db.CreateImportJob(ctx, u.ID, "z.zip", "", now)
	db.AddImportItems(ctx, job, []ImportItem{{Seq: 1, Name: "x", Data: []byte("x")}})
	db.SharedCollection(ctx, "slug-gen-c")
	db.Collections(ctx, u.ID)
	if db.Stamp(u.ID) != before {
		t.Error("another user's or quiet writes changed the stamp")
	}
	if db.Writes() != writes+1 {
		t.Errorf("write count moved by %d, want 1 (the other user's name)", db.Writes()-writes)
	}
}

// Every write must go through exec or commit, or Generation would miss it
// and cached public pages would go stale.
func TestWritesGoThroughExecOrCommit(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	bad := regexp.MustCompile(`\.w\.ExecContext\(|\btx\.Commit\(\)|\.w\.(Query|QueryRow|Prepare)Context\(`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "store.go" || f == "migrate.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if bad.MatchString(line) {
				t.Errorf("%s:%d writes around exec/commit: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
