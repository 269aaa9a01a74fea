package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"backpack/internal/browsertest"
)

// TestBrowserImportZip imports a ZIP of badges through the form, follows
// the job page until the background import is done, and checks the page
// (axe, labels, phone width) with every file's outcome.
func TestBrowserImportZip(t *testing.T) {
	t.Parallel()
	is := newBrowserIssuer(t)
	a := newBrowserAppArgs(t, "--allow-host", is.hostPort())
	const email = "kim@example.com"
	a.newConfirmedUser(email)

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	const n = 25
	for i := range n {
		w, _ := zw.Create(fmt.Sprintf("badges/%02d.json", i))
		w.Write(is.assertion(fmt.Sprintf("/a/%d", i), email))
	}
	w, _ := zw.Create("notes.txt")
	w.Write([]byte("not a badge"))
	zw.Close()
	path := filepath.Join(t.TempDir(), "my-badges.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	a.open("/badges/new")
	a.checkPage("add badges, with the ZIP import")
	if dir := os.Getenv("BACKPACK_SCREENSHOTS"); dir != "" {
		a.shoot(dir, "add-badges")
	}
	if err := chromedp.Do(a.ctx, chromedp.SetUploadFiles(chromedp.CSS("#f-archive"), []string{path})); err != nil {
		t.Fatal(err)
	}
	if status := a.submit("[data-testid=zip-submit]"); status != 200 {
		t.Fatalf("import: status %d", status)
	}
	if err := browsertest.WaitVisible(a.ctx, "[data-testid=job-progress]"); err != nil {
		t.Fatal(err)
	}
	a.waitJS("the import finishes", `document.querySelector("[data-testid=import-job][data-finished=true]")`, 60*time.Second)
	if got := a.count(`[data-testid=import-items] [data-outcome=added]`); got != n {
		t.Fatalf("%d files added, want %d: %v", got, n, a.results("[data-testid=import-items]"))
	}
	if got := a.count(`[data-testid=import-items] [data-outcome=rejected]`); got != 1 {
		t.Fatalf("%d files rejected, want 1", got)
	}
	a.checkPage("import job, finished")
	if dir := os.Getenv("BACKPACK_SCREENSHOTS"); dir != "" {
		a.shoot(dir, "import-job")
	}
	a.open("/imports")
	if a.count("[data-testid=import-job]") != 1 {
		t.Fatal("the import is not listed")
	}
	a.checkPage("imports")
	a.requireNoConsoleErrors()
}
