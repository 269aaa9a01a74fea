package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"backpack/store"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// server runs 'backpack serve' in-process on a free port.
type server struct {
	url            string
	data           string
	stdout, stderr *syncBuffer
	stop           func() error
}

var urlRE = regexp.MustCompile(`running at (https?://\S+)`)

func startServer(t *testing.T, args []string, vars map[string]string) *server {
	t.Helper()
	s := &server{data: t.TempDir(), stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	all := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", s.data}, args...)
	go func() { done <- run(ctx, all, env(vars), s.stdout, s.stderr) }()
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := urlRE.FindStringSubmatch(s.stdout.String()); m != nil {
			s.url = m[1]
			return s
		}
		select {
		case err := <-done:
			t.Fatalf("server stopped: %v\n%s", err, s.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start; stdout %q stderr %q", s.stdout, s.stderr)
	return nil
}

func TestServeStartsAndStopsGracefully(t *testing.T) {
	s := startServer(t, nil, nil)
	resp, err := http.Get(s.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	if err := s.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := http.Get(s.url + "/healthz"); err == nil {
		t.Fatal("still answering after shutdown")
	}
	// The database was closed cleanly: it reopens and its migrations ran.
	db, err := store.Open(context.Background(), s.data)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	info, err := os.Stat(filepath.Join(s.data, keyFile))
	if err != nil || info.Size() != 64 || info.Mode().Perm() != 0o600 {
		t.Fatalf("session key file: %v %v", info, err)
	}
}

func TestSessionKeyFile(t *testing.T) {
	dir := t.TempDir()
	k1, err := sessionKeys("", dir)
	if err != nil || len(k1) != 1 || len(k1[0]) != 64 {
		t.Fatalf("first start: %v %v", k1, err)
	}
	k2, err := sessionKeys("", dir)
	if err != nil || !bytes.Equal(k1[0], k2[0]) {
		t.Fatal("the key changed between starts: everyone would be signed out")
	}
	path := filepath.Join(dir, keyFile)
	os.Chmod(path, 0o644)
	if _, err := sessionKeys("", dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := sessionKeys("", dir); err == nil {
		t.Fatal("a 5-byte key file was accepted")
	}
	keys, err := sessionKeys(strings.Repeat("n", 32)+","+strings.Repeat("o", 40), dir)
	if err != nil || len(keys) != 2 || bytes.Equal(keys[0], keys[1]) || len(keys[0]) != 64 {
		t.Fatalf("--session-key NEW,OLD: %v", err)
	}
	var uerr usageError
	if _, err := sessionKeys("too short", dir); !errors.As(err, &uerr) {
		t.Fatalf("short --session-key: %v, want a usage error", err)
	}
}

func TestSessionKeyFromEnvironmentKeepsSessionsAcrossRestarts(t *testing.T) {
	vars := map[string]string{"BACKPACK_SESSION_KEY": strings.Repeat("s", 40)}
	s := startServer(t, nil, vars)
	if _, err := os.Stat(filepath.Join(s.data, keyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a key file was written although BACKPACK_SESSION_KEY was set")
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, env(nil), &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, want := range []string{"serve", "backup", "backpack help COMMAND"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, out.String())
			}
		}
	}
	var out bytes.Buffer
	run(context.Background(), []string{"help", "serve"}, env(map[string]string{"BACKPACK_SMTP_URL": "smtp://u:SECRETPW@mail.example", "BACKPACK_ADDR": "0.0.0.0:9999"}), &out, io.Discard)
	for _, want := range []string{"--addr", "BACKPACK_ADDR", "--data", "BACKPACK_DATA", "--base-url", "BACKPACK_BASE_URL",
		"--smtp-url", "BACKPACK_SMTP_URL", "--session-key", "BACKPACK_SESSION_KEY", "--allow-host", "BACKPACK_ALLOW_HOSTS", "0.0.0.0:9999"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help serve lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "SECRETPW") {
		t.Error("help printed the SMTP password")
	}
	out.Reset()
	run(context.Background(), []string{"help", "backup"}, env(nil), &out, io.Discard)
	if !strings.Contains(out.String(), "--out") {
		t.Errorf("help backup: %s", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"help", "frobnicate"},
		{"serve", "--no-such-flag"},
		{"serve", "extra-argument"},
		{"--addr"},
		{"backup"},
		{"serve", "--log-level", "loud"},
		{"serve", "--session-key", "short", "--addr", "127.0.0.1:0"},
		{"serve", "--smtp-url", "gopher://x", "--addr", "127.0.0.1:0"},
		{"serve", "--allow-host", "http://127.0.0.1:8080/", "--addr", "127.0.0.1:0"},
		{"serve", "--allow-host", "127.0.0.1:99999", "--addr", "127.0.0.1:0"},
	} {
		args = append(args, "--data", t.TempDir())
		if args[0] == "help" {
			args = args[:2]
		}
		err := run(context.Background(), args, env(nil), io.Discard, io.Discard)
		var uerr usageError
		if !errors.As(err, &uerr) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestEnvironmentTwinsAndFlagsWin(t *testing.T) {
	var c serveConfig
	f := serveFlagSet(&c, env(map[string]string{"BACKPACK_ADDR": "127.0.0.1:1111", "BACKPACK_DATA": "/env/data", "BACKPACK_ALLOW_HOSTS": "a.test, b.test:8443"}))
	if err := f.parse([]string{"--data", "/flag/data", "--allow-host", "c.test"}); err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:1111" || c.data != "/flag/data" {
		t.Fatalf("addr %q data %q", c.addr, c.data)
	}
	if got := strings.Join(c.allowHosts, " "); got != "a.test b.test:8443 c.test" {
		t.Fatalf("allow hosts %q", got)
	}
}

func TestBaseURLDefaultsToTheListenAddress(t *testing.T) {
	s := startServer(t, nil, nil)
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") || strings.HasSuffix(s.url, ":0") {
		t.Fatalf("base URL %q", s.url)
	}
	s2 := startServer(t, []string{"--base-url", "https://badges.example.org"}, nil)
	if s2.url != "https://badges.example.org" {
		t.Fatalf("base URL %q", s2.url)
	}
}

func TestBackupCommandWhileServing(t *testing.T) {
	s := startServer(t, nil, nil)
	// Write something through the running server: a sign-up.
	client := &http.Client{}
	resp, err := client.Get(s.url + "/signup")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	db, err := store.Open(context.Background(), s.data)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateUser(context.Background(), "alice@example.org", "hash", time.Now()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out := filepath.Join(t.TempDir(), "backup.db")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"backup", "--data", s.data, "--out", out}, env(nil), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), out) {
		t.Errorf("backup output %q", stdout.String())
	}
	cp, err := sql.Open("sqlite", "file:"+out+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var check, email string
	cp.QueryRow("PRAGMA integrity_check").Scan(&check)
	cp.QueryRow("SELECT value FROM identities").Scan(&email)
	if check != "ok" || email != "alice@example.org" {
		t.Fatalf("backup: integrity %q, email %q", check, email)
	}
	if err := run(context.Background(), []string{"backup", "--data", s.data, "--out", out}, env(nil), io.Discard, io.Discard); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	// Restore as the README says: the copy becomes DATA/backpack.db of a
	// data folder, and the app opens it with everything in it.
	restored := t.TempDir()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, store.FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	rdb, err := store.Open(context.Background(), restored)
	if err != nil {
		t.Fatalf("open the restored copy: %v", err)
	}
	defer rdb.Close()
	if err := rdb.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := rdb.UserByEmail(context.Background(), "alice@example.org"); err != nil {
		t.Fatalf("restored copy: %v", err)
	}
}
