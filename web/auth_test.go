package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"backpack/store"
)

func TestSignUpConfirmSignInSignOut(t *testing.T) {
	a := newApp(t)
	b := a.browser(t)

	p := b.get("/signup")
	wantStatus(t, p, http.StatusOK)
	if !p.has(`form[action="/signup"] input[name=email]`) || !p.has(`form[action="/signup"] input[name=password]`) {
		t.Fatal("sign-up form fields missing")
	}
	p = b.post("/signup", url.Values{"email": {"Alice@Example.org"}, "password": {goodPassword}})
	wantStatus(t, p, http.StatusOK)
	if !strings.Contains(p.text(), "Check your inbox") {
		t.Fatalf("after sign-up: %s", p.text())
	}
	link := a.mail.lastLink(t, "Alice@Example.org")
	if !strings.HasPrefix(link, "/confirm/") {
		t.Fatalf("mailed link %q", link)
	}

	// Not confirmed yet: the password is right but sign-in waits.
	p = b.login("alice@example.org", goodPassword)
	wantStatus(t, p, http.StatusForbidden)
	if !strings.Contains(p.text(), "confirm your email address") {
		t.Fatalf("unconfirmed sign-in: %s", p.text())
	}

	p = b.get(link)
	wantRedirect(t, p, "/login")
	if p = b.follow(p); !strings.Contains(p.text(), "Alice@Example.org is confirmed") {
		t.Fatalf("after confirming: %s", p.text())
	}

	p = b.login("ALICE@example.ORG", goodPassword) // case does not matter
	wantStatus(t, p, http.StatusOK)
	if !p.has(`[data-testid=empty-backpack]`) {
		t.Fatalf("not on the empty backpack: %s", p.text())
	}
	if b.get("/").Header.Get("Location") != "/badges" {
		t.Error("home does not send a signed-in user to the backpack")
	}

	p = b.post("/logout", nil)
	wantRedirect(t, p, "/login")
	wantRedirect(t, b.get("/badges"), "/login?next=%2Fbadges")
}

func TestConfirmLinkWorksOnceAndExpires(t *testing.T) {
	a := newApp(t)
	b := a.browser(t)
	b.get("/signup")
	b.post("/signup", url.Values{"email": {"a@example.org"}, "password": {goodPassword}})
	link := a.mail.lastLink(t, "a@example.org")
	wantRedirect(t, b.get(link), "/login")
	wantStatus(t, b.get(link), http.StatusNotFound)

	b.get("/signup")
	b.post("/signup", url.Values{"email": {"b@example.org"}, "password": {goodPassword}})
	link = a.mail.lastLink(t, "b@example.org")
	a.clock.add(confirmTTL + time.Second)
	p := b.get(link)
	wantStatus(t, p, http.StatusNotFound)
	if !strings.Contains(p.text(), "not valid any more") {
		t.Fatalf("expired link page: %s", p.text())
	}
	wantStatus(t, b.get("/confirm/made-up-token"), http.StatusNotFound)
}

func TestSignUpValidation(t *testing.T) {
	a := newApp(t)
	b := a.browser(t)
	tests := []struct {
		email, password, field string
	}{
		{"not-an-email", goodPassword, "email"},
		{"a@example.org", "short", "password"},
		{"a@example.org", "password123", "password"},
		{"a@example.org", strings.Repeat("x", 1025), "password"},
	}
	for _, tt := range tests {
		b.get("/signup")
		p := b.post("/signup", url.Values{"email": {tt.email}, "password": {tt.password}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		in := p.doc.Find("#f-" + tt.field)
		if v, _ := in.Attr("aria-invalid"); v != "true" {
			t.Errorf("%q/%q: field %s not marked invalid", tt.email, tt.password, tt.field)
		}
		if tt.field == "password" {
			if v, _ := p.doc.Find("#f-email").Attr("value"); v != tt.email {
				t.Errorf("typed email lost: %q", v)
			}
		}
	}
	if len(a.mail.all()) != 0 {
		t.Error("mail sent for an invalid sign-up")
	}
}

func TestSignUpWithTakenAddressLooksTheSame(t *testing.T) {
	a := newApp(t)
	a.signUpConfirmed(t, "taken@example.org")
	before := len(a.mail.all())

	fresh, taken := a.browser(t), a.browser(t)
	fresh.get("/signup")
	taken.get("/signup")
	pf := fresh.post("/signup", url.Values{"email": {"new@example.org"}, "password": {goodPassword}})
	pt := taken.post("/signup", url.Values{"email": {"Taken@example.org"}, "password": {goodPassword}})
	if pf.StatusCode != pt.StatusCode {
		t.Fatalf("status differs: %d vs %d", pf.StatusCode, pt.StatusCode)
	}
	norm := func(p *page) string {
		return strings.NewReplacer("new@example.org", "X", "Taken@example.org", "X").Replace(stripCSRF(p.body))
	}
	if norm(pf) != norm(pt) {
		t.Fatalf("pages differ:\n%s\n%s", norm(pf), norm(pt))
	}
	msgs := a.mail.all()[before:]
	if len(msgs) != 2 || msgs[0].Subject == msgs[1].Subject {
		t.Fatalf("want a confirmation and a 'someone tried' mail, got %+v", msgs)
	}
	if !strings.Contains(msgs[1].Subject, "tried") || strings.Contains(msgs[1].Text, "/confirm/") {
		t.Fatalf("owner of the taken address got: %+v", msgs[1])
	}
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="[^"]*"`)

func stripCSRF(s string) string { return csrfRE.ReplaceAllString(s, "") }

// countingHasher counts Verify calls.
type countingHasher struct {
	Hasher
	verifies atomic.Int32
}

func (c *countingHasher) Verify(pw, enc string) (bool, bool, error) {
	c.verifies.Add(1)
	return c.Hasher.Verify(pw, enc)
}

func TestSignInDoesNotRevealWhetherAnAccountExists(t *testing.T) {
	spy := &countingHasher{Hasher: NewArgon2(fastArgon2, 2)}
	a := newApp(t, func(c *Config) { c.Hasher = spy })
	a.signUpConfirmed(t, "alice@example.org")

	try := func(email string) (*page, int32) {
		b := a.browser(t)
		b.get("/login")
		before := spy.verifies.Load()
		p := b.post("/login", url.Values{"email": {email}, "password": {"wrong password here"}})
		return p, spy.verifies.Load() - before
	}
	known, nKnown := try("alice@example.org")
	unknown, nUnknown := try("nobody@example.org")
	if nKnown != 1 || nUnknown != 1 {
		t.Fatalf("password checks: %d for a known address, %d for an unknown one; want 1 and 1", nKnown, nUnknown)
	}
	if known.StatusCode != unknown.StatusCode {
		t.Fatalf("status differs: %d vs %d", known.StatusCode, unknown.StatusCode)
	}
	norm := func(p *page, email string) string { return strings.ReplaceAll(stripCSRF(p.body), email, "X") }
	if norm(known, "alice@example.org") != norm(unknown, "nobody@example.org") {
		t.Fatal("the page for a known address differs from the one for an unknown address")
	}
	if !strings.Contains(known.text(), msgBadLogin) {
		t.Fatalf("message: %s", known.text())
	}
}

func TestSignInThrottledPerClientAddress(t *testing.T) {
	a := newApp(t, func(c *Config) { c.LoginLimit = Limit{} }) // production default: 10, then 1/min
	b := a.browser(t)
	b.get("/login")
	for i := 1; i <= 11; i++ {
		// A forged X-Forwarded-For must not earn a fresh allowance.
		b.header.Set("X-Forwarded-For", "203.0.113."+string(rune('0'+i%10)))
		p := b.post("/login", url.Values{"email": {"user" + string(rune('a'+i)) + "@example.org"}, "password": {"wrong password"}})
		if i <= 10 && p.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("attempt %d throttled too early", i)
		}
		if i == 11 {
			wantStatus(t, p, http.StatusTooManyRequests)
			if p.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	other := a.browser(t)
	other.remote = "198.51.100.7:4000"
	other.get("/login")
	if p := other.post("/login", url.Values{"email": {"x@example.org"}, "password": {"wrong password"}}); p.StatusCode == http.StatusTooManyRequests {
		t.Fatal("another client address was throttled too")
	}
	a.clock.add(time.Minute)
	if p := b.post("/login", url.Values{"email": {"x@example.org"}, "password": {"wrong password"}}); p.StatusCode == http.StatusTooManyRequests {
		t.Fatal("still throttled after the bucket refilled")
	}
}

func TestSignInBacksOffPerAccount(t *testing.T) {
	a := newApp(t)
	a.signUpConfirmed(t, "alice@example.org")
	for i := 1; i <= freeFailures; i++ {
		b := a.browser(t)
		b.remote = "198.51.100." + string(rune('0'+i)) + ":4000" // a different address each time
		wantStatus(t, b.login("alice@example.org", "wrong password"), http.StatusUnprocessableEntity)
	}
	b := a.browser(t)
	b.remote = "198.51.100.99:4000"
	p := b.login("alice@example.org", goodPassword) // right password, but too late
	wantStatus(t, p, http.StatusTooManyRequests)
	if !strings.Contains(p.text(), "Too many failed attempts") {
		t.Fatalf("locked-out page: %s", p.text())
	}
	// The same back-off for an address without an account: no tell.
	for range freeFailures {
		a.browser(t).login("ghost@example.org", "wrong password")
	}
	wantStatus(t, a.browser(t).login("ghost@example.org", "wrong password"), http.StatusTooManyRequests)

	a.clock.add(lockFor(freeFailures) + time.Second)
	if p := b.login("alice@example.org", goodPassword); !p.has(`[data-testid=empty-backpack]`) {
		t.Fatalf("sign-in after the back-off: %d %s", p.StatusCode, p.text())
	}
}

func TestLockForGrowsAndIsCapped(t *testing.T) {
	if lockFor(freeFailures-1) != 0 || lockFor(freeFailures) != 30*time.Second || lockFor(freeFailures+1) != time.Minute {
		t.Fatalf("lockFor: %v %v %v", lockFor(freeFailures-1), lockFor(freeFailures), lockFor(freeFailures+1))
	}
	if lockFor(100) != 15*time.Minute {
		t.Fatalf("lockFor(100) = %v, want the 15 minute cap", lockFor(100))
	}
}

func TestSignedOutCookieNoLongerWorks(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	stolen := b.jar.Cookies(base)
	b.post("/logout", nil)

	thief := a.browser(t)
	thief.jar.SetCookies(base, stolen)
	wantRedirect(t, thief.get("/badges"), "/login?next=%2Fbadges")
}

func TestSignInRotatesTheSession(t *testing.T) {
	a := newApp(t)
	b := a.signUpConfirmed(t, "alice@example.org")
	first := b.jar.Cookies(base)
	b.login("alice@example.org", goodPassword) // again, from the same browser
	user, _ := a.db.UserByEmail(t.Context(), "alice@example.org")
	sessions, _ := a.db.Sessions(t.Context(), user.ID, a.clock.now())
	if len(sessions) != 1 {
		t.Fatalf("%d sessions after signing in twice on one browser, want 1 (the old one ended)", len(sessions))
	}
	old := a.browser(t)
	old.jar.SetCookies(base, first)
	wantRedirect(t, old.get("/badges"), "/login?next=%2Fbadges")
}

func TestNextParameterOnlyAcceptsLocalPaths(t *testing.T) {
	a := newApp(t)
	a.signUpConfirmed(t, "alice@example.org")
	for next, want := range map[string]string{
		"/settings":             "/settings",
		"//evil.example/":       "/badges",
		"https://evil.example/": "/badges",
		"/\\evil.example":       "/badges",
		"javascript:alert(1)":   "/badges",
	} {
		b := a.browser(t)
		b.get("/login")
		p := b.post("/login", url.Values{"email": {"alice@example.org"}, "password": {goodPassword}, "next": {next}})
		wantRedirect(t, p, want)
	}
}

func TestPasswordReset(t *testing.T) {
	a := newApp(t)
	other := a.signUpConfirmed(t, "alice@example.org")
	b := a.browser(t)

	b.get("/password/forgot")
	p := b.post("/password/forgot", url.Values{"email": {"ALICE@example.org"}})
	wantStatus(t, p, http.StatusOK)
	link := a.mail.lastLink(t, "alice@example.org")
	if !strings.HasPrefix(link, "/password/reset/") {
		t.Fatalf("reset link %q", link)
	}
	// Unknown addresses get the same answer and no mail.
	before := len(a.mail.all())
	p2 := b.post("/password/forgot", url.Values{"email": {"nobody@example.org"}})
	if p2.StatusCode != p.StatusCode || len(a.mail.all()) != before {
		t.Fatal("unknown address answered differently or got mail")
	}
	if strings.ReplaceAll(stripCSRF(p.body), "ALICE@example.org", "X") != strings.ReplaceAll(stripCSRF(p2.body), "nobody@example.org", "X") {
		t.Fatal("reset page differs for an unknown address")
	}

	wantStatus(t, b.get(link), http.StatusOK)
	wantStatus(t, b.post(link, url.Values{"password": {"short"}}), http.StatusUnprocessableEntity)
	wantRedirect(t, b.post(link, url.Values{"password": {"a brand new passphrase"}}), "/login")

	wantRedirect(t, other.get("/badges"), "/login?next=%2Fbadges") // every session ended
	wantStatus(t, b.login("alice@example.org", goodPassword), http.StatusUnprocessableEntity)
	if p := b.login("alice@example.org", "a brand new passphrase"); !p.has(`[data-testid=empty-backpack]`) {
		t.Fatal("cannot sign in with the new password")
	}
	wantStatus(t, b.get(link), http.StatusNotFound) // used
	wantStatus(t, b.post(link, url.Values{"password": {"yet another passphrase"}}), http.StatusNotFound)
}

func TestPasswordResetLinkExpires(t *testing.T) {
	a := newApp(t)
	a.signUpConfirmed(t, "alice@example.org")
	b := a.browser(t)
	b.get("/password/forgot")
	b.post("/password/forgot", url.Values{"email": {"alice@example.org"}})
	link := a.mail.lastLink(t, "alice@example.org")
	a.clock.add(resetTTL + time.Second)
	wantStatus(t, b.get(link), http.StatusNotFound)
	wantStatus(t, b.post(link, url.Values{"password": {"a brand new passphrase"}}), http.StatusNotFound)
	if p := b.login("alice@example.org", goodPassword); !p.has(`[data-testid=empty-backpack]`) {
		t.Fatal("old password stopped working after an expired reset")
	}
}

func TestResetConfirmsTheAddress(t *testing.T) {
	a := newApp(t)
	b := a.browser(t)
	b.get("/signup")
	b.post("/signup", url.Values{"email": {"alice@example.org"}, "password": {goodPassword}})
	// The confirmation mail is lost; a reset link proves the address too.
	b.get("/password/forgot")
	b.post("/password/forgot", url.Values{"email": {"alice@example.org"}})
	link := a.mail.lastLink(t, "alice@example.org")
	b.get(link)
	b.post(link, url.Values{"password": {"a brand new passphrase"}})
	if p := b.login("alice@example.org", "a brand new passphrase"); !p.has(`[data-testid=empty-backpack]`) {
		t.Fatalf("sign-in after reset: %s", p.text())
	}
	u, _ := a.db.UserByEmail(t.Context(), "alice@example.org")
	if !u.EmailVerified {
		t.Fatal("address not confirmed by the reset")
	}
	_ = store.ErrNotFound
}
