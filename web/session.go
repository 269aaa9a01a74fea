package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"backpack/store"
	"backpack/templates"
)

// sessionStore is what the session middleware needs of the store.
type sessionStore interface {
	CreateSession(ctx context.Context, s store.Session) error
	DeleteSession(ctx context.Context, idHash []byte) error
	SessionByHash(ctx context.Context, idHash []byte, now time.Time, idle time.Duration) (store.Session, error)
	TouchSession(ctx context.Context, idHash []byte, now time.Time) error
	UserByID(ctx context.Context, id int64) (store.User, error)
}

// Session lifetimes: a session ends after two idle hours or twelve hours in
// all, whichever comes first (OWASP ASVS 7.3.1, 7.3.2).
const (
	sessionIdle     = 2 * time.Hour
	sessionLifetime = 12 * time.Hour
	touchEvery      = time.Minute
)

// Keys in the gorilla session (an encrypted, signed cookie). It carries only
// the random id of the server-side session row, the CSRF token and flashes.
const (
	keySID   = "sid"
	keyCSRF  = "csrf"
	keyFlash = "flash"
)

// Context keys set by loadSession.
const (
	ctxUser    = "user"
	ctxSession = "session"
	ctxCookie  = "cookie"
)

func (s *Server) initSessions() error {
	var pairs [][]byte
	for i, k := range s.cfg.SessionKeys {
		if len(k) != 64 {
			return fmt.Errorf("web: session key %d is %d bytes, want 64", i, len(k))
		}
		pairs = append(pairs, k[:32], k[32:])
	}
	cs := sessions.NewCookieStore(pairs...)
	// gorilla's defaults are SameSite=None, no HttpOnly and 30 days: set
	// every option explicitly.
	cs.Options = &sessions.Options{
		Path:     "/",
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
		MaxAge:   int(sessionLifetime / time.Second),
	}
	cs.MaxAge(cs.Options.MaxAge)
	s.cookies = cs
	s.cookie = "backpack"
	if s.secure {
		s.cookie = "__Host-backpack" // requires Secure, Path=/ and no Domain
	}
	return nil
}

// loadSession decodes the cookie and, when it names a live server-side
// session, loads the signed-in user.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := s.cookies.Get(c.Request(), s.cookie)
		if err != nil {
			// A cookie that fails to decode (old key, tampering) is
			// replaced by a fresh, empty session.
			sess, _ = s.cookies.New(c.Request(), s.cookie)
			sess.IsNew = true
		}
		c.Set(ctxCookie, sess)
		sid, _ := sess.Values[keySID].(string)
		if sid == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		now := s.now()
		hash := hashToken(sid)
		row, err := s.cfg.Store.SessionByHash(ctx, hash, now, sessionIdle)
		if errors.Is(err, store.ErrNotFound) {
			delete(sess.Values, keySID)
			return next(c)
		}
		if err != nil {
			return err
		}
		user, err := s.cfg.Store.UserByID(ctx, row.UserID)
		if err != nil {
			return err
		}
		if now.Sub(row.LastSeenAt) >= touchEvery {
			if err := s.cfg.Store.TouchSession(ctx, hash, now); err != nil {
				s.log.Warn("touch session", "err", err)
			}
		}
		c.Set(ctxUser, &user)
		c.Set(ctxSession, row)
		return next(c)
	}
}

func cookieSession(c echo.Context) *sessions.Session {
	return c.Get(ctxCookie).(*sessions.Session)
}

// currentUser is the signed-in user, or nil.
func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUser).(*store.User)
	return u
}

// currentSessionHash is the id hash of the signed-in session, or nil.
func currentSessionHash(c echo.Context) []byte {
	if row, ok := c.Get(ctxSession).(store.Session); ok {
		return row.IDHash
	}
	return nil
}

func (s *Server) saveCookie(c echo.Context) error {
	return cookieSession(c).Save(c.Request(), c.Response())
}

// signIn starts a new server-side session for user. Any earlier session on
// this browser ends first and the CSRF token is replaced, so an id planted
// before sign-in (session fixation) is worthless afterwards.
func (s *Server) signIn(c echo.Context, user store.User) error {
	ctx := c.Request().Context()
	if old := currentSessionHash(c); old != nil {
		if err := s.cfg.Store.DeleteSession(ctx, old); err != nil {
			return err
		}
	}
	sid := newToken()
	now := s.now()
	ua := c.Request().UserAgent()
	if len(ua) > 300 {
		ua = ua[:300]
	}
	if err := s.cfg.Store.CreateSession(ctx, store.Session{
		IDHash: hashToken(sid), UserID: user.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(sessionLifetime), UserAgent: ua, IP: c.RealIP(),
	}); err != nil {
		return err
	}
	sess := cookieSession(c)
	sess.Values[keySID] = sid
	sess.Values[keyCSRF] = newToken()
	return nil
}

// signOut ends this browser's server-side session.
func (s *Server) signOut(c echo.Context) error {
	if h := currentSessionHash(c); h != nil {
		if err := s.cfg.Store.DeleteSession(c.Request().Context(), h); err != nil {
			return err
		}
	}
	sess := cookieSession(c)
	delete(sess.Values, keySID)
	sess.Values[keyCSRF] = newToken()
	c.Set(ctxUser, nil)
	return nil
}

// csrfToken returns this browser's CSRF token, creating it if needed.
func csrfToken(c echo.Context) string {
	sess := cookieSession(c)
	t, _ := sess.Values[keyCSRF].(string)
	if t == "" {
		t = newToken()
		sess.Values[keyCSRF] = t
	}
	return t
}

func validCSRF(c echo.Context, got string) bool {
	want, _ := cookieSession(c).Values[keyCSRF].(string)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// flash queues a message for the next page this browser sees.
func flash(c echo.Context, kind, text string) {
	sess := cookieSession(c)
	fs, _ := sess.Values[keyFlash].([]string)
	sess.Values[keyFlash] = append(fs, kind+"\x00"+text)
}

func takeFlashes(c echo.Context) []templates.Flash {
	sess := cookieSession(c)
	fs, _ := sess.Values[keyFlash].([]string)
	if len(fs) == 0 {
		return nil
	}
	delete(sess.Values, keyFlash)
	out := make([]templates.Flash, 0, len(fs))
	for _, f := range fs {
		kind, text, _ := strings.Cut(f, "\x00")
		out = append(out, templates.Flash{Kind: kind, Text: text})
	}
	return out
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what the store keeps of a session id or mailed token.
func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}
