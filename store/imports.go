package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Import job states.
const (
	JobReceiving = "receiving" // items being written; deleted if left so
	JobQueued    = "queued"    // items waiting or being imported
	JobDone      = "done"
)

// ImportJob is a bulk import: a ZIP of badges or a Backpack export.
type ImportJob struct {
	ID, UserID  int64
	Name        string
	State       string
	Total       int
	Done        int            // items done (filled by ImportJob and ImportJobs)
	Outcomes    map[string]int // done items by outcome (filled likewise)
	Collections string         // JSON of the collections to recreate
	// CollectionsMade is how many collections finishing the job created.
	CollectionsMade int
	// Message is the sentence jobs finished before codes were kept say
	// (read only; "" for newer jobs).
	Message    string
	CreatedAt  time.Time
	FinishedAt *time.Time
}

// ImportItem is one file of a job, and what became of it.
type ImportItem struct {
	JobID     int64
	Seq       int
	Name      string
	Kind      string // "url", or "" to judge by content
	Ref       string // the export's id for the badge, or ""
	Data      []byte // nil once read without it, or once the job is done
	Skip      string // code of why it is not imported, decided on receipt ("" to import)
	Done      bool
	Outcome   string
	Code      string // why: a verify problem code or the importer's own ("" for a plain success)
	Detail    string // what goes with Code (an explanation, an identity)
	Message   string // the sentence items done before codes were kept say (read only)
	BadgeID   int64  // 0: none
	BadgeName string
}

// NewCollection is a collection to create when an import job finishes.
type NewCollection struct {
	Name, Description string
	Shared, Indexable bool
	Slug              string
	BadgeIDs          []int64
}

// CreateImportJob starts receiving a job; it is invisible to the worker
// until QueueImportJob.
func (db *DB) CreateImportJob(ctx context.Context, userID int64, name, collections string, now time.Time) (int64, error) {
	res, err := db.exec(ctx, `INSERT INTO import_jobs (user_id, name, state, collections, created_at) VALUES (?, ?, ?, ?, ?)`,
		userID, name, JobReceiving, collections, unix(now))
	if err != nil {
		return 0, fmt.Errorf("store: CreateImportJob: %w", err)
	}
	return res.LastInsertId()
}

// AddImportItems writes items of a receiving job in one short transaction.
func (db *DB) AddImportItems(ctx context.Context, jobID int64, items []ImportItem) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: AddImportItems: %w", err)
	}
	defer tx.Rollback()
	for _, it := range items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO import_items (job_id, seq, name, kind, ref, data, skip, done, outcome, message)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, jobID, it.Seq, it.Name, it.Kind, it.Ref, it.Data, it.Skip, it.Done, it.Outcome, it.Message); err != nil {
			return fmt.Errorf("store: AddImportItems: %w", err)
		}
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: AddImportItems: commit: %w", err)
	}
	return nil
}

// QueueImportJob hands a fully received job of total items to the worker.
// A job that is gone (deleted as cut off while it was received) is
// ErrNotFound.
func (db *DB) QueueImportJob(ctx context.Context, jobID int64, total int) error {
	res, err := db.exec(ctx, `UPDATE import_jobs SET state = ?, total = ? WHERE id = ? AND state = ?`, JobQueued, total, jobID, JobReceiving)
	if err != nil {
		return fmt.Errorf("store: QueueImportJob: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: QueueImportJob: %w", ErrNotFound)
	}
	return nil
}

// DeleteReceivingJobs deletes jobs whose receipt never finished (the server
// stopped while writing them; their uploader was told nothing yet).
func (db *DB) DeleteReceivingJobs(ctx context.Context) (int, error) {
	res, err := db.exec(ctx, `DELETE FROM import_jobs WHERE state = ?`, JobReceiving)
	if err != nil {
		return 0, fmt.Errorf("store: DeleteReceivingJobs: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteReceivingJob deletes one job whose receipt failed.
func (db *DB) DeleteReceivingJob(ctx context.Context, id int64) error {
	if _, err := db.exec(ctx, `DELETE FROM import_jobs WHERE id = ? AND state = ?`, id, JobReceiving); err != nil {
		return fmt.Errorf("store: DeleteReceivingJob: %w", err)
	}
	return nil
}

// QueuedImportJobs lists the jobs with work left, oldest first.
func (db *DB) QueuedImportJobs(ctx context.Context) ([]ImportJob, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+jobColumns+` FROM import_jobs WHERE state = ? ORDER BY id`, JobQueued)
	if err != nil {
		return nil, fmt.Errorf("store: QueuedImportJobs: %w", err)
	}
	defer rows.Close()
	var out []ImportJob
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("store: QueuedImportJobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// QueuedImportJobCount counts the user's jobs that are not done.
func (db *DB) QueuedImportJobCount(ctx context.Context, userID int64) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM import_jobs WHERE user_id = ? AND state = ?`, userID, JobQueued).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: QueuedImportJobCount: %w", err)
	}
	return n, nil
}

// ClaimImportItems claims up to n of the job's items still to do that no
// one holds, in order, until now+lease, and returns them with their bytes.
func (db *DB) ClaimImportItems(ctx context.Context, jobID int64, n int, now time.Time, lease time.Duration) ([]ImportItem, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: ClaimImportItems: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `UPDATE import_items SET claimed_until = ? WHERE job_id = ? AND seq IN (
		SELECT seq FROM import_items WHERE job_id = ? AND done = 0 AND claimed_until <= ? ORDER BY seq LIMIT ?) RETURNING seq`,
		unix(now.Add(lease)), jobID, jobID, unix(now), n)
	if err != nil {
		return nil, fmt.Errorf("store: ClaimImportItems: %w", err)
	}
	var seqs []any
	for rows.Next() {
		var seq int
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: ClaimImportItems: %w", err)
		}
		seqs = append(seqs, seq)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("store: ClaimImportItems: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return nil, fmt.Errorf("store: ClaimImportItems: commit: %w", err)
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(seqs)), ",")
	return db.importItems(ctx, `SELECT `+itemColumns+`, data FROM import_items WHERE job_id = ? AND seq IN (`+marks+`) ORDER BY seq`,
		append([]any{jobID}, seqs...)...)
}

// UnfinishedImportItems counts the job's items not done yet, claimed or not.
func (db *DB) UnfinishedImportItems(ctx context.Context, jobID int64) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM import_items WHERE job_id = ? AND done = 0`, jobID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: UnfinishedImportItems: %w", err)
	}
	return n, nil
}

// FinishImportItem records what became of an item; its bytes stay until
// the job is done.
func (db *DB) FinishImportItem(ctx context.Context, it ImportItem) error {
	var badge any
	if it.BadgeID != 0 {
		badge = it.BadgeID
	}
	_, err := db.exec(ctx, `UPDATE import_items SET done = 1, outcome = ?, code = ?, detail = ?, badge_id = ?, badge_name = ?
		WHERE job_id = ? AND seq = ?`, it.Outcome, it.Code, it.Detail, badge, it.BadgeName, it.JobID, it.Seq)
	if err != nil {
		return fmt.Errorf("store: FinishImportItem: %w", err)
	}
	return nil
}

// FinishImportJob creates the job's collections, drops the items' bytes
// and marks it done, all at once: a job is done with its collections or
// not done at all, so a restart never makes them twice.
func (db *DB) FinishImportJob(ctx context.Context, jobID int64, cols []NewCollection, now time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: FinishImportJob: %w", err)
	}
	defer tx.Rollback()
	var userID int64
	var state string
	err = tx.QueryRowContext(ctx, `SELECT user_id, state FROM import_jobs WHERE id = ?`, jobID).Scan(&userID, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: FinishImportJob: %w", err)
	}
	if state == JobDone {
		return nil
	}
	for _, c := range cols {
		res, err := tx.ExecContext(ctx, `INSERT INTO collections (user_id, name, description, slug, shared, indexable, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, userID, c.Name, c.Description, c.Slug, c.Shared, c.Indexable, unix(now), unix(now))
		if err != nil {
			return fmt.Errorf("store: FinishImportJob: collection: %w", err)
		}
		cid, _ := res.LastInsertId()
		pos := 0
		for _, bid := range c.BadgeIDs {
			// Only the user's own badges, each once.
			res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO collection_badges (collection_id, badge_id, position)
				SELECT ?, id, ? FROM badges WHERE id = ? AND user_id = ?`, cid, pos+1, bid, userID)
			if err != nil {
				return fmt.Errorf("store: FinishImportJob: collection badge: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				pos++
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE import_items SET data = NULL WHERE job_id = ?`, jobID); err != nil {
		return fmt.Errorf("store: FinishImportJob: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE import_jobs SET state = ?, collections_made = ?, finished_at = ? WHERE id = ?`,
		JobDone, len(cols), unix(now), jobID); err != nil {
		return fmt.Errorf("store: FinishImportJob: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: FinishImportJob: commit: %w", err)
	}
	return nil
}

const jobColumns = `id, user_id, name, state, total, collections, collections_made, message, created_at, finished_at`

func scanJob(row interface{ Scan(...any) error }) (ImportJob, error) {
	var j ImportJob
	var created int64
	var finished sql.NullInt64
	if err := row.Scan(&j.ID, &j.UserID, &j.Name, &j.State, &j.Total, &j.Collections, &j.CollectionsMade, &j.Message, &created, &finished); err != nil {
		return ImportJob{}, err
	}
	j.CreatedAt, j.FinishedAt = fromUnix(created), fromNullUnixPtr(finished)
	return j, nil
}

// ImportJob returns one of the user's jobs with its progress.
func (db *DB) ImportJob(ctx context.Context, userID, id int64) (ImportJob, error) {
	j, err := scanJob(db.r.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM import_jobs WHERE id = ? AND user_id = ? AND state != ?`,
		id, userID, JobReceiving))
	if errors.Is(err, sql.ErrNoRows) {
		return ImportJob{}, ErrNotFound
	}
	if err != nil {
		return ImportJob{}, fmt.Errorf("store: ImportJob: %w", err)
	}
	return j, db.jobProgress(ctx, &j)
}

// ImportJobs lists the user's jobs, newest first, with their progress.
func (db *DB) ImportJobs(ctx context.Context, userID int64) ([]ImportJob, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+jobColumns+` FROM import_jobs WHERE user_id = ? AND state != ? ORDER BY id DESC LIMIT 50`,
		userID, JobReceiving)
	if err != nil {
		return nil, fmt.Errorf("store: ImportJobs: %w", err)
	}
	var out []ImportJob
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: ImportJobs: %w", err)
		}
		out = append(out, j)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("store: ImportJobs: %w", err)
	}
	for i := range out {
		if err := db.jobProgress(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) jobProgress(ctx context.Context, j *ImportJob) error {
	rows, err := db.r.QueryContext(ctx, `SELECT outcome, COUNT(*) FROM import_items WHERE job_id = ? AND done = 1 GROUP BY outcome`, j.ID)
	if err != nil {
		return fmt.Errorf("store: import progress: %w", err)
	}
	defer rows.Close()
	j.Outcomes, j.Done = map[string]int{}, 0
	for rows.Next() {
		var o string
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return fmt.Errorf("store: import progress: %w", err)
		}
		j.Outcomes[o] = n
		j.Done += n
	}
	return rows.Err()
}

// ImportItems lists a job's items, without their bytes, in order.
func (db *DB) ImportItems(ctx context.Context, jobID int64) ([]ImportItem, error) {
	return db.importItems(ctx, `SELECT `+itemColumns+`, NULL FROM import_items WHERE job_id = ? ORDER BY seq`, jobID)
}

// ImportItemsPage lists up to limit of a job's items from offset, in
// order, without their bytes.
func (db *DB) ImportItemsPage(ctx context.Context, jobID int64, offset, limit int) ([]ImportItem, error) {
	return db.importItems(ctx, `SELECT `+itemColumns+`, NULL FROM import_items WHERE job_id = ? ORDER BY seq LIMIT ? OFFSET ?`, jobID, limit, offset)
}

const itemColumns = `job_id, seq, name, kind, ref, skip, done, outcome, code, detail, message, COALESCE(badge_id, 0), badge_name`

func (db *DB) importItems(ctx context.Context, query string, args ...any) ([]ImportItem, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: import items: %w", err)
	}
	defer rows.Close()
	var out []ImportItem
	for rows.Next() {
		var it ImportItem
		if err := rows.Scan(&it.JobID, &it.Seq, &it.Name, &it.Kind, &it.Ref, &it.Skip, &it.Done, &it.Outcome, &it.Code, &it.Detail, &it.Message,
			&it.BadgeID, &it.BadgeName, &it.Data); err != nil {
			return nil, fmt.Errorf("store: import items: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}
