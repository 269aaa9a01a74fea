package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"code.dny.dev/ssrf"

	"backpack/openbadges/problem"
)

// server is a loopback test server that counts TCP connections and
// requests, so a test can tell "refused before connecting" apart.
type server struct {
	*httptest.Server
	conns, hits atomic.Int64
}

func start(t *testing.T, h http.HandlerFunc, opts ...func(*httptest.Server)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // TLS handshake failures are expected
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	for _, o := range opts {
		o(s.Server)
	}
	if s.TLS != nil || s.EnableHTTP2 {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func withTLS(s *httptest.Server) { s.EnableHTTP2 = true }

func onIPv6(t *testing.T) func(*httptest.Server) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	return func(s *httptest.Server) { s.Listener.Close(); s.Listener = l }
}

func (s *server) port() string {
	_, port, _ := net.SplitHostPort(s.hostPort())
	return port
}

func (s *server) hostPort() string { return s.Listener.Addr().String() }

func ok(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }
}

// allowing returns a client that may reach the given test servers.
func allowing(t *testing.T, o Options, servers ...*server) *Client {
	t.Helper()
	for _, s := range servers {
		o.AllowHosts = append(o.AllowHosts, s.hostPort())
		if s.TLS != nil {
			if o.RootCAs == nil {
				o.RootCAs = x509.NewCertPool()
			}
			o.RootCAs.AddCert(s.Certificate())
		}
	}
	return mustNew(t, o)
}

func wantCode(t *testing.T, err error, code problem.Code) {
	t.Helper()
	var p *problem.Error
	if !errors.As(err, &p) || p.Code != code {
		t.Fatalf("error = %v, want a *problem.Error with code %s", err, code)
	}
}

func TestProductionRefusesLoopback(t *testing.T) {
	plain := start(t, ok("hello"))
	tlsSrv := start(t, ok("hello"), withTLS)
	c := mustNew(t, Options{RootCAs: x509.NewCertPool()})
	c.transport.TLSClientConfig.RootCAs.AddCert(tlsSrv.Certificate()) // a refusal must not be a TLS failure
	urls := []string{
		"http://127.0.0.1:" + plain.port() + "/",
		"http://localhost:" + plain.port() + "/",
		"http://127.1:" + plain.port() + "/",
		"http://[::ffff:127.0.0.1]:" + plain.port() + "/",
		"https://127.0.0.1:" + tlsSrv.port() + "/",
		"https://localhost:" + tlsSrv.port() + "/",
		"https://[::ffff:127.0.0.1]:" + tlsSrv.port() + "/",
	}
	for _, u := range urls {
		_, err := c.Get(context.Background(), u, "", JSONLimit)
		wantCode(t, err, problem.BlockedAddress)
	}
	t.Run("IPv6", func(t *testing.T) {
		v6 := start(t, ok("hello"), onIPv6(t))
		_, err := c.Get(context.Background(), "http://[::1]:"+v6.port()+"/", "", JSONLimit)
		wantCode(t, err, problem.BlockedAddress)
		if n := v6.conns.Load(); n != 0 {
			t.Errorf("IPv6 server saw %d connections, want 0", n)
		}
	})
	if n := plain.conns.Load() + tlsSrv.conns.Load(); n != 0 {
		t.Errorf("servers saw %d connections, want 0: refused without an attempt to connect", n)
	}
}

// TestDialTimeCheck simulates DNS rebinding: the allow rule for "localhost"
// was resolved (here: set) to 127.0.0.2, but at dial time the name resolves
// to 127.0.0.1. The URL rules pass; the Control hook must refuse.
func TestDialTimeCheck(t *testing.T) {
	s := start(t, ok("hello"))
	c := mustNew(t, Options{})
	port := s.Listener.Addr().(*net.TCPAddr).AddrPort().Port()
	c.guard.rules = []allowRule{{name: "localhost", prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, ports: []uint16{port}}}
	_, err := c.Get(context.Background(), "http://localhost:"+s.port()+"/", "", JSONLimit)
	wantCode(t, err, problem.BlockedAddress)
	if !errors.Is(err, ssrf.ErrProhibitedPort) && !errors.Is(err, ssrf.ErrProhibitedIP) {
		t.Errorf("error %v does not come from the ssrf guardian", err)
	}
	if n := s.conns.Load(); n != 0 {
		t.Errorf("server saw %d connections, want 0", n)
	}
}

func TestAllowHost(t *testing.T) {
	other := start(t, ok("other"))
	var s *server
	s = start(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprintf(w, "accept=%s ua=%s", r.Header.Get("Accept"), r.Header.Get("User-Agent"))
		case "/to-127.0.0.2":
			http.Redirect(w, r, "http://127.0.0.2:"+s.port()+"/", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-other":
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
		case "/to-userinfo": // reachable at dial time: only the URL rules refuse it
			http.Redirect(w, r, "http://user:pw@"+s.hostPort()+"/final", http.StatusFound)
		case "/to-final":
			http.Redirect(w, r, "/final", http.StatusMovedPermanently)
		case "/final":
			io.WriteString(w, "final")
		}
	})
	c := allowing(t, Options{}, s)
	ctx := context.Background()

	r, err := c.Get(ctx, s.URL+"/", "application/ld+json", JSONLimit)
	if err != nil || r.Status != 200 {
		t.Fatalf("allowed server: %+v, %v", r, err)
	}
	if want := "accept=application/ld+json ua=Backpack/1 (+Open Badges verifier)"; string(r.Body) != want {
		t.Errorf("body = %q, want %q", r.Body, want)
	}

	for _, u := range []string{other.URL + "/", "http://127.0.0.2:" + s.port() + "/", s.URL + "/to-127.0.0.2", s.URL + "/to-metadata", s.URL + "/to-other", s.URL + "/to-userinfo"} {
		_, err := c.Get(ctx, u, "", JSONLimit)
		wantCode(t, err, problem.BlockedAddress)
	}
	if n := other.conns.Load(); n != 0 {
		t.Errorf("the other server saw %d connections, want 0", n)
	}

	r, err = c.Get(ctx, s.URL+"/to-final", "", JSONLimit)
	if err != nil || string(r.Body) != "final" || r.URL.String() != s.URL+"/final" {
		t.Fatalf("redirect: %+v, %v; want body final at %s/final", r, err, s.URL)
	}
}

// TestRedirectIsCheckedAtDial: a redirect hop that passes the URL rules is
// still checked where it connects. As in TestDialTimeCheck, "localhost" is
// allow-listed as if it had resolved to 127.0.0.2 at New.
func TestRedirectIsCheckedAtDial(t *testing.T) {
	target := start(t, ok("secret"), withTLS)
	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://localhost:"+target.port()+"/", http.StatusFound)
	})
	c := allowing(t, Options{}, s)
	port := target.Listener.Addr().(*net.TCPAddr).AddrPort().Port()
	c.guard.rules = append(c.guard.rules, allowRule{name: "localhost", prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, ports: []uint16{port}})
	_, err := c.Get(context.Background(), s.URL, "", JSONLimit)
	wantCode(t, err, problem.BlockedAddress)
	if !errors.Is(err, ssrf.ErrProhibitedPort) && !errors.Is(err, ssrf.ErrProhibitedIP) {
		t.Errorf("error %v does not come from the ssrf guardian", err)
	}
	if n := target.conns.Load(); n != 0 {
		t.Errorf("target saw %d connections, want 0", n)
	}
}

func TestRedirectLimit(t *testing.T) {
	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/r/%d", &n)
		if n == 0 {
			io.WriteString(w, "done")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
	})
	c := allowing(t, Options{}, s)
	if _, err := c.Get(context.Background(), s.URL+"/r/5", "", JSONLimit); err != nil {
		t.Errorf("5 redirects: %v", err)
	}
	_, err := c.Get(context.Background(), s.URL+"/r/6", "", JSONLimit)
	wantCode(t, err, problem.FetchFailed)
	if !strings.Contains(err.Error(), "too many redirects") {
		t.Errorf("6 redirects: %v, want too many redirects", err)
	}
}

func TestTLS(t *testing.T) {
	s := start(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "HTTP/%d", r.ProtoMajor) }, withTLS)
	r, err := allowing(t, Options{}, s).Get(context.Background(), s.URL, "", JSONLimit)
	if err != nil || string(r.Body) != "HTTP/2" {
		t.Errorf("TLS server: %+v, %v; want HTTP/2", r, err)
	}
	untrusting := mustNew(t, Options{AllowHosts: []string{s.hostPort()}})
	_, err = untrusting.Get(context.Background(), s.URL, "", JSONLimit)
	wantCode(t, err, problem.FetchFailed)
}

func TestStatusIsNotAnError(t *testing.T) {
	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "SECRET-123", http.StatusInternalServerError)
	})
	r, err := allowing(t, Options{}, s).Get(context.Background(), s.URL, "", JSONLimit)
	if err != nil || r.Status != 500 {
		t.Fatalf("got %+v, %v; want a 500 response", r, err)
	}
	err = r.Err()
	wantCode(t, err, problem.FetchFailed)
	if msg := fmt.Sprintf("%v %+v %s", err, err, problem.MessageOf(err)); strings.Contains(msg, "SECRET-123") {
		t.Errorf("error leaks the body: %s", msg)
	}
	if want := "HTTP 500 from " + s.hostPort(); problem.MessageOf(err) != want {
		t.Errorf("message = %q, want %q", problem.MessageOf(err), want)
	}
	if (&Response{Status: 204}).Err() != nil {
		t.Error("204 should not be an error")
	}
}

func TestTooLargeStream(t *testing.T) {
	type report struct {
		written      int
		disconnected bool
	}
	done := make(chan report, 1)
	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		rep := report{}
		defer func() { done <- rep }()
		for rep.written < 5<<20 {
			if _, err := w.Write(chunk); err != nil {
				rep.disconnected = true // the client hung up already
				return
			}
			w.(http.Flusher).Flush()
			rep.written += len(chunk)
			if rep.written > int(JSONLimit)+256<<10 {
				// Enough for the client to decide; wait for it to hang up.
				select {
				case <-r.Context().Done():
					rep.disconnected = true
				case <-time.After(10 * time.Second):
				}
				return
			}
		}
	})
	_, err := allowing(t, Options{}, s).Get(context.Background(), s.URL, "", JSONLimit)
	wantCode(t, err, problem.TooLarge)
	rep := <-done
	if !rep.disconnected || rep.written >= 5<<20 {
		t.Errorf("server wrote %d bytes, disconnected=%v: the client should stop after ~1 MiB and hang up", rep.written, rep.disconnected)
	}
}

func TestTooLargeContentLength(t *testing.T) {
	disconnected := make(chan bool, 1)
	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(10<<20))
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		// No body byte is ever sent: a client that tried to read would time out.
		select {
		case <-r.Context().Done():
			disconnected <- true
		case <-time.After(10 * time.Second):
			disconnected <- false
		}
	})
	_, err := allowing(t, Options{Timeout: 5 * time.Second}, s).Get(context.Background(), s.URL, "", JSONLimit)
	wantCode(t, err, problem.TooLarge)
	if !<-disconnected {
		t.Error("the client did not hang up")
	}
}

func TestGzipBomb(t *testing.T) {
	// 200 gzip members of 1 MiB of zeros each: ~200 KB on the wire, 200 MiB
	// decoded (the transport's gzip reader reads multi-member streams).
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	bomb := bytes.Repeat(member.Bytes(), 200)

	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("client did not offer gzip; Accept-Encoding = %q", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		w.Write(bomb)
	})
	c := allowing(t, Options{}, s)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.Get(context.Background(), s.URL, "", JSONLimit)
	runtime.ReadMemStats(&after)
	wantCode(t, err, problem.TooLarge)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 32<<20 {
		t.Errorf("heap grew by %d MiB", grown>>20)
	}
	if total := after.TotalAlloc - before.TotalAlloc; total > 64<<20 {
		t.Errorf("allocated %d MiB in total for a 1 MiB limit", total>>20)
	}
}

func TestTrickle(t *testing.T) {
	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		for range 100 {
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	_, err := allowing(t, Options{Timeout: 300 * time.Millisecond}, s).Get(context.Background(), s.URL, "", JSONLimit)
	wantCode(t, err, problem.FetchFailed)
	var ne net.Error
	if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("error %v is not a timeout", err)
	}
}

func TestContextCancelled(t *testing.T) {
	s := start(t, ok("hello"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := allowing(t, Options{}, s).Get(ctx, s.URL, "", JSONLimit)
	wantCode(t, err, problem.FetchFailed)
}

// TestConcurrencySlots fills every slot: a further Get waits for one and
// gives up with its context, without connecting.
func TestConcurrencySlots(t *testing.T) {
	s := start(t, ok("hello"))
	c := allowing(t, Options{}, s)
	for range MaxConcurrent {
		c.slots <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Get(ctx, s.URL, "", JSONLimit)
	wantCode(t, err, problem.FetchFailed)
	if !strings.Contains(err.Error(), "too many fetches") || s.conns.Load() != 0 {
		t.Errorf("got %v with %d connections; want to wait for a slot and not connect", err, s.conns.Load())
	}
	<-c.slots
	if _, err := c.Get(context.Background(), s.URL, "", JSONLimit); err != nil {
		t.Errorf("with a free slot: %v", err)
	}
}

// TestDNSFailureIgnoresProxy: .invalid never resolves (RFC 2606); the
// environment names a proxy the client could reach, yet must not use.
func TestDNSFailureIgnoresProxy(t *testing.T) {
	proxy := start(t, ok("proxied"))
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	c := allowing(t, Options{DialTimeout: 2 * time.Second, Timeout: 5 * time.Second}, proxy)
	if c.transport.Proxy != nil {
		t.Fatal("transport has a proxy function")
	}
	_, err := c.Get(context.Background(), "https://nonexistent.invalid/", "", JSONLimit)
	wantCode(t, err, problem.FetchFailed)
	if n := proxy.conns.Load(); n != 0 {
		t.Errorf("proxy saw %d connections, want 0", n)
	}
}

func TestLimitString(t *testing.T) {
	for l, want := range map[Limit]string{JSONLimit: "1 MiB", ImageLimit: "4 MiB", 64 << 10: "64 KiB", 100: "100 bytes"} {
		if got := l.String(); got != want {
			t.Errorf("Limit(%d) = %q, want %q", int64(l), got, want)
		}
	}
}

func TestRedirectMapsHostsToATestServer(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Write([]byte(r.Host + r.URL.Path))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	c, err := New(Options{Redirect: map[string]string{"issuer.example:80": addr}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(context.Background(), "http://issuer.example/badge", "*/*", JSONLimit)
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "issuer.example/badge" {
		t.Fatalf("body %q", resp.Body)
	}
	// Only the mapped name: others stay refused, and the mapped address
	// itself is not open on other ports.
	if _, err := c.Get(context.Background(), "http://other.example/", "*/*", JSONLimit); problem.CodeOf(err) != problem.BlockedAddress {
		t.Fatalf("unmapped host over http: %v", err)
	}
	if hits != 1 {
		t.Fatalf("%d hits", hits)
	}
}
