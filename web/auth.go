package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/openbadges"
	"backpack/store"
	"backpack/templates"
)

// authStore is what sign-up, sign-in, confirmation and password reset need of the store.
type authStore interface {
	CheckToken(ctx context.Context, hash []byte, kind store.TokenKind, now time.Time) (store.Token, error)
	ClearLoginFailures(ctx context.Context, key string) error
	CreateUser(ctx context.Context, email, passwordHash string, now time.Time) (store.User, store.Identity, error)
	Identities(ctx context.Context, userID int64) ([]store.Identity, error)
	LoginLockedUntil(ctx context.Context, key string) (time.Time, error)
	QueueMail(ctx context.Context, m store.Mail, t *store.Token, lim store.MailLimits, now time.Time) error
	RecordLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration, lockFor func(failures int) time.Duration) (time.Time, error)
	RehashPassword(ctx context.Context, userID int64, oldHash, newHash string) error
	UseConfirmToken(ctx context.Context, hash []byte, now time.Time) (store.Identity, error)
	UseResetToken(ctx context.Context, hash []byte, passwordHash string, now time.Time) (store.User, error)
	UserByEmail(ctx context.Context, email string) (store.User, error)
}

// Route names, for s.url.
const (
	routeHome    = "home"
	routeSignup  = "signup"
	routeLogin   = "login"
	routeLogout  = "logout"
	routeConfirm = "confirm"
	routeForgot  = "password-forgot"
	routeReset   = "password-reset"
)

// Lifetimes of mailed links.
const (
	confirmTTL = 48 * time.Hour
	resetTTL   = time.Hour
)

// UnconfirmedKept is how long an account whose address was never confirmed
// is kept; the sweep deletes it then. Its owner can ask for a new link by
// signing in meanwhile. (Such an account never holds its address: see
// signup.)
const UnconfirmedKept = 7 * 24 * time.Hour

// Kinds of mail: one of a kind to an address per cool-down.
const (
	mailConfirm     = "confirm-email"
	mailReset       = "reset-password"
	mailSignupTaken = "signup-taken"
)

// mailLimits bound the mail Backpack sends, counted in the database when
// a message is queued, so they hold across instances and restarts: one
// mail of a kind to an address per cool-down, few to one address whoever
// asks (adding, deleting and adding an identity again once mailed an
// address 30 times in 0.6 s), and few for one signed-in account's actions
// (so an account cannot mail many addresses). Requests from nobody signed
// in (sign-up, password reset) count for the address only; they are also
// limited per client address (LoginLimit).
var mailLimits = store.MailLimits{
	Cooldown:   2 * time.Minute,
	PerAddress: []store.Rate{{Count: 5, Window: time.Hour}, {Count: 20, Window: 24 * time.Hour}},
	PerUser:    []store.Rate{{Count: 10, Window: time.Hour}, {Count: 30, Window: 24 * time.Hour}},
}

// MailKept is how long the rows of the mail queue must be kept after they
// were queued for mailLimits to count them: the sweep deletes older ones.
const MailKept = 24 * time.Hour

// Per-address sign-in back-off: after 5 failures within 15 minutes, wait
// 30 seconds, doubling with each further failure up to 15 minutes. Never a
// permanent lock: that would let anyone lock anyone out.
const (
	failureWindow = 15 * time.Minute
	freeFailures  = 5
)

func lockFor(failures int) time.Duration {
	if failures < freeFailures {
		return 0
	}
	d := 30 * time.Second << min(failures-freeFailures, 5)
	return min(d, 15*time.Minute)
}

// Messages that must read the same whether or not an address has an
// account.
const (
	msgBadLogin   = "Email address or password is wrong."
	msgCheckInbox = "We have sent a message to %s. Open the link in it to confirm your address, then sign in. The link works for 48 hours."
	msgResetSent  = "If %s belongs to an account, we have sent it a link to choose a new password. The link works for one hour."
)

func (s *Server) registerAuth(e *echo.Echo) {
	e.GET("/", s.home).Name = routeHome
	e.GET("/signup", s.signupForm).Name = routeSignup
	e.POST("/signup", s.signup, s.limitByIP).Name = routeSignup
	e.GET("/login", s.loginForm).Name = routeLogin
	e.POST("/login", s.login, s.limitByIP).Name = routeLogin
	e.POST("/logout", s.logout).Name = routeLogout
	e.GET("/confirm/:token", s.confirm).Name = routeConfirm
	e.GET("/password/forgot", s.forgotForm).Name = routeForgot
	e.POST("/password/forgot", s.forgot, s.limitByIP).Name = routeForgot
	e.GET("/password/reset/:token", s.resetForm).Name = routeReset
	e.POST("/password/reset/:token", s.reset, s.limitByIP).Name = routeReset
}

// retryAfter travels in an HTTPError to become a Retry-After header.
type retryAfter time.Duration

func (r retryAfter) String() string {
	return fmt.Sprint(int((time.Duration(r) + time.Second - 1) / time.Second))
}

func tooMany(wait time.Duration) error {
	return echo.NewHTTPError(http.StatusTooManyRequests, retryAfter(wait))
}

// limitByIP throttles the unauthenticated form posts per client address
// (per /64 for IPv6).
func (s *Server) limitByIP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, wait := s.ipLimit.allow(clientKey(c.RealIP()), s.now()); !ok {
			return tooMany(wait)
		}
		return next(c)
	}
}

func (s *Server) home(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, s.url(routeBadges))
	}
	return s.render(c, http.StatusOK, templates.Home(s.base(c, "Your Open Badges, verified")))
}

// credentials is the sign-up and sign-in form.
type credentials struct {
	Email    string
	Password string
}

func readCredentials(c echo.Context) credentials {
	return credentials{Email: strings.TrimSpace(c.FormValue("email")), Password: c.FormValue("password")}
}

func (f credentials) form() templates.Form {
	t := newForm()
	t.Values["email"] = f.Email
	return t
}

// validatePassword applies the password rules (OWASP ASVS 6.2): long
// enough, not absurdly long, not an obvious choice.
func validatePassword(pw, email string) string {
	switch {
	case len(pw) < 10:
		return "Use at least 10 characters."
	case len(pw) > 1024:
		return "Use at most 1024 characters."
	case isCommonPassword(pw) || (email != "" && strings.EqualFold(pw, email)):
		return "This password is too easy to guess. Try a few unusual words together."
	}
	return ""
}

func (f credentials) validateSignup() templates.Form {
	t := f.form()
	if _, _, err := openbadges.NormalizeIdentity(openbadges.Email, f.Email); err != nil {
		t.Errors["email"] = "Enter an email address like name@example.org."
	}
	if msg := validatePassword(f.Password, f.Email); msg != "" {
		t.Errors["password"] = msg
	}
	return t
}

func (s *Server) signupForm(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, s.url(routeBadges))
	}
	return s.render(c, http.StatusOK, templates.Signup(s.base(c, "Create your account"), newForm()))
}

// signup creates the account and mails a confirmation link. If another
// account has confirmed the address it answers exactly the same and mails
// the owner instead, so the page never tells whether an address has an
// account. An address named only by unconfirmed accounts is not taken: a
// squatter's sign-up cannot keep the owner out, and whoever confirms first
// keeps the address (the other claims are dropped then).
func (s *Server) signup(c echo.Context) error {
	in := readCredentials(c)
	if f := in.validateSignup(); f.HasErrors() {
		return s.render(c, http.StatusUnprocessableEntity, templates.Signup(s.base(c, "Create your account"), f))
	}
	ctx := c.Request().Context()
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return err
	}
	now := s.now()
	user, email, err := s.cfg.Store.CreateUser(ctx, in.Email, hash, now)
	// A mail limit is not shown: the page must read the same whether or
	// not the address has an account (and so had mail before).
	var lim *store.MailLimited
	switch {
	case errors.Is(err, store.ErrConflict):
		err = s.queueMail(ctx, store.Mail{Kind: mailSignupTaken, To: in.Email, Subject: "Someone tried to create a Backpack account with your address",
			Text: "Somebody (perhaps you) tried to create a Backpack account with this email address, which already has one.\n\n" +
				"If it was you, sign in: " + s.link(s.url(routeLogin)) + "\n" +
				"Forgot your password? Choose a new one: " + s.link(s.url(routeForgot)) + "\n\n" +
				"If it was not you, you can ignore this message: nothing has changed."}, nil)
		if err != nil && !errors.As(err, &lim) {
			return err
		}
	case err != nil:
		return err
	default:
		if err := s.sendConfirmation(ctx, user.ID, email, 0); err != nil && !errors.As(err, &lim) {
			return err
		}
	}
	return s.render(c, http.StatusOK, templates.MessagePage(s.base(c, "Check your inbox"), templates.Message{
		Heading: "Check your inbox", Text: fmt.Sprintf(msgCheckInbox, in.Email), Link: "Go to sign in", LinkTo: s.url(routeLogin)}))
}

// sendConfirmation queues a mail with a one-time link confirming the email
// identity id of account userID. actor is the signed-in account that asks
// (0: nobody signed in). *store.MailLimited: a limit holds, nothing was
// queued.
func (s *Server) sendConfirmation(ctx context.Context, userID int64, id store.Identity, actor int64) error {
	token := newToken()
	now := s.now()
	return s.queueMail(ctx, store.Mail{Kind: mailConfirm, To: id.Value, UserID: actor, Subject: "Confirm your email address for Backpack",
		Text: "Please confirm that " + id.Value + " is your address by opening this link:\n\n" +
			s.link(s.url(routeConfirm, token)) + "\n\n" +
			"The link works once, for 48 hours. If you did not ask for this, ignore this message."},
		&store.Token{Hash: hashToken(token), Kind: store.ConfirmEmail, UserID: userID, IdentityID: id.ID, CreatedAt: now, ExpiresAt: now.Add(confirmTTL)})
}

// queueMail puts m (and the token its link carries, if any) in the mail
// queue within mailLimits, and wakes this instance's mail loop. The
// request never waits for the mail server: how long it takes must not
// tell anything, nor a slow server hold requests up.
// *store.MailLimited: a limit holds, nothing was queued.
func (s *Server) queueMail(ctx context.Context, m store.Mail, t *store.Token) error {
	if err := s.cfg.Store.QueueMail(ctx, m, t, mailLimits, s.now()); err != nil {
		return err
	}
	if s.cfg.Mail != nil {
		s.cfg.Mail.Wake()
	}
	return nil
}

// limitedText tells the user why no mail went to addr, and when to ask
// again.
func limitedText(addr string, lim *store.MailLimited, now time.Time) string {
	wait := waitText(lim.Until.Sub(now))
	if lim.PerUser {
		return "You have asked for a lot of mail in a short time, so we sent none just now. Try again in " + wait + "."
	}
	ago := "less than a minute ago"
	if d := now.Sub(lim.Last); d >= time.Minute {
		ago = waitText(d) + " ago"
	}
	return fmt.Sprintf("We sent a message to %s %s. Check your inbox (and your spam folder), or try again in %s.", addr, ago, wait)
}

func (s *Server) loginForm(c echo.Context) error {
	next := localPath(c.QueryParam("next"))
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, cmp.Or(next, s.url(routeBadges)))
	}
	return s.render(c, http.StatusOK, templates.Login(s.base(c, "Sign in"), newForm(), next))
}

// login checks the password. Unknown addresses cost the same argon2 work
// and get the same answer as wrong passwords; failures back off per typed
// address, registered or not.
func (s *Server) login(c echo.Context) error {
	in := readCredentials(c)
	next := localPath(c.FormValue("next"))
	ctx := c.Request().Context()
	now := s.now()
	key := strings.ToLower(in.Email)
	fail := func(msg string, status int) error {
		f := in.form()
		f.Errors[""] = msg
		return s.render(c, status, templates.Login(s.base(c, "Sign in"), f, next))
	}
	if in.Email == "" || in.Password == "" || len(in.Password) > 1024 || len(in.Email) > 320 {
		return fail(msgBadLogin, http.StatusUnprocessableEntity)
	}
	if until, err := s.cfg.Store.LoginLockedUntil(ctx, key); err != nil {
		return err
	} else if until.After(now) {
		c.Response().Header().Set("Retry-After", retryAfter(until.Sub(now)).String())
		return fail(fmt.Sprintf("Too many failed attempts. Try again in %s, or reset your password.", waitText(until.Sub(now))), http.StatusTooManyRequests)
	}
	user, err := s.cfg.Store.UserByEmail(ctx, in.Email)
	encoded := user.PasswordHash
	if errors.Is(err, store.ErrNotFound) {
		encoded = s.dummy
	} else if err != nil {
		return err
	}
	ok, rehash, err := s.hasher.Verify(in.Password, encoded)
	if err != nil {
		s.log.Error("verify password", "user", user.ID, "err", err)
	}
	if !ok || user.ID == 0 {
		if _, err := s.cfg.Store.RecordLoginFailure(ctx, key, now, failureWindow, lockFor); err != nil {
			return err
		}
		return fail(msgBadLogin, http.StatusUnprocessableEntity)
	}
	if err := s.cfg.Store.ClearLoginFailures(ctx, key); err != nil {
		return err
	}
	if !user.EmailVerified {
		// Only someone who knows the password gets here: telling them is
		// no leak. Send a fresh link in case the first one was lost.
		ids, err := s.cfg.Store.Identities(ctx, user.ID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !id.Primary {
				continue
			}
			var lim *store.MailLimited
			err := s.sendConfirmation(ctx, user.ID, id, user.ID)
			switch {
			case errors.As(err, &lim):
				return fail("Please confirm your email address first. "+limitedText(id.Value, lim, now), http.StatusForbidden)
			case err != nil:
				return err
			}
		}
		return fail("Please confirm your email address first: we have sent a new link to "+user.Email+".", http.StatusForbidden)
	}
	if rehash {
		if h, err := s.hasher.Hash(in.Password); err == nil {
			if err := s.cfg.Store.RehashPassword(ctx, user.ID, user.PasswordHash, h); err != nil {
				s.log.Warn("rehash password", "err", err)
			}
		}
	}
	if err := s.signIn(c, user); err != nil {
		return err
	}
	return s.redirect(c, cmp.Or(next, s.url(routeBadges)))
}

// waitText says how long d is in words, rounded up.
func waitText(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Seconds()+0.999))
	}
	if d > 90*time.Minute {
		return fmt.Sprintf("%d hours", int(d.Hours()+0.999))
	}
	m := int(d.Minutes() + 0.999)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

func (s *Server) logout(c echo.Context) error {
	if err := s.signOut(c); err != nil {
		return err
	}
	flash(c, "success", "You have signed out.")
	return s.redirect(c, s.url(routeLogin))
}

// confirm spends an email-confirmation link.
func (s *Server) confirm(c echo.Context) error {
	id, err := s.cfg.Store.UseConfirmToken(c.Request().Context(), hashToken(c.Param("token")), s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return s.render(c, http.StatusNotFound, templates.MessagePage(s.base(c, "Link not valid"), templates.Message{
			Heading: "This link is not valid any more",
			Text:    "Confirmation links work once and for 48 hours. If you have already confirmed your address, you are all set. Otherwise sign in and ask for a new link.",
			Link:    "Sign in", LinkTo: s.url(routeLogin)}))
	case errors.Is(err, store.ErrConflict):
		return s.render(c, http.StatusConflict, templates.MessagePage(s.base(c, "Address in use"), templates.Message{
			Heading: "This address belongs to another account",
			Text:    "Another Backpack account has already confirmed this email address, so it cannot be added to yours.",
			Link:    "Go to settings", LinkTo: s.url(routeSettings)}))
	case err != nil:
		return err
	}
	flash(c, "success", id.Value+" is confirmed.")
	n, err := s.core.FinishPending(c.Request().Context(), id.UserID)
	if err != nil {
		s.log.Error("finish pending", "user", id.UserID, "err", err)
	}
	if n > 0 {
		flash(c, "success", fmt.Sprintf("%d badge(s) waiting for this address were added to your backpack.", n))
	}
	if u := currentUser(c); u != nil && u.ID == id.UserID {
		return s.redirect(c, s.url(routeSettings)+"#identities")
	}
	if id.Primary {
		flash(c, "info", "You can sign in now.")
	}
	return s.redirect(c, s.url(routeLogin))
}

func (s *Server) forgotForm(c echo.Context) error {
	return s.render(c, http.StatusOK, templates.Forgot(s.base(c, "Reset your password"), newForm()))
}

// forgot mails a reset link when the address signs in to an account, and
// says the same either way. The mail is only queued: the response does not
// wait for the mail server, whose speed would tell which addresses have
// accounts. A mail limit is not shown either (only addresses with an
// account get mail, so only they would be limited).
func (s *Server) forgot(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	if _, _, err := openbadges.NormalizeIdentity(openbadges.Email, email); err != nil {
		f := newForm()
		f.Values["email"] = email
		f.Errors["email"] = "Enter an email address like name@example.org."
		return s.render(c, http.StatusUnprocessableEntity, templates.Forgot(s.base(c, "Reset your password"), f))
	}
	ctx := c.Request().Context()
	user, err := s.cfg.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil {
		var lim *store.MailLimited
		if err := s.sendReset(ctx, user, email); err != nil && !errors.As(err, &lim) {
			return err
		}
	}
	return s.render(c, http.StatusOK, templates.MessagePage(s.base(c, "Check your inbox"), templates.Message{
		Heading: "Check your inbox", Text: fmt.Sprintf(msgResetSent, email), Link: "Back to sign in", LinkTo: s.url(routeLogin)}))
}

func (s *Server) sendReset(ctx context.Context, user store.User, email string) error {
	ids, err := s.cfg.Store.Identities(ctx, user.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id.Kind != openbadges.Email || !strings.EqualFold(id.Value, email) {
			continue
		}
		token := newToken()
		now := s.now()
		return s.queueMail(ctx, store.Mail{Kind: mailReset, To: id.Value, Subject: "Choose a new Backpack password",
			Text: "Somebody (hopefully you) asked to reset the password of the Backpack account for " + id.Value + ".\n\n" +
				"Choose a new password here:\n\n" + s.link(s.url(routeReset, token)) + "\n\n" +
				"The link works once, for one hour. If you did not ask for this, ignore this message: your password stays as it is."},
			&store.Token{Hash: hashToken(token), Kind: store.ResetPassword, UserID: user.ID, IdentityID: id.ID, CreatedAt: now, ExpiresAt: now.Add(resetTTL)})
	}
	return nil
}

func (s *Server) resetForm(c echo.Context) error {
	token := c.Param("token")
	if _, err := s.cfg.Store.CheckToken(c.Request().Context(), hashToken(token), store.ResetPassword, s.now()); err != nil {
		return s.resetInvalid(c, err)
	}
	return s.render(c, http.StatusOK, templates.Reset(s.base(c, "Choose a new password"), newForm(), s.url(routeReset, token)))
}

func (s *Server) resetInvalid(c echo.Context, err error) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.render(c, http.StatusNotFound, templates.MessagePage(s.base(c, "Link not valid"), templates.Message{
		Heading: "This link is not valid any more",
		Text:    "Password reset links work once and for one hour. Ask for a new one.",
		Link:    "Reset your password", LinkTo: s.url(routeForgot)}))
}

// reset sets the new password and ends every session of the account; the
// user then signs in with it.
func (s *Server) reset(c echo.Context) error {
	token := c.Param("token")
	ctx := c.Request().Context()
	pw := c.FormValue("password")
	if msg := validatePassword(pw, ""); msg != "" {
		if _, err := s.cfg.Store.CheckToken(ctx, hashToken(token), store.ResetPassword, s.now()); err != nil {
			return s.resetInvalid(c, err)
		}
		f := newForm()
		f.Errors["password"] = msg
		return s.render(c, http.StatusUnprocessableEntity, templates.Reset(s.base(c, "Choose a new password"), f, s.url(routeReset, token)))
	}
	hash, err := s.hasher.Hash(pw)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Store.UseResetToken(ctx, hashToken(token), hash, s.now()); err != nil {
		return s.resetInvalid(c, err)
	}
	if currentSessionHash(c) != nil { // its row is gone with all the others
		delete(cookieSession(c).Values, keySID)
	}
	flash(c, "success", "Your password has been changed and all your devices signed out. Sign in with the new password.")
	return s.redirect(c, s.url(routeLogin))
}
