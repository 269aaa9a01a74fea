package web

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"backpack/store"
)

// TestLoadExports measures /healthz and a signed-in page (p50, p99,
// requests per second, failures) on a quiet server, then while eight
// export downloads of 8 MiB each are open and unread, in the same run.
// Numbers are reported, not asserted.
func TestLoadExports(t *testing.T) {
	if !*loadOn {
		t.Skip("load test of export downloads; run it with: go test ./web -run TestLoadExports -load -v [-load.duration=10s]")
	}
	a := newApp(t)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	const downloads = 8
	rng := rand.NewChaCha8([32]byte{})
	cookies := make([][]*http.Cookie, downloads+1)
	for i := range cookies {
		email := fmt.Sprintf("user%d@example.org", i)
		cookies[i] = a.signUpConfirmed(t, email).jar.Cookies(base)
		u, err := a.db.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 2 {
			orig := make([]byte, 4<<20)
			rng.Read(orig)
			saveRawBadge(t, a, u.ID, fmt.Sprintf("Badge %d.%d", i, j), orig)
		}
	}
	measure := func(path string, c []*http.Cookie) loadResult {
		ctx, stop := context.WithTimeout(ctx, *loadDuration/2)
		defer stop()
		client := &http.Client{Timeout: 5 * time.Second}
		var out loadResult
		start := time.Now()
		for ctx.Err() == nil {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			for _, ck := range c {
				req.AddCookie(ck)
			}
			t0 := time.Now()
			resp, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("%s", resp.Status)
				}
			}
			out.latencies = append(out.latencies, time.Since(t0))
			if err != nil {
				out.failures++
				if out.firstErr == nil {
					out.firstErr = err
				}
			} else {
				out.requests++
			}
		}
		out.elapsed = time.Since(start)
		slices.Sort(out.latencies)
		return out
	}
	quiet := map[string]loadResult{"/healthz": measure("/healthz", nil), "/badges": measure("/badges", cookies[downloads])}

	var begun sync.WaitGroup
	started := make(chan bool, downloads)
	for i := range downloads {
		begun.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/settings/export.zip", nil)
			for _, ck := range cookies[i] {
				req.AddCookie(ck)
			}
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				_, err = io.ReadFull(resp.Body, make([]byte, 1))
			}
			started <- err == nil
			if err == nil {
				<-ctx.Done() // hold it, unread
				resp.Body.Close()
			}
		})
	}
	open := 0
	timeout := time.After(5 * time.Second)
wait:
	for range downloads {
		select {
		case ok := <-started:
			if ok {
				open++
			}
		case <-timeout:
			break wait
		}
	}
	loaded := map[string]loadResult{"/healthz": measure("/healthz", nil), "/badges": measure("/badges", cookies[downloads])}
	cancel()
	begun.Wait()

	fmt.Fprintf(os.Stdout, "\nTestLoadExports: %d of %d export downloads (8 MiB each) had begun within 5 s and were held unread\n", open, downloads)
	for _, path := range []string{"/healthz", "/badges"} {
		q, l := quiet[path], loaded[path]
		fmt.Fprintf(os.Stdout, "%-9s quiet: p50 %v p99 %v, %.0f req/s, %d failed; downloads open: p50 %v p99 %v, %.0f req/s, %d failed (first: %v); p50 %.1fx, p99 %.1fx\n",
			path, round(q.quantile(0.5)), round(q.quantile(0.99)), q.rps(), q.failures,
			round(l.quantile(0.5)), round(l.quantile(0.99)), l.rps(), l.failures, l.firstErr,
			float64(l.quantile(0.5))/float64(q.quantile(0.5)), float64(l.quantile(0.99))/float64(q.quantile(0.99)))
	}
}

// saveRawBadge stores a badge whose original is orig, as a PNG, straight
// into the store.
func saveRawBadge(t *testing.T, a *app, userID int64, name string, orig []byte) {
	t.Helper()
	now := a.clock.now()
	_, outcome, err := a.db.SaveBadge(context.Background(), store.Badge{UserID: userID, Original: orig, OriginalType: "png",
		Spec: "2.0", Format: "hosted", Name: name, IssuerName: "Issuer", BadgeJSON: []byte(`{"name":"` + name + `"}`),
		Status: store.StatusVerified, ReportJSON: []byte(`{"valid":true}`), VerifiedAt: now, CreatedAt: now})
	if err != nil || outcome != store.Added {
		t.Fatalf("save %s: %s %v", name, outcome, err)
	}
}
