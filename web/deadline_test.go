package web

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// A request's work ends with its route's time: a handler still working when
// the server has stopped writing to the client sees its context end.
func TestRequestWorkEndsWithItsDeadline(t *testing.T) {
	a := newApp(t, func(c *Config) { c.RequestTimeout = 20 * time.Millisecond })
	seen := make(chan error, 1)
	a.Echo().GET("/test/slow", func(c echo.Context) error {
		<-c.Request().Context().Done() // a verification that would go on for ever
		seen <- c.Request().Context().Err()
		return c.NoContent(http.StatusNoContent)
	})
	go a.browser(t).get("/test/slow")
	select {
	case err := <-seen:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the handler's context ended with %v, want the deadline", err)
		}
	case <-time.After(10 * time.Second): // a timeout of the test, not a measure
		t.Fatal("the handler's context never ended")
	}
}

// Routes that stream for longer (the export, the ZIP upload) declare it;
// every other route gets RequestTimeout. Read from each handler's context
// deadline, so nothing here waits.
func TestRoutesDeclareTheirWorkDeadline(t *testing.T) {
	a := newApp(t)
	deadlines := map[string]time.Time{}
	probe := func(name string) echo.MiddlewareFunc {
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				if d, ok := c.Request().Context().Deadline(); ok {
					deadlines[name] = d
				}
				return c.NoContent(http.StatusNoContent)
			}
		}
	}
	a.takesLong(a.Echo().GET("/test/long", func(echo.Context) error { return nil }, probe("long")), exportWrite)
	a.Echo().GET("/test/plain", func(echo.Context) error { return nil }, probe("plain"))
	b := a.browser(t)
	b.get("/test/long")
	b.get("/test/plain")
	// The two requests came one after the other: their deadlines differ by
	// the difference of their routes' times (read from the deadlines
	// themselves, not from a clock), give or take the time between them.
	if deadlines["long"].IsZero() || deadlines["plain"].IsZero() {
		t.Fatalf("no deadline: %v", deadlines)
	}
	if d, want := deadlines["long"].Sub(deadlines["plain"]), exportWrite-60*time.Second; d < want-time.Minute || d > want {
		t.Errorf("the long route has %v more than an ordinary one, want about %v (30 min against the 60 s default)", d, want)
	}
	for _, want := range []string{"GET /settings/export.zip", "GET /settings/export/data.json", "POST /imports"} {
		if _, ok := a.long[want]; !ok {
			t.Errorf("%s does not declare that it takes long", want)
		}
	}
}
