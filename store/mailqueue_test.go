package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"backpack/internal/testclock"
)

var noLimits = MailLimits{}

func queue(tb testing.TB, db *DB, m Mail, now time.Time) {
	tb.Helper()
	if m.Kind == "" {
		m.Kind = "test"
	}
	if m.Subject == "" {
		m.Subject = "Subject"
	}
	if err := db.QueueMail(context.Background(), m, nil, noLimits, now); err != nil {
		tb.Fatal(err)
	}
}

func TestMailQueueClaimSendRetryAndGiveUp(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := testclock.Now()
	queue(t, db, Mail{To: "a@example.org", Text: "first"}, now)
	queue(t, db, Mail{To: "b@example.org", Text: "second"}, now.Add(time.Second))
	queue(t, db, Mail{To: "c@example.org", Text: "later"}, now.Add(time.Hour)) // not due yet at now+2s

	at := now.Add(2 * time.Second)
	first, err := db.ClaimMail(ctx, at, time.Minute)
	if err != nil || first.Text != "first" || first.To != "a@example.org" || first.Attempts != 0 {
		t.Fatalf("first claim: %+v %v", first, err)
	}
	second, err := db.ClaimMail(ctx, at, time.Minute)
	if err != nil || second.Text != "second" {
		t.Fatalf("second claim: %+v %v", second, err)
	}
	if m, err := db.ClaimMail(ctx, at, time.Minute); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a claimed or future message was claimed again: %+v %v", m, err)
	}
	// The sender of "first" stopped: once its lease runs out it is
	// someone else's.
	again, err := db.ClaimMail(ctx, at.Add(time.Minute), time.Minute)
	if err != nil || again.ID != first.ID {
		t.Fatalf("after the lease: %+v %v", again, err)
	}
	if err := db.MailSent(ctx, first.ID, at); err != nil {
		t.Fatal(err)
	}
	if err := db.MailSent(ctx, first.ID, at); !errors.Is(err, ErrNotFound) {
		t.Fatalf("sent twice: %v", err)
	}
	var subject, body, state string
	db.r.QueryRowContext(ctx, `SELECT subject, body, state FROM mail_queue WHERE id = ?`, first.ID).Scan(&subject, &body, &state)
	if subject != "" || body != "" || state != "sent" {
		t.Fatalf("after sending: %q %q %q; the link must not stay in the database", subject, body, state)
	}

	retry := at.Add(5 * time.Minute)
	if err := db.MailFailed(ctx, second.ID, at, retry, "451 try later"); err != nil {
		t.Fatal(err)
	}
	if m, err := db.ClaimMail(ctx, retry.Add(-time.Second), time.Minute); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claimed before its retry time: %+v %v", m, err)
	}
	m, err := db.ClaimMail(ctx, retry, time.Minute)
	if err != nil || m.ID != second.ID || m.Attempts != 1 || !m.DueAt.Equal(retry) {
		t.Fatalf("retry: %+v %v", m, err)
	}
	if err := db.MailFailed(ctx, second.ID, retry, time.Time{}, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	db.r.QueryRowContext(ctx, `SELECT body, state FROM mail_queue WHERE id = ?`, second.ID).Scan(&body, &state)
	if body != "" || state != "failed" {
		t.Fatalf("given up: %q %q", body, state)
	}
	if m, err := db.ClaimMail(ctx, now.Add(time.Hour), time.Minute); err != nil || m.Text != "later" {
		t.Fatalf("only the later message is left: %+v %v", m, err)
	}
}

// TestMailQueueClaimedOnceAcrossInstances: two handles on one database
// (two app instances) claiming at once take each message once.
func TestMailQueueClaimedOnceAcrossInstances(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var dbs []*DB
	for range 2 {
		db, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	now := testclock.Now()
	const n = 40
	for i := range n {
		queue(t, dbs[0], Mail{To: fmt.Sprintf("u%d@example.org", i)}, now)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			db := dbs[w%2]
			for {
				m, err := db.ClaimMail(ctx, now, time.Minute)
				if errors.Is(err, ErrNotFound) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[m.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d messages claimed, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("message %d claimed %d times", id, k)
		}
	}
}

var testLimits = MailLimits{
	Cooldown:   2 * time.Minute,
	PerAddress: []Rate{{Count: 3, Window: time.Hour}},
	PerUser:    []Rate{{Count: 4, Window: time.Hour}},
}

func TestMailLimits(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	user := mustUser(t, db, "owner@example.org")
	now := testclock.Now()
	try := func(db *DB, kind, to string, user int64, at time.Time) error {
		return db.QueueMail(ctx, Mail{Kind: kind, To: to, UserID: user, Subject: "s", Text: "t"}, nil, testLimits, at)
	}
	if err := try(db, "confirm-email", "victim@example.org", user, now); err != nil {
		t.Fatal(err)
	}
	// The same kind to the same address (whatever its case) waits for
	// the cool-down, on this instance and on another one.
	other, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	for _, d := range []*DB{db, other} {
		var lim *MailLimited
		err := try(d, "confirm-email", "Victim@Example.org", user, now.Add(30*time.Second))
		if !errors.As(err, &lim) || lim.PerUser || !lim.Last.Equal(now) || !lim.Until.Equal(now.Add(2*time.Minute)) {
			t.Fatalf("within the cool-down: %v %+v", err, lim)
		}
	}
	// Another kind, or another address, goes.
	if err := try(db, "reset-password", "victim@example.org", 0, now.Add(30*time.Second)); err != nil {
		t.Fatalf("another kind: %v", err)
	}
	if err := try(db, "confirm-email", "someone@example.org", user, now.Add(30*time.Second)); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// After the cool-down: the third to the address in the hour goes,
	// the fourth waits until the first leaves the window.
	if err := try(db, "confirm-email", "victim@example.org", user, now.Add(3*time.Minute)); err != nil {
		t.Fatalf("after the cool-down: %v", err)
	}
	var lim *MailLimited
	err = try(db, "other", "victim@example.org", 0, now.Add(10*time.Minute))
	if !errors.As(err, &lim) || lim.PerUser || !lim.Until.Equal(now.Add(time.Hour)) || !lim.Last.Equal(now.Add(3*time.Minute)) {
		t.Fatalf("fourth to one address in an hour: %v %+v", err, lim)
	}
	if err := try(db, "other", "victim@example.org", 0, now.Add(time.Hour)); err != nil {
		t.Fatalf("once the first left the window: %v", err)
	}
	// The account has queued 3; a fourth goes, a fifth waits, though
	// its address is new.
	if err := try(db, "confirm-email", "fourth@example.org", user, now.Add(20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	err = try(db, "confirm-email", "fifth@example.org", user, now.Add(21*time.Minute))
	if !errors.As(err, &lim) || !lim.PerUser || !lim.Until.Equal(now.Add(time.Hour)) {
		t.Fatalf("fifth of one account in an hour: %v %+v", err, lim)
	}
	// Nobody signed in (user 0) has no account limit.
	if err := try(db, "confirm-email", "fifth@example.org", 0, now.Add(21*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Deleting the account does not free the address's allowance.
	if err := db.DeleteUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	if err := try(db, "confirm-email", "fourth@example.org", 0, now.Add(21*time.Minute)); !errors.As(err, &lim) {
		t.Fatalf("after the account went: %v", err)
	}
}

func TestQueueMailKeepsTheTokenOnlyWithItsMail(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := testclock.Now()
	u, id, err := db.CreateUser(ctx, "a@example.org", "h", now)
	if err != nil {
		t.Fatal(err)
	}
	m := Mail{Kind: "confirm-email", To: "a@example.org", Subject: "s", Text: "t"}
	tok := func(b byte) *Token {
		return &Token{Hash: token(b), Kind: ConfirmEmail, UserID: u.ID, IdentityID: id.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	if err := db.QueueMail(ctx, m, tok(1), testLimits, now); err != nil {
		t.Fatal(err)
	}
	var lim *MailLimited
	if err := db.QueueMail(ctx, m, tok(2), testLimits, now); !errors.As(err, &lim) {
		t.Fatalf("second within the cool-down: %v", err)
	}
	if _, err := db.CheckToken(ctx, token(1), ConfirmEmail, now); err != nil {
		t.Errorf("the queued mail's token: %v", err)
	}
	if _, err := db.CheckToken(ctx, token(2), ConfirmEmail, now); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused mail's token was kept: %v", err)
	}
}

func TestDeleteOldMail(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := testclock.Now()
	for _, to := range []string{"sent@example.org", "failed@example.org", "queued@example.org"} {
		queue(t, db, Mail{To: to}, now)
	}
	sent, _ := db.ClaimMail(ctx, now, time.Minute)
	db.MailSent(ctx, sent.ID, now)
	failed, _ := db.ClaimMail(ctx, now, time.Minute)
	db.MailFailed(ctx, failed.ID, now, time.Time{}, "550")
	queue(t, db, Mail{To: "recent@example.org"}, now.Add(time.Hour))
	var recent int64
	db.r.QueryRowContext(ctx, `SELECT id FROM mail_queue WHERE to_norm = 'recent@example.org'`).Scan(&recent)
	if err := db.MailSent(ctx, recent, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	n, err := db.DeleteOldMail(ctx, now.Add(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("deleted %d, %v; want the sent and the given-up one", n, err)
	}
	left := queryStrings(t, db, `SELECT to_norm FROM mail_queue ORDER BY id`)
	if fmt.Sprint(left) != "[queued@example.org recent@example.org]" {
		t.Fatalf("left: %v", left)
	}
}
