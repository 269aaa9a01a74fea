// Package archive opens a ZIP file that a user uploaded (a Backpack export, or
// any ZIP of badge files) without trusting it.
//
// The threat model: the archive comes from anyone with an account and is
// hostile until proven otherwise. It may try to exhaust memory, disk or time
// (a ZIP bomb: an entry that inflates a thousandfold, a header that declares
// 100 bytes for an entry that inflates to gigabytes, entries that share
// their compressed data, millions of entries, nested archives), to smuggle a
// name that escapes a folder or fools a later consumer (absolute paths,
// "..", backslashes, drive letters, control characters, invalid UTF-8, two
// names that a case-insensitive file system would merge, a file that is also
// a folder), or to be something other than plain files (symbolic links,
// devices, encrypted or exotically compressed entries).
//
// Open reads and checks the whole central directory before any file data is
// read, and refuses the archive at the first problem with an *Error whose
// message is a sentence for the user naming the entry. The central directory
// that archive/zip parses is itself bounded (about 1 KiB per allowed file),
// because archive/zip keeps every entry in memory. Every listed File has a
// safe, cleaned name and declared sizes within the Limits; directories and
// the usual operating-system litter (__MACOSX, .DS_Store, Thumbs.db, ._
// AppleDouble files) are left out. Archives inside the archive (by name, and
// by their first bytes when opened) are listed but never opened.
//
// File.Open decompresses with a budget: it never returns more bytes than the
// entry declared, treats a byte beyond that as a lie, checks the length and
// CRC-32 at the end, and stops every file of the archive once the bytes
// read from all of them reach Limits.MaxTotalBytes. Nothing is ever written
// to disk: names are for display and for matching, not for extraction.
//
// The package uses the standard library only; the io.ReaderAt given to Open
// must stay readable while files are read.
package archive
