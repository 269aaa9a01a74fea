package web

import (
	"errors"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/semaphore"
)

// Request bodies are read once, by readForm (from csrf), after usersFirst
// and limitBody have run: a route for signed-in users has turned away a
// visitor, and the route's declared limit (the per-request budget) is in
// force. A multipart form holds at most formMemory of its files in
// memory; the rest goes to one temporary file in os.TempDir. An upload
// body (one that may reach the disk) is admitted only when the global
// upload budget has room for all of it, and its temporary files are
// removed and its share of the budget given back when the request ends,
// however it ends (the handler's answer, an error, a panic that Recover
// turns into a 500, a client that went away). net/http removes the files
// of the request it started itself too, but only that one, and only when
// it serves the request.

const (
	// formMemory is how many bytes of a multipart form's files are held
	// in memory; the rest is spooled to disk. (Go adds 10 MiB for the
	// non-file fields, within the route's body limit.)
	formMemory = 1 << 20
	// defaultUploadBudget is Config.UploadBudget when not set: two archive
	// uploads of the largest size at once.
	defaultUploadBudget = 2 * maxArchiveBody
	// uploadRetry is the Retry-After of an upload refused for the budget.
	uploadRetry = time.Minute
)

// errUploadsBusy answers an upload that does not fit in the budget now.
var errUploadsBusy = echo.NewHTTPError(http.StatusServiceUnavailable, retryAfter(uploadRetry))

// uploadBudget is the global budget of upload bytes received or held at
// once.
type uploadBudget struct {
	total int64
	sem   *semaphore.Weighted
}

func newUploadBudget(total int64) *uploadBudget {
	return &uploadBudget{total: total, sem: semaphore.NewWeighted(total)}
}

// readForm parses an urlencoded or multipart body within the route's body
// limit, so that a body over it is refused with its *http.MaxBytesError
// (413) even when it came without a length: FormValue would drop that
// error and see an empty form. Handlers then read the parsed form; a
// malformed body looks empty and is not read again. done removes the
// form's temporary files and gives its budget back; the caller defers it
// whatever the error.
func (s *Server) readForm(c echo.Context) (done func(), err error) {
	r := c.Request()
	release := func() {}
	done = release
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	multi := ct == "multipart/form-data"
	if multi {
		n := s.bodyRule(c).limit
		if r.ContentLength >= 0 {
			n = min(n, r.ContentLength)
		}
		if n > formMemory { // may reach the disk
			if !s.uploads.sem.TryAcquire(n) {
				return done, errUploadsBusy
			}
			release = func() { s.uploads.sem.Release(n) }
		}
	}
	err = r.ParseForm()
	if err == nil {
		err = r.ParseMultipartForm(formMemory)
	}
	parsed := r.MultipartForm
	done = func() {
		for _, f := range []*multipart.Form{parsed, c.Request().MultipartForm} {
			if f != nil {
				if rerr := f.RemoveAll(); rerr != nil {
					s.log.Error("remove the temporary files of an upload", "err", rerr)
				}
			}
		}
		release()
	}
	if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
		return done, err
	}
	if multi && parsed == nil {
		// Malformed or cut off: what was spooled is gone already
		// (ReadForm removes it on error). An empty form stops echo's
		// FormFile and FormValue from reading the rest of the body.
		r.MultipartForm = &multipart.Form{Value: map[string][]string{}, File: map[string][]*multipart.FileHeader{}}
		if r.Form == nil {
			r.Form = url.Values{}
		}
		if r.PostForm == nil {
			r.PostForm = url.Values{}
		}
	}
	return done, nil
}
