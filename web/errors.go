package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"backpack/templates"
)

// userError is a whole sentence for the user, such as "You sent 60 files; at
// most 50 can be added at once. Send the rest in another go.", carried as an
// error to the page that shows it as it is. Handlers show only a userError's
// text; any other error is internal and its text is never shown.
type userError struct{ msg string }

func (e userError) Error() string { return e.msg }

// userErrorf formats a userError.
func userErrorf(format string, args ...any) error {
	return userError{fmt.Sprintf(format, args...)}
}

// userMessages are the only texts users see for a status: never the
// internal error.
var userMessages = map[int][2]string{
	http.StatusBadRequest:            {"That request could not be understood", "Something in the request was not what we expected. Go back and try again."},
	http.StatusForbidden:             {"This form has expired", "For your safety, forms only work for a while and only from Backpack's own pages. Go back, reload the page and try again."},
	http.StatusNotFound:              {"Page not found", "There is nothing at this address. It may have been moved or deleted."},
	http.StatusMethodNotAllowed:      {"Not allowed here", "This address does not accept that kind of request."},
	http.StatusRequestEntityTooLarge: {"That was too large", "The data you sent is larger than Backpack accepts. Try something smaller."},
	http.StatusTooManyRequests:       {"Too many attempts", "Please wait a little and try again."},
	http.StatusServiceUnavailable:    {"Backpack is busy", "Please try again in a moment."},
	http.StatusInternalServerError:   {"Something went wrong", "We could not finish that. It has been logged; please try again later."},
}

// handleError is the one place errors become responses: a friendly page
// (or JSON on JSON routes), never the internal error text. 5xx are logged
// as errors with the details, 4xx at debug level.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
	}
	msg, ok := userMessages[status]
	if !ok {
		msg = userMessages[http.StatusInternalServerError]
		if status < 500 {
			msg = userMessages[http.StatusBadRequest]
		}
	}
	req := c.Request()
	if status >= 500 {
		s.log.Error("request failed", "method", req.Method, "path", req.URL.Path, "status", status, "err", err)
	} else {
		s.log.Debug("request refused", "method", req.Method, "path", req.URL.Path, "status", status, "err", err)
	}
	if status == http.StatusTooManyRequests && he != nil {
		if secs, ok := he.Message.(retryAfter); ok {
			c.Response().Header().Set("Retry-After", secs.String())
		}
	}
	if req.Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	if wantsJSON(c) {
		c.JSON(status, map[string]any{"error": map[string]any{"status": status, "message": msg[1]}})
		return
	}
	if _, ok := c.Get(ctxCookie).(*sessions.Session); !ok {
		// The request failed before its session was loaded.
		sess, _ := s.cookies.New(c.Request(), s.cookie)
		c.Set(ctxCookie, sess)
	}
	page := templates.ErrorPage(s.base(c, msg[0]), templates.Error{Status: status, Heading: msg[0], Text: msg[1]})
	if rerr := s.render(c, status, page); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		c.String(status, msg[0]+"\n")
	}
}

// wantsJSON: JSON routes (.json, /api/) and clients that ask only for JSON.
func wantsJSON(c echo.Context) bool {
	p := c.Request().URL.Path
	if strings.HasSuffix(p, ".json") || strings.HasPrefix(p, "/api/") || p == "/oembed" {
		return true
	}
	accept := c.Request().Header.Get("Accept")
	return strings.HasPrefix(accept, "application/json")
}
