package ld

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"backpack/openbadges/problem"
)

// JCS returns the JSON Canonicalization Scheme (RFC 8785) serialisation
// of a JSON value as encoding/json decodes it (map[string]any, []any,
// string, float64 or json.Number, bool, nil): no whitespace, object
// members sorted by their UTF-16 code units, numbers as ECMAScript prints
// them, strings with the minimal escapes. The eddsa-jcs-2022 and
// ecdsa-jcs-2019 cryptosuites sign it; it is also the lexical form of an
// rdf:JSON literal.
//
// Errors are *problem.Error: Malformed for a value that is not I-JSON (a
// number that is not a finite IEEE double, a string that is not UTF-8, a
// type that is not a JSON value), TooLarge for nesting deeper than the
// bounds of Canonicalize.
func JCS(v any) ([]byte, error) {
	return appendJCS(nil, v, 0)
}

// canonicalJSON is JCS as a string, for rdf:JSON literals.
func canonicalJSON(v any) (string, error) {
	b, err := JCS(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func appendJCS(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, problem.New(problem.TooLarge, "the document is nested more than %d levels deep", maxDepth)
	}
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		if !utf8.ValidString(v) {
			return nil, problem.New(problem.Malformed, "the document holds a string that is not UTF-8")
		}
		return appendJCSString(b, v), nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, problem.New(problem.Malformed, "the document holds a number that is not finite")
		}
		return append(b, jsNumber(v)...), nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, problem.New(problem.Malformed, "the number %s is out of range", quote(string(v)))
		}
		return append(b, jsNumber(f)...), nil
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJCS(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			if !utf8.ValidString(k) {
				return nil, problem.New(problem.Malformed, "the document holds a member name that is not UTF-8")
			}
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareUTF16)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJCSString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJCS(b, v[k], depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return nil, problem.New(problem.Malformed, "the document holds a %T, which is not a JSON value", v)
}

// appendJCSString appends s as JSON.stringify does: only '"', '\\' and
// control characters are escaped.
func appendJCSString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// compareUTF16 orders strings by their UTF-16 code units, as RFC 8785
// sorts object members. It differs from byte order only between
// characters above U+FFFF and those from U+E000 to U+FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := utf16Units(ra), utf16Units(rb)
			for i := 0; i < len(ua) && i < len(ub); i++ {
				if ua[i] != ub[i] {
					return int(ua[i]) - int(ub[i])
				}
			}
			return len(ua) - len(ub)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

func utf16Units(r rune) []uint16 {
	if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
		return []uint16{uint16(r1), uint16(r2)}
	}
	return []uint16{uint16(r)}
}

// jsNumber formats a finite float64 as ECMAScript's Number.prototype.
// toString does: the shortest round-tripping digits, in plain notation
// from 1e-6 up to 1e21 and in exponent notation ("1e+21", "1.5e-7")
// outside that range.
func jsNumber(f float64) string {
	if f == 0 {
		return "0" // also for -0
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±dd
	e := strings.IndexByte(s, 'e')
	exp := strings.TrimLeft(s[e+2:], "0")
	return s[:e+2] + exp
}
