package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy allows only our own scripts and styles, no plugins,
// no <base>, forms only to us, and no framing: every page is a private page
// for now.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		return next(c)
	}
}

// errCSRF is answered when a state-changing request fails the CSRF checks.
var errCSRF = echo.NewHTTPError(http.StatusForbidden, "csrf")

// csrf protects every state-changing request twice: the browser's own
// cross-origin signals (Sec-Fetch-Site, Origin) through the standard
// library's CrossOriginProtection, and a per-browser token kept in the
// encrypted session cookie that each form echoes back in _csrf (or a
// script in the X-CSRF-Token header).
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if err := cop.Check(r); err != nil {
			return errCSRF
		}
		done, err := s.readForm(c)
		defer done()
		if err != nil {
			return err
		}
		if publicVerifyPath(r.URL.Path) {
			return next(c)
		}
		token := r.Header.Get("X-CSRF-Token")
		if token == "" {
			token = r.FormValue("_csrf")
		}
		if !validCSRF(c, token) {
			return errCSRF
		}
		return next(c)
	}
}
