package main

import (
	"context"
	"errors"
	"time"

	"backpack/mail"
	"backpack/store"
)

// outbox is the mail queue in the database, as the mail loop sees it.
type outbox struct{ db *store.DB }

var _ mail.Outbox = outbox{}

func (o outbox) Claim(ctx context.Context, now time.Time, lease time.Duration) (mail.Queued, bool, error) {
	m, err := o.db.ClaimMail(ctx, now, lease)
	if errors.Is(err, store.ErrNotFound) {
		return mail.Queued{}, false, nil
	}
	if err != nil {
		return mail.Queued{}, false, err
	}
	return mail.Queued{ID: m.ID, Attempts: m.Attempts, Message: mail.Message{To: m.To, Subject: m.Subject, Text: m.Text}}, true, nil
}

func (o outbox) Sent(ctx context.Context, id int64, now time.Time) error {
	return o.db.MailSent(ctx, id, now)
}

func (o outbox) Failed(ctx context.Context, id int64, now, retryAt time.Time, reason string) error {
	return o.db.MailFailed(ctx, id, now, retryAt, reason)
}
