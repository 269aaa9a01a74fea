package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	dialTimeout = 10 * time.Second
	sendTimeout = 30 * time.Second // when ctx has no deadline
)

type starttlsMode string

const (
	starttlsOpportunistic starttlsMode = "opportunistic"
	starttlsRequired      starttlsMode = "required"
	starttlsOff           starttlsMode = "off"
)

// SMTPSender sends through an SMTP server. Create it with NewSMTP.
type SMTPSender struct {
	// TLSConfig, if not nil, is used for STARTTLS and smtps instead of the
	// default configuration, e.g. to trust a private CA. An empty ServerName
	// is set to the URL's host.
	TLSConfig *tls.Config

	host        string // host name from the URL: TLS verification, AUTH
	addr        string // host:port to dial
	implicitTLS bool   // smtps
	starttls    starttlsMode
	from        *mail.Address
	auth        smtp.Auth // nil without a user; keeps the password out of %v
}

// NewSMTP returns a sender for smtpURL; see the package documentation for its format.
func NewSMTP(smtpURL string) (*SMTPSender, error) {
	if smtpURL == "" {
		return nil, errors.New("mail: empty SMTP URL")
	}
	u, err := url.Parse(smtpURL)
	if err != nil {
		// url.Error holds the whole URL, and its details may hold pieces of a
		// mistyped password: say nothing of either.
		return nil, errors.New("mail: SMTP URL does not parse (user and password must be URL-escaped)")
	}
	s := &SMTPSender{starttls: starttlsOpportunistic}
	port := "587"
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicitTLS, port = true, "465"
	default:
		return nil, fmt.Errorf("mail: SMTP URL scheme is %q, want smtp or smtps", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("mail: SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL port %q is out of range", p)
		}
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL query: %w", err)
	}
	for k := range q {
		if k != "from" && k != "starttls" {
			return nil, fmt.Errorf("mail: unknown SMTP URL parameter %q (want from or starttls)", k)
		}
	}
	if q.Has("starttls") {
		if s.implicitTLS {
			return nil, errors.New("mail: starttls does not apply to smtps (TLS is implicit)")
		}
		switch m := starttlsMode(q.Get("starttls")); m {
		case starttlsOpportunistic, starttlsRequired, starttlsOff:
			s.starttls = m
		default:
			return nil, fmt.Errorf("mail: SMTP URL starttls is %q, want required, opportunistic or off", m)
		}
	}
	from := "backpack@" + s.host
	if q.Has("from") {
		from = q.Get("from")
	}
	if strings.ContainsAny(from, "\r\n") {
		return nil, errors.New("mail: SMTP URL from address contains a line break")
	}
	if s.from, err = mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("mail: invalid from address %q (set it with ?from=): %w", from, err)
	}
	if u.User != nil && u.User.Username() != "" {
		password, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), password, s.host)
	}
	return s, nil
}

// Send delivers m through the SMTP server. It gives up when ctx is done,
// or after 30 seconds if ctx has no deadline.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	to, err := recipient(m)
	if err != nil {
		return err
	}
	msg, err := compose(s.from, to, m, time.Now())
	if err != nil {
		return fmt.Errorf("mail: compose: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}

	conn, err := s.dial(ctx)
	if err != nil {
		return wrap(ctx, "connect to "+s.addr, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(sendTimeout)
	}
	conn.SetDeadline(deadline)
	// Cancelling ctx interrupts any pending read or write.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return wrap(ctx, "greeting", err)
	}
	defer c.Close()
	if step, err := s.converse(c, to.Address, msg); err != nil {
		return wrap(ctx, step, refusal(step, err))
	}
	c.Quit() // the message is accepted: a failing QUIT does not matter
	return nil
}

func (s *SMTPSender) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	if s.implicitTLS {
		td := &tls.Dialer{NetDialer: d, Config: s.tlsConfig()}
		return td.DialContext(ctx, "tcp", s.addr)
	}
	return d.DialContext(ctx, "tcp", s.addr)
}

// converse runs the SMTP session after the greeting. On failure it returns
// the name of the failed step.
func (s *SMTPSender) converse(c *smtp.Client, to string, msg []byte) (string, error) {
	if err := c.Hello("localhost"); err != nil {
		return "EHLO", err
	}
	if !s.implicitTLS && s.starttls != starttlsOff {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return "STARTTLS", err
			}
		} else if s.starttls == starttlsRequired {
			return "STARTTLS", errors.New("server does not offer STARTTLS (starttls=required)")
		}
	}
	if s.auth != nil {
		if ok, _ := c.Extension("AUTH"); !ok {
			return "AUTH", errors.New("server does not offer AUTH")
		}
		if err := c.Auth(s.auth); err != nil {
			return "AUTH", err
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return "MAIL FROM", err
	}
	if err := c.Rcpt(to); err != nil {
		return "RCPT TO", err
	}
	w, err := c.Data()
	if err != nil {
		return "DATA", err
	}
	if _, err := w.Write(msg); err != nil {
		return "DATA", err
	}
	if err := w.Close(); err != nil {
		return "DATA", err
	}
	return "", nil
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	cfg := &tls.Config{}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.host
	}
	return cfg
}

// wrap describes a failed SMTP step, and reports ctx's error first when ctx is
// done or past its deadline (the connection deadline may fire before ctx notices).
func wrap(ctx context.Context, step string, err error) error {
	ctxErr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && ctxErr == nil && !time.Now().Before(d) {
		ctxErr = context.DeadlineExceeded
	}
	if ctxErr != nil {
		return fmt.Errorf("mail: SMTP %s: %w (%w)", step, ctxErr, err)
	}
	return fmt.Errorf("mail: SMTP %s: %w", step, err)
}
