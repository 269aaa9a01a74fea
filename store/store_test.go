package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

// MustOpen opens a fresh database in a temporary folder.
func MustOpen(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for range 2 { // the second open must find everything applied
		db, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		ms, _ := loadMigrations(migrationFS)
		if n != len(ms) || n == 0 {
			t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
		}
		for _, table := range []string{"users", "identities", "sessions", "tokens", "login_failures"} {
			if err := db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
				t.Errorf("table %s: %v", table, err)
			}
		}
		var fk int
		rows, err := db.r.QueryContext(ctx, "PRAGMA foreign_key_check")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			fk++
		}
		rows.Close()
		if fk != 0 {
			t.Errorf("foreign_key_check found %d problems", fk)
		}
		db.Close()
	}
}

func TestLoadMigrationsRejectsDuplicateNumbers(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x);")},
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x);")},
		"migrations/002_c.sql":  {Data: []byte("CREATE TABLE c (x);")},
	}
	if _, err := loadMigrations(fsys); err == nil {
		t.Fatal("two migrations numbered 2 were accepted")
	}
	delete(fsys, "migrations/002_c.sql")
	ms, err := loadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].version != 1 || ms[1].version != 2 {
		t.Fatalf("got %+v", ms)
	}
	fsys["migrations/x_bad.sql"] = &fstest.MapFile{Data: []byte("")}
	if _, err := loadMigrations(fsys); err == nil {
		t.Fatal("a migration without a number was accepted")
	}
}

func TestEmbeddedMigrationsAreWellFormed(t *testing.T) {
	if _, err := loadMigrations(migrationFS); err != nil {
		t.Fatal(err)
	}
}

func TestFailedMigrationLeavesNoTrace(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	bad := fstest.MapFS{"migrations/9001_bad.sql": {Data: []byte("CREATE TABLE half (x); THIS IS NOT SQL;")}}
	if err := migrate(ctx, db.w, bad); err == nil {
		t.Fatal("bad migration applied")
	}
	var n int
	db.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'").Scan(&n)
	if n != 0 {
		t.Fatal("table from a failed migration survived")
	}
	db.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = 9001").Scan(&n)
	if n != 0 {
		t.Fatal("failed migration recorded as applied")
	}
}

func TestPragmasOnEveryConnection(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	var conns []*sql.Conn
	for range 4 { // the read pool's size: four distinct connections
		c, err := db.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	w, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conns = append(conns, w)
	for i, c := range conns {
		var fk, busy int
		var mode string
		c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
		c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy)
		c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
		if fk != 1 || busy != 5000 || mode != "wal" {
			t.Errorf("conn %d: foreign_keys=%d busy_timeout=%d journal_mode=%s", i, fk, busy, mode)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

func TestReadPoolIsReadOnlyAndForeignKeysHold(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	if _, err := db.r.ExecContext(ctx, "INSERT INTO users (password_hash, created_at) VALUES ('x', 1)"); err == nil {
		t.Error("write through the read-only pool succeeded")
	}
	if _, err := db.w.ExecContext(ctx, "INSERT INTO identities (user_id, kind, value, value_norm, created_at) VALUES (999, 'email', 'a@b.c', 'a@b.c', 1)"); err == nil {
		t.Error("identity for a missing user was accepted: foreign keys are off")
	}
}

// TestImmediateTransactionsNeverBusy runs concurrent read-then-write
// transactions on the writer. With deferred transactions SQLite answers
// SQLITE_BUSY without waiting; _txlock=immediate makes them queue.
func TestImmediateTransactionsNeverBusy(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	if _, err := db.w.ExecContext(ctx, "CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				errs <- func() error {
					tx, err := db.w.BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					var n int
					if err := tx.QueryRowContext(ctx, "SELECT n FROM counter").Scan(&n); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, "UPDATE counter SET n = ?", n+1); err != nil {
						return err
					}
					return tx.Commit()
				}()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	db.r.QueryRowContext(ctx, "SELECT n FROM counter").Scan(&n)
	if n != 400 {
		t.Fatalf("counter = %d, want 400 (lost updates)", n)
	}
}

func TestBackupWhileWriting(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	for i := range 50 {
		if _, _, err := db.CreateUser(ctx, fmt.Sprintf("user%d@example.org", i), "hash", now); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan error)
	go func() { // a writer that keeps going during the backup
		i := 1000
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, _, err := db.CreateUser(ctx, fmt.Sprintf("user%d@example.org", i), "hash", now); err != nil {
				done <- err
				return
			}
			i++
		}
	}()
	out := filepath.Join(t.TempDir(), "copy.db")
	err := Backup(ctx, db.Path(), out)
	close(stop)
	if werr := <-done; werr != nil {
		t.Fatal(werr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := Backup(ctx, db.Path(), out); err == nil {
		t.Error("backup overwrote an existing file")
	}

	cp, err := sql.Open("sqlite", dsn(out, true))
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var check string
	if err := cp.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	var users, idents int
	cp.QueryRow("SELECT COUNT(*) FROM users").Scan(&users)
	cp.QueryRow("SELECT COUNT(*) FROM identities").Scan(&idents)
	if users < 50 || users != idents {
		t.Fatalf("backup holds %d users and %d identities; want at least 50 of each, equal", users, idents)
	}
	// The copy holds a prefix of what was committed: the first 50 are there.
	for i := range 50 {
		var n int
		cp.QueryRow("SELECT COUNT(*) FROM identities WHERE value_norm = ?", fmt.Sprintf("user%d@example.org", i)).Scan(&n)
		if n != 1 {
			t.Fatalf("user%d missing from backup", i)
		}
	}
}

func TestBackupWithoutDatabase(t *testing.T) {
	err := Backup(context.Background(), filepath.Join(t.TempDir(), "nope.db"), filepath.Join(t.TempDir(), "out.db"))
	if err == nil {
		t.Fatal("backup of a missing database succeeded")
	}
}

func TestNotFoundIsSentinel(t *testing.T) {
	db := MustOpen(t)
	if _, err := db.UserByID(context.Background(), 42); !errors.Is(err, ErrNotFound) {
		t.Fatalf("UserByID(missing) = %v, want ErrNotFound", err)
	}
}

func TestIntegrityCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	u, _, _ := db.CreateUser(ctx, "i@example.org", "h", t0)
	for i := range 200 {
		db.SaveBadge(ctx, Badge{UserID: u.ID, Original: []byte(fmt.Sprintf("badge %d %s", i, strings.Repeat("x", 500))), OriginalType: "json",
			Name: fmt.Sprintf("B%d", i), BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Scribble over the middle of the file: the check must say so.
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 2; i < len(b)/2+4096 && i < len(b); i++ {
		b[i] = 0xA5
	}
	os.WriteFile(path, b, 0o600)
	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatalf("the damaged file did not open, so its check was not run: %v", err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err == nil {
		t.Fatal("a damaged database passed the integrity check")
	}
}
