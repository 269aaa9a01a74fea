package mail

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message accepted by the test server.
type received struct {
	from string
	to   []string
	user string // authenticated user, if any
	tls  bool   // the message came over TLS
	data []byte
}

// testServer is a go-smtp server on loopback that records what it receives.
type testServer struct {
	addr           string
	user, password string // when set, AUTH PLAIN is required
	rcpt           func(to string) error

	mu   sync.Mutex
	msgs []received
}

type serverOptions struct {
	user, password string
	rcpt           func(to string) error // nil: every recipient is taken
	tls            *tls.Config           // offered through STARTTLS, or implicit when implicitTLS
	implicitTLS    bool
}

func startServer(t *testing.T, opt serverOptions) *testServer {
	t.Helper()
	ts := &testServer{user: opt.user, password: opt.password, rcpt: opt.rcpt}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: ts, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ErrorLog = log.New(io.Discard, "", 0)
	var l net.Listener
	var err error
	if opt.implicitTLS {
		l, err = tls.Listen("tcp", "127.0.0.1:0", opt.tls)
	} else {
		s.TLSConfig = opt.tls
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = l.Addr().String()
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return ts
}

func (ts *testServer) received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

type session struct {
	srv  *testServer
	conn *smtp.Conn
	user string
	msg  received
}

func (s *session) AuthMechanisms() []string {
	if s.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.srv.user || password != s.srv.password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.msg = received{from: from, user: s.user, tls: isTLS}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.rcpt != nil {
		if err := s.srv.rcpt(to); err != nil {
			return err
		}
	}
	s.msg.to = append(s.msg.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.data = b
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.msg)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.msg = received{} }
func (s *session) Logout() error { return nil }

// selfSigned returns a server certificate for 127.0.0.1 and a client
// configuration that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "backpack test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return server, &tls.Config{RootCAs: pool}
}

func newSender(t *testing.T, smtpURL string) *SMTPSender {
	t.Helper()
	s, err := NewSMTP(smtpURL)
	if err != nil {
		t.Fatalf("NewSMTP(%q): %v", smtpURL, err)
	}
	return s
}

const longURL = "https://backpack.example.org/login/verify?token=" +
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" +
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef&next=%2Fpacks%3Fq%3Dtent"

var testMessage = Message{
	To:      "Alice Émile <alice@example.org>",
	Subject: "Votre lien de connexion à Backpack ✓",
	Text:    "Bonjour,\n\nOuvrez ce lien pour vous connecter :\n" + longURL + "\n\n— Backpack\n",
}

// checkMessage parses data as the server received it and compares it with m.
func checkMessage(t *testing.T, data []byte, m Message, from string) {
	t.Helper()
	for i, line := range strings.Split(string(data), "\r\n") {
		if strings.Contains(line, "\n") {
			t.Errorf("line %d has a bare LF: %q", i, line)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadMessage: %v\n%s", err, data)
	}
	h := msg.Header
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if subject != m.Subject {
		t.Errorf("Subject = %q, want %q (raw %q)", subject, m.Subject, h.Get("Subject"))
	}
	if raw := h.Get("Subject"); strings.ContainsFunc(raw, func(r rune) bool { return r > 127 }) {
		t.Errorf("raw Subject is not ASCII: %q", raw)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 {
		t.Fatalf("To %q: %v", h.Get("To"), err)
	}
	want, _ := mail.ParseAddress(m.To)
	if *to[0] != *want {
		t.Errorf("To = %v, want %v", to[0], want)
	}
	if got, _ := h.AddressList("From"); len(got) != 1 || got[0].Address != from {
		t.Errorf("From = %q, want address %s", h.Get("From"), from)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || !strings.Contains(id, "@") {
		t.Errorf("Message-ID = %q", id)
	}
	for k, v := range map[string]string{
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
	} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	_, rawBody, _ := strings.Cut(string(data), "\r\n\r\n")
	for _, line := range strings.Split(rawBody, "\r\n") {
		if len(line) > 76 {
			t.Errorf("body line longer than 76 characters: %q", line)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if wantBody := strings.ReplaceAll(m.Text, "\n", "\r\n"); string(body) != wantBody {
		t.Errorf("body = %q, want %q", body, wantBody)
	}
	if strings.Contains(m.Text, longURL) && !strings.Contains(string(body), longURL+"\r\n") {
		t.Errorf("body lacks the exact URL %s", longURL)
	}
}

func TestSMTPSend(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, "smtp://"+ts.addr+"?from=Backpack+%3Cnoreply@example.org%3E")
	if err := s.Send(context.Background(), testMessage); err != nil {
		t.Fatal(err)
	}
	got := ts.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if r.from != "noreply@example.org" || len(r.to) != 1 || r.to[0] != "alice@example.org" {
		t.Errorf("envelope from %q to %q, want noreply@example.org to [alice@example.org]", r.from, r.to)
	}
	if r.tls {
		t.Error("message came over TLS; the server offers none")
	}
	checkMessage(t, r.data, testMessage, "noreply@example.org")
}

func TestSMTPDefaultFrom(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, "smtp://"+ts.addr)
	m := Message{To: "bob@example.org", Subject: "Hello", Text: "plain ASCII"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := ts.received()
	if len(got) != 1 || got[0].from != "backpack@127.0.0.1" {
		t.Fatalf("received %+v, want one message from backpack@127.0.0.1", got)
	}
	checkMessage(t, got[0].data, Message{To: m.To, Subject: m.Subject, Text: m.Text + "\n"}, "backpack@127.0.0.1")
}

func TestSMTPAuth(t *testing.T) {
	ts := startServer(t, serverOptions{user: "backpack", password: "p@ss wörd"})

	s := newSender(t, "smtp://backpack:p%40ss%20w%C3%B6rd@"+ts.addr)
	if err := s.Send(context.Background(), testMessage); err != nil {
		t.Fatal(err)
	}
	if got := ts.received(); len(got) != 1 || got[0].user != "backpack" {
		t.Fatalf("received %+v, want one message from user backpack", got)
	}

	bad := newSender(t, "smtp://backpack:wrong-s3cret@"+ts.addr)
	err := bad.Send(context.Background(), testMessage)
	if err == nil {
		t.Fatal("Send with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), "wrong-s3cret") {
		t.Errorf("error reveals the password: %v", err)
	}
	if got := ts.received(); len(got) != 1 {
		t.Errorf("server has %d messages after a failed AUTH, want 1", len(got))
	}
}

func TestSMTPAuthNotOffered(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, "smtp://backpack:s3cret@"+ts.addr)
	err := s.Send(context.Background(), testMessage)
	if err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("Send = %v, want an AUTH error", err)
	}
	if len(ts.received()) != 0 {
		t.Error("message sent without authentication")
	}
}

func TestSTARTTLSRequiredWithoutTLS(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, "smtp://"+ts.addr+"?starttls=required")
	err := s.Send(context.Background(), testMessage)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send = %v, want a STARTTLS error", err)
	}
	if len(ts.received()) != 0 {
		t.Error("message sent in plain text despite starttls=required")
	}
}

func TestSTARTTLS(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	ts := startServer(t, serverOptions{tls: serverTLS, user: "backpack", password: "s3cret"})

	for _, mode := range []string{"required", "opportunistic"} {
		t.Run(mode, func(t *testing.T) {
			s := newSender(t, "smtp://backpack:s3cret@"+ts.addr+"?starttls="+mode)
			s.TLSConfig = clientTLS
			if err := s.Send(context.Background(), testMessage); err != nil {
				t.Fatal(err)
			}
		})
	}
	got := ts.received()
	if len(got) != 2 {
		t.Fatalf("server received %d messages, want 2", len(got))
	}
	for _, r := range got {
		if !r.tls || r.user != "backpack" {
			t.Errorf("message tls=%v user=%q, want TLS and user backpack", r.tls, r.user)
		}
		checkMessage(t, r.data, testMessage, "backpack@127.0.0.1")
	}

	t.Run("untrusted", func(t *testing.T) {
		s := newSender(t, "smtp://"+ts.addr) // opportunistic, default roots
		if err := s.Send(context.Background(), testMessage); err == nil {
			t.Fatal("Send trusted a self-signed certificate")
		}
	})
	t.Run("off", func(t *testing.T) {
		s := newSender(t, "smtp://backpack:s3cret@"+ts.addr+"?starttls=off&from=off@example.org")
		if err := s.Send(context.Background(), testMessage); err != nil {
			t.Fatal(err)
		}
		got := ts.received()
		if last := got[len(got)-1]; last.from != "off@example.org" || last.tls {
			t.Errorf("last message from %q tls=%v, want off@example.org without TLS", last.from, last.tls)
		}
	})
}

func TestSMTPS(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	ts := startServer(t, serverOptions{tls: serverTLS, implicitTLS: true})
	s := newSender(t, "smtps://"+ts.addr)
	s.TLSConfig = clientTLS
	if err := s.Send(context.Background(), testMessage); err != nil {
		t.Fatal(err)
	}
	if got := ts.received(); len(got) != 1 || !got[0].tls {
		t.Fatalf("received %+v, want one message over TLS", got)
	}
}

func TestNewSMTP(t *testing.T) {
	good := []struct {
		url, addr, from, name string
		mode                  starttlsMode
		implicit, auth        bool
	}{
		{"smtp://mail.example.org", "mail.example.org:587", "backpack@mail.example.org", "", starttlsOpportunistic, false, false},
		{"SMTP://mail.example.org:2525/", "mail.example.org:2525", "backpack@mail.example.org", "", starttlsOpportunistic, false, false},
		{"smtps://u:s3cret@mail.example.org", "mail.example.org:465", "backpack@mail.example.org", "", "", true, true},
		{"smtp://u@mail.example.org?starttls=required&from=Backpack%20%3Cnoreply%40example.org%3E",
			"mail.example.org:587", "noreply@example.org", "Backpack", starttlsRequired, false, true},
		{"smtp://[::1]:25?from=a@b.example&starttls=off", "[::1]:25", "a@b.example", "", starttlsOff, false, false},
	}
	for _, c := range good {
		s, err := NewSMTP(c.url)
		if err != nil {
			t.Errorf("NewSMTP(%q): %v", c.url, err)
			continue
		}
		if s.addr != c.addr || s.from.Address != c.from || s.from.Name != c.name ||
			s.implicitTLS != c.implicit || (s.auth != nil) != c.auth || (!c.implicit && s.starttls != c.mode) {
			t.Errorf("NewSMTP(%q) = addr %s from %v implicit %v auth %v starttls %s", c.url,
				s.addr, s.from, s.implicitTLS, s.auth != nil, s.starttls)
		}
		for _, format := range []string{"%v", "%+v", "%#v"} {
			if strings.Contains(fmt.Sprintf(format, s), "s3cret") {
				t.Errorf("%s of the sender for %q shows the password", format, c.url)
			}
		}
	}

	bad := []struct{ url, secret, want string }{
		{"", "", "empty"},
		{"ftp://u:s3cret@mail.example.org", "s3cret", "scheme"},
		{"mail.example.org:25", "", "scheme"},
		{"smtp://u:s3cret@", "s3cret", "no host"},
		{"smtp://u:s3cret@:25", "s3cret", "no host"},
		{"smtp:mail.example.org", "", "no host"},
		{"smtp://u:s3cret@mail.example.org:0", "s3cret", "port"},
		{"smtp://u:s3cret@mail.example.org:70000", "s3cret", "port"},
		{"smtp://u:s3c/ret@mail.example.org", "s3c", "parse"},
		{"smtp://u:s3cret%zz@mail.example.org", "s3cret", "parse"},
		{"smtp://u:s3cret@mail.example.org?starttls=maybe", "s3cret", "starttls"},
		{"smtps://u:s3cret@mail.example.org?starttls=required", "s3cret", "starttls"},
		{"smtp://u:s3cret@mail.example.org?from=not-an-address", "s3cret", "from"},
		{"smtp://u:s3cret@mail.example.org?from=a%40example.org%0D%0ABcc:x%40example.org", "s3cret", "from"},
		{"smtp://u:s3cret@[::1]", "s3cret", "from"}, // backpack@::1 is no address
		{"smtp://u:s3cret@mail.example.org?form=a@example.org", "s3cret", "parameter"},
	}
	for _, c := range bad {
		s, err := NewSMTP(c.url)
		if err == nil {
			t.Errorf("NewSMTP(%q) = %+v, want an error", c.url, s)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewSMTP(%q) error %q does not mention %q", c.url, err, c.want)
		}
		if c.secret != "" && strings.Contains(err.Error(), c.secret) {
			t.Errorf("NewSMTP(%q) error reveals the password: %q", c.url, err)
		}
	}
}

func TestHeaderInjection(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, "smtp://"+ts.addr)
	var buf bytes.Buffer
	l := LogSender{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	for _, m := range []Message{
		{To: "alice@example.org\r\nBcc: eve@example.org", Subject: "Hi", Text: "x"},
		{To: "alice@example.org\nBcc: eve@example.org", Subject: "Hi", Text: "x"},
		{To: "alice@example.org", Subject: "Hi\r\nBcc: eve@example.org", Text: "x"},
		{To: "alice@example.org", Subject: "Hi\rX-Evil: 1", Text: "x"},
		{To: "not an address", Subject: "Hi", Text: "x"},
		{To: "alice@example.org, eve@example.org", Subject: "Hi", Text: "x"},
	} {
		if err := s.Send(context.Background(), m); err == nil {
			t.Errorf("SMTPSender.Send(%q, %q) succeeded", m.To, m.Subject)
		}
		if err := l.Send(context.Background(), m); err == nil {
			t.Errorf("LogSender.Send(%q, %q) succeeded", m.To, m.Subject)
		}
	}
	if got := ts.received(); len(got) != 0 {
		t.Errorf("server received %d messages, want none", len(got))
	}
	if buf.Len() != 0 {
		t.Errorf("LogSender logged a rejected message: %s", buf.Bytes())
	}
}

func TestLogSender(t *testing.T) {
	var buf bytes.Buffer
	s, err := New("", slog.New(slog.NewJSONHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(LogSender); !ok {
		t.Fatalf("New(\"\") = %T, want LogSender", s)
	}
	if err := s.Send(context.Background(), testMessage); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log is not one JSON record: %v\n%s", err, buf.Bytes())
	}
	want := map[string]string{"level": "INFO", "to": testMessage.To, "subject": testMessage.Subject, "body": testMessage.Text}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("record %s = %q, want %q", k, rec[k], v)
		}
	}
	if !strings.Contains(rec["body"].(string), longURL) {
		t.Error("logged body lacks the link")
	}
	if rec["links"] != longURL {
		t.Errorf("links attribute %q, want exactly %q", rec["links"], longURL)
	}
}

func TestNew(t *testing.T) {
	s, err := New("smtp://mail.example.org", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*SMTPSender); !ok {
		t.Errorf("New(smtp URL) = %T, want *SMTPSender", s)
	}
	if _, err := New("http://mail.example.org", nil); err == nil {
		t.Error("New accepted an http URL")
	}
}

// stallingServer accepts connections and never answers a command: it stays
// silent, or with greet sends the greeting and then reads the client's first
// command (EHLO) without answering. It announces on the returned channel when a
// connection is stalled.
func stallingServer(t *testing.T, greet bool) (addr string, stalled <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if greet {
				io.WriteString(c, "220 localhost ESMTP\r\n")
				if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
					continue
				}
			}
			ch <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String(), ch
}

func TestSendSilentServerDeadline(t *testing.T) {
	addr, _ := stallingServer(t, false)
	s := newSender(t, "smtp://"+addr)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := s.Send(ctx, testMessage)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want context.DeadlineExceeded", err)
	}
}

func TestSendSilentServerCancel(t *testing.T) {
	addr, stalled := stallingServer(t, true)
	s := newSender(t, "smtp://"+addr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stalled // the client sent EHLO and waits for the answer
		cancel()
	}()
	err := s.Send(ctx, testMessage)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want context.Canceled", err)
	}
}

func TestSendCancelledContext(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, "smtp://"+ts.addr)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Send(ctx, testMessage)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want context.Canceled", err)
	}
	if len(ts.received()) != 0 {
		t.Error("message sent with a cancelled context")
	}
}
