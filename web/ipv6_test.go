package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":                 "192.0.2.1",
		"::ffff:192.0.2.1":          "192.0.2.1",
		"2001:db8:1:2::1":           "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::9": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":           "2001:db8:1:3::/64",
		"fe80::1%eth0":              "fe80::/64",
		"not an address":            "not an address",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSignInLimitKeysIPv6ByItsSlash64: a client that holds a /64 (as most
// IPv6 subscribers do) cannot get a fresh allowance by changing the low
// bits of its address.
func TestSignInLimitKeysIPv6ByItsSlash64(t *testing.T) {
	a := newApp(t, func(c *Config) { c.LoginLimit = Limit{Burst: 2, Every: time.Hour} })
	n := 0
	try := func(remote string) int {
		b := a.browser(t)
		b.remote = remote
		b.get("/login")
		n++ // a new address each time: the per-address back-off is not what is tested
		return b.post("/login", url.Values{"email": {fmt.Sprintf("someone%d@example.org", n)}, "password": {"wrong password"}}).StatusCode
	}
	for i, remote := range []string{"[2001:db8:1:2::1]:5000", "[2001:db8:1:2::2]:5001"} {
		if got := try(remote); got == http.StatusTooManyRequests {
			t.Fatalf("attempt %d from %s throttled", i+1, remote)
		}
	}
	if got := try("[2001:db8:1:2:ffff:ffff:ffff:9]:6000"); got != http.StatusTooManyRequests {
		t.Fatalf("third attempt from the same /64: %d, want 429", got)
	}
	if got := try("[2001:db8:1:3::1]:5000"); got == http.StatusTooManyRequests {
		t.Fatal("another /64 throttled")
	}
	// IPv4 clients are still told apart by address.
	try("192.0.2.1:1")
	try("192.0.2.1:2")
	if got := try("192.0.2.2:1"); got == http.StatusTooManyRequests {
		t.Fatal("another IPv4 address throttled")
	}
}

// TestViewerVerifyLimitKeysIPv6ByItsSlash64: Verify now, the one public
// request that fetches, is limited per /64 as well.
func TestViewerVerifyLimitKeysIPv6ByItsSlash64(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	_, pub := shareFirstBadge(t, a, alice, is)
	a.clock.add(time.Hour)
	b, _, err := a.db.SharedBadge(t.Context(), strings.TrimPrefix(pub, "/b/"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(remote string) error {
		req := httptest.NewRequest(http.MethodPost, "http://backpack.test"+pub+"/verify", nil)
		req.RemoteAddr = remote
		_, err := a.viewerCheck(a.echo.NewContext(req, httptest.NewRecorder()), b)
		return err
	}
	for i := range viewerLimit.Burst {
		if err := check(fmt.Sprintf("[2001:db8:5:6::%x]:1", i+1)); err != nil {
			t.Fatalf("check %d: %v", i+1, err)
		}
	}
	if err := check("[2001:db8:5:6:abcd::1]:1"); err == nil {
		t.Fatal("one more from the same /64 was allowed")
	}
	if err := check("[2001:db8:5:7::1]:1"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}
