package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"backpack/openbadges"
	"backpack/store"
	"backpack/templates"
)

// settingsStore is what the account settings pages need of the store.
type settingsStore interface {
	AddIdentity(ctx context.Context, userID int64, kind openbadges.IdentityKind, value string, now time.Time) (store.Identity, error)
	DeleteIdentity(ctx context.Context, userID, id int64) error
	DeleteUser(ctx context.Context, userID int64) error
	DeleteUserSessions(ctx context.Context, userID int64, keep []byte) error
	Identities(ctx context.Context, userID int64) ([]store.Identity, error)
	Identity(ctx context.Context, userID, id int64) (store.Identity, error)
	Sessions(ctx context.Context, userID int64, now time.Time) ([]store.Session, error)
	SetDisplayName(ctx context.Context, userID int64, name string) error
	SetPassword(ctx context.Context, userID int64, hash string, keepSession []byte) error
	SetPrimary(ctx context.Context, userID, id int64) error
}

// maxIdentities bounds how many identities (and so confirmation mails) one
// account can have.
const maxIdentities = 50

// Route names, for s.url.
const (
	routeSettings        = "settings"
	routeProfile         = "settings-profile"
	routeExport          = "settings-export"
	routeExportData      = "settings-export-data"
	routeIdentities      = "settings-identities"
	routeIdentityResend  = "settings-identity-resend"
	routeIdentityPrimary = "settings-identity-primary"
	routeIdentityDelete  = "settings-identity-delete"
	routePassword        = "settings-password"
	routeSessions        = "settings-sessions"
	routeDeleteAccount   = "settings-delete"
)

func (s *Server) registerSettings(e *echo.Echo) {
	g := s.usersOnly(e, "/settings")
	g.GET("", s.settings).Name = routeSettings
	g.POST("/profile", s.saveProfile).Name = routeProfile
	s.takesLong(g.GET("/export.zip", s.exportArchive), exportWrite).Name = routeExport
	s.takesLong(g.GET("/export/data.json", s.exportData), exportWrite).Name = routeExportData
	g.POST("/identities", s.addIdentity).Name = routeIdentities
	g.POST("/identities/:id/resend", s.resendConfirmation).Name = routeIdentityResend
	g.POST("/identities/:id/primary", s.makePrimary).Name = routeIdentityPrimary
	g.POST("/identities/:id/delete", s.deleteIdentity).Name = routeIdentityDelete
	g.POST("/password", s.changePassword).Name = routePassword
	g.POST("/sessions", s.endSessions).Name = routeSessions
	g.POST("/delete", s.deleteAccount).Name = routeDeleteAccount
}

// requireUser sends visitors who are not signed in to the sign-in page,
// coming back here afterwards.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			if c.Request().Method != http.MethodGet {
				flash(c, "info", "Your session has ended. Please sign in again.")
				return s.redirect(c, s.url(routeLogin))
			}
			return s.redirect(c, s.url(routeLogin)+"?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		return next(c)
	}
}

type settingsForms struct {
	profile, add, password, delete templates.Form
}

func (s *Server) settings(c echo.Context) error {
	return s.renderSettings(c, http.StatusOK, settingsForms{})
}

func (s *Server) renderSettings(c echo.Context, status int, f settingsForms) error {
	ctx := c.Request().Context()
	user := currentUser(c)
	ids, err := s.cfg.Store.Identities(ctx, user.ID)
	if err != nil {
		return err
	}
	now := s.now()
	sessions, err := s.cfg.Store.Sessions(ctx, user.ID, now)
	if err != nil {
		return err
	}
	if f.profile.Values == nil {
		f.profile = newForm()
		f.profile.Values["display_name"] = user.DisplayName
	}
	view := templates.Settings{Profile: f.profile, AddForm: orEmpty(f.add), Password: orEmpty(f.password), Delete: orEmpty(f.delete), Now: now}
	if view.Displayer, err = s.displayerSettings(c, user.ID); err != nil {
		return err
	}
	usage, err := s.core.Usage(ctx, user.ID)
	if err != nil {
		return err
	}
	view.Storage = usageText(usage)
	for _, id := range ids {
		view.Identities = append(view.Identities, templates.Identity{ID: id.ID, Kind: string(id.Kind), Value: id.Value, Primary: id.Primary, Verified: id.Verified()})
	}
	current := currentSessionHash(c)
	for _, se := range sessions {
		view.Sessions = append(view.Sessions, templates.Session{Current: string(se.IDHash) == string(current),
			UserAgent: se.UserAgent, IP: se.IP, CreatedAt: se.CreatedAt, LastSeen: se.LastSeenAt})
	}
	return s.render(c, status, templates.SettingsPage(s.base(c, "Settings"), view))
}

func orEmpty(f templates.Form) templates.Form {
	if f.Values == nil {
		return newForm()
	}
	return f
}

func (s *Server) addIdentity(c echo.Context) error {
	ctx := c.Request().Context()
	user := currentUser(c)
	kind := openbadges.IdentityKind(c.FormValue("kind"))
	value := strings.TrimSpace(c.FormValue("value"))
	f := newForm()
	f.Values["kind"], f.Values["value"] = string(kind), value
	if !kind.Valid() {
		f.Errors["value"] = "Choose email, web address or telephone."
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsForms{add: f})
	}
	if _, _, err := openbadges.NormalizeIdentity(kind, value); err != nil {
		f.Errors["value"] = capitalize(err.Error()) + "."
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsForms{add: f})
	}
	ids, err := s.cfg.Store.Identities(ctx, user.ID)
	if err != nil {
		return err
	}
	if len(ids) >= maxIdentities {
		f.Errors["value"] = fmt.Sprintf("You can have at most %d identities. Remove one you no longer use first.", maxIdentities)
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsForms{add: f})
	}
	id, err := s.cfg.Store.AddIdentity(ctx, user.ID, kind, value, s.now())
	if errors.Is(err, store.ErrConflict) {
		f.Errors["value"] = "You have added this one already."
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsForms{add: f})
	}
	if err != nil {
		return err
	}
	if kind == openbadges.Email {
		var lim *store.MailLimited
		err := s.sendConfirmation(ctx, user.ID, id, user.ID)
		switch {
		case errors.As(err, &lim):
			flash(c, "info", "Added "+id.Value+". "+limitedText(id.Value, lim, s.now()))
		case err != nil:
			return err
		default:
			flash(c, "success", "Added "+id.Value+". We have sent it a link: open it to confirm the address is yours.")
		}
	} else {
		flash(c, "success", "Added "+id.Value+".")
	}
	return s.redirect(c, s.url(routeSettings)+"#identities")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ownIdentity loads the identity named in the URL; another user's id is a
// 404, exactly like an id that does not exist.
func (s *Server) ownIdentity(c echo.Context) (store.Identity, error) {
	return own(c, s.cfg.Store.Identity)
}

func (s *Server) resendConfirmation(c echo.Context) error {
	id, err := s.ownIdentity(c)
	if err != nil {
		return err
	}
	if id.Kind != openbadges.Email || id.Verified() {
		flash(c, "info", id.Value+" needs no confirmation link.")
		return s.redirect(c, s.url(routeSettings)+"#identities")
	}
	var lim *store.MailLimited
	err = s.sendConfirmation(c.Request().Context(), id.UserID, id, id.UserID)
	if errors.As(err, &lim) {
		flash(c, "error", limitedText(id.Value, lim, s.now()))
		return s.redirect(c, s.url(routeSettings)+"#identities")
	}
	if err != nil {
		return err
	}
	flash(c, "success", "We have sent a new confirmation link to "+id.Value+".")
	return s.redirect(c, s.url(routeSettings)+"#identities")
}

func (s *Server) makePrimary(c echo.Context) error {
	id, err := s.ownIdentity(c)
	if err != nil {
		return err
	}
	err = s.cfg.Store.SetPrimary(c.Request().Context(), id.UserID, id.ID)
	if errors.Is(err, store.ErrNotVerified) {
		flash(c, "error", "Only a confirmed email address can be your primary address.")
		return s.redirect(c, s.url(routeSettings)+"#identities")
	}
	if err != nil {
		return err
	}
	flash(c, "success", id.Value+" is now your primary address: sign in with it and receive mail there.")
	return s.redirect(c, s.url(routeSettings)+"#identities")
}

func (s *Server) deleteIdentity(c echo.Context) error {
	id, err := s.ownIdentity(c)
	if err != nil {
		return err
	}
	err = s.cfg.Store.DeleteIdentity(c.Request().Context(), id.UserID, id.ID)
	if errors.Is(err, store.ErrPrimary) {
		flash(c, "error", "Your primary address cannot be removed. Make another confirmed address primary first.")
		return s.redirect(c, s.url(routeSettings)+"#identities")
	}
	if err != nil {
		return err
	}
	flash(c, "success", "Removed "+id.Value+".")
	return s.redirect(c, s.url(routeSettings)+"#identities")
}

// checkPassword verifies the signed-in user's password, for actions that
// must not be possible from an unattended, signed-in browser.
func (s *Server) checkPassword(c echo.Context, pw string) (bool, error) {
	user := currentUser(c)
	if pw == "" || len(pw) > 1024 {
		return false, nil
	}
	if ok, wait := s.ipLimit.allow("password:"+fmt.Sprint(user.ID), s.now()); !ok {
		return false, tooMany(wait)
	}
	ok, _, err := s.hasher.Verify(pw, user.PasswordHash)
	return ok, err
}

// maxDisplayName bounds the name shown on shared pages.
const maxDisplayName = 80

// saveProfile sets the display name shown on what the user shares.
func (s *Server) saveProfile(c echo.Context) error {
	name := strings.Join(strings.Fields(c.FormValue("display_name")), " ")
	f := newForm()
	f.Values["display_name"] = name
	switch {
	case len([]rune(name)) > maxDisplayName:
		f.Errors["display_name"] = fmt.Sprintf("Use at most %d characters.", maxDisplayName)
	case strings.ContainsFunc(name, unicode.IsControl):
		f.Errors["display_name"] = "Use letters, numbers and punctuation only."
	}
	if f.HasErrors() {
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsForms{profile: f})
	}
	if err := s.cfg.Store.SetDisplayName(c.Request().Context(), currentUser(c).ID, name); err != nil {
		return err
	}
	if name == "" {
		flash(c, "success", "Your shared pages no longer show a name.")
	} else {
		flash(c, "success", "Your shared pages now say they are shared by "+name+".")
	}
	return s.redirect(c, s.url(routeSettings)+"#profile-h")
}

func (s *Server) changePassword(c echo.Context) error {
	user := currentUser(c)
	current, next := c.FormValue("current"), c.FormValue("password")
	f := newForm()
	ok, err := s.checkPassword(c, current)
	if err != nil {
		return err
	}
	if !ok {
		f.Errors["current"] = "That is not your current password."
	}
	if msg := validatePassword(next, user.Email); msg != "" {
		f.Errors["password"] = msg
	}
	if f.HasErrors() {
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsForms{password: f})
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.SetPassword(c.Request().Context(), user.ID, hash, currentSessionHash(c)); err != nil {
		return err
	}
	flash(c, "success", "Your password has been changed. Your other devices have been signed out.")
	return s.redirect(c, s.url(routeSettings))
}

func (s *Server) endSessions(c echo.Context) error {
	user := currentUser(c)
	ctx := c.Request().Context()
	if c.FormValue("scope") == "others" {
		if err := s.cfg.Store.DeleteUserSessions(ctx, user.ID, currentSessionHash(c)); err != nil {
			return err
		}
		flash(c, "success", "Your other devices have been signed out.")
		return s.redirect(c, s.url(routeSettings))
	}
	if err := s.cfg.Store.DeleteUserSessions(ctx, user.ID, nil); err != nil {
		return err
	}
	if err := s.signOut(c); err != nil {
		return err
	}
	flash(c, "success", "You have been signed out of all your devices.")
	return s.redirect(c, s.url(routeLogin))
}

func (s *Server) deleteAccount(c echo.Context) error {
	user := currentUser(c)
	f := newForm()
	ok, err := s.checkPassword(c, c.FormValue("password"))
	if err != nil {
		return err
	}
	if !ok {
		f.Errors["password"] = "That is not your password."
	}
	if c.FormValue("confirm") != "yes" {
		f.Errors["confirm"] = "Tick the box to confirm that everything will be deleted."
	}
	if f.HasErrors() {
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsForms{delete: f})
	}
	if err := s.cfg.Store.DeleteUser(c.Request().Context(), user.ID); err != nil {
		return err
	}
	s.log.Info("account deleted", "user", user.ID)
	sess := cookieSession(c)
	delete(sess.Values, keySID)
	c.Set(ctxUser, nil)
	flash(c, "success", "Your account and everything in it have been deleted.")
	return s.redirect(c, s.url(routeHome))
}
