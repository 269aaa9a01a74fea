package badges

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"backpack/badges/archive"
	"backpack/store"
)

// Bulk imports: a ZIP of badges (baked images, JSON, signed assertions), or
// a Backpack export, which also brings its collections back. The archive is
// checked whole (badges/archive refuses bombs, path tricks, links and too
// many files), its files are written to the database as the items of a job,
// and RunImports imports them in the background exactly as Import does, one
// short transaction each. Jobs survive restarts and resume where they
// stopped.

// Bulk import limits.
const (
	MaxJobItems    = 10_000 // badges in one import
	MaxRunningJobs = 3      // unfinished imports a user may have at once
	itemBatch      = 64     // items written per transaction on receipt
	claimBatch     = 8      // items of one user a worker takes in one turn
)

// Collection limits: what an owner may make by hand (web/collections.go
// uses the first two), and what an export may bring back at once.
const (
	MaxCollectionName        = 120    // characters of a collection's name (not empty)
	MaxCollectionDescription = 10_000 // bytes of its description
	MaxImportedCollections   = 1_000  // collections in one export
	// MaxImportedEntries bounds the badges of an export's collections
	// together (a badge in three collections counts three times): ten
	// collections of every badge of a full import.
	MaxImportedEntries = 10 * MaxJobItems
)

var archiveLimits = archive.Limits{MaxFiles: 3*MaxJobItems + 16, MaxFileBytes: MaxFileBytes, MaxTotalBytes: 2 << 30}

// Refusal is StartImport refusing an archive before anything is imported,
// or Import refusing a whole submission. Code says why; Detail, N, Max and
// Wait go with it.
type Refusal struct {
	Code   Code
	Detail string        // the archive's own explanation, naming the entry; or the missing entry
	N, Max int           // counts: running imports, badges, export versions
	Wait   time.Duration // how long until trying again can succeed, when that is known
}

// Codes of refusals.
const (
	CodeTooManyImports   Code = "too-many-imports"  // N running, at most Max
	CodeArchiveUnsafe    Code = "archive-unsafe"    // Detail names the entry and the trouble
	CodeArchiveEmpty     Code = "archive-empty"     // no files to import
	CodeTooManyBadges    Code = "too-many-badges"   // N badges, at most Max
	CodeExportNewer      Code = "export-newer"      // export format version N, this reads Max
	CodeExportIncomplete Code = "export-incomplete" // Detail: the listed file that is missing

	// An export's collections must be ones the owner could have made by
	// hand: otherwise the archive is refused, naming the first collection
	// in trouble (Detail: its name, cut to 60 characters; N: its place,
	// from 1, or the count; Max: the limit).
	CodeTooManyCollections           Code = "too-many-collections"            // N collections, at most Max
	CodeTooManyCollectionEntries     Code = "too-many-collection-entries"     // N badges in all collections, at most Max
	CodeCollectionUnnamed            Code = "collection-unnamed"              // the N-th collection has no name
	CodeCollectionNameTooLong        Code = "collection-name-too-long"        // Detail's name is longer than Max characters
	CodeCollectionDescriptionTooLong Code = "collection-description-too-long" // Detail's description is longer than Max bytes
	CodeCollectionTooManyBadges      Code = "collection-too-many-badges"      // Detail lists N badges; the export has Max
)

func (r *Refusal) Error() string {
	return fmt.Sprintf("badges: import refused: %s (%s; %d/%d)", r.Code, r.Detail, r.N, r.Max)
}

// StartImport reads an archive of size bytes, checks it whole, writes its
// items and queues the job for RunImports; it returns the job's id and how
// many files it holds. A *Refusal says why an archive is not imported (a
// user who started many in a short time is asked to wait: Wait); other
// errors are Backpack's own. name is the file name the earner knows
// it by.
func (s *Service) StartImport(ctx context.Context, userID int64, name string, r io.ReaderAt, size int64) (id int64, files int, err error) {
	s.cleanUp(ctx)
	running, err := s.store.QueuedImportJobCount(ctx, userID)
	if err != nil {
		return 0, 0, err
	}
	if running >= MaxRunningJobs {
		return 0, 0, &Refusal{Code: CodeTooManyImports, N: running, Max: MaxRunningJobs}
	}
	if ok, wait := s.archives.take(userID, 1, s.now()); !ok {
		return 0, 0, &Refusal{Code: CodeTooManySubmissions, N: 1, Wait: wait}
	}
	ar, err := archive.Open(r, size, archiveLimits)
	if err != nil {
		return 0, 0, unsafe(err)
	}
	plan, err := planImport(ar)
	if err != nil {
		return 0, 0, err
	}
	id, err = s.receive(ctx, userID, name, plan)
	if err != nil {
		return 0, 0, err
	}
	s.Wake()
	return id, len(plan.files), nil
}

// unsafe is the refusal of an archive that badges/archive found hostile.
func unsafe(err error) *Refusal {
	return &Refusal{Code: CodeArchiveUnsafe, Detail: err.Error()}
}

// importPlan is what to import from an archive.
type importPlan struct {
	files       []planned
	collections string // JSON of []ManifestCollection, for an export
}

type planned struct {
	file archive.File
	url  bool   // the file holds the URL the badge was added from
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
		var m Manifest
		if b, err := readArchived(mf); err == nil && json.Unmarshal(b, &m) == nil && m.Format == ExportFormat {
			if m.Version > ExportVersion {
				return plan, &Refusal{Code: CodeExportNewer, N: m.Version, Max: ExportVersion}
			}
			for _, b := range m.Badges {
				f, ok := byName[b.Original]
				if !ok {
					return plan, &Refusal{Code: CodeExportIncomplete, Detail: b.Original}
				}
				plan.files = append(plan.files, planned{file: f, ref: b.ID, url: b.OriginalType == "url"})
			}
			if err := checkCount(len(plan.files)); err != nil {
				return plan, err
			}
			if err := checkCollections(m.Collections, len(m.Badges)); err != nil {
				return plan, err
			}
			cols, _ := json.Marshal(nonNil(m.Collections))
			plan.collections = string(cols)
			return plan, nil
		}
	}
	for _, f := range ar.Files {
		plan.files = append(plan.files, planned{file: f})
	}
	if len(plan.files) == 0 {
		return plan, &Refusal{Code: CodeArchiveEmpty}
	}
	return plan, checkCount(len(plan.files))
}

// checkCollections holds an export's collections to the limits an owner
// has by hand (and trims their names and descriptions, as the form does);
// badges is how many badges the export lists: a collection holds each at
// most once.
func checkCollections(cols []ManifestCollection, badges int) error {
	if len(cols) > MaxImportedCollections {
		return &Refusal{Code: CodeTooManyCollections, N: len(cols), Max: MaxImportedCollections}
	}
	entries := 0
	for i := range cols {
		c := &cols[i]
		c.Name, c.Description = strings.TrimSpace(c.Name), strings.TrimSpace(c.Description)
		name := truncate(c.Name, 60)
		switch {
		case c.Name == "":
			return &Refusal{Code: CodeCollectionUnnamed, N: i + 1}
		case utf8.RuneCountInString(c.Name) > MaxCollectionName:
			return &Refusal{Code: CodeCollectionNameTooLong, Detail: name, N: utf8.RuneCountInString(c.Name), Max: MaxCollectionName}
		case len(c.Description) > MaxCollectionDescription:
			return &Refusal{Code: CodeCollectionDescriptionTooLong, Detail: name, N: len(c.Description), Max: MaxCollectionDescription}
		case len(c.Badges) > badges:
			return &Refusal{Code: CodeCollectionTooManyBadges, Detail: name, N: len(c.Badges), Max: badges}
		}
		entries += len(c.Badges)
	}
	if entries > MaxImportedEntries {
		return &Refusal{Code: CodeTooManyCollectionEntries, N: entries, Max: MaxImportedEntries}
	}
	return nil
}

func checkCount(n int) error {
	if n > MaxJobItems {
		return &Refusal{Code: CodeTooManyBadges, N: n, Max: MaxJobItems}
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
func (s *Service) receive(ctx context.Context, userID int64, name string, plan importPlan) (int64, error) {
	id, err := s.store.CreateImportJob(ctx, userID, name, plan.collections, s.now())
	if err != nil {
		return 0, err
	}
	var batch []store.ImportItem
	flush := func() error {
		err := s.store.AddImportItems(ctx, id, batch)
		batch = batch[:0]
		return err
	}
	for i, p := range plan.files {
		it := store.ImportItem{Seq: i + 1, Name: p.file.Name, Ref: p.ref}
		if p.url {
			it.Kind = "url"
		}
		if p.file.Skip != "" {
			it.Skip = string(CodeNestedArchive)
		} else {
			it.Data, err = readArchived(p.file)
			switch {
			case errors.Is(err, archive.ErrNested):
				it.Skip, it.Data = string(CodeNestedArchive), nil
			case err != nil:
				s.abandon(id)
				return 0, unsafe(err)
			}
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
	return id, s.store.QueueImportJob(ctx, id, len(plan.files))
}

// abandon deletes a job whose receipt failed (as a restart would).
func (s *Service) abandon(id int64) {
	if err := s.store.DeleteReceivingJob(context.Background(), id); err != nil {
		s.log.Error("import: abandon job", "job", id, "err", err)
	}
}

// Wake tells RunImports there is new work.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RunImports imports the queued jobs' items until ctx is done, with
// Config.ImportWorkers workers each running ImportRound: every user with
// queued imports gets a turn of a few items in each round, and no user is
// served by two workers at once, so one large import (or one slow issuer)
// does not hold up everyone else's. Items are claimed for
// Config.ImportLease, so that several instances on one database never
// import the same item; the items of a worker that stopped are taken again
// once its claim runs out. It first deletes the jobs a stop cut off while
// they were received; jobs that were queued resume where they were.
func (s *Service) RunImports(ctx context.Context) {
	s.cleanUp(ctx)
	var wg sync.WaitGroup
	for range s.workers {
		wg.Go(func() { s.importWorker(ctx) })
	}
	wg.Wait()
}

// cleanUp deletes, once, the jobs a stop cut off while they were received.
// StartImport calls it too, before receiving anything, so that it can never
// delete an upload of this process in progress.
func (s *Service) cleanUp(ctx context.Context) {
	s.cleaned.Do(func() {
		if n, err := s.store.DeleteReceivingJobs(ctx); err != nil {
			s.log.Error("imports: clean up", "err", err)
		} else if n > 0 {
			s.log.Info("imports: deleted uploads cut off by a stop", "jobs", n)
		}
	})
}

func (s *Service) importWorker(ctx context.Context) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		busy, err := s.ImportRound(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("imports", "err", err)
		}
		if busy && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// ImportRound gives every user with queued imports one turn (see
// importTurn), users served longest ago first, skipping those another
// worker is serving; busy reports whether there was anything to import
// (or may be: another worker skipped a user this one was serving).
func (s *Service) ImportRound(ctx context.Context) (busy bool, err error) {
	jobs, err := s.store.QueuedImportJobs(ctx)
	if err != nil {
		return false, err
	}
	users := s.sched.order(jobs)
	for i, u := range users {
		if ctx.Err() != nil {
			return true, nil
		}
		if !s.sched.begin(u.userID) {
			continue
		}
		if i+1 < len(users) {
			s.Wake() // an idle worker may serve the others meanwhile
		}
		b, err := s.importTurn(ctx, u.jobs)
		missed := s.sched.end(u.userID)
		busy = busy || b || missed // missed: look again, rather than wait
		if err != nil {
			return true, err
		}
	}
	return busy, nil
}

// importTurn imports up to claimBatch items of the user's oldest job with
// items to take, finishing on the way the jobs with nothing left to do;
// busy reports whether it imported anything.
func (s *Service) importTurn(ctx context.Context, jobs []store.ImportJob) (busy bool, err error) {
	for _, j := range jobs {
		items, err := s.store.ClaimImportItems(ctx, j.ID, claimBatch, s.now(), s.lease)
		if err != nil {
			return false, err
		}
		if len(items) == 0 {
			// Done, unless another worker holds the rest.
			left, err := s.store.UnfinishedImportItems(ctx, j.ID)
			if err != nil {
				return false, err
			}
			if left == 0 {
				if err := s.finishJob(ctx, j); err != nil {
					return false, err
				}
			}
			continue
		}
		return true, s.importItems(ctx, j, items)
	}
	return false, nil
}

// importItems imports the items claimed from job j.
func (s *Service) importItems(ctx context.Context, j store.ImportJob, items []store.ImportItem) error {
	ids, err := s.VerifiedIdentities(ctx, j.UserID)
	if err != nil {
		return err
	}
	for _, it := range items {
		res := Result{Outcome: Rejected, Code: Code(it.Skip)}
		if it.Skip == "" {
			res = s.importOne(ctx, j.UserID, ids, Item{Label: it.Name, Data: it.Data, URL: it.Kind == "url",
				from: &store.ItemOutcome{JobID: it.JobID, Seq: it.Seq}})
		}
		if ctx.Err() != nil {
			return nil // stopped mid-item: it is done again after the restart
		}
		if res.Saved() {
			continue // SaveBadge recorded the item's outcome with the badge
		}
		it.Outcome, it.Code, it.Detail, it.BadgeName = string(res.Outcome), string(res.Code), res.Detail, res.Name
		if err := s.store.FinishImportItem(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// finishJob recreates an export's collections from the badges its items
// became, and marks the job done.
func (s *Service) finishJob(ctx context.Context, j store.ImportJob) error {
	var cols []store.NewCollection
	if j.Collections != "" {
		var ecs []ManifestCollection
		if err := json.Unmarshal([]byte(j.Collections), &ecs); err != nil {
			return fmt.Errorf("job %d: collections: %w", j.ID, err)
		}
		items, err := s.store.ImportItems(ctx, j.ID)
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
			nc := store.NewCollection{Name: truncate(ec.Name, MaxCollectionName), Description: ec.Description,
				Shared: ec.Shared, Indexable: ec.Indexable, Slug: rand.Text()}
			for _, ref := range ec.Badges {
				if id, ok := badgeOf[ref]; ok {
					nc.BadgeIDs = append(nc.BadgeIDs, id)
				}
			}
			cols = append(cols, nc)
		}
	}
	return s.store.FinishImportJob(ctx, j.ID, cols, s.now())
}

// truncate keeps at most n characters of s, marking a cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
