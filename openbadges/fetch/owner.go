package fetch

import (
	"context"
	"sync"
)

// MaxPerOwner is how many of a Client's MaxConcurrent slots the fetches
// made for one owner (ForOwner) may hold at once by default: one user's
// ten thousand badges wait for that user's own slots, and leave the rest
// to everyone else.
const MaxPerOwner = 4

type ownerKey struct{}

// ForOwner returns a context whose fetches count against owner's share of
// the Client's slots (Options.MaxPerOwner). owner is any key naming whom
// the work is for, such as a user id. Fetches without an owner share only
// the Client's overall bound.
func ForOwner(ctx context.Context, owner string) context.Context {
	return context.WithValue(ctx, ownerKey{}, owner)
}

// owners keeps a semaphore per owner with fetches in progress or waiting.
type owners struct {
	per int
	mu  sync.Mutex
	m   map[string]*share
}

type share struct {
	slots chan struct{}
	users int // fetches holding or waiting for a slot
}

// acquire takes one of the owner's slots, waiting within ctx, and returns
// the function that gives it back.
func (o *owners) acquire(ctx context.Context, owner string) (release func(), err error) {
	o.mu.Lock()
	sh := o.m[owner]
	if sh == nil {
		sh = &share{slots: make(chan struct{}, o.per)}
		o.m[owner] = sh
	}
	sh.users++
	o.mu.Unlock()
	leave := func() {
		o.mu.Lock()
		if sh.users--; sh.users == 0 {
			delete(o.m, owner)
		}
		o.mu.Unlock()
	}
	select {
	case sh.slots <- struct{}{}:
		return func() { <-sh.slots; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}

// inUse is how many fetches hold or wait for the owner's slots (for tests).
func (o *owners) inUse(owner string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if sh := o.m[owner]; sh != nil {
		return sh.users
	}
	return 0
}
