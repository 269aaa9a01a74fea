package mail

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"backpack/internal/testclock"
)

// memOutbox is an Outbox in memory, with the database's claiming rules.
type memOutbox struct {
	mu    sync.Mutex
	items []*memItem
	calls []string // "sent 1", "retry 1 +1m0s", "give up 1"
}

type memItem struct {
	Queued
	due, claimedUntil time.Time
	state             string // queued, sent, failed
}

func (o *memOutbox) add(m Message, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.items = append(o.items, &memItem{Queued: Queued{ID: int64(len(o.items) + 1), Message: m}, due: now, state: "queued"})
}

func (o *memOutbox) Claim(_ context.Context, now time.Time, lease time.Duration) (Queued, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, it := range o.items {
		if it.state == "queued" && !it.due.After(now) && !it.claimedUntil.After(now) {
			it.claimedUntil = now.Add(lease)
			return it.Queued, true, nil
		}
	}
	return Queued{}, false, nil
}

func (o *memOutbox) Sent(_ context.Context, id int64, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	it := o.items[id-1]
	it.state, it.claimedUntil = "sent", time.Time{}
	o.calls = append(o.calls, "sent "+it.To)
	return nil
}

func (o *memOutbox) Failed(_ context.Context, id int64, now, retryAt time.Time, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	it := o.items[id-1]
	it.Attempts++
	it.claimedUntil = time.Time{}
	if retryAt.IsZero() {
		it.state = "failed"
		o.calls = append(o.calls, "give up "+it.To)
		return nil
	}
	it.due = retryAt
	o.calls = append(o.calls, "retry "+it.To+" +"+retryAt.Sub(now).String())
	return nil
}

func (o *memOutbox) log() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.calls...)
}

// fakeClock is a settable time for the queue.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *fakeClock) add(d time.Duration) { c.set(c.now().Add(d)) }

func TestQueueSendsThroughSMTPAndMarksSent(t *testing.T) {
	ts := startServer(t, serverOptions{})
	clock := &fakeClock{t: testclock.Now()}
	box := &memOutbox{}
	box.add(Message{To: "alice@example.org", Subject: "One", Text: "first"}, clock.now())
	box.add(Message{To: "bob@example.org", Subject: "Two", Text: "second"}, clock.now())
	q := &Queue{Outbox: box, Sender: newSender(t, "smtp://"+ts.addr+"?starttls=off"), Now: clock.now, Logger: slog.New(slog.DiscardHandler)}
	n, err := q.Drain(t.Context())
	if err != nil || n != 2 {
		t.Fatalf("Drain = %d, %v", n, err)
	}
	got := ts.received()
	if len(got) != 2 || got[0].to[0] != "alice@example.org" || got[1].to[0] != "bob@example.org" {
		t.Fatalf("server received %+v", got)
	}
	if want := []string{"sent alice@example.org", "sent bob@example.org"}; strings.Join(box.log(), ",") != strings.Join(want, ",") {
		t.Fatalf("outbox calls %v, want %v", box.log(), want)
	}
	if n, _ := q.Drain(t.Context()); n != 0 {
		t.Fatalf("sent %d again", n)
	}
}

// TestQueueRetriesWithGrowingPausesThenGivesUp: a server that says "try
// later" gets the message again after 1, 2, 4, 8 and 16 minutes, and
// then no more: six attempts in all.
func TestQueueRetriesWithGrowingPausesThenGivesUp(t *testing.T) {
	var mu sync.Mutex
	tries := 0
	ts := startServer(t, serverOptions{rcpt: func(string) error {
		mu.Lock()
		tries++
		mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}})
	clock := &fakeClock{t: testclock.Now()}
	box := &memOutbox{}
	box.add(Message{To: "alice@example.org", Subject: "Reset", Text: "link"}, clock.now())
	var logs bytes.Buffer
	q := &Queue{Outbox: box, Sender: newSender(t, "smtp://"+ts.addr+"?starttls=off"), Now: clock.now, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	for range 10 {
		if n, err := q.Drain(t.Context()); n != 0 || err != nil {
			t.Fatalf("Drain = %d, %v", n, err)
		}
		// Not due again before its time.
		clock.add(30 * time.Second)
		if n, _ := q.Drain(t.Context()); n != 0 {
			t.Fatal("sent?")
		}
		clock.add(time.Hour)
	}
	want := []string{"retry alice@example.org +1m0s", "retry alice@example.org +2m0s", "retry alice@example.org +4m0s",
		"retry alice@example.org +8m0s", "retry alice@example.org +16m0s", "give up alice@example.org"}
	if strings.Join(box.log(), ",") != strings.Join(want, ",") {
		t.Fatalf("outbox calls:\n%v\nwant\n%v", box.log(), want)
	}
	mu.Lock()
	defer mu.Unlock()
	if tries != DefaultAttempts {
		t.Fatalf("%d attempts reached the server, want %d", tries, DefaultAttempts)
	}
	if !strings.Contains(logs.String(), "mail given up") {
		t.Errorf("giving up was not logged:\n%s", logs.String())
	}
}

func TestQueueGivesUpAtOnceWhenTheRecipientIsRefused(t *testing.T) {
	ts := startServer(t, serverOptions{rcpt: func(to string) error {
		if to == "nobody@example.org" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}})
	clock := &fakeClock{t: testclock.Now()}
	box := &memOutbox{}
	box.add(Message{To: "nobody@example.org", Subject: "x", Text: "x"}, clock.now())
	box.add(Message{To: "bad\r\naddress@example.org", Subject: "x", Text: "x"}, clock.now())
	box.add(Message{To: "alice@example.org", Subject: "x", Text: "x"}, clock.now())
	q := &Queue{Outbox: box, Sender: newSender(t, "smtp://"+ts.addr+"?starttls=off"), Now: clock.now, Logger: slog.New(slog.DiscardHandler)}
	if n, err := q.Drain(t.Context()); n != 1 || err != nil {
		t.Fatalf("Drain = %d, %v", n, err)
	}
	want := []string{"give up nobody@example.org", "give up bad\r\naddress@example.org", "sent alice@example.org"}
	if strings.Join(box.log(), ",") != strings.Join(want, ",") {
		t.Fatalf("outbox calls %q, want %q", box.log(), want)
	}
}

// TestQueueInLogModePrintsTheLink: without SMTP the queue hands messages to
// the log sender, whose line carries the link to click.
func TestQueueInLogModePrintsTheLink(t *testing.T) {
	var logs bytes.Buffer
	sender, err := New("", slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	box := &memOutbox{}
	box.add(testMessage, testclock.Now())
	q := &Queue{Outbox: box, Sender: sender, Now: testclock.Now}
	if n, err := q.Drain(t.Context()); n != 1 || err != nil {
		t.Fatalf("Drain = %d, %v", n, err)
	}
	if !strings.Contains(logs.String(), longURL) {
		t.Fatalf("the link is not in the log:\n%s", logs.String())
	}
}

// TestQueueWakeSendsWithoutWaitingForThePoll: Run polls once an hour here,
// so the message can only go because Wake was called.
func TestQueueWakeSendsWithoutWaitingForThePoll(t *testing.T) {
	got := make(chan string, 1)
	ts := startServer(t, serverOptions{rcpt: func(to string) error { got <- to; return nil }})
	clock := &fakeClock{t: testclock.Now()}
	box := &memOutbox{}
	q := &Queue{Outbox: box, Sender: newSender(t, "smtp://"+ts.addr+"?starttls=off"), Now: clock.now, Poll: time.Hour, Logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	// Run drains once when it starts; queue after that, then wake it.
	// Wake before Run waits is kept (the channel holds one), so the
	// order of the two goroutines does not matter.
	box.add(Message{To: "alice@example.org", Subject: "x", Text: "x"}, clock.now())
	q.Wake()
	select {
	case to := <-got:
		if to != "alice@example.org" {
			t.Fatalf("sent to %s", to)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wake did not make Run send")
	}
	cancel()
	<-done
}

// TestQueueStoppedMidSendLeavesTheMessageToItsLease: shutting down while
// the server is slow neither counts a failed attempt nor gives the message
// up; whoever claims it after the lease sends it.
func TestQueueStoppedMidSendLeavesTheMessageToItsLease(t *testing.T) {
	addr, stalled := stallingServer(t, true)
	clock := &fakeClock{t: testclock.Now()}
	box := &memOutbox{}
	box.add(Message{To: "alice@example.org", Subject: "x", Text: "x"}, clock.now())
	q := &Queue{Outbox: box, Sender: newSender(t, "smtp://"+addr), Now: clock.now, Logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-stalled; cancel() }()
	if n, err := q.Drain(ctx); n != 0 || err != nil {
		t.Fatalf("Drain = %d, %v", n, err)
	}
	if calls := box.log(); len(calls) != 0 {
		t.Fatalf("outbox calls %v, want none", calls)
	}
	if _, ok, _ := box.Claim(t.Context(), clock.now(), time.Minute); ok {
		t.Fatal("claimable again before the lease ran out")
	}
	clock.add(DefaultLease)
	if m, ok, _ := box.Claim(t.Context(), clock.now(), time.Minute); !ok || m.Attempts != 0 {
		t.Fatalf("after the lease: %+v %v", m, ok)
	}
}

func TestBackoff(t *testing.T) {
	for failures, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 5: 16 * time.Minute, 6: 30 * time.Minute, 40: 30 * time.Minute} {
		if got := Backoff(failures); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", failures, got, want)
		}
	}
}
