package web

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
)

// The load test puts the public pages on a real loopback listener and
// measures them against http.FileServer sending the same bytes, in the
// same run on the same machine. It is off by default: it takes a while
// and its numbers only mean something on a quiet machine.
var (
	loadOn       = flag.Bool("load", false, "run TestLoad, the loopback load test of the public pages")
	loadDuration = flag.Duration("load.duration", 10*time.Second, "TestLoad: how long each server is loaded with each URL")
	loadConns    = flag.Int("load.conns", 32, "TestLoad: keep-alive connections, each with one request in flight")
	loadRounds   = flag.Int("load.rounds", 3, "TestLoad: runs of each server per URL, alternating which goes first")
)

// loadResult is what one run measured.
type loadResult struct {
	requests  int             // answered 200 and read to the end
	failures  int             // transport errors and any other status
	firstErr  error           // the first failure, for the report
	elapsed   time.Duration   // from the first request to the last answer
	latencies []time.Duration // of every request, failed ones too, sorted
}

// add merges another run of the same URL into r.
func (r *loadResult) add(o loadResult) {
	r.requests += o.requests
	r.failures += o.failures
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
	r.elapsed += o.elapsed
	r.latencies = append(r.latencies, o.latencies...)
	slices.Sort(r.latencies)
}

// rps is the rate of successful requests.
func (r loadResult) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// quantile is the nearest-rank q-quantile (0 < q <= 1) of the latencies,
// or 0 when there are none.
func (r loadResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(r.latencies)))) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// run sends unconditional GETs for url over conns keep-alive connections,
// one request at a time on each, until ctx is done; each connection sends
// at least one. A request in flight when ctx ends is finished and counted.
// Every body is read to the end; a transport error or a status other than
// 200 is a failure.
func run(ctx context.Context, url string, conns int) loadResult {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DisableCompression: true, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		mu  sync.Mutex
		out loadResult
		wg  sync.WaitGroup
	)
	start := time.Now()
	for range conns {
		wg.Go(func() {
			var ok, failed int
			var first error
			lat := make([]time.Duration, 0, 4096)
			for {
				t0 := time.Now()
				err := getOK(client, url)
				lat = append(lat, time.Since(t0))
				switch {
				case err == nil:
					ok++
				case first == nil:
					first = err
					fallthrough
				default:
					failed++
				}
				if ctx.Err() != nil {
					break
				}
			}
			mu.Lock()
			defer mu.Unlock()
			out.requests += ok
			out.failures += failed
			if out.firstErr == nil {
				out.firstErr = first
			}
			out.latencies = append(out.latencies, lat...)
		})
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	slices.Sort(out.latencies)
	return out
}

// getOK makes one GET, reads the whole body and fails unless it is a 200.
func getOK(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("GET %s: body: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// fetchBody answers one GET of url with its body and content type, or
// fails the test unless it is a 200.
func fetchBody(t *testing.T, url string) ([]byte, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", url, resp.Status, err)
	}
	return body, resp.Header.Get("Content-Type")
}

// TestLoad loads each public URL on Backpack, then the same bytes on
// http.FileServer, for the same time over the same number of connections,
// and reports requests per second, p50 and p99 of both and the ratio.
// The ratio is reported, not asserted: a shared machine is too noisy.
func TestLoad(t *testing.T) {
	if !*loadOn {
		t.Skip("loopback load test of the public pages against http.FileServer; run it with: " +
			"go test ./web -run TestLoad -load -v [-load.duration=10s -load.conns=32 -load.rounds=3]")
	}
	if *loadDuration <= 0 || *loadConns <= 0 {
		t.Fatalf("-load.duration and -load.conns must be positive, got %v and %d", *loadDuration, *loadConns)
	}
	a, targets := publicTargets(t, 50)
	bp := httptest.NewServer(a.Server)
	defer bp.Close()
	bodies, types := map[string][]byte{}, map[string]string{}
	for _, tg := range targets {
		bodies[tg.path], types[tg.path] = fetchBody(t, bp.URL+tg.path)
	}
	st := httptest.NewServer(staticTwin(t, t.TempDir(), bodies, types))
	defer st.Close()
	for _, tg := range targets {
		if body, ct := fetchBody(t, st.URL+tg.path); string(body) != string(bodies[tg.path]) || ct != types[tg.path] {
			t.Fatalf("%s: the static server does not send what Backpack sent", tg.path)
		}
	}

	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "target\tserver\tbytes\trequests/s\tp50\tp99\tfailures\tbackpack/static\t\n")
	for _, tg := range targets {
		// Rounds alternate which server goes first, so that a slow patch
		// of a shared machine does not fall on one side only.
		var res [2]loadResult
		for round := range max(*loadRounds, 1) {
			for k := range 2 {
				i := (k + round) % 2
				runtime.GC() // each run starts with a clean heap
				ctx, cancel := context.WithTimeout(context.Background(), *loadDuration)
				res[i].add(run(ctx, []string{bp.URL, st.URL}[i]+tg.path, *loadConns))
				cancel()
			}
		}
		ratio := res[0].rps() / res[1].rps()
		for i, side := range []string{"backpack", "static"} {
			r := res[i]
			if r.failures > 0 {
				t.Errorf("%s on %s: %d failures, the first: %v", tg.name, side, r.failures, r.firstErr)
			}
			if r.requests == 0 {
				t.Errorf("%s on %s: no request succeeded", tg.name, side)
			}
			t.Logf("%s %s: %.0f requests/s (%d in %v), p50 %v, p99 %v, %d failures",
				tg.name, side, r.rps(), r.requests, r.elapsed.Round(time.Millisecond), round(r.quantile(0.5)), round(r.quantile(0.99)), r.failures)
			name, rs := tg.name, fmt.Sprintf("%.2f", ratio)
			if i == 1 {
				name, rs = "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%v\t%v\t%d\t%s\t\n",
				name, side, len(bodies[tg.path]), r.rps(), round(r.quantile(0.5)), round(r.quantile(0.99)), r.failures, rs)
		}
		t.Logf("%s: backpack/static requests/s = %.2f", tg.name, ratio)
	}
	tw.Flush()
	fmt.Fprintf(os.Stdout, "\nTestLoad: %d rounds of %v per server and URL, %d connections, GOMAXPROCS %d\n%s\n",
		max(*loadRounds, 1), *loadDuration, *loadConns, runtime.GOMAXPROCS(0), table.String())
}

func round(d time.Duration) time.Duration { return d.Round(time.Microsecond) }

// TestLoadRunner checks the runner the load tests rely on: successes and
// failures are counted apart, every request has a latency, and failures
// keep their cause. A context that is already done makes each connection
// send exactly one request.
func TestLoadRunner(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "yes")
	}))
	defer srv.Close()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	const conns = 3
	ok := run(done, srv.URL+"/ok", conns)
	if ok.requests != conns || ok.failures != 0 || ok.firstErr != nil || len(ok.latencies) != conns || ok.rps() <= 0 {
		t.Errorf("200s: %d requests, %d failures (%v), %d latencies", ok.requests, ok.failures, ok.firstErr, len(ok.latencies))
	}
	if !slices.IsSorted(ok.latencies) {
		t.Error("latencies not sorted")
	}
	bad := run(done, srv.URL+"/bad", conns)
	if bad.requests != 0 || bad.failures != conns || len(bad.latencies) != conns || bad.firstErr == nil ||
		!strings.Contains(bad.firstErr.Error(), "500") {
		t.Errorf("500s: %d requests, %d failures (%v), %d latencies", bad.requests, bad.failures, bad.firstErr, len(bad.latencies))
	}
	srv.Close()
	gone := run(done, srv.URL+"/ok", conns)
	if gone.requests != 0 || gone.failures != conns || gone.firstErr == nil {
		t.Errorf("closed server: %d requests, %d failures (%v)", gone.requests, gone.failures, gone.firstErr)
	}
	// Until the context ends, each connection keeps sending.
	ctx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	var n int
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if n++; n == 10*conns {
			stop()
		}
		mu.Unlock()
		io.WriteString(w, "yes")
	}))
	defer srv2.Close()
	many := run(ctx, srv2.URL, conns)
	if many.requests < 10*conns || many.failures != 0 {
		t.Errorf("until done: %d requests, %d failures (%v)", many.requests, many.failures, many.firstErr)
	}
}

func TestLoadQuantile(t *testing.T) {
	r := loadResult{}
	if r.quantile(0.99) != 0 || r.rps() != 0 {
		t.Error("empty result")
	}
	for i := 1; i <= 100; i++ {
		r.latencies = append(r.latencies, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond, 0.001: time.Millisecond} {
		if got := r.quantile(q); got != want {
			t.Errorf("quantile(%v) = %v, want %v", q, got, want)
		}
	}
}

func TestLoadResultAdd(t *testing.T) {
	var r loadResult
	r.add(loadResult{requests: 2, elapsed: time.Second, latencies: []time.Duration{3, 5}})
	r.add(loadResult{requests: 1, failures: 1, firstErr: io.EOF, elapsed: time.Second, latencies: []time.Duration{1, 4}})
	if r.requests != 3 || r.failures != 1 || r.firstErr != io.EOF || r.rps() != 1.5 || !slices.Equal(r.latencies, []time.Duration{1, 3, 4, 5}) {
		t.Fatalf("merged %+v", r)
	}
}
