package web

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestArgon2UsesOWASPParameters(t *testing.T) {
	h := NewArgon2(OWASPArgon2, 2)
	enc, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(enc) {
		t.Fatalf("encoded hash %q", enc)
	}
	if again, _ := h.Hash("correct horse battery"); again == enc {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if ok, rehash, err := h.Verify("correct horse battery", enc); !ok || rehash || err != nil {
		t.Fatalf("Verify(right) = %v, %v, %v", ok, rehash, err)
	}
	if ok, _, _ := h.Verify("correct horse batterY", enc); ok {
		t.Fatal("Verify(wrong) = true")
	}
}

func TestArgon2RejectsTamperedHashes(t *testing.T) {
	h := NewArgon2(fastArgon2, 2)
	enc, _ := h.Hash("pw")
	parts := strings.Split(enc, "$")
	tampered := []string{
		strings.Replace(enc, "m=64", "m=65", 1), // other parameters: another key
		strings.Replace(enc, "argon2id", "argon2i", 1),
		strings.Replace(enc, "v=19", "v=16", 1),
		strings.Replace(enc, "m=64", "m=4194304", 1), // 4 GiB: refused, not allocated
		strings.Join(parts[:5], "$"),
		parts[0] + "$" + parts[1] + "$" + parts[2] + "$" + parts[3] + "$!!!$" + parts[5],
		"",
		"plaintext",
	}
	for _, bad := range tampered {
		if ok, _, _ := h.Verify("pw", bad); ok {
			t.Errorf("Verify accepted %q", bad)
		}
	}
}

func TestArgon2RehashesWeakerHashes(t *testing.T) {
	weak := NewArgon2(Argon2Params{Memory: 64, Time: 1, Threads: 1}, 1)
	strong := NewArgon2(Argon2Params{Memory: 128, Time: 2, Threads: 1}, 1)
	enc, _ := weak.Hash("pw")
	ok, rehash, err := strong.Verify("pw", enc)
	if !ok || !rehash || err != nil {
		t.Fatalf("Verify(weaker hash) = %v, %v, %v; want true, true", ok, rehash, err)
	}
	if _, rehash, _ := strong.Verify("wrong", enc); rehash {
		t.Fatal("rehash suggested for a wrong password")
	}
}

func TestArgon2BoundsConcurrency(t *testing.T) {
	h := NewArgon2(Argon2Params{Memory: 1024, Time: 1, Threads: 1}, 2)
	enc, _ := h.Hash("pw")
	h.peak.Store(0)
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { h.Verify("pw", enc) })
	}
	wg.Wait()
	if p := h.peak.Load(); p > 2 || p < 1 {
		t.Fatalf("peak concurrent hashes %d, want 1..2", p)
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(Limit{Burst: 3, Every: time.Minute})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if ok, _ := l.allow("a", t0); !ok {
			t.Fatalf("attempt %d refused within the burst", i+1)
		}
	}
	ok, wait := l.allow("a", t0)
	if ok || wait <= 0 || wait > time.Minute {
		t.Fatalf("4th attempt: %v, wait %v", ok, wait)
	}
	if ok, _ := l.allow("b", t0); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _ := l.allow("a", t0.Add(time.Minute)); !ok {
		t.Fatal("no token after a minute")
	}
	if ok, _ := l.allow("a", t0.Add(time.Minute)); ok {
		t.Fatal("two attempts allowed one minute after the bucket was empty")
	}
	l.allow("c", t0.Add(time.Hour)) // sweeps idle buckets
	l.mu.Lock()
	n := len(l.keys)
	l.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d buckets kept after an hour, want 1", n)
	}
}

func BenchmarkArgon2OWASP(b *testing.B) {
	h := NewArgon2(OWASPArgon2, 2)
	for b.Loop() {
		h.Hash("correct horse battery")
	}
}

// BenchmarkArgon2Fast is the test suite's cheap setting, as the baseline
// the OWASP cost is compared with.
func BenchmarkArgon2Fast(b *testing.B) {
	h := NewArgon2(fastArgon2, 2)
	for b.Loop() {
		h.Hash("correct horse battery")
	}
}

// TestSignInUpgradesWeakHashes: a hash made with weaker parameters is
// replaced on the next successful sign-in, and other devices stay signed in.
func TestSignInUpgradesWeakHashes(t *testing.T) {
	weak := NewArgon2(Argon2Params{Memory: 32, Time: 1, Threads: 1}, 2)
	a := newApp(t, func(c *Config) { c.Hasher = weak })
	other := a.signUpConfirmed(t, "alice@example.org")

	strong := NewArgon2(fastArgon2, 2) // more memory than the weak one
	a.Server.hasher = strong
	b := a.browser(t)
	if p := b.login("alice@example.org", goodPassword); !p.has(`[data-testid=empty-backpack]`) {
		t.Fatalf("sign-in: %s", p.text())
	}
	u, _ := a.db.UserByEmail(t.Context(), "alice@example.org")
	if !strings.Contains(u.PasswordHash, "m=64,") {
		t.Fatalf("hash not upgraded: %s", u.PasswordHash)
	}
	if p := other.get("/badges"); p.StatusCode != 200 {
		t.Fatalf("the upgrade signed out another device: %d", p.StatusCode)
	}
	if p := b.login("alice@example.org", goodPassword); !p.has(`[data-testid=empty-backpack]`) {
		t.Fatal("sign-in with the upgraded hash failed")
	}
}
