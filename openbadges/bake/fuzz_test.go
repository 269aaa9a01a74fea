package bake

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"backpack/openbadges/problem"
)

// addSeeds adds every testdata file with one of the extensions.
func addSeeds(f *testing.F, exts ...string) {
	f.Helper()
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, "fuzz") {
			return err
		}
		for _, ext := range exts {
			if strings.HasSuffix(path, ext) {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				f.Add(b)
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// checkResult is the fuzzing invariant: an error is one of our codes, a
// payload is well-formed and no longer than the input (twice for Latin-1
// legacy text, whose bytes above 0x7F become two).
func checkResult(t *testing.T, in []byte, p Payload, err error) {
	if err != nil {
		switch problem.CodeOf(err) {
		case problem.Malformed, problem.TooLarge, problem.Unsupported:
		default:
			t.Fatalf("untyped error %v", err)
		}
		if p != (Payload{}) {
			t.Fatalf("payload %+v with error %v", p, err)
		}
		return
	}
	limit := len(in)
	if p.Legacy {
		limit *= 2
	}
	if p.Text == "" || len(p.Text) > limit || len(p.Text) > MaxText || !utf8.ValidString(p.Text) || p.Text != trim(p.Text) {
		t.Fatalf("bad payload text (%d bytes from %d)", len(p.Text), len(in))
	}
	if p.Kind != OB2 && p.Kind != OB3 || p.Legacy && (p.Format != PNG || p.Kind != OB2) {
		t.Fatalf("bad payload %+v", p)
	}
}

func FuzzUnbakePNG(f *testing.F) {
	addSeeds(f, ".png")
	hdr := ihdr(1, 1)
	f.Add(mkPNG(ihdr(65536, 65536)))
	f.Add(mkPNG(hdr, itxt("openbadges", 0, "{}"), idat, itxt("openbadges", 0, "{}"), iend))
	f.Add(mkPNG(hdr, itxt("openbadgecredential", 1, "x"), iend))
	f.Add(mkPNG(hdr, textChunk("openbadges", "https://example.org/caf\xe9"), idat, iend))
	f.Fuzz(func(t *testing.T, img []byte) {
		// Mutations almost always break a CRC, which stops the walk early;
		// the second call, with CRCs repaired, reaches the text parsers.
		for _, in := range [][]byte{img, fixCRCs(img)} {
			p, err := UnbakePNG(in)
			checkResult(t, in, p, err)
			if err == nil && p.Format != PNG {
				t.Fatalf("format %q", p.Format)
			}
			if _, bad := checkBake(p.Kind, p.Text); err == nil && bad == nil {
				rebake(t, in, p.Kind, p.Text, true)
			}
		}
	})
}

// fixCRCs returns a copy of img with every whole chunk's CRC recomputed.
func fixCRCs(img []byte) []byte {
	b := bytes.Clone(img)
	for i := len(pngSignature); i+12 <= len(b); {
		n := binary.BigEndian.Uint32(b[i:])
		if uint64(n) > uint64(len(b)-i-12) {
			break
		}
		end := i + 8 + int(n)
		binary.BigEndian.PutUint32(b[end:], crc32.ChecksumIEEE(b[i+4:end]))
		i = end + 4
	}
	return b
}

func FuzzUnbakeSVG(f *testing.F) {
	addSeeds(f, ".svg")
	f.Add([]byte(xxeSVG))
	f.Add([]byte(svgOpen + `<x:assertion xmlns:x="http://openbadges.org" verify="https://example.org/a"><![CDATA[{"a":"]]]]><![CDATA[>"}]]></x:assertion></svg>`))
	f.Add([]byte("\xEF\xBB\xBF" + `<svg xmlns="http://www.w3.org/2000/svg"/>`))
	f.Fuzz(func(t *testing.T, img []byte) {
		p, err := UnbakeSVG(img)
		checkResult(t, img, p, err)
		if err == nil && p.Format != SVG {
			t.Fatalf("format %q", p.Format)
		}
		// Whatever SVG bakes must unbake to exactly that, and re-baking what
		// was found must give it back: this checks the byte splicing.
		rebake(t, img, OB3, `{"name":"x]]>"}`, err == nil || errors.Is(err, ErrNotBaked))
		if err == nil {
			rebake(t, img, p.Kind, p.Text, true)
		}
	})
}

// rebake checks that if text bakes into img (as it must if must is set),
// it unbakes to itself.
func rebake(t *testing.T, img []byte, kind Kind, text string, must bool) {
	out, err := Bake(img, kind, text)
	if err != nil {
		if must {
			t.Fatalf("Bake(%q) = %v", text, err)
		}
		checkResult(t, nil, Payload{}, err)
		return
	}
	p, err := Unbake(out)
	if err != nil || p.Kind != kind || p.Text != text || p.Legacy {
		t.Fatalf("Unbake(Bake(%q)) = %+v, %v", text, p, err)
	}
}

// FuzzBakeUnbakeRoundTrip bakes arbitrary text into small real images and
// reads it back.
func FuzzBakeUnbakeRoundTrip(f *testing.F) {
	for _, tc := range roundTripTexts {
		f.Add(tc.text, false, false)
		f.Add(tc.text, true, true)
	}
	f.Add("]]>\r]]", true, true)
	f.Add("\x00", false, true)
	images := [][]byte{
		mkPNG(ihdr(1, 1), textChunk("openbadges", "https://example.org/old"), idat, iend),
		[]byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"><openbadges:assertion verify="https://example.org/old"/></svg>`),
	}
	f.Fuzz(func(t *testing.T, text string, ob3, svg bool) {
		kind, img := OB2, images[0]
		if ob3 {
			kind = OB3
		}
		if svg {
			img = images[1]
		}
		out, err := Bake(img, kind, text)
		if err != nil {
			checkResult(t, nil, Payload{}, err)
			if out != nil {
				t.Fatal("output on error")
			}
			return
		}
		p, err := Unbake(out)
		if err != nil || p.Kind != kind || p.Text != trim(text) || p.Legacy {
			t.Fatalf("Unbake(Bake(%q)) = %+v, %v", text, p, err)
		}
		if again, err := Bake(out, kind, text); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("re-bake differs: %v", err)
		}
	})
}
