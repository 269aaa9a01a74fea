package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"backpack/openbadges"
)

// User is an account. Email is the primary (sign-in) address.
type User struct {
	ID            int64
	DisplayName   string
	PasswordHash  string
	Email         string
	EmailVerified bool
	CreatedAt     time.Time
}

const userColumns = `u.id, u.display_name, u.password_hash, u.created_at, i.value, i.verified_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	var verified sql.NullInt64
	if err := row.Scan(&u.ID, &u.DisplayName, &u.PasswordHash, &created, &u.Email, &verified); err != nil {
		return User{}, err
	}
	u.CreatedAt = fromUnix(created)
	u.EmailVerified = verified.Valid
	return u, nil
}

// CreateUser creates an account whose primary identity is the (unverified)
// email address. ErrConflict means another account has confirmed the
// address. Accounts that have not confirmed it do not hold it: the first
// to confirm keeps it and the others are deleted (verifyIdentity), so
// nobody can keep an address's owner out by signing up with it.
func (db *DB) CreateUser(ctx context.Context, email, passwordHash string, now time.Time) (User, Identity, error) {
	display, norm, err := openbadges.NormalizeIdentity(openbadges.Email, email)
	if err != nil {
		return User{}, Identity{}, fmt.Errorf("store: CreateUser: %w", err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return User{}, Identity{}, fmt.Errorf("store: CreateUser: %w", err)
	}
	defer tx.Rollback()
	var taken bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM identities
		WHERE kind = 'email' AND value_norm = ? AND verified_at IS NOT NULL)`, norm).Scan(&taken); err != nil {
		return User{}, Identity{}, fmt.Errorf("store: CreateUser: %w", err)
	}
	if taken {
		return User{}, Identity{}, ErrConflict
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO users (password_hash, created_at) VALUES (?, ?)`, passwordHash, unix(now))
	if err != nil {
		return User{}, Identity{}, fmt.Errorf("store: CreateUser: %w", err)
	}
	uid, _ := res.LastInsertId()
	res, err = tx.ExecContext(ctx, `INSERT INTO identities (user_id, kind, value, value_norm, is_primary, created_at)
		VALUES (?, 'email', ?, ?, 1, ?)`, uid, display, norm, unix(now))
	if isUniqueViolation(err) {
		return User{}, Identity{}, ErrConflict
	}
	if err != nil {
		return User{}, Identity{}, fmt.Errorf("store: CreateUser: %w", err)
	}
	iid, _ := res.LastInsertId()
	if err := db.commit(tx); err != nil {
		return User{}, Identity{}, fmt.Errorf("store: CreateUser: commit: %w", err)
	}
	u := User{ID: uid, PasswordHash: passwordHash, Email: display, CreatedAt: fromUnix(unix(now))}
	id := Identity{ID: iid, UserID: uid, Kind: openbadges.Email, Value: display, Primary: true, CreatedAt: u.CreatedAt}
	return u, id, nil
}

// UserByID returns the account with id.
func (db *DB) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+`
		FROM users u JOIN identities i ON i.user_id = u.id AND i.is_primary = 1 WHERE u.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("store: UserByID: %w", err)
	}
	return u, nil
}

// UserByEmail returns the account that signs in with email: the one that
// has verified it, or else the newest unconfirmed account whose primary
// address it is. Case does not matter.
func (db *DB) UserByEmail(ctx context.Context, email string) (User, error) {
	norm := strings.ToLower(strings.TrimSpace(email))
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+`
		FROM identities e
		JOIN users u ON u.id = e.user_id
		JOIN identities i ON i.user_id = u.id AND i.is_primary = 1
		WHERE e.kind = 'email' AND e.value_norm = ? AND (e.is_primary = 1 OR e.verified_at IS NOT NULL)
		ORDER BY e.verified_at IS NULL, e.id DESC LIMIT 1`, norm))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("store: UserByEmail: %w", err)
	}
	return u, nil
}

// SetPassword replaces the password hash and ends every session of the user
// except keepSession (the hash of the session making the change; nil ends
// all of them).
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string, keepSession []byte) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: SetPassword: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
	if err != nil {
		return fmt.Errorf("store: SetPassword: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if err := deleteSessions(ctx, tx, userID, keepSession); err != nil {
		return fmt.Errorf("store: SetPassword: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: SetPassword: commit: %w", err)
	}
	return nil
}

// RehashPassword replaces the password hash with a stronger encoding of
// the same password. It changes nothing if the hash changed meanwhile, and
// ends no session.
func (db *DB) RehashPassword(ctx context.Context, userID int64, oldHash, newHash string) error {
	if _, err := db.exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, newHash, userID, oldHash); err != nil {
		return fmt.Errorf("store: RehashPassword: %w", err)
	}
	return nil
}

// SetDisplayName changes the name shown on what the user shares ("" for
// none).
func (db *DB) SetDisplayName(ctx context.Context, userID int64, name string) error {
	res, err := db.exec(ctx, `UPDATE users SET display_name = ? WHERE id = ?`, name, userID)
	if err != nil {
		return fmt.Errorf("store: SetDisplayName: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteUnconfirmedUsers deletes the accounts created before before whose
// primary address was never confirmed (they cannot sign in, and own
// nothing), and returns how many went.
func (db *DB) DeleteUnconfirmedUsers(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.exec(ctx, `DELETE FROM users WHERE created_at < ? AND id IN
		(SELECT user_id FROM identities WHERE is_primary = 1 AND verified_at IS NULL)`, unix(before))
	if err != nil {
		return 0, fmt.Errorf("store: DeleteUnconfirmedUsers: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteUser deletes the account and everything it owns.
func (db *DB) DeleteUser(ctx context.Context, userID int64) error {
	res, err := db.exec(ctx, `DELETE FROM users WHERE id = ?`, userID)
	if err != nil {
		return fmt.Errorf("store: DeleteUser: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// isUniqueViolation reports whether err is a UNIQUE constraint failure.
// Matching on the message keeps this file free of driver types; SQLite and
// PostgreSQL both say "unique".
func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "unique")
}
