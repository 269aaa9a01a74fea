package main

// Helpers for the tests that run the real backpack binary as a child
// process, as it runs in production (TestCrashDuringImport,
// TestLoadImports): the binary is built once per test run, started with
// "serve" on a free port and a data folder, driven over plain HTTP like a
// script would, and stopped with a signal.

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"backpack/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string // removed by TestMain
	binPath   string
	buildErr  error
)

// backpackBinary builds this package with the go command that runs the
// tests, once per test run, and returns the binary's path.
func backpackBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goCmd, err := exec.LookPath("go") // go test puts its own GOROOT/bin first
		if err != nil {
			buildErr = fmt.Errorf("no go command on PATH to build the binary: %v", err)
			return
		}
		if binDir, buildErr = os.MkdirTemp("", "backpack-test-bin-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "backpack")
		if out, err := exec.Command(goCmd, "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// backpackProcess is the binary serving as a child process.
type backpackProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string // where it runs, without a trailing slash
	stdout *browserLog
	log    *browserLog // its stderr: the log, where the mail goes too
	exited chan struct{}
	err    error // how it exited, once exited is closed
}

// startBackpack runs "backpack serve" on a free loopback port with the data
// folder data and more arguments, and waits until it says where it runs.
// It gets an empty environment: no BACKPACK_* variable of the developer's
// can send mail or move the data. The test's end kills it if still running,
// and a failed test shows its log.
func startBackpack(t *testing.T, data string, args ...string) *backpackProcess {
	t.Helper()
	return startBackpackEnv(t, data, []string{}, args...)
}

// startBackpackEnv is startBackpack with the environment env.
func startBackpackEnv(t *testing.T, data string, env []string, args ...string) *backpackProcess {
	t.Helper()
	p := &backpackProcess{t: t, stdout: &browserLog{}, log: &browserLog{}, exited: make(chan struct{})}
	p.cmd = exec.Command(backpackBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data}, args...)...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("log of backpack (pid %d):\n%s", p.cmd.Process.Pid, p.log)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := browserRunningRE.FindStringSubmatch(p.stdout.String()); m != nil {
			p.url = m[1]
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("backpack stopped before it was ready: %v\nstdout: %s\nlog: %s", p.err, p.stdout, p.log)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("backpack did not say where it runs within 30 s\nstdout: %s\nlog: %s", p.stdout, p.log)
		}
	}
}

// kill ends the process at once (SIGKILL: no clean-up of any kind) and
// waits until it is gone.
func (p *backpackProcess) kill() {
	p.cmd.Process.Kill() // an error means it had already exited
	<-p.exited
}

// stop asks the process to shut down gracefully (SIGTERM, as Ctrl+C or
// systemd would) and returns how it exited.
func (p *backpackProcess) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.exited:
		return p.err
	case <-time.After(30 * time.Second):
		p.kill()
		return errors.New("no graceful shutdown within 30 s")
	}
}

// peakMemory is the process's peak resident set size (VmHWM in
// /proc/PID/status), or "n/a" where there is no such file.
func (p *backpackProcess) peakMemory() string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return "n/a"
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				return strings.TrimSpace(v)
			}
			return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
		}
	}
	return "n/a"
}

// logLines are the lines of the log that contain s.
func (p *backpackProcess) logLines(s string) []string {
	var out []string
	for line := range strings.Lines(p.log.String()) {
		if strings.Contains(line, s) {
			out = append(out, strings.TrimSuffix(line, "\n"))
		}
	}
	return out
}

// confirmLink waits for the confirmation mail to email in the log (the
// server writes mail there without --smtp-url) and returns its link.
func (p *backpackProcess) confirmLink(email string) string {
	return (&browserApp{t: p.t, url: p.url, stderr: p.log}).waitMail(email, "/confirm/", 0)
}

// webUser is an account driven over plain HTTP: a cookie jar, the CSRF
// token taken from the pages, redirects not followed (their status and
// Location are checked). Its methods return errors rather than fail the
// test, so that goroutines may use them; one goroutine at a time per user.
type webUser struct {
	email  string
	base   string // the server's URL; set again when it restarts on another port
	client *http.Client
	csrf   string // the session's form token, from the last page read
	// watch, when set, sees every answer's body.
	watch func(body []byte)
}

// signUpOverHTTP creates an account on p, confirms its address with the
// mailed link and signs in.
func signUpOverHTTP(t *testing.T, p *backpackProcess, email string) *webUser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &webUser{email: email, base: p.url, client: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	creds := url.Values{"email": {email}, "password": {browserPassword}}
	if _, err := u.page("/signup"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.post("/signup", creds, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if _, err := u.expect(http.MethodGet, strings.TrimPrefix(p.confirmLink(email), p.url), nil, "", http.StatusSeeOther); err != nil {
		t.Fatal(err)
	}
	if _, err := u.page("/login"); err != nil {
		t.Fatal(err)
	}
	resp, err := u.post("/login", creds, http.StatusSeeOther)
	if err != nil {
		t.Fatal(err)
	}
	if loc := resp.Header.Get("Location"); loc != "/badges" {
		t.Fatalf("sign in %s: redirected to %q, want /badges", email, loc)
	}
	if _, err := u.page("/badges"); err != nil { // the signed-in session's token
		t.Fatal(err)
	}
	return u
}

// expect sends a request and reads the whole answer, which must have the
// status want.
func (u *webUser) expect(method, path string, body io.Reader, contentType string, want int) (*http.Response, error) {
	req, err := http.NewRequest(method, u.base+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: body: %w", method, path, err)
	}
	if u.watch != nil {
		u.watch(b)
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %s, want %d: %.300s", method, path, resp.Status, want, b)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// page reads an HTML page (it must answer 200) and keeps its form token.
func (u *webUser) page(path string) (*goquery.Document, error) {
	resp, err := u.expect(http.MethodGet, path, nil, "", http.StatusOK)
	if err != nil {
		return nil, err
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if tok, ok := doc.Find(`input[name=_csrf]`).First().Attr("value"); ok {
		u.csrf = tok
	}
	return doc, nil
}

// post submits a form with the form token.
func (u *webUser) post(path string, form url.Values, want int) (*http.Response, error) {
	form.Set("_csrf", u.csrf)
	return u.expect(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", want)
}

// postRedirect submits a form that must redirect (303) to a path with
// prefix, and returns that path.
func (u *webUser) postRedirect(path string, form url.Values, prefix string) (string, error) {
	resp, err := u.post(path, form, http.StatusSeeOther)
	if err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, prefix) {
		return "", fmt.Errorf("POST %s: redirected to %q, want %s…", path, loc, prefix)
	}
	return loc, nil
}

// upload posts a ZIP to the bulk import form and returns the job's page,
// /imports/ID.
func (u *webUser) upload(name string, archive []byte) (string, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", u.csrf)
	fw, err := w.CreateFormFile("archive", name)
	if err != nil {
		return "", err
	}
	fw.Write(archive)
	w.Close()
	resp, err := u.expect(http.MethodPost, "/imports", &body, w.FormDataContentType(), http.StatusSeeOther)
	if err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	if _, err := jobID(loc); err != nil {
		return "", fmt.Errorf("import %s: redirected to %q, want /imports/ID", name, loc)
	}
	return loc, nil
}

// jobID is the id in a job's path, /imports/ID.
func jobID(job string) (int64, error) {
	return strconv.ParseInt(strings.TrimPrefix(job, "/imports/"), 10, 64)
}

// jobProgress is the JSON twin of a job's page.
type jobProgress struct {
	Done     int            `json:"done"`
	Total    int            `json:"total"`
	Finished bool           `json:"finished"`
	Outcomes map[string]int `json:"outcomes"`
}

// progress reads a job's progress.
func (u *webUser) progress(job string) (jobProgress, error) {
	var p jobProgress
	resp, err := u.expect(http.MethodGet, job+".json", nil, "", http.StatusOK)
	if err != nil {
		return p, err
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return p, fmt.Errorf("GET %s.json: %w", job, err)
	}
	return p, nil
}

// waitJob follows a job's progress (every poll) until until says it is
// enough, and returns the last progress read.
func (u *webUser) waitJob(job string, poll, timeout time.Duration, until func(jobProgress) bool) (jobProgress, error) {
	deadline := time.Now().Add(timeout)
	for {
		p, err := u.progress(job)
		if err != nil || until(p) {
			return p, err
		}
		if time.Now().After(deadline) {
			return p, fmt.Errorf("%s: still at %d of %d files after %v", job, p.Done, p.Total, timeout)
		}
		time.Sleep(poll)
	}
}

func finished(p jobProgress) bool { return p.Finished }

// jobItem is one file as a job's page lists it.
type jobItem struct {
	Name, Outcome string
	Badge         string // /badges/ID, or ""
}

// jobItems reads a job's page: every file with its outcome ("waiting"
// while not imported yet).
func (u *webUser) jobItems(job string) ([]jobItem, error) {
	doc, err := u.page(job)
	if err != nil {
		return nil, err
	}
	var items []jobItem
	doc.Find(`[data-testid=import-items] [data-testid=import-result]`).Each(func(_ int, s *goquery.Selection) {
		items = append(items, jobItem{Name: strings.TrimSpace(s.Find(".item").Text()), Outcome: s.AttrOr("data-outcome", ""),
			Badge: s.Find(`.actions a[href^="/badges/"]`).AttrOr("href", "")})
	})
	return items, nil
}

// zipEntry is one file of an archive.
type zipEntry struct {
	name string
	data []byte
}

// hostedBadges publishes n hosted assertions for email on the issuer, at
// /a/PREFIX/1 to /a/PREFIX/n, and returns them as files PREFIX/0001.json to
// PREFIX/NNNN.json: every call with a new prefix gives new badges.
func hostedBadges(is *browserIssuer, email, prefix string, n int) []zipEntry {
	files := make([]zipEntry, n)
	for i := range files {
		files[i] = zipEntry{fmt.Sprintf("%s/%04d.json", prefix, i+1), is.assertion(fmt.Sprintf("/a/%s/%d", prefix, i+1), email)}
	}
	return files
}

// zipOf packs the files, in order.
func zipOf(files []zipEntry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkImported opens the database in data (the server must not be
// running, or be dead) and checks that it passes SQLite's integrity check,
// that every item of the jobs that the job pages showed as added or
// duplicate is done so in the database and points to a badge of the user
// whose original is the file's bytes, and that the user's kept badge count
// is the number of their badges. It returns the user's badges by original.
func checkImported(t *testing.T, data, email string, shown map[string][]jobItem, files map[string][]byte) map[string]int {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatalf("integrity check: %v", err)
	}
	user, err := db.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	for job, items := range shown {
		id, err := jobID(job)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := db.ImportItems(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]store.ImportItem{}
		for _, it := range stored {
			byName[it.Name] = it
		}
		for _, shown := range items {
			if shown.Outcome != "added" && shown.Outcome != "duplicate" {
				continue
			}
			it, ok := byName[shown.Name]
			if !ok || !it.Done || it.Outcome != shown.Outcome || it.BadgeID == 0 || shown.Badge != fmt.Sprintf("/badges/%d", it.BadgeID) {
				t.Errorf("%s: %s was shown %s (%s); the database has %+v (found: %v)", job, shown.Name, shown.Outcome, shown.Badge, it, ok)
				continue
			}
			b, err := db.BadgeByID(ctx, user.ID, it.BadgeID)
			if err != nil {
				t.Errorf("%s: %s was shown %s as badge %d, which is not in the database: %v", job, shown.Name, shown.Outcome, it.BadgeID, err)
				continue
			}
			if !bytes.Equal(b.Original, files[shown.Name]) {
				t.Errorf("%s: %s became badge %d, whose original is other bytes", job, shown.Name, it.BadgeID)
			}
		}
	}
	badges := map[string]int{}
	rows := 0
	err = db.Snapshot(ctx, user.ID, func(s *store.Snapshot) error {
		return s.Badges(true, func(b store.Badge) error { badges[string(b.Original)]++; rows++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := db.ListBadges(ctx, user.ID, store.BadgeQuery{}); err != nil || l.All != rows {
		t.Errorf("%s has %d badges, but their kept count says %d (%v)", email, rows, l.All, err)
	}
	return badges
}
