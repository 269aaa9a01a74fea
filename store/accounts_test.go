package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"backpack/internal/testclock"
	"backpack/openbadges"
)

var t0 = time.Unix(1_700_000_000, 0).UTC()

func TestCreateUserAndSignInLookup(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	u, primary, err := db.CreateUser(ctx, "Alice@Example.org", "h1", t0)
	if err != nil {
		t.Fatal(err)
	}
	if !primary.Primary || primary.Verified() || primary.Value != "Alice@Example.org" {
		t.Fatalf("primary identity = %+v", primary)
	}
	for _, email := range []string{"alice@example.org", "ALICE@EXAMPLE.ORG", " Alice@Example.org "} {
		got, err := db.UserByEmail(ctx, email)
		if err != nil || got.ID != u.ID || got.PasswordHash != "h1" {
			t.Errorf("UserByEmail(%q) = %+v, %v", email, got, err)
		}
	}
	db.CreateToken(ctx, Token{Hash: token(7), Kind: ConfirmEmail, UserID: u.ID, IdentityID: primary.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if _, err := db.UseConfirmToken(ctx, token(7), t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateUser(ctx, "ALICE@example.org", "h2", t0); !errors.Is(err, ErrConflict) {
		t.Fatalf("second account with a confirmed address (other case): %v, want ErrConflict", err)
	}
	// An unverified secondary address does not sign anybody in.
	if _, err := db.AddIdentity(ctx, u.ID, openbadges.Email, "other@example.org", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByEmail(ctx, "other@example.org"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unverified secondary address signs in: %v", err)
	}
}

func TestIdentitiesBelongToTheirOwner(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	a, aPrimary, _ := db.CreateUser(ctx, "a@example.org", "h", t0)
	b, _, _ := db.CreateUser(ctx, "b@example.org", "h", t0)
	url, err := db.AddIdentity(ctx, a.ID, openbadges.URL, "https://a.example.org/", t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddIdentity(ctx, a.ID, openbadges.URL, "HTTPS://A.example.org/", t0); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate URL identity: %v, want ErrConflict", err)
	}
	if _, err := db.Identity(ctx, b.ID, url.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("B read A's identity: %v", err)
	}
	if err := db.DeleteIdentity(ctx, b.ID, url.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("B deleted A's identity: %v", err)
	}
	if err := db.SetPrimary(ctx, b.ID, aPrimary.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("B made A's address primary: %v", err)
	}
	if err := db.DeleteIdentity(ctx, a.ID, aPrimary.ID); !errors.Is(err, ErrPrimary) {
		t.Errorf("deleting the primary address: %v, want ErrPrimary", err)
	}
	if err := db.SetPrimary(ctx, a.ID, url.ID); !errors.Is(err, ErrNotVerified) {
		t.Errorf("URL as primary: %v, want ErrNotVerified", err)
	}
	list, _ := db.Identities(ctx, a.ID)
	if len(list) != 2 || !list[0].Primary {
		t.Fatalf("A's identities = %+v", list)
	}
	if err := db.DeleteIdentity(ctx, a.ID, url.ID); err != nil {
		t.Fatal(err)
	}
	list, _ = db.Identities(ctx, a.ID)
	if len(list) != 1 {
		t.Fatalf("after delete: %+v", list)
	}
}

func token(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestConfirmTokenWorksOnceAndExpires(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	u, email, _ := db.CreateUser(ctx, "a@example.org", "h", t0)
	if err := db.CreateToken(ctx, Token{Hash: token(1), Kind: ConfirmEmail, UserID: u.ID, IdentityID: email.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UseResetToken(ctx, token(1), "x", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a confirmation token reset the password: %v", err)
	}
	got, err := db.UseConfirmToken(ctx, token(1), t0.Add(time.Minute))
	if err != nil || !got.Verified() || got.ID != email.ID {
		t.Fatalf("UseConfirmToken = %+v, %v", got, err)
	}
	if _, err := db.UseConfirmToken(ctx, token(1), t0.Add(2*time.Minute)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token used twice: %v", err)
	}
	db.CreateToken(ctx, Token{Hash: token(2), Kind: ConfirmEmail, UserID: u.ID, IdentityID: email.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if _, err := db.UseConfirmToken(ctx, token(2), t0.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired token accepted: %v", err)
	}
}

func TestVerifyingAnAddressAnotherAccountOwns(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	taken, takenID, _ := db.CreateUser(ctx, "taken@example.org", "h", t0)
	db.CreateToken(ctx, Token{Hash: token(2), Kind: ConfirmEmail, UserID: taken.ID, IdentityID: takenID.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if _, err := db.UseConfirmToken(ctx, token(2), t0); err != nil {
		t.Fatal(err)
	}
	b, _, _ := db.CreateUser(ctx, "b@example.org", "h", t0)
	id, err := db.AddIdentity(ctx, b.ID, openbadges.Email, "Taken@example.org", t0)
	if err != nil {
		t.Fatal(err) // adding is fine: only verifying claims it
	}
	db.CreateToken(ctx, Token{Hash: token(3), Kind: ConfirmEmail, UserID: b.ID, IdentityID: id.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if _, err := db.UseConfirmToken(ctx, token(3), t0); !errors.Is(err, ErrConflict) {
		t.Fatalf("verified an address another account signs in with: %v", err)
	}
}

// confirm spends a fresh confirmation token for identity id of user.
func confirm(tb testing.TB, db *DB, user, id int64, b byte, now time.Time) (Identity, error) {
	tb.Helper()
	ctx := context.Background()
	if err := db.CreateToken(ctx, Token{Hash: token(b), Kind: ConfirmEmail, UserID: user, IdentityID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		tb.Fatal(err)
	}
	return db.UseConfirmToken(ctx, token(b), now)
}

// TestUnconfirmedSignUpsDoNotHoldTheAddress is issue 15's squatter: an
// unconfirmed sign-up with somebody else's address kept its owner from
// signing up or adding it. The owner can do both, and confirming drops the
// squatter's claim.
func TestUnconfirmedSignUpsDoNotHoldTheAddress(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := testclock.Now()
	squatter, _, err := db.CreateUser(ctx, "owner@example.org", "squatter", now)
	if err != nil {
		t.Fatal(err)
	}
	owner, ownerID, err := db.CreateUser(ctx, "Owner@Example.org", "owner", now.Add(time.Minute))
	if err != nil {
		t.Fatalf("the owner's sign-up: %v", err)
	}
	if u, err := db.UserByEmail(ctx, "owner@example.org"); err != nil || u.ID != owner.ID {
		t.Fatalf("sign-in finds %+v, %v; want the newest unconfirmed account", u, err)
	}
	if _, err := confirm(t, db, owner.ID, ownerID.ID, 1, now.Add(2*time.Minute)); err != nil {
		t.Fatalf("the owner confirms: %v", err)
	}
	if _, err := db.UserByID(ctx, squatter.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the squatter's account is still there: %v", err)
	}
	if u, err := db.UserByEmail(ctx, "owner@example.org"); err != nil || u.ID != owner.ID || !u.EmailVerified {
		t.Fatalf("sign-in finds %+v, %v", u, err)
	}
	if _, _, err := db.CreateUser(ctx, "owner@example.org", "squatter", now.Add(3*time.Minute)); !errors.Is(err, ErrConflict) {
		t.Fatalf("signing up with the confirmed address: %v, want ErrConflict", err)
	}

	// The owner adds the address to an account they have.
	squatter, _, _ = db.CreateUser(ctx, "second@example.org", "squatter", now)
	added, err := db.AddIdentity(ctx, owner.ID, openbadges.Email, "second@example.org", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := confirm(t, db, owner.ID, added.ID, 2, now); err != nil {
		t.Fatalf("confirming an address an unconfirmed account names: %v", err)
	}
	if _, err := db.UserByID(ctx, squatter.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the squatter's account is still there: %v", err)
	}
	if u, err := db.UserByEmail(ctx, "second@example.org"); err != nil || u.ID != owner.ID {
		t.Fatalf("the confirmed address signs in to %+v, %v", u, err)
	}

	// A reset link proves the address too.
	squatter, _, _ = db.CreateUser(ctx, "third@example.org", "squatter", now)
	third, thirdID, _ := db.CreateUser(ctx, "third@example.org", "owner", now)
	db.CreateToken(ctx, Token{Hash: token(3), Kind: ResetPassword, UserID: third.ID, IdentityID: thirdID.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if _, err := db.UseResetToken(ctx, token(3), "new", now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByID(ctx, squatter.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the squatter's account survived the owner's reset: %v", err)
	}
}

func TestDeleteUnconfirmedUsers(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := testclock.Now()
	old, _, _ := db.CreateUser(ctx, "old@example.org", "h", now.Add(-8*24*time.Hour))
	recent, _, _ := db.CreateUser(ctx, "recent@example.org", "h", now.Add(-time.Hour))
	confirmed, id, _ := db.CreateUser(ctx, "confirmed@example.org", "h", now.Add(-8*24*time.Hour))
	if _, err := confirm(t, db, confirmed.ID, id.ID, 1, now.Add(-8*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	n, err := db.DeleteUnconfirmedUsers(ctx, now.Add(-7*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("DeleteUnconfirmedUsers = %d, %v; want 1", n, err)
	}
	if _, err := db.UserByID(ctx, old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the old unconfirmed account is still there: %v", err)
	}
	for _, u := range []User{recent, confirmed} {
		if _, err := db.UserByID(ctx, u.ID); err != nil {
			t.Errorf("account %d went: %v", u.ID, err)
		}
	}
}

func TestResetTokenSetsPasswordAndEndsSessions(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	u, email, _ := db.CreateUser(ctx, "a@example.org", "old", t0)
	db.CreateSession(ctx, Session{IDHash: token(9), UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)})
	for _, b := range []byte{4, 5} {
		db.CreateToken(ctx, Token{Hash: token(b), Kind: ResetPassword, UserID: u.ID, IdentityID: email.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	}
	db.RecordLoginFailure(ctx, "a@example.org", t0, time.Hour, func(int) time.Duration { return time.Hour })
	if _, err := db.CheckToken(ctx, token(4), ResetPassword, t0); err != nil {
		t.Fatal(err)
	}
	got, err := db.UseResetToken(ctx, token(4), "new", t0)
	if err != nil || got.PasswordHash != "new" || !got.EmailVerified {
		t.Fatalf("UseResetToken = %+v, %v", got, err)
	}
	if _, err := db.UseResetToken(ctx, token(5), "newer", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the other reset link still works: %v", err)
	}
	if _, err := db.SessionByHash(ctx, token(9), t0, time.Hour); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session survived a password reset: %v", err)
	}
	if until, _ := db.LoginLockedUntil(ctx, "a@example.org"); !until.IsZero() {
		t.Fatalf("sign-in still locked after a reset, until %v", until)
	}
}

func TestSessionsExpireAndEnd(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	u, _, _ := db.CreateUser(ctx, "a@example.org", "h", t0)
	for _, b := range []byte{1, 2, 3} {
		if err := db.CreateSession(ctx, Session{IDHash: token(b), UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(12 * time.Hour), UserAgent: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	idle := 2 * time.Hour
	if _, err := db.SessionByHash(ctx, token(1), t0.Add(time.Hour), idle); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionByHash(ctx, token(1), t0.Add(3*time.Hour), idle); !errors.Is(err, ErrNotFound) {
		t.Fatalf("idle session accepted: %v", err)
	}
	for h := time.Duration(1); h < 13; h++ { // keep it busy: only the absolute limit ends it
		db.TouchSession(ctx, token(1), t0.Add(h*time.Hour))
	}
	if _, err := db.SessionByHash(ctx, token(1), t0.Add(11*time.Hour), idle); err != nil {
		t.Fatalf("busy session refused: %v", err)
	}
	if _, err := db.SessionByHash(ctx, token(1), t0.Add(12*time.Hour), idle); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session past its absolute expiry accepted: %v", err)
	}
	if err := db.DeleteUserSessions(ctx, u.ID, token(2)); err != nil {
		t.Fatal(err)
	}
	list, _ := db.Sessions(ctx, u.ID, t0)
	if len(list) != 1 || !bytes.Equal(list[0].IDHash, token(2)) {
		t.Fatalf("after ending the others: %d sessions", len(list))
	}
	db.DeleteSession(ctx, token(2))
	if _, err := db.SessionByHash(ctx, token(2), t0, idle); !errors.Is(err, ErrNotFound) {
		t.Fatal("deleted session still found")
	}
}

func TestLoginFailureBackoff(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	lock := func(n int) time.Duration {
		if n < 3 {
			return 0
		}
		return time.Minute
	}
	var until time.Time
	for i := range 3 {
		var err error
		until, err = db.RecordLoginFailure(ctx, "a@example.org", t0.Add(time.Duration(i)*time.Second), 15*time.Minute, lock)
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := t0.Add(2*time.Second + time.Minute); !until.Equal(want) {
		t.Fatalf("locked until %v, want %v", until, want)
	}
	got, _ := db.LoginLockedUntil(ctx, "a@example.org")
	if !got.Equal(until) {
		t.Fatalf("LoginLockedUntil = %v, want %v", got, until)
	}
	// Outside the window the count starts again.
	until, _ = db.RecordLoginFailure(ctx, "a@example.org", t0.Add(time.Hour), 15*time.Minute, lock)
	if !until.IsZero() {
		t.Fatalf("a failure in a new window locked the account until %v", until)
	}
	db.ClearLoginFailures(ctx, "a@example.org")
	if got, _ := db.LoginLockedUntil(ctx, "a@example.org"); !got.IsZero() {
		t.Fatal("failures not cleared")
	}
}

func TestDeleteUserDeletesEverything(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	u, email, _ := db.CreateUser(ctx, "a@example.org", "h", t0)
	other, _, _ := db.CreateUser(ctx, "b@example.org", "h", t0)
	db.AddIdentity(ctx, u.ID, openbadges.URL, "https://a.example/", t0)
	db.CreateSession(ctx, Session{IDHash: token(1), UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)})
	db.CreateToken(ctx, Token{Hash: token(2), Kind: ConfirmEmail, UserID: u.ID, IdentityID: email.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if err := db.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"identities", "sessions", "tokens"} {
		var n int
		db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table+" WHERE user_id = ?", u.ID).Scan(&n)
		if n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
	if _, err := db.UserByID(ctx, other.ID); err != nil {
		t.Errorf("the other user went too: %v", err)
	}
	// The address is free again.
	if _, _, err := db.CreateUser(ctx, "a@example.org", "h", t0); err != nil {
		t.Errorf("address not freed: %v", err)
	}
}
