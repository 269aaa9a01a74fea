package templates

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

const (
	hostileName = `<script>alert(1)</script>`
	sanitized   = string(templ.FailedSanitizationURL)
	testJS      = "/static/app.0123456789ab.js"
)

var (
	testNow = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	issued  = time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC)
)

func testBase() Base {
	return Base{Title: "Test", User: &User{Email: "me@example.org"}, CSRF: "tok", CSS: "/static/app.css", Icon: "/static/icon.svg", JS: testJS}
}

// render renders c and parses the result.
func render(t *testing.T, c templ.Component) (string, *goquery.Document) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), doc
}

// checkPage runs the checks every page must pass: our script only, no
// script URLs, no inline styles or handlers (CSP), labelled fields, unique
// ids and headings in order.
func checkPage(t *testing.T, html string, doc *goquery.Document) {
	t.Helper()
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); src != testJS || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("unexpected script element: src=%q text=%q", src, s.Text())
		}
	})
	if n := doc.Find("script").Length(); n != 1 {
		t.Errorf("got %d script elements, want our app.js only", n)
	}
	ids := map[string]bool{}
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			v := strings.ToLower(strings.TrimSpace(a.Val))
			if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "vbscript:") {
				t.Errorf("<%s %s=%q>: script URL", goquery.NodeName(s), a.Key, a.Val)
			}
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s %s=%q>: blocked by the CSP", goquery.NodeName(s), a.Key, a.Val)
			}
			if a.Key == "id" {
				if ids[a.Val] {
					t.Errorf("duplicate id %q", a.Val)
				}
				ids[a.Val] = true
			}
		}
	})
	doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		if typ, _ := s.Attr("type"); typ == "hidden" || s.AttrOr("hidden", "x") != "x" {
			return
		}
		if s.ParentsFiltered("label").Length() > 0 {
			return
		}
		id := s.AttrOr("id", "")
		if id == "" || doc.Find(fmt.Sprintf("label[for=%q]", id)).Length() != 1 {
			h, _ := goquery.OuterHtml(s)
			t.Errorf("no label for %s", h)
		}
	})
	last := 0
	doc.Find("h1, h2, h3, h4, h5, h6").Each(func(_ int, s *goquery.Selection) {
		level := int(goquery.NodeName(s)[1] - '0')
		if level > last+1 {
			t.Errorf("heading %q (h%d) follows h%d", s.Text(), level, last)
		}
		last = level
	})
	if doc.Find("h1").Length() != 1 {
		t.Errorf("got %d h1, want 1", doc.Find("h1").Length())
	}
	if doc.Find("main").Length() != 1 || doc.Find("header").Length() != 1 || doc.Find("nav").Length() < 1 {
		t.Error("landmarks missing")
	}
	if strings.Contains(html, hostileName) {
		t.Error("hostile markup not escaped")
	}
}

func sampleList() BadgeList {
	cards := []BadgeCard{
		{ID: 1, URL: "/badges/1", Name: hostileName, Issuer: "Evil <b>Corp</b>", ImageURL: "/img/abc.png", IssuedOn: issued, Status: StatusVerified},
		{ID: 2, URL: "/badges/2", Name: "Second", Issuer: "Acme", IssuedOn: issued, Status: StatusExpired},
		{ID: 3, URL: "/badges/3", Name: "Third", Issuer: "Acme", IssuedOn: issued, Status: StatusRevoked},
		{ID: 4, URL: "/badges/4", Name: "Fourth", Issuer: "Acme", IssuedOn: issued, Status: StatusUnverified},
	}
	return BadgeList{
		Cards: cards, Total: 4, All: 40, Query: "x", Status: "", Issuer: "Acme", Sort: "name",
		Issuers: []string{"Acme", hostileName}, Page: 2, Pages: 3,
		PrevURL: "/badges?page=1", NextURL: "/badges?page=3",
		Pending: []Pending{{ID: 9, Name: hostileName, Identity: "old@example.org"}},
	}
}

func TestBadgeListPage(t *testing.T) {
	html, doc := render(t, BadgeListPage(testBase(), sampleList()))
	checkPage(t, html, doc)

	cards := doc.Find(`ul.badge-grid > li > article[data-testid="badge-card"]`)
	if cards.Length() != 4 {
		t.Fatalf("got %d cards, want 4", cards.Length())
	}
	if got := cards.First().Find("a").Text(); got != hostileName {
		t.Errorf("card name = %q, want the hostile name as text", got)
	}
	if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("hostile name not escaped in the HTML")
	}
	if src, _ := cards.First().Find("img").Attr("src"); src != "/img/abc.png" {
		t.Errorf("image src = %q", src)
	}
	if cards.Eq(1).Find("img").Length() != 0 || cards.Eq(1).Find("svg.placeholder").Length() != 1 {
		t.Error("card without image has no placeholder")
	}
	if got := cards.First().Find("time").Text(); got != "2 Jan 2024" {
		t.Errorf("issued = %q", got)
	}
	for i, want := range map[int]string{0: "Verified", 1: "Expired", 2: "Revoked", 3: "Could not verify"} {
		st := cards.Eq(i).Find(".status")
		if !strings.Contains(st.Text(), want) {
			t.Errorf("card %d status %q, want %q", i, st.Text(), want)
		}
		if !st.HasClass("status-" + []string{"verified", "expired", "revoked", "unverified"}[i]) {
			t.Errorf("card %d status class %q", i, st.AttrOr("class", ""))
		}
	}
	if doc.Find(`select[name=issuer] option[selected]`).Text() != "Acme" ||
		doc.Find(`select[name=sort] option[selected]`).AttrOr("value", "") != "name" ||
		doc.Find(`input[name=q]`).AttrOr("value", "") != "x" {
		t.Error("filters do not show the current values")
	}
	if doc.Find(`[data-testid="pending-import"] a[href="/settings#identities"]`).Length() != 1 {
		t.Error("pending import without a link to the identities")
	}
	nav := doc.Find(`nav[aria-label="Pages"]`)
	if nav.Find(`a[href="/badges?page=1"]`).Length() != 1 || nav.Find(`a[href="/badges?page=3"]`).Length() != 1 ||
		!strings.Contains(nav.Text(), "Page 2 of 3") {
		t.Errorf("pagination: %q", nav.Text())
	}
	if doc.Find(`a[href="/badges/new"]`).Length() == 0 {
		t.Error("no Add badges link")
	}

	// First page: no Previous.
	v := sampleList()
	v.PrevURL, v.Page = "", 1
	_, doc = render(t, BadgeListPage(testBase(), v))
	if doc.Find(`nav[aria-label="Pages"] a[rel=prev]`).Length() != 0 {
		t.Error("Previous link on the first page")
	}
}

func TestBadgeListPageEmpty(t *testing.T) {
	html, doc := render(t, BadgeListPage(testBase(), BadgeList{Page: 1, Pages: 1}))
	checkPage(t, html, doc)
	if doc.Find(`[data-testid="empty-backpack"] a[href="/badges/new"]`).Length() != 1 {
		t.Error("empty backpack without an Add badges link")
	}
	if doc.Find(`[data-testid="no-match"], .badge-grid, nav[aria-label="Pages"], form[role=search]`).Length() != 0 {
		t.Error("empty backpack shows list parts")
	}

	html, doc = render(t, BadgeListPage(testBase(), BadgeList{All: 3, Query: "zzz", Page: 1, Pages: 1}))
	checkPage(t, html, doc)
	nm := doc.Find(`[data-testid="no-match"]`)
	if !strings.Contains(nm.Text(), "No badges match") || nm.Find(`a[href="/badges"]`).Length() != 1 {
		t.Error("no-match state missing or without a clear link")
	}
	if doc.Find(`[data-testid="empty-backpack"]`).Length() != 0 {
		t.Error("no-match shows the empty backpack")
	}
}

func TestAddBadgesPage(t *testing.T) {
	v := AddBadges{
		Form:      Form{Values: map[string]string{"urls": "https://x.example/a"}, Errors: map[string]string{"urls": "Bad URL"}},
		MaxFiles:  20,
		MaxFileMB: 5,
		Results: []ImportResult{
			{Item: hostileName, Outcome: "added", Message: "Added.", BadgeURL: "/badges/1", Name: hostileName},
			{Item: "b.png", Outcome: "pending", Message: "Issued to an address you have not confirmed.", AddEmail: "old@example.org"},
			{Item: "c.json", Outcome: "rejected", Message: "Not a badge."},
			{Item: "d.json", Outcome: "duplicate", Message: "Already there.", BadgeURL: "/badges/2"},
			{Item: "e.json", Outcome: "updated", Message: "Updated.", BadgeURL: "javascript:alert(1)"},
		},
	}
	html, doc := render(t, AddBadgesPage(testBase(), v))
	checkPage(t, html, doc)

	form := doc.Find(`form[action="/badges"][method=post][enctype="multipart/form-data"]`)
	if form.Length() != 1 || form.Find(`input[name=_csrf][value=tok]`).Length() != 1 {
		t.Fatal("add form missing or without CSRF field")
	}
	file := form.Find(`input[type=file][name=files][multiple]`)
	if file.Length() != 1 || !strings.Contains(file.AttrOr("accept", ""), ".jwt") {
		t.Error("file input")
	}
	if form.Find(`input#f-folder[type=file][name=folder][webkitdirectory][multiple]`).Length() != 1 {
		t.Error("folder input")
	}
	if !strings.Contains(form.Text(), "Up to 20 files of 5 MB each.") {
		t.Error("file hint without the limits")
	}
	if form.Find(`#dropzone.dropzone`).Length() != 1 || form.Find(`textarea[name=urls][rows="3"]`).Text() != "https://x.example/a" ||
		form.Find(`textarea[name=text][rows="5"]`).Length() != 1 || form.Find(`[data-testid="add-submit"]`).Length() != 1 {
		t.Error("form parts missing")
	}
	if d := form.Find(`textarea[name=urls]`).AttrOr("aria-describedby", ""); d != "f-urls-hint f-urls-error" {
		t.Errorf("urls aria-describedby = %q", d)
	}
	if doc.Find(`ol#progress[aria-live=polite]`).Length() != 1 {
		t.Error("no progress list")
	}
	res := doc.Find(`section[aria-live=polite] li[data-testid="import-result"]`)
	if res.Length() != 5 {
		t.Fatalf("got %d results", res.Length())
	}
	for i, want := range []string{"Added", "Waiting for an address", "Not added", "Already in your backpack", "Updated"} {
		if !strings.Contains(res.Eq(i).Text(), want) {
			t.Errorf("result %d: %q lacks %q", i, res.Eq(i).Text(), want)
		}
	}
	if res.Eq(0).AttrOr("data-outcome", "") != "added" || res.Eq(0).Find(`a[href="/badges/1"]`).Length() != 1 {
		t.Error("added result without outcome or link")
	}
	if h := res.Eq(4).Find("a").AttrOr("href", ""); h != sanitized {
		t.Errorf("hostile badge URL = %q", h)
	}
	add := res.Eq(1).Find(`form[action="/settings/identities"]`)
	if add.Find(`input[name=kind][value=email]`).Length() != 1 || add.Find(`input[name=value][value="old@example.org"]`).Length() != 1 ||
		add.Find(`input[name=_csrf]`).Length() != 1 || add.Find("button").Text() != "Add and confirm old@example.org" {
		t.Error("add-email form")
	}

	// Without results: no results section.
	_, doc = render(t, AddBadgesPage(testBase(), AddBadges{MaxFiles: 1, MaxFileMB: 1}))
	if doc.Find(`[data-testid="import-results"]`).Length() != 0 {
		t.Error("results section without results")
	}
}

func sampleDetail() BadgeDetail {
	expires := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	down := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	return BadgeDetail{
		ID: 7, Name: hostileName, Description: "Line one\nLine <i>two</i>", ImageURL: "/img/b.png",
		CriteriaURL:  "javascript:alert(1)",
		CriteriaHTML: "<p>Do <em>this</em></p>",
		Issuer:       IssuerView{Name: "Evil", URL: "javascript:alert(1)", Email: "a@evil.example", ImageURL: "/img/i.png"},
		IssuedOn:     issued, Expires: &expires,
		Evidence: []EvidenceView{
			{URL: "JaVaScRiPt:x", Name: "Proof"},
			{URL: "https://ok.example/e", Description: "Essay", Narrative: "I wrote it."},
			{Name: "No link"},
		},
		Alignments: []AlignmentView{{Name: "Skill", URL: " javascript:y", Framework: "F", Code: "C1"}},
		Tags:       []string{"go", hostileName},
		Recipient:  "me@example.org",
		Status:     StatusRevoked, StatusText: "Revoked: issued in error",
		Spec: "2.0", Format: "hosted",
		Checks:       []CheckView{{Name: "Signature", OK: true, Message: "Valid"}, {Name: "Revocation", OK: false, Message: "Revoked"}},
		Warnings:     []string{"Issuer image missing"},
		VerifiedAt:   testNow.Add(-3 * time.Hour),
		Now:          testNow,
		Unreachable:  &down,
		Downloads:    []Link{{Label: "Original file", URL: "/badges/7/download"}},
		VerifyAction: "/badges/7/verify",
		DeleteAction: "/badges/7/delete",
	}
}

func TestBadgeDetailPage(t *testing.T) {
	html, doc := render(t, BadgeDetailPage(testBase(), sampleDetail()))
	checkPage(t, html, doc)

	if got := doc.Find("h1").Text(); got != hostileName {
		t.Errorf("h1 = %q", got)
	}
	if doc.Find(".prose p em").Text() != "this" {
		t.Error("criteria HTML not rendered")
	}
	if doc.Find("i").Length() != 0 {
		t.Error("description rendered as HTML")
	}
	for _, sel := range []string{`[data-testid="issuer-url"]`, `#criteria-h ~ p a`, `[data-testid="evidence"] li:first-child a`, `[data-testid="alignments"] a`} {
		if h := doc.Find(sel).AttrOr("href", "(none)"); h != sanitized {
			t.Errorf("%s href = %q, want %q", sel, h, sanitized)
		}
	}
	if doc.Find(`a[href="mailto:a@evil.example"]`).Length() != 1 || doc.Find(`a[href="https://ok.example/e"]`).Length() != 1 {
		t.Error("safe links missing")
	}
	st := doc.Find(`[data-testid="status-block"]`).Text()
	for _, want := range []string{"Revoked", "Revoked: issued in error", "Last verified 3 hours ago", "Issuer unreachable since 1 Mar 2025"} {
		if !strings.Contains(st, want) {
			t.Errorf("status block %q lacks %q", st, want)
		}
	}
	if !strings.Contains(doc.Find("dl.facts").Text(), "1 Jan 2025") {
		t.Error("expiry date missing")
	}
	rep := doc.Find(`details[data-testid="verification-report"]`)
	if rep.Find("li.check-ok").Length() != 1 || rep.Find("li.check-fail").Length() != 1 ||
		!strings.Contains(rep.Find("li.check-fail").Text(), "Failed") || !strings.Contains(rep.Text(), "Issuer image missing") {
		t.Error("verification report")
	}
	verify := doc.Find(`form[action="/badges/7/verify"][method=post]`)
	if verify.Find(`input[name=_csrf]`).Length() != 1 || !strings.Contains(verify.Find("button").Text(), "Verify now") {
		t.Error("verify form")
	}
	del := doc.Find(`form[action="/badges/7/delete"][method=post]`)
	if del.Find(`input[name=_csrf]`).Length() != 1 || del.Find(`input[type=checkbox][name=confirm][value=yes][required]`).Length() != 1 ||
		del.Find(`button.danger[data-testid="delete-badge"]`).Text() != "Delete badge" {
		t.Error("delete form")
	}

	// Each status has its words.
	for s, want := range map[string]string{StatusVerified: "Verified", StatusExpired: "Expired", StatusRevoked: "Revoked", StatusUnverified: "Could not verify", "bogus": "Could not verify"} {
		v := sampleDetail()
		v.Status, v.StatusText, v.Unreachable = s, "", nil
		_, doc := render(t, BadgeDetailPage(testBase(), v))
		if got := doc.Find(`.status-block .status`).Text(); !strings.Contains(got, want) {
			t.Errorf("status %q shows %q", s, got)
		}
	}
}

func TestLayoutScriptOnlyWhenSet(t *testing.T) {
	b := testBase()
	b.JS = ""
	_, doc := render(t, Home(b))
	if doc.Find("script").Length() != 0 {
		t.Error("script tag without b.JS")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
