package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
)

// entry is one entry of a test archive.
type entry struct {
	name string
	data []byte
	// edit, if set, changes the header before it is written.
	edit func(*zip.FileHeader)
	// raw writes data as it is, with the method (Store unless edit says
	// otherwise), sizes and CRC that edit leaves: how a test makes the
	// writer lie.
	raw bool
}

// build writes a ZIP archive of the entries with archive/zip.
func build(tb testing.TB, es ...entry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range es {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.raw {
			fh.Method = zip.Store
			fh.CRC32 = crc32.ChecksumIEEE(e.data)
			fh.CompressedSize64, fh.UncompressedSize64 = uint64(len(e.data)), uint64(len(e.data))
		}
		if e.edit != nil {
			e.edit(fh)
		}
		var fw io.Writer
		var err error
		if e.raw {
			fw, err = w.CreateRaw(fh)
		} else {
			fw, err = w.CreateHeader(fh)
		}
		if err != nil {
			tb.Fatalf("create %q: %v", e.name, err)
		}
		if _, err := fw.Write(e.data); err != nil {
			tb.Fatalf("write %q: %v", e.name, err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func file(name, data string) entry { return entry{name: name, data: []byte(data)} }

// deflated is data compressed with compress/flate, for raw entries.
func deflated(tb testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(data)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// patchCentral lets edit change the central directory record of the entry
// name (46 fixed bytes: CRC-32 at 16, sizes at 20 and 24, local header
// offset at 42), for what the writer cannot be made to lie about.
func patchCentral(tb testing.TB, b []byte, name string, edit func(rec []byte)) {
	tb.Helper()
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("PK\x01\x02"))
		if j < 0 {
			tb.Fatalf("no central record for %q", name)
		}
		rec := b[i+j:]
		if n := int(binary.LittleEndian.Uint16(rec[28:])); string(rec[46:46+n]) == name {
			edit(rec)
			return
		}
		i += j + 4
	}
}

func open(tb testing.TB, b []byte, lim Limits) (*Archive, error) {
	tb.Helper()
	return Open(bytes.NewReader(b), int64(len(b)), lim)
}

func mustOpen(tb testing.TB, b []byte, lim Limits) *Archive {
	tb.Helper()
	a, err := open(tb, b, lim)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return a
}

// readFile reads one file of the archive entirely.
func readFile(f File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func names(a *Archive) []string {
	var ns []string
	for _, f := range a.Files {
		ns = append(ns, f.Name)
	}
	return ns
}

// randomBytes do not compress, like PNG data.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// goodArchive has nested folders, both methods, raw and streamed entries.
func goodArchive(tb testing.TB) ([]byte, map[string][]byte) {
	want := map[string][]byte{
		"assertion.json":              []byte(`{"type":"Assertion","id":"urn:uuid:1"}`),
		"badges/2024/baked.png":       append([]byte("\x89PNG\r\n\x1a\n"), randomBytes(70_000, 1)...),
		"badges/2024/deep/badge.svg":  []byte(strings.Repeat(`<svg xmlns="http://www.w3.org/2000/svg"/>`, 100)),
		"badges/Ünïcödé badge.jws":    []byte("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
		"cleaned/name.json":           []byte(`{"cleaned":true}`),
		"dot.json":                    []byte(`{}`),
		"empty.json":                  nil,
		"raw/stored without desc.png": randomBytes(3000, 2),
	}
	b := build(tb,
		entry{name: "badges/", edit: func(fh *zip.FileHeader) { fh.SetMode(fs.ModeDir | 0o755) }},
		entry{name: "badges/2024/"},
		entry{name: "assertion.json", data: want["assertion.json"]},
		entry{name: "badges/2024/baked.png", data: want["badges/2024/baked.png"], edit: func(fh *zip.FileHeader) { fh.Method = zip.Store }},
		entry{name: "badges/2024/deep/badge.svg", data: want["badges/2024/deep/badge.svg"], edit: func(fh *zip.FileHeader) { fh.SetMode(0o644) }},
		entry{name: "badges/Ünïcödé badge.jws", data: want["badges/Ünïcödé badge.jws"]},
		entry{name: "cleaned//./name.json", data: want["cleaned/name.json"]},
		entry{name: "./dot.json", data: want["dot.json"]},
		entry{name: "empty.json"},
		entry{name: "raw/stored without desc.png", data: want["raw/stored without desc.png"], raw: true},
	)
	return b, want
}

func TestGoodArchiveListsAndReadsBack(t *testing.T) {
	b, want := goodArchive(t)
	a := mustOpen(t, b, Limits{})
	wantNames := []string{"assertion.json", "badges/2024/baked.png", "badges/2024/deep/badge.svg", "badges/Ünïcödé badge.jws",
		"cleaned/name.json", "dot.json", "empty.json", "raw/stored without desc.png"}
	if got := names(a); !slices.Equal(got, wantNames) {
		t.Fatalf("files = %q, want %q", got, wantNames)
	}
	for _, f := range a.Files {
		if f.Skip != "" {
			t.Errorf("%s: Skip = %q", f.Name, f.Skip)
		}
		if f.Size != int64(len(want[f.Name])) {
			t.Errorf("%s: Size = %d, want %d", f.Name, f.Size, len(want[f.Name]))
		}
		got, err := readFile(f)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
		if !bytes.Equal(got, want[f.Name]) {
			t.Errorf("%s: read %d bytes that differ from the %d written", f.Name, len(got), len(want[f.Name]))
		}
	}
}

func TestReadInSmallSteps(t *testing.T) {
	b, want := goodArchive(t)
	a := mustOpen(t, b, Limits{})
	f := a.Files[1] // the PNG, larger than the peeked head
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(&oneByteReader{rc})
	if err != nil || !bytes.Equal(got, want[f.Name]) {
		t.Fatalf("read %d bytes, err %v; want %d bytes", len(got), err, len(want[f.Name]))
	}
	rc.Close()
	if n, err := rc.Read(make([]byte, 10)); n != 0 || err == nil {
		t.Errorf("read after Close = %d, %v", n, err)
	}
}

func TestConcurrentReads(t *testing.T) {
	b, want := goodArchive(t)
	a := mustOpen(t, b, Limits{})
	var wg sync.WaitGroup
	for range 4 {
		for _, f := range a.Files {
			wg.Go(func() {
				if got, err := readFile(f); err != nil || !bytes.Equal(got, want[f.Name]) {
					t.Errorf("%s: %d bytes, %v", f.Name, len(got), err)
				}
			})
		}
	}
	wg.Wait()
	var total int64
	for _, f := range a.Files {
		total += 4 * f.Size
	}
	if got := a.read.Load(); got != total {
		t.Errorf("running total %d, want %d", got, total)
	}
}

type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:min(len(p), 1)]) }

func TestJunkAndFoldersAreIgnored(t *testing.T) {
	b := build(t,
		entry{name: "__MACOSX/"},
		file("__MACOSX/._badge.png", "resource fork"),
		file("__MACOSX/badges/._other.png", "resource fork"),
		entry{name: "badges/"},
		entry{name: "badges/empty/"},
		file("badges/.DS_Store", "finder"),
		file("badges/Thumbs.db", "explorer"),
		file("THUMBS.DB", "explorer"),
		file("badges/._badge.png", "apple double"),
		file("badges/badge.png", "png"),
	)
	// Junk and folders count neither as files nor towards the total.
	a := mustOpen(t, b, Limits{MaxFiles: 1, MaxTotalBytes: 3})
	if got := names(a); !slices.Equal(got, []string{"badges/badge.png"}) {
		t.Fatalf("files = %q", got)
	}
}

// refusal is an archive that Open refuses.
type refusal struct {
	name    string
	archive []byte
	lim     Limits
	entry   string // Error.Name
	msg     string // in Error.Msg
}

func refusals(tb testing.TB) []refusal {
	zeros5MiB := bytes.Repeat([]byte{0}, 5<<20)
	kb := bytes.Repeat([]byte("x"), 1000)

	overlapping := build(tb,
		entry{name: "a.png", data: randomBytes(500, 3), raw: true},
		entry{name: "b.png", data: randomBytes(500, 3), raw: true},
	)
	patchCentral(tb, overlapping, "b.png", func(rec []byte) { binary.LittleEndian.PutUint32(rec[42:], 0) })

	badLocal := build(tb, file("a.png", "data"), file("b.png", "data"))
	patchCentral(tb, badLocal, "b.png", func(rec []byte) {
		off := binary.LittleEndian.Uint32(rec[42:])
		copy(badLocal[off:], "XXXX")
	})

	var dirs []entry
	for i := range 4000 {
		dirs = append(dirs, entry{name: fmt.Sprintf("d%04d/", i)})
	}

	fifo := func(fh *zip.FileHeader) { fh.SetMode(fs.ModeNamedPipe | 0o644) }
	symlink := func(fh *zip.FileHeader) { fh.SetMode(fs.ModeSymlink | 0o777) }
	fatSymlink := func(fh *zip.FileHeader) { // FAT creator: Mode() ignores the Unix bits
		fh.CreatorVersion = 20
		fh.ExternalAttrs = 0o120777 << 16
	}

	return []refusal{
		{"not a zip", []byte("this is plain text, not an archive"), Limits{}, "", "not a ZIP archive"},
		{"truncated", build(tb, file("a.json", "{}"))[:40], Limits{}, "", "not a ZIP archive"},
		{"too many files", build(tb, file("a", "1"), file("b", "2"), file("c", "3")), Limits{MaxFiles: 2}, "c", "more than 2 files"},
		{"too many entries", build(tb, dirs...), Limits{MaxFiles: 1}, "", "lists more entries"},
		{"no name", build(tb, file("", "x")), Limits{}, "", "no name"},
		{"dot", build(tb, file(".", "x")), Limits{}, ".", `"." has no name once cleaned`},
		{"absolute", build(tb, file("/etc/passwd", "x")), Limits{}, "/etc/passwd", `"/etc/passwd" has an absolute path`},
		{"unc", build(tb, file("//server/share/x", "x")), Limits{}, "//server/share/x", "absolute path"},
		{"dot dot", build(tb, file("../badge.png", "x")), Limits{}, "../badge.png", `"../badge.png" points outside`},
		{"dot dot inside", build(tb, file("a/b/../../../badge.png", "x")), Limits{}, "a/b/../../../badge.png", "points outside"},
		{"dot dot folder", build(tb, entry{name: "a/../../"}), Limits{}, "a/../../", "points outside"},
		{"backslash", build(tb, file(`..\..\evil.png`, "x")), Limits{}, `..\..\evil.png`, `"..\\..\\evil.png" has a backslash`},
		{"drive letter", build(tb, file("C:/Windows/evil.png", "x")), Limits{}, "C:/Windows/evil.png", "drive letter"},
		{"drive relative", build(tb, file("c:evil.png", "x")), Limits{}, "c:evil.png", "drive letter"},
		{"nul", build(tb, file("badge.png\x00.json", "x")), Limits{}, "badge.png\x00.json", `"badge.png\x00.json" has a control character`},
		{"escape", build(tb, file("a\x1b[2Jb.png", "x")), Limits{}, "a\x1b[2Jb.png", "control character"},
		{"c1 control", build(tb, file("a\u0085b.png", "x")), Limits{}, "a\u0085b.png", "control character"},
		{"newline", build(tb, file("a\nb.png", "x")), Limits{}, "a\nb.png", "control character"},
		{"invalid utf-8", build(tb, file("caf\xe9.png", "x")), Limits{}, "caf\xe9.png", `"caf\xe9.png" has a name that is not valid UTF-8`},
		{"duplicate", build(tb, file("a.png", "1"), file("a.png", "2")), Limits{}, "a.png", `"a.png" and "a.png" have the same name`},
		{"duplicate case", build(tb, file("Badge.PNG", "1"), file("b/x", "2"), file("badge.png", "3")), Limits{}, "badge.png", `"Badge.PNG" and "badge.png"`},
		{"duplicate kelvin", build(tb, file("\u212a.png", "1"), file("k.png", "2")), Limits{}, "k.png", "same name"},
		{"duplicate cleaned", build(tb, file("a/b.png", "1"), file("a//./b.png", "2")), Limits{}, "a/b.png", "same name"},
		{"duplicate folder case", build(tb, file("x/a", "1"), file("X/A", "2")), Limits{}, "X/A", "same name"},
		{"file then folder", build(tb, file("a", "1"), file("A/b.png", "2")), Limits{}, "A/b.png", `"a" is both a file and the folder of "A/b.png"`},
		{"folder then file", build(tb, file("a/b/c.png", "1"), file("A/B", "2")), Limits{}, "A/B", `"A/B" is both a file and the folder of "a/b/c.png"`},
		{"symlink", build(tb, entry{name: "link.png", data: []byte("/etc/passwd"), edit: symlink}), Limits{}, "link.png", `"link.png" is a symbolic link`},
		{"symlink fat creator", build(tb, entry{name: "link.png", data: []byte("/etc/passwd"), edit: fatSymlink}), Limits{}, "link.png", "symbolic link"},
		{"symlink junk", build(tb, entry{name: "__MACOSX/._x", data: []byte("/etc"), edit: symlink}), Limits{}, "__MACOSX/._x", "symbolic link"},
		{"fifo", build(tb, entry{name: "pipe", edit: fifo}), Limits{}, "pipe", `"pipe" is not a plain file`},
		{"encrypted", build(tb, entry{name: "secret.png", data: []byte("x"), edit: func(fh *zip.FileHeader) { fh.Flags |= 1 }}), Limits{}, "secret.png", "encrypted"},
		{"bzip2", build(tb, entry{name: "b.json", data: []byte("BZh9..."), raw: true, edit: func(fh *zip.FileHeader) { fh.Method = 12 }}), Limits{}, "b.json", "compression method Backpack does not read (method 12)"},
		{"declared too large", build(tb, entry{name: "huge.png", data: deflated(tb, kb), raw: true, edit: func(fh *zip.FileHeader) {
			fh.Method, fh.CompressedSize64, fh.UncompressedSize64 = zip.Deflate, 20, 6<<20
		}}), Limits{}, "huge.png", `"huge.png" is larger than 5 MiB`},
		{"too large", build(tb, entry{name: "big.json", data: kb}), Limits{MaxFileBytes: 999}, "big.json", "larger than 999 bytes"},
		{"total too large", build(tb, entry{name: "a", data: kb}, entry{name: "b", data: kb}, entry{name: "c", data: kb}), Limits{MaxTotalBytes: 2999}, "c", `With "c", the files of this archive add up to more than 2999 bytes`},
		{"high ratio", build(tb, entry{name: "zeros.png", data: zeros5MiB}), Limits{}, "zeros.png", `"zeros.png" would expand more than 200 times`},
		{"infinite ratio", build(tb, entry{name: "zero.png", raw: true, edit: func(fh *zip.FileHeader) {
			fh.Method, fh.CompressedSize64, fh.UncompressedSize64 = zip.Deflate, 0, 2<<20
		}}), Limits{}, "zero.png", "expand more than 200 times"},
		{"stored sizes differ", build(tb, entry{name: "s.png", data: kb, raw: true, edit: func(fh *zip.FileHeader) { fh.UncompressedSize64 = 2000 }}), Limits{}, "s.png", "declares two different sizes"},
		{"overlapping", overlapping, Limits{}, "b.png", `"a.png" and "b.png" share their compressed data`},
		{"data outside", build(tb, entry{name: "far.png", data: []byte("x"), raw: true, edit: func(fh *zip.FileHeader) {
			fh.Method, fh.CompressedSize64 = zip.Deflate, 1<<20
		}}), Limits{}, "far.png", "its data lies outside the archive"},
		{"bad local header", badLocal, Limits{}, "b.png", "its local header cannot be read"},
	}
}

func TestRefusals(t *testing.T) {
	for _, c := range refusals(t) {
		t.Run(c.name, func(t *testing.T) {
			a, err := open(t, c.archive, c.lim)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Open = %v, %v; want an *Error", a, err)
			}
			if a != nil {
				t.Errorf("Open returned an archive with its error")
			}
			if e.Name != c.entry {
				t.Errorf("Name = %q, want %q", e.Name, c.entry)
			}
			if !strings.Contains(e.Msg, c.msg) {
				t.Errorf("Msg = %q, want it to contain %q", e.Msg, c.msg)
			}
			if c.entry != "" && !strings.Contains(e.Msg, quote(c.entry)) {
				t.Errorf("Msg = %q does not name the entry %s", e.Msg, quote(c.entry))
			}
			if !strings.HasSuffix(e.Msg, ".") || e.Error() != e.Msg {
				t.Errorf("Msg = %q, Error() = %q: want one sentence", e.Msg, e.Error())
			}
		})
	}
}

func TestInsecurePathSettingKeepsTheMessage(t *testing.T) {
	t.Setenv("GODEBUG", "zipinsecurepath=0") // archive/zip then fails on such names itself
	_, err := open(t, build(t, file("../badge.png", "x")), Limits{})
	if err == nil || !strings.Contains(err.Error(), "points outside") {
		t.Fatalf("Open = %v, want the message about \"..\"", err)
	}
}

func TestLyingSizeIsCaughtWhileReading(t *testing.T) {
	// Central directory patched to declare 100 bytes for 10 MiB of zeros.
	zeros := bytes.Repeat([]byte{0}, 10<<20)
	b := build(t, file("ok.json", "{}"), entry{name: "bomb.png", data: zeros})
	patchCentral(t, b, "bomb.png", func(rec []byte) {
		binary.LittleEndian.PutUint32(rec[16:], crc32.ChecksumIEEE(zeros[:100]))
		binary.LittleEndian.PutUint32(rec[24:], 100)
	})
	a := mustOpen(t, b, Limits{})
	f := a.Files[1]
	if f.Name != "bomb.png" || f.Size != 100 {
		t.Fatalf("file = %q of %d bytes", f.Name, f.Size)
	}
	got, err := readFile(f)
	var e *Error
	if !errors.As(err, &e) || e.Name != "bomb.png" || !strings.Contains(e.Msg, `"bomb.png" holds more data than its header declares`) {
		t.Fatalf("read error = %v, want the lying header named", err)
	}
	if len(got) > 100 {
		t.Errorf("read %d bytes of an entry declared as 100", len(got))
	}
	if total := a.read.Load(); total > 100+2 {
		t.Errorf("%d bytes read in all", total)
	}
}

func TestShortDataAndBadChecksumAreErrors(t *testing.T) {
	data := []byte(strings.Repeat("badge ", 100))
	b := build(t,
		entry{name: "short.json", data: deflated(t, data[:10]), raw: true, edit: func(fh *zip.FileHeader) {
			fh.Method, fh.CompressedSize64, fh.UncompressedSize64 = zip.Deflate, uint64(len(deflated(t, data[:10]))), 100
		}},
		entry{name: "garbage.json", data: []byte{0xff, 0xff, 0xff, 0xff}, raw: true, edit: func(fh *zip.FileHeader) {
			fh.Method, fh.UncompressedSize64 = zip.Deflate, 10
		}},
		entry{name: "wrong crc.json", data: data},
		entry{name: "zero crc.json", data: data},
		entry{name: "stored wrong crc.json", data: data, raw: true},
	)
	patchCentral(t, b, "wrong crc.json", func(rec []byte) { rec[16] ^= 1 })
	patchCentral(t, b, "zero crc.json", func(rec []byte) { binary.LittleEndian.PutUint32(rec[16:], 0) }) // archive/zip would not check
	patchCentral(t, b, "stored wrong crc.json", func(rec []byte) { rec[17] ^= 1 })
	a := mustOpen(t, b, Limits{})
	want := map[string]string{
		"short.json":            "it holds less data than its header declares",
		"garbage.json":          "its compressed data is invalid",
		"wrong crc.json":        "its checksum does not match",
		"zero crc.json":         "its checksum does not match",
		"stored wrong crc.json": "its checksum does not match",
	}
	for _, f := range a.Files {
		_, err := readFile(f)
		var e *Error
		if !errors.As(err, &e) || e.Name != f.Name || !strings.Contains(e.Msg, quote(f.Name)+" is damaged: "+want[f.Name]) {
			t.Errorf("%s: read error = %v, want %q", f.Name, err, want[f.Name])
		}
	}
}

func TestRunningTotalAcrossFiles(t *testing.T) {
	kb := bytes.Repeat([]byte("x"), 1000)
	b := build(t, entry{name: "a.json", data: kb}, entry{name: "b.json", data: kb}, entry{name: "c.json", data: kb})
	a := mustOpen(t, b, Limits{MaxTotalBytes: 3000})
	for _, f := range a.Files {
		if _, err := readFile(f); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	}
	// Everything was read once; reading again goes over the total.
	got, err := readFile(a.Files[0])
	var e *Error
	if !errors.As(err, &e) || e.Name != "a.json" || !strings.Contains(e.Msg, `Reading "a.json" took the files read from this archive over 3000 bytes`) {
		t.Fatalf("second read: %v", err)
	}
	if len(got) != 0 || a.read.Load() < 3000 {
		t.Errorf("second read returned %d bytes (total %d)", len(got), a.read.Load())
	}

	// Partly: the reader stops at the limit exactly.
	a = mustOpen(t, b, Limits{MaxTotalBytes: 3000})
	readFile(a.Files[0])
	readFile(a.Files[1])
	rc, err := a.Files[2].Open()
	if err != nil {
		t.Fatal(err)
	}
	readFile(a.Files[0]) // again: the total reaches the limit, c gets only what Open read
	got, err = io.ReadAll(rc)
	if err == nil || len(got) > 265 {
		t.Errorf("c after a again: %d bytes, %v", len(got), err)
	}
}

func TestNestedArchivesAreListedNotOpened(t *testing.T) {
	inner2 := build(t, file("deepest.json", "{}"))
	inner := build(t, entry{name: "inner2.zip", data: inner2})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("a gzip stream"))
	zw.Close()
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	tw.WriteHeader(&tar.Header{Name: "x.json", Mode: 0o644, Size: 2})
	tw.Write([]byte("{}"))
	tw.Close()

	b := build(t,
		entry{name: "export/inner.zip", data: inner},
		entry{name: "export/More.TAR.GZ", data: gz.Bytes()},
		entry{name: "export/badge.png", data: []byte("\x89PNG\r\n\x1a\n")},
		entry{name: "export/tiny.json", data: []byte("1")},
		entry{name: "renamed/zip.png", data: inner},
		entry{name: "renamed/gzip.json", data: gz.Bytes()},
		entry{name: "renamed/tar.svg", data: tarBuf.Bytes()},
		entry{name: "renamed/bzip2.jws", data: []byte("BZh91AY&SY")},
	)
	a := mustOpen(t, b, Limits{})
	for _, f := range a.Files {
		nested := !strings.HasPrefix(f.Name, "export/b") && !strings.HasPrefix(f.Name, "export/t")
		byName := strings.HasPrefix(f.Name, "export/")
		if got := f.Skip != ""; got != (nested && byName) {
			t.Errorf("%s: Skip = %q", f.Name, f.Skip)
		}
		got, err := readFile(f)
		if !nested {
			if err != nil {
				t.Errorf("%s: %v", f.Name, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrNested) || e.Name != f.Name ||
			e.Msg != "The entry "+quote(f.Name)+" is an archive inside the archive; it is not opened." {
			t.Errorf("%s: Open = %v, want ErrNested", f.Name, err)
		}
		if got != nil {
			t.Errorf("%s: %d bytes read", f.Name, len(got))
		}
	}
}

func TestMagicNeedsTheWholeSignature(t *testing.T) {
	for _, s := range []string{"", "P", "PK", "PK\x03", "BZh", "BZhX", `{"PK\x03\x04"}`, "\x89PNG", "<svg/>", strings.Repeat(" ", 257) + "ustar"} {
		if isArchiveData([]byte(s)) {
			t.Errorf("%q taken for an archive", s)
		}
	}
	for _, s := range []string{"PK\x03\x04", "PK\x05\x06", "\x1f\x8b", "BZh1", "7z\xbc\xaf\x27\x1c", "Rar!\x1a\x07\x00", strings.Repeat("\x00", 257) + "ustar\x0000"} {
		if !isArchiveData([]byte(s)) {
			t.Errorf("%q not taken for an archive", s)
		}
	}
}

func TestFold(t *testing.T) {
	for _, p := range [][2]string{{"Badge.PNG", "badge.png"}, {"\u212a", "k"}, {"ΣΑΣ", "σας"}, {"ǅ", "ǆ"}} {
		if fold(p[0]) != fold(p[1]) {
			t.Errorf("fold(%q) != fold(%q)", p[0], p[1])
		}
	}
	if fold("a/b") == fold("a/c") {
		t.Error("fold merged different names")
	}
}

// fuzzLimits are small, so that fuzzed archives reach them.
var fuzzLimits = Limits{MaxFiles: 20, MaxFileBytes: 64 << 10, MaxTotalBytes: 256 << 10, MaxRatio: 50}

func FuzzOpen(f *testing.F) {
	good, _ := goodArchive(f)
	f.Add(good)
	for _, c := range refusals(f) {
		if len(c.archive) < 1<<20 {
			f.Add(c.archive)
		}
	}
	f.Add(build(f, entry{name: "n.zip", data: good}, entry{name: "n.png", data: good}))
	lying := build(f, entry{name: "lie.png", data: bytes.Repeat([]byte{0}, 100_000)})
	patchCentral(f, lying, "lie.png", func(rec []byte) { binary.LittleEndian.PutUint32(rec[24:], 100) })
	f.Add(lying)

	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := open(t, b, fuzzLimits)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" {
				t.Fatalf("Open error %T %v is not an *Error", err, err)
			}
			return
		}
		if len(a.Files) > fuzzLimits.MaxFiles {
			t.Fatalf("%d files", len(a.Files))
		}
		var declared int64
		for _, f := range a.Files {
			declared += f.Size
			if f.Size < 0 || f.Size > fuzzLimits.MaxFileBytes {
				t.Fatalf("%q: Size %d", f.Name, f.Size)
			}
			if checkName(f.Name) != nil || path.Clean(f.Name) != f.Name || f.Name == "." || isJunk(f.Name) {
				t.Fatalf("unsafe name %q listed", f.Name)
			}
		}
		if declared > fuzzLimits.MaxTotalBytes {
			t.Fatalf("declared total %d", declared)
		}
		var read int64
		for range 2 { // twice, to reach the running total
			for _, f := range a.Files {
				got, err := readFile(f)
				read += int64(len(got))
				if int64(len(got)) > f.Size {
					t.Fatalf("%q: read %d bytes of %d declared", f.Name, len(got), f.Size)
				}
				var e *Error
				if err != nil && !errors.As(err, &e) {
					t.Fatalf("%q: read error %T %v is not an *Error", f.Name, err, err)
				}
				if err == nil && int64(len(got)) != f.Size {
					t.Fatalf("%q: read %d bytes without error, %d declared", f.Name, len(got), f.Size)
				}
			}
		}
		if read > fuzzLimits.MaxTotalBytes {
			t.Fatalf("read %d bytes in all", read)
		}
	})
}
