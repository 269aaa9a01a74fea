package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// Reads of a shared collection for its public pages: a page of its badges
// at a time, and one badge of it, so that what a visitor's request costs
// does not grow with the collection.

// CollectionPageQuery picks one page of a collection's badges, in the
// collection's order (position, then badge id: a total order, so pages
// neither skip nor repeat a badge). After and Before name a badge of the
// collection (0: none): the page holds the badges just after it, or just
// before it; with neither it is the first page.
type CollectionPageQuery struct {
	After, Before int64
	Limit         int // at most MaxPageSize; <= 0 means DefaultPageSize
	// Cards reads only what a badge's card shows: the badge's JSON,
	// description, tags, recipient and hashes are left empty (Badge()
	// then fails; Report() does not).
	Cards bool
}

// CollectionPage is one page of a collection's badges (without their
// originals), and whether badges come before its first and after its
// last.
type CollectionPage struct {
	Badges     []Badge
	Prev, Next bool
}

// CollectionBadgePage returns one page of the badges of a collection. A
// cursor (After or Before) that is not a badge of the collection is
// ErrNotFound. Each page costs about the same however large the
// collection is (the index collection_badges_order; migration 0012). The
// caller has checked who may see them.
func (db *DB) CollectionBadgePage(ctx context.Context, collectionID int64, q CollectionPageQuery) (CollectionPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return CollectionPage{}, fmt.Errorf("store: CollectionBadgePage: %w", err)
	}
	defer tx.Rollback()
	cursor, backwards := q.After, false
	if cursor == 0 && q.Before != 0 {
		cursor, backwards = q.Before, true
	}
	var pos int64
	if cursor != 0 {
		err := tx.QueryRowContext(ctx, `SELECT position FROM collection_badges WHERE collection_id = ? AND badge_id = ?`,
			collectionID, cursor).Scan(&pos)
		if errors.Is(err, sql.ErrNoRows) {
			return CollectionPage{}, ErrNotFound
		}
		if err != nil {
			return CollectionPage{}, fmt.Errorf("store: CollectionBadgePage: %w", err)
		}
	}
	query, args := collectionPageSQL(collectionID, cursor, pos, backwards, q.Cards, limit+1)
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return CollectionPage{}, fmt.Errorf("store: CollectionBadgePage: %w", err)
	}
	defer rows.Close()
	page := CollectionPage{Badges: make([]Badge, 0, limit+1)}
	for rows.Next() {
		b, err := scanBadge(rows)
		if err != nil {
			return CollectionPage{}, fmt.Errorf("store: CollectionBadgePage: %w", err)
		}
		page.Badges = append(page.Badges, b)
	}
	if err := rows.Err(); err != nil {
		return CollectionPage{}, fmt.Errorf("store: CollectionBadgePage: %w", err)
	}
	more := len(page.Badges) > limit
	if more {
		page.Badges = page.Badges[:limit]
	}
	if backwards {
		slices.Reverse(page.Badges)
		page.Prev, page.Next = more, true
	} else {
		page.Prev, page.Next = cursor != 0, more
	}
	return page, nil
}

// badgeCardColumns reads, in the places of badgeColumns, what a badge's
// card shows, and empty values for the rest: the driver's cost is in the
// columns it reads, and a page of cards reads many rows.
const badgeCardColumns = `b.id, b.user_id, NULL, NULL, b.original_type, '', '', '',
	'', 0, b.name, b.issuer_name, '', '[]', b.issued_on, b.expires_at,
	'', b.image_hash, COALESCE(i.content_type, ''), b.status, b.report_json, b.verified_at,
	b.unreachable_since, '', b.created_at`

// collectionPageSQL is the query of CollectionBadgePage: up to n badges
// of the collection after (or, backwards, before) the badge cursor at
// position pos, or from the start when cursor is 0; cards: see
// CollectionPageQuery.
func collectionPageSQL(collectionID, cursor, pos int64, backwards, cards bool, n int) (string, []any) {
	where, args, order := `cb.collection_id = ?`, []any{collectionID}, `cb.position, cb.badge_id`
	if cursor != 0 {
		cmp := ">"
		if backwards {
			cmp, order = "<", `cb.position DESC, cb.badge_id DESC`
		}
		where += ` AND (cb.position, cb.badge_id) ` + cmp + ` (?, ?)`
		args = append(args, pos, cursor)
	}
	columns := badgeColumnsNoOriginal
	if cards {
		columns = badgeCardColumns
	}
	return `SELECT ` + columns + ` FROM collection_badges cb
		JOIN badges b ON b.id = cb.badge_id LEFT JOIN images i ON i.hash = b.image_hash
		WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ?`, append(args, n)
}

// SharedCollectionBadge returns the collection whose live link is slug
// (with its owner's display name, as SharedCollection) and its badge
// badgeID, without the original; ErrNotFound unless the collection is
// shared and holds the badge.
func (db *DB) SharedCollectionBadge(ctx context.Context, slug string, badgeID int64) (Collection, Badge, error) {
	col, err := db.SharedCollection(ctx, slug)
	if err != nil {
		return Collection{}, Badge{}, err
	}
	b, err := scanBadge(db.r.QueryRowContext(ctx, `SELECT `+badgeColumnsNoOriginal+` FROM collection_badges cb
		JOIN badges b ON b.id = cb.badge_id LEFT JOIN images i ON i.hash = b.image_hash
		WHERE cb.collection_id = ? AND cb.badge_id = ?`, col.ID, badgeID))
	if errors.Is(err, sql.ErrNoRows) {
		return Collection{}, Badge{}, ErrNotFound
	}
	if err != nil {
		return Collection{}, Badge{}, fmt.Errorf("store: SharedCollectionBadge: %w", err)
	}
	return col, b, nil
}
