package bake

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

// Payload texts of every shape, for both kinds.
var roundTripTexts = []struct {
	name string
	text string
}{
	{"URL", "https://example.org/assertions/1?x=1&y=<2>"},
	{"JWS", "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2V4YW1wbGUub3JnIn0.c2lnbmF0dXJl"},
	{"hosted JSON", `{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://example.org/a/1","verify":{"type":"hosted"}}`},
	{"OB3 JSON", `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","OpenBadgeCredential"],"name":"Teamwork"}`},
	{"non-ASCII JSON", `{"name":"Ärztin – 医師 🩺","description":"naïve café"}`},
	{"JSON with ]]> and CR", "{\"a\":\"x]]>y\",\r\n\"b\":\"]]]]>\"}\r"},
	{"surrounding whitespace", "\n\t  https://example.org/b  \r\n"},
}

var roundTripImages = []string{
	"ob1-ob2/bakery-unbaked.png",
	"ob2/1edtech-validator-simple-badge.png", // already baked (OB2 iTXt)
	"ob3/1edtech-validator-simple-jwt.png",   // already baked (OB3 iTXt after IDAT)
	"legacy/backpack-valid-baked.png",        // already baked (legacy tEXt)
	"ob1-ob2/bakery-unbaked.svg",
	"ob1-ob2/bakery-baked.svg",              // already baked, root binds the OB2 prefix
	"ob3/1edtech-validator-simple-jwt.svg",  // already baked, root binds the OB3 prefix, DOCTYPE
	"ob3/1edtech-validator-simple-json.svg", // already baked, CDATA body
}

func TestRoundTrip(t *testing.T) {
	for _, name := range roundTripImages {
		img := readFile(t, name)
		format, _ := Sniff(img)
		for _, kind := range []Kind{OB2, OB3} {
			for _, tc := range roundTripTexts {
				t.Run(name+"/"+string(kind)+"/"+tc.name, func(t *testing.T) {
					out, err := Bake(img, kind, tc.text)
					if err != nil {
						t.Fatal(err)
					}
					p, err := Unbake(out)
					want := Payload{Format: format, Kind: kind, Text: trim(tc.text)}
					if err != nil || p != want {
						t.Fatalf("got %+v, %v\nwant %+v", p, err, want)
					}
					// Baking again replaces, never duplicates: same bytes.
					again, err := Bake(out, kind, tc.text)
					if err != nil || !bytes.Equal(again, out) {
						t.Fatalf("re-bake differs (%v)", err)
					}
					if format == PNG {
						if n, _ := countBadgeChunks(t, out); n != 1 {
							t.Errorf("%d badge chunks", n)
						}
					} else if doc, err := scanSVG(out); err != nil || len(doc.badges) != 1 {
						t.Errorf("scan after bake: %v", err)
					}
				})
			}
		}
	}
}

// TestRoundTripPNGDecodes checks that baked PNGs are still PNGs to
// image/png (decoding only once per image: it is the slow part).
func TestRoundTripPNGDecodes(t *testing.T) {
	for _, name := range roundTripImages {
		img := readFile(t, name)
		if f, _ := Sniff(img); f != PNG {
			continue
		}
		out, err := Bake(img, OB3, roundTripTexts[4].text)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(out)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBakeSVGElementShape(t *testing.T) {
	img := readFile(t, "ob1-ob2/bakery-unbaked.svg")
	for _, tc := range []struct {
		kind Kind
		text string
		want string
	}{
		{OB2, "https://example.org/a?b=1&c=2", `<openbadges:assertion xmlns:openbadges="http://openbadges.org" verify="https://example.org/a?b=1&amp;c=2"></openbadges:assertion>`},
		{OB2, "eyJh.eyJi.c2ln", `<openbadges:assertion xmlns:openbadges="http://openbadges.org" verify="eyJh.eyJi.c2ln"></openbadges:assertion>`},
		{OB2, `{"id":"https://example.org/a\"1"}`, `<openbadges:assertion xmlns:openbadges="http://openbadges.org" verify="https://example.org/a&#34;1"><![CDATA[{"id":"https://example.org/a\"1"}]]></openbadges:assertion>`},
		{OB2, `{"id":"urn:uuid:1"}`, `<openbadges:assertion xmlns:openbadges="http://openbadges.org"><![CDATA[{"id":"urn:uuid:1"}]]></openbadges:assertion>`},
		{OB3, "eyJh.eyJi.c2ln", `<openbadges:credential xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" verify="eyJh.eyJi.c2ln"></openbadges:credential>`},
		{OB3, `{"id":"https://example.org/c"}`, `<openbadges:credential xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><![CDATA[{"id":"https://example.org/c"}]]></openbadges:credential>`},
		{OB3, "https://example.org/c", `<openbadges:credential xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><![CDATA[https://example.org/c]]></openbadges:credential>`},
	} {
		out, err := BakeSVG(img, tc.kind, tc.text)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), `viewBox="0 0 512 512">`+tc.want+"\n") {
			t.Errorf("%s %q: got\n%.400s", tc.kind, tc.text, out)
		}
	}
}
