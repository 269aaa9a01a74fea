package store

import (
	"context"
	"database/sql"
	"testing"
)

// TestSnapshotIsConsistent: a Snapshot shows one state of the user's data
// for as long as its function runs, whatever is written meanwhile.
func TestSnapshotIsConsistent(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	u := mustUser(t, db, "a@example.org")
	first := mustSave(t, db, newBadge(u, "First"))
	names := func(s *Snapshot) []string {
		t.Helper()
		var out []string
		if err := s.Badges(false, func(b Badge) error { out = append(out, b.Name); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	err := db.Snapshot(ctx, u, func(s *Snapshot) error {
		before := names(s)
		mustSave(t, db, newBadge(u, "Second"))
		if err := db.DeleteBadge(ctx, u, first); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateCollection(ctx, u, "Later", "", "slug-later", t0); err != nil {
			t.Fatal(err)
		}
		if after := names(s); len(before) != 1 || len(after) != 1 || after[0] != "First" {
			t.Errorf("badges in the snapshot: %v, then %v; want [First] throughout", before, after)
		}
		if cols, err := s.Collections(); err != nil || len(cols) != 0 {
			t.Errorf("collections in the snapshot: %v, %v; want none", cols, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Snapshot(ctx, u, func(s *Snapshot) error {
		if got := names(s); len(got) != 1 || got[0] != "Second" {
			t.Errorf("a later snapshot: %v, want [Second]", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotsLeaveTheReadersAlone: while as many snapshots as may run
// at once are open, every connection of the read pool is still free.
func TestSnapshotsLeaveTheReadersAlone(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	u := mustUser(t, db, "a@example.org")
	mustSave(t, db, newBadge(u, "First"))
	release := make(chan struct{})
	open := make(chan error)
	for range snapshotConns {
		go func() {
			open <- db.Snapshot(ctx, u, func(s *Snapshot) error {
				if _, err := s.User(); err != nil {
					return err
				}
				open <- nil
				<-release
				return nil
			})
		}()
	}
	for range snapshotConns {
		if err := <-open; err != nil {
			t.Fatal(err)
		}
	}
	if n := db.r.Stats().InUse; n != 0 {
		close(release)
		t.Fatalf("%d snapshots hold %d connections of the read pool", snapshotConns, n)
	}
	var conns []*sql.Conn
	for range 4 { // the read pool's size
		c, err := db.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	if err := db.Ping(ctx); err != nil {
		t.Error(err)
	}
	close(release)
	for range snapshotConns {
		if err := <-open; err != nil {
			t.Error(err)
		}
	}
}
