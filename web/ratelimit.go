package web

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a token bucket: Burst attempts at once, then one more every
// Every.
type Limit struct {
	Burst int
	Every time.Duration
}

// limiter keeps one token bucket per key (a client address, an identity).
// It takes the time from the caller so tests can move the clock. Buckets
// idle for longer than it takes to refill are forgotten.
type limiter struct {
	limit Limit
	mu    sync.Mutex
	keys  map[string]*bucket
	sweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(l Limit) *limiter {
	return &limiter{limit: l, keys: map[string]*bucket{}}
}

// allow takes a token for key at now. When none is left it returns false
// and how long until one is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	full := l.limit.Every * time.Duration(l.limit.Burst)
	if now.Sub(l.sweep) > full {
		for k, b := range l.keys {
			if now.Sub(b.seen) > full {
				delete(l.keys, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.keys[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.limit.Every), l.limit.Burst)}
		l.keys[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// clientKey is the rate-limit key of a client address: the address for
// IPv4 (IPv4-mapped IPv6 included), its /64 for IPv6. One subscriber is
// usually given a whole /64, so keying IPv6 clients by address would give
// each of them 2^64 buckets.
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
