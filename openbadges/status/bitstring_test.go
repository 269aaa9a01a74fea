package status

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"backpack/openbadges/problem"
)

// bitstring returns n bytes with the given bits set (MSB first).
func bitstring(n int, set ...int) []byte {
	b := make([]byte, n)
	for _, i := range set {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return b
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// multibase encodes a bitstring as a BitstringStatusList encodedList.
func multibase(t testing.TB, b []byte) string {
	return "u" + base64.RawURLEncoding.EncodeToString(gz(t, b))
}

// encodedListOf reads credentialSubject.encodedList of a testdata list.
func encodedListOf(t testing.TB, path string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	var vc struct {
		CredentialSubject struct{ EncodedList string }
	}
	if err := json.Unmarshal(raw, &vc); err != nil {
		t.Fatal(err)
	}
	return vc.CredentialSubject.EncodedList
}

func wantCode(t testing.TB, err error, code problem.Code) {
	t.Helper()
	if got := problem.CodeOf(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

// TestBitFixtures decodes the real lists: the DCC list (100 000 bits,
// VERIFICATION.md 3.5: bits 2, 6, 8 set; 7 clear) and the 1EdTech test
// list (131 072 bits, bit 23 set).
func TestBitFixtures(t *testing.T) {
	for _, tc := range []struct {
		path string
		bits int
		set  []int
	}{
		{"dcc/lists/e5WK8CbZ1GjycuPombrj", 100_000, []int{2, 6, 8}},
		{"1edtech/testlist", 131_072, []int{23}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			enc := encodedListOf(t, tc.path)
			for _, i := range []int{0, 1, 2, 6, 7, 8, 9, 22, 23, 24, tc.bits - 1} {
				got, err := Bit(enc, Multibase, i)
				if err != nil {
					t.Fatalf("Bit(%d): %v", i, err)
				}
				want := false
				for _, s := range tc.set {
					want = want || s == i
				}
				if got != want {
					t.Errorf("Bit(%d) = %v, want %v", i, got, want)
				}
			}
			_, err := Bit(enc, Multibase, tc.bits)
			wantCode(t, err, problem.Malformed)
		})
	}
}

func TestBitFormats(t *testing.T) {
	set := []int{0, 7, 8, 13, 1000, 131_071}
	raw := bitstring(16<<10, set...)
	z := gz(t, raw)
	encodings := map[string]struct{ format, list string }{
		"multibase":               {Multibase, "u" + base64.RawURLEncoding.EncodeToString(z)},
		"multibase padded":        {Multibase, "u" + base64.URLEncoding.EncodeToString(z)},
		"base64url":               {Base64, base64.RawURLEncoding.EncodeToString(z)},
		"base64url padded":        {Base64, base64.URLEncoding.EncodeToString(z)},
		"base64 std":              {Base64, base64.RawStdEncoding.EncodeToString(z)},
		"base64 std padded":       {Base64, base64.StdEncoding.EncodeToString(z)},
		"base64 with multibase u": {Base64, "u" + base64.RawURLEncoding.EncodeToString(z)},
	}
	for name, e := range encodings {
		t.Run(name, func(t *testing.T) {
			for i := range 131_072 {
				if i > 1100 && i < 131_000 {
					continue
				}
				want := false
				for _, s := range set {
					want = want || s == i
				}
				got, err := Bit(e.list, e.format, i)
				if err != nil || got != want {
					t.Fatalf("Bit(%d) = %v, %v; want %v", i, got, err, want)
				}
			}
		})
	}
}

func TestBitErrors(t *testing.T) {
	good := multibase(t, bitstring(16, 3))
	z := gz(t, bitstring(16, 3))
	badCRC := bytes.Clone(z)
	badCRC[len(badCRC)-8] ^= 0xff
	for _, tc := range []struct {
		name, list, format string
		i                  int
		code               problem.Code
	}{
		{"negative index", good, Multibase, -1, problem.Malformed},
		{"index past the end", good, Multibase, 128, problem.Malformed},
		{"index past MaxIndex", good, Multibase, MaxIndex + 1, problem.Malformed},
		{"huge index", good, Multibase, int(^uint(0) >> 1), problem.Malformed},
		{"no multibase prefix", good[1:], Multibase, 3, problem.Malformed},
		{"other multibase base", "z" + good[1:], Multibase, 3, problem.Malformed},
		{"not base64", "u!!!not base64!!!", Multibase, 3, problem.Malformed},
		{"not base64 (2021)", "%%%", Base64, 3, problem.Malformed},
		{"empty", "", Multibase, 0, problem.Malformed},
		{"just the prefix", "u", Multibase, 0, problem.Malformed},
		{"not gzip", "u" + base64.RawURLEncoding.EncodeToString([]byte("plain bits here")), Multibase, 0, problem.Malformed},
		{"truncated gzip", "u" + base64.RawURLEncoding.EncodeToString(z[:len(z)-10]), Multibase, 0, problem.Malformed},
		{"bad CRC", "u" + base64.RawURLEncoding.EncodeToString(badCRC), Multibase, 0, problem.Malformed},
		{"trailing garbage", "u" + base64.RawURLEncoding.EncodeToString(append(bytes.Clone(z), "junk"...)), Multibase, 0, problem.Malformed},
		{"empty bitstring", multibase(t, nil), Multibase, 0, problem.Malformed},
		{"tampered DCC list", encodedListOf(t, "dcc/lists/tampered"), Multibase, 7, problem.Malformed},
		{"encoded too large", "u" + strings.Repeat("A", MaxEncoded), Multibase, 0, problem.TooLarge},
		{"unknown format", good, "hex", 3, problem.Unsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Bit(tc.list, tc.format, tc.i)
			wantCode(t, err, tc.code)
		})
	}
}

// TestBitLimit: a bitstring of exactly MaxBitstring bytes is read, one
// byte more is TooLarge.
func TestBitLimit(t *testing.T) {
	atLimit := multibase(t, bitstring(MaxBitstring, MaxIndex))
	if got, err := Bit(atLimit, Multibase, MaxIndex); err != nil || !got {
		t.Errorf("Bit(MaxIndex) of a 16 MiB list = %v, %v; want true", got, err)
	}
	_, err := Bit(multibase(t, make([]byte, MaxBitstring+1)), Multibase, 0)
	wantCode(t, err, problem.TooLarge)
}

// zeroBomb returns a GZIP stream of mib MiB of zeros, built without
// compressing them all: the deflate blocks of one MiB of zeros, compressed
// after a MiB of zeros and ended by a sync flush, decode to another MiB of
// zeros wherever they are repeated (every back-reference lands in zeros),
// so they are compressed once and repeated.
func zeroBomb(t testing.TB, mib int) []byte {
	t.Helper()
	var body bytes.Buffer
	fw, err := flate.NewWriter(&body, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	fw.Write(zeros)
	fw.Flush()
	first := body.Len()
	fw.Write(zeros)
	fw.Flush()
	chunk := bytes.Clone(body.Bytes()[first:])
	body.Truncate(first)
	for range mib - 1 {
		body.Write(chunk)
	}
	body.Write([]byte{0x03, 0x00}) // a final, empty fixed-Huffman block

	crc := uint32(0)
	for range mib {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255} // gzip header
	out = append(out, body.Bytes()...)
	out = binary.LittleEndian.AppendUint32(out, crc)
	return binary.LittleEndian.AppendUint32(out, uint32(mib<<20)) // ISIZE is mod 2^32
}

// TestZeroBomb checks the bomb builder itself on a small bomb.
func TestZeroBomb(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(zeroBomb(t, 5)))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	buf := make([]byte, 64<<10)
	for {
		m, err := zr.Read(buf)
		if bytes.Count(buf[:m], []byte{0}) != m {
			t.Fatal("bomb decodes to non-zero bytes")
		}
		n += int64(m)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
	}
	if n != 5<<20 {
		t.Fatalf("bomb decodes to %d bytes, want %d", n, 5<<20)
	}
}

// allocated runs f and returns the bytes it allocated on the heap.
func allocated(t *testing.T, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	n := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB", n>>10)
	return n
}

// TestGzipBomb: bombs are refused with TooLarge, and no allocation comes
// near their size (the bitstring is never held, so not even near 16 MiB).
func TestGzipBomb(t *testing.T) {
	const budget = 8 << 20

	// u + base64url(gzip(1 GiB of zeros)): about 1 MB of GZIP, so its text
	// already exceeds MaxEncoded.
	gib := zeroBomb(t, 1024)
	t.Logf("1 GiB bomb: %d bytes of GZIP", len(gib))
	enc := "u" + base64.RawURLEncoding.EncodeToString(gib)
	var err error
	if n := allocated(t, func() { _, err = Bit(enc, Multibase, 0) }); n > budget {
		t.Errorf("Bit allocated %d bytes for the 1 GiB bomb", n)
	}
	wantCode(t, err, problem.TooLarge)

	// The same GZIP handed straight to the decompressor: stopped after
	// 16 MiB of output.
	if n := allocated(t, func() { _, _, err = byteAt(gib, 0) }); n > budget {
		t.Errorf("byteAt allocated %d bytes for the 1 GiB bomb", n)
	}
	wantCode(t, err, problem.TooLarge)

	// A 64 MiB bomb fits in MaxEncoded: refused by the decompression cap.
	enc = "u" + base64.RawURLEncoding.EncodeToString(zeroBomb(t, 64))
	if n := allocated(t, func() { _, err = Bit(enc, Multibase, 0) }); n > budget {
		t.Errorf("Bit allocated %d bytes for the 64 MiB bomb", n)
	}
	wantCode(t, err, problem.TooLarge)
	if !strings.Contains(problem.MessageOf(err), "the bitstring is larger than 16 MiB") {
		t.Errorf("message = %q, want the decompression cap", problem.MessageOf(err))
	}
}
