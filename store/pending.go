package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Pending is an import waiting for its user to verify the identity the
// badge was issued to. It keeps the original so the import can be run again.
type Pending struct {
	ID, UserID   int64
	Original     []byte
	OriginalType string // png, svg, json, jws or url
	SourceURL    string
	// RecipientType and RecipientIdentity name the identity the badge was
	// issued to: its kind (email, url, telephone) and the readable value,
	// or the hash when Hashed.
	RecipientType     string
	RecipientIdentity string
	Hashed            bool
	Name              string // the badge's name, to show
	ContentHash       []byte // SHA-256 of Original; AddPending computes it when nil
	CreatedAt         time.Time
	// Quota, when above 0, is the most bytes the user may keep: AddPending
	// refuses with ErrQuota a badge that would take them past it.
	Quota int64
}

const pendingColumns = `id, user_id, original, original_type, source_url, recipient_type, recipient_identity,
	hashed, name, content_hash, created_at`

func scanPending(row interface{ Scan(...any) error }) (Pending, error) {
	var p Pending
	var created int64
	if err := row.Scan(&p.ID, &p.UserID, &p.Original, &p.OriginalType, &p.SourceURL, &p.RecipientType,
		&p.RecipientIdentity, &p.Hashed, &p.Name, &p.ContentHash, &created); err != nil {
		return Pending{}, err
	}
	p.CreatedAt = fromUnix(created)
	return p, nil
}

// AddPending records a pending import and returns its id. The same
// original again (for the same user) returns the id already recorded.
func (db *DB) AddPending(ctx context.Context, p Pending) (int64, error) {
	sum := sha256.Sum256(p.Original)
	if p.ContentHash == nil {
		p.ContentHash = sum[:]
	} else if !bytes.Equal(p.ContentHash, sum[:]) {
		return 0, errors.New("store: AddPending: content hash is not the SHA-256 of the original")
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: AddPending: %w", err)
	}
	defer tx.Rollback()
	var id int64
	err = withinQuota(ctx, tx, p.UserID, p.Quota, func() error {
		err := tx.QueryRowContext(ctx, `INSERT INTO pending_imports (user_id, original, original_type, source_url,
			recipient_type, recipient_identity, hashed, name, content_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, content_hash) DO NOTHING RETURNING id`,
			p.UserID, p.Original, p.OriginalType, p.SourceURL, p.RecipientType, p.RecipientIdentity, p.Hashed, p.Name,
			p.ContentHash, unix(p.CreatedAt)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `SELECT id FROM pending_imports WHERE user_id = ? AND content_hash = ?`,
				p.UserID, p.ContentHash).Scan(&id)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: AddPending: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return 0, fmt.Errorf("store: AddPending: commit: %w", err)
	}
	return id, nil
}

// PendingImports lists the user's pending imports, newest first.
func (db *DB) PendingImports(ctx context.Context, userID int64) ([]Pending, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+pendingColumns+` FROM pending_imports WHERE user_id = ?
		ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: PendingImports: %w", err)
	}
	defer rows.Close()
	var out []Pending
	for rows.Next() {
		p, err := scanPending(rows)
		if err != nil {
			return nil, fmt.Errorf("store: PendingImports: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: PendingImports: %w", err)
	}
	return out, nil
}

// DeletePending deletes one of the user's pending imports. Another user's
// is ErrNotFound.
func (db *DB) DeletePending(ctx context.Context, userID, id int64) error {
	res, err := db.exec(ctx, `DELETE FROM pending_imports WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("store: DeletePending: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
