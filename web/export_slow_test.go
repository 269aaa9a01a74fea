package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"backpack/badges"
)

// TestSlowExportDownloadsHoldNoConnection: more export downloads than the
// database has reader connections, each read by a client that has taken
// one byte and waits, leave /healthz and the signed-in pages answering,
// leave no named file in TMPDIR, and still come out whole, each one
// snapshot of its user's data: what is written while they download is
// not in them. A second export of the same user meanwhile is refused with
// 429 and Retry-After.
func TestSlowExportDownloadsHoldNoConnection(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	a := newApp(t)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // before srv.Close: a hung download lets go
	// Each export is larger than what the sockets between server and
	// client can buffer, so that a download not read holds its handler.
	const downloads, perUser, originalSize = 6, 2, 4 << 20
	rng := rand.NewChaCha8([32]byte{})
	type user struct {
		id      int64
		cookies []*http.Cookie
		sums    map[string]bool // of the originals
	}
	users := make([]user, downloads)
	for i := range users {
		email := fmt.Sprintf("user%d@example.org", i)
		b := a.signUpConfirmed(t, email)
		u, err := a.db.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		users[i] = user{id: u.ID, cookies: b.jar.Cookies(base), sums: map[string]bool{}}
		for j := range perUser {
			orig := make([]byte, originalSize)
			rng.Read(orig)
			saveRawBadge(t, a, u.ID, fmt.Sprintf("Badge %d.%d", i, j), orig)
			sum := sha256.Sum256(orig)
			users[i].sums[hex.EncodeToString(sum[:])] = true
		}
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	get := func(ctx context.Context, path string, cookies []*http.Cookie) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		return client.Do(req)
	}
	// answers is what path answers within a generous time (a hang is a
	// failure, not a slow answer).
	var lastHeader http.Header
	answers := func(path string, cookies []*http.Cookie) (int, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		resp, err := get(ctx, path, cookies)
		if err != nil {
			t.Fatalf("GET %s while the downloads are open: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		lastHeader = resp.Header
		return resp.StatusCode, string(b)
	}

	type started struct {
		i    int
		resp *http.Response
		err  error
	}
	begun := make(chan started)
	for i, u := range users {
		go func() {
			resp, err := get(ctx, "/settings/export.zip", u.cookies)
			if err == nil {
				_, err = io.ReadFull(resp.Body, make([]byte, 1))
			}
			begun <- started{i, resp, err}
		}()
	}
	open := make([]*http.Response, downloads)
	for n := range downloads {
		select {
		case s := <-begun:
			if s.err != nil {
				t.Fatalf("download %d: %v", s.i, s.err)
			}
			if s.resp.StatusCode != http.StatusOK {
				t.Fatalf("download %d: %d", s.i, s.resp.StatusCode)
			}
			open[s.i] = s.resp
		case <-time.After(time.Minute):
			t.Fatalf("only %d of %d export downloads began: the others wait for the database", n, downloads)
		}
	}

	// All are open, none read past its first byte.
	if code, body := answers("/healthz", nil); code != http.StatusOK {
		t.Errorf("/healthz while %d exports download: %d %s", downloads, code, body)
	}
	if code, _ := answers("/badges", users[0].cookies); code != http.StatusOK {
		t.Errorf("a signed-in page while %d exports download: %d", downloads, code)
	}
	if code, _ := answers("/settings/export/data.json", users[0].cookies); code != http.StatusTooManyRequests || lastHeader.Get("Retry-After") != "30" {
		t.Errorf("a second export of the same user: %d, Retry-After %q; want 429 and 30", code, lastHeader.Get("Retry-After"))
	}
	if left := tempFiles(t, tmp); len(left) > 0 {
		t.Errorf("TMPDIR holds %v: the exports' files should have no names", left)
	}
	saveRawBadge(t, a, users[0].id, "Added while downloading", []byte("later"))

	for i, resp := range open {
		rest, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("download %d: %v", i, err)
		}
		files := readZip(t, append([]byte{'P'}, rest...))
		var m badges.Manifest
		if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
			t.Fatalf("download %d: manifest: %v", i, err)
		}
		if len(m.Badges) != perUser {
			t.Errorf("download %d: %d badges, want the %d there when it began", i, len(m.Badges), perUser)
		}
		for _, b := range m.Badges {
			sum := sha256.Sum256(files[b.Original])
			if !users[i].sums[hex.EncodeToString(sum[:])] || hex.EncodeToString(sum[:]) != b.SHA256 {
				t.Errorf("download %d: %s is not one of its user's originals", i, b.Original)
			}
		}
	}
	// Over: the user may export again, and it shows the new badge.
	code, body := answers("/settings/export.zip", users[0].cookies)
	if code != http.StatusOK || !bytes.Contains(readZip(t, []byte(body))["manifest.json"], []byte("Added while downloading")) {
		t.Errorf("the next export: %d", code)
	}
	if left := tempFiles(t, tmp); len(left) > 0 {
		t.Errorf("TMPDIR holds %v after the downloads", left)
	}
}
