package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/labstack/echo/v4"
)

// Public pages, their JSON twins, embeds and shields are read far more
// often than anything on them changes, so the rendered bytes are kept in
// memory and served again while their owner's public version
// (store.PublicVersion) stays the same. The database moves that number in
// the same transaction as every write a public page can show, whichever
// app instance makes it, so another instance's write shows at once, and
// another user's import, a session or a re-verification claim throws
// nothing away. A page is still rendered from stored data, by the same
// handler, which names the owner (setOwner); the cache only saves doing
// it again.
//
// A response is kept under the owner's version read before it was
// rendered: everything it shows was read after that, so while the
// version stays the same the page is current. It is not kept when the
// version read after rendering differs (a write became visible
// meanwhile: the page is already out of date). The owner is known only
// once a handler has named it, so the first response of a URL only tells
// whose it is, and the second is the first kept. Serving a kept page
// costs one indexed read. pageTTL still bounds a kept page's age, for the
// "verified 3 minutes ago" text. Only complete 200 responses to plain
// GETs are kept, never one that set a cookie.
//
// The cache is bounded by bytes (pageCacheBytes: bodies, headers and
// keys) and entries (pageCacheMax); when either is reached the least
// recently used entries go first, and every pageTTL the entries older
// than pageTTL are dropped, so a burst of distinct pages leaves no
// memory behind it.

// pageCacheStore is what the page cache needs of the store: the owner's
// public version its entries are kept against.
type pageCacheStore interface {
	PublicVersion(ctx context.Context, ownerID int64) (int64, error)
}

const (
	pageTTL        = 30 * time.Second
	pageCacheMax   = 4096     // entries
	pageCacheBytes = 32 << 20 // bytes of the entries, all together
	pageMaxBytes   = 1 << 20  // a larger response is not kept
	// pageEntryBytes is what an entry costs besides its key, header and
	// body.
	pageEntryBytes = 256
)

// cachedPage is a kept response, or (kept false) only whose data a URL
// showed the last time.
type cachedPage struct {
	owner   int64
	kept    bool
	version int64 // the owner's public version it was rendered at
	at      time.Time
	header  http.Header
	body    []byte
	size    int64 // what it costs the cache (put sets it)
}

// pageCache is a least-recently-used cache of cachedPages, bounded by
// entries and by bytes. Entries are never changed once put: a request may
// be serving one while it is evicted.
type pageCache struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, *cachedPage]
	bytes    int64 // the sizes of the entries held
	maxBytes int64
	swept    time.Time // when the expired entries were last dropped
}

func newPageCache() *pageCache { return newPageCacheSized(pageCacheMax, pageCacheBytes) }

func newPageCacheSized(entries int, maxBytes int64) *pageCache {
	pc := &pageCache{maxBytes: maxBytes}
	// The callback runs for every entry that leaves, by eviction or Remove.
	pc.lru, _ = simplelru.NewLRU(entries, func(_ string, p *cachedPage) { pc.bytes -= p.size })
	return pc
}

func (pc *pageCache) get(key string) *cachedPage {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	p, _ := pc.lru.Get(key)
	return p
}

// put keeps p under key (p.at is when it was rendered), evicting the
// least recently used entries while the cache is over its bytes, and
// drops the expired entries when it has not done so for pageTTL.
func (pc *pageCache) put(key string, p *cachedPage) {
	p.size = int64(pageEntryBytes + len(key) + len(p.body))
	for k, vs := range p.header {
		p.size += int64(len(k))
		for _, v := range vs {
			p.size += int64(len(v))
		}
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.lru.Remove(key)
	if p.size > pc.maxBytes {
		return
	}
	pc.lru.Add(key, p)
	pc.bytes += p.size
	for pc.bytes > pc.maxBytes {
		pc.lru.RemoveOldest()
	}
	if p.at.Sub(pc.swept) >= pageTTL {
		pc.swept = p.at
		for _, k := range pc.lru.Keys() {
			if old, ok := pc.lru.Peek(k); ok && p.at.Sub(old.at) >= pageTTL {
				pc.lru.Remove(k)
			}
		}
	}
}

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
		ctx, now := c.Request().Context(), s.now()
		p := s.pages.get(key)
		var before int64
		if p != nil {
			v, err := s.cfg.Store.PublicVersion(ctx, p.owner)
			if err != nil {
				p = nil // render, and keep nothing
			} else if p.kept && v == p.version && now.Sub(p.at) < pageTTL {
				return p.serve(c)
			}
			before = v
		}
		w := &teeWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = w
		err := next(c)
		owner, named := c.Get(ctxOwner).(int64)
		if err != nil || !named || w.status != http.StatusOK || w.overflow || c.Response().Header().Get("Set-Cookie") != "" {
			return err
		}
		if p == nil || p.owner != owner {
			// The owner's version was not read before this render:
			// remember whose page it is, so that the next one can be kept.
			s.pages.put(key, &cachedPage{owner: owner, at: now})
			return nil
		}
		if after, err := s.cfg.Store.PublicVersion(ctx, owner); err != nil || after != before {
			return nil
		}
		s.pages.put(key, &cachedPage{owner: owner, kept: true, version: before, at: now, header: w.header, body: w.buf.Bytes()})
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
