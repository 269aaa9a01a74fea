package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Storage quota. Each user's stored bytes (the originals of their badges
// and pending badges, and each badge's image) are counted by triggers
// (migration 0013) in the transaction of every write; SaveBadge and
// AddPending refuse, with ErrQuota, a write that would take a user past
// the quota the caller passes.

// ErrQuota refuses a badge that would take its user past their storage
// quota.
var ErrQuota = errors.New("storage quota reached")

// StorageUsed is how many bytes the user keeps.
func (db *DB) StorageUsed(ctx context.Context, userID int64) (int64, error) {
	n, err := storageUsed(ctx, db.r, userID)
	if err != nil {
		return 0, fmt.Errorf("store: StorageUsed: %w", err)
	}
	return n, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func storageUsed(ctx context.Context, q queryer, userID int64) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT bytes FROM storage_used WHERE user_id = ?`, userID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return n, err
}

// withinQuota runs write in tx and refuses (ErrQuota) what it did if it
// took the user's storage up and past quota (0: no quota). A write that
// leaves the storage as it was or makes it smaller always goes through, so
// a user over a lowered quota can still replace and delete.
func withinQuota(ctx context.Context, tx *sql.Tx, userID, quota int64, write func() error) error {
	if quota <= 0 {
		return write()
	}
	before, err := storageUsed(ctx, tx, userID)
	if err != nil {
		return err
	}
	if err := write(); err != nil {
		return err
	}
	after, err := storageUsed(ctx, tx, userID)
	if err != nil {
		return err
	}
	if after > before && after > quota {
		return ErrQuota
	}
	return nil
}
