package dataintegrity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mr-tron/base58"

	"backpack/openbadges/did"
	"backpack/openbadges/problem"
)

// Test-only key resolution. The real DID resolver is package did; these
// are just enough to verify the fixtures offline.

// multikey decodes a multibase public key (Ed25519 z6Mk…, P-256 zDn…,
// P-384 z82…) with package did.
func multikey(s string) (crypto.PublicKey, bool) {
	pub, err := did.PublicKeyFromMultibase(s)
	return pub, err == nil
}

func unresolved(vm string) error {
	return problem.New(problem.KeyUnresolved, "cannot resolve %s", vm)
}

// didKey resolves did:key:X#X (or did:key:X): the key is X itself.
func didKey(_ context.Context, vm string) (Key, error) {
	did, fragment, hasFragment := strings.Cut(vm, "#")
	id, isDIDKey := strings.CutPrefix(did, "did:key:")
	if !isDIDKey || hasFragment && id != fragment {
		return Key{}, unresolved(vm)
	}
	pub, ok := multikey(id)
	if !ok {
		return Key{}, unresolved(vm)
	}
	return Key{ID: vm, Controller: did, Public: pub}, nil
}

// keyInFragment is the 1EdTech validator's convention for https
// verification methods: the fragment is the multibase key.
func keyInFragment(_ context.Context, vm string) (Key, error) {
	base, fragment, ok := strings.Cut(vm, "#")
	if !ok || !strings.HasPrefix(base, "https://") {
		return Key{}, unresolved(vm)
	}
	pub, ok := multikey(fragment)
	if !ok {
		return Key{}, unresolved(vm)
	}
	return Key{ID: vm, Controller: base, Public: pub}, nil
}

// didWebFixtures resolves the did:web DIDs of the DCC fixtures from their
// local DID documents, looking the method up in verificationMethod and in
// assertionMethod (where the "legacy" document embeds it).
func didWebFixtures(_ context.Context, vm string) (Key, error) {
	did, _, _ := strings.Cut(vm, "#")
	name, ok := strings.CutPrefix(did, "did:web:digitalcredentials.github.io:vc-test-fixtures:dids:")
	if !ok || strings.ContainsAny(name, "/.") {
		return Key{}, unresolved(vm)
	}
	b, err := os.ReadFile(filepath.Join("testdata/dcc/dids", name, "did.json"))
	if err != nil {
		return Key{}, unresolved(vm)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return Key{}, unresolved(vm)
	}
	for _, member := range []string{"verificationMethod", "assertionMethod"} {
		methods, _ := doc[member].([]any)
		for _, m := range methods {
			m, _ := m.(map[string]any)
			if m["id"] != vm {
				continue
			}
			mb, _ := m["publicKeyMultibase"].(string)
			if pub, ok := multikey(mb); ok {
				controller, _ := m["controller"].(string)
				return Key{ID: vm, Controller: controller, Public: pub}, nil
			}
		}
	}
	return Key{}, unresolved(vm)
}

// anyResolver tries did:key, did:web fixtures and the key in the fragment.
func anyResolver(ctx context.Context, vm string) (Key, error) {
	switch {
	case strings.HasPrefix(vm, "did:key:"):
		return didKey(ctx, vm)
	case strings.HasPrefix(vm, "did:web:"):
		return didWebFixtures(ctx, vm)
	}
	return keyInFragment(ctx, vm)
}

func TestDIDKeyDecoder(t *testing.T) {
	const id = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	k, err := didKey(context.Background(), id+"#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
	if err != nil {
		t.Fatal(err)
	}
	if k.Controller != id || len(k.Public.(ed25519.PublicKey)) != 32 {
		t.Fatalf("got %+v", k)
	}
	for _, bad := range []string{id + "#other", "did:key:zQ3s#zQ3s", "did:key:z6Mk#z6Mk"} {
		if _, err := didKey(context.Background(), bad); problem.CodeOf(err) != problem.KeyUnresolved {
			t.Errorf("%s: %v", bad, err)
		}
	}
	// The W3C test vector key pair.
	var kp struct{ PublicKeyMultibase string }
	b, _ := os.ReadFile("testdata/w3c/keyPair.json")
	json.Unmarshal(b, &kp)
	if pub, ok := multikey(kp.PublicKeyMultibase); !ok || !pub.(ed25519.PublicKey).Equal(k.Public) {
		t.Fatal("keyPair.json does not decode to the same key")
	}
	// A P-256 multikey.
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	point, err := priv.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		t.Fatal(err)
	}
	compressed := append([]byte{2 | point[64]&1}, point[1:33]...) // SEC 1: the parity of y, then x
	pub, ok := multikey("z" + base58.Encode(append([]byte{0x80, 0x24}, compressed...)))
	if !ok || !pub.(*ecdsa.PublicKey).Equal(&priv.PublicKey) {
		t.Fatal("P-256 multikey")
	}
}
