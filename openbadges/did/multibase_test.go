package did

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mr-tron/base58"

	"backpack/openbadges/problem"
)

// TestDIDKeyVector is the DCC fixture key of SECURITY.md J4.
func TestDIDKeyVector(t *testing.T) {
	const mb = "z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q"
	k, err := Resolve(context.Background(), noNetwork{t}, "did:key:"+mb+"#"+mb)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := k.Public.(ed25519.PublicKey)
	if !ok {
		t.Fatalf("got %T, want ed25519.PublicKey", k.Public)
	}
	if got, want := hex.EncodeToString(pub), "759ed212fd5094dd4330db16a331b9e3d141c63db74301ffb29b5a1ab773b8a7"; got != want {
		t.Errorf("key = %s, want %s", got, want)
	}
	if k.ID != "did:key:"+mb+"#"+mb || k.Controller != "did:key:"+mb {
		t.Errorf("got ID %q, Controller %q", k.ID, k.Controller)
	}
}

func TestDIDKeyRoundTrip(t *testing.T) {
	ed := newEd25519(t)
	p256 := newECDSA(t, elliptic.P256())
	p384 := newECDSA(t, elliptic.P384())
	for _, tc := range []struct {
		name   string
		mb     string
		prefix string
		key    equaler
	}{
		{"Ed25519", encodeMultibase(0xed, ed), "z6Mk", ed},
		{"P-256", encodeMultibase(0x1200, compress(t, p256)), "zDn", p256},
		{"P-384", encodeMultibase(0x1201, compress(t, p384)), "z82", p384},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.HasPrefix(tc.mb, tc.prefix) {
				t.Errorf("%s does not start with %s", tc.mb, tc.prefix)
			}
			did := "did:key:" + tc.mb
			k, err := Resolve(context.Background(), noNetwork{t}, did+"#"+tc.mb)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.key.Equal(k.Public) {
				t.Errorf("resolved key differs from the encoded one")
			}
			if k.Controller != did {
				t.Errorf("Controller = %q, want %q", k.Controller, did)
			}
		})
	}
}

func TestDIDKeyErrors(t *testing.T) {
	ed := encodeMultibase(0xed, newEd25519(t))
	other := encodeMultibase(0xed, newEd25519(t))
	for _, tc := range []struct {
		name string
		id   string
		want problem.Code
	}{
		{"secp256k1", vm(encodeMultibase(0xe7, append([]byte{2}, make([]byte, 32)...))), problem.Unsupported},
		{"x25519", vm(encodeMultibase(0xec, make([]byte, 32))), problem.Unsupported},
		{"trailing 0 (not base58)", "did:key:" + ed + "0#" + ed + "0", problem.Malformed},
		{"fragment of another key", "did:key:" + ed + "#" + other, problem.KeyUnresolved},
		{"no fragment", "did:key:" + ed, problem.KeyUnresolved},
		{"empty fragment", "did:key:" + ed + "#", problem.KeyUnresolved},
		{"not base58btc", "did:key:u7QE#u7QE", problem.Malformed},
		{"empty", "did:key:", problem.Malformed},
		{"short Ed25519", vm(encodeMultibase(0xed, make([]byte, 31))), problem.Malformed},
		{"long Ed25519", vm(encodeMultibase(0xed, make([]byte, 33))), problem.Malformed},
		{"P-256 not compressed", vm(encodeMultibase(0x1200, make([]byte, 65))), problem.Malformed},
		{"P-256 x beyond the field", vm(encodeMultibase(0x1200, append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...))), problem.Malformed},
		{"P-256 bad point prefix", vm(encodeMultibase(0x1200, append([]byte{5}, make([]byte, 32)...))), problem.Malformed},
		{"overlong", vm("z" + strings.Repeat("2", 200)), problem.Unsupported},
		{"path in the DID", "did:key:" + ed + "/x#" + ed, problem.Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(context.Background(), noNetwork{t}, tc.id)
			wantCode(t, err, tc.want)
		})
	}
}

// vm is the did:key verification method id of a multibase key.
func vm(mb string) string { return "did:key:" + mb + "#" + mb }

func TestNonMinimalVarint(t *testing.T) {
	// ed25519-pub written as a 3-byte varint (0xed 0x81 0x00) is not the
	// canonical multicodec prefix.
	raw := append([]byte{0xed, 0x81, 0x00}, newEd25519(t)...)
	_, err := PublicKeyFromMultibase("z" + base58.Encode(raw))
	wantCode(t, err, problem.Malformed)
}

func TestPublicKeyFromMultibase(t *testing.T) {
	p256 := newECDSA(t, elliptic.P256())
	pub, err := PublicKeyFromMultibase(encodeMultibase(0x1200, compress(t, p256)))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := pub.(*ecdsa.PublicKey); !ok || !got.Equal(p256) {
		t.Errorf("got %T, want the P-256 key", pub)
	}
	for _, tc := range []struct {
		in   string
		want problem.Code
	}{
		{"", problem.Malformed},
		{"z", problem.Malformed},
		{"uO0B", problem.Unsupported}, // base64url multibase
		{"z0OIl", problem.Malformed},  // not in the base58 alphabet
	} {
		_, err := PublicKeyFromMultibase(tc.in)
		wantCode(t, err, tc.want)
	}
}

func TestResolveIDs(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want problem.Code
	}{
		{"", problem.Malformed},
		{"did:ion:EiClkZMDxPKqC9c-umQfTkR8vvZ9JPhl_xLDI9Nfk38w5w#key-1", problem.Unsupported},
		{"did:<script>:x", problem.Unsupported},
		{"did:jwk:eyJrdHkiOiJPS1AifQ#0", problem.Unsupported},
		{"urn:uuid:a9fc82eb-416f-47c3-8786-de890331d4a5", problem.Unsupported},
		{"ftp://issuer.example/key", problem.Unsupported},
		{"https://" + strings.Repeat("a", maxIDLen), problem.TooLarge},
		{"did:web:issuer.example#key-1", problem.KeyUnresolved}, // no Getter
		{"https://issuer.example/key", problem.KeyUnresolved},   // no Getter
	} {
		_, err := Resolve(context.Background(), nil, tc.id)
		wantCode(t, err, tc.want)
		if strings.Contains(problem.MessageOf(err), "<script>") {
			t.Errorf("message quotes the id: %v", err)
		}
	}
}
