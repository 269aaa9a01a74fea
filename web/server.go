// Package web is Backpack's HTTP layer: echo routes, middleware, sessions
// and page rendering. It translates HTTP to calls on the store and the
// domain and back; it holds no SQL and parses no badges.
package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"backpack/badges"
	"backpack/openbadges"
	"backpack/openbadges/fetch"
	"backpack/static"
	"backpack/store"
)

// healthStore is what /healthz needs of the store.
type healthStore interface {
	Ping(ctx context.Context) error
}

// Store is everything the web layer needs of the database: the small
// interfaces each file declares for the methods it calls, and what the
// badges core needs when New builds the default one on the same store.
// *store.DB is one; a second engine or a test fake has to provide these.
type Store interface {
	badges.Store
	authStore
	badgeStore
	collectionStore
	displayerStore
	exportStore
	healthStore
	importStore
	pageCacheStore
	publicStore
	sessionStore
	settingsStore
	shareStore
	viewerStore
}

var _ Store = (*store.DB)(nil)

// Config is what the web layer needs from main.
type Config struct {
	Store Store
	// Mail is this instance's mail loop (a *mail.Queue), woken when a
	// request queues a message so that it goes at once. Requests never
	// send mail themselves. nil: queued mail goes when a mail loop next
	// looks at the queue.
	Mail    interface{ Wake() }
	Logger  *slog.Logger
	BaseURL *url.URL // absolute links in mail; https turns on Secure cookies
	// SessionKeys are securecookie key pairs (64 bytes each: 32 to sign,
	// 32 to encrypt). The first signs new cookies; the others still decode
	// old ones, so keys can be rotated.
	SessionKeys [][]byte
	Now         func() time.Time // nil: time.Now
	Hasher      Hasher           // nil: argon2id with OWASP parameters
	// LoginLimit throttles sign-in, sign-up and reset requests per client
	// address. Zero: 10 at once, then one a minute.
	LoginLimit Limit
	// Badges is the core every badge goes through. nil: one built on
	// Store with Fetch and Verifier (themselves production defaults when
	// nil: no allow-listed hosts), whose background loops no one runs;
	// main builds its own and runs them.
	Badges   *badges.Service
	Fetch    *fetch.Client
	Verifier *openbadges.Verifier
	// UploadBudget bounds the bytes of the upload bodies (multipart forms
	// on routes that take more than an ordinary form) received or held at
	// once, in memory and spooled to disk, across all requests. Zero:
	// defaultUploadBudget.
	UploadBudget int64
	// RequestTimeout is how long a request's work may go on: its context
	// ends then, so a handler stops working for a client the server has
	// stopped writing to (main passes its http.Server's WriteTimeout).
	// Routes that stream for longer declare it with takesLong. Zero: 60 s.
	RequestTimeout time.Duration
}

// Route names, for e.Reverse (s.url). Each file names the routes it
// registers; a route answering GET and POST on one path has one name.
const (
	routeHealthz = "healthz"
	routeStatic  = "static"
	routeFavicon = "favicon"
)

// Server is the configured application.
type Server struct {
	cfg     Config
	echo    *echo.Echo
	cookies *sessions.CookieStore
	cookie  string // session cookie name
	secure  bool
	now     func() time.Time
	log     *slog.Logger
	hasher  Hasher
	dummy   string // hash checked when an email has no account
	ipLimit *limiter
	// viewerRate and badgeRate limit Verify now on public pages.
	viewerRate *limiter
	badgeRate  *limiter
	css        string
	icon       string
	js         string
	frameJS    string // the embed widget's height reporter
	loaderJS   []byte // /embed.js
	pages      *pageCache
	core       *badges.Service
	// bodies holds the body rules routes declared with acceptBody when
	// they were registered, by method and path; the others take
	// defaultBody.
	bodies map[string]bodyRule
	// userPaths are the path prefixes of the groups only signed-in users
	// reach (usersOnly).
	userPaths []string
	// uploads is what is left of UploadBudget (readForm).
	uploads *uploadBudget
	// exports are the users with an export under way (sendSnapshot).
	exports exportSlots
	// long holds the work deadlines of the routes that declared one with
	// takesLong, by method and path; the others get cfg.RequestTimeout.
	long map[string]time.Duration
}

// New builds the application.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.BaseURL == nil || len(cfg.SessionKeys) == 0 {
		return nil, errors.New("web: Store, BaseURL and SessionKeys are required")
	}
	s := &Server{cfg: cfg, now: cfg.Now, log: cfg.Logger, hasher: cfg.Hasher, bodies: map[string]bodyRule{},
		long: map[string]time.Duration{}}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.hasher == nil {
		s.hasher = NewArgon2(OWASPArgon2, 2)
	}
	var err error
	if s.dummy, err = s.hasher.Hash("not a real password: compared when an address has no account"); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if cfg.LoginLimit == (Limit{}) {
		cfg.LoginLimit = Limit{Burst: 10, Every: time.Minute}
	}
	s.ipLimit = newLimiter(cfg.LoginLimit)
	if cfg.Fetch == nil {
		if cfg.Fetch, err = fetch.New(fetch.Options{}); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	if cfg.Verifier == nil {
		cfg.Verifier = &openbadges.Verifier{Fetch: cfg.Fetch, Now: s.now}
	}
	if cfg.Badges == nil {
		if cfg.Badges, err = badges.New(badges.Config{Store: cfg.Store, Verifier: cfg.Verifier, Fetch: cfg.Fetch, Now: s.now, Logger: s.log}); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	s.cfg, s.core = cfg, cfg.Badges
	s.viewerRate, s.badgeRate = newLimiter(viewerLimit), newLimiter(badgeLimit)
	s.pages = newPageCache()
	if cfg.UploadBudget <= 0 {
		cfg.UploadBudget = defaultUploadBudget
	}
	s.uploads = newUploadBudget(cfg.UploadBudget)
	s.secure = cfg.BaseURL.Scheme == "https"
	if err := s.initSessions(); err != nil {
		return nil, err
	}
	s.css = static.URL("/static/", "app.css")
	s.icon = static.URL("/static/", "icon.svg")
	s.js = static.URL("/static/", "app.js")
	s.frameJS = static.URL("/static/", "embed-frame.js")
	if s.loaderJS, err = fs.ReadFile(static.Files, "embed.js"); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Client addresses come from the TCP connection only: a forged
	// X-Forwarded-For must not give every request a fresh rate-limit bucket.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "path", c.Request().URL.Path, "err", err, "stack", string(stack))
			return err
		},
	}))
	// The order matters. Echo has matched the route before these run.
	// Nothing reads the request body before the session is loaded, a
	// route for signed-in users has turned away a request without one,
	// and the matched route's body limit applies: csrf is the first to
	// read it (the form's _csrf field), within the upload budget.
	e.Use(s.securityHeaders)
	e.Use(s.workDeadline)
	e.Use(s.loadSession)
	e.Use(s.usersFirst)
	e.Use(s.limitBody)
	e.Use(s.csrf)
	s.echo = e

	e.GET("/healthz", s.healthz).Name = routeHealthz
	e.GET("/static/:name", s.staticFile).Name = routeStatic
	e.GET("/favicon.ico", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, s.icon) }).Name = routeFavicon
	s.registerAuth(e)
	s.registerSettings(e)
	s.registerBadges(e)
	s.registerPublic(e)
	s.registerCollections(e)
	s.registerEmbeds(e)
	s.registerImports(e)
	s.registerDisplayer(e)
	return s, nil
}

// url is the path of the route called name, its parameters filled in with
// params in order: every link, redirect and mailed address is built here
// from the routes as registered.
func (s *Server) url(name string, params ...any) string {
	return s.echo.Reverse(name, params...)
}

// defaultBody is how large a request body may be on every route that does
// not declare otherwise with acceptBody.
const defaultBody = 1 << 20

// usersOnly is e.Group(prefix) for pages only signed-in users reach:
// requireUser guards each of its routes, and usersFirst applies it before
// anything reads a request body.
func (s *Server) usersOnly(e *echo.Echo, prefix string) *echo.Group {
	s.userPaths = append(s.userPaths, prefix)
	return e.Group(prefix, s.requireUser)
}

// usersFirst answers a request for a route of a usersOnly group that
// comes without a signed-in user (anonymous, or its session ended) as
// requireUser does, before limitBody and csrf: such a request never makes
// the server receive its body, however large the route allows.
func (s *Server) usersFirst(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := c.Path()
		for _, prefix := range s.userPaths {
			if strings.HasPrefix(p, prefix) && (len(p) == len(prefix) || p[len(prefix)] == '/') {
				return s.requireUser(next)(c)
			}
		}
		return next(c)
	}
}

// bodyRule is what a route accepts as a request body.
type bodyRule struct {
	limit int64         // bytes
	read  time.Duration // how long the body may take to arrive; 0: the server's ReadTimeout
}

// takesLong declares, where r is registered, that its work may go on for
// d (a download or an upload longer than the server's timeouts) instead of
// Config.RequestTimeout.
func (s *Server) takesLong(r *echo.Route, d time.Duration) *echo.Route {
	s.long[r.Method+" "+r.Path] = d
	return r
}

// workDeadline ends the request's context when its route's time is up, so
// that a handler stops its work (verifying, fetching, reading the
// database) once the server has stopped writing its answer.
func (s *Server) workDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		d, ok := s.long[c.Request().Method+" "+c.Path()]
		if !ok {
			d = s.cfg.RequestTimeout
		}
		orig := c.Request().Context()
		ctx, cancel := context.WithTimeout(orig, d)
		// The error handler (and Recover's) runs after this returns: it
		// gets the request's own context back, not the ended one.
		defer func() { c.SetRequest(c.Request().WithContext(orig)); cancel() }()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// acceptBody declares, where r is registered, that it takes bodies up to
// limit bytes, and (read > 0) that they may take that long to arrive. It
// returns r.
func (s *Server) acceptBody(r *echo.Route, limit int64, read time.Duration) *echo.Route {
	s.bodies[r.Method+" "+r.Path] = bodyRule{limit: limit, read: read}
	return r
}

// limitBody applies the matched route's body rule before anything reads
// the body (echo has routed the request by the time global middleware
// runs, so c.Path is the route's path). A declared length over the limit
// is refused at once; a body without one (chunked) fails with
// *http.MaxBytesError when a read goes past it, a 413 in the error table.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		rule := s.bodyRule(c)
		if r.ContentLength > rule.limit {
			return echo.ErrStatusRequestEntityTooLarge
		}
		if rule.read > 0 {
			_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Now().Add(rule.read))
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(c.Response().Writer, r.Body, rule.limit)
		}
		return next(c)
	}
}

// bodyRule is the body rule of the route c matched.
func (s *Server) bodyRule(c echo.Context) bodyRule {
	r := c.Request()
	rule, ok := s.bodies[r.Method+" "+c.Path()]
	if !ok {
		rule.limit = defaultBody
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		// Such a form is read into memory whole: never more than an
		// ordinary one, whatever the route takes (uploads are multipart).
		rule.limit = min(rule.limit, defaultBody)
	}
	return rule
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Echo exposes the router, for tests that walk the routes.
func (s *Server) Echo() *echo.Echo { return s.echo }

func (s *Server) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.log.Error("healthz", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unavailable")
	}
	return c.String(http.StatusOK, "ok")
}

func (s *Server) staticFile(c echo.Context) error {
	a, ok := static.ByHashedName(c.Param("name"))
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	return c.Blob(http.StatusOK, mimeType(a.Name), a.Body)
}

func mimeType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return "application/octet-stream"
}

// link is an absolute URL for path, for mail.
func (s *Server) link(path string) string {
	return strings.TrimRight(s.cfg.BaseURL.String(), "/") + path
}
