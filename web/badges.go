package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"backpack/templates"
)

func (s *Server) registerBadges(e *echo.Echo) {
	g := e.Group("/badges", s.requireUser)
	g.GET("", s.badges)
}

// badges is the backpack. Badges arrive with the import feature; until then
// it shows the empty state.
func (s *Server) badges(c echo.Context) error {
	return s.render(c, http.StatusOK, templates.Badges(s.base(c, "My badges")))
}
