package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	loadUploadSize = flag.Int64("load.upload", 1<<30, "TestLoadUploads: bytes in each upload body")
	loadUploaders  = flag.Int("load.uploaders", 16, "TestLoadUploads: uploads sent at once")
)

// TestLoadUploads sends -load.uploaders chunked multipart uploads of
// -load.upload bytes each to /imports at once, first as an anonymous
// client and then as one signed-in user, each against a fresh server with
// its own TMPDIR, and reports the server's peak memory, the peak bytes in
// its TMPDIR, the answers, the bytes the server took, and /healthz
// latency during the flood against a quiet baseline in the same run.
// Numbers are reported, not asserted; TMPDIR must be empty afterwards.
func TestLoadUploads(t *testing.T) {
	if !*loadOn {
		t.Skip("load test of request bodies; run it with: go test ./cmd/backpack -run TestLoadUploads -load -v [-load.upload=1073741824 -load.uploaders=16]")
	}
	var report strings.Builder
	for _, signedIn := range []bool{false, true} {
		r := uploadFlood(t, signedIn)
		who := "anonymous"
		if signedIn {
			who = "signed in"
		}
		fmt.Fprintf(&report, "%s: %d chunked uploads of %d MiB to /imports at once\n", who, *loadUploaders, *loadUploadSize>>20)
		fmt.Fprintf(&report, "  answers: %s\n", r.answers)
		fmt.Fprintf(&report, "  bytes the clients got out (socket buffers included): %.1f MiB in all, in %v\n", float64(r.sent)/(1<<20), r.took.Round(time.Millisecond))
		fmt.Fprintf(&report, "  server memory: peak RSS %.1f MiB (VmHWM %s); before the flood %.1f MiB\n", float64(r.peakRSS)/(1<<20), r.hwm, float64(r.idleRSS)/(1<<20))
		fmt.Fprintf(&report, "  TMPDIR: peak %.1f MiB, afterwards %d bytes\n", float64(r.peakTmp)/(1<<20), r.tmpAfter)
		fmt.Fprintf(&report, "  /healthz: quiet p50 %v p99 %v; during the flood p50 %v p99 %v (%.1fx, %.1fx), %d of %d failed\n",
			round(r.quiet[0]), round(r.quiet[1]), round(r.flood[0]), round(r.flood[1]),
			float64(r.flood[0])/float64(r.quiet[0]), float64(r.flood[1])/float64(r.quiet[1]), r.healthFailed, r.healthN)
		if r.tmpAfter != 0 {
			t.Errorf("%s: TMPDIR holds %d bytes after the uploads", who, r.tmpAfter)
		}
	}
	fmt.Fprintf(os.Stdout, "\nTestLoadUploads\n%s\n", report.String())
}

type floodResult struct {
	answers               string
	sent                  int64
	took                  time.Duration
	idleRSS, peakRSS      int64
	hwm                   string
	peakTmp, tmpAfter     int64
	quiet, flood          [2]time.Duration // p50, p99
	healthN, healthFailed int
}

func uploadFlood(t *testing.T, signedIn bool) floodResult {
	tmp := t.TempDir()
	p := startBackpackEnv(t, t.TempDir(), []string{"TMPDIR=" + tmp})
	defer p.stop()
	var u *webUser
	if signedIn {
		u = signUpOverHTTP(t, p, "flood@example.org")
	} else {
		jar, _ := cookiejar.New(nil)
		u = &webUser{base: p.url, client: &http.Client{Jar: jar, Timeout: time.Minute}}
		if _, err := u.page("/login"); err != nil { // an anonymous session's token
			t.Fatal(err)
		}
	}
	var r floodResult
	r.idleRSS = procStatus(p.cmd.Process.Pid, "VmRSS:")
	r.quiet = healthLatency(p.url, 200, nil, nil)

	ctx, stop := context.WithCancel(context.Background())
	var probes sync.WaitGroup
	probes.Go(func() { // sample memory and TMPDIR
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			r.peakRSS = max(r.peakRSS, procStatus(p.cmd.Process.Pid, "VmRSS:"))
			r.peakTmp = max(r.peakTmp, dirBytes(tmp))
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	var health [2]time.Duration
	probes.Go(func() { health = healthLatency(p.url, 0, ctx, &r) })

	tr := &http.Transport{MaxConnsPerHost: *loadUploaders + 1, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Jar: u.client.Jar, Timeout: 30 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var (
		mu      sync.Mutex
		answers = map[string]int{}
		sent    atomic.Int64
		senders sync.WaitGroup
	)
	start := time.Now()
	for i := range *loadUploaders {
		senders.Go(func() {
			body, ct := floodBody(u.csrf, *loadUploadSize, &sent, uint64(i))
			req, _ := http.NewRequest(http.MethodPost, p.url+"/imports", body)
			req.Header.Set("Content-Type", ct) // no length: chunked
			answer := ""
			resp, err := client.Do(req)
			if err != nil {
				answer = "connection closed"
				if strings.Contains(err.Error(), "timeout") {
					answer = "timeout"
				}
			} else {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				answer = strconv.Itoa(resp.StatusCode)
				if loc := resp.Header.Get("Location"); loc != "" {
					answer += " to " + strings.SplitN(loc, "?", 2)[0]
				}
			}
			mu.Lock()
			answers[answer]++
			mu.Unlock()
		})
	}
	senders.Wait()
	r.took = time.Since(start)
	stop()
	probes.Wait()
	r.flood = health
	r.sent = sent.Load()
	r.hwm = p.peakMemory()
	for _, k := range slices.Sorted(maps.Keys(answers)) {
		r.answers += fmt.Sprintf("%s ×%d; ", k, answers[k])
	}
	if err := p.stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
	r.tmpAfter = dirBytes(tmp)
	return r
}

// floodBody is a multipart form of size bytes in all: the form token and
// one file of noise. It counts what the transport reads into sent.
func floodBody(token string, size int64, sent *atomic.Int64, seed uint64) (io.Reader, string) {
	const boundary = "floodfloodfloodflood"
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + token + "\r\n" +
		"--" + boundary + "\r\nContent-Disposition: form-data; name=\"archive\"; filename=\"big.zip\"\r\nContent-Type: application/zip\r\n\r\n"
	tail := "\r\n--" + boundary + "--\r\n"
	block := make([]byte, 64<<10)
	rand.NewChaCha8([32]byte{byte(seed)}).Read(block)
	file := io.LimitReader(&repeatReader{block: block}, size-int64(len(head)+len(tail)))
	return &countReader{r: io.MultiReader(strings.NewReader(head), file, strings.NewReader(tail)), n: sent},
		"multipart/form-data; boundary=" + boundary
}

type repeatReader struct {
	block []byte
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.block[r.off:])
	r.off = (r.off + n) % len(r.block)
	return n, nil
}

type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// healthLatency GETs /healthz one request after another, n times, or
// until ctx is done when n is 0, and returns p50 and p99; failures (any
// answer but 200) are counted into r.
func healthLatency(base string, n int, ctx context.Context, r *floodResult) [2]time.Duration {
	client := &http.Client{Timeout: time.Minute}
	var took []time.Duration
	for i := 0; n == 0 || i < n; i++ {
		if ctx != nil && ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		resp, err := client.Get(base + "/healthz")
		ok := err == nil && resp.StatusCode == http.StatusOK
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		took = append(took, time.Since(t0))
		if r != nil {
			r.healthN++
			if !ok {
				r.healthFailed++
			}
		}
	}
	slices.Sort(took)
	return [2]time.Duration{quantile(took, 0.5), quantile(took, 0.99)}
}

// procStatus is a size field of /proc/PID/status in bytes, 0 if unknown.
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// dirBytes is the size of the files under dir.
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
