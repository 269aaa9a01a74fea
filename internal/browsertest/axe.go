package browsertest

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core 4.14.1 (https://github.com/dequelabs/axe-core),
// package/axe.min.js of the npm package axe-core@4.14.1, unchanged.
// SRI: sha256-KTSJmUUM3yhJqOcLeRL8LahahJ2jnA0NU5T1HUqe2Vw= (as in the
// package's sri-history.json). License: MPL-2.0, see axe-core.LICENSE.txt and
// axe-core.LICENSE-3RD-PARTY.txt.
//
// To update: in a temporary directory run `npm pack axe-core@VERSION`, unpack
// the tarball, copy package/axe.min.js, package/LICENSE and
// package/LICENSE-3RD-PARTY.txt here, and update AxeVersion and this comment.
//
//go:embed axe.min.js
var axeSource string

// AxeVersion is the version of the embedded axe-core.
const AxeVersion = "4.14.1"

// AxeTags are the axe-core rule tags that AxeScan runs.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"}

// Violation is one failed axe-core rule, with the elements that fail it.
type Violation struct {
	ID          string    `json:"id"`     // rule id, e.g. "image-alt"
	Impact      string    `json:"impact"` // "minor", "moderate", "serious" or "critical"
	Help        string    `json:"help"`   // short description of the rule
	HelpURL     string    `json:"helpUrl"`
	Description string    `json:"description"`
	Nodes       []AxeNode `json:"nodes"`
	Tags        []string  `json:"tags"`
}

// AxeNode is one element that fails a rule.
type AxeNode struct {
	// Target is the CSS selector of the element. An element in an iframe
	// or a shadow tree has one selector for each level, joined with " >>> ".
	Target         string `json:"target"`
	HTML           string `json:"html"`
	Impact         string `json:"impact"`
	FailureSummary string `json:"failureSummary"`
}

// Targets returns the selectors of the elements that fail the rule.
func (v Violation) Targets() []string {
	out := make([]string, len(v.Nodes))
	for i, n := range v.Nodes {
		out[i] = n.Target
	}
	return out
}

// String formats the violation on one line, e.g.
// `serious image-alt: Images must have alternative text [a > img, #logo]`.
func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s [%s]", v.Impact, v.ID, v.Help, strings.Join(v.Targets(), ", "))
}

// Serious returns the violations with the impact "serious" or "critical".
func Serious(vs []Violation) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, v)
		}
	}
	return out
}

// axeRunJS runs axe on the document and returns the violations in the shape
// of Violation. %s is the JSON list of the tags.
const axeRunJS = `(async () => {
	const flat = (t) => Array.isArray(t) ? t.map(flat).join(" >>> ") : String(t);
	const res = await axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]});
	return res.violations.map((v) => ({
		id: v.id,
		impact: v.impact || "",
		help: v.help,
		helpUrl: v.helpUrl,
		description: v.description,
		tags: v.tags,
		nodes: v.nodes.map((n) => ({
			target: flat(n.target),
			html: n.html,
			impact: n.impact || "",
			failureSummary: n.failureSummary || "",
		})),
	}));
})()`

// AxeScan runs the axe-core accessibility checks (the rules tagged wcag2a,
// wcag2aa, wcag21a, wcag21aa and best-practice) on a page and returns the
// violations. With a pageURL it first navigates to it; with pageURL == "" it
// scans the page that the tab shows now, so a test can scan a page after it
// filled a form or opened a menu.
//
// axe is injected with the DevTools protocol (Runtime.evaluate), which a
// Content-Security-Policy of the page does not block, so pages with a strict
// script-src can be scanned as they are served.
func AxeScan(ctx context.Context, pageURL string) ([]Violation, error) {
	if pageURL != "" {
		if err := Navigate(ctx, pageURL); err != nil {
			return nil, err
		}
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object" && typeof window.axe.run === "function"`))
	if err != nil {
		return nil, fmt.Errorf("axe: %w", err)
	}
	if !loaded {
		// The trailing expression keeps the protocol from serializing the
		// completion value of the script.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;void 0")); err != nil {
			return nil, fmt.Errorf("axe: inject axe-core: %w", err)
		}
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](fmt.Sprintf(axeRunJS, jsStrings(AxeTags)), chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe: run: %w", err)
	}
	return vs, nil
}

// jsStrings formats ss as a JavaScript array of strings.
func jsStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = jsString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// RequireNoSeriousViolations scans a page with AxeScan (pageURL == "" scans
// the current page) and fails the test when axe reports a violation with the
// impact serious or critical. It logs the other violations.
func RequireNoSeriousViolations(t testing.TB, ctx context.Context, pageURL string) {
	t.Helper()
	vs, err := AxeScan(ctx, pageURL)
	if err != nil {
		t.Fatalf("accessibility scan of %s: %v", describePage(pageURL), err)
	}
	serious := Serious(vs)
	for _, v := range vs {
		if v.Impact != "serious" && v.Impact != "critical" {
			t.Logf("accessibility (not failing): %s", v)
		}
	}
	if len(serious) > 0 {
		var b strings.Builder
		for _, v := range serious {
			fmt.Fprintf(&b, "\n  %s\n    %s", v, v.HelpURL)
			for _, n := range v.Nodes {
				fmt.Fprintf(&b, "\n    - %s: %s", n.Target, shorten(n.HTML, 160))
			}
		}
		t.Fatalf("accessibility scan of %s: %d serious or critical violations:%s", describePage(pageURL), len(serious), b.String())
	}
}

func describePage(pageURL string) string {
	if pageURL == "" {
		return "the current page"
	}
	return pageURL
}

// shorten returns s on one line, cut to about n bytes.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}
