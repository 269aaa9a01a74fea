package badges

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a per-user token bucket: Burst at once, then one more every
// Every.
type Rate struct {
	Burst int
	Every time.Duration
}

// Default submission rates (backpack serve --add-rate and --import-rate):
// how much one user may hand the core to verify. A person adding their
// badges never meets them; a script that keeps sending does, and then
// waits.
var (
	// DefaultItemRate counts the badges of Import (the add-badges form: at
	// most 71 a time): 100 at once, then one every 3 seconds.
	DefaultItemRate = Rate{Burst: 100, Every: 3 * time.Second}
	// DefaultArchiveRate counts the archives of StartImport, refused ones
	// too (each is read): 10 at once, then one every 3 minutes.
	DefaultArchiveRate = Rate{Burst: 10, Every: 3 * time.Minute}
)

// CodeTooManySubmissions refuses a submission (a Refusal from Import or
// StartImport) from a user who sent too much in a short time: Wait says
// how long until one of this size may go through.
const CodeTooManySubmissions Code = "too-many-submissions"

// userRate keeps a token bucket per user, in this process, taking the time
// from the service's clock. Buckets idle for longer than it takes to
// refill are forgotten.
type userRate struct {
	rate  Rate
	mu    sync.Mutex
	users map[int64]*rate.Limiter
	seen  map[int64]time.Time
	sweep time.Time
}

func newUserRate(r Rate) *userRate {
	return &userRate{rate: r, users: map[int64]*rate.Limiter{}, seen: map[int64]time.Time{}}
}

// take takes n tokens (at most a burst) of the user's bucket at now; when
// there are not enough it takes none, and says how long until there are.
func (u *userRate) take(userID int64, n int, now time.Time) (ok bool, wait time.Duration) {
	if u.rate.Burst <= 0 {
		return true, 0 // no limit
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	full := u.rate.Every * time.Duration(u.rate.Burst)
	if now.Sub(u.sweep) > full {
		for id, at := range u.seen {
			if now.Sub(at) > full {
				delete(u.users, id)
				delete(u.seen, id)
			}
		}
		u.sweep = now
	}
	lim := u.users[userID]
	if lim == nil {
		lim = rate.NewLimiter(rate.Every(u.rate.Every), u.rate.Burst)
		u.users[userID] = lim
	}
	u.seen[userID] = now
	r := lim.ReserveN(now, min(max(n, 1), u.rate.Burst))
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
