package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sharedCollectionOf shares a collection of n of alice's badges (each
// original padded to originalSize bytes) through the store and returns
// the app, the collection's slug and the badge ids in the collection's
// order, which is not the order they were saved in.
func sharedCollectionOf(tb testing.TB, n, originalSize int) (*app, string, []int64) {
	a, _, slug, ids := sharedCollectionOfUser(tb, n, originalSize)
	return a, slug, ids
}

// sharedCollectionOfUser is sharedCollectionOf, and the owner's id.
func sharedCollectionOfUser(tb testing.TB, n, originalSize int) (*app, int64, string, []int64) {
	tb.Helper()
	a := newApp(tb)
	ctx := context.Background()
	now := a.clock.now()
	alice, _, err := a.db.CreateUser(ctx, "alice@example.org", "x", now)
	if err != nil {
		tb.Fatal(err)
	}
	ids := saveBadges(tb, a.db, alice.ID, n, originalSize)
	const name, desc = "Work I am proud of", "Badges from **three** years of _volunteering_ and [courses](https://example.org/courses)."
	slug := rand.Text()
	col, err := a.db.CreateCollection(ctx, alice.ID, name, desc, slug, now)
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.db.UpdateCollection(ctx, alice.ID, col, name, desc, true, false, "", now); err != nil {
		tb.Fatal(err)
	}
	for _, id := range ids {
		if err := a.db.AddToCollection(ctx, alice.ID, col, id, now); err != nil {
			tb.Fatal(err)
		}
	}
	if n > 2 {
		ids[0], ids[n-1] = ids[n-1], ids[0]
		if err := a.db.SetCollectionOrder(ctx, alice.ID, col, ids, now); err != nil {
			tb.Fatal(err)
		}
	}
	return a, alice.ID, slug, ids
}

// linkHeader reads the rel="prev" and rel="next" targets of a Link header.
func linkHeader(h string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(h, ",") {
		target, rel, ok := strings.Cut(strings.TrimSpace(part), ";")
		if ok {
			out[strings.Trim(strings.TrimSpace(rel), `rel="`)] = strings.Trim(target, "<>")
		}
	}
	return out
}

// TestPublicCollectionPages walks a shared collection larger than a page,
// on its page and its JSON twin, forwards and back: every badge once, in
// the collection's order, with rel=next and rel=prev to lead the way.
func TestPublicCollectionPages(t *testing.T) {
	n := 2*collectionPageSize + 3
	a, owner, slug, ids := sharedCollectionOfUser(t, n, 0)
	visitor := a.browser(t)
	pub := "/c/" + slug
	byName := map[string]int64{} // the JSON twin names badges; the page numbers them
	for _, id := range ids {
		b, err := a.db.BadgeByID(context.Background(), owner, id)
		if err != nil {
			t.Fatal(err)
		}
		byName[b.Name] = id
	}

	walk := func(start string, json bool, rel string) [][]int64 {
		t.Helper()
		var pages [][]int64
		for path := start; path != ""; {
			p := visitor.get(path)
			wantStatus(t, p, http.StatusOK)
			var got []int64
			links := linkHeader(p.Header.Get("Link"))
			if json {
				var twin struct {
					Badges     []struct{ Name string }
					Next, Prev *string
				}
				if err := jsonUnmarshal(p.body, &twin); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				for _, b := range twin.Badges {
					got = append(got, byName[b.Name])
				}
				for r, v := range map[string]*string{"next": twin.Next, "prev": twin.Prev} {
					if (v == nil) != (links[r] == "") || (v != nil && *v != links[r]) {
						t.Fatalf("%s: JSON %s %v, Link header %q", path, r, v, links[r])
					}
				}
			} else {
				p.doc.Find(`[data-testid=public-card] input[name=badge_id]`).Each(func(_ int, s *goquerySelection) {
					id, _ := strconv.ParseInt(s.AttrOr("value", ""), 10, 64)
					got = append(got, id)
				})
				for _, r := range []string{"next", "prev"} {
					head, _ := p.doc.Find(`head link[rel=` + r + `]`).Attr("href")
					pager, _ := p.doc.Find(`[data-testid=collection-pages] a[rel=` + r + `]`).Attr("href")
					if want := strings.TrimPrefix(links[r], "http://backpack.test"); head != want || pager != want {
						t.Fatalf("%s: rel=%s: head %q, pager %q, Link header %q", path, r, head, pager, links[r])
					}
				}
			}
			if len(got) == 0 || len(got) > collectionPageSize {
				t.Fatalf("%s: %d badges on a page", path, len(got))
			}
			pages = append(pages, got)
			path = strings.TrimPrefix(links[rel], "http://backpack.test")
		}
		return pages
	}

	pages := walk(pub, false, "next")
	if got := slices.Concat(pages...); !slices.Equal(got, ids) {
		t.Fatalf("the pages show %v, want the collection's order %v", got, ids)
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages of %d badges", len(pages), n)
	}
	// Back from the last page by rel=prev: the same badges.
	last := "/c/" + slug + "?after=" + strconv.FormatInt(pages[1][len(pages[1])-1], 10)
	back := walk(last, false, "prev")
	slices.Reverse(back)
	if got := slices.Concat(back...); !slices.Equal(got, ids) {
		t.Fatalf("backwards the pages show %v", got)
	}
	// The JSON twin pages the same way: the same badges in the same order.
	if got := slices.Concat(walk(pub+".json", true, "next")...); !slices.Equal(got, ids) {
		t.Fatalf("the JSON twin's pages show badges %v, want %v", got, ids)
	}

	// A later page answers conditional requests too.
	page2 := pub + "?after=" + strconv.FormatInt(pages[0][len(pages[0])-1], 10)
	p := visitor.get(page2)
	req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+page2, nil)
	req.Header.Set("If-None-Match", p.Header.Get("ETag"))
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified || p.Header.Get("ETag") == visitor.get(pub).Header.Get("ETag") {
		t.Fatalf("page 2: If-None-Match answered %d; its ETag %s", rec.Code, p.Header.Get("ETag"))
	}

	// Verify now on page 2 comes back to page 2.
	a.clock.add(time.Minute)
	id := strconv.FormatInt(pages[1][0], 10)
	after := strconv.FormatInt(pages[0][len(pages[0])-1], 10)
	if v, _ := p.doc.Find(`#badge-` + id + ` input[name=after]`).Attr("value"); v != after {
		t.Fatalf("the Verify now form of a page-2 card carries after=%q, want %q", v, after)
	}
	loc := visitor.postRaw(pub+"/verify", url.Values{"badge_id": {id}, "after": {after}}).Header.Get("Location")
	if u, _ := url.Parse(loc); u.Query().Get("after") != after || u.Query().Get("badge") != id {
		t.Fatalf("Verify now on page 2 goes back to %q", loc)
	}

	// Cursors that are not badges of the collection, or not numbers: 404.
	other, _, _ := a.db.CreateUser(context.Background(), "bob@example.org", "x", a.clock.now())
	outside := saveBadges(t, a.db, other.ID, 1, 0)[0]
	for _, q := range []string{"after=x", "after=0", "after=-3", "before=1e3", "after=" + strconv.FormatInt(outside, 10),
		"before=999999", "after=" + id + "&before=" + id} {
		wantStatus(t, visitor.get(pub+"?"+q), http.StatusNotFound)
		wantStatus(t, visitor.get(pub+".json?"+q), http.StatusNotFound)
	}

	// The embed shows the first page and links to the whole; oEmbed sizes
	// the widget for that page.
	e := visitor.get("/embed/c/" + slug)
	if got := e.doc.Find(`[data-testid=embed-card]`).Length(); got != collectionPageSize || !strings.Contains(e.text(), "All of Work I am proud of") {
		t.Fatalf("embed: %d cards; %s", got, e.text())
	}
	o := visitor.get("/oembed?url=" + url.QueryEscape("http://backpack.test"+pub))
	var oe oEmbedResponse
	if err := jsonUnmarshal(o.body, &oe); err != nil || oe.Height != 60+100*((collectionPageSize+1)/2) {
		t.Fatalf("oEmbed: %v %+v", err, oe)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// TestPublicCollectionCostDoesNotGrowWithItsSize holds item 14 of issue
// 15: the first page of a public collection of many badges sends and
// allocates about what the page of a collection of ten does. (Times are
// the benchmark's: BenchmarkPublicCollectionSize.)
func TestPublicCollectionCostDoesNotGrowWithItsSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a collection of 1,000 badges")
	}
	cost := func(n int) (sent int, allocs float64) {
		a, slug, _ := sharedCollectionOf(t, n, 1<<10)
		for _, path := range []string{"/c/" + slug, "/c/" + slug + ".json", "/embed/c/" + slug} {
			body := fetchOK(t, a, path).Body.Len()
			allocs += testing.AllocsPerRun(5, func() {
				a.pages = newPageCache()
				fetchOK(t, a, path)
			})
			sent += body
		}
		return sent, allocs
	}
	smallSent, smallAllocs := cost(10)
	largeSent, largeAllocs := cost(1000)
	t.Logf("page, JSON twin and embed at 10 badges: %d bytes, %.0f allocations; at 1,000: %d bytes, %.0f allocations",
		smallSent, smallAllocs, largeSent, largeAllocs)
	if r := float64(largeSent) / float64(smallSent); r > 2 {
		t.Errorf("1,000 badges send %.1f× what 10 do", r)
	}
	if r := largeAllocs / smallAllocs; r > 2 {
		t.Errorf("1,000 badges allocate %.1f× what 10 do", r)
	}
}

// BenchmarkPublicCollectionSize requests the first page of a public
// collection of 10 badges and of one of 10,000 (16 KiB originals, as
// small baked PNGs), alternately in one loop, with the page cache emptied
// before each request: the page, its JSON twin and the embed. For each
// size it reports the wall time, this thread's CPU time (steadier on a
// shared machine), the bytes sent, and the bytes and allocations the
// request cost; then the ratios of the large to the small (x-…). Issue
// 15 asks that the large cost at most 1.5× the small.
func BenchmarkPublicCollectionSize(b *testing.B) {
	type side struct {
		name, slug string
		a          *app
	}
	sides := []side{{name: "10"}, {name: "10000"}}
	for i := range sides {
		n, _ := strconv.Atoi(sides[i].name)
		sides[i].a, sides[i].slug, _ = sharedCollectionOf(b, n, 16<<10)
	}
	for _, kind := range []struct{ name, prefix, suffix string }{{"page", "/c/", ""}, {"json", "/c/", ".json"}, {"embed", "/embed/c/", ""}} {
		b.Run(kind.name, func(b *testing.B) {
			type cost struct {
				wall, cpu        time.Duration
				sent, heap, objs uint64
			}
			costs := make([]cost, len(sides))
			for _, s := range sides { // warm the database's pages; collect the setup's garbage
				fetchOK(b, s.a, kind.prefix+s.slug+kind.suffix)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			runs := 0
			for b.Loop() {
				runs++
				for i, s := range sides {
					s.a.pages = newPageCache()
					req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+kind.prefix+s.slug+kind.suffix, nil)
					rec := httptest.NewRecorder()
					runtime.ReadMemStats(&before)
					start, cpu := time.Now(), threadCPU()
					s.a.ServeHTTP(rec, req)
					costs[i].cpu += threadCPU() - cpu
					costs[i].wall += time.Since(start)
					runtime.ReadMemStats(&after)
					if rec.Code != http.StatusOK {
						b.Fatalf("%s: status %d", req.URL, rec.Code)
					}
					costs[i].sent += uint64(rec.Body.Len())
					costs[i].heap += after.TotalAlloc - before.TotalAlloc
					costs[i].objs += after.Mallocs - before.Mallocs
				}
			}
			per := func(v float64) float64 { return v / float64(runs) }
			for i, s := range sides {
				c := costs[i]
				b.ReportMetric(per(float64(c.wall)), "ns/"+s.name)
				b.ReportMetric(per(float64(c.cpu)), "cpu-ns/"+s.name)
				b.ReportMetric(per(float64(c.sent)), "sent-B/"+s.name)
				b.ReportMetric(per(float64(c.heap)), "B/"+s.name)
				b.ReportMetric(per(float64(c.objs)), "allocs/"+s.name)
			}
			small, large := costs[0], costs[1]
			b.ReportMetric(float64(large.wall)/float64(small.wall), "x-time")
			b.ReportMetric(float64(large.cpu)/float64(small.cpu), "x-cpu")
			b.ReportMetric(float64(large.sent)/float64(small.sent), "x-sent")
			b.ReportMetric(float64(large.heap)/float64(small.heap), "x-B")
			b.ReportMetric(float64(large.objs)/float64(small.objs), "x-allocs")
		})
	}
}
