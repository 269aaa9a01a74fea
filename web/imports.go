package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/badges"
	"backpack/store"
	"backpack/templates"
)

// Bulk imports: a ZIP of badges or a Backpack export, received here and
// handed to the badges core (badges.StartImport), which checks it, writes
// its files as the items of a job and imports them in the background. The
// job page shows the progress.

// importStore is what the import job pages need of the store.
type importStore interface {
	ImportItemsPage(ctx context.Context, jobID int64, offset, limit int) ([]store.ImportItem, error)
	ImportJob(ctx context.Context, userID, id int64) (store.ImportJob, error)
	ImportJobs(ctx context.Context, userID int64) ([]store.ImportJob, error)
}

// Bulk import pages and upload.
const (
	maxArchiveBody = 1 << 30          // upload size
	archiveRead    = 30 * time.Minute // how long an upload may take: longer than the server's read timeout
	itemsPerPage   = 500              // files listed on a job's page
)

// Route names, for s.url. A job's progress is its page's id with .json.
const (
	routeImports = "imports"
	routeImport  = "import"
)

func (s *Server) registerImports(e *echo.Echo) {
	g := s.usersOnly(e, "/imports")
	g.GET("", s.importJobs).Name = routeImports
	s.takesLong(s.acceptBody(g.POST("", s.startImport), maxArchiveBody, archiveRead), archiveRead+time.Minute).Name = routeImports
	g.GET("/:id", s.importJob).Name = routeImport
}

// importJobs lists the user's bulk imports.
func (s *Server) importJobs(c echo.Context) error {
	jobs, err := s.cfg.Store.ImportJobs(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	v := templates.ImportJobs{}
	for _, j := range jobs {
		v.Jobs = append(v.Jobs, s.jobView(j))
	}
	return s.render(c, http.StatusOK, templates.ImportJobsPage(s.base(c, "Imports"), v))
}

func (s *Server) jobView(j store.ImportJob) templates.ImportJob {
	return templates.ImportJob{URL: s.url(routeImport, j.ID), Name: j.Name, Done: j.Done, Total: j.Total,
		Finished: j.State == store.JobDone, Outcomes: j.Outcomes, Message: jobMessage(j), CreatedAt: j.CreatedAt}
}

// importProgressJSON is a job's progress, for the job page's script.
type importProgressJSON struct {
	Done     int            `json:"done"`
	Total    int            `json:"total"`
	Finished bool           `json:"finished"`
	Outcomes map[string]int `json:"outcomes"`
	Message  string         `json:"message"`
}

// importJob shows one job: progress, then every item's outcome. As JSON,
// the progress only, for the page's script.
func (s *Server) importJob(c echo.Context) error {
	idText, asJSON := strings.CutSuffix(c.Param("id"), ".json")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	j, err := s.cfg.Store.ImportJob(ctx, currentUser(c).ID, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if asJSON {
		return c.JSON(http.StatusOK, importProgressJSON{Done: j.Done, Total: j.Total, Finished: j.State == store.JobDone,
			Outcomes: j.Outcomes, Message: jobMessage(j)})
	}
	v := templates.ImportJobView{Job: s.jobView(j), JSONURL: s.url(routeImport, j.ID) + ".json"}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	pages := max(1, (j.Total+itemsPerPage-1)/itemsPerPage)
	page = min(max(page, 1), pages)
	if page > 1 {
		v.Prev = s.url(routeImport, j.ID) + "?page=" + strconv.Itoa(page-1)
	}
	if page < pages {
		v.Next = s.url(routeImport, j.ID) + "?page=" + strconv.Itoa(page+1)
	}
	if pages > 1 {
		v.PageText = fmt.Sprintf("Files %d to %d of %d", (page-1)*itemsPerPage+1, min(page*itemsPerPage, j.Total), j.Total)
	}
	items, err := s.cfg.Store.ImportItemsPage(ctx, j.ID, (page-1)*itemsPerPage, itemsPerPage)
	if err != nil {
		return err
	}
	for _, it := range items {
		r := templates.ImportResult{Item: it.Name, Outcome: it.Outcome, Message: itemMessage(it), Name: it.BadgeName}
		if !it.Done {
			r.Outcome = "waiting"
		}
		if it.BadgeID != 0 {
			r.BadgeURL = s.url(routeBadge, it.BadgeID)
		}
		v.Items = append(v.Items, r)
	}
	return s.render(c, http.StatusOK, templates.ImportJobPage(s.base(c, "Import of "+truncateText(j.Name, 60)), v))
}

// startImport receives an archive and hands it to the core, which checks
// it, writes its items and queues the job.
func (s *Server) startImport(c echo.Context) error {
	fh, err := c.FormFile("archive")
	if err != nil {
		return s.importFormError(c, "Choose a ZIP file to import.")
	}
	f, err := fh.Open()
	if err != nil {
		return s.importFormError(c, "The ZIP file could not be read; try again.")
	}
	defer f.Close()
	name := truncateText(path.Base(strings.ReplaceAll(fh.Filename, "\\", "/")), 120)
	id, files, err := s.core.StartImport(c.Request().Context(), currentUser(c).ID, name, f, fh.Size)
	var refusal *badges.Refusal
	switch {
	case errors.As(err, &refusal):
		return s.importRefusal(c, refusal)
	case err != nil:
		return err
	}
	flash(c, "success", fmt.Sprintf("Received %d files. They are being imported: you can leave this page and come back.", files))
	return s.redirect(c, s.url(routeImport, id))
}
