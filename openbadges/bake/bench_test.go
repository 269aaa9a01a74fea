package bake

import (
	"bytes"
	"testing"
)

// paddedPNG returns the 1EdTech OB3 PNG (84 KB real image, 1.4 KB baked
// credential JSON) grown to size bytes with an unrelated tEXt chunk before
// IEND. The walker checks that chunk's length and CRC like any other.
func paddedPNG(tb testing.TB, size int) []byte {
	tb.Helper()
	img := readFile(tb, "ob3/1edtech-validator-simple-json.png")
	pad := size - len(img) - 12 - len("Comment\x00")
	if pad < 0 {
		tb.Fatalf("fixture is larger than %d", size)
	}
	out := bytes.Clone(img[:len(img)-len(iend)])
	out = append(out, textChunk("Comment", string(bytes.Repeat([]byte{'x'}, pad)))...)
	out = append(out, iend...)
	if len(out) != size {
		tb.Fatalf("built %d bytes", len(out))
	}
	return out
}

func benchUnbakePNG(b *testing.B, size int) {
	img := paddedPNG(b, size)
	if p, err := UnbakePNG(img); err != nil || p.Kind != OB3 {
		b.Fatal(p, err)
	}
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnbakePNG(img); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnbakePNG90KB(b *testing.B)  { benchUnbakePNG(b, 90<<10) }
func BenchmarkUnbakePNG300KB(b *testing.B) { benchUnbakePNG(b, 300<<10) }

// BenchmarkUnbakePNG90KBParallel uses every core, as a server would.
func BenchmarkUnbakePNG90KBParallel(b *testing.B) {
	img := paddedPNG(b, 90<<10)
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := UnbakePNG(img); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkUnbakeSVG(b *testing.B) {
	img := readFile(b, "ob3/1edtech-validator-simple-json.svg")
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnbakeSVG(img); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBakePNG(b *testing.B) {
	img := paddedPNG(b, 90<<10)
	p, err := UnbakePNG(img) // bake its own 1.4 KB credential again
	if err != nil {
		b.Fatal(err)
	}
	text := p.Text
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BakePNG(img, OB3, text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBakeSVG(b *testing.B) {
	img := readFile(b, "ob3/1edtech-validator-simple-json.svg")
	p, err := UnbakeSVG(img)
	if err != nil {
		b.Fatal(err)
	}
	text := p.Text
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BakeSVG(img, OB3, text); err != nil {
			b.Fatal(err)
		}
	}
}
