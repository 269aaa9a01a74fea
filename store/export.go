package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Snapshot reads everything one user has, from one consistent state of the
// database, for exports. It is valid only inside the function given to
// DB.Snapshot.
type Snapshot struct {
	ctx    context.Context
	tx     *sql.Tx
	userID int64
}

// Snapshot calls fn with a read-only view of the user's data that stays
// the same while fn runs, whatever is written meanwhile. It reads on a
// connection of its own pool, never one of the readers pages use; fn
// should not wait for anything slower than the disk (a client's download,
// say): other exports wait for the connection meanwhile.
func (db *DB) Snapshot(ctx context.Context, userID int64, fn func(*Snapshot) error) error {
	tx, err := db.snap.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: Snapshot: %w", err)
	}
	defer tx.Rollback()
	return fn(&Snapshot{ctx: ctx, tx: tx, userID: userID})
}

// User is the account.
func (s *Snapshot) User() (User, error) {
	u, err := scanUser(s.tx.QueryRowContext(s.ctx, `SELECT `+userColumns+` FROM users u
		JOIN identities i ON i.user_id = u.id AND i.is_primary = 1 WHERE u.id = ?`, s.userID))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	return u, err
}

// Identities lists the user's identities, primary first.
func (s *Snapshot) Identities() ([]Identity, error) {
	return collect(s, scanIdentity, `SELECT `+identityColumns+` FROM identities WHERE user_id = ?
		ORDER BY is_primary DESC, kind, value`)
}

// Sessions lists the user's sessions, newest first.
func (s *Snapshot) Sessions() ([]Session, error) {
	return collect(s, scanSession, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? ORDER BY created_at DESC`)
}

// Shares lists how the user's badges are shared.
func (s *Snapshot) Shares() ([]Share, error) {
	return collect(s, scanShare, `SELECT `+shareColumns+` FROM badge_shares WHERE user_id = ? ORDER BY badge_id`)
}

// Pending lists the imports waiting for an identity to be confirmed.
func (s *Snapshot) Pending() ([]Pending, error) {
	return collect(s, scanPending, `SELECT `+pendingColumns+` FROM pending_imports WHERE user_id = ? ORDER BY id`)
}

// Collections lists the user's collections by name, each with the ids of
// its badges in order (BadgeIDs).
func (s *Snapshot) Collections() ([]Collection, error) {
	cols, err := collect(s, func(r interface{ Scan(...any) error }) (Collection, error) { return scanCollection(r) },
		`SELECT `+collectionColumns+` FROM collections c WHERE c.user_id = ? ORDER BY lower(c.name), c.id`)
	if err != nil {
		return nil, err
	}
	for i := range cols {
		cols[i].BadgeIDs, err = collectionBadgeIDsOrdered(s.ctx, s.tx, cols[i].ID)
		if err != nil {
			return nil, fmt.Errorf("store: Snapshot.Collections: %w", err)
		}
		cols[i].Count = len(cols[i].BadgeIDs)
	}
	return cols, nil
}

// Badges calls fn with each of the user's badges, oldest first, one at a
// time (originals can be large: they are not all held at once). Without
// withOriginal, Original is nil.
func (s *Snapshot) Badges(withOriginal bool, fn func(Badge) error) error {
	cols := badgeColumnsNoOriginal
	if withOriginal {
		cols = badgeColumns
	}
	rows, err := s.tx.QueryContext(s.ctx, `SELECT `+cols+` FROM `+badgeFrom+` WHERE b.user_id = ? ORDER BY b.created_at, b.id`, s.userID)
	if err != nil {
		return fmt.Errorf("store: Snapshot.Badges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanBadge(rows)
		if err != nil {
			return fmt.Errorf("store: Snapshot.Badges: %w", err)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Image returns a stored image by its hash.
func (s *Snapshot) Image(hash []byte) (contentType string, b []byte, err error) {
	err = s.tx.QueryRowContext(s.ctx, `SELECT content_type, bytes FROM images WHERE hash = ?`, hash).Scan(&contentType, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, ErrNotFound
	}
	return contentType, b, err
}

// collect runs a query of the snapshot's user (its one parameter) and scans
// every row.
func collect[T any](s *Snapshot, scan func(interface{ Scan(...any) error }) (T, error), query string) ([]T, error) {
	rows, err := s.tx.QueryContext(s.ctx, query, s.userID)
	if err != nil {
		return nil, fmt.Errorf("store: Snapshot: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: Snapshot: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// collectionBadgeIDsOrdered lists a collection's badge ids in its order.
func collectionBadgeIDsOrdered(ctx context.Context, tx *sql.Tx, collectionID int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT badge_id FROM collection_badges WHERE collection_id = ? ORDER BY position, badge_id`, collectionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
