package web

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
)

// readCounter is a request body that counts the bytes read from it.
type readCounter struct {
	r io.Reader
	n atomic.Int64
}

func (c *readCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// routePath fills a registered path's parameters with something routable.
func routePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		switch {
		case strings.HasPrefix(s, ":"):
			parts[i] = "1"
		case s == "*":
			parts[i] = "x"
		}
	}
	return strings.Join(parts, "/")
}

// TestVisitorsBodyIsNeverRead: a request for a page of signed-in users
// that comes without a signed-in user, anonymous or after its session
// ended, is sent to sign in before anything reads its body, on every
// route that takes a body; so a visitor can never make the server receive
// an upload. Any route that answers like requireUser must not have read
// the body either (a route guarded on its own, outside usersOnly).
func TestVisitorsBodyIsNeverRead(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	stale := a.browser(t) // alice's cookie, from before her session ended
	for _, c := range alice.jar.Cookies(base) {
		stale.jar.SetCookies(base, []*http.Cookie{c})
	}
	stale.csrf = alice.csrf
	alice.get("/settings")
	wantStatus(t, alice.post("/settings/sessions", url.Values{"scope": {"all"}}), http.StatusSeeOther)
	alice.post("/logout", nil)
	anonymous := a.browser(t)
	anonymous.get("/")

	noise := make([]byte, 3<<20)
	rand.NewChaCha8([32]byte{}).Read(noise)
	routes := 0
	for _, r := range a.Echo().Routes() {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			continue
		}
		forUsers := false
		for _, prefix := range a.userPaths {
			forUsers = forUsers || r.Path == prefix || strings.HasPrefix(r.Path, prefix+"/")
		}
		routes++
		for who, b := range map[string]*browser{"anonymous": anonymous, "signed out": stale} {
			body, ct := multipartBody(t, map[string]string{"_csrf": b.csrf}, "files", "big.png", noise)
			rc := &readCounter{r: bytes.NewReader(body)}
			req := httptest.NewRequest(r.Method, b.origin()+routePath(r.Path), rc)
			req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
			req.Header.Set("Content-Type", ct)
			p := b.do(req)
			toLogin := p.StatusCode == http.StatusSeeOther && strings.HasPrefix(p.Header.Get("Location"), "/login")
			if forUsers && !toLogin {
				t.Errorf("%s %s %s: %d %s, want a redirect to sign in", who, r.Method, r.Path, p.StatusCode, p.Header.Get("Location"))
			}
			if toLogin && rc.n.Load() > 0 {
				t.Errorf("%s %s %s: %d bytes of the body were read before the redirect to sign in", who, r.Method, r.Path, rc.n.Load())
			}
		}
	}
	if routes < 20 {
		t.Fatalf("only %d routes take a body: the walk is broken", routes)
	}
}

// budgetFree reports whether the whole upload budget is free again.
func budgetFree(a *app) bool {
	if !a.uploads.sem.TryAcquire(a.uploads.total) {
		return false
	}
	a.uploads.sem.Release(a.uploads.total)
	return true
}

// tempFiles lists what is in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestUploadTempFilesAreRemoved: an upload's files beyond formMemory are
// spooled to TMPDIR, and TMPDIR is empty again, with the upload budget
// all free, when the request has been answered, however it ended: a
// page, an error, a panic, a body cut off by the client, a malformed
// body; served by net/http's server or by the handler called directly
// (which nothing else cleans up after).
func TestUploadTempFilesAreRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	a := newApp(t)
	var spooled atomic.Int64 // temporary files seen while a handler ran
	a.acceptBody(a.Echo().POST("/test/panic", func(c echo.Context) error {
		if _, err := c.FormFile("files"); err != nil {
			return err
		}
		spooled.Add(int64(len(tempFiles(t, tmp))))
		panic("boom")
	}), 8<<20, 0)
	finished := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Signal once the app is done, before net/http cleans up on its
		// own: what is left then is the app's.
		defer func() { finished <- struct{}{} }()
		a.ServeHTTP(w, r)
	}))
	defer srv.Close()
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	cookies := alice.jar.Cookies(base)

	noise := make([]byte, 2<<20) // over formMemory: it goes to disk
	rand.NewChaCha8([32]byte{}).Read(noise)
	form := func(field, name string) ([]byte, string) {
		return multipartBody(t, map[string]string{"_csrf": alice.csrf}, field, name, noise)
	}
	overHTTP := func(path string, body []byte, ct string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		<-finished
		return resp.StatusCode
	}
	check := func(what string) {
		t.Helper()
		if left := tempFiles(t, tmp); len(left) > 0 {
			t.Errorf("%s: TMPDIR still holds %v", what, left)
		}
		if !budgetFree(a) {
			t.Errorf("%s: the upload budget was not given back", what)
		}
	}

	body, ct := form("files", "noise.png")
	if got := overHTTP("/badges", body, ct); got != http.StatusOK {
		t.Errorf("an upload of noise: %d, want 200", got)
	}
	check("an upload answered with a page")

	body, ct = form("archive", "noise.zip")
	if got := overHTTP("/imports", body, ct); got != http.StatusUnprocessableEntity {
		t.Errorf("an archive that is no ZIP: %d, want 422", got)
	}
	check("an upload answered with an error")

	body, ct = form("files", "noise.png")
	if got := overHTTP("/test/panic", body, ct); got != http.StatusInternalServerError {
		t.Errorf("a handler that panics: %d, want 500", got)
	}
	if spooled.Load() == 0 {
		t.Error("the upload was not spooled to TMPDIR: the other cases prove nothing")
	}
	check("an upload whose handler panicked")

	cut := bytes.Clone(body)
	if got := overHTTP("/test/panic", cut[:len(cut)-200], ct); got != http.StatusForbidden {
		t.Errorf("a malformed body: %d, want 403 (it looks empty: no token)", got)
	}
	check("a malformed body")

	// The client goes away in the middle of the body.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	fmt.Fprintf(&head, "POST /badges HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n", srv.Listener.Addr(), ct, len(body))
	for _, c := range cookies {
		fmt.Fprintf(&head, "Cookie: %s\r\n", c.String())
	}
	head.WriteString("\r\n")
	w := bufio.NewWriter(conn)
	w.WriteString(head.String())
	w.Write(body[:len(body)*3/4])
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	<-finished
	check("a body cut off by the client")

	// Called directly, as behind another server or in these tests: no
	// net/http server removes anything afterwards.
	alice.get("/badges/new")
	body, ct = form("files", "noise.png")
	req := httptest.NewRequest(http.MethodPost, alice.origin()+"/badges", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	wantStatus(t, alice.do(req), http.StatusOK)
	check("an upload served without net/http's server")
}

// TestUploadBudget: an upload is admitted only when the global budget has
// room for all of it (its Content-Length, or the route's whole limit when
// it comes chunked), and is otherwise refused at once with 503 and
// Retry-After, before its body is read.
func TestUploadBudget(t *testing.T) {
	a := newApp(t, func(c *Config) { c.UploadBudget = 3 << 20 })
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	noise := make([]byte, 2<<20)
	rand.NewChaCha8([32]byte{}).Read(noise)
	body, ct := multipartBody(t, map[string]string{"_csrf": alice.csrf}, "files", "noise.png", noise)
	request := func(r io.Reader, length int64) *http.Request {
		req := httptest.NewRequest(http.MethodPost, alice.origin()+"/badges", r)
		req.ContentLength = length
		if length < 0 {
			req.TransferEncoding = []string{"chunked"}
		}
		req.Header.Set("Content-Type", ct)
		req.RemoteAddr = alice.remote
		for _, c := range alice.jar.Cookies(base) {
			req.AddCookie(c)
		}
		return req
	}

	// The first upload is being received: its first bytes were read.
	pr, pw := io.Pipe()
	first := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, request(pr, int64(len(body))))
		first <- rec.Code
	}()
	if _, err := pw.Write(body[:1024]); err != nil {
		t.Fatal(err)
	}
	rc := &readCounter{r: bytes.NewReader(body)}
	p := alice.do(request(rc, int64(len(body))))
	wantStatus(t, p, http.StatusServiceUnavailable)
	if p.Header.Get("Retry-After") != "60" || rc.n.Load() != 0 {
		t.Errorf("an upload over the budget: Retry-After %q, %d bytes read", p.Header.Get("Retry-After"), rc.n.Load())
	}
	pw.Write(body[1024:])
	pw.Close()
	if code := <-first; code != http.StatusOK {
		t.Fatalf("the first upload: %d", code)
	}
	wantStatus(t, alice.do(request(bytes.NewReader(body), int64(len(body)))), http.StatusOK)

	// Chunked, it may be as large as the route allows (260 MiB): more
	// than the whole budget.
	rc = &readCounter{r: bytes.NewReader(body)}
	wantStatus(t, alice.do(request(rc, -1)), http.StatusServiceUnavailable)
	if rc.n.Load() != 0 {
		t.Errorf("a chunked upload refused for the budget: %d bytes read", rc.n.Load())
	}
	// Ordinary forms never count.
	alice.get("/collections")
	wantStatus(t, alice.post("/collections", url.Values{"name": {"Work"}}), http.StatusSeeOther)
	if !budgetFree(a) {
		t.Error("the budget was not given back")
	}
}
