package main

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// mailbox is a real SMTP server on loopback that keeps what it receives.
type mailbox struct {
	mu   sync.Mutex
	msgs []string // "RCPT TO\nDATA"
}

type mailSession struct {
	box *mailbox
	to  string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.to+"\n"+string(b))
	s.box.mu.Unlock()
	return err
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

func startMailbox(t *testing.T) (*mailbox, string) {
	box := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: box}, nil }))
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return box, l.Addr().String()
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// TestSignUpMailGoesThroughSMTP runs the real server with --smtp-url and
// signs up over HTTP: the confirmation mail must reach the SMTP server, and
// nothing of it the log.
func TestSignUpMailGoesThroughSMTP(t *testing.T) {
	box, addr := startMailbox(t)
	s := startServer(t, []string{"--smtp-url", "smtp://" + addr + "?starttls=off&from=backpack@example.org"}, nil)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(s.url + "/signup")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the sign-up page")
	}
	resp, err = client.PostForm(s.url+"/signup", url.Values{"_csrf": {string(m[1])}, "email": {"Alice@Example.org"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-up: %d", resp.StatusCode)
	}

	box.mu.Lock()
	msgs := append([]string(nil), box.msgs...)
	box.mu.Unlock()
	if len(msgs) != 1 {
		t.Fatalf("%d mails received, want 1", len(msgs))
	}
	to, data, _ := strings.Cut(msgs[0], "\n")
	if to != "Alice@Example.org" || !strings.Contains(data, "From: <backpack@example.org>") && !strings.Contains(data, "From: backpack@example.org") {
		t.Fatalf("envelope to %q, message:\n%s", to, data)
	}
	// The body is quoted-printable: join soft line breaks before looking.
	body := strings.ReplaceAll(data, "=\r\n", "")
	link := regexp.MustCompile(`http://127\.0\.0\.1:\d+/confirm/[A-Za-z0-9_=-]+`).FindString(body)
	if link == "" {
		t.Fatalf("no confirmation link in:\n%s", data)
	}
	if strings.Contains(s.stderr.String(), "/confirm/") {
		t.Error("the confirmation link was logged although mail went through SMTP")
	}
	// And it works.
	resp, err = client.Get(strings.ReplaceAll(link, "=3D", "="))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasSuffix(resp.Request.URL.Path, "/login") {
		t.Fatalf("confirmation link led to %s", resp.Request.URL)
	}
}
