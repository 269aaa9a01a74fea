package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"backpack/badges"
)

// TestImportAsksToWaitWhenSentTooMuch: past the core's rate of badges and
// archives a user sends, the form says how long to wait, with 429 and
// Retry-After; another user is not held up.
func TestImportAsksToWaitWhenSentTooMuch(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	files := func(n int) []upload {
		u := make([]upload, n)
		for i := range u {
			u[i] = upload{fmt.Sprintf("note-%d.txt", i), []byte("not a badge")}
		}
		return u
	}
	rate := badges.DefaultItemRate
	for sent := 0; sent < rate.Burst; sent += maxFiles {
		alice.get("/badges/new")
		wantStatus(t, alice.postFiles(files(min(maxFiles, rate.Burst-sent)), nil, ""), http.StatusOK)
	}
	alice.get("/badges/new")
	p := alice.postFiles(files(2), nil, "")
	want := fmt.Sprintf("Wait %s, then send this again.", waitText(2*rate.Every))
	if got := p.doc.Find("[data-testid=form-errors]").Text(); p.StatusCode != http.StatusTooManyRequests || !strings.Contains(got, want) {
		t.Fatalf("over the rate: %d %q, want 429 and %q", p.StatusCode, got, want)
	}
	if ra := p.Header.Get("Retry-After"); ra != fmt.Sprint(int((2 * rate.Every).Seconds())) {
		t.Errorf("Retry-After %q", ra)
	}
	p = alice.postFiles(files(1), nil, "application/json")
	if p.StatusCode != http.StatusTooManyRequests || !strings.Contains(p.body, `"status":429`) {
		t.Errorf("the form's script: %d %s", p.StatusCode, p.body)
	}
	bob := a.signUpConfirmed(t, "bob@example.org")
	bob.get("/badges/new")
	wantStatus(t, bob.postFiles(files(1), nil, ""), http.StatusOK)

	for range badges.DefaultArchiveRate.Burst {
		alice.get("/badges/new")
		wantStatus(t, alice.postArchive("x.zip", []byte("not a zip")), http.StatusUnprocessableEntity)
	}
	alice.get("/badges/new")
	p = alice.postArchive("x.zip", []byte("not a zip"))
	if p.StatusCode != http.StatusTooManyRequests || p.Header.Get("Retry-After") != fmt.Sprint(int(badges.DefaultArchiveRate.Every.Seconds())) {
		t.Errorf("archives over the rate: %d, Retry-After %q", p.StatusCode, p.Header.Get("Retry-After"))
	}
	a.clock.add(badges.DefaultArchiveRate.Every)
	alice.get("/badges/new")
	wantStatus(t, alice.postArchive("x.zip", []byte("not a zip")), http.StatusUnprocessableEntity)
}

// withQuota gives the app a badges core with this storage quota.
func withQuota(quota int64) func(*Config) {
	return func(c *Config) {
		core, err := badges.New(badges.Config{Store: c.Store, Verifier: c.Verifier, Fetch: c.Fetch, Now: c.Now, Logger: c.Logger, Quota: quota})
		if err != nil {
			panic(err)
		}
		c.Badges = core
	}
}

// TestStorageQuotaShownAndEnforced: Settings shows the storage taken
// against the quota; a badge past it is refused with the words for it.
func TestStorageQuotaShownAndEnforced(t *testing.T) {
	is := newTestIssuer(t)
	first := is.hosted("/a/1", "alice@example.org")
	img, _ := is.srv.Doc("/badge.png")
	size := int64(len(first) + len(img)) // the original and its image
	a := newApp(t, is.config, withQuota(size))
	alice := a.signUpConfirmed(t, "alice@example.org")
	if got := alice.get("/settings").doc.Find("[data-testid=storage-used]").Text(); got != "Your badges take 0 bytes of the "+sizeText(size)+" your backpack can hold (0%)." {
		t.Errorf("empty: %q", got)
	}
	alice.get("/badges/new")
	p := alice.postFiles([]upload{{"one.json", first}}, nil, "")
	if o := p.doc.Find("[data-testid=import-result]").AttrOr("data-outcome", ""); o != "added" {
		t.Fatalf("the first badge: %s", p.text())
	}
	if got := alice.get("/settings").doc.Find("[data-testid=storage-used]").Text(); !strings.Contains(got, sizeText(size)+" of the "+sizeText(size)) || !strings.Contains(got, "(100%)") {
		t.Errorf("full: %q", got)
	}
	alice.get("/badges/new")
	p = alice.postFiles([]upload{{"two.json", is.hosted("/a/2", "alice@example.org")}}, nil, "")
	res := p.doc.Find("[data-testid=import-result]")
	want := "your backpack is full (it holds up to " + sizeText(size) + ")"
	if res.AttrOr("data-outcome", "") != "rejected" || !strings.Contains(res.Text(), want) {
		t.Errorf("past the quota: %s, want %q", strings.Join(strings.Fields(res.Text()), " "), want)
	}
}

func TestSizeText(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1023: "1023 bytes", 1024: "1 KiB", 1536: "1.5 KiB", 20 << 20: "20 MiB", 1 << 30: "1 GiB", 5 << 40: "5 TiB"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestManifestRefusalsHaveWords: each refusal of an export's collections
// has its own sentence on the form.
func TestManifestRefusalsHaveWords(t *testing.T) {
	for _, r := range []badges.Refusal{
		{Code: badges.CodeTooManyCollections, N: 100_001, Max: badges.MaxImportedCollections},
		{Code: badges.CodeTooManyCollectionEntries, N: 100_001, Max: badges.MaxImportedEntries},
		{Code: badges.CodeCollectionUnnamed, N: 2},
		{Code: badges.CodeCollectionNameTooLong, Detail: "Robots…", N: 121, Max: 120},
		{Code: badges.CodeCollectionDescriptionTooLong, Detail: "Robots", N: 10_001, Max: 10_000},
		{Code: badges.CodeCollectionTooManyBadges, Detail: "Robots", N: 2, Max: 1},
		{Code: badges.CodeTooManySubmissions, Wait: 90e9},
	} {
		if msg := refusalMessage(&r); msg == refusalMessage(&badges.Refusal{}) || !strings.Contains(msg, fmt.Sprint(r.N)) && r.N != 0 {
			t.Errorf("%s: %q", r.Code, msg)
		}
	}
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	manifest := fmt.Sprintf(`{"format":%q,"version":%d,"badges":[{"id":"b1","original":"b1.json"}],"collections":[{"name":"A"},{"name":" "}]}`,
		badges.ExportFormat, badges.ExportVersion)
	alice.get("/badges/new")
	p := alice.postArchive("export.zip", zipOf(t, "manifest.json", manifest, "b1.json", "{}"))
	want := "This export's collection number 2 has no name; every collection needs one."
	if got := strings.TrimSpace(p.doc.Find("[data-testid=form-errors]").Text()); p.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, want) {
		t.Errorf("%d %q, want %q", p.StatusCode, got, want)
	}
}
