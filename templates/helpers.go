package templates

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// describedBy lists the ids of the hint and the error of the field name,
// whose input has the id id.
func describedBy(f Form, id, name, hint string) string {
	var ids []string
	if hint != "" {
		ids = append(ids, id+"-hint")
	}
	if f.Error(name) != "" {
		ids = append(ids, id+"-error")
	}
	return strings.Join(ids, " ")
}

// ago says how long before now t was, in words.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	default:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func kindLabel(kind string) string {
	switch kind {
	case "email":
		return "Email"
	case "url":
		return "Web address"
	case "telephone":
		return "Telephone"
	}
	return kind
}

func idStr(id int64) string { return fmt.Sprint(id) }

// browserName turns a User-Agent header into something a person recognises.
func browserName(ua string) string {
	var browser, system string
	switch {
	case strings.Contains(ua, "Edg/"):
		browser = "Edge"
	case strings.Contains(ua, "Firefox/"):
		browser = "Firefox"
	case strings.Contains(ua, "Chrome/") || strings.Contains(ua, "Chromium/"):
		browser = "Chrome"
	case strings.Contains(ua, "Safari/"):
		browser = "Safari"
	}
	switch {
	case strings.Contains(ua, "Android"):
		system = "Android"
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad"):
		system = "iOS"
	case strings.Contains(ua, "Windows"):
		system = "Windows"
	case strings.Contains(ua, "Mac OS X"):
		system = "macOS"
	case strings.Contains(ua, "Linux"):
		system = "Linux"
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return "Unknown browser"
}

// narrow marks a small form page, laid out in a narrow column.
func narrow(b Base) Base {
	b.Narrow = true
	return b
}

// dateLayout is how the badge pages write dates: 2 Jan 2006.
const dateLayout = "2 Jan 2006"

// fmtDate writes t as the badge pages show dates, "" for the zero time.
func fmtDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(dateLayout)
}

// isoDate is t for the datetime attribute of <time>.
func isoDate(t time.Time) string { return t.Format("2006-01-02") }

// statusKey returns s if it is a known badge status, else "unverified": an
// unknown status is shown as one that could not be verified.
func statusKey(s string) string {
	switch s {
	case StatusVerified, StatusExpired, StatusRevoked:
		return s
	}
	return StatusUnverified
}

// statusLabel is the words for a badge status.
func statusLabel(s string) string {
	switch statusKey(s) {
	case StatusVerified:
		return "Verified"
	case StatusExpired:
		return "Expired"
	case StatusRevoked:
		return "Revoked"
	}
	return "Could not verify"
}

// statusIcon is the shape shown beside a status, so it is not told by
// colour alone. It is decoration: the label says the same.
func statusIcon(s string) string {
	switch statusKey(s) {
	case StatusVerified:
		return "✓"
	case StatusExpired:
		return "⌛"
	case StatusRevoked:
		return "⛔"
	}
	return "?"
}

// outcomeKey returns o if it is a known import outcome, else "rejected".
func outcomeKey(o string) string {
	switch o {
	case "added", "duplicate", "updated", "pending", "waiting":
		return o
	}
	return "rejected"
}

// outcomeLabel is the words for the outcome of one imported item.
func outcomeLabel(o string) string {
	switch outcomeKey(o) {
	case "added":
		return "Added"
	case "duplicate":
		return "Already in your backpack"
	case "updated":
		return "Updated"
	case "pending":
		return "Waiting for an address"
	case "waiting":
		return "Not imported yet"
	}
	return "Not added"
}

// outcomeIcon is the shape shown beside an outcome (decoration).
func outcomeIcon(o string) string {
	switch outcomeKey(o) {
	case "added":
		return "✓"
	case "duplicate":
		return "="
	case "updated":
		return "↻"
	case "pending":
		return "⌛"
	case "waiting":
		return "…"
	}
	return "✗"
}

// formatLabel names a badge's format for people.
func formatLabel(f string) string {
	switch f {
	case "hosted":
		return "Hosted"
	case "signed":
		return "Signed (JWS)"
	case "vc-jwt":
		return "Verifiable Credential (JWT)"
	case "data-integrity":
		return "Verifiable Credential (Data Integrity proof)"
	}
	return f
}

// orText returns s, or def when s is empty.
func orText(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// itoa writes an int.
func itoa(n int) string { return fmt.Sprint(n) }

// filtered reports whether the badge list is narrowed by search or filters.
func filtered(v BadgeList) bool {
	return v.Query != "" || v.Status != "" || v.Issuer != ""
}

// sortOr is the sort order of the list, "date" by default.
func sortOr(s string) string {
	if s == "" {
		return "date"
	}
	return s
}

// truncateText shortens s to at most n runes, with an ellipsis.
func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// embedSize is the default size of a widget frame: one badge, or a grid.
func embedSize(o ShareOut) (w, h int) {
	if o.Kind == "collection" {
		return 640, 400
	}
	return 320, 130
}

// iframeSnippet is the plain <iframe> owners paste into their sites.
func iframeSnippet(o ShareOut) string {
	w, h := embedSize(o)
	return IframeHTML(o.EmbedURL, "Badges on Backpack", w, h)
}

// IframeHTML is the <iframe> of a widget: in the owner's snippet, and in
// oEmbed answers. src and title are escaped.
func IframeHTML(src, title string, w, h int) string {
	return fmt.Sprintf(`<iframe src="%s" title="%s" width="%d" height="%d" style="border:0;max-width:100%%" loading="lazy"></iframe>`,
		html.EscapeString(src), html.EscapeString(title), w, h)
}

// scriptSnippet is the one-line <script> that inserts the widget's frame
// and keeps it as tall as its content.
func scriptSnippet(o ShareOut) string {
	return fmt.Sprintf(`<script src="%s" data-backpack-embed="%s" async></script>`,
		html.EscapeString(o.ScriptURL), html.EscapeString(o.EmbedURL))
}

// imageSnippet is the shield as an HTML image link, for pages and README
// files that take HTML.
func imageSnippet(o ShareOut) string {
	return fmt.Sprintf(`<a href="%s"><img src="%s" alt="Badge on Backpack"></a>`, html.EscapeString(o.URL), html.EscapeString(o.ShieldURL))
}

// outcomeCount says how many items had an outcome, e.g. "3 added.".
func outcomeCount(o string, n int) string {
	what := map[string]string{"added": "added", "updated": "updated", "duplicate": "already in your backpack",
		"pending": "waiting for an address", "rejected": "not added"}[o]
	return fmt.Sprintf("%d %s.", n, what)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// thousands writes n with commas between groups of three digits: 10,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
