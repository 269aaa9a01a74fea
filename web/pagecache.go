package web

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/store"
)

// Public pages, their JSON twins, embeds and shields are read far more
// often than anything on them changes, so the rendered bytes are kept in
// memory and served again until their owner's data changes (store.Stamp:
// another user's import does not throw them away) or pageTTL passes (for
// the "verified 3 minutes ago" text). A page is still rendered from
// stored data, by the same handler, which names the owner (setOwner); the
// cache only saves doing it again. A response is kept only when no write
// became visible while it was rendered, so it cannot be older than the
// stamp it is kept with. Only complete 200 responses to plain GETs are
// kept, never one that set a cookie. The stamps count this process's
// writes: with several instances on one database, another instance's
// writes show once pageTTL has passed.

const (
	pageTTL      = 30 * time.Second
	pageCacheMax = 2048 // entries; when full, the cache starts again empty
	pageMaxBytes = 1 << 20
)

type cachedPage struct {
	owner  int64
	stamp  store.Stamp
	at     time.Time
	header http.Header
	body   []byte
}

type pageCache struct {
	mu sync.RWMutex
	m  map[string]*cachedPage
}

func newPageCache() *pageCache { return &pageCache{m: map[string]*cachedPage{}} }

// cacheKey names the variant of a public response, or "" when the request
// is not one to cache (a query other than theme, or not a plain GET).
func cacheKey(r *http.Request) string {
	if r.Method != http.MethodGet {
		return ""
	}
	q := r.URL.Query()
	theme := q.Get("theme")
	if len(q) > 1 || (len(q) == 1 && !q.Has("theme")) || (theme != "" && theme != "light" && theme != "dark") {
		return ""
	}
	key := r.URL.Path + "\x00" + theme
	if strings.HasPrefix(r.Header.Get("Accept"), "application/json") {
		key += "\x00json"
	}
	return key
}

// cachedPublic serves next's response from the cache when it is current,
// and keeps next's 200 responses.
func (s *Server) cachedPublic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := cacheKey(c.Request())
		if key == "" {
			return next(c)
		}
		now := s.now()
		s.pages.mu.RLock()
		p := s.pages.m[key]
		s.pages.mu.RUnlock()
		if p != nil && now.Sub(p.at) < pageTTL && s.cfg.Store.Stamp(p.owner) == p.stamp {
			return p.serve(c)
		}
		writes := s.cfg.Store.Writes()
		w := &teeWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = w
		err := next(c)
		owner, named := c.Get(ctxOwner).(int64)
		if err != nil || !named || w.status != http.StatusOK || w.overflow || c.Response().Header().Get("Set-Cookie") != "" ||
			s.cfg.Store.Writes() != writes {
			return err
		}
		s.pages.mu.Lock()
		if len(s.pages.m) >= pageCacheMax {
			clear(s.pages.m)
		}
		s.pages.m[key] = &cachedPage{owner: owner, stamp: s.cfg.Store.Stamp(owner), at: now, header: w.header, body: w.buf.Bytes()}
		s.pages.mu.Unlock()
		return nil
	}
}

// ctxOwner is the context key under which a public handler names the
// user whose data it shows.
const ctxOwner = "publicOwner"

// setOwner names the user whose data the public response shows, so that
// the page cache knows when it changes.
func setOwner(c echo.Context, userID int64) { c.Set(ctxOwner, userID) }

// serve answers with the kept response, or 304 when the client has it.
func (p *cachedPage) serve(c echo.Context) error {
	h := c.Response().Header()
	clear(h)
	for k, v := range p.header {
		h[k] = v
	}
	modified, _ := http.ParseTime(p.header.Get("Last-Modified"))
	if tag := p.header.Get("ETag"); tag != "" && notModified(c.Request(), tag, modified) {
		h.Del("Content-Type")
		h.Del("Content-Length")
		return c.NoContent(http.StatusNotModified)
	}
	c.Response().WriteHeader(http.StatusOK)
	_, err := c.Response().Write(p.body)
	return err
}

// teeWriter passes a response through and keeps a copy, up to
// pageMaxBytes, with the headers as they were sent.
type teeWriter struct {
	http.ResponseWriter
	status   int
	header   http.Header
	buf      bytes.Buffer
	overflow bool
}

func (w *teeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status, w.header = code, w.ResponseWriter.Header().Clone()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.overflow {
		if w.buf.Len()+len(b) > pageMaxBytes {
			w.overflow = true
			w.buf = bytes.Buffer{}
		} else {
			w.buf.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}
