package bake

import (
	"bytes"
	"errors"
	"image/png"
	"testing"

	"backpack/openbadges/problem"
)

// stripped checks that out, stripped from in, carries no badge and no
// text: what a visitor of a public page gets.
func stripped(t *testing.T, name string, in, out []byte) {
	t.Helper()
	if _, err := Unbake(out); !errors.Is(err, ErrNotBaked) {
		t.Fatalf("%s: the stripped image still unbakes: %v", name, err)
	}
	if f, _ := Sniff(out); f != mustSniff(t, in) {
		t.Fatalf("%s: stripped to a %q from a %q", name, f, mustSniff(t, in))
	}
	if p, err := Unbake(in); err == nil && bytes.Contains(out, []byte(p.Text)) {
		t.Errorf("%s: the badge's text is left in the stripped image", name)
	}
	if mustSniff(t, in) == PNG {
		for _, word := range [][]byte{[]byte("openbadge"), []byte("tEXt"), []byte("iTXt"), []byte("zTXt"), []byte("eXIf")} {
			if bytes.Contains(out, word) {
				t.Errorf("%s: %q is left in the stripped image", name, word)
			}
		}
	}
}

func mustSniff(t *testing.T, b []byte) Format {
	f, ok := Sniff(b)
	if !ok {
		t.Fatal("not an image")
	}
	return f
}

func TestStripFixtures(t *testing.T) {
	for _, fx := range fixtures {
		if fx.format == "" || fx.code != "" {
			continue
		}
		in := readFile(t, fx.file)
		out, err := Strip(in)
		if err != nil {
			t.Fatalf("%s: %v", fx.file, err)
		}
		stripped(t, fx.file, in, out)
		if fx.format == PNG {
			a, errA := png.Decode(bytes.NewReader(in))
			b, errB := png.Decode(bytes.NewReader(out))
			if errA != nil || errB != nil || a.Bounds() != b.Bounds() {
				t.Fatalf("%s: decoded %v %v; bounds %v %v", fx.file, errA, errB, a.Bounds(), b.Bounds())
			}
			for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
				for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
					if a.At(x, y) != b.At(x, y) {
						t.Fatalf("%s: pixel %d,%d changed", fx.file, x, y)
					}
				}
			}
		}
		again, err := Strip(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("%s: stripping twice changed the image (%v)", fx.file, err)
		}
	}
}

// TestStripUndoesBake: an SVG comes back byte for byte; a PNG loses its
// text and Exif chunks, whatever kind.
func TestStripUndoesBake(t *testing.T) {
	svg := readFile(t, "ob1-ob2/bakery-unbaked.svg")
	for _, kind := range []Kind{OB2, OB3} {
		baked, err := Bake(svg, kind, `{"recipient":{"identity":"alice@example.org"}}`)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := Strip(baked); err != nil || !bytes.Equal(out, svg) {
			t.Fatalf("%s SVG: Strip(Bake(svg)) differs from svg (%v):\n%s", kind, err, out)
		}
	}
	hdr := ihdr(1, 1)
	plain := mkPNG(hdr, idat, iend)
	withText := mkPNG(hdr, textChunk("Comment", "alice@example.org"), mkChunk("zTXt", []byte("openbadges\x00\x00x")),
		mkChunk("eXIf", []byte("MM\x00*")), idat, itxt("openbadgecredential", 0, "eyJ..."), iend, []byte("trailing"))
	for name, in := range map[string][]byte{"plain": plain, "text chunks": withText, "no IEND": mkPNG(hdr, idat)} {
		out, err := Strip(in)
		if err != nil || !bytes.Equal(out, plain) {
			t.Fatalf("%s: Strip = %q, %v; want %q", name, out, err, plain)
		}
		baked, err := Bake(in, OB2, "https://issuer.example/a/1")
		if err != nil {
			t.Fatal(err)
		}
		if out, err := Strip(baked); err != nil || !bytes.Equal(out, plain) {
			t.Fatalf("%s, baked: Strip = %q, %v", name, out, err)
		}
	}
}

func TestStripRefusesBrokenImages(t *testing.T) {
	badCRC := mkPNG(ihdr(1, 1), textChunk("openbadges", "https://example.org/a"), idat, iend)
	badCRC[len(ihdr(1, 1))+len(pngSignature)+20] ^= 1
	for name, c := range map[string]struct {
		img  []byte
		code problem.Code
	}{
		"empty":             {nil, problem.Malformed},
		"not an image":      {[]byte("GIF89a"), problem.Unsupported},
		"bad CRC":           {badCRC, problem.Malformed},
		"truncated":         {mkPNG(ihdr(1, 1))[:20], problem.Malformed},
		"SVG not closed":    {[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><openbadges:assertion xmlns:openbadges="http://openbadges.org">`), problem.Malformed},
		"SVG with entities": {[]byte(`<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>`), problem.Malformed},
	} {
		out, err := Strip(c.img)
		if out != nil {
			t.Errorf("%s: an image came back", name)
		}
		wantCode(t, err, c.code)
	}
}

// FuzzStrip: whatever Strip returns carries no badge, and is an image of
// the kind it was given.
func FuzzStrip(f *testing.F) {
	addSeeds(f, ".png", ".svg")
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Strip(in)
		if err != nil {
			switch problem.CodeOf(err) {
			case problem.Malformed, problem.TooLarge, problem.Unsupported:
			default:
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if _, err := Unbake(out); !errors.Is(err, ErrNotBaked) {
			t.Fatalf("the stripped image still unbakes: %v", err)
		}
		if a, _ := Sniff(in); a != mustSniff(t, out) {
			t.Fatalf("stripped a %q to something else", a)
		}
	})
}
