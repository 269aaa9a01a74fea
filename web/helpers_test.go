package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"backpack/internal/testclock"
	"backpack/mail"
	"backpack/store"
)

// fastArgon2 keeps the suite quick; the real parameters have their own
// tests.
var fastArgon2 = Argon2Params{Memory: 64, Time: 1, Threads: 1}

// outbox stands for the mail loop: it sends (keeps) what the requests
// queued in the database when a test looks at the mail, as if the loop
// had run by then.
type outbox struct {
	db    *store.DB
	now   func() time.Time
	mu    sync.Mutex
	msgs  []mail.Message
	wakes int
}

// Wake counts the requests that queued mail.
func (o *outbox) Wake() { o.mu.Lock(); o.wakes++; o.mu.Unlock() }

// all sends what is queued and due, then returns every message sent.
func (o *outbox) all() []mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	ctx := context.Background()
	for {
		m, err := o.db.ClaimMail(ctx, o.now(), time.Minute)
		if err != nil {
			break
		}
		o.msgs = append(o.msgs, mail.Message{To: m.To, Subject: m.Subject, Text: m.Text})
		if err := o.db.MailSent(ctx, m.ID, o.now()); err != nil {
			panic(err)
		}
	}
	return append([]mail.Message(nil), o.msgs...)
}

var linkRE = regexp.MustCompile(`https?://\S+`)

// lastLink returns the path of the link in the newest message to addr.
func (o *outbox) lastLink(t testing.TB, to string) string {
	t.Helper()
	msgs := o.all()
	for i := len(msgs) - 1; i >= 0; i-- {
		if strings.EqualFold(msgs[i].To, to) {
			if l := linkRE.FindString(msgs[i].Text); l != "" {
				u, _ := url.Parse(l)
				return u.Path
			}
		}
	}
	t.Fatalf("no mail with a link to %s; outbox: %+v", to, msgs)
	return ""
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type app struct {
	*Server
	db    *store.DB
	mail  *outbox
	clock *clock
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var testKey = func() []byte {
	k := make([]byte, 64)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

// newApp builds the whole application on a temporary database. Options
// adjust the Config.
func newApp(t testing.TB, opts ...func(*Config)) *app {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := &app{db: db, clock: &clock{t: testclock.Now()}, logs: &syncBuffer{}}
	a.mail = &outbox{db: db, now: a.clock.now}
	cfg := Config{
		Store: db, Mail: a.mail, BaseURL: &url.URL{Scheme: "http", Host: "backpack.test"},
		SessionKeys: [][]byte{testKey}, Now: a.clock.now,
		Hasher:     NewArgon2(fastArgon2, 2),
		Logger:     slog.New(slog.NewTextHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		LoginLimit: Limit{Burst: 1000, Every: time.Millisecond},
	}
	for _, o := range opts {
		o(&cfg)
	}
	a.Server, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// browser is a cookie-jar client that calls the router directly, so tests
// can choose the client address.
type browser struct {
	t      testing.TB
	app    *app
	jar    *cookiejar.Jar
	remote string
	csrf   string // scraped from the last page with a form
	header http.Header
}

var base = &url.URL{Scheme: "http", Host: "backpack.test", Path: "/"}

func (a *app) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, app: a, jar: jar, remote: "192.0.2.10:5000", header: http.Header{}}
}

type page struct {
	*http.Response
	body string
	doc  *goquery.Document
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	req.RemoteAddr = b.remote
	for k, v := range b.header {
		req.Header[k] = v
	}
	for _, c := range b.jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.app.ServeHTTP(rec, req)
	resp := rec.Result()
	b.jar.SetCookies(req.URL, resp.Cookies())
	body, _ := io.ReadAll(resp.Body)
	p := &page{Response: resp, body: string(body)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		p.doc, _ = goquery.NewDocumentFromReader(strings.NewReader(p.body))
		if v, ok := p.doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok {
			b.csrf = v
		}
	}
	return p
}

// origin is the app's scheme and host: a Secure cookie is only sent back
// over https.
func (b *browser) origin() string {
	return b.app.cfg.BaseURL.Scheme + "://" + b.app.cfg.BaseURL.Host
}

// get requests a path, optionally with a query string.
func (b *browser) get(pathAndQuery string) *page {
	b.t.Helper()
	return b.do(httptest.NewRequest(http.MethodGet, b.origin()+pathAndQuery, nil))
}

// post submits a form with the CSRF token scraped from the last page.
func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.csrf)
	}
	return b.postRaw(path, form)
}

// postRaw submits the form exactly as given.
func (b *browser) postRaw(path string, form url.Values) *page {
	b.t.Helper()
	req := httptest.NewRequest(http.MethodPost, b.origin()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow GETs the redirect target of p.
func (b *browser) follow(p *page) *page {
	b.t.Helper()
	if p.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("want a 303 redirect, got %d: %s", p.StatusCode, p.text())
	}
	loc, _ := url.Parse(p.Header.Get("Location"))
	return b.get(loc.RequestURI())
}

func (p *page) text() string {
	if p.doc == nil {
		return p.body
	}
	return strings.Join(strings.Fields(p.doc.Find("main").Text()), " ")
}

func (p *page) has(selector string) bool { return p.doc != nil && p.doc.Find(selector).Length() > 0 }

func wantStatus(t testing.TB, p *page, want int) {
	t.Helper()
	if p.StatusCode != want {
		t.Fatalf("status %d, want %d; page: %.600s", p.StatusCode, want, p.text())
	}
}

func wantRedirect(t testing.TB, p *page, to string) {
	t.Helper()
	wantStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != to {
		t.Fatalf("redirect to %q, want %q", loc, to)
	}
}

const goodPassword = "correct horse battery"

// signUpConfirmed creates a confirmed account and returns a browser
// signed in to it.
func (a *app) signUpConfirmed(t testing.TB, email string) *browser {
	t.Helper()
	b := a.browser(t)
	b.get("/signup")
	wantStatus(t, b.post("/signup", url.Values{"email": {email}, "password": {goodPassword}}), http.StatusOK)
	wantRedirect(t, b.get(a.mail.lastLink(t, email)), "/login")
	if p := b.login(email, goodPassword); !p.has(`[data-testid=empty-backpack]`) {
		t.Fatalf("sign-in of %s failed: %d %s", email, p.StatusCode, p.text())
	}
	return b
}

func (b *browser) login(email, password string) *page {
	b.t.Helper()
	b.get("/login")
	p := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if p.StatusCode == http.StatusSeeOther {
		return b.follow(p)
	}
	return p
}

type goquerySelection = goquery.Selection
