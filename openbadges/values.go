package openbadges

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Helpers to read loosely typed JSON-LD-ish values: a property may hold a
// string, an object with an id, or a list of either.

func str(o Object, key string) string {
	switch v := o[key].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	}
	return ""
}

func obj(o Object, key string) Object {
	m, _ := o[key].(Object)
	return m
}

// idOf returns v itself if it is a string, or its "id" if it is an object.
func idOf(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case Object:
		return str(v, "id")
	}
	return ""
}

// list returns v as a list: a single value becomes a list of one.
func list(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

func strList(v any) []string {
	var out []string
	for _, x := range list(v) {
		if s, ok := x.(string); ok && strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

// hasType reports whether o's "type" (string or list) includes one of ts.
func hasType(o Object, ts ...string) bool {
	for _, t := range strList(o["type"]) {
		for _, want := range ts {
			if t == want {
				return true
			}
		}
	}
	return false
}

func boolOf(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

var dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// parseTime reads the dates badges use: Unix seconds (number or digits),
// RFC 3339 / ISO 8601 with or without a zone (UTC assumed), or a bare date
// (midnight UTC). strict reports whether the value was a 2.0-style
// date-time with a zone.
func parseTime(v any) (t time.Time, strict bool, err error) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
	case nil:
		return time.Time{}, false, fmt.Errorf("missing")
	default:
		return time.Time{}, false, fmt.Errorf("not a date")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 1<<36 {
			return time.Time{}, false, fmt.Errorf("timestamp out of range")
		}
		return time.Unix(n, 0).UTC(), false, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z07", "2006-01-02T15:04Z07:00", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), false, nil
		}
	}
	if dateOnly.MatchString(s) {
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return t, false, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%q is not a date", truncate(s, 40))
}
