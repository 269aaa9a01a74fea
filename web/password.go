package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Hasher hashes and checks passwords. The web layer depends on this
// interface so tests can count calls (every sign-in must hash exactly once,
// whether or not the account exists).
type Hasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches encoded, and whether encoded
	// uses weaker parameters than the current ones and should be replaced.
	Verify(password, encoded string) (ok, rehash bool, err error)
}

// Argon2Params are argon2id's cost parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// OWASPArgon2 is the OWASP Password Storage Cheat Sheet's minimum for
// argon2id: 19 MiB, 2 iterations, 1 lane.
var OWASPArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Argon2 hashes with argon2id and encodes PHC strings
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash). A semaphore bounds how many
// hashes run at once: each takes Memory KiB, and a burst of sign-ins must not
// exhaust memory.
type Argon2 struct {
	Params Argon2Params
	sem    chan struct{}
	// inflight and peak count running hashes, so tests can see the bound.
	inflight, peak atomic.Int32
}

// NewArgon2 returns a hasher running at most concurrency hashes at once.
func NewArgon2(p Argon2Params, concurrency int) *Argon2 {
	if concurrency < 1 {
		concurrency = 1
	}
	return &Argon2{Params: p, sem: make(chan struct{}, concurrency)}
}

const saltLen, keyLen = 16, 32

var b64 = base64.RawStdEncoding

func (a *Argon2) key(password string, salt []byte, p Argon2Params, n uint32) []byte {
	a.sem <- struct{}{}
	running := a.inflight.Add(1)
	for peak := a.peak.Load(); running > peak && !a.peak.CompareAndSwap(peak, running); peak = a.peak.Load() {
	}
	defer func() { a.inflight.Add(-1); <-a.sem }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, n)
}

// Hash returns the PHC-encoded argon2id hash of password with a fresh salt.
func (a *Argon2) Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	k := a.key(password, salt, a.Params, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		a.Params.Memory, a.Params.Time, a.Params.Threads, b64.EncodeToString(salt), b64.EncodeToString(k)), nil
}

var errBadHash = errors.New("password hash: unrecognised format")

// Verify checks password against a PHC-encoded argon2id hash in constant
// time.
func (a *Argon2) Verify(password, encoded string) (bool, bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false, errBadHash
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, false, errBadHash
	}
	// Refuse absurd parameters from a tampered row rather than allocate them.
	if p.Memory < 8 || p.Memory > 1<<20 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return false, false, errBadHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, false, errBadHash
	}
	got := a.key(password, salt, p, uint32(len(want)))
	ok := subtle.ConstantTimeCompare(got, want) == 1
	rehash := p.Memory < a.Params.Memory || p.Time < a.Params.Time
	return ok, ok && rehash, nil
}
