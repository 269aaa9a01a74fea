package badges

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// badgeSize is what one of the issuer's hosted badges at a path of this
// length takes in a backpack: its original and its image.
func badgeSize(t *testing.T, path string) int64 {
	t.Helper()
	w := newWorld(t)
	u := w.user(t, "alice@example.org")
	res, err := w.svc.Import(context.Background(), u, []Item{{Label: "one", Data: w.is.hosted(path, "alice@example.org", nil)}})
	if err != nil || res[0].Outcome != Added {
		t.Fatalf("%+v, %v", res, err)
	}
	n, err := w.db.StorageUsed(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestQuotaAtTheEdge: with one badge kept, a second that brings the
// backpack to one byte under its quota or to the quota exactly is kept,
// one that would pass it by a byte is refused (quota-exceeded, the quota as
// detail); once the quota is reached nothing more is even verified.
func TestQuotaAtTheEdge(t *testing.T) {
	ctx := context.Background()
	size := badgeSize(t, "/q/1")
	for _, c := range []struct {
		name  string
		quota int64
		want  Outcome
	}{
		{"just under", 2*size + 1, Added},
		{"at", 2 * size, Added},
		{"over", 2*size - 1, Rejected},
	} {
		w := newWorld(t)
		w.svc.quota = c.quota
		u := w.user(t, "alice@example.org")
		var got []Result
		for i := 1; i <= 2; i++ {
			res, err := w.svc.Import(ctx, u, []Item{{Label: "b", Data: w.is.hosted(fmt.Sprintf("/q/%d", i), "alice@example.org", nil)}})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, res[0])
		}
		if got[0].Outcome != Added || got[1].Outcome != c.want {
			t.Errorf("%s: %s then %s, want added then %s", c.name, got[0].Outcome, got[1].Outcome, c.want)
		}
		if c.want == Rejected && (got[1].Code != CodeQuotaExceeded || got[1].Detail != strconv.FormatInt(c.quota, 10)) {
			t.Errorf("%s: %+v, want %s with the quota", c.name, got[1], CodeQuotaExceeded)
		}
		if c.name != "at" {
			continue
		}
		// Full: a third badge is refused before anything is fetched.
		doc := w.is.hosted("/q/3", "alice@example.org", nil)
		res, _ := w.svc.Import(ctx, u, []Item{{Label: "c", Data: doc}})
		if res[0].Code != CodeQuotaExceeded || w.is.Hits("/q/3") != 0 {
			t.Errorf("when full: %+v after %d fetches, want %s and none", res[0], w.is.Hits("/q/3"), CodeQuotaExceeded)
		}
		if u, _ := w.svc.Usage(ctx, u); u != (Usage{Used: 2 * size, Quota: 2 * size}) {
			t.Errorf("usage %+v", u)
		}
	}
}

// TestQuotaStopsAZipHalfway: a ZIP of five badges (and one again) for a
// backpack with room for three and a half: three are added, the others
// say the quota is reached, the one already there is a duplicate.
func TestQuotaStopsAZipHalfway(t *testing.T) {
	size := badgeSize(t, "/z/1")
	for _, c := range []struct {
		name  string
		quota int64
	}{
		{"room for a half", 3*size + size/2}, // each is verified, and refused when saved
		{"exactly full", 3 * size},           // the rest are refused unverified
	} {
		w := newWorld(t)
		w.svc.quota = c.quota
		u := w.user(t, "alice@example.org")
		var files [][2]string
		for i := 1; i <= 5; i++ {
			files = append(files, [2]string{fmt.Sprintf("%d.json", i), string(w.is.hosted(fmt.Sprintf("/z/%d", i), "alice@example.org", nil))})
		}
		files = append(files, [2]string{"1-again.json", files[0][1]})
		id, err := w.start(t, u, "badges.zip", zipOf(t, files...))
		if err != nil {
			t.Fatal(err)
		}
		w.runJobs(t)
		items, _ := w.db.ImportItems(context.Background(), id)
		var got []string
		for _, it := range items {
			got = append(got, it.Outcome+" "+it.Code)
		}
		again := "duplicate "
		if c.quota == 3*size {
			again = "rejected quota-exceeded" // full: not even verified
		}
		want := []string{"added ", "added ", "added ", "rejected quota-exceeded", "rejected quota-exceeded", again}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: items (-want +got):\n%s", c.name, diff)
		}
		if used, _ := w.db.StorageUsed(context.Background(), u); used != 3*size {
			t.Errorf("%s: %d bytes kept, want %d", c.name, used, 3*size)
		}
	}
}

// TestQuotaCountsPendingBadges: a badge kept until an identity is confirmed
// takes room too, and is refused past the quota.
func TestQuotaCountsPendingBadges(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	u := w.user(t, "alice@example.org")
	doc := w.is.hosted("/p/1", "someone-else@example.org", nil)
	w.svc.quota = int64(len(doc)) - 1
	res, _ := w.svc.Import(ctx, u, []Item{{Label: "p", Data: doc}})
	if res[0].Code != CodeQuotaExceeded {
		t.Fatalf("pending past the quota: %+v", res[0])
	}
	w.svc.quota++
	res, _ = w.svc.Import(ctx, u, []Item{{Label: "p", Data: doc}})
	if res[0].Outcome != Pending {
		t.Fatalf("pending at the quota: %+v", res[0])
	}
	if got, _ := w.svc.Usage(ctx, u); got.Used != int64(len(doc)) {
		t.Errorf("usage %+v, want the pending original's %d bytes", got, len(doc))
	}
}
