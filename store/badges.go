package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"backpack/openbadges"
)

// Badge is one badge in a user's backpack: the original as uploaded, what
// the verifier made of it, and the last verification.
type Badge struct {
	ID, UserID   int64
	ContentHash  []byte // SHA-256 of Original; SaveBadge computes it when nil
	Original     []byte // the bytes as uploaded or fetched
	OriginalType string // png, svg, json, jws or url
	SourceURL    string
	Spec, Format string
	// DedupKey is the issuer id + "\n" + the credential (assertion) id, or
	// "" when unknown. A user has at most one badge per non-empty key.
	DedupKey string
	// ValidFrom is when this issue of the credential became valid (zero:
	// unknown). Of two badges with the same DedupKey the later one is kept.
	ValidFrom        time.Time
	Name, IssuerName string
	Description      string
	Tags             []string
	IssuedOn         time.Time  // zero: unknown
	Expires          *time.Time // nil: never
	// BadgeJSON is the normalised badge as stored: SaveBadge writes it,
	// reads return it for those who copy it byte for byte (downloads, the
	// export); Badge decodes it.
	BadgeJSON []byte
	ImageHash []byte // SHA-256 of the image; nil: none
	// ImageType is the content type of the image named by ImageHash (read
	// only, like Image).
	ImageType string
	// Image, when set, is stored by SaveBadge in the same transaction as the
	// badge (content type ImageType) and ImageHash is set from it. Reads
	// leave it nil: fetch the bytes with DB.Image.
	Image  []byte
	Status Status
	// ReportJSON is the last verification report as stored; Report decodes
	// it.
	ReportJSON       []byte
	VerifiedAt       time.Time
	UnreachableSince *time.Time // set while the issuer cannot be reached
	Recipient        string     // the identity the badge matched
	CreatedAt        time.Time
	// FromItem, when set, is the import item this save comes from: its
	// outcome is recorded in the same transaction as the badge, so that a
	// crash never leaves a badge saved and its item still to do (which
	// would report it, once redone, as already there).
	FromItem *ItemOutcome
	// Quota, when above 0, is the most bytes the user may keep: SaveBadge
	// refuses with ErrQuota a badge that would take them past it.
	Quota int64
	// docs is what reads decode BadgeJSON and ReportJSON to, on first use;
	// copies of the Badge share it. nil for a Badge not read from the store,
	// which is decoded at each use.
	docs *docs
}

// docs holds a read badge's stored documents, decoded. It is small until
// they are: every row read has one.
type docs struct {
	badgeOnce, reportOnce sync.Once
	badge                 *openbadges.Badge
	report                *openbadges.Report
	badgeErr, reportErr   error
}

// Badge is the stored badge, BadgeJSON decoded, and Report the last
// verification report, ReportJSON decoded. The store decodes each at most
// once per row it read, when first asked, whichever copy of b asks: pages
// that show only the columns (a collection's cards) pay no decoding, and
// a page that needs a document twice decodes it once. A document that does
// not decode (a row damaged outside Backpack; an empty one counts) gives
// the zero value and an error that names the badge; the read itself
// succeeded, so the row can still be shown from its columns. Every call
// returns a copy that shares its slices with the others: change fields,
// never the elements of a slice.
func (b Badge) Badge() (openbadges.Badge, error) {
	d := b.docs
	if d == nil {
		d = &docs{}
	}
	d.badgeOnce.Do(func() { d.badge, d.badgeErr = decodeStored[openbadges.Badge](b.ID, "badge", b.BadgeJSON) })
	return *d.badge, d.badgeErr
}

// Report is the last verification report; see Badge.
func (b Badge) Report() (openbadges.Report, error) {
	d := b.docs
	if d == nil {
		d = &docs{}
	}
	d.reportOnce.Do(func() { d.report, d.reportErr = decodeStored[openbadges.Report](b.ID, "report", b.ReportJSON) })
	return *d.report, d.reportErr
}

// Documents is Badge and Report together, and the first error of the two.
func (b Badge) Documents() (openbadges.Badge, openbadges.Report, error) {
	ob, err := b.Badge()
	if err != nil {
		return ob, openbadges.Report{}, err
	}
	rep, err := b.Report()
	return ob, rep, err
}

// decodeStored decodes a stored document of badge id, or returns the zero
// value (never a half-filled one) and why it cannot.
func decodeStored[T any](id int64, what string, data []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return new(T), fmt.Errorf("store: badge %d: stored %s: %w", id, what, err)
	}
	return v, nil
}

// ItemOutcome names an import item and the code to record with each
// outcome of saving it (see ImportItem.Code).
type ItemOutcome struct {
	JobID int64
	Seq   int
	Codes map[SaveOutcome]string
}

// Status is what the last verification of a stored badge concluded.
type Status string

// Badge statuses.
const (
	StatusVerified   Status = "verified"
	StatusExpired    Status = "expired" // genuine, but past its expiry
	StatusRevoked    Status = "revoked"
	StatusUnverified Status = "unverified" // could not be verified
)

// SaveOutcome says what SaveBadge did.
type SaveOutcome string

// Outcomes of SaveBadge.
const (
	Added     SaveOutcome = "added"     // a new badge
	Duplicate SaveOutcome = "duplicate" // already in the backpack; nothing written
	Updated   SaveOutcome = "updated"   // a newer issue replaced the stored one
)

const badgeColumns = `b.id, b.user_id, b.content_hash, b.original, b.original_type, b.source_url, b.spec, b.format,
	b.dedup_key, b.valid_from, b.name, b.issuer_name, b.description, b.tags, b.issued_on, b.expires_at,
	b.badge_json, b.image_hash, COALESCE(i.content_type, ''), b.status, b.report_json, b.verified_at,
	b.unreachable_since, b.recipient, b.created_at`

// badgeColumnsNoOriginal reads a badge without its original file, which
// can be megabytes and is never needed to show it (Original is nil).
var badgeColumnsNoOriginal = strings.Replace(badgeColumns, "b.original, b.original_type", "NULL, b.original_type", 1)

const badgeFrom = `badges b LEFT JOIN images i ON i.hash = b.image_hash`

// scanBadge reads a row of badgeColumns (or badgeColumnsNoOriginal).
func scanBadge(row interface{ Scan(...any) error }) (Badge, error) {
	b := Badge{docs: &docs{}}
	var validFrom, issued, verified, created int64
	var expires, unreachable sql.NullInt64
	var tags, badgeJSON, report string
	if err := row.Scan(&b.ID, &b.UserID, &b.ContentHash, &b.Original, &b.OriginalType, &b.SourceURL, &b.Spec, &b.Format,
		&b.DedupKey, &validFrom, &b.Name, &b.IssuerName, &b.Description, &tags, &issued, &expires,
		&badgeJSON, &b.ImageHash, &b.ImageType, &b.Status, &report, &verified,
		&unreachable, &b.Recipient, &created); err != nil {
		return Badge{}, err
	}
	if tags != "[]" { // most badges have none: no decoding for them
		if err := json.Unmarshal([]byte(tags), &b.Tags); err != nil {
			return Badge{}, fmt.Errorf("badge %d: tags: %w", b.ID, err)
		}
	}
	if len(b.Tags) == 0 {
		b.Tags = nil
	}
	b.ValidFrom, b.IssuedOn = fromUnixOrZero(validFrom), fromUnixOrZero(issued)
	b.Expires, b.UnreachableSince = fromNullUnixPtr(expires), fromNullUnixPtr(unreachable)
	b.BadgeJSON, b.ReportJSON = textBytes(badgeJSON), textBytes(report)
	b.VerifiedAt, b.CreatedAt = fromUnix(verified), fromUnix(created)
	return b, nil
}

// prepareBadge fills in the hashes SaveBadge can compute and refuses
// inconsistent ones: content-addressed rows are shared, so a wrong hash
// would hand one user's image to another.
func prepareBadge(b *Badge) error {
	sum := sha256.Sum256(b.Original)
	if b.ContentHash == nil {
		b.ContentHash = sum[:]
	} else if !bytes.Equal(b.ContentHash, sum[:]) {
		return errors.New("content hash is not the SHA-256 of the original")
	}
	if b.Image != nil {
		if b.ImageType == "" {
			return errors.New("image without a content type")
		}
		sum := sha256.Sum256(b.Image)
		if b.ImageHash != nil && !bytes.Equal(b.ImageHash, sum[:]) {
			return errors.New("image hash is not the SHA-256 of the image")
		}
		b.ImageHash = sum[:]
	}
	return nil
}

// badgeContentSet and badgeContentArgs are the columns SaveBadge writes both
// when it inserts and when a newer issue replaces a badge. Keep them in step.
const badgeContentSet = `content_hash = ?, original = ?, original_type = ?, source_url = ?, spec = ?, format = ?,
	valid_from = ?, name = ?, name_lower = ?, issuer_name = ?, issuer_lower = ?, description = ?,
	description_lower = ?, tags = ?, tags_lower = ?, issued_on = ?, expires_at = ?, badge_json = ?,
	image_hash = ?, status = ?, report_json = ?, verified_at = ?, unreachable_since = ?, recipient = ?`

func badgeContentArgs(b Badge) ([]any, error) {
	tags, lower, err := encodeTags(b.Tags)
	if err != nil {
		return nil, err
	}
	return []any{b.ContentHash, b.Original, b.OriginalType, b.SourceURL, b.Spec, b.Format,
		unixOrZero(b.ValidFrom), b.Name, strings.ToLower(b.Name), b.IssuerName, strings.ToLower(b.IssuerName), b.Description,
		strings.ToLower(b.Description), tags, lower, unixOrZero(b.IssuedOn), nullUnix(b.Expires), string(b.BadgeJSON),
		nullBytes(b.ImageHash), b.Status, string(b.ReportJSON), unix(b.VerifiedAt), nullUnix(b.UnreachableSince), b.Recipient}, nil
}

// SaveBadge stores a verified badge for its user in one transaction:
//   - the same original bytes already stored: Duplicate, nothing written,
//     and the id of the stored badge;
//   - a badge with the same non-empty DedupKey: if b.ValidFrom is later, that
//     badge is replaced in place (same id and created_at, new content and
//     verification) and the outcome is Updated; otherwise Duplicate;
//   - else a new badge: Added.
//
// When b.Image is set the image is stored in the same transaction. Identical
// saves racing each other (a double submit) give one badge: the others get
// Duplicate.
func (db *DB) SaveBadge(ctx context.Context, b Badge) (id int64, outcome SaveOutcome, err error) {
	if err := prepareBadge(&b); err != nil {
		return 0, "", fmt.Errorf("store: SaveBadge: %w", err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", fmt.Errorf("store: SaveBadge: %w", err)
	}
	defer tx.Rollback()
	err = withinQuota(ctx, tx, b.UserID, b.Quota, func() (err error) {
		id, outcome, err = saveBadge(ctx, tx, b)
		return err
	})
	if err != nil {
		return 0, "", fmt.Errorf("store: SaveBadge: %w", err)
	}
	if it := b.FromItem; it != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE import_items SET done = 1, outcome = ?, code = ?, badge_id = ?, badge_name = ?
			WHERE job_id = ? AND seq = ?`, string(outcome), it.Codes[outcome], id, b.Name, it.JobID, it.Seq); err != nil {
			return 0, "", fmt.Errorf("store: SaveBadge: import item: %w", err)
		}
	} else if outcome == Duplicate {
		return id, outcome, nil // the deferred rollback drops an image stored on the way
	}
	if err := db.commit(tx); err != nil {
		return 0, "", fmt.Errorf("store: SaveBadge: commit: %w", err)
	}
	return id, outcome, nil
}

// saveBadge decides and writes. Both writes are guarded (ON CONFLICT DO
// NOTHING; the replacement only if the stored issue is still the one read), so
// when another instance wins a race the statement changes nothing and the
// decision is simply taken again. With SQLite's single writer that never
// happens; on PostgreSQL it can.
func saveBadge(ctx context.Context, tx *sql.Tx, b Badge) (int64, SaveOutcome, error) {
	for range 3 {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM badges WHERE user_id = ? AND content_hash = ?`, b.UserID, b.ContentHash).Scan(&id)
		if err == nil {
			return id, Duplicate, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, "", err
		}
		if b.DedupKey != "" {
			var validFrom int64
			var oldImage []byte
			err := tx.QueryRowContext(ctx, `SELECT id, valid_from, image_hash FROM badges
				WHERE user_id = ? AND dedup_key = ? AND dedup_key <> ''`, b.UserID, b.DedupKey).Scan(&id, &validFrom, &oldImage)
			switch {
			case err == nil && unixOrZero(b.ValidFrom) <= validFrom:
				return id, Duplicate, nil
			case err == nil:
				done, err := replaceBadge(ctx, tx, id, validFrom, oldImage, b)
				if err != nil || done {
					return id, Updated, err
				}
				continue
			case !errors.Is(err, sql.ErrNoRows):
				return 0, "", err
			}
		}
		done, id, err := insertBadge(ctx, tx, b)
		if err != nil || done {
			return id, Added, err
		}
	}
	return 0, "", ErrConflict
}

// insertBadge adds b (and its image). done is false when a uniqueness rule
// refused the row: someone else stored the same badge meanwhile.
func insertBadge(ctx context.Context, tx *sql.Tx, b Badge) (done bool, id int64, err error) {
	if err := putImage(ctx, tx, b.ImageHash, b.ImageType, b.Image, b.CreatedAt); err != nil {
		return false, 0, err
	}
	args, err := badgeContentArgs(b)
	if err != nil {
		return false, 0, err
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO badges (user_id, dedup_key, created_at,
		content_hash, original, original_type, source_url, spec, format,
		valid_from, name, name_lower, issuer_name, issuer_lower, description,
		description_lower, tags, tags_lower, issued_on, expires_at, badge_json,
		image_hash, status, report_json, verified_at, unreachable_since, recipient)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING id`,
		append([]any{b.UserID, b.DedupKey, unix(b.CreatedAt)}, args...)...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO badge_counts (user_id, n) VALUES (?, 1)
		ON CONFLICT (user_id) DO UPDATE SET n = badge_counts.n + 1`, b.UserID)
	if err == nil {
		err = countIssuer(ctx, tx, b.UserID, b.IssuerName, 1)
	}
	return err == nil, id, err
}

// countIssuer adds delta to the user's badge count for an issuer name,
// forgetting names no badge has any more.
func countIssuer(ctx context.Context, tx *sql.Tx, userID int64, name string, delta int) error {
	if name == "" || delta == 0 {
		return nil
	}
	low := strings.ToLower(name)
	if _, err := tx.ExecContext(ctx, `INSERT INTO badge_issuers (user_id, issuer_lower, issuer_name, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, issuer_lower, issuer_name) DO UPDATE SET n = badge_issuers.n + excluded.n`, userID, low, name, delta); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM badge_issuers WHERE user_id = ? AND issuer_lower = ? AND issuer_name = ? AND n <= 0`, userID, low, name)
	return err
}

// recountIssuer moves one badge from issuer name old to new.
func recountIssuer(ctx context.Context, tx *sql.Tx, userID int64, old, new string) error {
	if old == new {
		return nil
	}
	if err := countIssuer(ctx, tx, userID, old, -1); err != nil {
		return err
	}
	return countIssuer(ctx, tx, userID, new, 1)
}

// replaceBadge overwrites badge id with the newer issue b, if the stored
// issue is still the one read (valid_from). done is false when it changed.
func replaceBadge(ctx context.Context, tx *sql.Tx, id, validFrom int64, oldImage []byte, b Badge) (done bool, err error) {
	if err := putImage(ctx, tx, b.ImageHash, b.ImageType, b.Image, b.CreatedAt); err != nil {
		return false, err
	}
	args, err := badgeContentArgs(b)
	if err != nil {
		return false, err
	}
	var oldIssuer string
	if err := tx.QueryRowContext(ctx, `SELECT issuer_name FROM badges WHERE id = ? AND user_id = ?`, id, b.UserID).Scan(&oldIssuer); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE badges SET `+badgeContentSet+`, claimed_until = 0
		WHERE id = ? AND user_id = ? AND valid_from = ?`, append(args, id, b.UserID, validFrom)...)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := recountIssuer(ctx, tx, b.UserID, oldIssuer, b.IssuerName); err != nil {
		return false, err
	}
	if !bytes.Equal(oldImage, b.ImageHash) {
		return true, deleteImageIfUnused(ctx, tx, oldImage)
	}
	return true, nil
}

// BadgeByID returns one of the user's badges, complete. Another user's
// badge is ErrNotFound.
func (db *DB) BadgeByID(ctx context.Context, userID, id int64) (Badge, error) {
	b, err := scanBadge(db.r.QueryRowContext(ctx, `SELECT `+badgeColumns+` FROM `+badgeFrom+`
		WHERE b.id = ? AND b.user_id = ?`, id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Badge{}, ErrNotFound
	}
	if err != nil {
		return Badge{}, fmt.Errorf("store: BadgeByID: %w", err)
	}
	return b, nil
}

// DeleteBadge deletes one of the user's badges, and its image when no other
// badge shows it. Another user's badge is ErrNotFound.
func (db *DB) DeleteBadge(ctx context.Context, userID, id int64) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: DeleteBadge: %w", err)
	}
	defer tx.Rollback()
	var image []byte
	var issuer string
	err = tx.QueryRowContext(ctx, `SELECT image_hash, issuer_name FROM badges WHERE id = ? AND user_id = ?`, id, userID).Scan(&image, &issuer)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: DeleteBadge: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM badges WHERE id = ? AND user_id = ?`, id, userID); err != nil {
		return fmt.Errorf("store: DeleteBadge: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE badge_counts SET n = n - 1 WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("store: DeleteBadge: %w", err)
	}
	if err := countIssuer(ctx, tx, userID, issuer, -1); err != nil {
		return fmt.Errorf("store: DeleteBadge: %w", err)
	}
	if err := deleteImageIfUnused(ctx, tx, image); err != nil {
		return fmt.Errorf("store: DeleteBadge: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: DeleteBadge: commit: %w", err)
	}
	return nil
}

// Verification is the result of verifying a stored badge again.
type Verification struct {
	Status                        Status
	ReportJSON, BadgeJSON         []byte
	Name, IssuerName, Description string
	Tags                          []string
	IssuedOn                      time.Time
	Expires                       *time.Time
	At                            time.Time // when it was verified
	// Reachable is false when the issuer could not be reached: then only
	// the time is recorded, not the result.
	Reachable bool
}

// UpdateVerification stores a new verification result for one of the
// user's badges and releases the re-verification lease. When v.Reachable is
// false, status, report and badge data stay as they were: only verified_at
// is set to v.At and unreachable_since to v.At unless already set. When
// reachable, status, report, badge JSON, name, issuer, description, tags and
// dates are replaced and unreachable_since is cleared. Another user's badge
// is ErrNotFound.
func (db *DB) UpdateVerification(ctx context.Context, userID, id int64, v Verification) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: UpdateVerification: %w", err)
	}
	defer tx.Rollback()
	var oldIssuer string
	err = tx.QueryRowContext(ctx, `SELECT issuer_name FROM badges WHERE id = ? AND user_id = ?`, id, userID).Scan(&oldIssuer)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: UpdateVerification: %w", err)
	}
	if !v.Reachable {
		_, err = tx.ExecContext(ctx, `UPDATE badges SET verified_at = ?, unreachable_since = COALESCE(unreachable_since, ?),
			claimed_until = 0 WHERE id = ? AND user_id = ?`, unix(v.At), unix(v.At), id, userID)
	} else {
		tags, lower, terr := encodeTags(v.Tags)
		if terr != nil {
			return fmt.Errorf("store: UpdateVerification: %w", terr)
		}
		_, err = tx.ExecContext(ctx, `UPDATE badges SET status = ?, report_json = ?, badge_json = ?,
			name = ?, name_lower = ?, issuer_name = ?, issuer_lower = ?, description = ?, description_lower = ?,
			tags = ?, tags_lower = ?, issued_on = ?, expires_at = ?, verified_at = ?, unreachable_since = NULL,
			claimed_until = 0 WHERE id = ? AND user_id = ?`,
			v.Status, string(v.ReportJSON), string(v.BadgeJSON),
			v.Name, strings.ToLower(v.Name), v.IssuerName, strings.ToLower(v.IssuerName), v.Description, strings.ToLower(v.Description),
			tags, lower, unixOrZero(v.IssuedOn), nullUnix(v.Expires), unix(v.At), id, userID)
		if err == nil {
			err = recountIssuer(ctx, tx, userID, oldIssuer, v.IssuerName)
		}
	}
	if err != nil {
		return fmt.Errorf("store: UpdateVerification: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: UpdateVerification: commit: %w", err)
	}
	return nil
}

// ClaimDue claims, for the re-verification worker, up to limit badges (of
// any user) last verified before before and not claimed at now, oldest
// verification first. They stay claimed until now+lease or until
// UpdateVerification, so several instances never verify the same badge at
// once.
func (db *DB) ClaimDue(ctx context.Context, now, before time.Time, limit int, lease time.Duration) ([]Badge, error) {
	if limit <= 0 {
		return nil, nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: ClaimDue: %w", err)
	}
	defer tx.Rollback()
	// The outer claimed_until test is what keeps PostgreSQL from handing a
	// row to two instances: it re-checks it on the locked row, while the
	// subquery's snapshot may be stale.
	rows, err := tx.QueryContext(ctx, `UPDATE badges SET claimed_until = ?
		WHERE claimed_until <= ? AND id IN (SELECT id FROM badges
			WHERE verified_at < ? AND claimed_until <= ? ORDER BY verified_at LIMIT ?)
		RETURNING id`, unix(now.Add(lease)), unix(now), unix(before), unix(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: ClaimDue: %w", err)
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: ClaimDue: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: ClaimDue: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := badgesByIDs(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("store: ClaimDue: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return nil, fmt.Errorf("store: ClaimDue: commit: %w", err)
	}
	return out, nil
}

// badgesByIDs loads the badges with the given ids (not user-scoped: for
// the worker), oldest verification first.
func badgesByIDs(ctx context.Context, tx *sql.Tx, ids []any) ([]Badge, error) {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	rows, err := tx.QueryContext(ctx, `SELECT `+badgeColumns+` FROM `+badgeFrom+`
		WHERE b.id IN (`+marks+`) ORDER BY b.verified_at, b.id`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Badge
	for rows.Next() {
		b, err := scanBadge(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BadgeQuery selects and orders a page of a user's badges.
type BadgeQuery struct {
	// Search matches name, issuer, description and tags: a case-insensitive
	// substring, with no wildcards (% and _ are literal).
	Search string
	Status Status // "" or a status
	Issuer string // "" or an exact issuer name
	// Sort is "date" (newest first, the default), "name" or "issuer"; any
	// other value sorts by date.
	Sort          string
	Offset, Limit int // Limit <= 0 means DefaultPageSize; at most MaxPageSize
}

// Page sizes of ListBadges.
const (
	DefaultPageSize = 24
	MaxPageSize     = 200
)

// BadgeSummary is a badge as the list shows it.
type BadgeSummary struct {
	ID               int64
	Name, IssuerName string
	IssuedOn         time.Time // zero: unknown
	Status           Status
	ImageHash        []byte // nil: none
	ImageType        string
}

// BadgeList is one page of badges.
type BadgeList struct {
	Items []BadgeSummary
	Total int // badges matching the filters
	All   int // all the user's badges
}

// badgeOrder is the only source of ORDER BY clauses (never user input).
// Each has an index; id breaks ties so that pages are stable.
var badgeOrder = map[string]string{
	"date":   "b.issued_on DESC, b.id DESC",
	"name":   "b.name_lower, b.id",
	"issuer": "b.issuer_lower, b.name_lower, b.id",
}

// badgeFilter returns the conditions q adds to "b.user_id = ?" (without
// it; "" when none) and their arguments.
func badgeFilter(q BadgeQuery) (string, []any) {
	var conds []string
	var args []any
	if s := strings.TrimSpace(q.Search); s != "" {
		p := "%" + escapeLike(strings.ToLower(s)) + "%"
		conds = append(conds, `(b.name_lower LIKE ? ESCAPE '\' OR b.issuer_lower LIKE ? ESCAPE '\'
			OR b.description_lower LIKE ? ESCAPE '\' OR b.tags_lower LIKE ? ESCAPE '\')`)
		args = append(args, p, p, p, p)
	}
	if q.Status != "" {
		conds = append(conds, `b.status = ?`)
		args = append(args, q.Status)
	}
	if q.Issuer != "" {
		// issuer_lower lets the issuer index find the rows.
		conds = append(conds, `b.issuer_lower = ? AND b.issuer_name = ?`)
		args = append(args, strings.ToLower(q.Issuer), q.Issuer)
	}
	return strings.Join(conds, " AND "), args
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// listBadgesSQL returns the page query of ListBadges and its arguments.
func listBadgesSQL(userID int64, q BadgeQuery) (string, []any) {
	order, ok := badgeOrder[q.Sort]
	if !ok {
		order = badgeOrder["date"]
	}
	limit, offset := q.Limit, max(q.Offset, 0)
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	where, args := badgeFilter(q)
	if where != "" {
		where = " AND " + where
	}
	return `SELECT b.id, b.name, b.issuer_name, b.issued_on, b.status, b.image_hash, COALESCE(i.content_type, '')
		FROM ` + badgeFrom + ` WHERE b.user_id = ?` + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`,
		append(append([]any{userID}, args...), limit, offset)
}

// ListBadges returns one page of the user's badges (light columns only:
// never originals or reports), the number matching the filters and the
// number of all the user's badges.
func (db *DB) ListBadges(ctx context.Context, userID int64, q BadgeQuery) (BadgeList, error) {
	// One read transaction: the counts and the page come from one snapshot.
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return BadgeList{}, fmt.Errorf("store: ListBadges: %w", err)
	}
	defer tx.Rollback()
	var list BadgeList
	// The kept count, not COUNT(*): counting is the one part of the default
	// page whose cost grows with the backpack.
	err = tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT n FROM badge_counts WHERE user_id = ?), 0)`, userID).Scan(&list.All)
	if err != nil {
		return BadgeList{}, fmt.Errorf("store: ListBadges: %w", err)
	}
	list.Total = list.All
	if cond, args := badgeFilter(q); cond != "" {
		err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM badges b WHERE b.user_id = ? AND `+cond,
			append([]any{userID}, args...)...).Scan(&list.Total)
		if err != nil {
			return BadgeList{}, fmt.Errorf("store: ListBadges: %w", err)
		}
	}
	query, args := listBadgesSQL(userID, q)
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return BadgeList{}, fmt.Errorf("store: ListBadges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s BadgeSummary
		var issued int64
		if err := rows.Scan(&s.ID, &s.Name, &s.IssuerName, &issued, &s.Status, &s.ImageHash, &s.ImageType); err != nil {
			return BadgeList{}, fmt.Errorf("store: ListBadges: %w", err)
		}
		s.IssuedOn = fromUnixOrZero(issued)
		list.Items = append(list.Items, s)
	}
	if err := rows.Err(); err != nil {
		return BadgeList{}, fmt.Errorf("store: ListBadges: %w", err)
	}
	return list, nil
}

// Issuers returns the distinct issuer names of the user's badges, sorted
// without regard to case, for the issuer filter (from badge_issuers: it
// costs in issuers, not badges).
func (db *DB) Issuers(ctx context.Context, userID int64) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT issuer_name FROM badge_issuers WHERE user_id = ? AND n > 0
		ORDER BY issuer_lower, issuer_name`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: Issuers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("store: Issuers: %w", err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: Issuers: %w", err)
	}
	return out, nil
}

// encodeTags returns the tags as a JSON array and, for search, lower-cased
// and joined by newlines.
func encodeTags(tags []string) (string, string, error) {
	if tags == nil {
		tags = []string{}
	}
	j, err := json.Marshal(tags)
	if err != nil {
		return "", "", err
	}
	return string(j), strings.ToLower(strings.Join(tags, "\n")), nil
}

// unixOrZero and fromUnixOrZero store an unknown (zero) time as 0, which
// sorts last among newest-first dates on every engine, unlike NULL.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnixOrZero(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return fromUnix(s)
}

func nullUnix(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Unix()
}

func fromNullUnixPtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromUnix(n.Int64)
	return &t
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func textBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}
