package fetch

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"backpack/openbadges/problem"
)

// TestOwnerShare: one owner's fetches take at most MaxPerOwner slots, so
// with every one of them stuck on a slow server another owner's fetch still
// goes straight through.
func TestOwnerShare(t *testing.T) {
	release := make(chan struct{})
	var slow atomic.Int64
	arrived := make(chan struct{}, MaxConcurrent)
	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			slow.Add(1)
			arrived <- struct{}{}
			<-release
		}
		io.WriteString(w, "ok")
	})
	c := allowing(t, Options{}, s)
	mine := ForOwner(context.Background(), "user:1")
	var wg sync.WaitGroup
	errs := make(chan error, MaxConcurrent)
	for range MaxConcurrent {
		wg.Go(func() {
			_, err := c.Get(mine, s.URL+"/slow", "", JSONLimit)
			errs <- err
		})
	}
	for range MaxPerOwner {
		<-arrived
	}
	if _, err := c.Get(ForOwner(context.Background(), "user:2"), s.URL+"/fast", "", JSONLimit); err != nil {
		t.Fatalf("another owner's fetch: %v", err)
	}
	if _, err := c.Get(context.Background(), s.URL+"/fast", "", JSONLimit); err != nil {
		t.Fatalf("a fetch for no one: %v", err)
	}
	if n := slow.Load(); n != MaxPerOwner {
		t.Errorf("%d of one owner's fetches reached the server at once, want %d", n, MaxPerOwner)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("the owner's own fetch, once slots were free: %v", err)
		}
	}
	if n := c.owners.inUse("user:1"); n != 0 || len(c.owners.m) != 0 {
		t.Errorf("owners left behind: %d fetches, %d owners", n, len(c.owners.m))
	}
}

// TestOwnerShareWaitEndsWithContext: a fetch waiting for its owner's slot
// gives up with its context, without connecting, and leaves nothing behind.
func TestOwnerShareWaitEndsWithContext(t *testing.T) {
	s := start(t, ok("hello"))
	c := allowing(t, Options{MaxPerOwner: 1}, s)
	release, err := c.owners.acquire(context.Background(), "user:1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ForOwner(context.Background(), "user:1"))
	cancel()
	_, err = c.Get(ctx, s.URL, "", JSONLimit)
	wantCode(t, err, problem.FetchFailed)
	if !strings.Contains(err.Error(), "same account") || s.conns.Load() != 0 {
		t.Errorf("got %v with %d connections; want to wait for the owner's slot and not connect", err, s.conns.Load())
	}
	release()
	if len(c.owners.m) != 0 {
		t.Errorf("%d owners left behind", len(c.owners.m))
	}
	if _, err := c.Get(ForOwner(context.Background(), "user:1"), s.URL, "", JSONLimit); err != nil {
		t.Errorf("with the slot free: %v", err)
	}
}
