package badges

import (
	"context"
	"encoding/json"
	"net/url"
	"sync"
	"time"

	"backpack/openbadges"
	"backpack/openbadges/problem"
	"backpack/store"
)

// Check verifies a stored badge again, now, and stores the result (see
// VerificationOf). It is "Verify now" for the owner and the
// re-verifier's check; viewers of public pages go through CheckForViewer.
// b must have been read with its original (else ErrNoOriginal). Its
// fetches count against the owner's share of the fetch slots.
func (s *Service) Check(ctx context.Context, b store.Badge) (store.Verification, error) {
	if len(b.Original) == 0 {
		return store.Verification{}, ErrNoOriginal
	}
	ctx = forUser(ctx, b.UserID)
	ids, err := s.VerifiedIdentities(ctx, b.UserID)
	if err != nil {
		return store.Verification{}, err
	}
	v := VerificationOf(s.verifier.Verify(ctx, b.Original, ids), b, s.now())
	return v, s.store.UpdateVerification(ctx, b.UserID, b.ID, v)
}

// VerificationOf turns a report on stored badge b into what the store
// keeps. An issuer that cannot be reached leaves the last good result in
// place (Reachable false); a report without badge data (a revoked hosted
// badge answers 410 and nothing else) keeps the badge data b had.
func VerificationOf(rep *openbadges.Report, b store.Badge, now time.Time) store.Verification {
	v := store.Verification{At: now, Reachable: true, BadgeJSON: b.BadgeJSON, Name: b.Name, IssuerName: b.IssuerName,
		Description: b.Description, Tags: b.Tags, IssuedOn: b.IssuedOn, Expires: b.Expires}
	// A revocation is news whatever else could not be fetched; otherwise an
	// issuer that could not be reached tells nothing new.
	for _, e := range rep.Errors {
		if e.Code == problem.FetchFailed && !rep.Revoked {
			v.Reachable = false
			return v
		}
	}
	status, ok := Keep(rep)
	switch {
	case rep.Revoked:
		v.Status = store.StatusRevoked
	case ok:
		v.Status = status
	default:
		v.Status = store.StatusUnverified
	}
	v.ReportJSON, _ = json.Marshal(rep)
	if rep.Badge != nil && rep.Badge.Name != "" {
		v.BadgeJSON, _ = json.Marshal(rep.Badge)
		v.Name, v.IssuerName, v.Description, v.Tags = rep.Badge.Name, rep.Badge.Issuer.Name, rep.Badge.Description, rep.Badge.Tags
		v.IssuedOn, v.Expires = rep.Badge.IssuedOn, rep.Badge.Expires
	}
	return v
}

// Reverifier checks stored badges again in the background, so that a badge
// revoked or expired since it was added shows so. Each round claims a few
// badges whose last check is older than Every (a lease keeps two instances
// from doing the same one), verifies them with a bounded number at once per
// issuer host, and stores the result; an unreachable issuer leaves the last
// good result in place.
type Reverifier struct {
	Service *Service
	Every   time.Duration // how old a check may get; default 24 h
	Batch   int           // badges per round; default 20
	Tick    time.Duration // pause between rounds; default 1 min
	// PerHost bounds concurrent verifications per issuer host (default 2),
	// so a backpack full of one issuer's badges does not hammer it.
	PerHost int
}

// Run re-verifies until ctx is done; it returns when the round in
// progress has finished.
func (w *Reverifier) Run(ctx context.Context) {
	t := time.NewTicker(or(w.Tick, time.Minute))
	defer t.Stop()
	for {
		if n, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Service.log.Warn("re-verify", "err", err)
		} else if n > 0 {
			w.Service.log.Info("re-verified", "badges", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// RunOnce claims one batch of due badges and re-verifies them. It returns
// how many it checked.
func (w *Reverifier) RunOnce(ctx context.Context) (int, error) {
	s := w.Service
	now := s.now()
	due, err := s.store.ClaimDue(ctx, now, now.Add(-or(w.Every, 24*time.Hour)), or(w.Batch, 20), 10*time.Minute)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		hosts = map[string]chan struct{}{}
	)
	slot := func(h string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if hosts[h] == nil {
			hosts[h] = make(chan struct{}, or(w.PerHost, 2))
		}
		return hosts[h]
	}
	for _, b := range due {
		sem := slot(issuerHost(b))
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := s.Check(ctx, b); err != nil {
				s.log.Warn("re-verify", "badge", b.ID, "err", err)
			}
		})
	}
	wg.Wait()
	return len(due), nil
}

// issuerHost is the host a badge's verification talks to most ("" when
// its stored badge cannot be read).
func issuerHost(b store.Badge) string {
	ob, _ := b.Badge() // unreadable: the zero badge, no host
	for _, s := range []string{ob.ID, ob.Issuer.ID} {
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			return u.Host
		}
	}
	return ""
}
