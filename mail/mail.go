// Package mail sends the app's email: through SMTP when configured, otherwise to the log.
//
// Requests do not send: they put messages in a persisted Outbox (the
// database) and answer at once, and a Queue, run by the server's background
// loops, sends them and retries failures with growing pauses, a bounded
// number of times. How much mail an address or an account may get is
// decided where messages are queued.
//
// The SMTP server is configured with a URL:
//
//	smtp://[user:password@]host[:port][?from=backpack@example.org&starttls=required|opportunistic|off]
//	smtps://[user:password@]host[:port][?from=backpack@example.org]
//
// The smtp scheme connects in plain text (default port 587) and upgrades the
// connection with STARTTLS: "opportunistic" (the default) when the server offers
// it, "required" or the send fails, or "off". The smtps scheme uses implicit TLS
// (default port 465) and accepts no starttls parameter.
//
// With a user, the sender authenticates with AUTH PLAIN, which is only done over
// TLS or to localhost. User and password must be URL-escaped. The from parameter
// (URL-escaped, it may contain a display name: "Backpack <backpack@example.org>")
// is the sender address; it defaults to backpack@host.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Message is one plain-text email to one recipient.
type Message struct {
	To      string // one address
	Subject string
	Text    string // plain-text body (UTF-8)
}

// Sender sends email messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// New returns an SMTP sender for smtpURL, or a log sender when smtpURL is "".
func New(smtpURL string, logger *slog.Logger) (Sender, error) {
	if smtpURL == "" {
		return LogSender{Logger: logger}, nil
	}
	return NewSMTP(smtpURL)
}

// LogSender writes each message to the logger at Info level (attributes to, subject, body) so a local
// user can click the link in it. It is used when no SMTP server is configured.
// A nil Logger means slog.Default().
type LogSender struct{ Logger *slog.Logger }

// Send validates m and logs it.
func (s LogSender) Send(ctx context.Context, m Message) error {
	if _, err := recipient(m); err != nil {
		return err
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	// The links get an attribute of their own: in the body they are
	// quoted with escaped line breaks around them, awkward to copy.
	logger.InfoContext(ctx, "mail not sent (no SMTP server configured)",
		"to", m.To, "subject", m.Subject, "links", strings.Join(linkRE.FindAllString(m.Text, -1), " "), "body", m.Text)
	return nil
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

// recipient validates m's headers and returns its parsed recipient address.
func recipient(m Message) (*mail.Address, error) {
	if strings.ContainsAny(m.To, "\r\n") {
		return nil, fmt.Errorf("mail: recipient contains a line break (%w)", errInvalid)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, fmt.Errorf("mail: subject contains a line break (%w)", errInvalid)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail: invalid recipient %q: %w (%w)", m.To, err, errInvalid)
	}
	return to, nil
}

// compose returns m as an RFC 5322 message with CRLF line endings and a
// quoted-printable UTF-8 body.
func compose(from, to *mail.Address, m Message, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(from.Address))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")

	qp := quotedprintable.NewWriter(&b) // turns \n and \r\n into CRLF
	if _, err := qp.Write([]byte(m.Text)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// messageID returns a new random Message-ID in the domain of the from address.
func messageID(from string) string {
	domain := "localhost"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = from[i+1:]
	}
	var r [16]byte
	rand.Read(r[:])
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">"
}
