package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"backpack/badges"
	"backpack/openbadges/problem"
	"backpack/store"
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
	http.StatusConflict:              {"That clashes with something", "It clashes with something that is already there, perhaps changed in the meantime. Go back, reload the page and try again."},
	http.StatusRequestEntityTooLarge: {"That was too large", "The data you sent is larger than Backpack accepts. Try something smaller."},
	http.StatusUnprocessableEntity:   {"That could not be used", "Backpack could not use what you sent. Go back, check it and try again."},
	http.StatusTooManyRequests:       {"Too many attempts", "Please wait a little and try again."},
	http.StatusServiceUnavailable:    {"Backpack is busy", "Please try again in a moment."},
	http.StatusInternalServerError:   {"Something went wrong", "We could not finish that. It has been logged; please try again later."},
}

// errorStatuses is the one table from the domain's errors to HTTP
// statuses, so handlers just return what they got. Rows are tried in
// order with errors.Is or errors.As, so a wrapped error maps like the one
// it wraps. text, when set, is the sentence for that very error (the
// domain's errors carry codes, and words.go has the words for them);
// otherwise the status's own from userMessages.
var errorStatuses = []struct {
	match  func(error) bool
	status int
	text   func(error) string
}{
	{isError(store.ErrNotFound), http.StatusNotFound, nil},
	{isError(store.ErrConflict), http.StatusConflict, nil},
	{asError[*problem.Error], http.StatusUnprocessableEntity, func(err error) string {
		p, _ := errors.AsType[*problem.Error](err)
		return rejection(p.Code, p.Message)
	}},
	{asError[*badges.Refusal], http.StatusUnprocessableEntity, func(err error) string {
		r, _ := errors.AsType[*badges.Refusal](err)
		return refusalMessage(r)
	}},
	{asError[userError], http.StatusUnprocessableEntity, func(err error) string {
		u, _ := errors.AsType[userError](err)
		return u.msg
	}},
	{asError[*http.MaxBytesError], http.StatusRequestEntityTooLarge, nil},
}

func isError(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func asError[E error](err error) bool {
	_, ok := errors.AsType[E](err)
	return ok
}

// errorResponse is what a request that failed with err is answered: the
// status, and the heading and sentence the user reads. echo's own
// *HTTPError (an unknown path, a form that failed the CSRF checks, a rate
// limit) keeps its code; the domain's errors map by errorStatuses;
// anything else is a 500 whose text says nothing about it.
func errorResponse(err error) (status int, heading, text string) {
	status = http.StatusInternalServerError
	var say func(error) string
	if he, ok := errors.AsType[*echo.HTTPError](err); ok {
		status = he.Code
	} else {
		for _, row := range errorStatuses {
			if row.match(err) {
				status, say = row.status, row.text
				break
			}
		}
	}
	msg, ok := userMessages[status]
	if !ok {
		msg = userMessages[http.StatusInternalServerError]
		if status < 500 {
			msg = userMessages[http.StatusBadRequest]
		}
	}
	if say != nil {
		msg[1] = say(err)
	}
	return status, msg[0], msg[1]
}

// handleError is the one place errors become responses: a friendly page
// (or JSON on JSON routes, nothing for HEAD), never the internal error
// text. 5xx are logged as errors with the details, 4xx at debug level. A
// response already begun is left as it is.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, heading, text := errorResponse(err)
	req := c.Request()
	if status >= 500 {
		s.log.Error("request failed", "method", req.Method, "path", req.URL.Path, "status", status, "err", err)
	} else {
		s.log.Debug("request refused", "method", req.Method, "path", req.URL.Path, "status", status, "err", err)
	}
	if he, ok := errors.AsType[*echo.HTTPError](err); ok && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
		if secs, ok := he.Message.(retryAfter); ok {
			c.Response().Header().Set("Retry-After", secs.String())
		}
	}
	if req.Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	if wantsJSON(c) {
		c.JSON(status, map[string]any{"error": map[string]any{"status": status, "message": text}})
		return
	}
	if _, ok := c.Get(ctxCookie).(*sessions.Session); !ok {
		// The request failed before its session was loaded.
		sess, _ := s.cookies.New(c.Request(), s.cookie)
		c.Set(ctxCookie, sess)
	}
	page := templates.ErrorPage(s.base(c, heading), templates.Error{Status: status, Heading: heading, Text: text})
	if rerr := s.render(c, status, page); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		c.String(status, heading+"\n")
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
