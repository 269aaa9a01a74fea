package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestImportJobs(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	alice, _, _ := db.CreateUser(ctx, "alice@example.org", "h", now)
	bob, _, _ := db.CreateUser(ctx, "bob@example.org", "h", now)
	mine, _, _ := db.SaveBadge(ctx, Badge{UserID: alice.ID, Original: []byte("a"), OriginalType: "json", Name: "A", BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})
	bobs, _, _ := db.SaveBadge(ctx, Badge{UserID: bob.ID, Original: []byte("b"), OriginalType: "json", Name: "B", BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified})

	job, err := db.CreateImportJob(ctx, alice.ID, "a.zip", `[]`, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddImportItems(ctx, job, []ImportItem{{Seq: 1, Name: "one", Data: []byte("1")}, {Seq: 2, Name: "two", Data: []byte("2"), Ref: "0002"}}); err != nil {
		t.Fatal(err)
	}
	// Receiving: invisible to the owner and the worker.
	if _, err := db.ImportJob(ctx, alice.ID, job); !errors.Is(err, ErrNotFound) {
		t.Fatalf("receiving job visible: %v", err)
	}
	if q, _ := db.QueuedImportJobs(ctx); len(q) != 0 {
		t.Fatal("receiving job queued")
	}
	if n, _ := db.QueuedImportJobCount(ctx, alice.ID); n != 0 {
		t.Fatalf("receiving job counted as queued: %d", n)
	}
	if err := db.QueueImportJob(ctx, job, 2); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.QueuedImportJobCount(ctx, alice.ID); n != 1 {
		t.Fatalf("%d queued jobs, want 1", n)
	}
	if _, err := db.ImportJob(ctx, bob.ID, job); !errors.Is(err, ErrNotFound) {
		t.Fatal("bob sees alice's job")
	}
	items, err := db.ClaimImportItems(ctx, job, 10, now, time.Minute)
	if err != nil || len(items) != 2 || string(items[1].Data) != "2" || items[1].Ref != "0002" {
		t.Fatalf("next items %+v %v", items, err)
	}
	items[0].Outcome, items[0].BadgeID, items[0].Code, items[0].Detail = "added", mine, "expired", "on 1 May"
	if err := db.FinishImportItem(ctx, items[0]); err != nil {
		t.Fatal(err)
	}
	if page, _ := db.ImportItemsPage(ctx, job, 0, 1); len(page) != 1 || page[0].Code != "expired" || page[0].Detail != "on 1 May" || !page[0].Done {
		t.Fatalf("finished item reads back as %+v", page)
	}
	j, _ := db.ImportJob(ctx, alice.ID, job)
	if j.Done != 1 || j.Total != 2 || j.Outcomes["added"] != 1 || j.State != JobQueued {
		t.Fatalf("progress %+v", j)
	}
	if next, _ := db.ClaimImportItems(ctx, job, 10, now.Add(time.Minute), time.Minute); len(next) != 1 || next[0].Seq != 2 {
		t.Fatalf("next after one: %+v", next)
	}
	// Finishing creates the collections once, with the user's badges only.
	cols := []NewCollection{{Name: "Back", Shared: true, Slug: "slug-back", BadgeIDs: []int64{bobs, mine, mine}}}
	for range 2 {
		if err := db.FinishImportJob(ctx, job, cols, now); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := db.QueuedImportJobCount(ctx, alice.ID); n != 0 {
		t.Fatalf("finished job still counted: %d", n)
	}
	list, _ := db.Collections(ctx, alice.ID)
	if len(list) != 1 || list[0].Count != 1 || !list[0].Shared {
		t.Fatalf("collections %+v", list)
	}
	if all, _ := db.ImportItems(ctx, job); len(all) != 2 || all[0].Data != nil {
		t.Fatalf("items after finishing %+v", all)
	}
	if next, _ := db.ClaimImportItems(ctx, job, 10, now.Add(2*time.Minute), time.Minute); len(next) != 1 || next[0].Data != nil {
		t.Fatalf("bytes kept after the job is done: %+v", next)
	}
	// A job cut off while received is deleted at start (and can no longer
	// be queued); others stay.
	cut, _ := db.CreateImportJob(ctx, bob.ID, "b.zip", "", now)
	if n, err := db.DeleteReceivingJobs(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteReceivingJobs = %d, %v", n, err)
	}
	if err := db.QueueImportJob(ctx, cut, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("queueing a deleted job: %v, want ErrNotFound", err)
	}
	if jobs, _ := db.ImportJobs(ctx, alice.ID); len(jobs) != 1 || jobs[0].State != JobDone || jobs[0].CollectionsMade != 1 {
		t.Fatalf("alice's jobs %+v", jobs)
	}
}

func TestSaveBadgeRecordsItsImportItem(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	u, _, _ := db.CreateUser(ctx, "alice@example.org", "h", now)
	job, _ := db.CreateImportJob(ctx, u.ID, "a.zip", "", now)
	db.AddImportItems(ctx, job, []ImportItem{{Seq: 1, Name: "one", Data: []byte("1")}, {Seq: 2, Name: "again", Data: []byte("1")}})
	db.QueueImportJob(ctx, job, 2)
	codes := map[SaveOutcome]string{Added: "expired", Duplicate: "seen"}
	for seq := 1; seq <= 2; seq++ {
		_, _, err := db.SaveBadge(ctx, Badge{UserID: u.ID, Original: []byte("1"), OriginalType: "json", Name: "One",
			BadgeJSON: []byte("{}"), ReportJSON: []byte("{}"), Status: StatusVerified,
			FromItem: &ItemOutcome{JobID: job, Seq: seq, Codes: codes}})
		if err != nil {
			t.Fatal(err)
		}
	}
	items, _ := db.ImportItems(ctx, job)
	if len(items) != 2 || !items[0].Done || items[0].Outcome != "added" || items[0].Code != "expired" || items[0].BadgeID == 0 ||
		!items[1].Done || items[1].Outcome != "duplicate" || items[1].Code != "seen" || items[1].BadgeID != items[0].BadgeID {
		t.Fatalf("items %+v", items)
	}
	if n, _ := db.UnfinishedImportItems(ctx, job); n != 0 {
		t.Fatalf("%d items left to do", n)
	}
}

func TestClaimImportItems(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	u, _, _ := db.CreateUser(ctx, "alice@example.org", "h", now)
	job, _ := db.CreateImportJob(ctx, u.ID, "a.zip", "", now)
	var items []ImportItem
	for i := 1; i <= 5; i++ {
		items = append(items, ImportItem{Seq: i, Name: "f", Data: []byte{byte(i)}})
	}
	db.AddImportItems(ctx, job, items)
	db.QueueImportJob(ctx, job, 5)
	seqs := func(its []ImportItem) (out []int) {
		for _, it := range its {
			out = append(out, it.Seq)
		}
		return out
	}
	// Two workers at once get different items, with their bytes.
	a, err := db.ClaimImportItems(ctx, job, 2, now, time.Minute)
	if err != nil || len(a) != 2 || a[0].Seq != 1 || a[1].Seq != 2 || a[1].Data[0] != 2 {
		t.Fatalf("first claim %v %v", seqs(a), err)
	}
	b, _ := db.ClaimImportItems(ctx, job, 10, now, time.Minute)
	if got := seqs(b); len(got) != 3 || got[0] != 3 {
		t.Fatalf("second claim %v", got)
	}
	if c, _ := db.ClaimImportItems(ctx, job, 10, now.Add(30*time.Second), time.Minute); len(c) != 0 {
		t.Fatalf("claimed items claimed again: %v", seqs(c))
	}
	// One is finished; when the claims run out, the others are free again.
	a[0].Outcome = "added"
	db.FinishImportItem(ctx, a[0])
	if n, _ := db.UnfinishedImportItems(ctx, job); n != 4 {
		t.Fatalf("%d unfinished, want 4", n)
	}
	if c, _ := db.ClaimImportItems(ctx, job, 10, now.Add(time.Minute), time.Minute); len(c) != 4 || c[0].Seq != 2 {
		t.Fatalf("after the lease: %v", seqs(c))
	}
}
