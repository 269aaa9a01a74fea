package archive

import (
	"archive/zip"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Limits bound what an archive may hold. Zero (or negative) fields get the
// defaults.
type Limits struct {
	MaxFiles      int   // entries that are files (default 10_000)
	MaxFileBytes  int64 // uncompressed size of one file (default 5 MiB)
	MaxTotalBytes int64 // uncompressed size of all files (default 2 GiB)
	MaxRatio      int   // uncompressed/compressed of one file above 1 MiB (default 200)
}

// Default limits.
const (
	DefaultMaxFiles      = 10_000
	DefaultMaxFileBytes  = 5 << 20
	DefaultMaxTotalBytes = 2 << 30
	DefaultMaxRatio      = 200
)

// ratioFloor is the uncompressed size above which MaxRatio applies: small
// files of zeros or repeated JSON legitimately compress very well.
const ratioFloor = 1 << 20

// directoryBytesPerFile is how many bytes of central directory archive/zip
// may read per allowed file (with room for folders and AppleDouble twins)
// before the archive is refused; directoryBytesBase covers the search for
// the end record, which may sit behind a 64 KiB comment.
const (
	directoryBytesPerFile = 1 << 10
	directoryBytesBase    = 128 << 10
)

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	return l
}

// Error is a refusal: of the whole archive by Open, or of one file by
// File.Open and its reader. Msg is a sentence for the user.
type Error struct {
	Name string // the entry concerned: as in the archive from Open, File.Name from a File; "" for the whole archive
	Msg  string
	Err  error // the cause, if any: ErrNested, or what archive/zip or compress/flate said
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// ErrNested is the cause of the Error that File.Open returns for an archive
// inside the archive, whether its name (File.Skip) or its first bytes say so.
var ErrNested = errors.New("archive: an archive inside the archive")

// skipNested is the File.Skip of an entry named like an archive.
const skipNested = "an archive inside the archive is not opened"

// Archive is an opened, checked ZIP archive.
type Archive struct {
	Files []File // the regular files, in archive order

	lim  Limits
	read atomic.Int64 // bytes returned by all readers of this archive
}

// File is one regular file of the archive.
type File struct {
	Name string // cleaned, slash-separated, relative, valid UTF-8
	Size int64  // declared uncompressed size, within the limits
	// Skip is "" for a file to read, or why it is not read (an archive inside
	// the archive, by its name). Open refuses a skipped file.
	Skip string

	zf *zip.File
	a  *Archive
}

// Open checks the whole central directory of the ZIP archive in r before
// anything is read and returns its regular files in archive order, or an
// *Error naming the first offending entry.
func Open(r io.ReaderAt, size int64, lim Limits) (*Archive, error) {
	lim = lim.withDefaults()
	br := &budgetReader{r: r, left: directoryBytesBase + int64(lim.MaxFiles)*directoryBytesPerFile}
	zr, err := zip.NewReader(br, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are checked below
		if br.left < 0 {
			return nil, &Error{Msg: "This archive lists more entries than Backpack accepts.", Err: err}
		}
		return nil, &Error{Msg: "This file is not a ZIP archive, or it is damaged.", Err: err}
	}
	br.off = true // file data is bounded by the limits instead

	a := &Archive{lim: lim}
	var (
		total int64
		files = map[string]string{} // folded name -> name, of files
		dirs  = map[string]string{} // folded folder -> a file in it
	)
	for _, zf := range zr.File {
		if err := checkName(zf.Name); err != nil {
			return nil, err
		}
		if isDir(zf) {
			continue
		}
		if err := checkEntry(zf, lim); err != nil {
			return nil, err
		}
		name := path.Clean(zf.Name)
		if name == "." {
			return nil, entryError(zf.Name, "The entry %s has no name once cleaned.", quote(zf.Name))
		}
		if isJunk(name) {
			continue
		}
		if err := checkUnique(name, files, dirs); err != nil {
			return nil, err
		}
		f := File{Name: name, Size: int64(zf.UncompressedSize64), zf: zf, a: a}
		if isArchiveName(name) {
			f.Skip = skipNested
		}
		a.Files = append(a.Files, f)
		if len(a.Files) > lim.MaxFiles {
			return nil, entryError(zf.Name, "With %s, this archive holds more than %d files; Backpack accepts at most %d.", quote(zf.Name), lim.MaxFiles, lim.MaxFiles)
		}
		if total += f.Size; total > lim.MaxTotalBytes {
			return nil, entryError(zf.Name, "With %s, the files of this archive add up to more than %s once uncompressed.", quote(zf.Name), formatBytes(lim.MaxTotalBytes))
		}
	}
	if err := checkOverlap(zr.File, size); err != nil {
		return nil, err
	}
	return a, nil
}

// budgetReader fails once more than left bytes were read through it, unless
// off: it bounds how much central directory archive/zip parses, and so the
// memory it allocates, before the entries can be counted.
type budgetReader struct {
	r    io.ReaderAt
	left int64
	off  bool
}

var errBudget = errors.New("archive: central directory too large")

func (b *budgetReader) ReadAt(p []byte, off int64) (int, error) {
	if !b.off {
		if b.left -= int64(len(p)); b.left < 0 {
			return 0, errBudget
		}
	}
	return b.r.ReadAt(p, off)
}

// checkName refuses names that are unsafe anywhere: they are reasons to
// distrust the whole archive even when the entry would be ignored.
func checkName(name string) error {
	var why string
	switch {
	case name == "":
		return entryError(name, "The archive contains an entry with no name.")
	case !utf8.ValidString(name):
		why = "The entry %s has a name that is not valid UTF-8; save the archive with a tool that writes UTF-8 names."
	case strings.ContainsFunc(name, unicode.IsControl):
		why = "The entry %s has a control character in its name."
	case strings.Contains(name, `\`):
		why = "The entry %s has a backslash in its name; ZIP names use forward slashes."
	case strings.HasPrefix(name, "/"):
		why = "The entry %s has an absolute path; names in an archive must be relative."
	case len(name) >= 2 && name[1] == ':' && 'a' <= name[0]|0x20 && name[0]|0x20 <= 'z':
		why = "The entry %s starts with a drive letter; names in an archive must be relative."
	case slices.Contains(strings.Split(name, "/"), ".."):
		why = `The entry %s points outside the archive with "..".`
	default:
		return nil
	}
	return entryError(name, why, quote(name))
}

// Unix file types in the high 16 bits of the external attributes.
const (
	unixTypeMask = 0xf000
	unixRegular  = 0x8000
	unixDir      = 0x4000
	unixSymlink  = 0xa000
)

func isDir(zf *zip.File) bool {
	return strings.HasSuffix(zf.Name, "/") || zf.Mode().IsDir() || zf.ExternalAttrs>>16&unixTypeMask == unixDir
}

// checkEntry refuses a file entry that is not a plain, readable file within
// the limits. The Unix type bits are checked whichever system the creator
// claims to be, more strictly than zip.FileHeader.Mode does.
func checkEntry(zf *zip.File, lim Limits) error {
	name := quote(zf.Name)
	unixType := zf.ExternalAttrs >> 16 & unixTypeMask
	mode := zf.Mode().Type()
	u, c := zf.UncompressedSize64, zf.CompressedSize64
	switch {
	case mode&fs.ModeSymlink != 0 || unixType == unixSymlink:
		return entryError(zf.Name, "The entry %s is a symbolic link; Backpack accepts only plain files.", name)
	case mode != 0 || (unixType != 0 && unixType != unixRegular):
		return entryError(zf.Name, "The entry %s is not a plain file (a device, pipe or socket); Backpack accepts only plain files.", name)
	case zf.Flags&0x1 != 0:
		return entryError(zf.Name, "The entry %s is encrypted; Backpack cannot read password-protected archives.", name)
	case zf.Method != zip.Store && zf.Method != zip.Deflate:
		return entryError(zf.Name, "The entry %s uses a compression method Backpack does not read (method %d); save the archive with ordinary ZIP compression.", name, zf.Method)
	case u > uint64(lim.MaxFileBytes):
		return entryError(zf.Name, "The entry %s is larger than %s once uncompressed.", name, formatBytes(lim.MaxFileBytes))
	case u > ratioFloor && (c == 0 || u/c > uint64(lim.MaxRatio)):
		return entryError(zf.Name, "The entry %s would expand more than %d times when uncompressed, as ZIP bombs do.", name, lim.MaxRatio)
	case zf.Method == zip.Store && c != u:
		return entryError(zf.Name, "The entry %s is damaged: it is stored uncompressed but declares two different sizes.", name)
	}
	return nil
}

// isJunk reports the operating-system litter that is left out silently.
func isJunk(name string) bool {
	base := path.Base(name)
	first, _, _ := strings.Cut(name, "/")
	return first == "__MACOSX" || base == ".DS_Store" || strings.EqualFold(base, "Thumbs.db") || strings.HasPrefix(base, "._")
}

// checkUnique refuses a file whose name, ignoring case, is already a file or
// a folder, or one of whose folders is already a file: a case-insensitive
// file system, or anything that maps names to files, would merge them.
// files maps folded names to names, dirs folded folders to a file in them.
func checkUnique(name string, files, dirs map[string]string) error {
	key := fold(name)
	if other, ok := files[key]; ok {
		return entryError(name, "The entries %s and %s have the same name (ignoring case).", quote(other), quote(name))
	}
	if other, ok := dirs[key]; ok {
		return entryError(name, "The name %s is both a file and the folder of %s.", quote(name), quote(other))
	}
	for i := range len(key) {
		if key[i] != '/' {
			continue
		}
		if other, ok := files[key[:i]]; ok {
			return entryError(name, "The name %s is both a file and the folder of %s.", quote(other), quote(name))
		}
		if _, ok := dirs[key[:i]]; !ok {
			dirs[key[:i]] = name
		}
	}
	files[key] = name
	return nil
}

// fold maps every rune to the smallest rune it equals under simple case
// folding, so that fold(a) == fold(b) exactly when strings.EqualFold(a, b).
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}

// archiveExts are the name endings of archives and compressed files.
var archiveExts = []string{
	".zip", ".jar", ".war", ".ear", ".apk", ".ipa", ".xpi",
	".tar", ".gz", ".tgz", ".bz2", ".tbz", ".tbz2", ".xz", ".txz", ".zst", ".tzst",
	".lz", ".lzma", ".lz4", ".z", ".7z", ".rar", ".cab", ".iso", ".dmg", ".cpio", ".arj", ".lzh",
}

func isArchiveName(name string) bool {
	return slices.Contains(archiveExts, strings.ToLower(path.Ext(name)))
}

// checkOverlap refuses entries whose compressed data overlaps that of
// another entry (the trick of non-recursive ZIP bombs) or lies outside the
// archive. It reads each entry's local header.
func checkOverlap(zfs []*zip.File, size int64) error {
	type span struct {
		start, end int64
		name       string
	}
	var spans []span
	for _, zf := range zfs {
		if zf.CompressedSize64 == 0 {
			continue
		}
		off, err := zf.DataOffset()
		if err != nil {
			e := entryError(zf.Name, "The entry %s is damaged: its local header cannot be read.", quote(zf.Name))
			e.Err = err
			return e
		}
		if zf.CompressedSize64 > uint64(size) || off > size-int64(zf.CompressedSize64) {
			return entryError(zf.Name, "The entry %s is damaged: its data lies outside the archive.", quote(zf.Name))
		}
		spans = append(spans, span{off, off + int64(zf.CompressedSize64), zf.Name})
	}
	slices.SortStableFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var last span // of the spans so far, the one that ends last
	for _, s := range spans {
		if s.start < last.end {
			return entryError(s.name, "The entries %s and %s share their compressed data, as ZIP bombs do.", quote(last.name), quote(s.name))
		}
		last = s
	}
	return nil
}

// entryError is an Error about the entry name, with the message
// fmt.Sprintf(format, args...).
func entryError(name, format string, args ...any) *Error {
	return &Error{Name: name, Msg: fmt.Sprintf(format, args...)}
}

// quote is a name as shown in messages: quoted, with Go escapes for anything
// unprintable or invalid, and shortened when long.
func quote(name string) string {
	const maxRunes = 100
	if utf8.RuneCountInString(name) > maxRunes {
		return fmt.Sprintf("%q…", string([]rune(name)[:maxRunes]))
	}
	return fmt.Sprintf("%q", name)
}

// formatBytes writes n in the largest binary unit that divides it.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
