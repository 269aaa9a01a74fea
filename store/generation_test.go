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

func TestGenerationChangesOnEveryWriteOnly(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	u, _, err := db.CreateUser(ctx, "gen@example.org", "h", now)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := db.SaveBadge(ctx, Badge{UserID: u.ID, Original: []byte("g"), OriginalType: "json", Name: "G",
		BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})
	if err != nil {
		t.Fatal(err)
	}
	cid, err := db.CreateCollection(ctx, u.ID, "C", "", "slug-gen-c", now)
	if err != nil {
		t.Fatal(err)
	}
	writes := map[string]func() error{
		"share":        func() error { _, err := db.ShareBadge(ctx, u.ID, id, "slug-gen", now); return err },
		"share option": func() error { return db.UpdateShare(ctx, u.ID, id, true, true, false, "", now) },
		"verification": func() error {
			return db.UpdateVerification(ctx, u.ID, id, Verification{At: now, Reachable: true, Status: StatusRevoked, Name: "G", BadgeJSON: []byte("{}"), ReportJSON: []byte("{}")})
		},
		"display name":      func() error { return db.SetDisplayName(ctx, u.ID, "Gen") },
		"add to collection": func() error { return db.AddToCollection(ctx, u.ID, cid, id, now) },
		"collection":        func() error { return db.UpdateCollection(ctx, u.ID, cid, "C2", "", true, true, "", now) },
		"delete badge":      func() error { return db.DeleteBadge(ctx, u.ID, id) },
	}
	for _, name := range []string{"share", "share option", "verification", "display name", "add to collection", "collection", "delete badge"} {
		before := db.Generation()
		if err := writes[name](); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if db.Generation() == before {
			t.Errorf("%s: the generation did not change", name)
		}
	}
	before := db.Generation()
	db.SharedCollection(ctx, "slug-gen-c")
	db.Collections(ctx, u.ID)
	db.UserByID(ctx, u.ID)
	if db.Generation() != before {
		t.Error("reads changed the generation")
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
