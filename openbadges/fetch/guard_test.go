package fetch

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"code.dny.dev/ssrf"

	"backpack/openbadges/problem"
)

func mustNew(t testing.TB, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	return c
}

func network(address string) string {
	if strings.HasPrefix(address, "[") {
		return "tcp6"
	}
	return "tcp4"
}

// TestControlDefault calls the production dial check directly: no packet
// leaves the machine.
func TestControlDefault(t *testing.T) {
	g := mustNew(t, Options{}).guard
	for _, tc := range []struct {
		addr string
		want error // nil: allowed
	}{
		{"127.0.0.1:80", ssrf.ErrProhibitedIP},
		{"10.1.2.3:443", ssrf.ErrProhibitedIP},
		{"172.16.0.1:443", ssrf.ErrProhibitedIP},
		{"192.168.1.1:443", ssrf.ErrProhibitedIP},
		{"169.254.169.254:80", ssrf.ErrProhibitedIP},
		{"0.0.0.0:80", ssrf.ErrProhibitedIP},
		{"100.64.0.1:80", ssrf.ErrProhibitedIP},
		{"[::1]:80", ssrf.ErrProhibitedIP},
		{"[::ffff:127.0.0.1]:80", ssrf.ErrProhibitedIP},
		{"[::ffff:169.254.169.254]:80", ssrf.ErrProhibitedIP},
		{"[fe80::1]:80", ssrf.ErrProhibitedIP},
		{"[fc00::1]:80", ssrf.ErrProhibitedIP},
		{"[64:ff9b::a9fe:a9fe]:80", ssrf.ErrProhibitedIP},
		{"[::1%lo]:80", ssrf.ErrProhibitedIP},
		{"[2001:4860:4860::8888%eth0]:443", ssrf.ErrProhibitedIP},
		{"93.184.216.34:8080", ssrf.ErrProhibitedPort},
		{"not-an-address", ssrf.ErrInvalidHostPort},
		{"93.184.216.34:443", nil},
		{"[2606:2800:220:1:248:1893:25c8:1946]:443", nil},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			err := g.control(network(tc.addr), tc.addr, nil)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("control(%s) = %v, want %v", tc.addr, err, tc.want)
			}
		})
	}
	if err := g.control("udp4", "93.184.216.34:443", nil); !errors.Is(err, ssrf.ErrProhibitedNetwork) {
		t.Errorf("udp4: got %v, want ErrProhibitedNetwork", err)
	}
}

// TestControlAllowList checks that an allow-listed HOST:PORT opens exactly
// that pair: the port must not open for other hosts, and the allowed IP
// gets no other port, not even 80 or 443; a HOST alone opens 80 and 443
// of that host and nothing else.
func TestControlAllowList(t *testing.T) {
	g := mustNew(t, Options{AllowHosts: []string{"127.0.0.1:8080", "[::1]:9090", "10.0.0.7"}}).guard
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.1:80", false},
		{"127.0.0.1:443", false},
		{"[::ffff:127.0.0.1]:8080", true}, // the same destination, spelled mapped
		{"127.0.0.1:8081", false},
		{"127.0.0.2:8080", false},
		{"169.254.169.254:80", false},
		{"93.184.216.34:8080", false}, // the allowed port stays closed for public hosts
		{"93.184.216.34:443", true},
		{"[::1]:9090", true},
		{"[::1]:8080", false},
		{"[::1]:443", false},
		{"[::1%lo]:9090", false},
		{"10.0.0.7:443", true},
		{"10.0.0.7:80", true},
		{"10.0.0.7:8080", false},
		{"10.0.0.8:443", false},
	} {
		err := g.control(network(tc.addr), tc.addr, nil)
		if (err == nil) != tc.ok {
			t.Errorf("control(%s) = %v, want allowed=%v", tc.addr, err, tc.ok)
		}
	}
}

func TestNewAllowHosts(t *testing.T) {
	for _, good := range []string{"127.0.0.1", "127.0.0.1:8080", "localhost", "localhost:8080", "[::1]:8080", "::1", "LocalHost"} {
		if _, err := New(Options{AllowHosts: []string{good}}); err != nil {
			t.Errorf("New(AllowHosts %q): %v", good, err)
		}
	}
	for _, bad := range []string{"", ":8080", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "http://127.0.0.1", "user@127.0.0.1", "[::1", "[::1%lo]:80", "a b"} {
		if _, err := New(Options{AllowHosts: []string{bad}}); err == nil {
			t.Errorf("New(AllowHosts %q) succeeded, want an error", bad)
		}
	}
}

func TestLocalhostAllowHostResolves(t *testing.T) {
	g := mustNew(t, Options{AllowHosts: []string{"localhost:8080"}}).guard
	if err := g.control("tcp4", "127.0.0.1:8080", nil); err != nil {
		t.Errorf("localhost:8080 allowed, but 127.0.0.1:8080 refused: %v", err)
	}
	if ok, _ := g.allowedHost("LocalHost."); !ok {
		t.Error("host names should match case-insensitively, with or without the root dot")
	}
}

// TestURLRules: each URL is refused by the URL rules, before any network
// activity; checkURL is asserted first so Get can never dial on a failure.
func TestURLRules(t *testing.T) {
	c := mustNew(t, Options{})
	for _, raw := range []string{
		"file:///etc/passwd",
		"gopher://127.0.0.1:70/",
		"ftp://x/",
		"http://user:pw@example.org/",
		"https://user@example.org/",
		"data:text/plain,hi",
		"",
		"not a url",
		"//example.org/",
		"https:///path",
		"https://:443/",
		"https:example.org",
		"https://example.org:6379/",
		"https://example.org:99999/",
		"http://example.org:8080/",
		"http://127.0.0.1/",
		"http://[::1]/",
		"http://10.0.0.1/",
		"http://169.254.169.254/latest/meta-data/",
		"https://127.0.0.1/",
		"https://127.0.0.1:8443/",
		"https://[::1]/",
		"https://[::ffff:127.0.0.1]/",
		"https://[fe80::1%25lo]/",
		"https://169.254.169.254/latest/meta-data/",
		"https://0.0.0.0/",
		"https://10.0.0.1/",
		"https://%zz/",
		"did:web:127.0.0.1%3A6379",
	} {
		t.Run(raw, func(t *testing.T) {
			if _, err := c.guard.checkURL(raw); problem.CodeOf(err) != problem.BlockedAddress {
				t.Fatalf("checkURL(%q) = %v, want %s", raw, err, problem.BlockedAddress)
			}
			_, err := c.Get(context.Background(), raw, "", JSONLimit)
			if problem.CodeOf(err) != problem.BlockedAddress {
				t.Errorf("Get(%q) = %v, want %s", raw, err, problem.BlockedAddress)
			}
		})
	}
}

func TestURLRulesAllowed(t *testing.T) {
	c := mustNew(t, Options{AllowHosts: []string{"127.0.0.1:8080", "localhost"}})
	for _, tc := range []struct {
		raw, want string
	}{
		{"https://example.org/a?b=c#frag", "https://example.org/a?b=c"},
		{"https://example.org:443/", "https://example.org:443/"},
		{"https://93.184.216.34/", "https://93.184.216.34/"},
		{"http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"},
		{"http://localhost/", "http://localhost/"},
		{"http://example.org/old#x", "http://example.org/old"}, // plain http to a name: the dial check decides
		{"http://93.184.216.34/", "http://93.184.216.34/"},
		{"https://localhost/", "https://localhost/"},
		{"http://localhost:443/", "http://localhost:443/"},
	} {
		u, err := c.guard.checkURL(tc.raw)
		if err != nil || u.String() != tc.want {
			t.Errorf("checkURL(%q) = %v, %v; want %s", tc.raw, u, err, tc.want)
		}
	}
	for _, raw := range []string{"http://127.0.0.1:8081/", "http://localhost:8080/", "http://127.0.0.2:8080/", "http://example.org:8080/", "http://10.0.0.1/"} {
		if _, err := c.guard.checkURL(raw); problem.CodeOf(err) != problem.BlockedAddress {
			t.Errorf("checkURL(%q) = %v, want %s", raw, err, problem.BlockedAddress)
		}
	}
	// 127.0.0.1:8080 alone opens that port only, to http and https alike:
	// neither 80 nor 443 of 127.0.0.1 (an IP literal is checked like the
	// dial).
	c = mustNew(t, Options{AllowHosts: []string{"127.0.0.1:8080"}})
	for _, raw := range []string{"http://127.0.0.1:8080/", "https://127.0.0.1:8080/"} {
		if _, err := c.guard.checkURL(raw); err != nil {
			t.Errorf("checkURL(%q) = %v, want allowed", raw, err)
		}
	}
	for _, raw := range []string{"http://127.0.0.1/x", "https://127.0.0.1/x", "http://127.0.0.1:443/", "http://[::ffff:127.0.0.1]/"} {
		if _, err := c.guard.checkURL(raw); problem.CodeOf(err) != problem.BlockedAddress {
			t.Errorf("checkURL(%q) = %v, want %s", raw, err, problem.BlockedAddress)
		}
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://example.org/", "http://127.0.0.1:8080/", "http://[::1]:8080/", "https://[::ffff:7f00:1]/",
		"https://[fe80::1%25eth0]:443/", "http://user:pw@127.0.0.1:8080/", "data:image/png;base64,AAAA",
		"https://127.1/", "https://0x7f000001/", "HTTPS://EXAMPLE.ORG:443", "https://example.org:0/",
		"http://localhost/", "https://169.254.169.254/", "https:\\\\example.org", "https://%31%32%37.0.0.1/",
	} {
		f.Add(s)
	}
	prod := mustNew(f, Options{}).guard
	allow := mustNew(f, Options{AllowHosts: []string{"127.0.0.1:8080", "[::1]:8080", "localhost"}}).guard
	deny := ssrf.New()
	f.Fuzz(func(t *testing.T, raw string) {
		for _, g := range []*guard{prod, allow} {
			u, err := g.checkURL(raw)
			if err != nil {
				var p *problem.Error
				if !errors.As(err, &p) || p.Code != problem.BlockedAddress {
					t.Fatalf("checkURL(%q): error %v is not a BlockedAddress *problem.Error", raw, err)
				}
				continue
			}
			switch {
			case u.User != nil:
				t.Fatalf("checkURL(%q) allowed user info", raw)
			case u.Hostname() == "":
				t.Fatalf("checkURL(%q) allowed an empty host", raw)
			case u.Scheme != "https" && u.Scheme != "http":
				t.Fatalf("checkURL(%q) allowed scheme %q", raw, u.Scheme)
			}
			if ip, err := netip.ParseAddr(u.Hostname()); err == nil && g == prod {
				if err := deny.SafeAddr(ip); err != nil {
					t.Fatalf("checkURL(%q) allowed a special-purpose IP: %v", raw, err)
				}
			}
		}
	})
}

// TestAllowHostOpensExactlyWhatItNames fetches from a live loopback server
// through the real client: HOST:PORT reaches that port, while another
// port of the same host, or the host named without a port (80 and 443
// only), is refused before any connection.
func TestAllowHostOpensExactlyWhatItNames(t *testing.T) {
	s := start(t, ok("hello"))
	other := start(t, ok("other"))
	url := "http://127.0.0.1:" + s.port() + "/"
	if _, err := mustNew(t, Options{AllowHosts: []string{"127.0.0.1:" + s.port()}}).Get(context.Background(), url, "", JSONLimit); err != nil {
		t.Fatalf("allowed 127.0.0.1:%s: %v", s.port(), err)
	}
	for _, allow := range []string{"127.0.0.1:" + other.port(), "127.0.0.1", "localhost"} {
		_, err := mustNew(t, Options{AllowHosts: []string{allow}}).Get(context.Background(), url, "", JSONLimit)
		if problem.CodeOf(err) != problem.BlockedAddress {
			t.Errorf("--allow-host %s, GET %s: %v, want %s", allow, url, err, problem.BlockedAddress)
		}
	}
	if n := s.hits.Load(); n != 1 {
		t.Errorf("the server was reached %d times, want once", n)
	}
}
