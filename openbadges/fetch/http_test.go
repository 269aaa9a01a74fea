package fetch

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"backpack/openbadges/problem"
)

// Plain http to a public address is fetched and marked Insecure. The test
// seam is Options.Redirect, a test-only /etc/hosts: "badges.example" is a
// public name as far as the guard knows (not allow-listed), and only the
// loopback server it maps to is let through at dial time. Production
// never sets Redirect, so there the dial check sees the real address.
func TestPlainHTTPOnPublicAddress(t *testing.T) {
	var s *server
	s = start(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-loopback":
			http.Redirect(w, r, "http://127.0.0.2:"+s.port()+"/a", http.StatusFound)
		case "/to-private":
			http.Redirect(w, r, "http://192.168.1.1/a", http.StatusFound)
		default:
			w.Write([]byte("old badge"))
		}
	})
	tlsSrv := start(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://badges.example/a", http.StatusFound) // a downgrade
	}, withTLS)
	redirect := map[string]string{"badges.example:80": s.hostPort(), "example.com:443": tlsSrv.hostPort()}
	c := allowing(t, Options{Redirect: redirect}, tlsSrv)

	resp, err := c.Get(context.Background(), "http://badges.example/a", "", JSONLimit)
	if err != nil || string(resp.Body) != "old badge" || !resp.Insecure {
		t.Fatalf("http on a public name: %+v, %v", resp, err)
	}
	// An https URL that redirects down to http is insecure too.
	c2 := mustNew(t, Options{Redirect: redirect, RootCAs: c.transport.TLSClientConfig.RootCAs})
	resp, err = c2.Get(context.Background(), "https://example.com/", "", JSONLimit)
	if err != nil || !resp.Insecure {
		t.Fatalf("https downgraded to http: %+v, %v", resp, err)
	}

	// Loopback and private stay refused over http, directly or by
	// redirect. (The seam allow-lists its own target, 127.0.0.1 on the
	// server's port, so the production client is used for direct URLs and
	// the redirects point at other loopback and private addresses.)
	prod := mustNew(t, Options{})
	for _, raw := range []string{"http://127.0.0.1:" + s.port() + "/a", "http://localhost:" + s.port() + "/a", "http://[::1]/a", "http://10.1.2.3/a"} {
		_, err := prod.Get(context.Background(), raw, "", JSONLimit)
		wantCode(t, err, problem.BlockedAddress)
	}
	for _, raw := range []string{"http://badges.example/to-loopback", "http://badges.example/to-private"} {
		_, err := c.Get(context.Background(), raw, "", JSONLimit)
		wantCode(t, err, problem.BlockedAddress)
	}
	if n := s.hits.Load(); n != 4 { // /a twice, and the two redirecting pages
		t.Errorf("loopback server got %d requests, want 4", n)
	}

	// The same name without the seam is an ordinary public name: http to
	// it gets as far as name resolution (which fails here: no network).
	if _, err := prod.guard.checkURL("http://badges.example/a"); err != nil {
		t.Errorf("production URL rules refuse plain http: %v", err)
	}
}

// Allow-listed hosts may use plain http as before, without being reported.
func TestPlainHTTPAllowListedIsNotInsecure(t *testing.T) {
	s := start(t, ok("hi"))
	c := allowing(t, Options{}, s)
	resp, err := c.Get(context.Background(), "http://"+s.hostPort()+"/", "", JSONLimit)
	if err != nil || resp.Insecure {
		t.Fatalf("allow-listed http: %+v, %v", resp, err)
	}
	tlsSrv := start(t, ok("hi"), withTLS)
	c = allowing(t, Options{}, tlsSrv)
	resp, err = c.Get(context.Background(), "https://"+tlsSrv.hostPort()+"/", "", JSONLimit)
	if err != nil || resp.Insecure || !strings.HasPrefix(resp.URL.String(), "https://") {
		t.Fatalf("https: %+v, %v", resp, err)
	}
}

// A test client (Redirect set) resolves no name but the mapped ones and
// the allow-listed ones: an unmapped public name is refused before any
// lookup, and an allow-listed localhost is still reached.
func TestRedirectClientResolvesOnlyKnownNames(t *testing.T) {
	s := start(t, ok("local"))
	c := mustNew(t, Options{Redirect: map[string]string{"issuer.example:80": s.hostPort()}, AllowHosts: []string{"localhost:" + s.port()}})
	if resp, err := c.Get(context.Background(), "http://localhost:"+s.port()+"/", "", JSONLimit); err != nil || string(resp.Body) != "local" || resp.Insecure {
		t.Fatalf("allow-listed localhost: %+v, %v", resp, err)
	}
	_, err := c.Get(context.Background(), "https://unmapped.example/", "", JSONLimit)
	wantCode(t, err, problem.BlockedAddress)
	if !strings.Contains(err.Error(), "not mapped") {
		t.Errorf("error %v", err)
	}
}
