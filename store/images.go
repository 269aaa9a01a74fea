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

// Images are shared between badges and users and addressed by the SHA-256
// of their bytes, so one image is stored once however many badges show it.
// An image is never deleted while a badge refers to it.

// PutImage stores an image under hash, the SHA-256 of b, unless it is there
// already. A hash that does not match b is refused: a wrong one would show
// these bytes in place of somebody else's image.
//
// Between PutImage and the SaveBadge that refers to the image,
// DeleteOrphanImages may remove it; Badge.Image stores both in one
// transaction instead.
func (db *DB) PutImage(ctx context.Context, hash []byte, contentType string, b []byte, now time.Time) error {
	if err := checkImage(hash, contentType, b); err != nil {
		return fmt.Errorf("store: PutImage: %w", err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: PutImage: %w", err)
	}
	defer tx.Rollback()
	if err := putImage(ctx, tx, hash, contentType, b, now); err != nil {
		return fmt.Errorf("store: PutImage: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: PutImage: commit: %w", err)
	}
	return nil
}

func checkImage(hash []byte, contentType string, b []byte) error {
	sum := sha256.Sum256(b)
	if !bytes.Equal(hash, sum[:]) {
		return errors.New("hash is not the SHA-256 of the image")
	}
	if contentType == "" {
		return errors.New("no content type")
	}
	return nil
}

// putImage inserts the image if absent; b == nil means there is none to
// store.
func putImage(ctx context.Context, tx *sql.Tx, hash []byte, contentType string, b []byte, now time.Time) error {
	if b == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO images (hash, content_type, bytes, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (hash) DO NOTHING`, hash, contentType, b, unix(now))
	return err
}

// Image returns the content type and bytes of the image with hash.
func (db *DB) Image(ctx context.Context, hash []byte) (contentType string, b []byte, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT content_type, bytes FROM images WHERE hash = ?`, hash).Scan(&contentType, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, ErrNotFound
	}
	if err != nil {
		return "", nil, fmt.Errorf("store: Image: %w", err)
	}
	return contentType, b, nil
}

// DeleteOrphanImages deletes the images no badge refers to that were stored
// before createdBefore (so that an image put just before its badge is saved
// survives), for instance those left when a user is deleted. It returns how
// many it deleted.
func (db *DB) DeleteOrphanImages(ctx context.Context, createdBefore time.Time) (int64, error) {
	res, err := db.exec(ctx, `DELETE FROM images WHERE created_at < ?
		AND NOT EXISTS (SELECT 1 FROM badges WHERE badges.image_hash = images.hash)
		AND NOT EXISTS (SELECT 1 FROM issuer_images WHERE issuer_images.image_hash = images.hash)`, unix(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("store: DeleteOrphanImages: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// deleteImageIfUnused deletes the image with hash (nil: none) unless a
// badge still refers to it. A table that starts referring to images must
// be added to the test here.
func deleteImageIfUnused(ctx context.Context, tx *sql.Tx, hash []byte) error {
	if hash == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM images WHERE hash = ?
		AND NOT EXISTS (SELECT 1 FROM badges WHERE image_hash = ?)
		AND NOT EXISTS (SELECT 1 FROM issuer_images WHERE image_hash = ?)`, hash, hash, hash)
	return err
}

// SetIssuerImage stores an issuer's logo and records it for the issuer
// id, in one transaction.
func (db *DB) SetIssuerImage(ctx context.Context, issuerID, contentType string, b []byte, now time.Time) error {
	if issuerID == "" || len(b) == 0 {
		return nil
	}
	sum := sha256.Sum256(b)
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: SetIssuerImage: %w", err)
	}
	defer tx.Rollback()
	if err := putImage(ctx, tx, sum[:], contentType, b, now); err != nil {
		return fmt.Errorf("store: SetIssuerImage: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO issuer_images (issuer_id, image_hash, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (issuer_id) DO UPDATE SET image_hash = excluded.image_hash, updated_at = excluded.updated_at`,
		issuerID, sum[:], unix(now)); err != nil {
		return fmt.Errorf("store: SetIssuerImage: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: SetIssuerImage: commit: %w", err)
	}
	return nil
}

// IssuerImage returns the hash and content type of an issuer's logo.
func (db *DB) IssuerImage(ctx context.Context, issuerID string) (hash []byte, contentType string, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT ii.image_hash, i.content_type FROM issuer_images ii
		JOIN images i ON i.hash = ii.image_hash WHERE ii.issuer_id = ?`, issuerID).Scan(&hash, &contentType)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: IssuerImage: %w", err)
	}
	return hash, contentType, nil
}

// IssuerImageUpdated says when an issuer's logo was last stored.
// ErrNotFound: never.
func (db *DB) IssuerImageUpdated(ctx context.Context, issuerID string) (time.Time, error) {
	var at int64
	err := db.r.QueryRowContext(ctx, `SELECT updated_at FROM issuer_images WHERE issuer_id = ?`, issuerID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: IssuerImageUpdated: %w", err)
	}
	return fromUnix(at), nil
}
