package status

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"backpack/openbadges/problem"
)

// Helpers to read values of decoded JSON (encoding/json's any: maps,
// slices, strings, float64 or json.Number, bools).

// str returns v if it is a string, else "".
func str(v any) string {
	s, _ := v.(string)
	return s
}

// stringList returns v as a list of strings: a string, or the strings of an
// array.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}

// object returns v as a JSON object: an object, or the first element of an
// array when that is an object.
func object(v any) map[string]any {
	switch v := v.(type) {
	case map[string]any:
		return v
	case []any:
		if len(v) > 0 {
			m, _ := v[0].(map[string]any)
			return m
		}
	}
	return nil
}

// idOf returns the id of a value that is either an IRI string or an object
// with an id (an issuer, say).
func idOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if m, ok := v.(map[string]any); ok {
		return str(m["id"])
	}
	return ""
}

// clip shortens text taken from a credential or a fetched document for
// use in a message: at most 80 characters, control characters replaced.
func clip(s string) string { return clipN(s, 80) }

// clipN is clip with a limit of max characters.
func clipN(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, c := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(c) {
			c = ' '
		}
		b.WriteRune(c)
		n++
	}
	return b.String()
}

// parseIndex reads a statusListIndex: a base-10 string of digits or a JSON
// number, integral and within 0..MaxIndex. Errors are Malformed.
func parseIndex(v any) (int, error) {
	bad := problem.New(problem.Malformed, "statusListIndex is not a non-negative integer")
	huge := problem.New(problem.Malformed, "statusListIndex is out of range (at most %d)", MaxIndex)
	switch v := v.(type) {
	case string:
		if v == "" || len(v) > 20 {
			return 0, bad
		}
		for _, c := range v {
			if c < '0' || c > '9' {
				return 0, bad
			}
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n > MaxIndex {
			return 0, huge
		}
		return int(n), nil
	case float64:
		switch {
		case math.IsNaN(v) || v < 0 || v != math.Trunc(v):
			return 0, bad
		case v > MaxIndex:
			return 0, huge
		}
		return int(v), nil
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return parseIndex(float64(max(min(n, MaxIndex+1), -1)))
		}
		f, err := v.Float64()
		if err != nil {
			return 0, bad
		}
		return parseIndex(f)
	case int:
		return parseIndex(float64(max(min(v, MaxIndex+1), -1)))
	case int64:
		return parseIndex(float64(max(min(v, MaxIndex+1), -1)))
	}
	return 0, bad
}

// parseTime reads an XML Schema dateTime as used by validFrom and friends:
// RFC 3339, or without a zone (taken as UTC).
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
