package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Share is how one badge is shared publicly.
type Share struct {
	BadgeID       int64
	UserID        int64
	Slug          string
	Enabled       bool
	ShowRecipient bool
	Indexable     bool
	// ShareOriginal offers viewers the verifiable original: the file as
	// the owner brought it in and the address of the issuer's assertion,
	// both of which may name the recipient.
	ShareOriginal bool
	UpdatedAt     time.Time
	OwnerName     string // the owner's display name (filled by SharedBadge)
}

const shareColumns = `badge_id, user_id, slug, enabled, show_recipient, indexable, share_original, updated_at`

func scanShare(row interface{ Scan(...any) error }) (Share, error) {
	var s Share
	var updated int64
	if err := row.Scan(&s.BadgeID, &s.UserID, &s.Slug, &s.Enabled, &s.ShowRecipient, &s.Indexable, &s.ShareOriginal, &updated); err != nil {
		return Share{}, err
	}
	s.UpdatedAt = fromUnix(updated)
	return s, nil
}

// BadgeShare returns how the user's badge is shared; ErrNotFound if it
// never was (or the badge is not the user's).
func (db *DB) BadgeShare(ctx context.Context, userID, badgeID int64) (Share, error) {
	s, err := scanShare(db.r.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM badge_shares WHERE badge_id = ? AND user_id = ?`, badgeID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Share{}, ErrNotFound
	}
	if err != nil {
		return Share{}, fmt.Errorf("store: BadgeShare: %w", err)
	}
	return s, nil
}

// ShareBadge turns sharing of the user's badge on. A badge shared before
// keeps its link; otherwise slug becomes its link.
func (db *DB) ShareBadge(ctx context.Context, userID, badgeID int64, slug string, now time.Time) (Share, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return Share{}, fmt.Errorf("store: ShareBadge: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM badges WHERE id = ? AND user_id = ?`, badgeID, userID).Scan(&n); err != nil {
		return Share{}, fmt.Errorf("store: ShareBadge: %w", err)
	}
	if n == 0 {
		return Share{}, ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO badge_shares (badge_id, user_id, slug, enabled, updated_at) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (badge_id) DO UPDATE SET enabled = 1, updated_at = excluded.updated_at`, badgeID, userID, slug, unix(now)); err != nil {
		return Share{}, fmt.Errorf("store: ShareBadge: %w", err)
	}
	s, err := scanShare(tx.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM badge_shares WHERE badge_id = ?`, badgeID))
	if err != nil {
		return Share{}, fmt.Errorf("store: ShareBadge: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return Share{}, fmt.Errorf("store: ShareBadge: commit: %w", err)
	}
	return s, nil
}

// UpdateShare changes a share: on or off, its options, or (newSlug != "")
// its link, which kills the old one.
func (db *DB) UpdateShare(ctx context.Context, userID, badgeID int64, enabled, showRecipient, indexable bool, newSlug string, now time.Time) error {
	q := `UPDATE badge_shares SET enabled = ?, show_recipient = ?, indexable = ?, updated_at = ?`
	args := []any{enabled, showRecipient, indexable, unix(now)}
	if newSlug != "" {
		q += `, slug = ?`
		args = append(args, newSlug)
	}
	res, err := db.exec(ctx, q+` WHERE badge_id = ? AND user_id = ?`, append(args, badgeID, userID)...)
	if err != nil {
		return fmt.Errorf("store: UpdateShare: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ShareOptions are what a share shows besides the badge.
type ShareOptions struct {
	ShowRecipient bool // the identity the badge was issued to
	Indexable     bool // search engines may list the page
	ShareOriginal bool // the verifiable original (see Share)
}

// UpdateShareOptions sets the options of a share of the user's badge, in
// one write; whether it is on and its link stay as they are.
func (db *DB) UpdateShareOptions(ctx context.Context, userID, badgeID int64, o ShareOptions, now time.Time) error {
	res, err := db.exec(ctx, `UPDATE badge_shares SET show_recipient = ?, indexable = ?, share_original = ?, updated_at = ?
		WHERE badge_id = ? AND user_id = ?`, o.ShowRecipient, o.Indexable, o.ShareOriginal, unix(now), badgeID, userID)
	if err != nil {
		return fmt.Errorf("store: UpdateShareOptions: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SharedBadge returns the badge shared under slug, if sharing is on, with
// its share and the owner's display name.
func (db *DB) SharedBadge(ctx context.Context, slug string) (Badge, Share, error) {
	s, err := scanShare(db.r.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM badge_shares WHERE slug = ? AND enabled = 1`, slug))
	if err == nil {
		err = db.r.QueryRowContext(ctx, `SELECT display_name FROM users WHERE id = ?`, s.UserID).Scan(&s.OwnerName)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Badge{}, Share{}, ErrNotFound
	}
	if err != nil {
		return Badge{}, Share{}, fmt.Errorf("store: SharedBadge: %w", err)
	}
	b, err := db.BadgeByID(ctx, s.UserID, s.BadgeID)
	if err != nil {
		return Badge{}, Share{}, err
	}
	return b, s, nil
}
