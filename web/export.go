package web

import (
	"archive/zip"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/badges"
	"backpack/store"
)

// The export (Settings → Export everything): one ZIP in the format the
// badges core writes and reads back (badges.WriteExport), streamed as it
// is read from one snapshot of the database; and data.json on its own.

// exportStore is what the export download needs of the store.
type exportStore interface {
	Snapshot(ctx context.Context, userID int64, fn func(*store.Snapshot) error) error
}

func (s *Server) exportArchive(c echo.Context) error {
	user := currentUser(c)
	now := s.now()
	longWrite(c)
	h := c.Response().Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="backpack-export-%s.zip"`, now.UTC().Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	return s.cfg.Store.Snapshot(c.Request().Context(), user.ID, func(snap *store.Snapshot) error {
		c.Response().WriteHeader(http.StatusOK)
		zw := zip.NewWriter(c.Response())
		if err := badges.WriteExport(zw, snap, now); err != nil {
			// The status is sent; a cut-off archive is what the client
			// sees. Log why.
			s.log.Error("export", "user", user.ID, "err", err)
			return nil
		}
		return zw.Close()
	})
}

// exportData serves data.json on its own, for data-protection requests.
func (s *Server) exportData(c echo.Context) error {
	user := currentUser(c)
	now := s.now()
	longWrite(c)
	h := c.Response().Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="backpack-data-%s.json"`, now.UTC().Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	return s.cfg.Store.Snapshot(c.Request().Context(), user.ID, func(snap *store.Snapshot) error {
		c.Response().WriteHeader(http.StatusOK)
		if err := badges.WriteData(c.Response(), snap, now); err != nil {
			s.log.Error("export data", "user", user.ID, "err", err)
		}
		return nil
	})
}

// longWrite lets a large download take longer than the server's write
// timeout (made for pages): half an hour.
func longWrite(c echo.Context) {
	_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(30 * time.Minute))
}
