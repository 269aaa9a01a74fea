package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"
)

// The load test runs the real server with readers on the public pages and
// a signed-in page while users import ZIPs of badges in the background, on
// the same SQLite database. It is off by default: it takes a while and its
// numbers only mean something on a quiet machine.
var (
	loadOn       = flag.Bool("load", false, "run TestLoadImports, the load test of the real server while users import badges")
	loadDuration = flag.Duration("load.duration", 20*time.Second, "TestLoadImports: how long the readers and the importing users run")
	loadConns    = flag.Int("load.conns", 32, "TestLoadImports: reader connections, each with one request in flight")
	loadUsers    = flag.Int("load.users", 4, "TestLoadImports: users uploading ZIPs of badges, one after another")
)

const (
	loadShared = 50 // badges in the shared collection the readers read
	loadZip    = 25 // badges in each ZIP the users upload
)

// lockedMarkers are what SQLite says when a write could not get the lock;
// no answer and no log line may say it.
var lockedMarkers = []string{"SQLITE_BUSY", "database is locked"}

func mentionsLocked(b []byte) bool {
	for _, m := range lockedMarkers {
		if bytes.Contains(b, []byte(m)) {
			return true
		}
	}
	return false
}

// loadKind is what the requests of one kind measured.
type loadKind struct {
	requests  int // answered as expected and read to the end
	failures  int // transport errors and any other status
	firstErr  error
	latencies []time.Duration // of every request, failed ones too
}

// loadStats are the measures by kind of request.
type loadStats map[string]*loadKind

func (s loadStats) record(kind string, d time.Duration, err error) {
	k := s[kind]
	if k == nil {
		k = &loadKind{}
		s[kind] = k
	}
	k.latencies = append(k.latencies, d)
	if err == nil {
		k.requests++
		return
	}
	if k.failures++; k.firstErr == nil {
		k.firstErr = err
	}
}

func (s loadStats) merge(o loadStats) {
	for kind, ok := range o {
		k := s[kind]
		if k == nil {
			k = &loadKind{}
			s[kind] = k
		}
		k.requests += ok.requests
		k.failures += ok.failures
		if k.firstErr == nil {
			k.firstErr = ok.firstErr
		}
		k.latencies = append(k.latencies, ok.latencies...)
	}
}

// quantile is the nearest-rank q-quantile of sorted latencies.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// loadTarget is a page the readers load.
type loadTarget struct {
	name, path string
	cookies    []*http.Cookie // to be signed in
}

// importRun is one ZIP a user uploaded and what its job's page showed
// once finished.
type importRun struct {
	job   string
	files []zipEntry
	items []jobItem
}

// TestLoadImports loads the public page of a shared collection of 50
// badges, its embed, a badge's SVG shield and a signed-in user's badge list
// over many connections while several users upload ZIPs of hosted badges
// one after another, and reports requests per second, p50 and p99 by kind
// of request, the badges imported and the server's peak memory. Every
// request must succeed, every import must finish with each badge the job
// page showed as added in the database, and nothing may say the database
// was locked. The numbers are reported, not asserted.
func TestLoadImports(t *testing.T) {
	if !*loadOn {
		t.Skip("load test of the real server while users import badges; run it with: " +
			"go test ./cmd/backpack -run TestLoadImports -load -v [-load.duration=20s -load.conns=32 -load.users=4]")
	}
	if *loadDuration <= 0 || *loadConns <= 0 || *loadUsers <= 0 {
		t.Fatalf("-load.duration, -load.conns and -load.users must be positive")
	}
	is := newBrowserIssuer(t)
	data := t.TempDir()
	// The users upload one ZIP after another: no rate limit on archives.
	p := startBackpack(t, data, "--allow-host", is.hostPort(), "--import-rate", "0")
	var locked atomic.Int64 // answers that mention a locked database
	watch := func(b []byte) {
		if mentionsLocked(b) {
			locked.Add(1)
		}
	}
	users := make([]*webUser, *loadUsers)
	for i := range users {
		users[i] = signUpOverHTTP(t, p, fmt.Sprintf("user%d@example.org", i))
		users[i].watch = watch
	}
	// The first user owns what the readers read, and imports too.
	runs := make([][]importRun, len(users))
	shared, targets := sharedCollection(t, is, users[0], p.url)
	runs[0] = append(runs[0], shared)

	var (
		mu    sync.Mutex
		stats = loadStats{}
		wg    sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), *loadDuration)
	defer cancel()
	start := time.Now()
	var readersTook, importsTook time.Duration
	var readers sync.WaitGroup
	tr := &http.Transport{MaxIdleConns: *loadConns, MaxIdleConnsPerHost: *loadConns, MaxConnsPerHost: *loadConns,
		DisableCompression: true, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for c := range *loadConns {
		readers.Go(func() {
			st := loadStats{}
			for i := c; ctx.Err() == nil; i++ {
				tg := targets[i%len(targets)]
				t0 := time.Now()
				err := loadGet(client, p.url+tg.path, tg.cookies, watch)
				st.record(tg.name, time.Since(t0), err)
			}
			mu.Lock()
			defer mu.Unlock()
			stats.merge(st)
		})
	}
	wg.Go(func() { readers.Wait(); readersTook = time.Since(start) })
	var importers sync.WaitGroup
	for i, u := range users {
		importers.Go(func() {
			st := loadStats{}
			done := importLoad(ctx, st, is, u, i)
			mu.Lock()
			defer mu.Unlock()
			stats.merge(st)
			runs[i] = append(runs[i], done...)
		})
	}
	wg.Go(func() { importers.Wait(); importsTook = time.Since(start) })
	wg.Wait()
	peak := p.peakMemory()
	if err := p.stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}

	// Every job finished, with each badge in the database.
	jobs, files, added, lost := 0, 0, 0, 0
	outcomes := map[string]int{}
	for i, u := range users {
		shown, bytesOf := map[string][]jobItem{}, map[string][]byte{}
		for _, r := range runs[i] {
			shown[r.job] = r.items
			for _, f := range r.files {
				bytesOf[f.name] = f.data
			}
			if len(r.items) != len(r.files) {
				t.Errorf("%s: %s lists %d files, want %d", u.email, r.job, len(r.items), len(r.files))
			}
			for _, it := range r.items {
				outcomes[it.Outcome]++
			}
			jobs++
			files += len(r.files)
			added += countOutcome(r.items, "added")
		}
		badges := checkImported(t, data, u.email, shown, bytesOf)
		for name, b := range bytesOf {
			if n := badges[string(b)]; n != 1 {
				t.Errorf("%s: %s is in the backpack %d times, want once", u.email, name, n)
				lost++
			}
		}
	}
	if outcomes["added"] != files {
		t.Errorf("of %d files uploaded, %d were added: %v", files, outcomes["added"], outcomes)
	}
	noErrors(t, p)
	logLocked := mentionsLocked([]byte(p.log.String()))
	if locked.Load() > 0 || logLocked {
		t.Errorf("the database was locked: %d answers and the log (%v) say so", locked.Load(), logLocked)
	}

	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "kind\trequests\trequests/s\tp50\tp99\tfailed\t\n")
	total, failed := 0, 0
	kinds := []string{}
	for _, tg := range targets {
		kinds = append(kinds, tg.name)
	}
	kinds = append(kinds, "import upload", "import progress", "import page")
	for _, name := range kinds {
		k := stats[name]
		if k == nil {
			k = &loadKind{}
		}
		took := readersTook
		if strings.HasPrefix(name, "import") {
			took = importsTook
		}
		slices.Sort(k.latencies)
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%v\t%v\t%d\t\n", name, k.requests, float64(k.requests)/took.Seconds(),
			round(quantile(k.latencies, 0.5)), round(quantile(k.latencies, 0.99)), k.failures)
		if k.failures > 0 {
			t.Errorf("%s: %d failed requests, the first: %v", name, k.failures, k.firstErr)
		}
		if k.requests == 0 {
			t.Errorf("%s: no request succeeded", name)
		}
		total += k.requests + k.failures
		failed += k.failures
	}
	fmt.Fprintf(tw, "all\t%d\t%.0f\t\t\t%d\t\n", total, float64(total)/importsTook.Seconds(), failed)
	tw.Flush()
	lockedText := "none"
	if locked.Load() > 0 || logLocked {
		lockedText = fmt.Sprintf("%d answers, in the log: %v", locked.Load(), logLocked)
	}
	fmt.Fprintf(os.Stdout, "\nTestLoadImports: %v of %d reader connections and %d users importing ZIPs of %d badges, GOMAXPROCS %d\n%s"+
		"badges imported: %d added of %d files in %d jobs, all finished (%v in all); not exactly once in the database: %d\n"+
		"SQLITE_BUSY or \"database is locked\" in answers or the server log: %s\n"+
		"server log: %d warnings, %d errors\n"+
		"server peak memory (VmHWM): %s\n\n",
		*loadDuration, *loadConns, len(users), loadZip, runtime.GOMAXPROCS(0), table.String(),
		added, files, jobs, importsTook.Round(time.Millisecond), lost, lockedText,
		len(p.logLines("level=WARN")), len(p.logLines("level=ERROR")), peak)
}

func round(d time.Duration) time.Duration { return d.Round(time.Microsecond) }

// loadGet makes one GET with the cookies, reads the whole body, lets watch
// see it and fails unless it is a 200.
func loadGet(client *http.Client, url string, cookies []*http.Cookie, watch func([]byte)) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: body: %w", url, err)
	}
	watch(b)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// importLoad uploads ZIPs of new hosted badges for u, one after another,
// each once the one before has finished, until ctx is done; the last job
// is followed to its end. It returns the jobs and stops at the first
// failed request (recorded in st).
func importLoad(ctx context.Context, st loadStats, is *browserIssuer, u *webUser, user int) []importRun {
	var runs []importRun
	for n := 1; ctx.Err() == nil; n++ {
		r := importRun{files: hostedBadges(is, u.email, fmt.Sprintf("u%d-z%d", user, n), loadZip)}
		archive, err := zipOf(r.files)
		if err != nil {
			st.record("import upload", 0, err)
			return runs
		}
		t0 := time.Now()
		r.job, err = u.upload(fmt.Sprintf("badges-%d.zip", n), archive)
		if st.record("import upload", time.Since(t0), err); err != nil {
			return runs
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			t0 := time.Now()
			pr, err := u.progress(r.job)
			if err == nil && !pr.Finished && time.Now().After(deadline) {
				err = fmt.Errorf("%s: still at %d of %d files after 2 minutes", r.job, pr.Done, pr.Total)
			}
			if st.record("import progress", time.Since(t0), err); err != nil {
				return runs
			}
			if pr.Finished {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		t0 = time.Now()
		r.items, err = u.jobItems(r.job)
		if st.record("import page", time.Since(t0), err); err != nil {
			return runs
		}
		runs = append(runs, r)
	}
	return runs
}

// sharedCollection has owner import loadShared badges, put them in a
// shared collection and share the first one too, and returns the import
// and the pages to load: the collection's public page and embed, the
// badge's SVG shield and the owner's badge list (with the owner's cookies).
func sharedCollection(t *testing.T, is *browserIssuer, owner *webUser, base string) (importRun, []loadTarget) {
	t.Helper()
	r := importRun{files: hostedBadges(is, owner.email, "shared", loadShared)}
	archive, err := zipOf(r.files)
	if err != nil {
		t.Fatal(err)
	}
	if r.job, err = owner.upload("shared.zip", archive); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.waitJob(r.job, 20*time.Millisecond, 2*time.Minute, finished); err != nil {
		t.Fatal(err)
	}
	if r.items, err = owner.jobItems(r.job); err != nil {
		t.Fatal(err)
	}
	col, err := owner.postRedirect("/collections", url.Values{"name": {"Work I am proud of"},
		"description": {"Badges from **three** years of _volunteering_ and [courses](https://example.org/courses)."}}, "/collections/")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range r.items {
		if it.Outcome != "added" {
			t.Fatalf("%s: %s", it.Name, it.Outcome)
		}
		if _, err := owner.postRedirect(col+"/add", url.Values{"badge_id": {strings.TrimPrefix(it.Badge, "/badges/")}}, col); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := owner.postRedirect(col+"/share", url.Values{"do": {"on"}}, col); err != nil {
		t.Fatal(err)
	}
	first := r.items[0].Badge
	if _, err := owner.postRedirect(first+"/share", url.Values{"do": {"on"}}, first); err != nil {
		t.Fatal(err)
	}
	link := func(page, sel string) string {
		t.Helper()
		doc, err := owner.page(page)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(doc.Find(sel).AttrOr("href", ""))
		if err != nil || u.Path == "" {
			t.Fatalf("%s: no link %s", page, sel)
		}
		return u.Path
	}
	c, b := link(col, "[data-testid=collection-link]"), link(first, "[data-testid=share-link]")
	baseURL, _ := url.Parse(base)
	return r, []loadTarget{
		{fmt.Sprintf("collection (%d)", loadShared), c, nil},
		{fmt.Sprintf("embed (%d)", loadShared), "/embed" + c, nil},
		{"shield", "/embed" + b + ".svg", nil},
		{"badges, signed in", "/badges", owner.client.Jar.Cookies(baseURL)},
	}
}
