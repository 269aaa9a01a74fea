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
