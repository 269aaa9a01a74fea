package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"sync"
	"time"
)

// Queued is a message waiting in the outgoing queue.
type Queued struct {
	ID int64
	Message
	Attempts int // failed attempts so far
}

// Outbox is the persisted queue a Queue sends from: requests put messages
// in it and answer at once, so none waits on the mail server. It is shared
// by every instance of the app.
type Outbox interface {
	// Claim takes the message that has waited longest among those due at
	// now, for lease: nobody else takes it meanwhile, and once the lease
	// runs out (its sender stopped) anybody may. ok is false when none is
	// due.
	Claim(ctx context.Context, now time.Time, lease time.Duration) (m Queued, ok bool, err error)
	// Sent records that the message was handed to the mail server.
	Sent(ctx context.Context, id int64, now time.Time) error
	// Failed records a failed attempt: the message is tried again at
	// retryAt, or never when retryAt is zero.
	Failed(ctx context.Context, id int64, now, retryAt time.Time, reason string) error
}

// Defaults of Queue's settings.
const (
	DefaultLease    = 2 * time.Minute
	DefaultPoll     = 5 * time.Second
	DefaultAttempts = 6
)

// Queue sends the messages of an Outbox through a Sender, one at a time,
// until its context ends (Run). A failed send is tried again after a
// pause that grows (Backoff), at most Attempts times in all; a message the
// server refuses for good (5xx to RCPT TO) or that is not valid is given up
// at once.
type Queue struct {
	Outbox Outbox
	Sender Sender
	Logger *slog.Logger // nil: slog.Default()
	Now    func() time.Time
	// Lease is how long a message is held while it is sent (default
	// DefaultLease; longer than a send may take). Poll is how often the
	// outbox is looked at when nobody calls Wake (default DefaultPoll):
	// messages queued by another instance are found then.
	Lease, Poll time.Duration
	Attempts    int                              // default DefaultAttempts
	Backoff     func(failures int) time.Duration // nil: Backoff

	once sync.Once
	wake chan struct{}
}

// Backoff is the pause before the next attempt after failures failed ones:
// 1 minute, doubling up to 30 minutes.
func Backoff(failures int) time.Duration {
	return min(time.Minute<<min(max(failures-1, 0), 5), 30*time.Minute)
}

func (q *Queue) init() {
	q.once.Do(func() { q.wake = make(chan struct{}, 1) })
}

// Wake tells Run that a message was queued, so that it sends it now
// rather than at the next poll. It never blocks.
func (q *Queue) Wake() {
	q.init()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Run sends what is due, then waits for Wake or the next poll, until ctx
// ends.
func (q *Queue) Run(ctx context.Context) {
	q.init()
	poll := q.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	t := time.NewTimer(poll)
	defer t.Stop()
	for {
		if _, err := q.Drain(ctx); err != nil && ctx.Err() == nil {
			q.logger().Warn("mail queue", "err", err)
		}
		t.Reset(poll)
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-t.C:
		}
	}
}

// Drain sends the messages due now, one after the other, until none is
// left, and returns how many it sent. It stops at the first error of the
// outbox, or when ctx ends (the message in hand is then left to its lease:
// it is tried again, by whoever claims it next).
func (q *Queue) Drain(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		now := q.now()
		m, ok, err := q.Outbox.Claim(ctx, now, q.lease())
		if err != nil || !ok {
			return sent, err
		}
		// The send must end well within the lease, or another instance
		// could claim the message and send it again.
		sctx, cancel := context.WithTimeout(ctx, q.lease()/2)
		err = q.Sender.Send(sctx, m.Message)
		cancel()
		if err == nil {
			sent++
			// Recorded even when ctx has just ended: the message went.
			if err := q.Outbox.Sent(context.WithoutCancel(ctx), m.ID, q.now()); err != nil {
				return sent, err
			}
			continue
		}
		if ctx.Err() != nil {
			return sent, nil
		}
		if err := q.failed(ctx, m, err); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// failed records the failed attempt at m: tried again later, or given up.
func (q *Queue) failed(ctx context.Context, m Queued, sendErr error) error {
	now := q.now()
	failures := m.Attempts + 1
	attempts := q.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	if permanent(sendErr) || failures >= attempts {
		q.logger().Error("mail given up", "id", m.ID, "subject", m.Subject, "attempts", failures, "err", sendErr)
		return q.Outbox.Failed(ctx, m.ID, now, time.Time{}, sendErr.Error())
	}
	backoff := q.Backoff
	if backoff == nil {
		backoff = Backoff
	}
	retry := now.Add(backoff(failures))
	q.logger().Warn("mail not sent; trying again later", "id", m.ID, "subject", m.Subject, "attempts", failures, "retry_at", retry, "err", sendErr)
	return q.Outbox.Failed(ctx, m.ID, now, retry, sendErr.Error())
}

func (q *Queue) now() time.Time {
	if q.Now != nil {
		return q.Now()
	}
	return time.Now()
}

func (q *Queue) lease() time.Duration {
	if q.Lease > 0 {
		return q.Lease
	}
	return DefaultLease
}

func (q *Queue) logger() *slog.Logger {
	if q.Logger != nil {
		return q.Logger
	}
	return slog.Default()
}

// errInvalid marks a message that can never be sent (a bad recipient or
// subject).
var errInvalid = errors.New("invalid message")

// errRefused marks a recipient the mail server refused for good.
var errRefused = errors.New("recipient refused")

// permanent reports whether sending again cannot help.
func permanent(err error) bool {
	return errors.Is(err, errInvalid) || errors.Is(err, errRefused)
}

// refusal marks err as a permanent refusal when the server answered step
// with a 5xx code to the recipient.
func refusal(step string, err error) error {
	var te *textproto.Error
	if step == "RCPT TO" && errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return fmt.Errorf("%w (%w)", err, errRefused)
	}
	return err
}
