package badges

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"backpack/openbadges"
	"backpack/openbadges/fetch"
	"backpack/store"
)

// Store is what the core needs of the database: the methods it calls,
// declared here where they are used, so a second engine or a test fake
// only has to provide these. *store.DB is one.
type Store interface {
	Identities(ctx context.Context, userID int64) ([]store.Identity, error)
	SaveBadge(ctx context.Context, b store.Badge) (int64, store.SaveOutcome, error)
	SetIssuerImage(ctx context.Context, issuerID, contentType string, b []byte, now time.Time) error
	IssuerImageUpdated(ctx context.Context, issuerID string) (time.Time, error)
	UpdateVerification(ctx context.Context, userID, id int64, v store.Verification) error
	BadgeByID(ctx context.Context, userID, id int64) (store.Badge, error)
	ClaimDue(ctx context.Context, now, before time.Time, limit int, lease time.Duration) ([]store.Badge, error)

	AddPending(ctx context.Context, p store.Pending) (int64, error)
	PendingImports(ctx context.Context, userID int64) ([]store.Pending, error)
	DeletePending(ctx context.Context, userID, id int64) error
	StorageUsed(ctx context.Context, userID int64) (int64, error)

	CreateImportJob(ctx context.Context, userID int64, name, collections string, now time.Time) (int64, error)
	AddImportItems(ctx context.Context, jobID int64, items []store.ImportItem) error
	QueueImportJob(ctx context.Context, jobID int64, total int) error
	DeleteReceivingJob(ctx context.Context, id int64) error
	DeleteReceivingJobs(ctx context.Context) (int, error)
	QueuedImportJobs(ctx context.Context) ([]store.ImportJob, error)
	QueuedImportJobCount(ctx context.Context, userID int64) (int, error)
	ClaimImportItems(ctx context.Context, jobID int64, n int, now time.Time, lease time.Duration) ([]store.ImportItem, error)
	UnfinishedImportItems(ctx context.Context, jobID int64) (int, error)
	FinishImportItem(ctx context.Context, it store.ImportItem) error
	ImportItems(ctx context.Context, jobID int64) ([]store.ImportItem, error)
	FinishImportJob(ctx context.Context, jobID int64, cols []store.NewCollection, now time.Time) error
}

var _ Store = (*store.DB)(nil)

// Fetcher fetches badge and issuer images; *fetch.Client, the guarded
// client, is the one to use.
type Fetcher interface {
	Get(ctx context.Context, rawURL, accept string, limit fetch.Limit) (*fetch.Response, error)
}

// Config is what the service is built from.
type Config struct {
	Store    Store
	Verifier *openbadges.Verifier // checks every badge; its Now should be Now
	Fetch    Fetcher              // images; nil: images are taken only from the badge itself
	Now      func() time.Time     // nil: time.Now
	Logger   *slog.Logger         // nil: slog.Default()
	// ImportLease is how long an import worker holds the items it took
	// (default 30 s): after a crash they wait that long to be redone.
	ImportLease time.Duration
	// ImportWorkers is how many users' imports RunImports serves at once
	// (default 2): a user whose issuer is slow holds up one of them.
	ImportWorkers int
	// ItemRate and ArchiveRate bound how fast one user may submit badges
	// (Import) and archives (StartImport); zero values take
	// DefaultItemRate and DefaultArchiveRate, a Burst below zero none.
	ItemRate, ArchiveRate Rate
	// Quota is how many bytes each user may keep: the originals of their
	// badges and pending badges, and each badge's image. 0: no limit.
	Quota int64
}

// Service keeps badges verified and in the backpack.
type Service struct {
	store    Store
	verifier *openbadges.Verifier
	fetch    Fetcher
	now      func() time.Time
	log      *slog.Logger
	lease    time.Duration
	workers  int
	sched    *scheduler
	items    *userRate
	archives *userRate
	quota    int64
	cleaned  sync.Once     // uploads cut off by a stop deleted
	wake     chan struct{} // new import work
}

// New builds the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Verifier == nil {
		return nil, errors.New("badges: Store and Verifier are required")
	}
	s := &Service{store: cfg.Store, verifier: cfg.Verifier, fetch: cfg.Fetch, now: cfg.Now, log: cfg.Logger,
		lease: cfg.ImportLease, workers: cfg.ImportWorkers, sched: newScheduler(), wake: make(chan struct{}, 1),
		items: newUserRate(or(cfg.ItemRate, DefaultItemRate)), archives: newUserRate(or(cfg.ArchiveRate, DefaultArchiveRate)),
		quota: cfg.Quota}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.lease <= 0 {
		s.lease = 30 * time.Second
	}
	if s.workers <= 0 {
		s.workers = 2
	}
	return s, nil
}

// VerifiedIdentities are the user's confirmed identities: the ones a badge
// may be issued to.
func (s *Service) VerifiedIdentities(ctx context.Context, userID int64) ([]openbadges.Identity, error) {
	all, err := s.store.Identities(ctx, userID)
	if err != nil {
		return nil, err
	}
	var ids []openbadges.Identity
	for _, id := range all {
		if id.Verified() {
			ids = append(ids, openbadges.Identity{Kind: id.Kind, Value: id.Value})
		}
	}
	return ids, nil
}
