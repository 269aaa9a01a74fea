// Package store keeps Backpack's data in SQLite. It owns every SQL string of
// the program: callers get domain types and sentinel errors, never rows.
//
// The database is opened three times: a writer pool with a single
// connection and immediate transactions (so read-then-write transactions
// never fail with SQLITE_BUSY), a read-only pool for concurrent readers,
// and a small read-only pool of its own for exports (Snapshot), so that
// exports never take the connections pages and /healthz need. Pragmas live
// in the DSN so that every pooled connection gets them.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrNotFound means no row matched (or it belongs to someone else).
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness rule refused the change.
	ErrConflict = errors.New("conflict")
)

// DB is the opened database.
type DB struct {
	w    *sql.DB // one connection, immediate transactions
	r    *sql.DB // read-only pool
	snap *sql.DB // read-only, for Snapshot only: snapshotConns connections
	path string
}

// exec runs one write outside a transaction (it commits on its own).
// Writes say nothing about whose public pages they change: triggers move
// the owners' public versions in the same transaction (see PublicVersion).
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.w.ExecContext(ctx, query, args...)
}

// commit commits a write transaction.
func (db *DB) commit(tx *sql.Tx) error { return tx.Commit() }

// FileName is the database file inside the data folder.
const FileName = "backpack.db"

// busy_timeout must come before journal_mode: switching to WAL needs a lock,
// and without a timeout a second process opening the file fails at once.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating if needed) the database in dir and applies the
// migrations that have not run yet.
func Open(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data folder: %w", err)
	}
	path := filepath.Join(dir, FileName)
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := migrate(ctx, w, migrationFS); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open reader: %w", err)
	}
	r.SetMaxOpenConns(4)
	snap, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("store: open snapshot reader: %w", err)
	}
	snap.SetMaxOpenConns(snapshotConns)
	return &DB{w: w, r: r, snap: snap, path: path}, nil
}

// snapshotConns is how many Snapshots may read at once; more wait for one
// to end (within their context).
const snapshotConns = 2

// Close closes the pools.
func (db *DB) Close() error {
	return errors.Join(db.snap.Close(), db.r.Close(), db.w.Close())
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Backup writes a consistent copy of the live database to out with
// VACUUM INTO. It writes to a temporary file next to out and renames it, so
// out never holds a half-written copy, and it refuses to overwrite out.
func Backup(ctx context.Context, dbPath, out string) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("store: backup: %s already exists", out)
	}
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("store: backup: no database at %s", dbPath)
	}
	tmp := out + ".tmp"
	os.Remove(tmp)
	src, err := sql.Open("sqlite", dsn(dbPath, true))
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer src.Close()
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

func unix(t time.Time) int64 { return t.Unix() }

func fromUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }

func fromNullUnix(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromUnix(n.Int64)
}

// IntegrityCheck runs SQLite's integrity check; nil means "ok".
func (db *DB) IntegrityCheck(ctx context.Context) error {
	rows, err := db.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("store: integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: integrity check: %s", strings.Join(problems, "; "))
	}
	return nil
}
