package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"

	"backpack/openbadges/problem"
)

// defaultPorts are the only ports a destination outside the allow-list may use.
var defaultPorts = []uint16{80, 443}

// allowRule is one --allow-host entry: the addresses its host resolved to
// at New, and the ports it may be reached on: exactly the one it names
// (HOST:PORT), or 80 and 443 when it names none (HOST), the default ports
// of http and https.
type allowRule struct {
	name     string // lower-case host name, "" for an IP literal
	prefixes []netip.Prefix
	ports    []uint16
}

func (r allowRule) permits(ip netip.Addr, port uint16) bool {
	if !slices.Contains(r.ports, port) {
		return false
	}
	return slices.ContainsFunc(r.prefixes, func(p netip.Prefix) bool { return p.Contains(ip) })
}

// guard decides which addresses may be dialled. An address that matches an
// allow rule (its IP and its port) is allowed; everything else goes to the
// unmodified default ssrf.Guardian: public addresses on ports 80 and 443.
//
// The allow-list is deliberately not expressed with ssrf's own options:
// WithAllowedV4Prefixes / WithPorts apply to every address independently,
// so allowing 127.0.0.1 on port 8080 that way would also open port 8080 on
// every public host.
type guard struct {
	rules []allowRule
	// mapped are the names a test client maps to loopback servers
	// (Options.Redirect), with the one port each is mapped on: allowed in
	// URLs on that port, yet public names (plain http to them is Insecure).
	mapped []allowRule
	deflt  *ssrf.Guardian
}

func newGuard(allowHosts []string) (*guard, error) {
	g := &guard{deflt: ssrf.New()}
	for _, entry := range allowHosts {
		r, err := parseAllowHost(entry)
		if err != nil {
			return nil, fmt.Errorf("fetch: allow-host %q: %w", entry, err)
		}
		g.rules = append(g.rules, r)
	}
	return g, nil
}

// parseAllowHost reads HOST or HOST:PORT (IPv6 literals bracketed when a
// port is given) and resolves a host name once.
func parseAllowHost(entry string) (allowRule, error) {
	host, port := entry, ""
	if strings.HasPrefix(entry, "[") || strings.Count(entry, ":") == 1 {
		var err error
		if host, port, err = net.SplitHostPort(entry); err != nil {
			return allowRule{}, err
		}
	}
	r := allowRule{ports: slices.Clone(defaultPorts)}
	if port != "" {
		p, err := parsePort(port)
		if err != nil {
			return allowRule{}, err
		}
		r.ports = []uint16{p}
	}
	if host == "" || strings.ContainsAny(host, "/@%[] ") {
		return allowRule{}, errors.New("not a host name or IP address")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		r.prefixes = []netip.Prefix{netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())}
		return r, nil
	}
	r.name = normalHost(host)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", r.name)
	if err != nil {
		return allowRule{}, err
	}
	for _, ip := range ips {
		r.prefixes = append(r.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return r, nil
}

func normalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

func parsePort(port string) (uint16, error) {
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return 0, fmt.Errorf("bad port %q", port)
	}
	return uint16(p), nil
}

// control is the net.Dialer Control hook: it runs after name resolution,
// on the exact address about to be connected, for every connection.
func (g *guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ssrf.ErrInvalidHostPort, address)
	}
	return g.check(network, ap)
}

func (g *guard) check(network string, ap netip.AddrPort) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: %s", ssrf.ErrProhibitedNetwork, network)
	}
	// ssrf refuses zoned addresses too (netip.Prefix.Contains is false for
	// them), but only as a side effect; say it plainly.
	if ap.Addr().Zone() != "" {
		return fmt.Errorf("%w: %s has an IPv6 zone", ssrf.ErrProhibitedIP, ap.Addr())
	}
	ip := ap.Addr().Unmap()
	for _, r := range g.rules {
		if r.permits(ip, ap.Port()) {
			return nil
		}
	}
	return g.deflt.SafeAddrPort(ap)
}

// allowedHost reports whether host (as written in a URL) names an
// allow-listed host, and the ports it is allowed on.
func (g *guard) allowedHost(host string) (ok bool, ports []uint16) {
	ip, err := netip.ParseAddr(host)
	for _, r := range g.rules {
		var match bool
		if err == nil {
			match = ip.Zone() == "" && slices.ContainsFunc(r.prefixes, func(p netip.Prefix) bool { return p.Contains(ip.Unmap()) })
		} else {
			match = r.name != "" && r.name == normalHost(host)
		}
		if match {
			ok = true
			ports = append(ports, r.ports...)
		}
	}
	return ok, ports
}

// checkURL applies the URL rules, before any network activity: https or
// http, no user info, a host, an allowed port (443 and 80, or one an
// allow rule names for that host), and for IP literals the same address
// check as at dial time.
// It returns a copy of the URL without its fragment, ready to request.
func (g *guard) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, problem.Wrap(err, problem.BlockedAddress, "not a valid URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		if u.Scheme == "" {
			return nil, problem.New(problem.BlockedAddress, "not an absolute https URL")
		}
		return nil, problem.New(problem.BlockedAddress, "URL scheme %q is not allowed", u.Scheme)
	}
	if u.User != nil {
		return nil, problem.New(problem.BlockedAddress, "URLs with user names or passwords are not allowed")
	}
	host := u.Hostname()
	if host == "" || u.Opaque != "" {
		return nil, problem.New(problem.BlockedAddress, "URL has no host")
	}
	// Plain http is allowed to any host (many Open Badges 1.x and 2.0
	// issuers never moved to https); the address dialled is checked as for
	// https, so loopback and private hosts stay refused unless allowed.
	// Response.Insecure tells the caller.
	_, ports := g.allowedHost(host)
	for _, r := range g.mapped {
		if r.name == normalHost(host) {
			ports = append(ports, r.ports...)
		}
	}
	port := uint16(443)
	if u.Scheme == "http" {
		port = 80
	}
	if p := u.Port(); p != "" {
		n, err := parsePort(p)
		if err != nil {
			return nil, problem.Wrap(err, problem.BlockedAddress, "bad port in URL")
		}
		port = n
	}
	if !slices.Contains(defaultPorts, port) && !slices.Contains(ports, port) {
		return nil, problem.Wrap(fmt.Errorf("%w: %d", ssrf.ErrProhibitedPort, port),
			problem.BlockedAddress, "port %d is not allowed", port)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		network := "tcp4"
		if ip.Is6() {
			network = "tcp6"
		}
		if err := g.check(network, netip.AddrPortFrom(ip, port)); err != nil {
			return nil, blocked(u, err)
		}
	}
	clean := *u
	clean.Fragment, clean.RawFragment = "", ""
	return &clean, nil
}

func blocked(u *url.URL, err error) error {
	return problem.Wrap(err, problem.BlockedAddress, "%s is not an allowed destination", u.Host)
}
