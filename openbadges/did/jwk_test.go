package did

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"maps"
	"math/big"
	"sync"
	"testing"

	"backpack/openbadges/problem"
)

var b64 = base64.RawURLEncoding.EncodeToString

func okpJWK(pub ed25519.PublicKey) object {
	return object{"kty": "OKP", "crv": "Ed25519", "x": b64(pub)}
}

func ecJWK(t testing.TB, pub *ecdsa.PublicKey) object {
	t.Helper()
	b, err := pub.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	size := (len(b) - 1) / 2
	return object{"kty": "EC", "crv": pub.Curve.Params().Name, "x": b64(b[1 : 1+size]), "y": b64(b[1+size:])}
}

func rsaJWKOf(pub *rsa.PublicKey) object {
	return object{"kty": "RSA", "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testRSA is one 2048-bit key for the whole run (generation is slow).
func testRSA(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	})
	return rsaKey
}

// with returns a copy of m with the given members set (a nil value deletes).
func with(m object, kv ...any) object {
	out := maps.Clone(m)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func TestPublicKeyFromJWK(t *testing.T) {
	ed := newEd25519(t)
	p256 := newECDSA(t, elliptic.P256())
	p384 := newECDSA(t, elliptic.P384())
	rk := testRSA(t)
	for _, tc := range []struct {
		name string
		jwk  object
		want equaler
	}{
		{"OKP Ed25519", okpJWK(ed), ed},
		{"EC P-256", ecJWK(t, p256), p256},
		{"EC P-384", ecJWK(t, p384), p384},
		{"RSA 2048", rsaJWKOf(&rk.PublicKey), &rk.PublicKey},
		{"use sig and extra members", with(okpJWK(ed), "use", "sig", "kid", "key-1", "alg", "EdDSA"), ed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pub, err := PublicKeyFromJWK(tc.jwk)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want.Equal(pub) {
				t.Errorf("got another key")
			}
		})
	}
}

func TestPublicKeyFromJWKErrors(t *testing.T) {
	ed := okpJWK(newEd25519(t))
	ec := ecJWK(t, newECDSA(t, elliptic.P256()))
	rk := testRSA(t)
	rsaPub := rsaJWKOf(&rk.PublicKey)
	short, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		jwk  object
		want problem.Code
	}{
		{"nil", nil, problem.Malformed},
		{"private OKP", with(ed, "d", b64(make([]byte, 32))), problem.Malformed},
		{"private EC", with(ec, "d", b64(make([]byte, 32))), problem.Malformed},
		{"private RSA", with(rsaPub, "p", b64(rk.Primes[0].Bytes()), "q", b64(rk.Primes[1].Bytes())), problem.Malformed},
		{"symmetric", object{"kty": "oct", "k": "c2VjcmV0"}, problem.Malformed},
		{"oct without k", object{"kty": "oct"}, problem.Unsupported},
		{"no kty", with(ed, "kty", nil), problem.Malformed},
		{"unknown kty", with(ed, "kty", "XYZ"), problem.Unsupported},
		{"OKP X25519", with(ed, "crv", "X25519"), problem.Unsupported},
		{"EC secp256k1", with(ec, "crv", "secp256k1"), problem.Unsupported},
		{"EC P-521", with(ec, "crv", "P-521"), problem.Unsupported},
		{"EC crv of another size", with(ec, "crv", "P-384"), problem.Malformed},
		{"EC off the curve", with(ec, "y", b64(make([]byte, 32))), problem.Malformed},
		{"EC without y", with(ec, "y", nil), problem.Malformed},
		{"OKP short x", with(ed, "x", b64(make([]byte, 31))), problem.Malformed},
		{"OKP x not a string", with(ed, "x", 42.0), problem.Malformed},
		{"OKP x padded", with(ed, "x", ed["x"].(string)+"="), problem.Malformed},
		{"OKP x standard base64", with(ed, "x", "+/+/"+ed["x"].(string)[4:]), problem.Malformed},
		{"use enc", with(ed, "use", "enc"), problem.Unsupported},
		{"RSA 1024", rsaJWKOf(&short.PublicKey), problem.Unsupported},
		{"RSA 9000 bits", with(rsaPub, "n", b64(append([]byte{1}, make([]byte, 1125)...))), problem.Unsupported},
		{"RSA e = 1", with(rsaPub, "e", b64([]byte{1})), problem.Malformed},
		{"RSA e even", with(rsaPub, "e", b64([]byte{1, 0, 0})), problem.Malformed},
		{"RSA e too big", with(rsaPub, "e", b64([]byte{1, 0, 0, 0, 1})), problem.Malformed},
		{"RSA without n", with(rsaPub, "n", nil), problem.Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PublicKeyFromJWK(tc.jwk)
			wantCode(t, err, tc.want)
		})
	}
}
