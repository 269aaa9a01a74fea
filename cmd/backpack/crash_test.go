package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var crashSeed = flag.Uint64("crash.seed", 0, "TestCrashDuringImport: seed of its random choices; 0 picks one, which the test logs")

const (
	crashFiles = 300 // badges in each ZIP of the crash test
	crashKills = 3
)

// TestCrashDuringImport kills the real server (SIGKILL: no clean-up of any
// kind) three times at random moments while it imports a ZIP of hosted
// badges in the background, and starts it again on the same data folder
// each time. After each kill the database passes SQLite's integrity check
// and holds every badge the job's page showed as added. After the last
// restart the import finishes by itself: every file has an outcome, what
// the page showed before a kill still stands, and each badge is in the
// backpack exactly once.
func TestCrashDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and kills it during imports; skipped with -short")
	}
	start := time.Now()
	seed := *crashSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (run again with -crash.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	// The issuer answers each assertion after 0 to 3 ms, so that an import
	// takes a while and the kills fall anywhere in an item's work.
	var delayMu sync.Mutex
	delays := rand.New(rand.NewPCG(seed, 2))
	is := newBrowserIssuer(t)
	is.slowDown(func(path string) time.Duration {
		if !strings.HasPrefix(path, "/a/") {
			return 0
		}
		delayMu.Lock()
		defer delayMu.Unlock()
		return time.Duration(delays.IntN(3001)) * time.Microsecond
	})

	data := t.TempDir()
	// A short claim on import items: the items a killed server held are
	// taken again a second after the restart.
	args := []string{"--allow-host", is.hostPort(), "--import-lease", "1s"}
	p := startBackpack(t, data, args...)
	const email = "crash@example.org"
	u := signUpOverHTTP(t, p, email)

	files := map[string][]byte{}    // every uploaded file's bytes, by name
	names := map[string][]string{}  // each job's files, in order
	shown := map[string][]jobItem{} // what each job's page showed last
	var jobs []string
	newJob := func() string {
		t.Helper()
		batch := hostedBadges(is, email, fmt.Sprintf("zip%d", len(jobs)+1), crashFiles)
		archive, err := zipOf(batch)
		if err != nil {
			t.Fatal(err)
		}
		job, err := u.upload(fmt.Sprintf("badges-%d.zip", len(jobs)+1), archive)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range batch {
			files[f.name] = f.data
			names[job] = append(names[job], f.name)
		}
		jobs = append(jobs, job)
		return job
	}
	// readJob reads a job's page, which must still show what it showed
	// before as added or duplicate, the same way.
	readJob := func(job string) []jobItem {
		t.Helper()
		items, err := u.jobItems(job)
		if err != nil {
			t.Fatal(err)
		}
		for i, before := range shown[job] {
			if before.Outcome != "added" && before.Outcome != "duplicate" {
				continue
			}
			if i >= len(items) {
				t.Fatalf("%s: %s was shown %s; now the page lists %d files", job, before.Name, before.Outcome, len(items))
			}
			if items[i] != before {
				t.Fatalf("%s: %s was shown %s (%s); now the page has %+v", job, before.Name, before.Outcome, before.Badge, items[i])
			}
		}
		shown[job] = items
		return items
	}

	job := newJob()
	for k := range crashKills {
		pr, err := u.progress(job)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Finished || pr.Done >= pr.Total*9/10 {
			t.Logf("kill %d: %s is at %d of %d files, too far on to kill the server during it: another ZIP", k+1, job, pr.Done, pr.Total)
			job = newJob()
			pr = jobProgress{Total: crashFiles}
		}
		// A random moment between 10% and 90% of the files, leaving room
		// for the kills still to come in the same job.
		lo := max(pr.Done+1, pr.Total/10)
		hi := max(lo, lo+(pr.Total*9/10-lo)/(crashKills-k))
		target := lo + rng.IntN(hi-lo+1)
		pr, err = u.waitJob(job, time.Millisecond, time.Minute, func(p jobProgress) bool { return p.Finished || p.Done >= target })
		if err != nil {
			t.Fatal(err)
		}
		items := readJob(job)
		p.kill()
		noErrors(t, p)
		t.Logf("kill %d: SIGKILL at %d of %d files done (aimed at %d; finished: %v); the page showed %d added",
			k+1, pr.Done, pr.Total, target, pr.Finished, countOutcome(items, "added"))
		checkImported(t, data, email, shown, files)
		if t.Failed() {
			t.FailNow()
		}
		p = startBackpack(t, data, args...)
		u.base = p.url
	}

	duplicates := 0
	for _, job := range jobs {
		if _, err := u.waitJob(job, 20*time.Millisecond, time.Minute, finished); err != nil {
			t.Fatal(err)
		}
		items := readJob(job)
		got := make([]string, len(items))
		for i, it := range items {
			got[i] = it.Name
			// Every badge is new to this backpack: an item's outcome is
			// recorded with its badge, so a kill cannot leave a badge saved
			// and its item to be redone (and found "already there").
			if it.Outcome != "added" {
				t.Errorf("%s: %s ended %s", job, it.Name, it.Outcome)
			}
		}
		if !slices.Equal(got, names[job]) {
			t.Errorf("%s lists %d files, want the %d of the ZIP in order", job, len(got), len(names[job]))
		}
		duplicates += countOutcome(items, "duplicate")
	}
	if duplicates > 0 {
		t.Errorf("%d files ended duplicate after %d kills", duplicates, crashKills)
	}
	if err := p.stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	noErrors(t, p)
	badges := checkImported(t, data, email, shown, files)
	for name, b := range files {
		if n := badges[string(b)]; n != 1 {
			t.Errorf("%s is in the backpack %d times, want once", name, n)
		}
	}
	if len(badges) != len(files) {
		t.Errorf("the backpack holds %d different badges, want the %d imported", len(badges), len(files))
	}
	t.Logf("%d jobs of %d files, %d kills, %d files ended duplicate; %v", len(jobs), crashFiles, crashKills, duplicates, time.Since(start).Round(time.Millisecond))
}

// countOutcome counts the items that ended so.
func countOutcome(items []jobItem, outcome string) int {
	n := 0
	for _, it := range items {
		if it.Outcome == outcome {
			n++
		}
	}
	return n
}

// noErrors fails the test if the server logged an error.
func noErrors(t *testing.T, p *backpackProcess) {
	t.Helper()
	if errs := p.logLines("level=ERROR"); len(errs) > 0 {
		t.Errorf("the server logged %d errors:\n%s", len(errs), strings.Join(errs, "\n"))
	}
}
