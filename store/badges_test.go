package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"backpack/openbadges"
)

// newBadge returns a verified badge whose original is unique to name.
func newBadge(userID int64, name string) Badge {
	return Badge{
		UserID:       userID,
		Original:     []byte(`{"name":` + fmt.Sprintf("%q", name) + `}`),
		OriginalType: "json",
		SourceURL:    "https://issuer.example/assertions/1",
		Spec:         "2.0",
		Format:       "hosted",
		Name:         name,
		IssuerName:   "Issuer",
		IssuedOn:     t0,
		BadgeJSON:    []byte(`{"name":` + fmt.Sprintf("%q", name) + `,"issuer":{"name":"Issuer"}}`),
		Status:       StatusVerified,
		ReportJSON:   []byte(`{"valid":true}`),
		VerifiedAt:   t0,
		Recipient:    "a@example.org",
		CreatedAt:    t0,
	}
}

func mustUser(tb testing.TB, db *DB, email string) int64 {
	tb.Helper()
	u, _, err := db.CreateUser(context.Background(), email, "h", t0)
	if err != nil {
		tb.Fatal(err)
	}
	return u.ID
}

func mustSave(tb testing.TB, db *DB, b Badge) int64 {
	tb.Helper()
	id, outcome, err := db.SaveBadge(context.Background(), b)
	if err != nil || outcome != Added {
		tb.Fatalf("SaveBadge(%q) = %d, %s, %v; want added", b.Name, id, outcome, err)
	}
	return id
}

func countRows(tb testing.TB, db *DB, table string) int {
	tb.Helper()
	var n int
	if err := db.r.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// checkCounts asserts that badge_counts agrees with the badges.
func checkCounts(tb testing.TB, db *DB) {
	tb.Helper()
	var n int
	err := db.r.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM
		(SELECT user_id, COUNT(*) AS n FROM badges GROUP BY user_id) c
		FULL JOIN (SELECT user_id, n FROM badge_counts WHERE n > 0) k ON k.user_id = c.user_id
		WHERE c.n IS NOT k.n`).Scan(&n)
	if err != nil {
		tb.Fatal(err)
	}
	if n != 0 {
		tb.Fatalf("badge_counts is wrong for %d users", n)
	}
	// badge_issuers agrees with the issuers the badges name.
	err = db.r.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM
		(SELECT user_id, issuer_name, COUNT(*) AS n FROM badges WHERE issuer_name <> '' GROUP BY user_id, issuer_name) c
		FULL JOIN badge_issuers k ON k.user_id = c.user_id AND k.issuer_name = c.issuer_name
		WHERE c.n IS NOT k.n`).Scan(&n)
	if err != nil {
		tb.Fatal(err)
	}
	if n != 0 {
		tb.Fatalf("badge_issuers is wrong for %d issuers", n)
	}
}

func TestSaveBadgeRoundTrips(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	uid := mustUser(t, db, "a@example.org")
	exp := t0.Add(365 * 24 * time.Hour)
	b := newBadge(uid, "Go Basics")
	b.DedupKey = "https://issuer.example/\nurn:uuid:1"
	b.ValidFrom = t0.Add(-time.Hour)
	b.Description = "Knows the basics"
	b.Tags = []string{"go", "Programming"}
	b.Expires = &exp
	b.Image, b.ImageType = []byte("<svg/>"), "image/svg+xml"
	id := mustSave(t, db, b)

	got, err := db.BadgeByID(ctx, uid, id)
	if err != nil {
		t.Fatal(err)
	}
	want := b
	want.ID = id
	sum, img := sha256.Sum256(b.Original), sha256.Sum256(b.Image)
	want.ContentHash, want.ImageHash, want.Image = sum[:], img[:], nil
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Badge{})); diff != "" {
		t.Fatalf("BadgeByID (-want +got):\n%s", diff)
	}
	ob, rep, err := got.Documents()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(openbadges.Badge{Name: "Go Basics", Issuer: openbadges.Issuer{Name: "Issuer"}}, ob); diff != "" {
		t.Errorf("Badge (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(openbadges.Report{Valid: true}, rep); diff != "" {
		t.Errorf("Report (-want +got):\n%s", diff)
	}
}

// TestUnreadableStoredJSON: a row whose stored badge or report does not
// decode is still read, with its columns and the bytes as stored; the
// document that does not decode is the zero value (never half filled)
// with an error naming the badge, the other one decodes as usual. Every
// read behaves so.
func TestUnreadableStoredJSON(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	uid := mustUser(t, db, "a@example.org")
	col, err := db.CreateCollection(ctx, uid, "C", "", "SLUGSLUGSLUGSLUGSLUGSLUGSL", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateCollection(ctx, uid, col, "C", "", true, false, "", t0); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, badgeJSON, reportJSON string
		badgeBad, reportBad         bool
	}{
		{name: "readable", badgeJSON: `{"name":"readable"}`, reportJSON: `{"valid":true}`},
		{name: "badge not JSON", badgeJSON: `{"name":`, reportJSON: `{"valid":true}`, badgeBad: true},
		{name: "badge of the wrong shape", badgeJSON: `{"name":"half","issuer":"a string"}`, reportJSON: `{"valid":true}`, badgeBad: true},
		{name: "badge empty", badgeJSON: ``, reportJSON: `{"valid":true}`, badgeBad: true},
		{name: "report not JSON", badgeJSON: `{"name":"readable"}`, reportJSON: `[1,`, reportBad: true},
		{name: "report empty", badgeJSON: `{"name":"readable"}`, reportJSON: ``, reportBad: true},
		{name: "both", badgeJSON: `null x`, reportJSON: `{"checks":{}}`, badgeBad: true, reportBad: true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := mustSave(t, db, newBadge(uid, c.name))
			if _, err := db.w.ExecContext(ctx, `UPDATE badges SET badge_json = ?, report_json = ?, claimed_until = 0, verified_at = ? WHERE id = ?`,
				c.badgeJSON, c.reportJSON, unix(t0), id); err != nil {
				t.Fatal(err)
			}
			if err := db.AddToCollection(ctx, uid, col, id, t0); err != nil {
				t.Fatal(err)
			}
			slug := fmt.Sprintf("SHARESHARESHARESHARESHARE%d", i)
			if _, err := db.ShareBadge(ctx, uid, id, slug, t0); err != nil {
				t.Fatal(err)
			}
			reads := map[string]func() (Badge, error){
				"BadgeByID": func() (Badge, error) { return db.BadgeByID(ctx, uid, id) },
				"SharedBadge": func() (Badge, error) {
					b, _, err := db.SharedBadge(ctx, slug)
					return b, err
				},
				"CollectionBadges": func() (Badge, error) {
					bs, err := db.CollectionBadges(ctx, col)
					return bs[len(bs)-1], err
				},
				"ClaimDue": func() (Badge, error) {
					bs, err := db.ClaimDue(ctx, t0.Add(time.Hour), t0.Add(time.Minute), 100, time.Minute)
					if len(bs) != 1 {
						return Badge{}, fmt.Errorf("%d claimed", len(bs))
					}
					return bs[0], err
				},
			}
			for read, get := range reads {
				b, err := get()
				if err != nil {
					t.Fatalf("%s: %v", read, err)
				}
				if b.ID != id || b.Name != c.name || string(b.BadgeJSON) != c.badgeJSON || string(b.ReportJSON) != c.reportJSON {
					t.Errorf("%s: the row is not read as stored: %+v", read, b)
				}
				for range 2 { // decoded once, the same answer again
					ob, badgeErr := b.Badge()
					rep, reportErr := b.Report()
					_, _, docsErr := b.Documents()
					if (badgeErr != nil) != c.badgeBad || (reportErr != nil) != c.reportBad || (docsErr != nil) != (c.badgeBad || c.reportBad) {
						t.Errorf("%s: Badge error %v, Report error %v, Documents error %v", read, badgeErr, reportErr, docsErr)
					}
					wantBadge, wantReport := openbadges.Badge{Name: "readable"}, openbadges.Report{Valid: true}
					if c.badgeBad {
						wantBadge = openbadges.Badge{}
						if !strings.Contains(fmt.Sprint(badgeErr), fmt.Sprintf("badge %d: stored badge", id)) {
							t.Errorf("%s: the error does not name the badge: %v", read, badgeErr)
						}
					}
					if c.reportBad {
						wantReport = openbadges.Report{}
						if !strings.Contains(fmt.Sprint(reportErr), fmt.Sprintf("badge %d: stored report", id)) {
							t.Errorf("%s: the error does not name the badge: %v", read, reportErr)
						}
					}
					if diff := cmp.Diff(wantBadge, ob); diff != "" {
						t.Errorf("%s: Badge (-want +got):\n%s", read, diff)
					}
					if diff := cmp.Diff(wantReport, rep); diff != "" {
						t.Errorf("%s: Report (-want +got):\n%s", read, diff)
					}
				}
			}
			// The export reads the row and its bytes as they are.
			err := db.Snapshot(ctx, uid, func(s *Snapshot) error {
				return s.Badges(false, func(b Badge) error {
					if _, err := b.Badge(); b.ID == id && (string(b.BadgeJSON) != c.badgeJSON || (err != nil) != c.badgeBad) {
						t.Errorf("Snapshot.Badges: %+v, %v", b, err)
					}
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.UpdateVerification(ctx, uid, id, Verification{At: t0.Add(2 * time.Hour)}); err != nil {
				t.Fatal(err) // releases the claim and leaves it out of the next case's
			}
		})
	}
}

func TestSaveBadgeOutcomes(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	uid := mustUser(t, db, "a@example.org")
	const key = "https://issuer.example/\nurn:uuid:1"
	first := newBadge(uid, "First issue")
	first.DedupKey, first.ValidFrom = key, t0
	id := mustSave(t, db, first)

	check := func(b Badge, wantOutcome SaveOutcome) {
		t.Helper()
		got, outcome, err := db.SaveBadge(ctx, b)
		if err != nil || got != id || outcome != wantOutcome {
			t.Fatalf("SaveBadge(%q) = %d, %s, %v; want %d, %s", b.Name, got, outcome, err, id, wantOutcome)
		}
	}
	check(first, Duplicate) // the same bytes

	older := newBadge(uid, "Older issue")
	older.DedupKey, older.ValidFrom = key, t0.Add(-time.Hour)
	check(older, Duplicate)
	same := newBadge(uid, "Same date")
	same.DedupKey, same.ValidFrom = key, t0
	check(same, Duplicate)
	if b, _ := db.BadgeByID(ctx, uid, id); b.Name != "First issue" {
		t.Fatalf("a duplicate changed the badge: %q", b.Name)
	}

	newer := newBadge(uid, "Newer issue")
	newer.DedupKey, newer.ValidFrom = key, t0.Add(time.Hour)
	newer.Status, newer.VerifiedAt, newer.CreatedAt = StatusExpired, t0.Add(time.Hour), t0.Add(time.Hour)
	check(newer, Updated)
	b, err := db.BadgeByID(ctx, uid, id)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "Newer issue" || string(b.Original) != string(newer.Original) || b.Status != StatusExpired ||
		!b.ValidFrom.Equal(newer.ValidFrom) || !b.CreatedAt.Equal(t0) {
		t.Fatalf("after the update: %+v", b)
	}
	check(newer, Duplicate)
	check(first, Duplicate) // the old issue is now an older one

	// No dedup key: only the bytes count.
	other := newBadge(uid, "Unrelated")
	if _, outcome, _ := db.SaveBadge(ctx, other); outcome != Added {
		t.Fatalf("a badge without dedup key: %s", outcome)
	}
	if n := countRows(t, db, "badges"); n != 2 {
		t.Fatalf("%d badges, want 2", n)
	}
	checkCounts(t, db)

	// Another user saving the same bytes gets a badge of their own.
	uid2 := mustUser(t, db, "b@example.org")
	first.UserID = uid2
	if id2, outcome, _ := db.SaveBadge(ctx, first); outcome != Added || id2 == id {
		t.Fatalf("the same badge for another user: %d, %s", id2, outcome)
	}
	checkCounts(t, db)
}

func TestSaveBadgeRefusesBadInput(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	uid := mustUser(t, db, "a@example.org")
	bad := []func(*Badge){
		func(b *Badge) { b.ContentHash = make([]byte, 32) },
		func(b *Badge) { b.Image, b.ImageType = []byte("x"), "" },
		func(b *Badge) { b.Image, b.ImageType, b.ImageHash = []byte("x"), "image/png", make([]byte, 32) },
		func(b *Badge) { b.Status = "fine" },
		func(b *Badge) { b.OriginalType = "exe" },
		func(b *Badge) { b.ImageHash = make([]byte, 32) }, // no such image
		func(b *Badge) { b.UserID = 999 },
	}
	for i, change := range bad {
		b := newBadge(uid, "bad")
		change(&b)
		if _, _, err := db.SaveBadge(ctx, b); err == nil {
			t.Errorf("case %d: saved", i)
		}
	}
	if n := countRows(t, db, "badges") + countRows(t, db, "images"); n != 0 {
		t.Fatalf("%d rows written", n)
	}
}

func TestSaveBadgeDoubleSubmit(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	uid := mustUser(t, db, "a@example.org")
	b := newBadge(uid, "Clicked twice")
	b.DedupKey = "issuer\nbadge"
	type result struct {
		id      int64
		outcome SaveOutcome
		err     error
	}
	results := make(chan result, 8)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			<-start
			id, outcome, err := db.SaveBadge(ctx, b)
			results <- result{id, outcome, err}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	counts := map[SaveOutcome]int{}
	ids := map[int64]bool{}
	for r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		counts[r.outcome]++
		ids[r.id] = true
	}
	if counts[Added] != 1 || counts[Duplicate] != 7 || len(ids) != 1 {
		t.Fatalf("outcomes %v, ids %v", counts, ids)
	}
	if n := countRows(t, db, "badges"); n != 1 {
		t.Fatalf("%d badges, want 1", n)
	}
	checkCounts(t, db)
}

// listFixture stores a small backpack for user A (and one badge for B).
func listFixture(t *testing.T) (db *DB, a int64, ids map[string]int64) {
	db = MustOpen(t)
	a = mustUser(t, db, "a@example.org")
	b := mustUser(t, db, "b@example.org")
	day := 24 * time.Hour
	ids = map[string]int64{}
	for _, f := range []struct {
		name, issuer, desc string
		tags               []string
		issued             time.Time
		status             Status
	}{
		{"Go Basics", "Acme Academy", "Learn the GO language", []string{"programming"}, t0.Add(day), StatusVerified},
		{"100% Effort", "Beta Org", "Tried hard", nil, t0.Add(2 * day), StatusExpired},
		{"Under_score", "Acme Academy", "", []string{"Cooking", "Baking"}, t0.Add(3 * day), StatusRevoked},
		{"zeta", "acme academy", "", nil, t0.Add(day), StatusVerified},
		{"Alpha", "Beta Org", "", nil, time.Time{}, StatusUnverified},
		{"Émile's Ünïcode", "Çedilla", "", nil, t0, StatusVerified},
	} {
		bg := newBadge(a, f.name)
		bg.IssuerName, bg.Description, bg.Tags, bg.IssuedOn, bg.Status = f.issuer, f.desc, f.tags, f.issued, f.status
		ids[f.name] = mustSave(t, db, bg)
	}
	other := newBadge(b, "Go Advanced")
	other.IssuerName = "Acme Academy"
	mustSave(t, db, other)
	return db, a, ids
}

func TestListBadges(t *testing.T) {
	db, a, ids := listFixture(t)
	ctx := context.Background()
	names := func(q BadgeQuery) ([]string, BadgeList) {
		t.Helper()
		l, err := db.ListBadges(ctx, a, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range l.Items {
			if s.ID != ids[s.Name] {
				t.Errorf("%q has id %d, want %d", s.Name, s.ID, ids[s.Name])
			}
			out = append(out, s.Name)
		}
		return out, l
	}
	for _, c := range []struct {
		q     BadgeQuery
		want  []string
		total int
	}{
		// Newest first; the two of the same day newest-stored first; unknown date last.
		{BadgeQuery{}, []string{"Under_score", "100% Effort", "zeta", "Go Basics", "Émile's Ünïcode", "Alpha"}, 6},
		{BadgeQuery{Sort: "bogus; DROP TABLE badges"}, []string{"Under_score", "100% Effort", "zeta", "Go Basics", "Émile's Ünïcode", "Alpha"}, 6},
		{BadgeQuery{Sort: "name"}, []string{"100% Effort", "Alpha", "Go Basics", "Under_score", "zeta", "Émile's Ünïcode"}, 6},
		{BadgeQuery{Sort: "issuer"}, []string{"Go Basics", "Under_score", "zeta", "100% Effort", "Alpha", "Émile's Ünïcode"}, 6},
		{BadgeQuery{Sort: "name", Offset: 1, Limit: 2}, []string{"Alpha", "Go Basics"}, 6},
		{BadgeQuery{Sort: "name", Offset: 5, Limit: 2}, []string{"Émile's Ünïcode"}, 6},
		{BadgeQuery{Sort: "name", Offset: 10}, nil, 6},
		// Search: name, issuer, description, tags; any case.
		{BadgeQuery{Search: "go", Sort: "name"}, []string{"Go Basics"}, 1},
		{BadgeQuery{Search: "LANGUAGE"}, []string{"Go Basics"}, 1},
		{BadgeQuery{Search: "acme", Sort: "name"}, []string{"Go Basics", "Under_score", "zeta"}, 3},
		{BadgeQuery{Search: "baking"}, []string{"Under_score"}, 1},
		{BadgeQuery{Search: " ünï "}, []string{"Émile's Ünïcode"}, 1},
		{BadgeQuery{Search: "çedilla"}, []string{"Émile's Ünïcode"}, 1},
		// Wildcards are literal.
		{BadgeQuery{Search: "%"}, []string{"100% Effort"}, 1},
		{BadgeQuery{Search: "_"}, []string{"Under_score"}, 1},
		{BadgeQuery{Search: `\`}, nil, 0},
		{BadgeQuery{Search: "g%s"}, nil, 0},
		{BadgeQuery{Search: "'"}, []string{"Émile's Ünïcode"}, 1},
		// Filters.
		{BadgeQuery{Status: StatusVerified, Sort: "name"}, []string{"Go Basics", "zeta", "Émile's Ünïcode"}, 3},
		{BadgeQuery{Status: "nonsense"}, nil, 0},
		{BadgeQuery{Issuer: "Acme Academy"}, []string{"Under_score", "Go Basics"}, 2},
		{BadgeQuery{Issuer: "acme academy"}, []string{"zeta"}, 1},
		{BadgeQuery{Issuer: "Acme Academy", Status: StatusRevoked, Search: "cook"}, []string{"Under_score"}, 1},
		{BadgeQuery{Issuer: "Acme Academy", Limit: 1, Offset: 1}, []string{"Go Basics"}, 2},
	} {
		got, l := names(c.q)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", c.q, diff)
		}
		if l.Total != c.total || l.All != 6 {
			t.Errorf("%+v: Total %d All %d, want %d and 6", c.q, l.Total, l.All, c.total)
		}
	}

	issuers, err := db.Issuers(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Acme Academy", "acme academy", "Beta Org", "Çedilla"}, issuers); diff != "" {
		t.Errorf("Issuers (-want +got):\n%s", diff)
	}
	if l, _ := db.ListBadges(ctx, 999, BadgeQuery{}); len(l.Items) != 0 || l.All != 0 {
		t.Errorf("a user without badges sees %+v", l)
	}
}

func TestListBadgesSummaryHasImage(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	uid := mustUser(t, db, "a@example.org")
	b := newBadge(uid, "With image")
	b.Image, b.ImageType = []byte("\x89PNG fake"), "image/png"
	mustSave(t, db, b)
	mustSave(t, db, newBadge(uid, "Without"))
	l, err := db.ListBadges(ctx, uid, BadgeQuery{Sort: "name"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b.Image)
	want := []BadgeSummary{
		{ID: 1, Name: "With image", IssuerName: "Issuer", IssuedOn: t0, Status: StatusVerified, ImageHash: sum[:], ImageType: "image/png"},
		{ID: 2, Name: "Without", IssuerName: "Issuer", IssuedOn: t0, Status: StatusVerified},
	}
	if diff := cmp.Diff(want, l.Items); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// TestListBadgesUsesIndexes checks that no page of the list sorts the whole
// backpack: each order has its index.
func TestListBadgesUsesIndexes(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	plan := func(query string, args []any) string {
		t.Helper()
		rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		return strings.Join(lines, "\n")
	}
	for _, c := range []struct {
		q     BadgeQuery
		index string
	}{
		{BadgeQuery{}, "badges_user_issued"},
		{BadgeQuery{Sort: "name"}, "badges_user_name"},
		{BadgeQuery{Sort: "issuer"}, "badges_user_issuer"},
		{BadgeQuery{Status: StatusVerified}, "badges_user_status"},
		{BadgeQuery{Issuer: "Acme", Sort: "issuer"}, "badges_user_issuer"},
	} {
		query, args := listBadgesSQL(1, c.q)
		p := plan(query, args)
		if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, c.index) {
			t.Errorf("%+v: plan\n%s\nwant %s and no temporary b-tree", c.q, p, c.index)
		}
	}
	p := plan(`SELECT id FROM badges WHERE verified_at < ? AND claimed_until <= ? ORDER BY verified_at LIMIT ?`, []any{1, 1, 10})
	if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "badges_due") {
		t.Errorf("ClaimDue plan:\n%s", p)
	}
}

func TestBadgesBelongToTheirOwner(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	a := mustUser(t, db, "a@example.org")
	b := mustUser(t, db, "b@example.org")
	ab := newBadge(a, "A's badge")
	ab.Image, ab.ImageType = []byte("img"), "image/png"
	id := mustSave(t, db, ab)
	before, _ := db.BadgeByID(ctx, a, id)

	if _, err := db.BadgeByID(ctx, b, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("B read A's badge: %v", err)
	}
	if err := db.DeleteBadge(ctx, b, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("B deleted A's badge: %v", err)
	}
	for _, reachable := range []bool{true, false} {
		v := Verification{Status: StatusRevoked, ReportJSON: []byte("{}"), Name: "owned", At: t0.Add(time.Hour), Reachable: reachable}
		if err := db.UpdateVerification(ctx, b, id, v); !errors.Is(err, ErrNotFound) {
			t.Errorf("B updated A's badge (reachable %v): %v", reachable, err)
		}
	}
	if l, _ := db.ListBadges(ctx, b, BadgeQuery{}); l.All != 0 {
		t.Errorf("B's list shows %d badges", l.All)
	}
	after, err := db.BadgeByID(ctx, a, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after, cmpopts.IgnoreUnexported(Badge{})); diff != "" {
		t.Errorf("A's badge changed (-before +after):\n%s", diff)
	}
	if _, _, err := db.Image(ctx, before.ImageHash); err != nil {
		t.Errorf("A's image: %v", err)
	}
	if err := db.DeleteBadge(ctx, a, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BadgeByID(ctx, a, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted badge still found: %v", err)
	}
	if err := db.DeleteBadge(ctx, a, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted twice: %v", err)
	}
	checkCounts(t, db)
	if l, _ := db.ListBadges(ctx, a, BadgeQuery{}); l.All != 0 || l.Total != 0 {
		t.Errorf("after the delete: %+v", l)
	}
}

func TestUpdateVerification(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	uid := mustUser(t, db, "a@example.org")
	id := mustSave(t, db, newBadge(uid, "Checked"))
	t1, t2, t3 := t0.Add(time.Hour), t0.Add(2*time.Hour), t0.Add(3*time.Hour)

	for _, at := range []time.Time{t1, t2} {
		if err := db.UpdateVerification(ctx, uid, id, Verification{Status: StatusRevoked, Name: "ignored", At: at}); err != nil {
			t.Fatal(err)
		}
		b, _ := db.BadgeByID(ctx, uid, id)
		if b.Status != StatusVerified || b.Name != "Checked" || string(b.ReportJSON) != `{"valid":true}` {
			t.Fatalf("an unreachable issuer changed the badge: %+v", b)
		}
		if b.UnreachableSince == nil || !b.UnreachableSince.Equal(t1) || !b.VerifiedAt.Equal(at) {
			t.Fatalf("at %v: unreachable since %v, verified at %v; want %v and %v", at, b.UnreachableSince, b.VerifiedAt, t1, at)
		}
	}

	exp := t3.Add(time.Hour)
	v := Verification{Status: StatusRevoked, ReportJSON: []byte(`{"revoked":true}`), BadgeJSON: []byte(`{"v":2}`),
		Name: "Renamed", IssuerName: "New Issuer", Description: "New text", Tags: []string{"Fresh"},
		IssuedOn: t2, Expires: &exp, At: t3, Reachable: true}
	if err := db.UpdateVerification(ctx, uid, id, v); err != nil {
		t.Fatal(err)
	}
	b, _ := db.BadgeByID(ctx, uid, id)
	if b.Status != StatusRevoked || string(b.ReportJSON) != `{"revoked":true}` || string(b.BadgeJSON) != `{"v":2}` ||
		b.Name != "Renamed" || b.IssuerName != "New Issuer" || b.Description != "New text" ||
		!b.IssuedOn.Equal(t2) || b.Expires == nil || !b.Expires.Equal(exp) || !b.VerifiedAt.Equal(t3) ||
		b.UnreachableSince != nil || cmp.Diff([]string{"Fresh"}, b.Tags) != "" {
		t.Fatalf("after a reachable verification: %+v", b)
	}
	// The issuer list and the search columns follow.
	checkCounts(t, db)
	if iss, _ := db.Issuers(ctx, uid); cmp.Diff([]string{"New Issuer"}, iss) != "" {
		t.Errorf("issuers after the rename: %v", iss)
	}
	if l, _ := db.ListBadges(ctx, uid, BadgeQuery{Search: "fresh"}); l.Total != 1 {
		t.Errorf("search by the new tag: %d", l.Total)
	}
	if l, _ := db.ListBadges(ctx, uid, BadgeQuery{Search: "checked"}); l.Total != 0 {
		t.Errorf("search by the old name: %d", l.Total)
	}
}

func TestClaimDue(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	a := mustUser(t, db, "a@example.org")
	b := mustUser(t, db, "b@example.org")
	var ids []int64
	for i, uid := range []int64{a, b, a} {
		bg := newBadge(uid, fmt.Sprint("badge ", i))
		bg.VerifiedAt = t0.Add(time.Duration(i) * time.Hour)
		ids = append(ids, mustSave(t, db, bg))
	}
	fresh := newBadge(a, "fresh")
	fresh.VerifiedAt = t0.Add(9 * time.Hour)
	mustSave(t, db, fresh)

	now, before, lease := t0.Add(10*time.Hour), t0.Add(5*time.Hour), time.Hour
	claim := func(now time.Time, limit int) []int64 {
		t.Helper()
		bs, err := db.ClaimDue(ctx, now, before, limit, lease)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, b := range bs {
			if len(b.Original) == 0 || b.Name == "" {
				t.Errorf("claimed badge not complete: %+v", b)
			}
			out = append(out, b.ID)
		}
		return out
	}
	if got := claim(now, 2); cmp.Diff(ids[:2], got) != "" {
		t.Fatalf("first claim %v, want %v", got, ids[:2])
	}
	if got := claim(now, 10); cmp.Diff(ids[2:], got) != "" {
		t.Fatalf("second claim %v, want %v", got, ids[2:])
	}
	if got := claim(now.Add(lease-time.Second), 10); got != nil {
		t.Fatalf("claimed again within the lease: %v", got)
	}
	if got := claim(now.Add(lease), 10); cmp.Diff(ids, got) != "" {
		t.Fatalf("after the lease %v, want %v", got, ids)
	}
	// Verifying releases the claim and makes the badge not due.
	later := now.Add(2 * lease)
	if err := db.UpdateVerification(ctx, a, ids[0], Verification{At: later}); err != nil {
		t.Fatal(err)
	}
	if got := claim(later, 10); cmp.Diff(ids[1:], got) != "" {
		t.Fatalf("after verifying the first: %v, want %v", got, ids[1:])
	}
	if got := claim(later, 0); got != nil {
		t.Fatalf("limit 0 claimed %v", got)
	}
}

func TestClaimDueConcurrently(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	uid := mustUser(t, db, "a@example.org")
	for i := range 40 {
		mustSave(t, db, newBadge(uid, fmt.Sprint("badge ", i)))
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				bs, err := db.ClaimDue(ctx, t0.Add(time.Hour), t0.Add(time.Minute), 3, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(bs) == 0 {
					return
				}
				mu.Lock()
				for _, b := range bs {
					seen[b.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Fatalf("%d badges claimed, want 40", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("badge %d claimed %d times", id, n)
		}
	}
}

func TestDeleteUserDeletesBadgesAndPending(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	a := mustUser(t, db, "a@example.org")
	b := mustUser(t, db, "b@example.org")
	for _, uid := range []int64{a, b} {
		bg := newBadge(uid, "badge")
		bg.Image, bg.ImageType = []byte(fmt.Sprint("image of ", uid)), "image/png"
		mustSave(t, db, bg)
		if _, err := db.AddPending(ctx, Pending{UserID: uid, Original: []byte("pending"), OriginalType: "png", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteUser(ctx, a); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, db)
	for _, table := range []string{"badges", "pending_imports", "badge_counts"} {
		var n int
		db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table+" WHERE user_id = ?", a).Scan(&n)
		if n != 0 {
			t.Errorf("%d rows of the deleted user left in %s", n, table)
		}
		if n := countRows(t, db, table); n != 1 {
			t.Errorf("%s has %d rows, want B's 1", table, n)
		}
	}
	// The deleted user's image is an orphan now; B's is not.
	if n, err := db.DeleteOrphanImages(ctx, t0); err != nil || n != 0 {
		t.Fatalf("DeleteOrphanImages(before everything) = %d, %v", n, err)
	}
	if n, err := db.DeleteOrphanImages(ctx, t0.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("DeleteOrphanImages = %d, %v; want 1", n, err)
	}
	if n := countRows(t, db, "images"); n != 1 {
		t.Fatalf("%d images left, want B's", n)
	}
}

// TestHostileNameRoundTrips is SECURITY.md Q8's test.
func TestHostileNameRoundTrips(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	uid := mustUser(t, db, "a@example.org")
	const name = `'); DROP TABLE badges;--`
	b := newBadge(uid, name)
	b.IssuerName, b.Tags = `" OR 1=1 --`, []string{`%'; DELETE FROM users; --`}
	id := mustSave(t, db, b)
	got, err := db.BadgeByID(ctx, uid, id)
	if err != nil || got.Name != name || got.IssuerName != b.IssuerName || cmp.Diff(b.Tags, got.Tags) != "" {
		t.Fatalf("BadgeByID = %+v, %v", got, err)
	}
	for _, search := range []string{name, "drop table", "'); d", `" or 1=1`, "delete from"} {
		l, err := db.ListBadges(ctx, uid, BadgeQuery{Search: search, Issuer: b.IssuerName, Sort: name})
		if err != nil || len(l.Items) != 1 || l.Items[0].Name != name {
			t.Errorf("search %q: %+v, %v", search, l, err)
		}
	}
	for _, table := range []string{"badges", "users", "images", "pending_imports"} {
		countRows(t, db, table)
	}
	if n := countRows(t, db, "users"); n != 1 {
		t.Fatalf("%d users", n)
	}
}

// TestBadgesMigrationUpgrades applies 0002 to a database that has accounts
// already, and checks the schema it leaves.
func TestBadgesMigrationUpgrades(t *testing.T) {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 || ms[0].version != 1 || ms[1].version != 2 || ms[1].name != "0002_badges.sql" {
		t.Fatalf("migrations: %+v", ms)
	}
	db := MustOpen(t)
	ctx := context.Background()
	// Start again from 0001 alone.
	for _, table := range []string{"pending_imports", "badge_counts", "badge_issuers", "issuer_images", "badges", "images"} {
		if _, err := db.w.ExecContext(ctx, "DROP TABLE "+table); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.w.ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = 2"); err != nil {
		t.Fatal(err)
	}
	uid := mustUser(t, db, "a@example.org")
	if err := migrate(ctx, db.w, migrationFS); err != nil {
		t.Fatal(err)
	}
	mustSave(t, db, newBadge(uid, "after the upgrade"))
	rows, err := db.w.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Fatal("foreign_key_check is not empty")
	}
}

// seedBadges stores n badges for uid in one transaction, dates spread over
// the years.
func seedBadges(tb testing.TB, db *DB, uid int64, n int) {
	tb.Helper()
	ctx := context.Background()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	for i := range n {
		b := newBadge(uid, fmt.Sprintf("Badge %05d", i))
		b.Original = fmt.Appendf(nil, "%d %d %s", uid, i, strings.Repeat("o", 8000)) // a small PNG
		b.IssuerName = fmt.Sprint("Issuer ", i%37)
		b.IssuedOn = t0.Add(-time.Duration(i*7919%n) * time.Hour)
		b.Description = strings.Repeat("description ", 10)
		b.ReportJSON = []byte(strings.Repeat("r", 2000))
		b.BadgeJSON = []byte(strings.Repeat("j", 2000))
		if err := prepareBadge(&b); err != nil {
			tb.Fatal(err)
		}
		if ok, _, err := insertBadge(ctx, tx, b); !ok || err != nil {
			tb.Fatal(ok, err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	checkCounts(tb, db)
}

func benchmarkListBadges(b *testing.B, n int) {
	db := MustOpen(b)
	ctx := context.Background()
	uid := mustUser(b, db, "a@example.org")
	other := mustUser(b, db, "b@example.org")
	seedBadges(b, db, uid, n)
	seedBadges(b, db, other, 100)
	for b.Loop() {
		l, err := db.ListBadges(ctx, uid, BadgeQuery{Limit: 24})
		if err != nil || len(l.Items) != min(n, 24) || l.All != n {
			b.Fatal(len(l.Items), l.All, err)
		}
	}
}

func BenchmarkListBadges10(b *testing.B)    { benchmarkListBadges(b, 10) }
func BenchmarkListBadges10000(b *testing.B) { benchmarkListBadges(b, 10000) }
