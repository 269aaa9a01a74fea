package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"backpack/store"
	"backpack/templates"
)

// Public pages: a shared badge (/b/{slug}) and a shared collection
// (/c/{slug}), their JSON twins, the files that hang off them, and oEmbed
// for both; the embeds are in embed.go, Verify now in viewer.go, the page
// cache in pagecache.go, and what each page shows in public_views.go.
// Public responses render from stored data only (no network in the
// request path), set no cookies, are cacheable with revalidation, and
// show nothing the owner did not choose to share. Pages, JSON twins,
// embeds and the Displayer API answer through servePublic (headers,
// revalidation), and every public page is rendered by renderPublic.

// publicStore is what shared badges and public collections need of the store.
type publicStore interface {
	CollectionBadgePage(ctx context.Context, collectionID int64, q store.CollectionPageQuery) (store.CollectionPage, error)
	SharedBadge(ctx context.Context, slug string) (store.Badge, store.Share, error)
	SharedCollection(ctx context.Context, slug string) (store.Collection, error)
}

// Route names, for s.url.
const (
	routePublicBadge       = "public-badge"
	routePublicBadgeFile   = "public-badge-file"
	routePublicBadgeVerify = "public-badge-verify"
	routeOEmbed            = "oembed"
)

func (s *Server) registerPublic(e *echo.Echo) {
	e.GET("/b/:slug", s.publicBadge, s.cachedPublic).Name = routePublicBadge
	e.GET("/b/:slug/:file", s.publicBadgeFile).Name = routePublicBadgeFile
	e.POST("/b/:slug/verify", s.verifySharedBadge).Name = routePublicBadgeVerify
	e.GET("/oembed", s.oembed).Name = routeOEmbed
}

// publicBadge serves /b/{slug} as a page, or as its JSON twin for
// /b/{slug}.json and clients that ask for JSON.
func (s *Server) publicBadge(c echo.Context) error {
	slug, asJSON := twinRequest(c)
	b, sh, err := s.sharedBadge(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	setOwner(c, b.UserID)
	ob, rep, err := b.Documents()
	if err != nil {
		return err
	}
	checked := checkedNotice(c.QueryParam("checked"))
	modified, parts := badgeVersion(b, sh)
	a := publicAnswer{tag: etag(append(parts, slug, asJSON, checked)...), modified: modified, maxAge: 60, noindex: !sh.Indexable, twin: true}
	return servePublic(c, a, func() error {
		if asJSON {
			return publicJSON(c, s.badgeTwin(b, ob, rep, sh, slug))
		}
		return renderPublic(c, templates.PublicBadgePage(s.publicBadgeView(b, ob, rep, sh, slug, checked)))
	})
}

// publicBadgeFile serves what hangs off a public badge page: the QR code of
// its link (qr.svg, qr.png) and, when the owner shares the verifiable
// original, the baked badge (badge.png or badge.svg).
func (s *Server) publicBadgeFile(c echo.Context) error {
	slug := c.Param("slug")
	b, sh, err := s.sharedBadge(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	switch file := c.Param("file"); file {
	case "qr.svg", "qr.png":
		return qrResponse(c, s.link(s.url(routePublicBadge, slug)), strings.TrimPrefix(file, "qr."))
	case bakedName(b):
		if !publicDownload(b, sh) {
			return echo.ErrNotFound
		}
		body, ct, err := s.bakedBadge(c.Request().Context(), b)
		if err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set("Content-Security-Policy", userContentCSP)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "public, max-age=60, must-revalidate")
		h.Set("Content-Disposition", `attachment; filename="`+downloadName(b.Name)+path.Ext(file)+`"`)
		return c.Blob(http.StatusOK, ct, body)
	}
	return echo.ErrNotFound
}

// oembed describes one of Backpack's own public pages, /b/{slug} or
// /c/{slug}, as a rich embed: the widget's iframe, sized to fit maxwidth
// and maxheight. The url is only parsed, never fetched: anything else is
// a 404.
func (s *Server) oembed(c echo.Context) error {
	if f := c.QueryParam("format"); f != "" && f != "json" {
		return echo.NewHTTPError(http.StatusNotImplemented, "only format=json")
	}
	u, err := url.Parse(c.QueryParam("url"))
	if err != nil || !strings.EqualFold(u.Host, s.cfg.BaseURL.Host) {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	out := oEmbedResponse{Version: "1.0", Type: "rich", ProviderName: "Backpack", ProviderURL: s.link(s.url(routeHome)), CacheAge: 300}
	kind, slug, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	w, h := 320, 130
	embed := routeEmbedBadge
	switch kind {
	case "b":
		b, _, err := s.sharedBadge(ctx, slug)
		if err != nil {
			return err
		}
		out.Title, out.AuthorName = b.Name, &b.IssuerName
	case "c":
		col, page, err := s.sharedCollection(ctx, slug, store.CollectionPageQuery{Limit: collectionPageSize, Cards: true})
		if err != nil {
			return err
		}
		out.Title, embed = col.Name, routeEmbedCollection
		if col.OwnerName != "" {
			out.AuthorName = &col.OwnerName
		}
		// The widget shows the first page: two cards a row in 640
		// pixels, about 100 pixels a row, and the footer; the script
		// snippet corrects the height on the page.
		w, h = 640, 60+100*((len(page.Badges)+1)/2)
	default:
		return echo.ErrNotFound
	}
	if mw, err := strconv.Atoi(c.QueryParam("maxwidth")); err == nil && mw > 0 && mw < w {
		w = mw
	}
	if mh, err := strconv.Atoi(c.QueryParam("maxheight")); err == nil && mh > 0 && mh < h {
		h = mh
	}
	out.Width, out.Height = w, h
	out.HTML = templates.IframeHTML(s.link(s.url(embed, slug)), out.Title, w, h)
	return publicJSON(c, out)
}

// publicCollection serves a page of /c/{slug} (see public_paging.go), or
// of its JSON twin for /c/{slug}.json and clients that ask for JSON.
func (s *Server) publicCollection(c echo.Context) error {
	slug, asJSON := twinRequest(c)
	q, err := collectionCursor(c.QueryParam)
	if err != nil {
		return err
	}
	q.Cards = !asJSON // the twin gives each badge's document
	col, page, err := s.sharedCollection(c.Request().Context(), slug, q)
	if err != nil {
		return err
	}
	setOwner(c, col.UserID)
	checkedID, _ := strconv.ParseInt(c.QueryParam("badge"), 10, 64)
	checked := checkedNotice(c.QueryParam("checked"))
	links := s.collectionPageLinks(slug, page, asJSON)
	s.setLinkHeader(c, links)
	modified, parts := collectionVersion(col, page)
	a := publicAnswer{tag: etag(append(parts, slug, asJSON, q.After, q.Before, checkedID, checked)...), modified: modified, maxAge: 60,
		noindex: !col.Indexable, twin: true}
	return servePublic(c, a, func() error {
		if asJSON {
			twin, err := s.collectionTwin(col, page.Badges, slug, links)
			if err != nil {
				return err
			}
			return publicJSON(c, twin)
		}
		p, err := s.publicCollectionView(col, page, q, slug, links, checkedID, checked)
		if err != nil {
			return err
		}
		return renderPublic(c, templates.PublicCollectionPage(p))
	})
}

// publicCollectionFile serves the QR code of a shared collection's link.
func (s *Server) publicCollectionFile(c echo.Context) error {
	slug := c.Param("slug")
	if !plausibleSlug(slug) {
		return echo.ErrNotFound
	}
	if _, err := s.cfg.Store.SharedCollection(c.Request().Context(), slug); err != nil {
		return err // the badges are not needed for the link's QR code
	}
	switch file := c.Param("file"); file {
	case "qr.svg", "qr.png":
		return qrResponse(c, s.link(s.url(routePublicCollection, slug)), strings.TrimPrefix(file, "qr."))
	}
	return echo.ErrNotFound
}

// plausibleSlug reports whether slug could be one that the store made, so
// that junk never reaches the database.
func plausibleSlug(slug string) bool { return len(slug) >= 20 && len(slug) <= 64 }

// sharedBadge looks up the badge shared under slug; anything else is a 404.
func (s *Server) sharedBadge(ctx context.Context, slug string) (store.Badge, store.Share, error) {
	if !plausibleSlug(slug) {
		return store.Badge{}, store.Share{}, echo.ErrNotFound
	}
	b, sh, err := s.cfg.Store.SharedBadge(ctx, slug)
	return b, sh, err
}

// sharedCollection looks up the collection shared under slug and the
// page q of its badges; anything else is a 404.
func (s *Server) sharedCollection(ctx context.Context, slug string, q store.CollectionPageQuery) (store.Collection, store.CollectionPage, error) {
	if !plausibleSlug(slug) {
		return store.Collection{}, store.CollectionPage{}, echo.ErrNotFound
	}
	col, err := s.cfg.Store.SharedCollection(ctx, slug)
	if err != nil {
		return store.Collection{}, store.CollectionPage{}, err
	}
	page, err := s.cfg.Store.CollectionBadgePage(ctx, col.ID, q)
	return col, page, err
}

// twinRequest reads the slug of /b/{slug} or /c/{slug} and whether the
// JSON twin is asked for: by a .json suffix, or an Accept header that
// starts with application/json.
func twinRequest(c echo.Context) (slug string, asJSON bool) {
	slug, asJSON = strings.CutSuffix(c.Param("slug"), ".json")
	return slug, asJSON || strings.HasPrefix(c.Request().Header.Get("Accept"), "application/json")
}

// publicAnswer says how a public response may be cached and indexed.
type publicAnswer struct {
	tag      string    // ETag: everything the response depends on (see etag)
	modified time.Time // Last-Modified
	maxAge   int       // seconds a cache may use it before revalidating
	noindex  bool      // ask search engines to leave it out
	twin     bool      // a page with a JSON twin: the answer varies with Accept
}

// servePublic answers a public request: it sets what public responses
// carry (no referrer, since the slug in the URL must not leak through
// outbound links; caching with revalidation; noindex when a says so),
// answers 304 when the client's copy is current, and else lets send write
// the response. Nothing here touches the session, so no cookie is set.
func servePublic(c echo.Context, a publicAnswer, send func() error) error {
	h := c.Response().Header()
	h.Set("Referrer-Policy", "no-referrer")
	if a.noindex {
		h.Set("X-Robots-Tag", "noindex")
	}
	if a.twin {
		h.Set("Vary", "Accept")
	}
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(a.maxAge)+", must-revalidate")
	if revalidate(c, a.tag, a.modified) {
		return c.NoContent(http.StatusNotModified)
	}
	return send()
}

// renderPublic sends a public page. Like every page it is rendered in
// memory first (renderBytes); unlike s.render it leaves the session alone
// and the caching to servePublic.
func renderPublic(c echo.Context, page templ.Component) error {
	body, err := renderBytes(c, page)
	if err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, body)
}

// publicJSON sends a public JSON answer, which any site may read (without
// credentials).
func publicJSON(c echo.Context, v any) error {
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, v)
}

// badgeVersion is when a shared badge's public responses last changed,
// and what they depend on (for their ETag).
func badgeVersion(b store.Badge, sh store.Share) (time.Time, []any) {
	modified := b.VerifiedAt
	if sh.UpdatedAt.After(modified) {
		modified = sh.UpdatedAt
	}
	return modified, []any{b.ID, b.Status, b.Name, b.IssuerName, b.ImageHash, b.ContentHash, b.VerifiedAt.Unix(),
		sh.ShowRecipient, sh.Indexable, sh.ShareOriginal, sh.OwnerName}
}

// collectionVersion is badgeVersion for a shared collection and one page
// of its badges. What each badge adds is written into one part, each
// string with its length, rather than a part a field: etag formats every
// part, and this runs for every card.
func collectionVersion(col store.Collection, page store.CollectionPage) (time.Time, []any) {
	modified := col.UpdatedAt
	var cards []byte
	text := func(s string) {
		cards = strconv.AppendInt(cards, int64(len(s)), 10)
		cards = append(cards, ':')
		cards = append(cards, s...)
	}
	for _, b := range page.Badges {
		if b.VerifiedAt.After(modified) {
			modified = b.VerifiedAt
		}
		cards = strconv.AppendInt(cards, b.ID, 10)
		text(string(b.Status))
		text(b.Name)
		text(b.IssuerName)
		text(string(b.ImageHash))
		cards = strconv.AppendInt(append(cards, ':'), b.VerifiedAt.Unix(), 10)
		cards = append(cards, ';')
	}
	return modified, []any{col.UpdatedAt, col.Name, col.Description, col.Indexable, col.OwnerName, page.Prev, page.Next, string(cards)}
}

// revalidate sets a public response's validators and reports whether the
// client's conditional request says it has the response already.
func revalidate(c echo.Context, tag string, modified time.Time) bool {
	h := c.Response().Header()
	h.Set("ETag", tag)
	h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	return notModified(c.Request(), tag, modified)
}

// etag is a strong validator of everything a public response depends on.
func etag(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
}

// notModified answers a conditional request: If-None-Match wins over
// If-Modified-Since (RFC 9110 13.2.2).
func notModified(r *http.Request, tag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			if t = strings.TrimSpace(t); t == tag || t == "*" || strings.TrimPrefix(t, "W/") == tag {
				return true
			}
		}
		return false
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil {
		return !modified.Truncate(time.Second).After(ims)
	}
	return false
}

// downloadName makes a badge name safe as a file name.
func downloadName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			b.WriteRune('-')
		}
		if b.Len() >= 60 {
			break
		}
	}
	if b.Len() == 0 {
		return "badge"
	}
	return b.String()
}
