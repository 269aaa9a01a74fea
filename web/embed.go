package web

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"backpack/store"
	"backpack/templates"
)

// Embeds are the only pages other sites may frame: /embed/b/{slug} and
// /embed/c/{slug}, and the SVG shield /embed/b/{slug}.svg for README files.
// They render stored data, set no cookies, and run one script of our own
// (static/embed-frame.js) that reports the widget's height to the framing
// page; /embed.js is the loader that page includes to size the frame.

// embedCSP lets any site frame the widget, and nothing else.
const embedCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors *"

// Route names, for s.url. The shield is the badge embed's slug with .svg.
const (
	routeEmbedBadge      = "embed-badge"
	routeEmbedCollection = "embed-collection"
	routeEmbedLoader     = "embed-loader"
)

func (s *Server) registerEmbeds(e *echo.Echo) {
	e.GET("/embed/b/:slug", s.embedBadge, s.cachedPublic).Name = routeEmbedBadge
	e.GET("/embed/c/:slug", s.embedCollection, s.cachedPublic).Name = routeEmbedCollection
	e.GET("/embed.js", s.embedLoader).Name = routeEmbedLoader
}

// embedHeaders lets other sites frame and load the embed; servePublic
// sets the rest.
func embedHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", embedCSP)
	h.Del("X-Frame-Options")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
}

// embedMaxAge is how long an embed may be used before it is revalidated.
const embedMaxAge = 300

// embedTheme reads ?theme=: light, dark, or "" to follow the system.
func embedTheme(c echo.Context) string {
	switch t := c.QueryParam("theme"); t {
	case "light", "dark":
		return t
	}
	return ""
}

func (s *Server) embedBadge(c echo.Context) error {
	slug, svg := strings.CutSuffix(c.Param("slug"), ".svg")
	b, sh, err := s.sharedBadge(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	setOwner(c, b.UserID)
	embedHeaders(c)
	theme := embedTheme(c)
	modified, parts := badgeVersion(b, sh)
	a := publicAnswer{tag: etag(append(parts, slug, svg, theme, s.frameJS)...), modified: modified, maxAge: embedMaxAge}
	return servePublic(c, a, func() error {
		if svg {
			return s.shield(c, b)
		}
		return renderPublic(c, templates.EmbedPage(s.embedBadgeView(b, slug, theme)))
	})
}

func (s *Server) embedCollection(c echo.Context) error {
	slug := c.Param("slug")
	// The widget shows the first page; its footer links to the whole.
	col, page, err := s.sharedCollection(c.Request().Context(), slug, store.CollectionPageQuery{Limit: collectionPageSize, Cards: true})
	if err != nil {
		return err
	}
	setOwner(c, col.UserID)
	embedHeaders(c)
	theme := embedTheme(c)
	modified, parts := collectionVersion(col, page)
	a := publicAnswer{tag: etag(append(parts, slug, theme, s.frameJS)...), modified: modified, maxAge: embedMaxAge}
	return servePublic(c, a, func() error {
		return renderPublic(c, templates.EmbedPage(s.embedCollectionView(col, page, slug, theme)))
	})
}

// embedLoader serves the loader script at a stable address, for snippets
// pasted into other sites; it may be cached for an hour.
func (s *Server) embedLoader(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Access-Control-Allow-Origin", "*")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", s.loaderJS)
}

// shield draws a static SVG label, "name | status", for README files. All
// text is XML-escaped; there is no script and nothing is loaded.
func (s *Server) shield(c echo.Context, b store.Badge) error {
	label := shorten(b.Name, 40)
	status := map[store.Status]string{store.StatusVerified: "verified", store.StatusExpired: "expired",
		store.StatusRevoked: "revoked"}[b.Status]
	color := map[string]string{"verified": "#05603a", "expired": "#8a5a00", "revoked": "#b42318"}[status]
	if status == "" {
		status, color = "unverified", "#55555c"
	}
	lw, rw := 10+7*utf8.RuneCountInString(label), 10+7*len(status)
	var esc strings.Builder
	xml.EscapeText(&esc, []byte(label))
	name := esc.String()
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s: %s">`+
		`<title>%s: %s</title><rect width="%d" height="20" fill="#2a2a30"/><rect x="%d" width="%d" height="20" fill="%s"/>`+
		`<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">`+
		`<text x="5" y="14">%s</text><text x="%d" y="14">%s</text></g></svg>`,
		lw+rw, name, status, name, status, lw, lw, rw, color, name, lw+5, status)
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	return c.Blob(http.StatusOK, "image/svg+xml", []byte(svg))
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
