package templates

import (
	"fmt"
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
