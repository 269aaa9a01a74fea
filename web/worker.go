package web

import (
	"context"
	"encoding/json"
	"net/url"
	"sync"
	"time"

	"backpack/openbadges"
	"backpack/store"
)

// Reverifier re-checks stored badges in the background, so that a badge
// revoked or expired since it was added shows so. Each round claims a few
// badges whose last check is older than Every (a lease keeps two
// instances from doing the same one), verifies them with a bounded number
// at once per issuer host, and stores the result; an unreachable issuer
// leaves the last good result in place.
type Reverifier struct {
	Server *Server
	Every  time.Duration // how old a check may get; default 24 h
	Batch  int           // badges per round; default 20
	Tick   time.Duration // pause between rounds; default 1 min
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
			w.Server.log.Warn("re-verify", "err", err)
		} else if n > 0 {
			w.Server.log.Info("re-verified", "badges", n)
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
	s := w.Server
	now := s.now()
	due, err := s.cfg.Store.ClaimDue(ctx, now, now.Add(-or(w.Every, 24*time.Hour)), or(w.Batch, 20), 10*time.Minute)
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			w.check(ctx, b)
		}()
	}
	wg.Wait()
	return len(due), nil
}

func (w *Reverifier) check(ctx context.Context, b store.Badge) {
	s := w.Server
	ids, err := s.verifiedIdentities(ctx, b.UserID)
	if err != nil {
		s.log.Warn("re-verify: identities", "badge", b.ID, "err", err)
		return
	}
	v := verificationOf(s.cfg.Verifier.Verify(ctx, b.Original, ids), b, s.now())
	if err := s.cfg.Store.UpdateVerification(ctx, b.UserID, b.ID, v); err != nil {
		s.log.Warn("re-verify: store", "badge", b.ID, "err", err)
	}
}

// issuerHost is the host a badge's verification talks to most.
func issuerHost(b store.Badge) string {
	var ob openbadges.Badge
	if json.Unmarshal(b.BadgeJSON, &ob) == nil {
		for _, s := range []string{ob.ID, ob.Issuer.ID} {
			if u, err := url.Parse(s); err == nil && u.Host != "" {
				return u.Host
			}
		}
	}
	return ""
}
