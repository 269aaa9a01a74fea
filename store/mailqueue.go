package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Mail is one message in the outgoing queue (migration 0014).
type Mail struct {
	ID       int64
	Kind     string // what it is for: one mail of a kind to an address per cool-down
	To       string
	UserID   int64 // the signed-in account whose action queued it; 0: nobody signed in asked
	Subject  string
	Text     string
	Attempts int // failed attempts so far
	// CreatedAt is when it was queued, DueAt when it is to be (tried
	// again to be) sent.
	CreatedAt, DueAt time.Time
}

// Rate is at most Count mails in any Window.
type Rate struct {
	Count  int
	Window time.Duration
}

// MailLimits bound how much mail the queue takes.
type MailLimits struct {
	// Cooldown is how long after a mail of one kind to an address
	// another of that kind to that address is refused.
	Cooldown time.Duration
	// PerAddress bounds the mail to one address, whatever its kind and
	// whoever asked; PerUser what one account's actions queue.
	PerAddress, PerUser []Rate
}

// MailLimited is the error QueueMail returns when a limit holds: nothing
// was queued.
type MailLimited struct {
	// Last is when mail was last queued to the address (zero when the
	// account's limit is what holds).
	Last time.Time
	// Until is when the same mail would be taken.
	Until time.Time
	// PerUser says the account's limit holds, not the address's.
	PerUser bool
}

func (e *MailLimited) Error() string {
	if e.PerUser {
		return fmt.Sprintf("store: mail limit of the account reached until %s", e.Until.Format(time.RFC3339))
	}
	return fmt.Sprintf("store: mail limit of the address reached until %s", e.Until.Format(time.RFC3339))
}

// QueueMail puts m in the outgoing queue, due at once, together with the
// one-time token its link carries (t; nil when it carries none): both or
// neither. It refuses with *MailLimited when lim would be broken: a mail
// of m.Kind to m.To less than lim.Cooldown ago, or too many to m.To or
// queued by m.UserID in a window. Limits count every row queued, sent or
// given up, so they hold across instances and restarts.
func (db *DB) QueueMail(ctx context.Context, m Mail, t *Token, lim MailLimits, now time.Time) error {
	norm := strings.ToLower(strings.TrimSpace(m.To))
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: QueueMail: %w", err)
	}
	defer tx.Rollback()
	limited, err := mailLimited(ctx, tx, norm, m.Kind, m.UserID, lim, now)
	if err != nil {
		return fmt.Errorf("store: QueueMail: %w", err)
	}
	if limited != nil {
		return limited
	}
	if t != nil {
		if err := insertToken(ctx, tx, *t); err != nil {
			return fmt.Errorf("store: QueueMail: %w", err)
		}
	}
	var user any
	if m.UserID != 0 {
		user = m.UserID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO mail_queue (kind, to_addr, to_norm, user_id, subject, body, created_at, due_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.Kind, m.To, norm, user, m.Subject, m.Text, unix(now), unix(now)); err != nil {
		return fmt.Errorf("store: QueueMail: %w", err)
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("store: QueueMail: commit: %w", err)
	}
	return nil
}

// mailLimited returns what limit a mail of kind to norm, queued by user,
// would break at now, or nil.
func mailLimited(ctx context.Context, tx *sql.Tx, norm, kind string, user int64, lim MailLimits, now time.Time) (*MailLimited, error) {
	var out *MailLimited
	hold := func(until time.Time, perUser bool) {
		if !until.After(now) {
			return
		}
		if out == nil {
			out = &MailLimited{}
		}
		if until.After(out.Until) {
			out.Until, out.PerUser = until, perUser
		}
	}
	// nth returns when the n-th newest row matching where was queued
	// after since, or zero.
	nth := func(where string, key any, n int, since time.Time) (time.Time, error) {
		var at int64
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM mail_queue WHERE `+where+` AND created_at > ?
			ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?`, key, unix(since), n-1).Scan(&at)
		if errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, nil
		}
		if err != nil {
			return time.Time{}, err
		}
		return fromUnix(at), nil
	}
	if lim.Cooldown > 0 {
		var at int64
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM mail_queue WHERE to_norm = ? AND kind = ? AND created_at > ?
			ORDER BY created_at DESC LIMIT 1`, norm, kind, unix(now.Add(-lim.Cooldown))).Scan(&at)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if err == nil {
			hold(fromUnix(at).Add(lim.Cooldown), false)
		}
	}
	for _, r := range lim.PerAddress {
		at, err := nth(`to_norm = ?`, norm, r.Count, now.Add(-r.Window))
		if err != nil {
			return nil, err
		}
		if !at.IsZero() {
			hold(at.Add(r.Window), false)
		}
	}
	if user != 0 {
		for _, r := range lim.PerUser {
			at, err := nth(`user_id = ?`, user, r.Count, now.Add(-r.Window))
			if err != nil {
				return nil, err
			}
			if !at.IsZero() {
				hold(at.Add(r.Window), true)
			}
		}
	}
	if out != nil && !out.PerUser {
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(created_at) FROM mail_queue WHERE to_norm = ?`, norm).Scan(&last); err != nil {
			return nil, err
		}
		out.Last = fromUnix(last)
	}
	return out, nil
}

const mailColumns = `id, kind, to_addr, COALESCE(user_id, 0), subject, body, attempts, created_at, due_at`

func scanMail(row interface{ Scan(...any) error }) (Mail, error) {
	var m Mail
	var created, due int64
	if err := row.Scan(&m.ID, &m.Kind, &m.To, &m.UserID, &m.Subject, &m.Text, &m.Attempts, &created, &due); err != nil {
		return Mail{}, err
	}
	m.CreatedAt, m.DueAt = fromUnix(created), fromUnix(due)
	return m, nil
}

// ClaimMail takes the message that has waited longest among those due at
// now and not claimed by another sender, for lease. ErrNotFound: none.
// A sender that stops before it says what became of the message leaves it
// to be claimed again once the lease runs out.
func (db *DB) ClaimMail(ctx context.Context, now time.Time, lease time.Duration) (Mail, error) {
	m, err := scanMail(db.w.QueryRowContext(ctx, `UPDATE mail_queue SET claimed_until = ? WHERE id = (
		SELECT id FROM mail_queue WHERE state = 'queued' AND due_at <= ? AND claimed_until <= ? ORDER BY due_at, id LIMIT 1)
		RETURNING `+mailColumns, unix(now.Add(lease)), unix(now), unix(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return Mail{}, ErrNotFound
	}
	if err != nil {
		return Mail{}, fmt.Errorf("store: ClaimMail: %w", err)
	}
	return m, nil
}

// MailSent records that the message was handed to the mail server. Its
// subject and body are dropped; the row stays for the limits.
func (db *DB) MailSent(ctx context.Context, id int64, now time.Time) error {
	return db.finishMail(ctx, "MailSent", `state = 'sent', subject = '', body = '', done_at = ?, claimed_until = 0`, id, unix(now))
}

// MailFailed records a failed attempt: the message is tried again at
// retryAt, or, when retryAt is zero, given up (its subject and body
// dropped). reason is kept for whoever reads the database.
func (db *DB) MailFailed(ctx context.Context, id int64, now, retryAt time.Time, reason string) error {
	if retryAt.IsZero() {
		return db.finishMail(ctx, "MailFailed", `state = 'failed', subject = '', body = '', done_at = ?, claimed_until = 0,
			attempts = attempts + 1, last_error = ?`, id, unix(now), reason)
	}
	return db.finishMail(ctx, "MailFailed", `due_at = ?, claimed_until = 0, attempts = attempts + 1, last_error = ?`,
		id, unix(retryAt), reason)
}

func (db *DB) finishMail(ctx context.Context, method, set string, id int64, args ...any) error {
	res, err := db.exec(ctx, `UPDATE mail_queue SET `+set+` WHERE id = ? AND state = 'queued'`, append(args, id)...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", method, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteOldMail deletes the rows of mail sent or given up that were queued
// before before, and returns how many went. before must be further back
// than the longest window of the limits, or they stop counting rows they
// should.
func (db *DB) DeleteOldMail(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.exec(ctx, `DELETE FROM mail_queue WHERE state <> 'queued' AND created_at < ?`, unix(before))
	if err != nil {
		return 0, fmt.Errorf("store: DeleteOldMail: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
