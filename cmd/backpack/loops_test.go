package main

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoopsRestartAFailedLoopAndStopWithTheContext(t *testing.T) {
	var logs syncBuffer
	l := &loops{log: slog.New(slog.NewTextHandler(&logs, nil)), pause: func(int) time.Duration { return 0 }}
	ctx, cancel := context.WithCancel(context.Background())
	var runs atomic.Int32
	third := make(chan struct{})
	l.Go(ctx, "flaky", func(ctx context.Context) {
		switch runs.Add(1) {
		case 1:
			panic("a badge nobody expected")
		case 2:
			return // stopped on its own
		case 3:
			close(third)
		}
		<-ctx.Done()
	})
	steady := make(chan struct{})
	l.Go(ctx, "steady", func(ctx context.Context) { close(steady); <-ctx.Done() })
	for _, ch := range []chan struct{}{third, steady} {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("loops not running: %d runs; log:\n%s", runs.Load(), logs.String())
		}
	}
	cancel()
	done := make(chan struct{})
	go func() { l.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after the context ended")
	}
	if n := runs.Load(); n != 3 {
		t.Fatalf("the flaky loop ran %d times, want 3 (panic, early return, then until stopped)", n)
	}
	out := logs.String()
	for _, want := range []string{"panic: a badge nobody expected", "loop=flaky", "stopped on its own"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "loop=steady") {
		t.Errorf("the steady loop was reported:\n%s", out)
	}
}

func TestLoopsDoNotRestartAfterTheContextEnds(t *testing.T) {
	l := &loops{log: slog.New(slog.DiscardHandler), pause: func(int) time.Duration { return time.Hour }}
	ctx, cancel := context.WithCancel(context.Background())
	var runs atomic.Int32
	failed := make(chan struct{})
	l.Go(ctx, "fails", func(context.Context) { runs.Add(1); close(failed); panic("boom") })
	<-failed
	cancel() // during the hour-long pause
	l.Wait()
	if n := runs.Load(); n != 1 {
		t.Fatalf("ran %d times", n)
	}
}

func TestBackoff(t *testing.T) {
	for restarts, want := range map[int]time.Duration{0: time.Second, 1: 2 * time.Second, 5: 32 * time.Second, 6: time.Minute, 50: time.Minute} {
		if got := backoff(restarts); got != want {
			t.Errorf("backoff(%d) = %v, want %v", restarts, got, want)
		}
	}
}
