// Package testwait waits in tests for something another goroutine or
// process does, without reading the clock: it polls a bounded number of
// times, so a test that would hang fails instead, and no test's outcome
// depends on the time or the date.
package testwait

import (
	"testing"
	"time"
)

// Polls bounds a wait: Polls pauses of pause, about 30 s, before giving up.
const Polls = 3000

var pause = 10 * time.Millisecond

// Until calls done until it reports true, pausing between calls; after
// Polls calls it fails the test, saying what never happened.
func Until(tb testing.TB, what string, done func() bool) {
	tb.Helper()
	for range Polls {
		if done() {
			return
		}
		time.Sleep(pause)
	}
	tb.Fatalf("waited in vain: %s", what)
}
