package badges

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"backpack/internal/testwait"
	"backpack/store"
)

// runJobs imports until there is nothing left, as RunImports would.
func (w *world) runJobs(t *testing.T) {
	t.Helper()
	for range 100 {
		busy, err := w.svc.ImportRound(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !busy {
			// One more round finishes the jobs whose last items were just done.
			if _, err := w.svc.ImportRound(context.Background()); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatal("the import never ended")
}

func (w *world) start(t testing.TB, userID int64, name string, zipBytes []byte) (int64, error) {
	t.Helper()
	id, _, err := w.svc.StartImport(context.Background(), userID, name, bytes.NewReader(zipBytes), int64(len(zipBytes)))
	return id, err
}

func TestImportJobRunsToTheEnd(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	nested := zipOf(t, [2]string{"inner.json", "{}"})
	id, err := w.start(t, alice, "mine.zip", zipOf(t,
		[2]string{"one.json", string(w.is.hosted("/a/1", "alice@example.org", nil))},
		[2]string{"two.json", string(w.is.hosted("/a/2", "alice@example.org", nil))},
		[2]string{"again.json", string(w.is.hosted("/a/1", "alice@example.org", nil))},
		[2]string{"more.zip", string(nested)},
		[2]string{"notes.txt", "hello"},
	))
	if err != nil {
		t.Fatal(err)
	}
	w.runJobs(t)
	j, err := w.db.ImportJob(ctx, alice, id)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != store.JobDone || j.Done != 5 || j.CollectionsMade != 0 {
		t.Fatalf("job %+v", j)
	}
	items, _ := w.db.ImportItems(ctx, id)
	type got struct{ Name, Outcome, Code string }
	var gots []got
	for _, it := range items {
		gots = append(gots, got{it.Name, it.Outcome, it.Code})
		if it.Message != "" {
			t.Errorf("%s: a sentence was stored: %q", it.Name, it.Message)
		}
	}
	want := []got{
		{"one.json", "added", ""},
		{"two.json", "added", ""},
		{"again.json", "duplicate", ""},
		{"more.zip", "rejected", string(CodeNestedArchive)},
		{"notes.txt", "rejected", "malformed"}, // text that is no badge (README, verify)
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Fatalf("items (-want +got):\n%s", diff)
	}
	if items[0].BadgeID == 0 || items[2].BadgeID != items[0].BadgeID {
		t.Errorf("badge ids: %+v", items)
	}
}

func TestStartImportRefusals(t *testing.T) {
	w := newWorld(t)
	alice := w.user(t, "alice@example.org")
	manifest := func(m Manifest) string { b, _ := json.Marshal(m); return string(b) }
	for _, tc := range []struct {
		name string
		zip  []byte
		want Refusal
	}{
		{"not a zip", []byte("not a zip at all"), Refusal{Code: CodeArchiveUnsafe}},
		{"path traversal", zipOf(t, [2]string{"../../etc/passwd", "x"}), Refusal{Code: CodeArchiveUnsafe}},
		{"empty", zipOf(t), Refusal{Code: CodeArchiveEmpty}},
		{"newer export", zipOf(t, [2]string{"manifest.json", manifest(Manifest{Format: ExportFormat, Version: ExportVersion + 1})}),
			Refusal{Code: CodeExportNewer, N: ExportVersion + 1, Max: ExportVersion}},
		{"incomplete export", zipOf(t, [2]string{"manifest.json", manifest(Manifest{Format: ExportFormat, Version: ExportVersion,
			Badges: []ManifestBadge{{ID: "0001", Original: "badges/0001/original.json"}}})}),
			Refusal{Code: CodeExportIncomplete, Detail: "badges/0001/original.json"}},
	} {
		_, err := w.start(t, alice, tc.name, tc.zip)
		var r *Refusal
		if !errors.As(err, &r) {
			t.Errorf("%s: err = %v, want a refusal", tc.name, err)
			continue
		}
		if tc.want.Code == CodeArchiveUnsafe {
			if r.Code != tc.want.Code || r.Detail == "" {
				t.Errorf("%s: %+v, want %s naming the trouble", tc.name, r, tc.want.Code)
			}
			continue
		}
		if *r != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, *r, tc.want)
		}
	}
	// Three unfinished imports at once, no more.
	one := zipOf(t, [2]string{"a.json", "{}"})
	for i := range MaxRunningJobs {
		if _, err := w.start(t, alice, "job", one); err != nil {
			t.Fatalf("import %d: %v", i+1, err)
		}
	}
	_, err := w.start(t, alice, "one too many", one)
	var r *Refusal
	if !errors.As(err, &r) || *r != (Refusal{Code: CodeTooManyImports, N: MaxRunningJobs, Max: MaxRunningJobs}) {
		t.Fatalf("a fourth import: %v", err)
	}
	// Another user is not held up by Alice's.
	if _, err := w.start(t, w.user(t, "bob@example.org"), "bob's", one); err != nil {
		t.Fatalf("bob's import: %v", err)
	}
}

func TestExportThenImportGivesTheSameBackpack(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	res, err := w.svc.Import(ctx, alice, []Item{
		{Label: "1", Data: w.is.hosted("/a/1", "alice@example.org", nil)},
		{Label: "2", Data: w.is.hosted("/a/2", "alice@example.org", nil)},
		{Label: "3", Data: w.is.hosted("/a/3", "alice@example.org", nil)},
	})
	if err != nil {
		t.Fatal(err)
	}
	col, err := w.db.CreateCollection(ctx, alice, "Robots", "All my *robots*.", "ROBOTSROBOTSROBOTSROBOTSRO", w.clock())
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{2, 0} { // in this order
		if err := w.db.AddToCollection(ctx, alice, col, res[i].BadgeID, w.clock()); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	err = w.db.Snapshot(ctx, alice, func(snap *store.Snapshot) error {
		zw := zip.NewWriter(&buf)
		if err := WriteExport(zw, snap, w.clock()); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		t.Fatal(err)
	}

	// The same person on another Backpack, a day later.
	there := newWorldOf(t, w.is)
	there.advance(24 * time.Hour)
	again := there.user(t, "alice@example.org")
	job, err := there.start(t, again, "backpack-export.zip", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	there.runJobs(t)
	j, _ := there.db.ImportJob(ctx, again, job)
	if j.State != store.JobDone || j.Outcomes["added"] != 3 || j.CollectionsMade != 1 {
		t.Fatalf("job %+v", j)
	}
	cols, _ := there.db.Collections(ctx, again)
	if len(cols) != 1 || cols[0].Name != "Robots" || cols[0].Description != "All my *robots*." || cols[0].Count != 2 {
		t.Fatalf("collections %+v", cols)
	}
	in, _ := there.db.CollectionBadges(ctx, cols[0].ID)
	first, _ := w.db.BadgeByID(ctx, alice, res[2].BadgeID)
	second, _ := w.db.BadgeByID(ctx, alice, res[0].BadgeID)
	if len(in) != 2 || !bytes.Equal(in[0].ContentHash, first.ContentHash) || !bytes.Equal(in[1].ContentHash, second.ContentHash) {
		t.Fatalf("collection order or originals lost: %d badges", len(in))
	}
	if !in[0].VerifiedAt.Equal(there.clock()) {
		t.Errorf("imported badges were not verified again: verified at %v, now %v", in[0].VerifiedAt, there.clock())
	}
}

func TestReverifierMarksRevokedBadges(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	res, _ := w.svc.Import(ctx, alice, []Item{
		{Label: "1", Data: w.is.hosted("/a/1", "alice@example.org", nil)},
		{Label: "2", Data: w.is.hosted("/a/2", "alice@example.org", nil)},
	})
	r := &Reverifier{Service: w.svc, Every: 24 * time.Hour}
	if n, err := r.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce right after import: %d, %v", n, err)
	}
	w.is.Status("/a/1", http.StatusGone)
	w.advance(25 * time.Hour)
	if n, err := r.RunOnce(ctx); err != nil || n != 2 {
		t.Fatalf("RunOnce a day later: %d, %v", n, err)
	}
	if n, _ := r.RunOnce(ctx); n != 0 {
		t.Fatalf("checked twice in a row: %d", n)
	}
	one, _ := w.db.BadgeByID(ctx, alice, res[0].BadgeID)
	two, _ := w.db.BadgeByID(ctx, alice, res[1].BadgeID)
	if one.Status != store.StatusRevoked || two.Status != store.StatusVerified || !two.VerifiedAt.Equal(w.clock()) {
		t.Fatalf("after re-verification: %q, %q (verified %v)", one.Status, two.Status, two.VerifiedAt)
	}
}

func TestRunImportsStopsAndResumes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	id, err := w.start(t, alice, "a.zip", zipOf(t, [2]string{"one.json", string(w.is.hosted("/a/1", "alice@example.org", nil))}))
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.svc.RunImports(rctx); close(done) }()
	testwait.Until(t, "the job finishes", func() bool {
		j, _ := w.db.ImportJob(ctx, alice, id)
		return j.State == store.JobDone
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunImports did not stop")
	}
}
