package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"backpack/internal/testclock"
	"backpack/openbadges"
	"backpack/store"
)

// saveBadges stores n verified badges for the user, each with its own
// small image, and returns their ids in order. Each original is padded to
// at least originalSize bytes (a baked PNG is some kilobytes; 0 keeps it
// tiny).
func saveBadges(tb testing.TB, db *store.DB, userID int64, n, originalSize int) []int64 {
	tb.Helper()
	ctx := context.Background()
	t0 := testclock.Date(-6, 0, 0) // verified and issued years ago, by the app's clock too
	ids := make([]int64, 0, n)
	for i := range n {
		orig := []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", originalSize)))
		sum := sha256.Sum256(orig)
		id, _, err := db.SaveBadge(ctx, store.Badge{UserID: userID, ContentHash: sum[:], Original: orig, OriginalType: "json",
			Spec: "2.0", Format: "hosted", Name: fmt.Sprintf("Badge %05d", i), IssuerName: fmt.Sprintf("Issuer %d", i%37),
			IssuedOn: t0.Add(time.Duration(i) * time.Hour), BadgeJSON: []byte(`{}`), Status: store.StatusVerified,
			Image: []byte(fmt.Sprintf("\x89PNG image %d", i)), ImageType: "image/png",
			ReportJSON: []byte(`{}`), VerifiedAt: t0, CreatedAt: t0})
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// benchmarkBackpackPage renders the first page of a backpack holding n
// badges, through the whole router (session, store, template).
func benchmarkBackpackPage(b *testing.B, n int) {
	a := newApp(b)
	alice := a.signUpConfirmed(b, "alice@example.org")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	saveBadges(b, a.db, u.ID, n, 0)
	b.ResetTimer()
	benchSignedIn(b, a, alice, "/badges")
}

func BenchmarkBackpackPage10(b *testing.B)    { benchmarkBackpackPage(b, 10) }
func BenchmarkBackpackPage10000(b *testing.B) { benchmarkBackpackPage(b, 10000) }

// saveRichBadge stores one verified badge with what a real one carries:
// a criteria narrative, evidence, alignments, tags, and a report with a
// dozen checks and the badge in it. It returns the badge's id.
func saveRichBadge(tb testing.TB, db *store.DB, userID int64) int64 {
	tb.Helper()
	t0 := testclock.Date(-1, 0, 0)
	exp := testclock.Date(2, 0, 0)
	ob := openbadges.Badge{ID: "https://issuer.example/assertions/1", Name: "Robot Wrangler",
		Description: strings.Repeat("Wrangles robots of every size with care. ", 8), Image: "https://issuer.example/robot.png",
		Criteria: openbadges.Criteria{URL: "https://issuer.example/criteria", Narrative: strings.Repeat("- Wrangle *three* robots, [documented](https://example.org).\n", 12)},
		Issuer:   openbadges.Issuer{ID: "https://issuer.example/issuer", Name: "Test Academy", URL: "https://issuer.example/", Email: "badges@issuer.example"},
		IssuedOn: t0, Expires: &exp, Recipient: openbadges.Recipient{Type: "email", Identity: "sha256$" + strings.Repeat("ab", 32), Hashed: true, Salt: "pepper"},
		Tags: []string{"robots", "care", "engineering", "safety"}, BadgeClass: "https://issuer.example/badges/robot"}
	for i := range 3 {
		ob.Evidence = append(ob.Evidence, openbadges.Evidence{ID: fmt.Sprintf("https://example.org/evidence/%d", i), Name: "Logbook", Description: "Three robots wrangled.", Narrative: "See the logbook."})
		ob.Alignments = append(ob.Alignments, openbadges.Alignment{TargetName: "Robotics", TargetURL: "https://framework.example/robotics", TargetDescription: "Robot handling", TargetFramework: "Skills", TargetCode: fmt.Sprint("R", i)})
	}
	yes := true
	rep := openbadges.Report{Valid: true, Spec: "2.0", Format: "hosted", Source: "png", Recipient: openbadges.RecipientResult{Matched: &yes, Identity: "alice@example.org"}, Badge: &ob}
	for i := range 12 {
		rep.Checks = append(rep.Checks, openbadges.Check{Name: fmt.Sprint("check-", i), OK: true, Message: "passed, as it should, with a sentence of detail"})
	}
	bj, _ := json.Marshal(ob)
	rj, _ := json.Marshal(rep)
	id, _, err := db.SaveBadge(context.Background(), store.Badge{UserID: userID, Original: []byte("rich badge"), OriginalType: "json",
		Spec: "2.0", Format: "hosted", Name: ob.Name, IssuerName: ob.Issuer.Name, Description: ob.Description, Tags: ob.Tags,
		IssuedOn: t0, Expires: &exp, BadgeJSON: bj, ReportJSON: rj, Status: store.StatusVerified, Recipient: "alice@example.org",
		Image: []byte("\x89PNG rich"), ImageType: "image/png", VerifiedAt: t0, CreatedAt: t0})
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// BenchmarkBadgePage renders the owner's page of one shared badge (the
// badge, its report, its share options and collections) through the
// whole router.
func BenchmarkBadgePage(b *testing.B) {
	a := newApp(b)
	alice := a.signUpConfirmed(b, "alice@example.org")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	id := saveRichBadge(b, a.db, u.ID)
	if _, err := a.db.ShareBadge(context.Background(), u.ID, id, rand.Text(), a.clock.now()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	benchSignedIn(b, a, alice, fmt.Sprintf("/badges/%d", id))
}

// BenchmarkPublicBadge renders a shared badge's public page and its JSON
// twin, with the page cache emptied before each request.
func BenchmarkPublicBadge(b *testing.B) {
	a := newApp(b)
	a.signUpConfirmed(b, "alice@example.org")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	sh, err := a.db.ShareBadge(context.Background(), u.ID, saveRichBadge(b, a.db, u.ID), rand.Text(), a.clock.now())
	if err != nil {
		b.Fatal(err)
	}
	for _, tg := range []struct{ name, path string }{{"page", "/b/" + sh.Slug}, {"json", "/b/" + sh.Slug + ".json"}} {
		b.Run(tg.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+tg.path, nil)
			b.ReportAllocs()
			for b.Loop() {
				a.pages = newPageCache()
				rec := httptest.NewRecorder()
				a.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

// publicTarget is one public URL measured against the static file server.
type publicTarget struct {
	name string // collection50, embed50, shield
	path string
}

// publicTargets builds a backpack whose owner shares a collection of n
// badges and the first badge on its own, through the store calls the web
// layer makes, and returns the app and the public URLs to measure: the
// collection page, its embed widget and the badge's SVG shield. Each
// badge's original is 16 KiB, the size of a small baked PNG, so that reads
// of whole badge rows cost what they would in a real backpack.
func publicTargets(tb testing.TB, n int) (*app, []publicTarget) {
	tb.Helper()
	a := newApp(tb)
	a.signUpConfirmed(tb, "alice@example.org")
	ctx := context.Background()
	u, err := a.db.UserByEmail(ctx, "alice@example.org")
	if err != nil {
		tb.Fatal(err)
	}
	ids := saveBadges(tb, a.db, u.ID, n, 16<<10)
	now := a.clock.now()
	sh, err := a.db.ShareBadge(ctx, u.ID, ids[0], rand.Text(), now)
	if err != nil {
		tb.Fatal(err)
	}
	const name, desc = "Work I am proud of", "Badges from **three** years of _volunteering_ and [courses](https://example.org/courses)."
	col, err := a.db.CreateCollection(ctx, u.ID, name, desc, rand.Text(), now)
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.db.UpdateCollection(ctx, u.ID, col, name, desc, true, false, "", now); err != nil {
		tb.Fatal(err)
	}
	for _, id := range ids {
		if err := a.db.AddToCollection(ctx, u.ID, col, id, now); err != nil {
			tb.Fatal(err)
		}
	}
	c, err := a.db.CollectionByID(ctx, u.ID, col)
	if err != nil {
		tb.Fatal(err)
	}
	return a, []publicTarget{
		{fmt.Sprintf("collection%d", n), "/c/" + c.Slug},
		{fmt.Sprintf("embed%d", n), "/embed/c/" + c.Slug},
		{"shield", "/embed/b/" + sh.Slug + ".svg"},
	}
}

// staticTwin writes each body under dir at its URL path and returns
// http.FileServer over dir, answering with the content type Backpack
// gave (types maps the URL path to it), so both servers send the same
// bytes as the same type.
func staticTwin(tb testing.TB, dir string, bodies map[string][]byte, types map[string]string) http.Handler {
	tb.Helper()
	for p, body := range bodies {
		file := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(file, body, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	fs := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct, ok := types[r.URL.Path]; ok {
			w.Header().Set("Content-Type", ct)
		}
		fs.ServeHTTP(w, r)
	})
}

// fetchOK answers one unconditional GET for path from h and fails unless
// it is a 200.
func fetchOK(tb testing.TB, h http.Handler, path string) *httptest.ResponseRecorder {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://backpack.test"+path, nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET %s: status %d: %s", path, rec.Code, rec.Body)
	}
	return rec
}

// BenchmarkPublic renders the public pages (a collection of 50 badges,
// its embed widget, a badge's SVG shield) through the whole router, each
// next to http.FileServer sending the same bytes: compare x/backpack
// with x/static. Requests are unconditional, so every page is rendered.
func BenchmarkPublic(b *testing.B) {
	a, targets := publicTargets(b, 50)
	bodies, types := map[string][]byte{}, map[string]string{}
	for _, tg := range targets {
		rec := fetchOK(b, a, tg.path)
		bodies[tg.path], types[tg.path] = rec.Body.Bytes(), rec.Header().Get("Content-Type")
	}
	static := staticTwin(b, b.TempDir(), bodies, types)
	for _, tg := range targets {
		if rec := fetchOK(b, static, tg.path); !bytes.Equal(rec.Body.Bytes(), bodies[tg.path]) || rec.Header().Get("Content-Type") != types[tg.path] {
			b.Fatalf("%s: the static server does not send what Backpack sent", tg.path)
		}
	}
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) {
			// "rendered" empties the page cache before each request: the
			// cost of a page that changed, or of the first visitor.
			rendered := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				a.pages = newPageCache()
				a.ServeHTTP(w, r)
			})
			for _, side := range []struct {
				name string
				h    http.Handler
			}{{"backpack", a}, {"rendered", rendered}, {"static", static}} {
				b.Run(side.name, func(b *testing.B) {
					req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+tg.path, nil)
					b.SetBytes(int64(len(bodies[tg.path])))
					b.ReportAllocs()
					for b.Loop() {
						rec := httptest.NewRecorder()
						side.h.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatalf("status %d", rec.Code)
						}
					}
				})
			}
		})
	}
}

// BenchmarkExport streams the whole export of a backpack of 1,000 badges
// with 16 KiB originals (as a small baked PNG) through the router.
func BenchmarkExport(b *testing.B) {
	a := newApp(b)
	alice := a.signUpConfirmed(b, "alice@example.org")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	saveBadges(b, a.db, u.ID, 1000, 16<<10)
	b.ReportAllocs()
	n := benchSignedIn(b, a, alice, "/settings/export.zip")
	b.SetBytes(int64(n))
}

// benchSignedIn GETs path as the signed-in user of br until the benchmark
// is done, failing on any status but 200, and returns the size of the last
// answer.
func benchSignedIn(b *testing.B, a *app, br *browser, path string) (size int) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://backpack.test"+path, nil)
	for _, c := range br.jar.Cookies(base) {
		req.AddCookie(c)
	}
	for b.Loop() {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: status %d", path, rec.Code)
		}
		size = rec.Body.Len()
	}
	return size
}
