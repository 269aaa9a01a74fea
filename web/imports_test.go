package web

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image/color"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"backpack/badges"
	"backpack/openbadges/bake"
	"backpack/store"
)

// zipOf builds a ZIP of the named files, in order.
func zipOf(t testing.TB, files ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i].(string))
		if err != nil {
			t.Fatal(err)
		}
		switch b := files[i+1].(type) {
		case string:
			w.Write([]byte(b))
		case []byte:
			w.Write(b)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// postArchive posts the ZIP import form.
func (b *browser) postArchive(name string, data []byte) *page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", b.csrf)
	fw, _ := w.CreateFormFile("archive", name)
	fw.Write(data)
	w.Close()
	req := httptest.NewRequest(http.MethodPost, b.origin()+"/imports", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// runImports runs the import worker's rounds until it has nothing to do.
func (a *app) runImports(t testing.TB) {
	t.Helper()
	for range 10_000 {
		busy, err := a.core.ImportRound(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !busy {
			return
		}
	}
	t.Fatal("the import worker never ran out of work")
}

// importZip posts a ZIP, checks it was accepted and returns the job path.
func importZip(t *testing.T, b *browser, name string, data []byte) string {
	t.Helper()
	b.get("/badges/new")
	p := b.postArchive(name, data)
	if p.StatusCode != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/imports/") {
		t.Fatalf("import %s: %d %s", name, p.StatusCode, p.text())
	}
	return p.Header.Get("Location")
}

// jobOutcomes lists a job page's items as "name=outcome".
func jobOutcomes(b *browser, job string) []string {
	var out []string
	b.get(job).doc.Find(`[data-testid=import-items] [data-testid=import-result]`).Each(func(_ int, s *goquerySelection) {
		out = append(out, strings.TrimSpace(s.Find(".item").Text())+"="+s.AttrOr("data-outcome", ""))
	})
	return out
}

func TestImportExportRoundTrip(t *testing.T) {
	is := newTestIssuer(t)
	src := newApp(t, is.config)
	alice := src.signUpConfirmed(t, "alice@example.org")
	png, _ := bake.Bake(plainPNG(t, color.Black), bake.OB2, string(is.hosted("/a/3", "alice@example.org")))
	alice.get("/badges/new")
	alice.postFiles([]upload{{"h.json", is.hosted("/a/1", "alice@example.org")}, {"s.jws", []byte(is.signed("/a/2", "alice@example.org"))}, {"b.png", png}}, nil, "")
	col := collectionWithBadges(t, alice, is, 0)
	order := collectionOrder(alice, col)
	alice.get(col)
	alice.post(col+"/move", url.Values{"badge_id": {strings.TrimPrefix(order[0], "/badges/")}, "dir": {"down"}})
	alice.post(col+"/share", url.Values{"do": {"on"}})
	alice.get("/collections")
	alice.post("/collections", url.Values{"name": {"Empty one"}})
	export := []byte(alice.get("/settings/export.zip").body)

	// Another Backpack, a day later.
	dst := newApp(t, is.config)
	dst.clock.add(24 * time.Hour)
	alice2 := dst.signUpConfirmed(t, "alice@example.org")
	job := importZip(t, alice2, "backpack-export.zip", export)
	if p := alice2.get(job); !strings.Contains(p.text(), "0 of 3 files") {
		t.Fatalf("before the worker: %s", p.text())
	}
	dst.runImports(t)
	if got := jobOutcomes(alice2, job); len(got) != 3 || slices.ContainsFunc(got, func(s string) bool { return !strings.HasSuffix(s, "=added") }) {
		t.Fatalf("outcomes %v", got)
	}

	ctx := context.Background()
	su, _ := src.db.UserByEmail(ctx, "alice@example.org")
	du, _ := dst.db.UserByEmail(ctx, "alice@example.org")
	originals := func(db *store.DB, userID int64) map[string]store.Badge {
		m := map[string]store.Badge{}
		db.Snapshot(ctx, userID, func(s *store.Snapshot) error {
			return s.Badges(true, func(b store.Badge) error { m[string(b.Original)] = b; return nil })
		})
		return m
	}
	before, after := originals(src.db, su.ID), originals(dst.db, du.ID)
	if len(after) != 3 {
		t.Fatalf("%d badges after the import", len(after))
	}
	for orig, b := range before {
		a, ok := after[orig]
		if !ok {
			t.Fatalf("original of %q is not byte-identical after the round trip", b.Name)
		}
		// Verified again by the new Backpack, not copied.
		if !a.VerifiedAt.Equal(dst.clock.now()) || a.VerifiedAt.Equal(b.VerifiedAt) || a.Status != b.Status {
			t.Errorf("%s: verified at %v (status %s), was %v (%s)", b.Name, a.VerifiedAt, a.Status, b.VerifiedAt, b.Status)
		}
	}
	// The same collections, in the same order, by original; shared again
	// under a new link.
	srcCols, _ := src.db.Collections(ctx, su.ID)
	dstCols, _ := dst.db.Collections(ctx, du.ID)
	if len(dstCols) != 2 {
		t.Fatalf("collections after import: %+v", dstCols)
	}
	for i, sc := range srcCols {
		dc := dstCols[i]
		if dc.Name != sc.Name || dc.Description != sc.Description || dc.Shared != sc.Shared || dc.Count != sc.Count || (dc.Shared && dc.Slug == sc.Slug) {
			t.Errorf("collection %q became %+v", sc.Name, dc)
		}
		sb, _ := src.db.CollectionBadges(ctx, sc.ID)
		db, _ := dst.db.CollectionBadges(ctx, dc.ID)
		for j := range sb {
			if !bytes.Equal(sb[j].ContentHash, db[j].ContentHash) {
				t.Errorf("%s: position %d holds another badge", sc.Name, j+1)
			}
		}
	}
	// Importing the same export again adds nothing and makes no new badges.
	job2 := importZip(t, alice2, "again.zip", export)
	dst.runImports(t)
	if got := jobOutcomes(alice2, job2); len(got) != 3 || !strings.HasSuffix(got[0], "=duplicate") {
		t.Fatalf("second import: %v", got)
	}
	if n := len(originals(dst.db, du.ID)); n != 3 {
		t.Fatalf("%d badges after importing twice", n)
	}
}

func TestImportAnyZipOfBadges(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	png, _ := bake.Bake(plainPNG(t, color.Black), bake.OB2, string(is.hosted("/a/1", "alice@example.org")))
	inner := zipOf(t, "x.json", is.hosted("/a/9", "alice@example.org"))
	data := zipOf(t,
		"My badges/one.png", png,
		"My badges/two.json", is.hosted("/a/2", "alice@example.org"),
		"My badges/deeper/three.jws", is.signed("/a/3", "alice@example.org"),
		"notes.txt", "hello",
		"more.zip", inner,
		"__MACOSX/My badges/._one.png", "junk",
		".DS_Store", "junk",
	)
	job := importZip(t, alice, "mine.zip", data)
	a.runImports(t)
	got := jobOutcomes(alice, job)
	want := []string{"My badges/one.png=added", "My badges/two.json=added", "My badges/deeper/three.jws=added", "notes.txt=rejected", "more.zip=rejected"}
	if !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	p := alice.get(job)
	if !strings.Contains(p.text(), "archive") || !strings.Contains(p.text(), "Finished.") || !strings.Contains(p.text(), "3 added.") {
		t.Fatalf("job page: %s", p.text())
	}
	j := alice.get(job + ".json")
	if !strings.Contains(j.body, `"finished":true`) || !strings.Contains(j.body, `"done":5`) {
		t.Fatalf("job JSON: %s", j.body)
	}
	if !strings.Contains(alice.get("/imports").text(), "mine.zip") {
		t.Fatal("the job is not listed")
	}
	// Only its owner sees it.
	bob := a.signUpConfirmed(t, "bob@example.org")
	wantStatus(t, bob.get(job), http.StatusNotFound)
	wantStatus(t, bob.get(job+".json"), http.StatusNotFound)
	if strings.Contains(bob.get("/imports").text(), "mine.zip") {
		t.Fatal("bob sees alice's import")
	}
}

func TestImportRefusesHostileZips(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	many := []any{}
	for i := range badges.MaxJobItems + 1 {
		many = append(many, fmt.Sprintf("b%05d.json", i), "{}")
	}
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"traversal": {zipOf(t, "../../etc/passwd.json", "{}"), "../../etc/passwd.json"},
		"absolute":  {zipOf(t, "/etc/badge.json", "{}"), "/etc/badge.json"},
		"too many":  {zipOf(t, many...), "10000"},
		"not a zip": {[]byte("this is not a zip"), "ZIP"},
		"symlink":   {symlinkZip(t), "link.json"},
		"bomb":      {zipOf(t, "zeros.json", make([]byte, 64<<20)), "zeros.json"},
	} {
		alice.get("/badges/new")
		p := alice.postArchive(name+".zip", c.data)
		if p.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(p.text(), c.want) {
			t.Errorf("%s: %d %s", name, p.StatusCode, p.doc.Find("[data-testid=form-errors]").Text())
		}
	}
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	if jobs, _ := a.db.ImportJobs(context.Background(), u.ID); len(jobs) != 0 {
		t.Fatalf("refused archives left jobs: %+v", jobs)
	}
}

// TestImportRefusalsAreShownAsSaid: the sentences that refuse an archive
// reach the form word for word, and no job is left behind.
func TestImportRefusalsAreShownAsSaid(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	manifest := func(version int, original string) string {
		return fmt.Sprintf(`{"format":%q,"version":%d,"badges":[{"id":"b1","original":%q}]}`, badges.ExportFormat, version, original)
	}
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"empty":      {zipOf(t), "This ZIP file holds no files to import."},
		"newer":      {zipOf(t, "manifest.json", manifest(badges.ExportVersion+1, "badges/b1/original.json"), "badges/b1/original.json", "{}"), fmt.Sprintf("This export is in a newer format (version %d) than this Backpack reads (version %d).", badges.ExportVersion+1, badges.ExportVersion)},
		"incomplete": {zipOf(t, "manifest.json", manifest(badges.ExportVersion, "badges/b1/original.json")), "This export is incomplete: badges/b1/original.json is listed but missing."},
	} {
		alice.get("/badges/new")
		p := alice.postArchive(name+".zip", c.data)
		if got := strings.TrimSpace(p.doc.Find("[data-testid=form-errors]").Text()); p.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, c.want) {
			t.Errorf("%s: %d %q, want %q", name, p.StatusCode, got, c.want)
		}
	}
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	if jobs, _ := a.db.ImportJobs(context.Background(), u.ID); len(jobs) != 0 {
		t.Fatalf("refused archives left jobs: %+v", jobs)
	}
}

// symlinkZip holds one entry that is a symbolic link.
func symlinkZip(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "link.json", Method: zip.Store}
	h.SetMode(0o777 | 1<<27) // os.ModeSymlink
	w, _ := zw.CreateHeader(h)
	w.Write([]byte("/etc/passwd"))
	zw.Close()
	return buf.Bytes()
}

func TestImportResumesAfterRestart(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	var files []any
	for i := range 12 {
		files = append(files, fmt.Sprintf("b%02d.json", i), is.hosted(fmt.Sprintf("/a/%d", i), "alice@example.org"))
	}
	job := importZip(t, alice, "twelve.zip", zipOf(t, files...))
	// One round does a few items; then the server stops.
	if busy, err := a.core.ImportRound(context.Background()); err != nil || !busy {
		t.Fatalf("first round: %v %v", busy, err)
	}
	done := 0
	for _, o := range jobOutcomes(alice, job) {
		if strings.HasSuffix(o, "=added") {
			done++
		}
	}
	if done == 0 || done == 12 {
		t.Fatalf("%d items done after one round", done)
	}
	// An upload the stop cut off while it was received.
	ctx := context.Background()
	u, _ := a.db.UserByEmail(ctx, "alice@example.org")
	cut, _ := a.db.CreateImportJob(ctx, u.ID, "cut.zip", "", a.clock.now())
	a.db.AddImportItems(ctx, cut, []store.ImportItem{{Seq: 1, Name: "x.json", Data: []byte("{}")}})

	// A new server on the same database picks up where the old one stopped.
	restarted, err := New(a.cfg)
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() { restarted.core.RunImports(rctx); close(finished) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := a.db.ImportJob(ctx, u.ID, mustJobID(t, job))
		if err == nil && j.State == store.JobDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish after the restart: %+v %v", j, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-finished
	got := jobOutcomes(alice, job)
	if len(got) != 12 || slices.ContainsFunc(got, func(s string) bool { return !strings.HasSuffix(s, "=added") }) {
		t.Fatalf("after the restart: %v", got)
	}
	if _, err := a.db.ImportJob(ctx, u.ID, cut); err == nil {
		t.Fatal("the cut-off upload was not cleaned up")
	}
	if l, _ := a.db.ListBadges(ctx, u.ID, store.BadgeQuery{Limit: 50}); l.Total != 12 {
		t.Fatalf("%d badges, want 12", l.Total)
	}
}

func mustJobID(t *testing.T, path string) int64 {
	var id int64
	if _, err := fmt.Sscanf(path, "/imports/%d", &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestImportJobPages(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	var files []any
	for i := range itemsPerPage + 3 {
		files = append(files, fmt.Sprintf("n%04d.txt", i), "not a badge")
	}
	job := importZip(t, alice, "many.zip", zipOf(t, files...))
	a.runImports(t)
	first := alice.get(job)
	if n := first.doc.Find(`[data-testid=import-items] [data-testid=import-result]`).Length(); n != itemsPerPage {
		t.Fatalf("first page lists %d files", n)
	}
	next, ok := first.doc.Find(`[data-testid=items-next]`).Attr("href")
	if !ok || first.has(`[data-testid=items-prev]`) || !strings.Contains(first.text(), fmt.Sprintf("Files 1 to %d of %d", itemsPerPage, itemsPerPage+3)) {
		t.Fatalf("first page: next %q", next)
	}
	second := alice.get(next)
	if got := jobOutcomes(alice, next); len(got) != 3 || got[0] != fmt.Sprintf("n%04d.txt=rejected", itemsPerPage) || second.has(`[data-testid=items-next]`) {
		t.Fatalf("second page: %v", got)
	}
	if p := alice.get(job + "?page=99"); !p.has(`[data-testid=items-prev]`) {
		t.Fatal("a page past the end is not the last page")
	}
}

func TestImportJobsPerUserAreBounded(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	for i := range badges.MaxRunningJobs {
		importZip(t, alice, fmt.Sprintf("z%d.zip", i), zipOf(t, "a.txt", "x"))
	}
	alice.get("/badges/new")
	p := alice.postArchive("one-more.zip", zipOf(t, "a.txt", "x"))
	if p.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(p.text(), "imports still running") {
		t.Fatalf("a fourth running import: %d %s", p.StatusCode, p.text())
	}
	// Another user is not held up; and once the jobs finish, alice can go on.
	bob := a.signUpConfirmed(t, "bob@example.org")
	importZip(t, bob, "bob.zip", zipOf(t, "b.txt", "x"))
	a.runImports(t)
	importZip(t, alice, "later.zip", zipOf(t, "a.txt", "x"))
}
