package did

import (
	"crypto/elliptic"
	"os"
	"slices"
	"testing"

	"github.com/mr-tron/base58"
)

func ids(keys []Key) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.ID)
	}
	return out
}

func TestKeysOfFixtures(t *testing.T) {
	const mb = "z6MkjXe1vZvPRqFuc9nRBtZ3e1Y9XKDFSbjFAfzLfW2bD6cZ"
	want, err := PublicKeyFromMultibase(mb)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"legacy", "oidf"} {
		b, err := os.ReadFile("testdata/vc-test-fixtures/dids/" + name + "/did.json")
		if err != nil {
			t.Fatal(err)
		}
		doc, err := decodeObject(b)
		if err != nil {
			t.Fatal(err)
		}
		did := "did:web:digitalcredentials.github.io:vc-test-fixtures:dids:" + name
		keys := KeysOf(doc)
		if len(keys) != 1 || keys[0].ID != did+"#"+mb || keys[0].Controller != did || !want.(equaler).Equal(keys[0].Public) {
			t.Errorf("%s: got %+v", name, keys)
		}
	}
}

func TestKeysOf(t *testing.T) {
	const did = "did:web:issuer.example"
	mb1 := encodeMultibase(0xed, newEd25519(t))
	mb2 := encodeMultibase(0xed, newEd25519(t))
	ec := ecJWK(t, newECDSA(t, elliptic.P256()))
	for _, tc := range []struct {
		name string
		doc  object
		want []string
	}{
		{
			name: "DID document: referenced and embedded, not the authentication key",
			doc: object{"id": did,
				"verificationMethod": []any{multikey("#key-1", did, mb1), multikey("#auth", did, mb2)},
				"authentication":     []any{"#auth"},
				"assertionMethod": []any{"#key-1", "#missing", "https://elsewhere.example/key",
					object{"id": did + "#key-2", "type": "JsonWebKey2020", "publicKeyJwk": ec}}},
			want: []string{did + "#key-1", did + "#key-2"},
		},
		{
			name: "DID document without assertionMethod",
			doc:  object{"id": did, "verificationMethod": []any{multikey("#key-1", did, mb1)}},
		},
		{
			name: "OB3 issuer Profile with verificationMethod only",
			doc: object{"id": issuerURL, "type": "Profile", "name": "Example",
				"verificationMethod": []any{
					multikey(issuerURL+"#key-1", issuerURL, mb1),
					object{"id": "#key-2", "type": "JsonWebKey2020", "controller": issuerURL, "publicKeyJwk": ec},
					multikey("#foreign", "https://other.example/issuer", mb2),
					with(multikey("#old", issuerURL, mb2), "type", "Ed25519VerificationKey2018"),
					multikey("#broken", issuerURL, "z0"),
					multikey(issuerURL+"#key-1", issuerURL, mb2), // duplicate id
				}},
			want: []string{issuerURL + "#key-1", issuerURL + "#key-2"},
		},
		{
			name: "Ed25519VerificationKey2018 with publicKeyBase58",
			doc: object{"id": did,
				"verificationMethod": []any{
					object{"id": did + "#k2018", "type": "Ed25519VerificationKey2018", "controller": did, "publicKeyBase58": base58.Encode(newEd25519(t))},
					object{"id": did + "#two", "type": "Ed25519VerificationKey2018", "controller": did, "publicKeyBase58": base58.Encode(newEd25519(t)), "publicKeyMultibase": mb1},
					object{"id": did + "#short", "type": "Ed25519VerificationKey2018", "controller": did, "publicKeyBase58": base58.Encode(make([]byte, 31))},
					object{"id": did + "#number", "type": "Ed25519VerificationKey2018", "controller": did, "publicKeyBase58": 7},
					object{"id": did + "#2020", "type": "Ed25519VerificationKey2020", "controller": did, "publicKeyBase58": base58.Encode(newEd25519(t))},
				},
				"assertionMethod": []any{"#k2018", "#two", "#short", "#number", "#2020"}},
			want: []string{did + "#k2018"},
		},
		{
			name: "issuer Profile with assertionMethod",
			doc: object{"id": issuerURL, "type": "Profile",
				"verificationMethod": []any{multikey("#key-1", issuerURL, mb1), multikey("#key-2", issuerURL, mb2)},
				"assertionMethod":    "#key-2"},
			want: []string{issuerURL + "#key-2"},
		},
		{
			name: "no id",
			doc:  object{"verificationMethod": []any{multikey("#key-1", "", mb1)}, "assertionMethod": []any{"#key-1"}},
		},
		{name: "empty", doc: object{}},
		{name: "nil", doc: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := KeysOf(tc.doc)
			if got := ids(keys); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			for _, k := range keys {
				if k.Controller != tc.doc["id"] || k.Public == nil {
					t.Errorf("got %+v", k)
				}
			}
		})
	}
}
