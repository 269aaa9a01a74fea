package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// PublicVersion is the owner's public version: a number that goes up in
// the same transaction as every write that can change what the owner's
// public pages show (their badges, shares, collections, display name and
// Displayer API opt-in), whichever process made it, and stays put for
// writes no public page shows (sessions, imports, the re-verifier's
// claims). Triggers keep it (migration 0009 lists what counts), so a page
// rendered from data read while the version stayed the same is current
// until it moves. A user who never existed is ErrNotFound; a deleted
// user's number stays, and keeps going up if the id is used again.
func (db *DB) PublicVersion(ctx context.Context, ownerID int64) (int64, error) {
	var v int64
	err := db.r.QueryRowContext(ctx, `SELECT version FROM public_versions WHERE user_id = ?`, ownerID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: PublicVersion: %w", err)
	}
	return v, nil
}
