package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in device. The cookie holds a random id; the store
// keeps only its SHA-256 (IDHash).
type Session struct {
	IDHash     []byte
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	UserAgent  string
	IP         string
}

// CreateSession records a new session.
func (db *DB) CreateSession(ctx context.Context, s Session) error {
	_, err := db.exec(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, user_agent, ip)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, s.IDHash, s.UserID, unix(s.CreatedAt), unix(s.LastSeenAt), unix(s.ExpiresAt), s.UserAgent, s.IP)
	if err != nil {
		return fmt.Errorf("store: CreateSession: %w", err)
	}
	return nil
}

const sessionColumns = `id_hash, user_id, created_at, last_seen_at, expires_at, user_agent, ip`

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var s Session
	var created, seen, expires int64
	if err := row.Scan(&s.IDHash, &s.UserID, &created, &seen, &expires, &s.UserAgent, &s.IP); err != nil {
		return Session{}, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromUnix(created), fromUnix(seen), fromUnix(expires)
	return s, nil
}

// SessionByHash returns the session with the given id hash if it has not
// expired (absolute expiry) and was used within idle of now.
func (db *DB) SessionByHash(ctx context.Context, idHash []byte, now time.Time, idle time.Duration) (Session, error) {
	s, err := scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE id_hash = ? AND expires_at > ? AND last_seen_at > ?`, idHash, unix(now), unix(now.Add(-idle))))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: SessionByHash: %w", err)
	}
	return s, nil
}

// TouchSession records that the session was used at now.
func (db *DB) TouchSession(ctx context.Context, idHash []byte, now time.Time) error {
	if _, err := db.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, unix(now), idHash); err != nil {
		return fmt.Errorf("store: TouchSession: %w", err)
	}
	return nil
}

// Sessions lists the user's live sessions, most recently used first.
func (db *DB) Sessions(ctx context.Context, userID int64, now time.Time) ([]Session, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = ? AND expires_at > ? ORDER BY last_seen_at DESC`, userID, unix(now))
	if err != nil {
		return nil, fmt.Errorf("store: Sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("store: Sessions: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: Sessions: %w", err)
	}
	return out, nil
}

// DeleteSession ends one session.
func (db *DB) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := db.exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("store: DeleteSession: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of the user except keep (nil: all).
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64, keep []byte) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: DeleteUserSessions: %w", err)
	}
	defer tx.Rollback()
	if err := deleteSessions(ctx, tx, userID, keep); err != nil {
		return fmt.Errorf("store: DeleteUserSessions: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: DeleteUserSessions: commit: %w", err)
	}
	return nil
}

func deleteSessions(ctx context.Context, tx *sql.Tx, userID int64, keep []byte) error {
	if keep == nil {
		keep = []byte{}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?`, userID, keep)
	return err
}

// DeleteExpiredSessions removes sessions that can no longer be used.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time, idle time.Duration) (int64, error) {
	res, err := db.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`, unix(now), unix(now.Add(-idle)))
	if err != nil {
		return 0, fmt.Errorf("store: DeleteExpiredSessions: %w", err)
	}
	return res.RowsAffected()
}
