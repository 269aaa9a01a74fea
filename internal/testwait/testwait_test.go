package testwait

import "testing"

func TestUntilReturnsOnceDone(t *testing.T) {
	calls := 0
	Until(t, "the third call", func() bool { calls++; return calls == 3 })
	if calls != 3 {
		t.Fatalf("%d calls, want 3", calls)
	}
}

// failing records a failure instead of stopping the test.
type failing struct {
	testing.TB
	failed string
}

func (f *failing) Helper()                           {}
func (f *failing) Fatalf(format string, args ...any) { f.failed = format }

func TestUntilGivesUp(t *testing.T) {
	pause = 0 // the count bounds the wait, not the time
	t.Cleanup(func() { pause = 10e6 })
	f := &failing{TB: t}
	calls := 0
	Until(f, "never", func() bool { calls++; return false })
	if f.failed == "" || calls != Polls {
		t.Fatalf("gave up after %d calls, failed %q", calls, f.failed)
	}
}
