package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"backpack/openbadges"
	"backpack/store"
)

func identityValues(t *testing.T, a *app, email string) []string {
	t.Helper()
	u, err := a.db.UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := a.db.Identities(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, id := range ids {
		out = append(out, fmt.Sprintf("%s:%s primary=%v verified=%v", id.Kind, id.Value, id.Primary, id.Verified()))
	}
	return out
}

func TestSettingsRequiresSignIn(t *testing.T) {
	a := newApp(t)
	b := a.browser(t)
	wantRedirect(t, b.get("/settings"), "/login?next=%2Fsettings")
	b.get("/login")
	wantRedirect(t, b.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"x@example.org"}}), "/login")
}

func TestIdentities(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	p := b.get("/settings")
	wantStatus(t, p, http.StatusOK)
	if n := p.doc.Find(`[data-testid=identity]`).Length(); n != 1 {
		t.Fatalf("%d identities listed, want 1", n)
	}

	// An email: added unconfirmed, a link mailed, confirmed by the link.
	p = b.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"Work@Example.com"}})
	wantRedirect(t, p, "/settings#identities")
	link := a.mail.lastLink(t, "Work@Example.com")
	wantRedirect(t, b.get(link), "/settings#identities")

	// Case never makes a second identity.
	b.get("/settings")
	p = b.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"WORK@example.COM"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text(), "already") {
		t.Fatalf("duplicate identity: %s", p.text())
	}
	if v, _ := p.doc.Find("#f-value").Attr("value"); v != "WORK@example.COM" {
		t.Errorf("typed value lost: %q", v)
	}

	b.post("/settings/identities", url.Values{"kind": {"url"}, "value": {"https://alice.example/"}})
	b.post("/settings/identities", url.Values{"kind": {"telephone"}, "value": {"+44 20 7946 0958"}})
	for _, bad := range []url.Values{
		{"kind": {"url"}, "value": {"javascript:alert(1)"}},
		{"kind": {"email"}, "value": {"nope"}},
		{"kind": {"telephone"}, "value": {"call me"}},
		{"kind": {"did"}, "value": {"did:key:z6Mk"}},
		{"kind": {"email"}, "value": {""}},
	} {
		p := b.post("/settings/identities", bad)
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if v, _ := p.doc.Find("#f-value").Attr("aria-invalid"); v != "true" {
			t.Errorf("%v: field not marked invalid", bad)
		}
	}
	want := []string{
		"email:alice@example.org primary=true verified=true",
		"email:Work@Example.com primary=false verified=true",
		"telephone:+44 20 7946 0958 primary=false verified=false",
		"url:https://alice.example/ primary=false verified=false",
	}
	if diff := cmp.Diff(want, identityValues(t, a, "alice@example.org")); diff != "" {
		t.Fatalf("identities (-want +got):\n%s", diff)
	}

	// The confirmed work address can sign in and become primary.
	u, _ := a.db.UserByEmail(t.Context(), "work@example.com")
	ids, _ := a.db.Identities(t.Context(), u.ID)
	work := ids[1]
	b.get("/settings")
	wantRedirect(t, b.post(fmt.Sprintf("/settings/identities/%d/primary", work.ID), nil), "/settings#identities")
	ids, _ = a.db.Identities(t.Context(), u.ID)
	if ids[0].ID != work.ID || !ids[0].Primary {
		t.Fatalf("primary not changed: %+v", ids)
	}
	// The primary cannot be removed; others can.
	b.post(fmt.Sprintf("/settings/identities/%d/delete", work.ID), nil)
	if got := identityValues(t, a, "work@example.com"); len(got) != 4 {
		t.Fatalf("primary identity removed: %v", got)
	}
	phone := ids[2]
	if phone.Kind != openbadges.Telephone {
		t.Fatalf("unexpected order: %+v", ids)
	}
	wantRedirect(t, b.post(fmt.Sprintf("/settings/identities/%d/delete", phone.ID), nil), "/settings#identities")
	if got := identityValues(t, a, "work@example.com"); len(got) != 3 {
		t.Fatalf("after removing the phone: %v", got)
	}
	// A URL cannot be made primary.
	b.post(fmt.Sprintf("/settings/identities/%d/primary", ids[3].ID), nil)
	if p := b.get("/settings"); !strings.Contains(p.text(), "Only a confirmed email address") {
		t.Fatalf("no explanation for refusing a URL as primary: %s", p.text())
	}
}

func TestResendConfirmationIsRateLimited(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	b.get("/settings")
	b.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"other@example.org"}})
	u, _ := a.db.UserByEmail(t.Context(), "alice@example.org")
	ids, _ := a.db.Identities(t.Context(), u.ID)
	path := fmt.Sprintf("/settings/identities/%d/resend", ids[1].ID)
	count := func() int {
		n := 0
		for _, m := range a.mail.all() {
			if m.To == "other@example.org" {
				n++
			}
		}
		return n
	}
	for range 5 {
		b.get("/settings")
		b.post(path, nil)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d confirmation mails after adding and 5 resends at once; want 1", n)
	}
	a.clock.add(30 * time.Second)
	b.get("/settings")
	b.post(path, nil)
	want := "We sent a message to other@example.org less than a minute ago. Check your inbox (and your spam folder), or try again in 2 minutes."
	if p := b.get("/settings"); !strings.Contains(p.text(), want) {
		t.Fatalf("no explanation when a resend is refused: %s", p.text())
	}
	// After the cool-down, one more.
	a.clock.add(mailLimits.Cooldown)
	b.get("/settings")
	b.post(path, nil)
	if n := count(); n != 2 {
		t.Fatalf("%d confirmation mails after the cool-down; want 2", n)
	}
}

// TestIdentityRoutesAreOwnerOnly walks every route with an :id and checks
// that another signed-in user gets 404 and changes nothing (IDOR).
func TestIdentityRoutesAreOwnerOnly(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/settings")
	alice.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"alice.work@example.org"}})
	alice.get(a.mail.lastLink(t, "alice.work@example.org"))
	alice.get("/settings")
	alice.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"alice.home@example.org"}})
	before := identityValues(t, a, "alice@example.org")
	aliceUser, _ := a.db.UserByEmail(t.Context(), "alice@example.org")
	ids, _ := a.db.Identities(t.Context(), aliceUser.ID)
	mails := len(a.mail.all())

	bob := a.signUpConfirmed(t, "bob@example.org")
	routes := 0
	for _, r := range a.Echo().Routes() {
		if !strings.Contains(r.Path, ":id") {
			continue
		}
		for _, id := range ids {
			routes++
			path := strings.Replace(r.Path, ":id", fmt.Sprint(id.ID), 1)
			var p *page
			if r.Method == http.MethodGet {
				p = bob.get(path)
			} else {
				bob.get("/settings")
				p = bob.post(path, url.Values{"user_id": {fmt.Sprint(aliceUser.ID)}})
			}
			if p.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s as another user: %d, want 404", r.Method, path, p.StatusCode)
			}
		}
	}
	if routes < 3*len(ids) {
		t.Fatalf("only %d route/id pairs tried: the identity routes were not found", routes)
	}
	if diff := cmp.Diff(before, identityValues(t, a, "alice@example.org")); diff != "" {
		t.Fatalf("alice's identities changed (-before +after):\n%s", diff)
	}
	// Bob's mails were only his own sign-up.
	for _, m := range a.mail.all()[mails:] {
		if strings.HasPrefix(m.To, "alice") {
			t.Errorf("mail sent to %s on bob's request", m.To)
		}
	}
	// Bob's settings page shows none of alice's identities.
	if p := bob.get("/settings"); strings.Contains(p.body, "alice") {
		t.Error("bob's settings page mentions alice")
	}
	wantStatus(t, bob.post("/settings/identities/not-a-number/delete", nil), http.StatusNotFound)
}

func TestVerifyingAnAddressOwnedByAnotherAccount(t *testing.T) {
	a := newApp(t)
	a.signUpConfirmed(t, "alice@example.org")
	bob := a.signUpConfirmed(t, "bob@example.org")
	a.clock.add(mailLimits.Cooldown) // since alice's confirmation
	bob.get("/settings")
	bob.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"Alice@example.org"}})
	p := bob.get(a.mail.lastLink(t, "Alice@example.org"))
	wantStatus(t, p, http.StatusConflict)
	if !strings.Contains(p.text(), "another account") {
		t.Fatalf("conflict page: %s", p.text())
	}
}

func TestChangePasswordSignsOutOtherDevices(t *testing.T) {
	a := newApp(t)
	laptop := a.signUpConfirmed(t, "alice@example.org")
	phone := a.browser(t)
	phone.login("alice@example.org", goodPassword)

	laptop.get("/settings")
	p := laptop.post("/settings/password", url.Values{"current": {"wrong password"}, "password": {"a brand new passphrase"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if v, _ := p.doc.Find(`form[action="/settings/password"] #f-current`).Attr("aria-invalid"); v != "true" {
		t.Error("wrong current password not flagged on its field")
	}
	p = laptop.post("/settings/password", url.Values{"current": {goodPassword}, "password": {"short"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)

	wantRedirect(t, laptop.post("/settings/password", url.Values{"current": {goodPassword}, "password": {"a brand new passphrase"}}), "/settings")
	wantStatus(t, laptop.get("/settings"), http.StatusOK) // this device stays signed in
	wantRedirect(t, phone.get("/badges"), "/login?next=%2Fbadges")
	wantStatus(t, phone.login("alice@example.org", goodPassword), http.StatusUnprocessableEntity)
	if p := phone.login("alice@example.org", "a brand new passphrase"); !p.has(`[data-testid=empty-backpack]`) {
		t.Fatal("new password does not work")
	}
}

func TestSignOutOfAllDevices(t *testing.T) {
	a := newApp(t)
	laptop := a.signUpConfirmed(t, "alice@example.org")
	phone := a.browser(t)
	phone.login("alice@example.org", goodPassword)
	tablet := a.browser(t)
	tablet.login("alice@example.org", goodPassword)

	p := laptop.get("/settings")
	if n := p.doc.Find(`[data-testid=sessions] li`).Length(); n != 3 {
		t.Fatalf("%d sessions listed, want 3", n)
	}
	if n := p.doc.Find(`[data-testid=sessions] .tag.ok`).Length(); n != 1 {
		t.Fatalf("%d sessions marked as this device, want 1", n)
	}
	wantRedirect(t, laptop.post("/settings/sessions", url.Values{"scope": {"others"}}), "/settings")
	wantStatus(t, laptop.get("/settings"), http.StatusOK)
	wantRedirect(t, phone.get("/badges"), "/login?next=%2Fbadges")

	tablet.login("alice@example.org", goodPassword)
	laptop.get("/settings")
	wantRedirect(t, laptop.post("/settings/sessions", url.Values{"scope": {"all"}}), "/login")
	wantRedirect(t, laptop.get("/badges"), "/login?next=%2Fbadges")
	wantRedirect(t, tablet.get("/badges"), "/login?next=%2Fbadges")
}

func TestDeleteAccount(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	a.signUpConfirmed(t, "bob@example.org")
	b.get("/settings")
	b.post("/settings/identities", url.Values{"kind": {"url"}, "value": {"https://alice.example/"}})

	p := b.post("/settings/delete", url.Values{"password": {goodPassword}}) // box not ticked
	wantStatus(t, p, http.StatusUnprocessableEntity)
	p = b.post("/settings/delete", url.Values{"password": {"wrong password"}, "confirm": {"yes"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if _, err := a.db.UserByEmail(t.Context(), "alice@example.org"); err != nil {
		t.Fatal("account deleted without confirmation")
	}

	p = b.post("/settings/delete", url.Values{"password": {goodPassword}, "confirm": {"yes"}})
	wantRedirect(t, p, "/")
	if p := b.follow(p); !strings.Contains(p.text(), "deleted") {
		t.Fatalf("no confirmation after deleting: %s", p.text())
	}
	if _, err := a.db.UserByEmail(t.Context(), "alice@example.org"); err != store.ErrNotFound {
		t.Fatalf("account still there: %v", err)
	}
	wantRedirect(t, b.get("/badges"), "/login?next=%2Fbadges")
	wantStatus(t, b.login("alice@example.org", goodPassword), http.StatusUnprocessableEntity)
	if _, err := a.db.UserByEmail(t.Context(), "bob@example.org"); err != nil {
		t.Fatal("another account was deleted too")
	}
}
