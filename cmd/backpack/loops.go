package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// loops runs the server's background work (imports, re-verification, mail,
// sweeps) as one supervised group: each loop runs until the context ends;
// one that panics or returns early is logged and started again after a
// pause that grows (so one bad badge cannot stop the work for everyone, nor
// spin); Wait returns when every loop has returned, which the server waits
// for before it closes the database.
type loops struct {
	log   *slog.Logger
	wg    sync.WaitGroup
	pause func(restarts int) time.Duration // nil: backoff
}

// backoff is 1 s after the first failure, doubling up to a minute.
func backoff(restarts int) time.Duration {
	return min(time.Second<<min(restarts, 6), time.Minute)
}

// Go starts loop name.
func (l *loops) Go(ctx context.Context, name string, run func(context.Context)) {
	pause := l.pause
	if pause == nil {
		pause = backoff
	}
	l.wg.Go(func() {
		for restarts := 0; ; restarts++ {
			err := once(ctx, run)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				l.log.Error("background loop failed; starting it again", "loop", name, "err", err, "restarts", restarts)
			} else {
				l.log.Warn("background loop stopped on its own; starting it again", "loop", name, "restarts", restarts)
			}
			t := time.NewTimer(pause(restarts))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	})
}

// once runs the loop, turning a panic into an error with its stack.
func once(ctx context.Context, run func(context.Context)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	run(ctx)
	return nil
}

// Wait waits for every loop to return (their context must end).
func (l *loops) Wait() { l.wg.Wait() }
