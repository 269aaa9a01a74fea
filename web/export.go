package web

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/badges"
	"backpack/store"
)

// The export (Settings → Export everything): one ZIP in the format the
// badges core writes and reads back (badges.WriteExport), from one
// snapshot of the database; and data.json on its own.
//
// A download goes at the client's pace, which may be very slow. So the
// snapshot is first written, at the disk's pace, to an unnamed temporary
// file (removed as soon as it is created: nothing is left behind, even by
// a crash), and only then sent: no database connection is held while the
// client reads. Each user prepares or downloads one export at a time, so
// the temporary files of all exports together are never much larger than
// the data they copy.

// exportStore is what the export download needs of the store.
type exportStore interface {
	Snapshot(ctx context.Context, userID int64, fn func(*store.Snapshot) error) error
}

// exportRetry is the Retry-After of a second export while one runs.
const exportRetry = 30 * time.Second

func (s *Server) exportArchive(c echo.Context) error {
	now := s.now()
	return s.sendSnapshot(c, "application/zip", fmt.Sprintf("backpack-export-%s.zip", now.UTC().Format("2006-01-02")),
		func(w io.Writer, snap *store.Snapshot) error {
			zw := zip.NewWriter(w)
			if err := badges.WriteExport(zw, snap, now); err != nil {
				return err
			}
			return zw.Close()
		})
}

// exportData serves data.json on its own, for data-protection requests.
func (s *Server) exportData(c echo.Context) error {
	now := s.now()
	return s.sendSnapshot(c, "application/json", fmt.Sprintf("backpack-data-%s.json", now.UTC().Format("2006-01-02")),
		func(w io.Writer, snap *store.Snapshot) error { return badges.WriteData(w, snap, now) })
}

// sendSnapshot writes what write makes of one snapshot of the signed-in
// user's data to an unnamed temporary file, gives the snapshot back, and
// then sends the file as an attachment called name.
func (s *Server) sendSnapshot(c echo.Context, contentType, name string, write func(io.Writer, *store.Snapshot) error) error {
	user := currentUser(c)
	if !s.exports.start(user.ID) {
		return tooMany(exportRetry)
	}
	defer s.exports.end(user.ID)
	f, err := os.CreateTemp("", "backpack-export-")
	if err != nil {
		return err
	}
	defer f.Close()
	defer os.Remove(f.Name()) // where an open file cannot be removed
	os.Remove(f.Name())
	if err := s.cfg.Store.Snapshot(c.Request().Context(), user.ID, func(snap *store.Snapshot) error {
		return write(f, snap)
	}); err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return err
	}
	longWrite(c)
	h := c.Response().Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	_, err = io.Copy(c.Response(), f) // a client gone: the answer is begun, nothing more to say
	return err
}

// exportSlots are the users with an export being prepared or sent.
type exportSlots struct {
	mu    sync.Mutex
	users map[int64]bool
}

func (e *exportSlots) start(userID int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.users[userID] {
		return false
	}
	if e.users == nil {
		e.users = map[int64]bool{}
	}
	e.users[userID] = true
	return true
}

func (e *exportSlots) end(userID int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.users, userID)
}

// exportWrite is how long an export download may take (its route's work
// deadline, and its write deadline).
const exportWrite = 30 * time.Minute

// longWrite lets a large download take longer than the server's write
// timeout (made for pages): half an hour.
func longWrite(c echo.Context) {
	_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(exportWrite))
}
