package status

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"io"
	"strings"

	"backpack/openbadges/problem"
)

// Limits on an encodedList.
const (
	MaxEncoded   = 1 << 20  // bytes of encodedList text
	MaxBitstring = 16 << 20 // bytes of decompressed bitstring
	// MaxIndex is the largest index a bitstring within MaxBitstring holds.
	MaxIndex = MaxBitstring*8 - 1
)

// The encodedList formats accepted by Bit.
const (
	// Multibase is the Bitstring Status List encoding: 'u' followed by
	// base64url without padding (padding is tolerated).
	Multibase = "multibase"
	// Base64 is the StatusList2021 encoding: base64url or standard base64,
	// with or without padding. A multibase 'u' prefix is tolerated.
	Base64 = "base64"
)

// gzipMagic is the base64 encoding of the first bytes of any GZIP stream
// (1f 8b 08 then a flags byte < 0x40), used to recognise a stray multibase
// prefix in front of a StatusList2021 list.
const gzipMagic = "H4sI"

// Bit decodes encodedList and returns bit i of the bitstring it holds,
// counting from the most significant bit of the first byte (bit i is bit
// 7-(i%8) of byte i/8). format is Multibase or Base64.
//
// The bitstring is decompressed as a stream: only its length and the byte
// holding bit i are kept, so a GZIP bomb costs CPU time up to MaxBitstring
// bytes of output but no memory. Errors are *problem.Error: TooLarge when
// encodedList exceeds MaxEncoded or the bitstring MaxBitstring; Malformed
// for bad encoding or GZIP data and for an index outside the bitstring;
// Unsupported for an unknown format.
func Bit(encodedList, format string, i int) (bool, error) {
	if len(encodedList) > MaxEncoded {
		return false, problem.New(problem.TooLarge, "encodedList is larger than 1 MiB")
	}
	if i < 0 || i > MaxIndex {
		return false, problem.New(problem.Malformed, "index %d is out of range", i)
	}
	compressed, err := decodeList(encodedList, format)
	if err != nil {
		return false, err
	}
	b, n, err := byteAt(compressed, i/8)
	if err != nil {
		return false, err
	}
	if int64(i/8) >= n {
		return false, problem.New(problem.Malformed, "index %d is out of range: the list has %d entries", i, n*8)
	}
	return b&(0x80>>(i%8)) != 0, nil
}

// decodeList undoes the text encoding of an encodedList.
func decodeList(s, format string) ([]byte, error) {
	switch format {
	case Multibase:
		rest, ok := strings.CutPrefix(s, "u")
		if !ok {
			return nil, problem.New(problem.Malformed, "encodedList is not multibase base64url (no 'u' prefix)")
		}
		if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rest, "=")); err == nil {
			return b, nil
		}
	case Base64:
		if strings.HasPrefix(s, "u"+gzipMagic) {
			s = s[1:]
		}
		s = strings.TrimRight(s, "=")
		if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
			return b, nil
		}
		if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
			return b, nil
		}
	default:
		return nil, problem.New(problem.Unsupported, "unknown encodedList format")
	}
	return nil, problem.New(problem.Malformed, "encodedList is not valid base64")
}

// byteAt decompresses the GZIP data in compressed, at most MaxBitstring
// bytes of it, and returns the byte at offset k (0 when the bitstring is
// shorter) and the bitstring's length. The stream is read to its end, so
// a corrupt CRC or trailing garbage is detected.
func byteAt(compressed []byte, k int) (byte, int64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return 0, 0, problem.Wrap(err, problem.Malformed, "encodedList is not GZIP data")
	}
	defer zr.Close()
	r := io.LimitReader(zr, MaxBitstring+1)
	buf := make([]byte, 32<<10)
	var (
		n int64
		b byte
	)
	for {
		m, err := r.Read(buf)
		if int64(k) >= n && int64(k) < n+int64(m) {
			b = buf[int64(k)-n]
		}
		n += int64(m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, problem.Wrap(err, problem.Malformed, "encodedList is corrupt GZIP data")
		}
	}
	if n > MaxBitstring {
		return 0, 0, problem.New(problem.TooLarge, "the bitstring is larger than 16 MiB")
	}
	if n == 0 {
		return 0, 0, problem.New(problem.Malformed, "the bitstring is empty")
	}
	return b, n, nil
}
