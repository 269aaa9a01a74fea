package archive

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
)

// peekLen is how much of a file Open reads to recognise an archive: enough
// for the "ustar" magic of tar at offset 257.
const peekLen = 265

// Open returns a reader of the file's contents. It refuses a skipped file
// and, by its first bytes, an archive inside the archive (an *Error wrapping
// ErrNested). The reader returns at most the declared size; it fails with an
// *Error when the data holds more than declared (a lying header), less than
// declared, or fails its CRC-32 (checked at io.EOF), and once the bytes read
// from all files of the archive exceed MaxTotalBytes. Files may be read
// concurrently.
func (f File) Open() (io.ReadCloser, error) {
	if f.Skip != "" {
		return nil, f.nested()
	}
	raw, err := f.zf.OpenRaw()
	if err != nil {
		return nil, f.damaged("its local header cannot be read", err)
	}
	r := &reader{f: f, dec: raw}
	if f.zf.Method == zip.Deflate {
		r.dec = flate.NewReader(raw) // holds no resources: Close is not needed
	}
	head := make([]byte, min(f.Size, peekLen))
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err // an *Error: the reader fails before an early io.EOF
	}
	if isArchiveData(head) {
		return nil, f.nested()
	}
	r.head = head
	return r, nil
}

func (f File) nested() *Error {
	return &Error{Name: f.Name, Msg: "The entry " + quote(f.Name) + " is an archive inside the archive; it is not opened.", Err: ErrNested}
}

// damaged is the Error of a file whose data does not match its header.
func (f File) damaged(why string, err error) *Error {
	return &Error{Name: f.Name, Msg: "The entry " + quote(f.Name) + " is damaged: " + why + ".", Err: err}
}

// reader decompresses one file within its declared size and the archive's
// running total.
type reader struct {
	f    File
	dec  io.Reader // the decompressed data
	head []byte    // read by Open, returned first
	n    int64     // bytes of dec read
	crc  uint32
	err  error // sticky
}

func (r *reader) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.read(p)
	r.err = err
	return n, err
}

func (r *reader) read(p []byte) (int, error) {
	// Ask for one byte more than is left: a byte past the declared size
	// shows that the header lied.
	if left := r.f.Size - r.n + 1; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := r.dec.Read(p)
	over := r.n+int64(n) > r.f.Size
	if over {
		n = int(r.f.Size - r.n)
	}
	r.n += int64(n)
	r.crc = crc32.Update(r.crc, crc32.IEEETable, p[:n])
	name := quote(r.f.Name)
	lim := r.f.a.lim.MaxTotalBytes
	if total := r.f.a.read.Add(int64(n)); total > lim {
		n -= int(min(total-lim, int64(n)))
		return n, &Error{Name: r.f.Name, Msg: "Reading " + name + " took the files read from this archive over " + formatBytes(lim) + "."}
	}
	switch {
	case over:
		return n, &Error{Name: r.f.Name, Msg: "The entry " + name + " holds more data than its header declares, as ZIP bombs do."}
	case err == nil:
		return n, nil
	case err != io.EOF:
		return n, r.f.damaged("its compressed data is invalid", err)
	case r.n != r.f.Size:
		return n, r.f.damaged("it holds less data than its header declares", io.ErrUnexpectedEOF)
	case r.crc != r.f.zf.CRC32:
		return n, r.f.damaged("its checksum does not match", zip.ErrChecksum)
	}
	return n, io.EOF
}

// Close makes further reads fail.
func (r *reader) Close() error {
	r.head, r.err = nil, errClosed
	return nil
}

var errClosed = errors.New("archive: read after Close")

// archiveMagic are the first bytes of archives and compressed files.
var archiveMagic = [][]byte{
	[]byte("PK\x03\x04"), []byte("PK\x05\x06"), []byte("PK\x07\x08"), // zip, jar, apk…
	{0x1f, 0x8b},                       // gzip
	{0x1f, 0x9d},                       // compress (.Z)
	[]byte("\xfd7zXZ\x00"),             // xz
	{0x28, 0xb5, 0x2f, 0xfd},           // zstd
	{0x04, 0x22, 0x4d, 0x18},           // lz4
	[]byte("LZIP"),                     // lzip
	[]byte("7z\xbc\xaf\x27\x1c"),       // 7z
	[]byte("Rar!\x1a\x07"),             // rar
	[]byte("MSCF\x00\x00\x00\x00"),     // cab
	[]byte("070707"), []byte("070701"), // cpio
}

func isArchiveData(b []byte) bool {
	for _, m := range archiveMagic {
		if bytes.HasPrefix(b, m) {
			return true
		}
	}
	if len(b) >= 4 && string(b[:3]) == "BZh" && '1' <= b[3] && b[3] <= '9' {
		return true // bzip2
	}
	const tarMagicAt = 257 // "ustar\x00" (POSIX) or "ustar  \x00" (GNU)
	return len(b) > tarMagicAt && (bytes.HasPrefix(b[tarMagicAt:], []byte("ustar\x00")) || bytes.HasPrefix(b[tarMagicAt:], []byte("ustar  \x00")))
}
