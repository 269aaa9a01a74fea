package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"backpack/badges"
)

func TestReverifierMarksRevokedBadges(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	alice.postFiles([]upload{{"b.json", is.hosted("/a/1", "alice@example.org")}, {"c.json", is.hosted("/a/2", "alice@example.org")}}, nil, "")
	w := &badges.Reverifier{Service: a.core, Every: 24 * time.Hour}

	// Nothing is due yet: both were verified just now.
	if n, err := w.RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("RunOnce right after import: %d, %v", n, err)
	}
	is.status("/a/1", http.StatusGone)
	a.clock.add(25 * time.Hour)
	if n, err := w.RunOnce(context.Background()); err != nil || n != 2 {
		t.Fatalf("RunOnce a day later: %d, %v", n, err)
	}
	// Claimed and checked: not due again at once.
	if n, _ := w.RunOnce(context.Background()); n != 0 {
		t.Fatalf("checked twice in a row: %d", n)
	}
	alice.login("alice@example.org", goodPassword) // a day later the session has ended
	p := alice.get("/badges?status=revoked")
	if n := p.doc.Find(`[data-testid=badge-card]`).Length(); n != 1 {
		t.Fatalf("%d revoked badges listed, want 1: %s", n, p.text())
	}
	if p := alice.get("/badges?status=verified"); p.doc.Find(`[data-testid=badge-card]`).Length() != 1 {
		t.Fatal("the other badge is no longer verified")
	}
}

func TestReverifierStopsOnShutdown(t *testing.T) {
	a := newApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		(&badges.Reverifier{Service: a.core, Tick: time.Hour}).Run(ctx)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not stop")
	}
}
