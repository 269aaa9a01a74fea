package main

import (
	"context"
	"crypto/rand"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"backpack/badges"
	"backpack/mail"
	"backpack/openbadges"
	"backpack/openbadges/fetch"
	"backpack/store"
	"backpack/web"
)

// writeTimeout is how long the server writes an answer; a request's work
// ends with it (web.Config.RequestTimeout), unless its route takes longer.
const writeTimeout = 60 * time.Second

type serveConfig struct {
	addr, data, baseURL, smtpURL, sessionKey, logLevel string
	allowHosts                                         list
	reverifyEvery, importLease, quota                  string
	addRate, importRate                                string
}

func serveFlags(getenv func(string) string) *flagSet {
	var c serveConfig
	return serveFlagSet(&c, getenv)
}

func serveFlagSet(c *serveConfig, getenv func(string) string) *flagSet {
	f := newFlagSet("serve")
	f.string(&c.addr, "addr", "BACKPACK_ADDR", "127.0.0.1:8080", "address to listen on, host:port (port 0 picks a free one)", getenv)
	f.string(&c.data, "data", "BACKPACK_DATA", "./data", "folder for the database and the generated session key", getenv)
	f.string(&c.baseURL, "base-url", "BACKPACK_BASE_URL", "", "public URL of the app, used in mailed links; https makes cookies Secure (default http://ADDR)", getenv)
	f.string(&c.smtpURL, "smtp-url", "BACKPACK_SMTP_URL", "", "send mail through this server: smtp://user:password@host:587?from=backpack@example.org (smtps:// for TLS on connect); without it mail is written to the log", getenv)
	f.string(&c.sessionKey, "session-key", "BACKPACK_SESSION_KEY", "", "secret of at least 32 characters that signs and encrypts session cookies; 'NEW,OLD' rotates keys; without it a key is generated once in the data folder", getenv)
	f.list(&c.allowHosts, "allow-host", "BACKPACK_ALLOW_HOSTS", "let the server fetch badges from this loopback or private HOST (ports 80 and 443) or HOST:PORT (that port only), refused by default; repeatable, comma-separated in the environment", getenv)
	f.string(&c.logLevel, "log-level", "BACKPACK_LOG_LEVEL", "info", "debug, info, warn or error", getenv)
	f.string(&c.reverifyEvery, "reverify-every", "BACKPACK_REVERIFY_EVERY", "24h", "how often every stored badge is verified again in the background (a duration such as 24h or 6h; 0 turns it off)", getenv)
	f.string(&c.importLease, "import-lease", "BACKPACK_IMPORT_LEASE", "30s", "how long a worker holds the bulk-import items it took; after a crash they are redone once it runs out (several instances on one database never import an item twice)", getenv)
	f.string(&c.quota, "quota", "BACKPACK_QUOTA", "1GiB", "how much each user may keep: the originals of their badges and each badge's image (a size such as 500MiB, 1GiB or 2GB; 0 for no limit)", getenv)
	f.string(&c.addRate, "add-rate", "BACKPACK_ADD_RATE", "100/3s", "how many badges one user may send to be verified at once, and how often one more (BURST/DURATION; 0 for no limit)", getenv)
	f.string(&c.importRate, "import-rate", "BACKPACK_IMPORT_RATE", "10/3m", "how many ZIP files one user may send to be imported at once, and how often one more (BURST/DURATION; 0 for no limit)", getenv)
	f.secret["smtp-url"], f.secret["session-key"] = true, true
	return f
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c serveConfig
	if err := serveFlagSet(&c, getenv).parse(args); err != nil {
		return err
	}
	for _, h := range c.allowHosts {
		if err := checkHostPort(h); err != nil {
			return usageError{fmt.Sprintf("serve: --allow-host %q: %v", h, err)}
		}
	}
	every, err := time.ParseDuration(c.reverifyEvery)
	if err != nil || every < 0 || (every > 0 && every < time.Minute) {
		return usageError{fmt.Sprintf("serve: --reverify-every %q: want a duration of at least 1m, like 24h (0 turns it off)", c.reverifyEvery)}
	}
	lease, err := time.ParseDuration(c.importLease)
	if err != nil || lease < time.Second {
		return usageError{fmt.Sprintf("serve: --import-lease %q: want a duration of at least 1s, like 30s", c.importLease)}
	}
	quota, err := parseSize(c.quota)
	if err != nil {
		return usageError{fmt.Sprintf("serve: --quota %q: want a size such as 500MiB, 1GiB or 2GB (0 for no limit)", c.quota)}
	}
	addRate, err := parseRate(c.addRate)
	if err != nil {
		return usageError{fmt.Sprintf("serve: --add-rate %q: want BURST/DURATION, like 100/3s (0 for no limit)", c.addRate)}
	}
	importRate, err := parseRate(c.importRate)
	if err != nil {
		return usageError{fmt.Sprintf("serve: --import-rate %q: want BURST/DURATION, like 10/3m (0 for no limit)", c.importRate)}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return usageError{fmt.Sprintf("serve: --log-level %q: want debug, info, warn or error", c.logLevel)}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	sender, err := mail.New(c.smtpURL, logger)
	if err != nil {
		return usageError{fmt.Sprintf("serve: --smtp-url: %v", err)}
	}
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return fmt.Errorf("serve: data folder: %w", err)
	}
	keys, err := sessionKeys(c.sessionKey, c.data)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", c.addr, err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	if c.baseURL == "" {
		c.baseURL = "http://" + addr
	}
	base, err := url.Parse(c.baseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return usageError{fmt.Sprintf("serve: --base-url %q: want an absolute http or https URL", c.baseURL)}
	}

	db, err := store.Open(ctx, c.data)
	if err != nil {
		return err
	}
	// Closed last: after the HTTP server has drained every request.
	defer db.Close()

	client, err := fetch.New(fetch.Options{AllowHosts: c.allowHosts})
	if err != nil {
		return usageError{fmt.Sprintf("serve: --allow-host: %v", err)}
	}
	verifier := &openbadges.Verifier{Fetch: client}
	core, err := badges.New(badges.Config{Store: db, Verifier: verifier, Fetch: client, Logger: logger, ImportLease: lease, Quota: quota,
		ItemRate: addRate, ArchiveRate: importRate})
	if err != nil {
		return err
	}
	// Requests queue mail in the database; this loop (and those of other
	// instances on the database) sends it.
	mailer := &mail.Queue{Outbox: outbox{db}, Sender: sender, Logger: logger}
	app, err := web.New(web.Config{Store: db, Mail: mailer, Logger: logger, BaseURL: base, SessionKeys: keys,
		Fetch: client, Verifier: verifier, Badges: core, RequestTimeout: writeTimeout})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// The background loops stop, finishing the item in hand, before the
	// database closes (defers run in reverse).
	wctx, stopLoops := context.WithCancel(ctx)
	bg := &loops{log: logger}
	bg.Go(wctx, "imports", core.RunImports)
	bg.Go(wctx, "mail", mailer.Run)
	if every > 0 {
		bg.Go(wctx, "re-verification", (&badges.Reverifier{Service: core, Every: every}).Run)
	}
	bg.Go(wctx, "sweep", func(ctx context.Context) { sweep(ctx, db, logger) })
	defer func() { stopLoops(); bg.Wait() }()
	fmt.Fprintf(stdout, "Backpack is running at %s (data in %s). Press Ctrl+C to stop.\n", c.baseURL, c.data)
	logger.Info("serving", "addr", addr, "base_url", c.baseURL, "data", c.data, "mail", mailMode(c.smtpURL))

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

// parseSize reads a number of bytes with an optional unit: B, KB, MB, GB,
// TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), in any case.
func parseSize(s string) (int64, error) {
	num := strings.TrimSpace(s)
	i := strings.IndexFunc(num, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	unit := ""
	if i >= 0 {
		num, unit = strings.TrimSpace(num[:i]), strings.ToLower(strings.TrimSpace(num[i:]))
	}
	mult, ok := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || v < 0 || v*mult > 1<<62 {
		return 0, errors.New("not a size")
	}
	return int64(v * mult), nil
}

// parseRate reads BURST/DURATION ("10/3m": ten at once, then one more
// every three minutes); "0" is no limit.
func parseRate(s string) (badges.Rate, error) {
	if strings.TrimSpace(s) == "0" {
		return badges.Rate{Burst: -1}, nil
	}
	burst, every, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(strings.TrimSpace(burst))
	d, derr := time.ParseDuration(strings.TrimSpace(every))
	if !ok || err != nil || derr != nil || n < 1 || d <= 0 {
		return badges.Rate{}, errors.New("not a rate")
	}
	return badges.Rate{Burst: n, Every: d}, nil
}

// checkHostPort accepts HOST or HOST:PORT, nothing else (no scheme, path
// or user).
func checkHostPort(h string) error {
	host := h
	if strings.Contains(h, "://") || strings.ContainsAny(h, "/@?#") {
		return errors.New("want HOST or HOST:PORT, without scheme or path")
	}
	if hh, port, err := net.SplitHostPort(h); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return errors.New("bad port")
		}
		host = hh
	}
	if host == "" {
		return errors.New("empty host")
	}
	return nil
}

func mailMode(smtpURL string) string {
	if smtpURL == "" {
		return "log (no --smtp-url)"
	}
	return "smtp"
}

// sweep deletes dead session rows, images nothing refers to any more (left
// when an account is deleted), the mail queue's rows no limit counts any
// more and accounts never confirmed, now and then.
func sweep(ctx context.Context, db *store.DB, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := db.DeleteExpiredSessions(ctx, time.Now(), 2*time.Hour); err != nil && ctx.Err() == nil {
				logger.Warn("sweep sessions", "err", err)
			}
			// Images stored in the last hour may belong to a badge being saved.
			if _, err := db.DeleteOrphanImages(ctx, time.Now().Add(-time.Hour)); err != nil && ctx.Err() == nil {
				logger.Warn("sweep images", "err", err)
			}
			if _, err := db.DeleteOldMail(ctx, time.Now().Add(-web.MailKept)); err != nil && ctx.Err() == nil {
				logger.Warn("sweep mail", "err", err)
			}
			if _, err := db.DeleteUnconfirmedUsers(ctx, time.Now().Add(-web.UnconfirmedKept)); err != nil && ctx.Err() == nil {
				logger.Warn("sweep unconfirmed accounts", "err", err)
			}
		}
	}
}

// keyFile holds the generated session key inside the data folder.
const keyFile = "session.key"

// sessionKeys returns the 64-byte cookie keys: derived from --session-key
// (comma-separated, newest first, to rotate) or read from the data folder,
// generated there on first start.
func sessionKeys(flagValue, dataDir string) ([][]byte, error) {
	if flagValue != "" {
		var keys [][]byte
		for _, secret := range strings.Split(flagValue, ",") {
			if len(secret) < 32 {
				return nil, usageError{"serve: --session-key: each secret must be at least 32 characters"}
			}
			k := sha512.Sum512([]byte(secret))
			keys = append(keys, k[:])
		}
		return keys, nil
	}
	path := filepath.Join(dataDir, keyFile)
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		k := make([]byte, 64)
		rand.Read(k)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, k, 0o600); err != nil {
			return nil, fmt.Errorf("serve: write session key: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, fmt.Errorf("serve: write session key: %w", err)
		}
		return [][]byte{k}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("serve: session key: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("serve: %s can be read by other users (mode %v); run: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	k, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("serve: session key: %w", err)
	}
	if len(k) != 64 {
		return nil, fmt.Errorf("serve: %s holds %d bytes, want 64; delete it to generate a new one (everyone will be signed out)", path, len(k))
	}
	return [][]byte{k}, nil
}
