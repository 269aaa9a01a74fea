package web

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"backpack/templates"
)

// base builds the page model every template gets. It consumes the flashes,
// so it saves the session cookie (a header): call it before writing the
// body.
func (s *Server) base(c echo.Context, title string) templates.Base {
	b := templates.Base{
		Title:   title,
		Flashes: takeFlashes(c),
		CSRF:    csrfToken(c),
		CSS:     s.css,
		Icon:    s.icon,
		JS:      s.js,
		Path:    c.Request().URL.Path,
	}
	if u := currentUser(c); u != nil {
		b.User = &templates.User{Email: u.Email}
	}
	return b
}

// render writes a page with status, rendered in memory first
// (renderBytes). Public pages go through renderPublic instead.
func (s *Server) render(c echo.Context, status int, page templ.Component) error {
	body, err := renderBytes(c, page)
	if err != nil {
		return err
	}
	if err := s.saveCookie(c); err != nil {
		return err
	}
	h := c.Response().Header()
	// Pages can show private data: keep them out of shared caches and the
	// back-forward cache of a shared computer.
	h.Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, body)
}

// renderBytes renders page into memory, so that a failing template
// becomes an error page, not half a page with a 200.
func renderBytes(c echo.Context, page templ.Component) ([]byte, error) {
	var buf bytes.Buffer
	if err := page.Render(c.Request().Context(), &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// redirect answers a POST with 303 See Other, saving flashes first.
func (s *Server) redirect(c echo.Context, to string) error {
	if err := s.saveCookie(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// localPath returns next if it is a path on this site, else "".
// "//host" and "/\host" are protocol-relative URLs to other sites.
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t") {
		return ""
	}
	return next
}

func newForm() templates.Form {
	return templates.Form{Values: map[string]string{}, Errors: map[string]string{}}
}
