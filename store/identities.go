package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"backpack/openbadges"
)

// Identity is an email address, URL or telephone number a badge can be
// issued to. Only verified identities count when badges are matched.
type Identity struct {
	ID         int64
	UserID     int64
	Kind       openbadges.IdentityKind
	Value      string
	Primary    bool
	VerifiedAt time.Time // zero when not verified
	CreatedAt  time.Time
}

// Verified reports whether the owner has proved the identity is theirs.
func (i Identity) Verified() bool { return !i.VerifiedAt.IsZero() }

// ErrPrimary is returned when a change would leave an account without a
// usable primary email address.
var ErrPrimary = errors.New("the primary email address cannot be removed")

// ErrNotVerified is returned when an action needs a verified identity.
var ErrNotVerified = errors.New("identity not verified")

const identityColumns = `id, user_id, kind, value, is_primary, verified_at, created_at`

func scanIdentity(row interface{ Scan(...any) error }) (Identity, error) {
	var i Identity
	var kind string
	var verified sql.NullInt64
	var created int64
	if err := row.Scan(&i.ID, &i.UserID, &kind, &i.Value, &i.Primary, &verified, &created); err != nil {
		return Identity{}, err
	}
	i.Kind = openbadges.IdentityKind(kind)
	i.VerifiedAt = fromNullUnix(verified)
	i.CreatedAt = fromUnix(created)
	return i, nil
}

// Identities lists the user's identities: primary first, then by kind and
// value.
func (db *DB) Identities(ctx context.Context, userID int64) ([]Identity, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+identityColumns+` FROM identities WHERE user_id = ?
		ORDER BY is_primary DESC, kind, value_norm`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: Identities: %w", err)
	}
	defer rows.Close()
	var out []Identity
	for rows.Next() {
		i, err := scanIdentity(rows)
		if err != nil {
			return nil, fmt.Errorf("store: Identities: %w", err)
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: Identities: %w", err)
	}
	return out, nil
}

// Identity returns one of the user's identities.
func (db *DB) Identity(ctx context.Context, userID, id int64) (Identity, error) {
	i, err := scanIdentity(db.r.QueryRowContext(ctx, `SELECT `+identityColumns+` FROM identities WHERE id = ? AND user_id = ?`, id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Identity{}, ErrNotFound
	}
	if err != nil {
		return Identity{}, fmt.Errorf("store: Identity: %w", err)
	}
	return i, nil
}

// AddIdentity adds an unverified identity. ErrConflict means the user has it
// already.
func (db *DB) AddIdentity(ctx context.Context, userID int64, kind openbadges.IdentityKind, value string, now time.Time) (Identity, error) {
	display, norm, err := openbadges.NormalizeIdentity(kind, value)
	if err != nil {
		return Identity{}, fmt.Errorf("store: AddIdentity: %w", err)
	}
	res, err := db.exec(ctx, `INSERT INTO identities (user_id, kind, value, value_norm, created_at) VALUES (?, ?, ?, ?, ?)`,
		userID, string(kind), display, norm, unix(now))
	if isUniqueViolation(err) {
		return Identity{}, ErrConflict
	}
	if err != nil {
		return Identity{}, fmt.Errorf("store: AddIdentity: %w", err)
	}
	id, _ := res.LastInsertId()
	return Identity{ID: id, UserID: userID, Kind: kind, Value: display, CreatedAt: fromUnix(unix(now))}, nil
}

// DeleteIdentity removes one of the user's identities; never the primary
// email address.
func (db *DB) DeleteIdentity(ctx context.Context, userID, id int64) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: DeleteIdentity: %w", err)
	}
	defer tx.Rollback()
	var primary bool
	err = tx.QueryRowContext(ctx, `SELECT is_primary FROM identities WHERE id = ? AND user_id = ?`, id, userID).Scan(&primary)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: DeleteIdentity: %w", err)
	}
	if primary {
		return ErrPrimary
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM identities WHERE id = ? AND user_id = ?`, id, userID); err != nil {
		return fmt.Errorf("store: DeleteIdentity: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: DeleteIdentity: commit: %w", err)
	}
	return nil
}

// SetPrimary makes a verified email address the one the user signs in with
// and receives mail at.
func (db *DB) SetPrimary(ctx context.Context, userID, id int64) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: SetPrimary: %w", err)
	}
	defer tx.Rollback()
	var kind string
	var verified sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT kind, verified_at FROM identities WHERE id = ? AND user_id = ?`, id, userID).Scan(&kind, &verified)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: SetPrimary: %w", err)
	}
	if kind != string(openbadges.Email) || !verified.Valid {
		return ErrNotVerified
	}
	if _, err := tx.ExecContext(ctx, `UPDATE identities SET is_primary = 0 WHERE user_id = ? AND is_primary = 1`, userID); err != nil {
		return fmt.Errorf("store: SetPrimary: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE identities SET is_primary = 1 WHERE id = ? AND user_id = ?`, id, userID); err != nil {
		return fmt.Errorf("store: SetPrimary: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: SetPrimary: commit: %w", err)
	}
	return nil
}

// verifyIdentity marks an identity verified inside tx. ErrConflict means
// another account already verified the same value. The unconfirmed
// accounts of others that named it as their address are deleted: whoever
// proved it theirs keeps it.
func verifyIdentity(ctx context.Context, tx *sql.Tx, id int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE identities SET verified_at = ? WHERE id = ? AND verified_at IS NULL`, unix(now), id)
	if isUniqueViolation(err) {
		return ErrConflict
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM users WHERE id IN (SELECT o.user_id FROM identities o JOIN identities v ON v.id = ?
		WHERE o.kind = v.kind AND o.value_norm = v.value_norm AND o.is_primary = 1 AND o.verified_at IS NULL AND o.user_id <> v.user_id)`, id)
	return err
}
