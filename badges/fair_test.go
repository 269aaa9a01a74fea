package badges

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"backpack/internal/testwait"
	"backpack/openbadges/problem"
	"backpack/store"
)

// bigZip is a ZIP of n copies of one of Alice's hosted badges: each is
// verified again (the first is added, the others are duplicates).
func bigZip(t testing.TB, w *world, n int) []byte {
	t.Helper()
	doc := string(w.is.hosted("/a/big", "alice@example.org", nil))
	files := make([][2]string, n)
	for i := range files {
		files[i] = [2]string{fmt.Sprintf("badge-%05d.json", i), doc}
	}
	return zipOf(t, files...)
}

// itemsDone counts the done items of the user's jobs.
func (w *world) itemsDone(t testing.TB, userID int64) int {
	t.Helper()
	jobs, err := w.db.ImportJobs(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range jobs {
		n += j.Done
	}
	return n
}

// TestImportTurnsAreByUser: Alice has three imports running, one of ten
// thousand badges; Bob adds one badge. Bob's badge is in his backpack
// after one round, in which Alice's three jobs together got one turn.
func TestImportTurnsAreByUser(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice, bob := w.user(t, "alice@example.org"), w.user(t, "bob@example.org")
	for _, n := range []int{MaxJobItems, 50, 50} {
		if _, err := w.start(t, alice, "mine.zip", bigZip(t, w, n)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.svc.ImportRound(ctx); err != nil {
		t.Fatal(err)
	}
	if n := w.itemsDone(t, alice); n != claimBatch {
		t.Fatalf("Alice's three jobs got %d items in a round, want one turn of %d", n, claimBatch)
	}
	job, err := w.start(t, bob, "one.zip", zipOf(t, [2]string{"mine.json", string(w.is.hosted("/b/1", "bob@example.org", nil))}))
	if err != nil {
		t.Fatal(err)
	}
	before := w.itemsDone(t, alice)
	rounds := 0
	for ; rounds < 10; rounds++ {
		items, err := w.db.ImportItems(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		if items[0].Done {
			if items[0].Outcome != string(Added) {
				t.Fatalf("Bob's badge: %+v", items[0])
			}
			break
		}
		if _, err := w.svc.ImportRound(ctx); err != nil {
			t.Fatal(err)
		}
	}
	alices := w.itemsDone(t, alice) - before
	t.Logf("Bob's badge done after %d round(s), while %d of Alice's items were done", rounds, alices)
	if rounds != 1 || alices > claimBatch {
		t.Errorf("Bob's badge took %d rounds and %d of Alice's items; want 1 round and at most %d (one turn)", rounds, alices, claimBatch)
	}
}

// TestTurnsGoToWhoWaitedLongest: within a round, a user who has not been
// served goes before those who have.
func TestTurnsGoToWhoWaitedLongest(t *testing.T) {
	sc := newScheduler()
	jobs := []store.ImportJob{{ID: 1, UserID: 10}, {ID: 2, UserID: 10}, {ID: 3, UserID: 20}}
	order := func() (ids []int64) {
		for _, u := range sc.order(jobs) {
			ids = append(ids, u.userID)
		}
		return ids
	}
	if got := order(); fmt.Sprint(got) != "[10 20]" {
		t.Fatalf("first round: %v, want the oldest job's user first", got)
	}
	sc.begin(10)
	sc.end(10)
	if got := order(); fmt.Sprint(got) != "[20 10]" {
		t.Fatalf("after 10's turn: %v, want 20 first", got)
	}
	sc.begin(20)
	if sc.begin(20) {
		t.Fatal("one user served by two workers at once")
	}
	if !sc.end(20) {
		t.Fatal("the worker serving 20 is not told another found work for 20")
	}
	if sc.begin(20); sc.end(20) {
		t.Fatal("told twice")
	}
	jobs = append(jobs, store.ImportJob{ID: 4, UserID: 30})
	if got := order(); fmt.Sprint(got) != "[30 10 20]" {
		t.Fatalf("a newcomer: %v, want 30 first", got)
	}
	jobs = jobs[3:]
	sc.order(jobs)
	if len(sc.served) != 0 {
		t.Errorf("users with nothing queued are remembered: %v", sc.served)
	}
}

// TestSkippedUserIsLookedAtAgain: a worker that finds work for a user
// another worker is serving (a job queued since that worker listed the
// user's jobs) skips them, and the serving worker learns it must look
// again instead of waiting for a wake-up that was spent.
func TestSkippedUserIsLookedAtAgain(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	bob := w.user(t, "bob@example.org")
	if !w.svc.sched.begin(bob) { // another worker is serving Bob
		t.Fatal("begin")
	}
	if _, err := w.start(t, bob, "one.zip", zipOf(t, [2]string{"mine.json", string(w.is.hosted("/b/1", "bob@example.org", nil))})); err != nil {
		t.Fatal(err)
	}
	if busy, err := w.svc.ImportRound(ctx); err != nil || busy || w.itemsDone(t, bob) != 0 {
		t.Fatalf("a round while Bob is being served: busy %v, %v, %d done", busy, err, w.itemsDone(t, bob))
	}
	if !w.svc.sched.end(bob) {
		t.Fatal("the worker serving Bob was not told to look again")
	}
	if busy, err := w.svc.ImportRound(ctx); err != nil || !busy || w.itemsDone(t, bob) != 1 {
		t.Fatalf("the next round: busy %v, %v, %d done", busy, err, w.itemsDone(t, bob))
	}
}

// TestSlowIssuerHoldsUpOnlyItsUser: Alice's badge points at an issuer that
// does not answer; Bob's import goes through meanwhile on another worker.
func TestSlowIssuerHoldsUpOnlyItsUser(t *testing.T) {
	release, arrived := make(chan struct{}), make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
		http.NotFound(w, r)
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) }) // runs before slow.Close
	w := newWorldOf(t, newIssuer(t), strings.TrimPrefix(slow.URL, "http://"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.svc.RunImports(ctx); close(done) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second): // a hang guard
			t.Error("RunImports did not stop")
		}
	}()

	alice, bob := w.user(t, "alice@example.org"), w.user(t, "bob@example.org")
	stuck := strings.ReplaceAll(string(w.is.hosted("/a/1", "alice@example.org", nil)), w.is.URL, slow.URL)
	slowJob, err := w.start(t, alice, "slow.zip", zipOf(t, [2]string{"slow.json", stuck}))
	if err != nil {
		t.Fatal(err)
	}
	select { // Alice's item is being verified, and will not finish
	case <-arrived:
	case <-time.After(30 * time.Second): // a hang guard
		t.Fatal("Alice's item was never verified")
	}
	job, err := w.start(t, bob, "one.zip", zipOf(t, [2]string{"mine.json", string(w.is.hosted("/b/1", "bob@example.org", nil))}))
	if err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "Bob's import finishes", func() bool {
		j, _ := w.db.ImportJob(context.Background(), bob, job)
		return j.Done == 1
	})
	if j, _ := w.db.ImportJob(context.Background(), alice, slowJob); j.Done != 0 {
		t.Fatal("Bob's import waited until Alice's issuer gave up")
	}
}

// BenchmarkFairImports: one op is Bob importing one badge, from upload to
// done, on an idle core ("idle") and while Alice's three imports of ten
// thousand badges run ("behind-big-imports"). The ratio of the two ns/op,
// in one run, is how much another user's big imports delay him.
func BenchmarkFairImports(b *testing.B) {
	for _, behind := range []bool{false, true} {
		name := "idle"
		if behind {
			name = "behind-big-imports"
		}
		b.Run(name, func(b *testing.B) {
			w := newWorld(b)
			w.svc.archives = newUserRate(Rate{Burst: -1}) // Bob sends b.N
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { w.svc.RunImports(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			alice, bob := w.user(b, "alice@example.org"), w.user(b, "bob@example.org")
			if behind {
				for range MaxRunningJobs {
					if _, err := w.start(b, alice, "big.zip", bigZip(b, w, MaxJobItems)); err != nil {
						b.Fatal(err)
					}
				}
			}
			zips := make([][]byte, b.N)
			for i := range zips {
				zips[i] = zipOf(b, [2]string{"mine.json", string(w.is.hosted(fmt.Sprintf("/b/%d", i), "bob@example.org", nil))})
			}
			before := w.itemsDone(b, alice)
			b.ResetTimer()
			for i := range b.N {
				job, err := w.start(b, bob, "one.zip", zips[i])
				if err != nil {
					b.Fatal(err)
				}
				testwait.Until(b, "Bob's badge is imported", func() bool {
					items, _ := w.db.ImportItems(context.Background(), job)
					return len(items) == 1 && items[0].Done
				})
			}
			b.StopTimer()
			if behind {
				b.ReportMetric(float64(w.itemsDone(b, alice)-before)/float64(b.N), "alice-items/op")
			}
		})
	}
}

// TestSubmissionRates: a user who keeps sending badges or archives is
// asked to wait, for as long as the bucket takes to hold what they send;
// others are not.
func TestSubmissionRates(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	alice, bob := w.user(t, "alice@example.org"), w.user(t, "bob@example.org")
	items := func(n int) []Item {
		its := make([]Item, n)
		for i := range its {
			its[i] = Item{Label: "big", Err: problem.New(problem.TooLarge, "too large")} // refused unread: cheap
		}
		return its
	}
	refusal := func(err error) *Refusal {
		var r *Refusal
		if !errors.As(err, &r) {
			t.Fatalf("err = %v, want a refusal", err)
		}
		return r
	}
	rate := DefaultItemRate
	for _, n := range []int{71, rate.Burst - 71} {
		if res, err := w.svc.Import(ctx, alice, items(n)); err != nil || len(res) != n {
			t.Fatalf("%d items within the burst: %d results, %v", n, len(res), err)
		}
	}
	_, err := w.svc.Import(ctx, alice, items(1))
	if r := refusal(err); *r != (Refusal{Code: CodeTooManySubmissions, N: 1, Wait: rate.Every}) {
		t.Fatalf("one over the burst: %+v", *r)
	}
	if _, err := w.svc.Import(ctx, bob, items(71)); err != nil {
		t.Fatalf("Bob, meanwhile: %v", err)
	}
	w.advance(rate.Every)
	if _, err := w.svc.Import(ctx, alice, items(1)); err != nil {
		t.Fatalf("after waiting as told: %v", err)
	}
	_, err = w.svc.Import(ctx, alice, items(71))
	if r := refusal(err); r.Wait != 71*rate.Every {
		t.Fatalf("71 more: wait %v, want %v", r.Wait, 71*rate.Every)
	}

	// Archives: every one counts, even those refused once read.
	notZip := []byte("not a zip at all")
	for i := range DefaultArchiveRate.Burst {
		_, _, err := w.svc.StartImport(ctx, alice, "x.zip", bytes.NewReader(notZip), int64(len(notZip)))
		if r := refusal(err); r.Code != CodeArchiveUnsafe {
			t.Fatalf("archive %d: %+v", i+1, *r)
		}
	}
	_, _, err = w.svc.StartImport(ctx, alice, "x.zip", bytes.NewReader(notZip), int64(len(notZip)))
	if r := refusal(err); *r != (Refusal{Code: CodeTooManySubmissions, N: 1, Wait: DefaultArchiveRate.Every}) {
		t.Fatalf("one archive too many: %+v", *r)
	}
	w.advance(DefaultArchiveRate.Every)
	_, _, err = w.svc.StartImport(ctx, alice, "x.zip", bytes.NewReader(notZip), int64(len(notZip)))
	if r := refusal(err); r.Code != CodeArchiveUnsafe {
		t.Fatalf("after waiting: %+v", *r)
	}
}

// hookStore runs onAdd before the first items of an upload are written,
// and tells rounds when an import round lists the queued jobs.
type hookStore struct {
	*store.DB
	onAdd  func()
	rounds chan struct{}
}

func (h *hookStore) AddImportItems(ctx context.Context, jobID int64, items []store.ImportItem) error {
	if f := h.onAdd; f != nil {
		h.onAdd = nil
		f()
	}
	return h.DB.AddImportItems(ctx, jobID, items)
}

func (h *hookStore) QueuedImportJobs(ctx context.Context) ([]store.ImportJob, error) {
	select {
	case h.rounds <- struct{}{}:
	default:
	}
	return h.DB.QueuedImportJobs(ctx)
}

// TestWorkersStartingMidUploadKeepIt: the import workers, starting while an
// archive is being received, do not take it for an upload a stop cut off.
func TestWorkersStartingMidUploadKeepIt(t *testing.T) {
	w := newWorld(t)
	hook := &hookStore{DB: w.db, rounds: make(chan struct{}, 1)}
	svc, err := New(Config{Store: hook, Verifier: w.svc.verifier, Fetch: w.svc.fetch, Now: w.clock, Logger: w.svc.log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	defer func() { cancel(); <-done }()
	hook.onAdd = func() {
		go func() { svc.RunImports(ctx); close(done) }()
		<-hook.rounds // past the clean-up at its start
	}
	alice := w.user(t, "alice@example.org")
	zip := zipOf(t, [2]string{"one.json", string(w.is.hosted("/a/1", "alice@example.org", nil))})
	id, _, err := svc.StartImport(context.Background(), alice, "a.zip", bytes.NewReader(zip), int64(len(zip)))
	if err != nil {
		t.Fatalf("the upload during the workers' start: %v", err)
	}
	if _, err := w.db.ImportJob(context.Background(), alice, id); err != nil {
		t.Fatalf("its job: %v", err)
	}
}
