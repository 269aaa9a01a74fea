package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// mailsTo counts the mail sent to addr (whatever its case).
func (a *app) mailsTo(addr string) int {
	n := 0
	for _, m := range a.mail.all() {
		if strings.EqualFold(m.To, addr) {
			n++
		}
	}
	return n
}

// identityID returns the id of the identity value of the account that
// signs in with email.
func (a *app) identityID(t *testing.T, email, value string) int64 {
	t.Helper()
	u, err := a.db.UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := a.db.Identities(t.Context(), u.ID)
	for _, id := range ids {
		if strings.EqualFold(id.Value, value) {
			return id.ID
		}
	}
	t.Fatalf("%s has no identity %s", email, value)
	return 0
}

// TestAddDeleteAndAddAgainMailsTheAddressOnce is issue 15's case: adding,
// deleting and adding an identity again mailed an arbitrary address 30
// times in 0.6 s. The limit is kept in the database: another instance on
// it refuses too.
func TestAddDeleteAndAddAgainMailsTheAddressOnce(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	for range 30 {
		b.get("/settings")
		wantRedirect(t, b.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"victim@example.org"}}), "/settings#identities")
		id := a.identityID(t, "alice@example.org", "victim@example.org")
		b.get("/settings")
		wantRedirect(t, b.post(fmt.Sprintf("/settings/identities/%d/delete", id), nil), "/settings#identities")
	}
	if n := a.mailsTo("victim@example.org"); n != 1 {
		t.Fatalf("%d mails to the address added 30 times; want 1", n)
	}
	b.get("/settings")
	b.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"Victim@example.org"}})
	p := b.get("/settings")
	want := "Added Victim@example.org. We sent a message to Victim@example.org less than a minute ago. Check your inbox (and your spam folder), or try again in 2 minutes."
	if !strings.Contains(p.text(), want) {
		t.Fatalf("the page does not say why no mail went:\n%s", p.text())
	}

	// A second instance on the same database (same session keys: the
	// cookie signs in there too) refuses as well.
	srv, err := New(a.cfg)
	if err != nil {
		t.Fatal(err)
	}
	other := &app{Server: srv, db: a.db, mail: a.mail, clock: a.clock, logs: a.logs}
	b2 := *b
	b2.app = other
	id := a.identityID(t, "alice@example.org", "victim@example.org")
	b2.get("/settings")
	b2.post(fmt.Sprintf("/settings/identities/%d/resend", id), nil)
	if p := b2.get("/settings"); !strings.Contains(p.text(), "We sent a message to Victim@example.org less than a minute ago") {
		t.Fatalf("the other instance did not refuse:\n%s", p.text())
	}
	if n := a.mailsTo("victim@example.org"); n != 1 {
		t.Fatalf("%d mails after a resend on another instance; want 1", n)
	}
	// Once the cool-down is over the owner can have another link.
	a.clock.add(mailLimits.Cooldown)
	b2.get("/settings")
	b2.post(fmt.Sprintf("/settings/identities/%d/resend", id), nil)
	if n := a.mailsTo("victim@example.org"); n != 2 {
		t.Fatalf("%d mails after the cool-down; want 2", n)
	}
}

// TestOneAccountCannotMailManyAddresses: the account's limit holds for
// addresses that have had no mail.
func TestOneAccountCannotMailManyAddresses(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	perHour := mailLimits.PerUser[0].Count
	for i := range perHour + 1 {
		b.get("/settings")
		b.post("/settings/identities", url.Values{"kind": {"email"}, "value": {fmt.Sprintf("a%d@example.org", i)}})
		a.clock.add(time.Second)
	}
	sent := 0
	for i := range perHour + 1 {
		sent += a.mailsTo(fmt.Sprintf("a%d@example.org", i))
	}
	if sent != perHour {
		t.Fatalf("%d addresses mailed; want %d", sent, perHour)
	}
	if p := b.get("/settings"); !strings.Contains(p.text(), "You have asked for a lot of mail in a short time, so we sent none just now. Try again in 60 minutes.") {
		t.Fatalf("no explanation:\n%s", p.text())
	}
}

// TestAnonymousRequestsDoNotShowTheLimit: a sign-up or reset request
// answers the same whether a limit held or not, or the answer would tell
// which addresses have accounts (only they get mail to be limited).
func TestAnonymousRequestsDoNotShowTheLimit(t *testing.T) {
	a := newApp(t)
	a.signUpConfirmed(t, "alice@example.org")
	b := a.browser(t)
	forgot := func(email string) string {
		b.get("/password/forgot")
		p := b.post("/password/forgot", url.Values{"email": {email}})
		wantStatus(t, p, http.StatusOK)
		return strings.ReplaceAll(stripCSRF(p.body), email, "X")
	}
	first, limited, unknown := forgot("alice@example.org"), forgot("alice@example.org"), forgot("nobody@example.org")
	if first != limited || first != unknown {
		t.Fatal("the reset answer differs when a limit holds or the address is unknown")
	}
	if n := a.mailsTo("alice@example.org"); n != 2 {
		t.Fatalf("%d mails to alice; want the confirmation and one reset link", n)
	}
	signup := func(email string) string {
		b.get("/signup")
		p := b.post("/signup", url.Values{"email": {email}, "password": {goodPassword}})
		wantStatus(t, p, http.StatusOK)
		return strings.ReplaceAll(stripCSRF(p.body), email, "X")
	}
	taken, takenLimited, fresh := signup("alice@example.org"), signup("alice@example.org"), signup("new@example.org")
	if taken != takenLimited || taken != fresh {
		t.Fatal("the sign-up answer differs when a limit holds")
	}
}

// TestASquatterCannotKeepTheOwnerOut is issue 15's squatter: an
// unconfirmed sign-up with somebody else's address blocked its owner. The
// owner signs up (and gets a confirmation link, not "someone tried"),
// confirms, and the squatter's account is gone with its link.
func TestASquatterCannotKeepTheOwnerOut(t *testing.T) {
	a := newApp(t)
	squatter := a.browser(t)
	squatter.get("/signup")
	wantStatus(t, squatter.post("/signup", url.Values{"email": {"owner@example.org"}, "password": {"the squatter's password"}}), http.StatusOK)
	squattersLink := a.mail.lastLink(t, "owner@example.org")

	a.clock.add(mailLimits.Cooldown)
	owner := a.browser(t)
	owner.get("/signup")
	wantStatus(t, owner.post("/signup", url.Values{"email": {"Owner@example.org"}, "password": {goodPassword}}), http.StatusOK)
	msgs := a.mail.all()
	last := msgs[len(msgs)-1]
	if !strings.EqualFold(last.To, "owner@example.org") || !strings.Contains(last.Text, "/confirm/") {
		t.Fatalf("the owner's sign-up mailed %+v, want a confirmation link", last)
	}
	link := a.mail.lastLink(t, "owner@example.org")
	wantRedirect(t, owner.get(link), "/login")
	if p := owner.login("owner@example.org", goodPassword); !p.has(`[data-testid=empty-backpack]`) {
		t.Fatalf("the owner cannot sign in: %s", p.text())
	}
	wantStatus(t, squatter.login("owner@example.org", "the squatter's password"), http.StatusUnprocessableEntity)
	wantStatus(t, squatter.get(squattersLink), http.StatusNotFound)
}

// TestAnOwnerCanConfirmAnAddressASquatterNamed: adding the address to an
// account, rather than signing up, works too.
func TestAnOwnerCanConfirmAnAddressASquatterNamed(t *testing.T) {
	a := newApp(t)
	owner := a.signUpConfirmed(t, "alice@example.org")
	squatter := a.browser(t)
	squatter.get("/signup")
	squatter.post("/signup", url.Values{"email": {"work@example.org"}, "password": {"the squatter's password"}})
	squattersLink := a.mail.lastLink(t, "work@example.org")

	a.clock.add(mailLimits.Cooldown)
	owner.get("/settings")
	owner.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"work@example.org"}})
	wantRedirect(t, owner.get(a.mail.lastLink(t, "work@example.org")), "/settings#identities")
	if u, err := a.db.UserByEmail(t.Context(), "work@example.org"); err != nil || u.Email != "alice@example.org" {
		t.Fatalf("work@example.org signs in to %+v, %v; want alice's account", u, err)
	}
	wantStatus(t, squatter.login("work@example.org", "the squatter's password"), http.StatusUnprocessableEntity)
	wantStatus(t, squatter.get(squattersLink), http.StatusNotFound) // the squatter's account went with it
}
