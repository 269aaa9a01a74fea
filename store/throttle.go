package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Sign-in back-off is keyed by the normalised email address that was typed,
// whether or not an account has it.

// LoginLockedUntil returns until when sign-in with key is refused (zero if
// it is not).
func (db *DB) LoginLockedUntil(ctx context.Context, key string) (time.Time, error) {
	var until int64
	err := db.r.QueryRowContext(ctx, `SELECT locked_until FROM login_failures WHERE email_norm = ?`, key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) || until == 0 {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: LoginLockedUntil: %w", err)
	}
	return fromUnix(until), nil
}

// RecordLoginFailure counts a failed sign-in with key. Failures older than window
// start a new count. lockFor maps the count in the window to how long
// sign-in is then refused (0: not at all). It returns the lock's end.
func (db *DB) RecordLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration, lockFor func(failures int) time.Duration) (time.Time, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: RecordLoginFailure: %w", err)
	}
	defer tx.Rollback()
	var failures int
	var start int64
	err = tx.QueryRowContext(ctx, `SELECT failures, window_start FROM login_failures WHERE email_norm = ?`, key).Scan(&failures, &start)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("store: RecordLoginFailure: %w", err)
	}
	if errors.Is(err, sql.ErrNoRows) || fromUnix(start).Add(window).Before(now) {
		failures, start = 0, unix(now)
	}
	failures++
	var until time.Time
	var untilUnix int64
	if d := lockFor(failures); d > 0 {
		until = now.Add(d)
		untilUnix = unix(until)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (email_norm, failures, window_start, locked_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (email_norm) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until`,
		key, failures, start, untilUnix); err != nil {
		return time.Time{}, fmt.Errorf("store: RecordLoginFailure: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return time.Time{}, fmt.Errorf("store: RecordLoginFailure: commit: %w", err)
	}
	return until, nil
}

// ClearLoginFailures forgets the failed sign-ins for key.
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := db.exec(ctx, `DELETE FROM login_failures WHERE email_norm = ?`, key); err != nil {
		return fmt.Errorf("store: ClearLoginFailures: %w", err)
	}
	return nil
}
