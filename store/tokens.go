package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TokenKind says what a one-time token is for.
type TokenKind string

// Token kinds.
const (
	ConfirmEmail  TokenKind = "confirm-email"
	ResetPassword TokenKind = "reset-password"
)

// Token is a one-time token mailed to the user. Only its SHA-256 (Hash) is
// stored.
type Token struct {
	Hash       []byte
	Kind       TokenKind
	UserID     int64
	IdentityID int64 // the email address the link was sent to
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// CreateToken records a token. (QueueMail records the token of a mailed
// link with its mail.)
func (db *DB) CreateToken(ctx context.Context, t Token) error {
	if err := insertToken(ctx, db.w, t); err != nil {
		return fmt.Errorf("store: CreateToken: %w", err)
	}
	return nil
}

func insertToken(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, t Token) error {
	_, err := q.ExecContext(ctx, `INSERT INTO tokens (hash, kind, user_id, identity_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, t.Hash, string(t.Kind), t.UserID, t.IdentityID, unix(t.CreatedAt), unix(t.ExpiresAt))
	return err
}

func liveToken(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, hash []byte, kind TokenKind, now time.Time) (Token, error) {
	t := Token{Hash: hash, Kind: kind}
	var created, expires int64
	err := q.QueryRowContext(ctx, `SELECT user_id, identity_id, created_at, expires_at FROM tokens
		WHERE hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?`, hash, string(kind), unix(now)).
		Scan(&t.UserID, &t.IdentityID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrNotFound
	}
	if err != nil {
		return Token{}, err
	}
	t.CreatedAt, t.ExpiresAt = fromUnix(created), fromUnix(expires)
	return t, nil
}

// CheckToken returns the token if it is unused and unexpired, without using
// it.
func (db *DB) CheckToken(ctx context.Context, hash []byte, kind TokenKind, now time.Time) (Token, error) {
	t, err := liveToken(ctx, db.r, hash, kind, now)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Token{}, fmt.Errorf("store: CheckToken: %w", err)
	}
	return t, err
}

// UseConfirmToken spends an email-confirmation token and marks its identity
// verified. ErrNotFound: unknown, used or expired. ErrConflict: another
// account has verified the address meanwhile.
func (db *DB) UseConfirmToken(ctx context.Context, hash []byte, now time.Time) (Identity, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return Identity{}, fmt.Errorf("store: UseConfirmToken: %w", err)
	}
	defer tx.Rollback()
	t, err := liveToken(ctx, tx, hash, ConfirmEmail, now)
	if err != nil {
		return Identity{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tokens SET used_at = ? WHERE hash = ?`, unix(now), hash); err != nil {
		return Identity{}, fmt.Errorf("store: UseConfirmToken: %w", err)
	}
	if err := verifyIdentity(ctx, tx, t.IdentityID, now); err != nil {
		if errors.Is(err, ErrConflict) {
			return Identity{}, err
		}
		return Identity{}, fmt.Errorf("store: UseConfirmToken: %w", err)
	}
	i, err := scanIdentity(tx.QueryRowContext(ctx, `SELECT `+identityColumns+` FROM identities WHERE id = ?`, t.IdentityID))
	if err != nil {
		return Identity{}, fmt.Errorf("store: UseConfirmToken: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return Identity{}, fmt.Errorf("store: UseConfirmToken: commit: %w", err)
	}
	return i, nil
}

// UseResetToken spends a password-reset token: it sets the new password
// hash, marks the address the link went to as verified (the user just proved
// they read its mail), voids the user's other reset links, clears sign-in
// back-off and ends every session.
func (db *DB) UseResetToken(ctx context.Context, hash []byte, passwordHash string, now time.Time) (User, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return User{}, fmt.Errorf("store: UseResetToken: %w", err)
	}
	defer tx.Rollback()
	t, err := liveToken(ctx, tx, hash, ResetPassword, now)
	if err != nil {
		return User{}, err
	}
	steps := []struct {
		q    string
		args []any
	}{
		{`UPDATE tokens SET used_at = ? WHERE user_id = ? AND kind = ? AND used_at IS NULL`, []any{unix(now), t.UserID, string(ResetPassword)}},
		{`UPDATE users SET password_hash = ? WHERE id = ?`, []any{passwordHash, t.UserID}},
		{`DELETE FROM login_failures WHERE email_norm IN
			(SELECT value_norm FROM identities WHERE user_id = ? AND kind = 'email')`, []any{t.UserID}},
	}
	for _, s := range steps {
		if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
			return User{}, fmt.Errorf("store: UseResetToken: %w", err)
		}
	}
	if err := deleteSessions(ctx, tx, t.UserID, nil); err != nil {
		return User{}, fmt.Errorf("store: UseResetToken: %w", err)
	}
	// A conflict here (someone else verified the address first) must not
	// stop the reset: the password change stands, the address stays
	// unverified.
	if err := verifyIdentity(ctx, tx, t.IdentityID, now); err != nil && !errors.Is(err, ErrConflict) {
		return User{}, fmt.Errorf("store: UseResetToken: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return User{}, fmt.Errorf("store: UseResetToken: commit: %w", err)
	}
	return db.UserByID(ctx, t.UserID)
}
