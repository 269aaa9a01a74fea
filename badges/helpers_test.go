package badges

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"backpack/internal/testclock"
	"backpack/internal/testissuer"
	"backpack/openbadges"
	"backpack/openbadges/fetch"
	"backpack/store"
)

// These tests drive the core with a real store on a temporary folder and a
// loopback issuer: no HTTP layer, no echo.

// issuer hosts Open Badges 2.0 assertions, their badge class and issuer
// profile on a loopback server.
type issuer struct{ *testissuer.Server }

func newIssuer(t testing.TB) *issuer {
	is := &issuer{testissuer.New(t)}
	is.Put("/issuer", map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Issuer", "id": is.At("/issuer"),
		"name": "Test Academy", "url": is.At(""), "email": "a@academy.test", "image": is.At("/logo.png")})
	is.Put("/badge", map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": is.At("/badge"),
		"name": "Robot Wrangler", "description": "Wrangles robots.", "image": is.At("/badge.png"),
		"criteria": map[string]any{"narrative": "Wrangle three robots."}, "issuer": is.At("/issuer")})
	is.Put("/badge.png", testissuer.PNG(t, 1))
	is.Put("/logo.png", testissuer.PNG(t, 2))
	return is
}

// hosted publishes a hosted assertion issued in clear to recipient at path
// and returns its JSON; mod changes it first.
func (is *issuer) hosted(path, recipient string, mod func(map[string]any)) []byte {
	a := map[string]any{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": is.At(path),
		"recipient": map[string]any{"type": "email", "hashed": false, "identity": recipient},
		"badge":     is.At("/badge"), "issuedOn": testclock.RFC3339(0, -10, 0), "verification": map[string]any{"type": "hosted"}}
	if mod != nil {
		mod(a)
	}
	b, _ := json.Marshal(a)
	is.Put(path, b)
	return b
}

// world is a service on a fresh database, with its clock.
type world struct {
	svc *Service
	db  *store.DB
	is  *issuer
	mu  sync.Mutex
	now time.Time
}

func newWorld(t testing.TB) *world { return newWorldOf(t, newIssuer(t)) }

// newWorldOf is another Backpack, on a database of its own, whose badges
// come from is (and the loopback HOST:PORTs in allow).
func newWorldOf(t testing.TB, is *issuer, allow ...string) *world {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &world{db: db, is: is, now: testclock.Now()}
	client, err := fetch.New(fetch.Options{AllowHosts: append([]string{w.is.HostPort()}, allow...)})
	if err != nil {
		t.Fatal(err)
	}
	w.svc, err = New(Config{Store: db, Verifier: &openbadges.Verifier{Fetch: client, Now: w.clock}, Fetch: client,
		Now: w.clock, Logger: slog.New(slog.DiscardHandler), ImportLease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) clock() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }

func (w *world) advance(d time.Duration) { w.mu.Lock(); w.now = w.now.Add(d); w.mu.Unlock() }

// user makes an account whose email is confirmed, and returns its id.
func (w *world) user(t testing.TB, email string) int64 {
	t.Helper()
	ctx := context.Background()
	u, id, err := w.db.CreateUser(ctx, email, "hash", w.clock())
	if err != nil {
		t.Fatal(err)
	}
	w.confirm(t, u.ID, id.ID)
	return u.ID
}

// confirm marks one of the user's identities confirmed, as the mailed link does.
func (w *world) confirm(t testing.TB, userID, identityID int64) {
	t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256([]byte(t.Name() + string(rune(identityID))))
	if err := w.db.CreateToken(ctx, store.Token{Hash: sum[:], Kind: store.ConfirmEmail, UserID: userID, IdentityID: identityID,
		CreatedAt: w.clock(), ExpiresAt: w.clock().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.UseConfirmToken(ctx, sum[:], w.clock()); err != nil {
		t.Fatal(err)
	}
}

// zipOf builds a ZIP of the named files, in order.
func zipOf(t testing.TB, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%x", sum)
}
