package web

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"backpack/store"
)

func TestBackpackSearchFilterSortPages(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	t0 := a.clock.now().AddDate(-2, 0, 0) // issued a day apart, all before the app's clock
	save := func(i int, name, issuer string, status store.Status, desc string, tags ...string) {
		orig := []byte(fmt.Sprint("badge ", i))
		sum := sha256.Sum256(orig)
		if _, _, err := a.db.SaveBadge(context.Background(), store.Badge{UserID: u.ID, ContentHash: sum[:], Original: orig,
			OriginalType: "json", Name: name, IssuerName: issuer, Description: desc, Tags: tags, Status: status,
			IssuedOn: t0.Add(time.Duration(i) * 24 * time.Hour), BadgeJSON: []byte(`{}`), ReportJSON: []byte(`{}`),
			VerifiedAt: t0, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	save(1, "Robot Wrangler", "Test Academy", store.StatusVerified, "Wrangles robots.", "stem")
	save(2, "Bee Keeper", "Apiary Guild", store.StatusExpired, "Keeps bees.", "nature")
	save(3, "Code Reviewer", "Test Academy", store.StatusRevoked, "Reads code.", "software")
	for i := 4; i <= 30; i++ {
		save(i, fmt.Sprintf("Filler %02d", i), "Filler Org", store.StatusVerified, "filler")
	}
	names := func(path string) []string {
		var out []string
		alice.get(path).doc.Find(`[data-testid=badge-card] a`).Each(func(_ int, s *goquerySelection) {
			out = append(out, strings.TrimSpace(s.Text()))
		})
		return out
	}
	for path, want := range map[string][]string{
		"/badges?q=ROBOT":                               {"Robot Wrangler"},
		"/badges?q=apiary":                              {"Bee Keeper"},
		"/badges?q=reads+code":                          {"Code Reviewer"},
		"/badges?q=software":                            {"Code Reviewer"},
		"/badges?status=revoked":                        {"Code Reviewer"},
		"/badges?status=expired":                        {"Bee Keeper"},
		"/badges?issuer=Test+Academy&sort=name":         {"Code Reviewer", "Robot Wrangler"},
		"/badges?issuer=Test+Academy&status=verified":   {"Robot Wrangler"},
		"/badges?q=%25":                                 nil,
		"/badges?status=nonsense&q=robot&sort=nonsense": {"Robot Wrangler"},
	} {
		got := names(path)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
	// Newest first by default; 24 a page; the next page holds the rest.
	first := names("/badges")
	if len(first) != 24 || first[0] != "Filler 30" {
		t.Fatalf("first page: %d cards, first %q", len(first), first[0])
	}
	p := alice.get("/badges")
	next, ok := p.doc.Find(`nav[aria-label=Pages] a[href*="page=2"]`).Attr("href")
	if !ok {
		t.Fatal("no link to page 2")
	}
	second := names(next)
	if len(second) != 6 || second[len(second)-1] != "Robot Wrangler" {
		t.Fatalf("second page: %v", second)
	}
	// The issuer filter offers each issuer once.
	var issuers []string
	p.doc.Find(`select[name=issuer] option`).Each(func(_ int, s *goquerySelection) { issuers = append(issuers, s.AttrOr("value", "")) })
	if strings.Join(issuers, "|") != "|Apiary Guild|Filler Org|Test Academy" {
		t.Fatalf("issuer options %v", issuers)
	}
}
