package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Displayer is a user's opt-in to the Mozilla Displayer API: the random
// public id their shared collections are listed under.
type Displayer struct {
	ID        string
	UserID    int64
	CreatedAt time.Time
}

// displayedStatuses are the statuses of the badges the Displayer API lists.
// Its clients were told that the badges it returns can be taken as valid,
// so revoked badges and badges that failed verification are left out;
// expired ones stay (their assertion says when they expired).
var displayedStatuses = []Status{StatusVerified, StatusExpired}

// displayedSQL is displayedStatuses as an SQL list: ('verified', ...).
var displayedSQL = "('" + string(StatusVerified) + "', '" + string(StatusExpired) + "')"

func scanDisplayer(row *sql.Row) (Displayer, error) {
	var d Displayer
	var created int64
	if err := row.Scan(&d.ID, &d.UserID, &created); err != nil {
		return Displayer{}, err
	}
	d.CreatedAt = fromUnix(created)
	return d, nil
}

// UserDisplayer returns the user's Displayer API opt-in; ErrNotFound when
// the user has not opted in.
func (db *DB) UserDisplayer(ctx context.Context, userID int64) (Displayer, error) {
	d, err := scanDisplayer(db.r.QueryRowContext(ctx, `SELECT displayer_id, user_id, created_at FROM displayer_ids WHERE user_id = ?`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Displayer{}, ErrNotFound
	}
	if err != nil {
		return Displayer{}, fmt.Errorf("store: UserDisplayer: %w", err)
	}
	return d, nil
}

// DisplayerByID returns the opt-in whose public id is id; ErrNotFound when
// no user has (or still has) that id.
func (db *DB) DisplayerByID(ctx context.Context, id string) (Displayer, error) {
	d, err := scanDisplayer(db.r.QueryRowContext(ctx, `SELECT displayer_id, user_id, created_at FROM displayer_ids WHERE displayer_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Displayer{}, ErrNotFound
	}
	if err != nil {
		return Displayer{}, fmt.Errorf("store: DisplayerByID: %w", err)
	}
	return d, nil
}

// EnableDisplayer opts the user in with id as their public id. A user who
// is opted in already keeps the id they have. It returns the opt-in.
func (db *DB) EnableDisplayer(ctx context.Context, userID int64, id string, now time.Time) (Displayer, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return Displayer{}, fmt.Errorf("store: EnableDisplayer: %w", err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO displayer_ids (user_id, displayer_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO NOTHING`, userID, id, unix(now))
	if isUniqueViolation(err) {
		return Displayer{}, ErrConflict // id is somebody else's
	}
	if err != nil {
		return Displayer{}, fmt.Errorf("store: EnableDisplayer: %w", err)
	}
	d, err := scanDisplayer(tx.QueryRowContext(ctx, `SELECT displayer_id, user_id, created_at FROM displayer_ids WHERE user_id = ?`, userID))
	if err != nil {
		return Displayer{}, fmt.Errorf("store: EnableDisplayer: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return Displayer{}, fmt.Errorf("store: EnableDisplayer: commit: %w", err)
	}
	return d, nil
}

// DisableDisplayer opts the user out: their public id is forgotten and
// its URLs stop working. Opting out twice is not an error.
func (db *DB) DisableDisplayer(ctx context.Context, userID int64) error {
	if _, err := db.exec(ctx, `DELETE FROM displayer_ids WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("store: DisableDisplayer: %w", err)
	}
	return nil
}

// DisplayerGroups returns the user's shared collections by name, each with
// Count set to the number of badges the Displayer API lists in it, and
// when the list last changed: the latest of the opt-in, of any change to
// the user's collections (sharing and unsharing included) and of the
// verifications of the badges in the shared ones. Deleting a badge or a
// collection leaves no time behind: callers validate with an ETag too.
func (db *DB) DisplayerGroups(ctx context.Context, userID int64) ([]Collection, time.Time, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+collectionColumns+`,
		(SELECT COUNT(*) FROM collection_badges cb JOIN badges b ON b.id = cb.badge_id
			WHERE cb.collection_id = c.id AND b.status IN `+displayedSQL+`)
		FROM collections c WHERE c.user_id = ? AND c.shared = 1 ORDER BY lower(c.name), c.id`, userID)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("store: DisplayerGroups: %w", err)
	}
	defer rows.Close()
	var out []Collection
	for rows.Next() {
		var n int
		c, err := scanCollection(rows, &n)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("store: DisplayerGroups: %w", err)
		}
		c.Count = n
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("store: DisplayerGroups: %w", err)
	}
	var changed int64
	if err := db.r.QueryRowContext(ctx, `SELECT MAX(
		COALESCE((SELECT created_at FROM displayer_ids WHERE user_id = ?1), 0),
		COALESCE((SELECT MAX(updated_at) FROM collections WHERE user_id = ?1), 0),
		COALESCE((SELECT MAX(b.verified_at) FROM collections c JOIN collection_badges cb ON cb.collection_id = c.id
			JOIN badges b ON b.id = cb.badge_id WHERE c.user_id = ?1 AND c.shared = 1), 0))`, userID).Scan(&changed); err != nil {
		return nil, time.Time{}, fmt.Errorf("store: DisplayerGroups: %w", err)
	}
	return out, fromUnix(changed), nil
}

// DisplayerGroup returns the user's shared collection whose link is slug,
// the badges the Displayer API lists from it, in the collection's order,
// and when it last changed (its own update or a verification of any of
// its badges, listed or not). A collection that is not shared, or is not
// the user's, is ErrNotFound.
func (db *DB) DisplayerGroup(ctx context.Context, userID int64, slug string) (Collection, []Badge, time.Time, error) {
	col, err := scanCollection(db.r.QueryRowContext(ctx, `SELECT `+collectionColumns+` FROM collections c
		WHERE c.slug = ? AND c.user_id = ? AND c.shared = 1`, slug, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Collection{}, nil, time.Time{}, ErrNotFound
	}
	if err != nil {
		return Collection{}, nil, time.Time{}, fmt.Errorf("store: DisplayerGroup: %w", err)
	}
	all, err := db.CollectionBadges(ctx, col.ID)
	if err != nil {
		return Collection{}, nil, time.Time{}, fmt.Errorf("store: DisplayerGroup: %w", err)
	}
	changed := col.UpdatedAt
	var listed []Badge
	for _, b := range all {
		if b.VerifiedAt.After(changed) {
			changed = b.VerifiedAt
		}
		if slices.Contains(displayedStatuses, b.Status) {
			listed = append(listed, b)
		}
	}
	return col, listed, changed, nil
}
