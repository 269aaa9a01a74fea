package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"backpack/openbadges/problem"
)

func echoPath(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/redirect") {
		http.Redirect(w, r, "/target", http.StatusFound)
		return
	}
	io.WriteString(w, r.URL.Path)
}

func TestSessionCache(t *testing.T) {
	s := start(t, echoPath)
	sess := allowing(t, Options{}, s).Session(12)
	ctx := context.Background()
	for range 3 {
		r, err := sess.Get(ctx, s.URL+"/a#x", "application/json", JSONLimit)
		if err != nil || string(r.Body) != "/a" {
			t.Fatalf("Get: %+v, %v", r, err)
		}
	}
	if _, err := sess.Get(ctx, s.URL+"/a", "image/*", JSONLimit); err != nil {
		t.Fatal(err)
	}
	if hits, n := s.hits.Load(), sess.Fetches(); hits != 2 || n != 2 {
		t.Errorf("hits = %d, Fetches = %d; want 2 (one per URL and Accept)", hits, n)
	}
	_, err := sess.Get(ctx, s.URL+"/a", "application/json", 1)
	wantCode(t, err, problem.TooLarge)
}

func TestSessionBudget(t *testing.T) {
	s := start(t, echoPath)
	sess := allowing(t, Options{}, s).Session(3)
	ctx := context.Background()
	for _, p := range []string{"/a", "/b", "/c"} {
		if _, err := sess.Get(ctx, s.URL+p, "", JSONLimit); err != nil {
			t.Fatal(err)
		}
	}
	_, err := sess.Get(ctx, s.URL+"/d", "", JSONLimit)
	wantCode(t, err, problem.FetchFailed)
	if want := "fetch budget of 3 exceeded"; problem.MessageOf(err) != want {
		t.Errorf("message = %q, want %q", problem.MessageOf(err), want)
	}
	if _, err := sess.Get(ctx, s.URL+"/a", "", JSONLimit); err != nil {
		t.Errorf("cached URL after the budget ran out: %v", err)
	}
	_, err = sess.Get(ctx, "http://169.254.169.254/", "", JSONLimit)
	wantCode(t, err, problem.BlockedAddress)
	if hits := s.hits.Load(); hits != 3 || sess.Fetches() != 3 {
		t.Errorf("hits = %d, Fetches = %d; want 3", hits, sess.Fetches())
	}
}

func TestSessionBudgetCountsRedirects(t *testing.T) {
	s := start(t, echoPath)
	c := allowing(t, Options{}, s)
	_, err := c.Session(1).Get(context.Background(), s.URL+"/redirect", "", JSONLimit)
	wantCode(t, err, problem.FetchFailed)
	if !strings.Contains(err.Error(), "budget") {
		t.Errorf("error = %v, want budget exceeded", err)
	}
	sess := c.Session(2)
	r, err := sess.Get(context.Background(), s.URL+"/redirect", "", JSONLimit)
	if err != nil || string(r.Body) != "/target" || sess.Fetches() != 2 {
		t.Errorf("got %+v, %v, Fetches %d; want /target after 2 fetches", r, err, sess.Fetches())
	}
}

// TestSessionConcurrent: concurrent Gets of the same URL share one fetch.
func TestSessionConcurrent(t *testing.T) {
	s := start(t, echoPath)
	sess := allowing(t, Options{}, s).Session(12)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			p := fmt.Sprintf("/%d", i%4)
			r, err := sess.Get(context.Background(), s.URL+p, "", JSONLimit)
			if err != nil || string(r.Body) != p {
				t.Errorf("Get %s: %+v, %v", p, r, err)
			}
		})
	}
	wg.Wait()
	if hits := s.hits.Load(); hits != 4 || sess.Fetches() != 4 {
		t.Errorf("hits = %d, Fetches = %d; want 4", hits, sess.Fetches())
	}
}
