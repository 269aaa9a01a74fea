package bake

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"backpack/openbadges/problem"
)

// mkChunk returns a PNG chunk with a correct length and CRC.
func mkChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// ihdr declares a w×h 8-bit RGBA image.
func ihdr(w, h uint32) []byte {
	d := binary.BigEndian.AppendUint32(nil, w)
	d = binary.BigEndian.AppendUint32(d, h)
	return mkChunk("IHDR", append(d, 8, 6, 0, 0, 0))
}

func mkPNG(chunks ...[]byte) []byte {
	b := []byte(pngSignature)
	for _, c := range chunks {
		b = append(b, c...)
	}
	return b
}

func itxt(keyword string, flag byte, text string) []byte {
	return mkChunk("iTXt", []byte(keyword+"\x00"+string([]byte{flag, 0})+"\x00\x00"+text))
}

func textChunk(keyword, text string) []byte {
	return mkChunk("tEXt", []byte(keyword+"\x00"+text))
}

var (
	iend = mkChunk("IEND", nil)
	idat = mkChunk("IDAT", []byte{0x78, 0x9c, 0x62, 0x00, 0x00, 0x00, 0xff, 0xff})
)

func TestUnbakePNGHostile(t *testing.T) {
	hdr := ihdr(1, 1)
	badCRC := textChunk("openbadges", "https://example.org/a")
	badCRC[len(badCRC)-1] ^= 1
	hugeLen := binary.BigEndian.AppendUint32(nil, 0xFFFFFFF0)
	hugeLen = append(hugeLen, "iTXtopenbadges\x00"...)
	for _, tc := range []struct {
		name string
		img  []byte
		code problem.Code
		msg  string
	}{
		{"chunk length 0xFFFFFFF0", mkPNG(hdr, hugeLen), problem.Malformed, ""},
		{"bad CRC", mkPNG(hdr, badCRC, idat, iend), problem.Malformed, "checksum"},
		{"bad CRC in IDAT", mkPNG(hdr, append(bytes.Clone(idat[:len(idat)-1]), idat[len(idat)-1]^1), iend), problem.Malformed, "checksum"},
		{"duplicate iTXt", mkPNG(hdr, itxt("openbadges", 0, "{}"), idat, itxt("openbadges", 0, "{}"), iend), problem.Malformed, "duplicate openbadges chunk"},
		{"tEXt and iTXt", mkPNG(hdr, textChunk("openbadges", "https://example.org/a"), itxt("openbadges", 0, "{}"), idat, iend), problem.Malformed, "duplicate openbadges chunk"},
		{"duplicate OB3", mkPNG(hdr, itxt("openbadgecredential", 0, "{}"), itxt("openbadgecredential", 0, "{}"), iend), problem.Malformed, "duplicate openbadgecredential chunk"},
		{"OB2 and OB3", mkPNG(hdr, itxt("openbadges", 0, "{}"), itxt("openbadgecredential", 0, "{}"), iend), problem.Malformed, "more than one badge"},
		{"compressed iTXt", mkPNG(hdr, itxt("openbadges", 1, "x\x9c"), idat, iend), problem.Unsupported, "compressed badge chunk"},
		{"zTXt", mkPNG(hdr, mkChunk("zTXt", []byte("openbadges\x00\x00x\x9c")), idat, iend), problem.Unsupported, "compressed badge chunk"},
		{"OB3 in tEXt", mkPNG(hdr, textChunk("openbadgecredential", "{}"), iend), problem.Unsupported, ""},
		{"iTXt without language", mkPNG(hdr, mkChunk("iTXt", []byte("openbadges\x00\x00\x00en")), iend), problem.Malformed, ""},
		{"keyword without NUL", mkPNG(hdr, mkChunk("iTXt", []byte("openbadges")), iend), problem.Malformed, "malformed"},
		{"iTXt too short", mkPNG(hdr, mkChunk("iTXt", []byte("openbadges\x00\x00")), iend), problem.Malformed, ""},
		{"invalid UTF-8", mkPNG(hdr, itxt("openbadges", 0, "{\xff}"), iend), problem.Malformed, "UTF-8"},
		{"NUL in text", mkPNG(hdr, itxt("openbadges", 0, "{\x00}"), iend), problem.Malformed, "NUL"},
		{"text over 1 MiB", mkPNG(hdr, itxt("openbadges", 0, strings.Repeat("a", MaxText+1)), iend), problem.TooLarge, ""},
		{"Latin-1 text over 1 MiB as UTF-8", mkPNG(hdr, textChunk("openbadges", strings.Repeat("\xe9", MaxText/2+1)), iend), problem.TooLarge, ""},
		{"no IHDR", mkPNG(idat, iend), problem.Malformed, "IHDR"},
		{"IHDR wrong size", mkPNG(mkChunk("IHDR", make([]byte, 12)), iend), problem.Malformed, "IHDR"},
		{"bad chunk type", mkPNG(hdr, mkChunk("a\x00cd", nil), iend), problem.Malformed, ""},
		{"trailing partial chunk", append(mkPNG(hdr, idat), 0, 0, 0), problem.Malformed, "truncated"},
		{"signature only", []byte(pngSignature), problem.Malformed, "truncated"},
		{"not a PNG", []byte("GIF89a"), problem.Unsupported, ""},
		{"over 16 MiB", append(mkPNG(hdr, iend), make([]byte, 16<<20)...), problem.TooLarge, ""},
		{"chunk over 8 MiB", mkPNG(hdr, mkChunk("teSt", make([]byte, 8<<20+1)), iend), problem.TooLarge, ""},
		{"empty badge", mkPNG(hdr, itxt("openbadges", 0, " \n"), iend), problem.Malformed, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := UnbakePNG(tc.img)
			wantCode(t, err, tc.code)
			if p != (Payload{}) {
				t.Errorf("payload %+v on error", p)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want it to mention %q", err, tc.msg)
			}
		})
	}
}

func TestUnbakePNGTooManyChunks(t *testing.T) {
	many := [][]byte{ihdr(1, 1)}
	for range maxChunks {
		many = append(many, mkChunk("teSt", nil))
	}
	_, err := UnbakePNG(mkPNG(append(many, iend)...))
	wantCode(t, err, problem.TooLarge)
	// One fewer is fine.
	_, err = UnbakePNG(mkPNG(append(many[:maxChunks-1], iend)...))
	wantNotBaked(t, err)
}

func TestUnbakePNGHugeLengthNoAllocation(t *testing.T) {
	img := mkPNG(ihdr(1, 1), binary.BigEndian.AppendUint32(nil, 0xFFFFFFF0), []byte("iTXt"), make([]byte, 64))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	allocs := testing.AllocsPerRun(100, func() { _, _ = UnbakePNG(img) })
	runtime.ReadMemStats(&after)
	if allocs > 4 {
		t.Errorf("%v allocations per call", allocs)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("allocated %d bytes over 101 calls", d)
	}
}

// TestUnbakePNGPixelFlood is SECURITY.md I3's 33-byte PNG declaring
// 65536×65536 RGBA: unbaking never decodes, so it is just an unbaked image.
func TestUnbakePNGPixelFlood(t *testing.T) {
	img := mkPNG(ihdr(65536, 65536))
	if len(img) != 33 {
		t.Fatalf("len = %d", len(img))
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(img)); err != nil || cfg.Width != 65536 {
		t.Fatalf("DecodeConfig = %+v, %v: the test image is not what I3 describes", cfg, err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := UnbakePNG(img)
	runtime.ReadMemStats(&after)
	wantNotBaked(t, err)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("allocated %d bytes", d)
	}
	// Baking it works too (IEND is added), still without decoding.
	out, err := BakePNG(img, OB2, "https://example.org/a")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out, iend) {
		t.Error("no IEND added")
	}
	if p, err := UnbakePNG(out); err != nil || p.Text != "https://example.org/a" {
		t.Errorf("re-unbake = %+v, %v", p, err)
	}
}

// TestUnbakePNGTruncated cuts a baked fixture at every length: a cut at a
// chunk boundary is a (possibly unbaked) PNG without IEND, anything else is
// malformed.
func TestUnbakePNGTruncated(t *testing.T) {
	img := readFile(t, "ob2/1edtech-validator-simple-badge.png")
	boundary := map[int]bool{}
	w, _ := newChunkWalker(img)
	for {
		c, ok, err := w.next()
		if err != nil || !ok {
			break
		}
		boundary[c.end] = true
	}
	for n := range len(img) {
		p, err := UnbakePNG(img[:n])
		switch {
		case n < len(pngSignature):
			wantCode(t, err, problem.Unsupported)
		case boundary[n] && err == nil:
			if !strings.HasPrefix(p.Text, "{") {
				t.Fatalf("cut at %d: %q", n, p.Text)
			}
		case boundary[n]:
			wantNotBaked(t, err)
		default:
			wantCode(t, err, problem.Malformed)
		}
	}
}

func TestUnbakePNGIgnoresTrailingData(t *testing.T) {
	img := readFile(t, "legacy/backpack-valid-baked.png")
	// A second baked PNG glued after IEND (a polyglot) is not looked at.
	junk := append(bytes.Clone(img), readFile(t, "ob3/1edtech-validator-simple-json.png")...)
	p, err := UnbakePNG(junk)
	if err != nil || p.Text != "https://example.org/assertion" {
		t.Fatalf("got %+v, %v", p, err)
	}
	out, err := BakePNG(junk, OB2, "https://example.org/b")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out, iend) {
		t.Error("BakePNG kept data after IEND")
	}
}

func TestUnbakePNGLatin1(t *testing.T) {
	img := mkPNG(ihdr(1, 1), textChunk("openbadges", "https://example.org/caf\xe9"), idat, iend)
	p, err := UnbakePNG(img)
	if err != nil || p.Text != "https://example.org/café" || !p.Legacy || p.Kind != OB2 {
		t.Fatalf("got %+v, %v", p, err)
	}
}

func TestUnbakePNGIgnoresUnrelatedText(t *testing.T) {
	img := mkPNG(ihdr(1, 1),
		textChunk("Software", "Adobe ImageReady"),
		itxt("XML:com.adobe.xmp", 0, "<x:xmpmeta/>"),
		itxt("openbadgesX", 0, "no"),
		mkChunk("zTXt", []byte("Comment\x00\x00x\x9c")),
		idat,
		itxt("openbadgecredential", 0, " eyJh.eyJi.c2ln\n"),
		iend)
	p, err := UnbakePNG(img)
	if err != nil || p != (Payload{Format: PNG, Kind: OB3, Text: "eyJh.eyJi.c2ln"}) {
		t.Fatalf("got %+v, %v", p, err)
	}
}

func countBadgeChunks(t *testing.T, img []byte) (n int, beforeIDAT bool) {
	t.Helper()
	w, err := newChunkWalker(img)
	if err != nil {
		t.Fatal(err)
	}
	sawIDAT := false
	for {
		c, ok, err := w.next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return n, beforeIDAT
		}
		if _, ok := badgeKind(c); ok {
			n++
			beforeIDAT = !sawIDAT
		}
		sawIDAT = sawIDAT || c.typ == typeIDAT
	}
}

func TestBakePNGPlacementAndDecode(t *testing.T) {
	for _, name := range []string{
		"ob1-ob2/bakery-unbaked.png",
		"legacy/salava-invalid-metadata.png",
		"ob3/1edtech-validator-simple-jwt.png", // badge after IDAT
		"invalid/salava-no-metadata.png",
	} {
		img := readFile(t, name)
		out, err := BakePNG(img, OB3, `{"name":"x"}`)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n, before := countBadgeChunks(t, out); n != 1 || !before {
			t.Errorf("%s: %d badge chunks, before IDAT %v", name, n, before)
		}
		if _, err := png.Decode(bytes.NewReader(out)); err != nil {
			t.Errorf("%s: baked image does not decode: %v", name, err)
		}
		// Only the badge chunk changed: every other chunk is kept, in order.
		if !bytes.Equal(nonBadgeChunks(img), nonBadgeChunks(out)) {
			t.Errorf("%s: non-badge chunks changed", name)
		}
	}
}

// nonBadgeChunks returns the bytes of all chunks but badge ones, in order.
func nonBadgeChunks(img []byte) []byte {
	var kept []byte
	w, _ := newChunkWalker(img)
	for {
		c, ok, _ := w.next()
		if !ok {
			return kept
		}
		if _, isBadge := badgeKind(c); !isBadge {
			kept = append(kept, img[c.start:c.end]...)
		}
	}
}

// TestBakePNGReplacesBrokenBadges: baking cleans out every badge chunk,
// including ones that make unbaking fail.
func TestBakePNGReplacesBrokenBadges(t *testing.T) {
	img := mkPNG(ihdr(1, 1),
		mkChunk("iTXt", []byte("openbadges")),
		itxt("openbadges", 1, "x\x9c"),
		mkChunk("zTXt", []byte("openbadgecredential\x00\x00x\x9c")),
		textChunk("openbadges", "https://example.org/old"),
		idat,
		itxt("openbadgecredential", 0, "{}"),
		textChunk("Software", "keep me"),
		iend)
	if _, err := UnbakePNG(img); err == nil {
		t.Fatal("the broken image unbakes")
	}
	out, err := BakePNG(img, OB2, "https://example.org/new")
	if err != nil {
		t.Fatal(err)
	}
	want := mkPNG(ihdr(1, 1), itxt("openbadges", 0, "https://example.org/new"), idat, textChunk("Software", "keep me"), iend)
	if !bytes.Equal(out, want) {
		t.Errorf("got %q\nwant %q", out, want)
	}
}
