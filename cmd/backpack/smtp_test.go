package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// mailbox is a real SMTP server on loopback that keeps what it receives.
type mailbox struct {
	mu      sync.Mutex
	msgs    []string    // "RCPT TO\nDATA"
	arrived chan string // the recipient of each message kept
	// With hold set, each message's DATA announces its recipient on held
	// and waits until release is closed.
	hold          bool
	held          chan string
	release       chan struct{}
	releaseClosed bool
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
	if s.box.hold {
		s.box.held <- s.to
		<-s.box.release
	}
	b, err := io.ReadAll(r)
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.to+"\n"+string(b))
	s.box.mu.Unlock()
	s.box.arrived <- s.to
	return err
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

func startMailbox(t *testing.T, hold bool) (*mailbox, string) {
	box := &mailbox{arrived: make(chan string, 100), hold: hold, held: make(chan string, 100), release: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: box}, nil }))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { box.open(); srv.Close() })
	return box, l.Addr().String()
}

// open lets held messages through.
func (b *mailbox) open() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.releaseClosed {
		close(b.release)
		b.releaseClosed = true
	}
}

// next returns the recipient of the next message to arrive. Mail is sent
// by the server's background loop, after the response.
func (b *mailbox) next(t *testing.T) string {
	t.Helper()
	select {
	case to := <-b.arrived:
		return to
	case <-time.After(time.Minute):
		t.Fatal("no mail reached the SMTP server within a minute")
		return ""
	}
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// TestSignUpMailGoesThroughSMTP runs the real server with --smtp-url and
// signs up over HTTP: the confirmation mail must reach the SMTP server, and
// nothing of it the log.
func TestSignUpMailGoesThroughSMTP(t *testing.T) {
	box, addr := startMailbox(t, false)
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

	box.next(t)
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

// formClient is a cookie-jar client that posts forms with the CSRF token of
// the page it last fetched.
type formClient struct {
	t      *testing.T
	base   string
	client *http.Client
}

func newFormClient(t *testing.T, base string) *formClient {
	jar, _ := cookiejar.New(nil)
	return &formClient{t: t, base: base, client: &http.Client{Jar: jar}}
}

// post GETs path for the token, then posts form to it, and returns the
// status and body of the answer. It reports errors instead of failing, so
// it can run in a goroutine.
func (c *formClient) post(path string, form url.Values) (int, string, error) {
	resp, err := c.client.Get(c.base + path)
	if err != nil {
		return 0, "", err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		return 0, "", fmt.Errorf("no CSRF token on %s", path)
	}
	form.Set("_csrf", string(m[1]))
	resp, err = c.client.PostForm(c.base+path, form)
	if err != nil {
		return 0, "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body), nil
}

type answer struct {
	status int
	body   string
	err    error
}

// TestRequestsNeverWaitOnTheMailServer is issue 15's enumeration by
// timing: /password/forgot sent its mail inside the request, so with a slow
// mail server the response time told whether an account exists. The SMTP
// server here holds every message until released, and the first one (a
// sign-up's confirmation) keeps the server's mail loop busy. Each request
// that mails must then answer while the mail server still holds; a request
// that sent its own mail would instead reach the server (announced on held)
// and never answer. The reset answer is the same for an address with an
// account and one without.
func TestRequestsNeverWaitOnTheMailServer(t *testing.T) {
	box, addr := startMailbox(t, true)
	s := startServer(t, []string{"--smtp-url", "smtp://" + addr + "?starttls=off&from=backpack@example.org"}, nil)
	c := newFormClient(t, s.url)

	// The blocker: its answer is not awaited until the end.
	first := make(chan answer, 1)
	go func() {
		status, body, err := c.post("/signup", url.Values{"email": {"first@example.org"}, "password": {"correct horse battery"}})
		first <- answer{status, body, err}
	}()
	select {
	case to := <-box.held:
		if to != "first@example.org" {
			t.Fatalf("held mail to %s, want first@example.org", to)
		}
	case <-time.After(time.Minute):
		t.Fatal("the sign-up's confirmation did not reach the SMTP server within a minute")
	}

	ask := func(path, email string, form url.Values) string {
		t.Helper()
		form.Set("email", email)
		done := make(chan answer, 1)
		go func() {
			status, body, err := c.post(path, form)
			done <- answer{status, body, err}
		}()
		select {
		case a := <-done:
			if a.err != nil || a.status != http.StatusOK {
				t.Fatalf("POST %s for %s: %d %v", path, email, a.status, a.err)
			}
			return strings.ReplaceAll(csrfInput.ReplaceAllString(a.body, ""), email, "X")
		case to := <-box.held:
			t.Fatalf("POST %s for %s: mail to %s reached the mail server before the answer: the request waits on it", path, email, to)
			return ""
		}
	}
	ask("/signup", "alice@example.org", url.Values{"password": {"correct horse battery"}})
	known := ask("/password/forgot", "alice@example.org", url.Values{})
	unknown := ask("/password/forgot", "nobody@example.org", url.Values{})
	if known != unknown {
		t.Fatal("the reset answer for an address with an account differs from the one for an address without")
	}
	// Queued last: once it arrives, everything queued before it has gone.
	ask("/password/forgot", "first@example.org", url.Values{})

	box.open()
	if a := <-first; a.err != nil || a.status != http.StatusOK {
		t.Fatalf("the first sign-up: %d %v", a.status, a.err)
	}
	var got []string
	for len(got) == 0 || got[len(got)-1] != "first@example.org" || len(got) == 1 {
		got = append(got, box.next(t))
	}
	if want := "first@example.org alice@example.org alice@example.org first@example.org"; strings.Join(got, " ") != want {
		t.Fatalf("mail went to %v, want %s (a confirmation and a reset link each, nothing to nobody@)", got, want)
	}
}
