package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Collection is a named, ordered set of a user's badges.
type Collection struct {
	ID          int64
	UserID      int64
	Name        string
	Description string // Markdown
	Slug        string // public link, live only when Shared
	Shared      bool
	Indexable   bool    // search engines may list its public page
	OwnerName   string  // the owner's display name (filled by SharedCollection)
	Count       int     // badges in it (filled by Collections)
	BadgeIDs    []int64 // its badges in order (filled by Snapshot.Collections)
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const collectionColumns = `c.id, c.user_id, c.name, c.description, c.slug, c.shared, c.indexable, c.created_at, c.updated_at`

func scanCollection(row interface{ Scan(...any) error }, extra ...any) (Collection, error) {
	var c Collection
	var created, updated int64
	dest := append([]any{&c.ID, &c.UserID, &c.Name, &c.Description, &c.Slug, &c.Shared, &c.Indexable, &created, &updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Collection{}, err
	}
	c.CreatedAt, c.UpdatedAt = fromUnix(created), fromUnix(updated)
	return c, nil
}

// CreateCollection makes a private collection with slug as its (not yet
// live) link.
func (db *DB) CreateCollection(ctx context.Context, userID int64, name, description, slug string, now time.Time) (int64, error) {
	res, err := db.exec(ctx, `INSERT INTO collections (user_id, name, description, slug, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, userID, name, description, slug, unix(now), unix(now))
	if err != nil {
		return 0, fmt.Errorf("store: CreateCollection: %w", err)
	}
	return res.LastInsertId()
}

// Collections lists the user's collections by name, with their sizes.
func (db *DB) Collections(ctx context.Context, userID int64) ([]Collection, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+collectionColumns+`,
		(SELECT COUNT(*) FROM collection_badges cb WHERE cb.collection_id = c.id)
		FROM collections c WHERE c.user_id = ? ORDER BY lower(c.name), c.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: Collections: %w", err)
	}
	defer rows.Close()
	var out []Collection
	for rows.Next() {
		var n int
		c, err := scanCollection(rows, &n)
		if err != nil {
			return nil, fmt.Errorf("store: Collections: %w", err)
		}
		c.Count = n
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: Collections: %w", err)
	}
	return out, nil
}

// CollectionByID returns one of the user's collections.
func (db *DB) CollectionByID(ctx context.Context, userID, id int64) (Collection, error) {
	c, err := scanCollection(db.r.QueryRowContext(ctx, `SELECT `+collectionColumns+` FROM collections c WHERE c.id = ? AND c.user_id = ?`, id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Collection{}, ErrNotFound
	}
	if err != nil {
		return Collection{}, fmt.Errorf("store: CollectionByID: %w", err)
	}
	return c, nil
}

// SharedCollection returns the collection whose live link is slug, with
// its owner's display name.
func (db *DB) SharedCollection(ctx context.Context, slug string) (Collection, error) {
	var owner string
	c, err := scanCollection(db.r.QueryRowContext(ctx, `SELECT `+collectionColumns+`, u.display_name
		FROM collections c JOIN users u ON u.id = c.user_id WHERE c.slug = ? AND c.shared = 1`, slug), &owner)
	c.OwnerName = owner
	if errors.Is(err, sql.ErrNoRows) {
		return Collection{}, ErrNotFound
	}
	if err != nil {
		return Collection{}, fmt.Errorf("store: SharedCollection: %w", err)
	}
	return c, nil
}

// UpdateCollection renames, describes, shares or unshares a collection,
// sets whether search engines may list it, or (newSlug != "") replaces its
// link, which kills the old one.
func (db *DB) UpdateCollection(ctx context.Context, userID, id int64, name, description string, shared, indexable bool, newSlug string, now time.Time) error {
	q := `UPDATE collections SET name = ?, description = ?, shared = ?, indexable = ?, updated_at = ?`
	args := []any{name, description, shared, indexable, unix(now)}
	if newSlug != "" {
		q += `, slug = ?`
		args = append(args, newSlug)
	}
	res, err := db.exec(ctx, q+` WHERE id = ? AND user_id = ?`, append(args, id, userID)...)
	if err != nil {
		return fmt.Errorf("store: UpdateCollection: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteCollection deletes a collection (not its badges).
func (db *DB) DeleteCollection(ctx context.Context, userID, id int64) error {
	res, err := db.exec(ctx, `DELETE FROM collections WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("store: DeleteCollection: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AddToCollection appends one of the user's badges to one of the user's
// collections (no-op if it is there already).
func (db *DB) AddToCollection(ctx context.Context, userID, collectionID, badgeID int64, now time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: AddToCollection: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM collections WHERE id = ? AND user_id = ?)
		+ (SELECT COUNT(*) FROM badges WHERE id = ? AND user_id = ?)`, collectionID, userID, badgeID, userID).Scan(&n); err != nil {
		return fmt.Errorf("store: AddToCollection: %w", err)
	}
	if n != 2 {
		return ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO collection_badges (collection_id, badge_id, position)
		VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM collection_badges WHERE collection_id = ?))
		ON CONFLICT DO NOTHING`, collectionID, badgeID, collectionID); err != nil {
		return fmt.Errorf("store: AddToCollection: %w", err)
	}
	if err := touchCollection(ctx, tx, collectionID, now); err != nil {
		return fmt.Errorf("store: AddToCollection: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: AddToCollection: commit: %w", err)
	}
	return nil
}

func touchCollection(ctx context.Context, tx *sql.Tx, id int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE collections SET updated_at = ? WHERE id = ?`, unix(now), id)
	return err
}

// RemoveFromCollection takes a badge out of one of the user's collections.
func (db *DB) RemoveFromCollection(ctx context.Context, userID, collectionID, badgeID int64, now time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: RemoveFromCollection: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM collection_badges WHERE badge_id = ? AND collection_id =
		(SELECT id FROM collections WHERE id = ? AND user_id = ?)`, badgeID, collectionID, userID)
	if err != nil {
		return fmt.Errorf("store: RemoveFromCollection: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if err := touchCollection(ctx, tx, collectionID, now); err != nil {
		return fmt.Errorf("store: RemoveFromCollection: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: RemoveFromCollection: commit: %w", err)
	}
	return nil
}

// MoveInCollection moves a badge one place up (delta -1) or down (+1) by
// swapping it with its neighbour.
func (db *DB) MoveInCollection(ctx context.Context, userID, collectionID, badgeID int64, delta int, now time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: MoveInCollection: %w", err)
	}
	defer tx.Rollback()
	var pos int
	err = tx.QueryRowContext(ctx, `SELECT cb.position FROM collection_badges cb JOIN collections c ON c.id = cb.collection_id
		WHERE cb.collection_id = ? AND cb.badge_id = ? AND c.user_id = ?`, collectionID, badgeID, userID).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: MoveInCollection: %w", err)
	}
	order := "position DESC"
	cmp := "<"
	if delta > 0 {
		order, cmp = "position ASC", ">"
	}
	var otherID int64
	var otherPos int
	err = tx.QueryRowContext(ctx, `SELECT badge_id, position FROM collection_badges WHERE collection_id = ? AND position `+cmp+` ?
		ORDER BY `+order+` LIMIT 1`, collectionID, pos).Scan(&otherID, &otherPos)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // already first or last
	}
	if err != nil {
		return fmt.Errorf("store: MoveInCollection: %w", err)
	}
	for _, s := range [][3]int64{{int64(otherPos), collectionID, badgeID}, {int64(pos), collectionID, otherID}} {
		if _, err := tx.ExecContext(ctx, `UPDATE collection_badges SET position = ? WHERE collection_id = ? AND badge_id = ?`, s[0], s[1], s[2]); err != nil {
			return fmt.Errorf("store: MoveInCollection: %w", err)
		}
	}
	if err := touchCollection(ctx, tx, collectionID, now); err != nil {
		return fmt.Errorf("store: MoveInCollection: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: MoveInCollection: commit: %w", err)
	}
	return nil
}

// ErrStaleOrder means a new order for a collection does not list exactly
// the badges it holds (each once): the page it came from is out of date.
var ErrStaleOrder = errors.New("the order does not list exactly the collection's badges")

// SetCollectionOrder puts the badges of one of the user's collections in
// the order of badgeIDs, which must name each badge in it exactly once
// (else ErrStaleOrder, and nothing changes), so that an order from a stale
// page can neither drop nor duplicate a badge.
func (db *DB) SetCollectionOrder(ctx context.Context, userID, collectionID int64, badgeIDs []int64, now time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: SetCollectionOrder: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM collections WHERE id = ? AND user_id = ?`, collectionID, userID).Scan(&n); err != nil {
		return fmt.Errorf("store: SetCollectionOrder: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	in, err := collectionBadgeIDs(ctx, tx, collectionID)
	if err != nil {
		return fmt.Errorf("store: SetCollectionOrder: %w", err)
	}
	if err := sameBadges(in, badgeIDs); err != nil {
		return err
	}
	for i, id := range badgeIDs {
		if _, err := tx.ExecContext(ctx, `UPDATE collection_badges SET position = ? WHERE collection_id = ? AND badge_id = ?`,
			i+1, collectionID, id); err != nil {
			return fmt.Errorf("store: SetCollectionOrder: %w", err)
		}
	}
	if err := touchCollection(ctx, tx, collectionID, now); err != nil {
		return fmt.Errorf("store: SetCollectionOrder: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: SetCollectionOrder: commit: %w", err)
	}
	return nil
}

// collectionBadgeIDs is the set of badges in a collection.
func collectionBadgeIDs(ctx context.Context, tx *sql.Tx, collectionID int64) (map[int64]bool, error) {
	ids, err := collectionBadgeIDsOrdered(ctx, tx, collectionID)
	in := make(map[int64]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	return in, err
}

// sameBadges checks that ids lists each badge of the set in exactly once.
func sameBadges(in map[int64]bool, ids []int64) error {
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		switch {
		case !in[id]:
			return fmt.Errorf("%w: badge %d is not in it", ErrStaleOrder, id)
		case seen[id]:
			return fmt.Errorf("%w: badge %d is listed twice", ErrStaleOrder, id)
		}
		seen[id] = true
	}
	if len(seen) != len(in) {
		return fmt.Errorf("%w: %d of its %d badges are missing", ErrStaleOrder, len(in)-len(seen), len(in))
	}
	return nil
}

// CollectionBadges returns the badges of a collection in order, without
// their original files. The caller has checked who may see them.
func (db *DB) CollectionBadges(ctx context.Context, collectionID int64) ([]Badge, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+badgeColumnsNoOriginal+` FROM collection_badges cb
		JOIN badges b ON b.id = cb.badge_id LEFT JOIN images i ON i.hash = b.image_hash
		WHERE cb.collection_id = ? ORDER BY cb.position, b.id`, collectionID)
	if err != nil {
		return nil, fmt.Errorf("store: CollectionBadges: %w", err)
	}
	defer rows.Close()
	var out []Badge
	for rows.Next() {
		b, err := scanBadge(rows)
		if err != nil {
			return nil, fmt.Errorf("store: CollectionBadges: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: CollectionBadges: %w", err)
	}
	return out, nil
}

// CollectionIDsOf returns the ids of the user's collections that hold the
// badge.
func (db *DB) CollectionIDsOf(ctx context.Context, userID, badgeID int64) (map[int64]bool, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT cb.collection_id FROM collection_badges cb
		JOIN collections c ON c.id = cb.collection_id WHERE cb.badge_id = ? AND c.user_id = ?`, badgeID, userID)
	if err != nil {
		return nil, fmt.Errorf("store: CollectionIDsOf: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: CollectionIDsOf: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}
