// Package fetch is the one guarded HTTP client through which Backpack
// reaches any URL that a user or a badge names: assertions, badge classes,
// issuer profiles, images, keys, revocation and status lists, did:web
// documents.
//
// Every destination is checked twice. The URL is checked before any network
// activity (https or http, no user info, ports 80 and 443, IP literals
// against the deny-list); then the address actually dialled is checked by
// code.dny.dev/ssrf in the dialer's Control hook, after name resolution, for
// every connection including each redirect hop, which also defeats DNS
// rebinding. Loopback and private hosts are reachable only as named in
// Options.AllowHosts (`--allow-host`): HOST on ports 80 and 443, HOST:PORT
// on that port only. Plain http is fetched from any host the guard lets
// through, and a Response says so (Insecure) unless every plain-http hop
// was to an allow-listed host.
//
// Responses are capped in size (after transparent gzip decoding), in time
// (dial, TLS, headers and the whole request) and in number: a Client lets
// at most MaxConcurrent requests run at once, the fetches made for one
// owner (ForOwner: one user) at most MaxPerOwner of them, and a Session
// bounds the fetches of one verification. Failures are *problem.Error values with the
// codes BlockedAddress, FetchFailed or TooLarge; their messages never carry
// fetched content.
package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"time"

	"code.dny.dev/ssrf"

	"backpack/openbadges/problem"
)

// Options configure a Client. The zero value is the production setting.
type Options struct {
	// AllowHosts lists HOST or HOST:PORT entries that may be reached although
	// loopback or private (from --allow-host): HOST on ports 80 and 443,
	// HOST:PORT on that port only, never any other port of that host. Names
	// are resolved once, at New, to /32 and /128 prefixes. Plain http to
	// these hosts is not reported Insecure.
	AllowHosts []string

	DialTimeout   time.Duration // default 5s
	TLSTimeout    time.Duration // default 5s
	HeaderTimeout time.Duration // default 10s
	Timeout       time.Duration // the whole request, body included; default 20s
	MaxRedirects  int           // default 5
	UserAgent     string        // default "Backpack/1 (+Open Badges verifier)"
	// MaxPerOwner is how many requests made for one owner (ForOwner) run
	// at once; default MaxPerOwner.
	MaxPerOwner int

	// RootCAs adds trusted roots, for tests against https test servers.
	RootCAs *x509.CertPool

	// Redirect is for tests only: it maps a "host:port" as reached from a
	// URL (say "example.org:443") to the loopback "ip:port" of a test
	// server that answers in its place, like an /etc/hosts entry with
	// ports. The mapped names stay public names (plain http to them is
	// Insecure); only the loopback targets are allow-listed, so the dial
	// check lets the connection through. Nothing outside tests sets it:
	// the command line and the server build Options without it, so a
	// badge or a user cannot make production dial anything else.
	// A mapped host:port is allowed in URLs on that port only.
	Redirect map[string]string
}

// Limit is a response size limit in bytes.
type Limit int64

// Size limits by kind of document.
const (
	JSONLimit  Limit = 1 << 20
	ImageLimit Limit = 4 << 20
)

// MaxConcurrent is how many requests one Client runs at once; further Gets
// wait for a slot (within their context and Timeout). As there is one
// Client per process, this bounds the outbound work of the whole server.
const MaxConcurrent = 16

// Client is the guarded HTTP client. It is safe for concurrent use; make
// one per process.
type Client struct {
	guard        *guard
	transport    *http.Transport
	http         *http.Client
	userAgent    string
	timeout      time.Duration
	maxRedirects int
	slots        chan struct{}
	owners       owners
}

// New returns a Client. It fails when an AllowHosts entry is malformed or
// its name does not resolve.
func New(o Options) (*Client, error) {
	allow := slices.Clone(o.AllowHosts)
	var names []allowRule // mapped names: allowed in URLs, never resolved
	for from, to := range o.Redirect {
		host, port, err := net.SplitHostPort(from)
		if err != nil {
			return nil, fmt.Errorf("fetch: redirect %q: %w", from, err)
		}
		p, err := parsePort(port)
		if err != nil {
			return nil, fmt.Errorf("fetch: redirect %q: %w", from, err)
		}
		names = append(names, allowRule{name: normalHost(host), ports: []uint16{p}})
		allow = append(allow, to)
	}
	g, err := newGuard(allow)
	if err != nil {
		return nil, err
	}
	g.mapped = names
	c := &Client{
		guard:        g,
		userAgent:    or(o.UserAgent, "Backpack/1 (+Open Badges verifier)"),
		timeout:      or(o.Timeout, 20*time.Second),
		maxRedirects: or(o.MaxRedirects, 5),
		slots:        make(chan struct{}, MaxConcurrent),
		owners:       owners{per: min(or(o.MaxPerOwner, MaxPerOwner), MaxConcurrent), m: map[string]*share{}},
	}
	dialer := &net.Dialer{Timeout: or(o.DialTimeout, 5*time.Second), Control: g.control}
	dial := dialer.DialContext
	if len(o.Redirect) > 0 {
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := o.Redirect[addr]; ok {
				addr = to
			} else if host, _, err := net.SplitHostPort(addr); err != nil || !isIPLiteral(host) && !allowedName(g, host) {
				// A test client looks up no name but allow-listed ones (such
				// as localhost): no network in tests.
				return nil, problem.New(problem.BlockedAddress, "%s is not mapped for this test client", addr)
			}
			return dialer.DialContext(ctx, network, addr)
		}
	}
	c.transport = &http.Transport{
		Proxy:                  nil, // never from the environment: Control would only see the proxy
		DialContext:            dial,
		ForceAttemptHTTP2:      true, // a custom DialContext otherwise turns HTTP/2 off
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.RootCAs},
		TLSHandshakeTimeout:    or(o.TLSTimeout, 5*time.Second),
		ResponseHeaderTimeout:  or(o.HeaderTimeout, 10*time.Second),
		MaxResponseHeaderBytes: 64 << 10,
		IdleConnTimeout:        30 * time.Second,
		MaxConnsPerHost:        8,
		// DisableCompression stays false: the transport then gunzips itself,
		// so the size limit applies to the decoded bytes.
	}
	c.http = &http.Client{Transport: c.transport, Timeout: c.timeout, CheckRedirect: c.checkRedirect}
	return c, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Response is a fetched document.
type Response struct {
	URL         *url.URL // final URL, after redirects
	Status      int
	ContentType string
	Body        []byte // read-only: a Session shares it between callers
	// Insecure is true when the document, or a redirect that led to it,
	// came over plain http from a host that is not allow-listed: anyone
	// on the network path could have changed it.
	Insecure bool
}

// Err returns a FetchFailed error for a non-2xx status, nil otherwise. The
// message names the status and host, never the body.
func (r *Response) Err() error {
	if r.Status >= 200 && r.Status <= 299 {
		return nil
	}
	return problem.New(problem.FetchFailed, "HTTP %d from %s", r.Status, r.URL.Host)
}

// Get fetches rawURL with the given Accept header and size limit. A non-2xx
// status is not an error here (a hosted assertion answering 410 means
// revoked; see Response.Err), but its body is still read within the limit.
// Refused destinations, network failures and too-large bodies are errors.
func (c *Client) Get(ctx context.Context, rawURL, accept string, limit Limit) (*Response, error) {
	u, err := c.guard.checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	return c.get(ctx, u, accept, limit)
}

func (c *Client) get(ctx context.Context, u *url.URL, accept string, limit Limit) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// The owner's own slot first: fetches waiting for their owner's share
	// hold none of everyone's.
	if owner, ok := ctx.Value(ownerKey{}).(string); ok {
		release, err := c.owners.acquire(ctx, owner)
		if err != nil {
			return nil, problem.Wrap(err, problem.FetchFailed, "too many fetches for the same account in progress to fetch from %s", u.Host)
		}
		defer release()
	}
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-ctx.Done():
		return nil, problem.Wrap(ctx.Err(), problem.FetchFailed, "too many fetches in progress to fetch from %s", u.Host)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, problem.Wrap(err, problem.BlockedAddress, "not a valid URL")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, failure(u, err)
	}
	defer resp.Body.Close() // unread data: the transport drops the connection
	final := resp.Request.URL
	if resp.ContentLength > int64(limit) {
		return nil, tooLarge(final, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, failure(final, err)
	}
	if int64(len(body)) > int64(limit) {
		return nil, tooLarge(final, limit)
	}
	return &Response{URL: final, Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: body, Insecure: c.insecure(resp.Request)}, nil
}

// insecure reports whether req, or any request whose redirect led to it,
// used plain http to a host outside the allow-list.
func (c *Client) insecure(req *http.Request) bool {
	for ; req != nil; req = prevRequest(req) {
		if req.URL.Scheme != "https" {
			if ok, _ := c.guard.allowedHost(req.URL.Hostname()); !ok {
				return true
			}
		}
	}
	return false
}

func prevRequest(req *http.Request) *http.Request {
	if req.Response == nil {
		return nil
	}
	return req.Response.Request
}

// checkRedirect caps the hops and applies the URL rules to each one (an
// https to http downgrade is followed like any plain http URL, and marks
// the Response Insecure).
// The dialled address of every hop is checked again by the guard.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.maxRedirects {
		return problem.New(problem.FetchFailed, "too many redirects")
	}
	if _, err := c.guard.checkURL(req.URL.String()); err != nil {
		return err
	}
	if s, ok := req.Context().Value(sessionKey{}).(*Session); ok {
		return s.take()
	}
	return nil
}

// failure maps a transport error to a problem. u is the requested URL; the
// message names the host of the hop that failed, when known.
func failure(u *url.URL, err error) error {
	var p *problem.Error
	if errors.As(err, &p) { // from checkRedirect
		return p
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if hop, perr := url.Parse(ue.URL); perr == nil && hop.Host != "" {
			u = hop
		}
	}
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		netErr  net.Error
	)
	switch {
	case errors.Is(err, ssrf.ErrProhibitedIP), errors.Is(err, ssrf.ErrProhibitedPort),
		errors.Is(err, ssrf.ErrProhibitedNetwork), errors.Is(err, ssrf.ErrInvalidHostPort):
		return blocked(u, err)
	case errors.As(err, &dnsErr):
		return problem.Wrap(err, problem.FetchFailed, "%s could not be resolved", u.Hostname())
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return problem.Wrap(err, problem.FetchFailed, "%s did not answer in time", u.Host)
	case errors.Is(err, context.Canceled):
		return problem.Wrap(err, problem.FetchFailed, "fetch from %s was cancelled", u.Host)
	case errors.As(err, &certErr):
		return problem.Wrap(err, problem.FetchFailed, "the TLS certificate of %s is not trusted", u.Host)
	}
	return problem.Wrap(err, problem.FetchFailed, "%s could not be reached", u.Host)
}

func tooLarge(u *url.URL, limit Limit) error {
	return problem.New(problem.TooLarge, "response from %s larger than %s", u.Host, limit)
}

// String formats the limit for messages: "1 MiB", "64 KiB", "100 bytes".
func (l Limit) String() string {
	switch {
	case l >= 1<<20 && l%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", l>>20)
	case l >= 1<<10 && l%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", l>>10)
	}
	return fmt.Sprintf("%d bytes", int64(l))
}

func allowedName(g *guard, host string) bool {
	ok, _ := g.allowedHost(host)
	return ok
}

func isIPLiteral(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}
