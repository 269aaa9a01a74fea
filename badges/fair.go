package badges

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"sync"

	"backpack/openbadges/fetch"
	"backpack/store"
)

// Fair shares. Import work is shared between users, not between jobs or
// requests: a round of the import worker gives every user with queued
// imports one turn of at most claimBatch items, whatever number of jobs
// they queued, users served longest ago first (a newcomer goes first), and
// a user is served by one worker at a time, so a user whose issuer answers
// slowly holds up one worker, not the others. Every fetch the core makes
// for a user's badge counts against that user's share of the guarded
// client's slots (fetch.ForOwner).

// scheduler remembers, in this process, whose turn it is.
type scheduler struct {
	mu      sync.Mutex
	tick    uint64
	served  map[int64]uint64 // user → tick of their last turn
	running map[int64]bool   // users whose turn is under way
	missed  map[int64]bool   // running users another worker found work for
}

func newScheduler() *scheduler {
	return &scheduler{served: map[int64]uint64{}, running: map[int64]bool{}, missed: map[int64]bool{}}
}

// userJobs is one user's queued jobs, oldest first.
type userJobs struct {
	userID int64
	jobs   []store.ImportJob
}

// order groups the queued jobs (oldest first) by user, users served
// longest ago first (never: first of all), then by their oldest job. It
// forgets users with nothing queued.
func (sc *scheduler) order(jobs []store.ImportJob) []userJobs {
	var users []userJobs
	at := map[int64]int{}
	for _, j := range jobs {
		i, ok := at[j.UserID]
		if !ok {
			i = len(users)
			at[j.UserID] = i
			users = append(users, userJobs{userID: j.UserID})
		}
		users[i].jobs = append(users[i].jobs, j)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for u := range sc.served {
		if _, ok := at[u]; !ok && !sc.running[u] {
			delete(sc.served, u)
		}
	}
	slices.SortStableFunc(users, func(a, b userJobs) int { return cmp.Compare(sc.served[a.userID], sc.served[b.userID]) })
	return users
}

// begin starts the user's turn, unless another worker is serving them:
// then that worker is told at the end of its turn (the work this one found,
// a job queued since that worker listed them, must not wait).
func (sc *scheduler) begin(userID int64) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.running[userID] {
		sc.missed[userID] = true
		return false
	}
	sc.tick++
	sc.running[userID], sc.served[userID] = true, sc.tick
	return true
}

// end ends the user's turn, and reports whether another worker skipped
// them meanwhile: then there may be work the turn did not see.
func (sc *scheduler) end(userID int64) (missed bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	missed = sc.missed[userID]
	delete(sc.running, userID)
	delete(sc.missed, userID)
	return missed
}

// forUser is ctx for work done for the user's badges: its fetches count
// against the user's share of the guarded client's slots.
func forUser(ctx context.Context, userID int64) context.Context {
	return fetch.ForOwner(ctx, "user:"+strconv.FormatInt(userID, 10))
}
