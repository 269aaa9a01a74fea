package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"backpack/badges/archive"
	"backpack/store"
	"backpack/templates"
)

// Bulk imports: a ZIP of badges (baked images, JSON, signed assertions), or
// a Backpack export, which also brings its collections back. The upload is
// checked whole (badges/archive refuses bombs, path tricks, links and too many
// files), its files are written to the database as the items of a job, and
// the ImportWorker imports them in the background, as the add-badges form
// would, one short transaction each. The job page shows the progress; jobs
// survive restarts and resume where they stopped.

// Bulk import limits.
const (
	maxArchiveBody = "1G"   // upload size
	maxJobItems    = 10_000 // badges in one import
	itemBatch      = 64     // items written per transaction on receipt
	itemsPerPage   = 500    // files listed on a job's page
	maxRunningJobs = 3      // unfinished imports a user may have at once
)

var archiveLimits = archive.Limits{MaxFiles: 3*maxJobItems + 16, MaxFileBytes: maxFileBytes, MaxTotalBytes: 2 << 30}

func (s *Server) registerImports(e *echo.Echo) {
	g := e.Group("/imports", s.requireUser)
	g.GET("", s.importJobs)
	g.POST("", s.startImport, middleware.BodyLimit(maxArchiveBody))
	g.GET("/:id", s.importJob)
}

// importJobs lists the user's bulk imports.
func (s *Server) importJobs(c echo.Context) error {
	jobs, err := s.cfg.Store.ImportJobs(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	v := templates.ImportJobs{}
	for _, j := range jobs {
		v.Jobs = append(v.Jobs, jobView(j))
	}
	return s.render(c, http.StatusOK, templates.ImportJobsPage(s.base(c, "Imports"), v))
}

func jobView(j store.ImportJob) templates.ImportJob {
	return templates.ImportJob{URL: fmt.Sprintf("/imports/%d", j.ID), Name: j.Name, Done: j.Done, Total: j.Total,
		Finished: j.State == store.JobDone, Outcomes: j.Outcomes, Message: j.Message, CreatedAt: j.CreatedAt}
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
		return notFound(err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if asJSON {
		return c.JSON(http.StatusOK, map[string]any{"done": j.Done, "total": j.Total, "finished": j.State == store.JobDone,
			"outcomes": j.Outcomes, "message": j.Message})
	}
	v := templates.ImportJobView{Job: jobView(j), JSONURL: fmt.Sprintf("/imports/%d.json", j.ID)}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	pages := max(1, (j.Total+itemsPerPage-1)/itemsPerPage)
	page = min(max(page, 1), pages)
	if page > 1 {
		v.Prev = fmt.Sprintf("/imports/%d?page=%d", j.ID, page-1)
	}
	if page < pages {
		v.Next = fmt.Sprintf("/imports/%d?page=%d", j.ID, page+1)
	}
	if pages > 1 {
		v.PageText = fmt.Sprintf("Files %d to %d of %d", (page-1)*itemsPerPage+1, min(page*itemsPerPage, j.Total), j.Total)
	}
	items, err := s.cfg.Store.ImportItemsPage(ctx, j.ID, (page-1)*itemsPerPage, itemsPerPage)
	if err != nil {
		return err
	}
	for _, it := range items {
		r := templates.ImportResult{Item: it.Name, Outcome: it.Outcome, Message: it.Message, Name: it.BadgeName}
		if !it.Done {
			r.Outcome, r.Message = "waiting", "Not imported yet."
		}
		if it.BadgeID != 0 {
			r.BadgeURL = fmt.Sprintf("/badges/%d", it.BadgeID)
		}
		v.Items = append(v.Items, r)
	}
	return s.render(c, http.StatusOK, templates.ImportJobPage(s.base(c, "Import of "+truncateText(j.Name, 60)), v))
}

// startImport receives an archive, checks it, writes its items and queues
// the job.
func (s *Server) startImport(c echo.Context) error {
	// A large upload may take longer than the server's read timeout.
	_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Now().Add(30 * time.Minute))
	fh, err := c.FormFile("archive")
	if err != nil {
		return s.importFormError(c, "Choose a ZIP file to import.")
	}
	running, err := s.cfg.Store.QueuedImportJobCount(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	if running >= maxRunningJobs {
		return s.importFormError(c, fmt.Sprintf("You have %d imports still running; start another when one of them has finished.", running))
	}
	f, err := fh.Open()
	if err != nil {
		return s.importFormError(c, "The ZIP file could not be read; try again.")
	}
	defer f.Close()
	ar, err := archive.Open(f, fh.Size, archiveLimits)
	if err != nil {
		return s.importFormError(c, archiveRefusal(err))
	}
	plan, err := planImport(ar)
	if err != nil {
		return s.importRefused(c, err)
	}
	name := truncateText(path.Base(strings.ReplaceAll(fh.Filename, "\\", "/")), 120)
	id, err := s.receive(c.Request().Context(), currentUser(c).ID, name, plan)
	if err != nil {
		return s.importRefused(c, err)
	}
	s.imports.wake()
	flash(c, "success", fmt.Sprintf("Received %d files. They are being imported: you can leave this page and come back.", len(plan.files)))
	return s.redirect(c, fmt.Sprintf("/imports/%d", id))
}

func archiveRefusal(err error) string {
	return "This ZIP file was not imported: " + err.Error()
}

// importPlan is what to import from an archive.
type importPlan struct {
	files       []planned
	collections string // JSON of []exportCollection, for an export
}

type planned struct {
	file archive.File
	kind string // "url" or ""
	ref  string // the export's badge id
}

// planImport picks the files to import: for a Backpack export, the
// originals its manifest lists (and its collections); otherwise every file.
func planImport(ar *archive.Archive) (importPlan, error) {
	var plan importPlan
	byName := map[string]archive.File{}
	for _, f := range ar.Files {
		byName[f.Name] = f
	}
	if mf, ok := byName["manifest.json"]; ok && mf.Skip == "" {
		var m exportManifest
		if b, err := readArchived(mf); err == nil && json.Unmarshal(b, &m) == nil && m.Format == exportFormat {
			if m.Version > exportVersion {
				return plan, userErrorf("This export is in a newer format (version %d) than this Backpack reads (version %d).", m.Version, exportVersion)
			}
			for _, b := range m.Badges {
				f, ok := byName[b.Original]
				if !ok {
					return plan, userErrorf("This export is incomplete: %s is listed but missing.", b.Original)
				}
				p := planned{file: f, ref: b.ID}
				if b.OriginalType == "url" {
					p.kind = "url"
				}
				plan.files = append(plan.files, p)
			}
			cols, _ := json.Marshal(nonNil(m.Collections))
			plan.collections = string(cols)
			return plan, checkCount(len(plan.files))
		}
	}
	for _, f := range ar.Files {
		plan.files = append(plan.files, planned{file: f})
	}
	if len(plan.files) == 0 {
		return plan, userError{"This ZIP file holds no files to import."}
	}
	return plan, checkCount(len(plan.files))
}

func checkCount(n int) error {
	if n > maxJobItems {
		return userErrorf("This ZIP file holds %d badges; at most %d can be imported at once. Split it in two.", n, maxJobItems)
	}
	return nil
}

// readArchived reads one file of the archive within its limits.
func readArchived(f archive.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// receive writes the plan's items in short transactions and queues the
// job. A file that turns out to be hostile while read (more bytes than it
// declared) refuses the whole archive, and the job is deleted.
func (s *Server) receive(ctx context.Context, userID int64, name string, plan importPlan) (int64, error) {
	id, err := s.cfg.Store.CreateImportJob(ctx, userID, name, plan.collections, s.now())
	if err != nil {
		return 0, err
	}
	var batch []store.ImportItem
	flush := func() error {
		err := s.cfg.Store.AddImportItems(ctx, id, batch)
		batch = batch[:0]
		return err
	}
	for i, p := range plan.files {
		it := store.ImportItem{Seq: i + 1, Name: p.file.Name, Kind: p.kind, Ref: p.ref, Skip: p.file.Skip}
		if it.Skip == "" {
			it.Data, err = readArchived(p.file)
			switch {
			case errors.Is(err, archive.ErrNested):
				it.Skip, it.Data = "An archive inside the archive is not opened: import it on its own.", nil
			case err != nil:
				s.abandon(id)
				return 0, userError{archiveRefusal(err)}
			}
		} else {
			it.Skip = "An archive inside the archive is not opened: import it on its own."
		}
		if batch = append(batch, it); len(batch) == itemBatch {
			if err := flush(); err != nil {
				s.abandon(id)
				return 0, err
			}
		}
	}
	if err := flush(); err != nil {
		s.abandon(id)
		return 0, err
	}
	return id, s.cfg.Store.QueueImportJob(ctx, id, len(plan.files))
}

// abandon deletes a job whose receipt failed (as a restart would).
func (s *Server) abandon(id int64) {
	if err := s.cfg.Store.DeleteReceivingJob(context.Background(), id); err != nil {
		s.log.Error("import: abandon job", "job", id, "err", err)
	}
}

// importWorker runs the queued jobs. wake tells it there is new work.
type importWorker struct {
	s      *Server
	signal chan struct{}
}

func (w *importWorker) wake() {
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

// RunImports imports the queued jobs' items until ctx is done, jobs in
// turn a few items at a time, so that one large import does not hold up
// everyone else's. Items are claimed for Config.ImportLease, so that
// several instances on one database never import the same item; the items
// of a worker that stopped are taken again once its claim runs out. It first deletes the jobs a stop cut off while they
// were received; jobs that were queued resume where they were.
func (s *Server) RunImports(ctx context.Context) {
	if n, err := s.cfg.Store.DeleteReceivingJobs(ctx); err != nil {
		s.log.Error("imports: clean up", "err", err)
	} else if n > 0 {
		s.log.Info("imports: deleted uploads cut off by a stop", "jobs", n)
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		busy, err := s.importRound(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("imports", "err", err)
		}
		if busy && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.imports.signal:
		case <-tick.C:
		}
	}
}

// importRound imports a few items of every queued job; busy reports
// whether there was anything to do.
func (s *Server) importRound(ctx context.Context) (busy bool, err error) {
	jobs, err := s.cfg.Store.QueuedImportJobs(ctx)
	if err != nil {
		return false, err
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return true, nil
		}
		items, err := s.cfg.Store.ClaimImportItems(ctx, j.ID, 8, s.now(), s.cfg.ImportLease)
		if err != nil {
			return true, err
		}
		if len(items) == 0 {
			// Done, unless another worker holds the rest.
			left, err := s.cfg.Store.UnfinishedImportItems(ctx, j.ID)
			if err != nil {
				return true, err
			}
			if left == 0 {
				if err := s.finishJob(ctx, j); err != nil {
					return true, err
				}
			}
			continue
		}
		busy = true
		ids, err := s.verifiedIdentities(ctx, j.UserID)
		if err != nil {
			return true, err
		}
		for _, it := range items {
			res := templates.ImportResult{Outcome: "rejected", Message: it.Skip}
			if it.Skip == "" {
				res = s.importOne(ctx, j.UserID, ids, importItem{label: it.Name, data: it.Data, kind: it.Kind,
					from: &store.ItemOutcome{JobID: it.JobID, Seq: it.Seq}})
			}
			if ctx.Err() != nil {
				return true, nil // stopped mid-item: it is done again after the restart
			}
			if res.BadgeURL != "" {
				continue // saved: SaveBadge recorded the item's outcome with the badge
			}
			it.Outcome, it.Message, it.BadgeName = res.Outcome, res.Message, res.Name
			if err := s.cfg.Store.FinishImportItem(ctx, it); err != nil {
				return true, err
			}
		}
	}
	return busy, nil
}

// finishJob recreates an export's collections from the badges its items
// became, and marks the job done.
func (s *Server) finishJob(ctx context.Context, j store.ImportJob) error {
	var cols []store.NewCollection
	if j.Collections != "" {
		var ecs []exportCollection
		if err := json.Unmarshal([]byte(j.Collections), &ecs); err != nil {
			return fmt.Errorf("job %d: collections: %w", j.ID, err)
		}
		items, err := s.cfg.Store.ImportItems(ctx, j.ID)
		if err != nil {
			return err
		}
		badgeOf := map[string]int64{}
		for _, it := range items {
			if it.Ref != "" && it.BadgeID != 0 {
				badgeOf[it.Ref] = it.BadgeID
			}
		}
		for _, ec := range ecs {
			nc := store.NewCollection{Name: truncateText(ec.Name, maxCollectionName), Description: ec.Description,
				Shared: ec.Shared, Indexable: ec.Indexable, Slug: rand.Text()}
			for _, ref := range ec.Badges {
				if id, ok := badgeOf[ref]; ok {
					nc.BadgeIDs = append(nc.BadgeIDs, id)
				}
			}
			cols = append(cols, nc)
		}
	}
	msg := "Finished."
	if len(cols) > 0 {
		msg = fmt.Sprintf("Finished, and %d collections were recreated.", len(cols))
	}
	return s.cfg.Store.FinishImportJob(ctx, j.ID, cols, msg, s.now())
}
