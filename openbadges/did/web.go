package did

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// didDocLimit caps the size of a DID document.
const didDocLimit = fetch.Limit(256 << 10)

const acceptDID = "application/did+json, application/did+ld+json;q=0.9, application/ld+json;q=0.8, application/json;q=0.7"

// resolveWeb resolves did:web:…#frag through the DID document.
func resolveWeb(ctx context.Context, g Getter, vmID string) (Key, error) {
	did, _, _ := strings.Cut(vmID, "#")
	doc, err := webDocument(ctx, g, did)
	if err != nil {
		return Key{}, err
	}
	return keyIn(doc, did, vmID)
}

// webDocument fetches the DID document of a did:web and checks that it
// came from the DID's host and names that DID.
func webDocument(ctx context.Context, g Getter, did string) (map[string]any, error) {
	u, err := webURL(did)
	if err != nil {
		return nil, err
	}
	resp, err := g.Get(ctx, u.String(), acceptDID, didDocLimit)
	if err == nil {
		err = resp.Err()
	}
	if err != nil {
		return nil, unresolved(err, "the DID document could not be fetched")
	}
	// The fetcher follows redirects; a did:web is only as good as its host.
	if resp.URL == nil || resp.URL.Scheme != "https" || !sameHost(resp.URL, u) {
		return nil, problem.New(problem.KeyUnresolved, "the DID document of %s was served by another host", u.Host)
	}
	doc, err := decodeObject(resp.Body)
	if err != nil {
		return nil, unresolved(err, "the DID document of "+u.Host+" is not valid")
	}
	if id, _ := doc["id"].(string); id != did {
		return nil, problem.New(problem.KeyUnresolved, "the DID document names another DID")
	}
	return doc, nil
}

// webURL maps did:web:host[%3Aport][:p1:p2…] to https://host[:port]/.well-known/did.json
// or https://host[:port]/p1/p2/did.json (did:web method spec, "Read").
// It accepts only what cannot change the host or escape the path: DID
// characters, %3A as the one escape in the host (a port, which the
// fetcher then allows or refuses), no escapes and no dot segments in the
// path.
func webURL(did string) (*url.URL, error) {
	msid, _ := strings.CutPrefix(did, "did:web:")
	if msid == "" {
		return nil, problem.New(problem.Malformed, "the did:web names no host")
	}
	segs := strings.Split(msid, ":")
	for _, s := range segs {
		if !isIDSegment(s) {
			return nil, problem.New(problem.Malformed, "the did:web is not a valid DID")
		}
	}
	host, err := webHost(segs[0])
	if err != nil {
		return nil, err
	}
	path := "/.well-known/did.json"
	if len(segs) > 1 {
		for _, s := range segs[1:] {
			if s == "." || s == ".." {
				return nil, problem.New(problem.Malformed, "the did:web path has a dot segment")
			}
			if strings.Contains(s, "%") {
				return nil, problem.New(problem.Unsupported, "percent-encoded did:web paths are not supported")
			}
		}
		path = "/" + strings.Join(segs[1:], "/") + "/did.json"
	}
	return &url.URL{Scheme: "https", Host: host, Path: path}, nil
}

// webHost decodes the host part of a did:web: a DNS name or IPv4 address,
// optionally followed by %3A and a port.
func webHost(seg string) (string, error) {
	host, port := seg, ""
	if i := strings.Index(strings.ToUpper(seg), "%3A"); i >= 0 {
		host, port = seg[:i], seg[i+3:]
	}
	if strings.Contains(host, "%") || strings.Contains(port, "%") {
		return "", problem.New(problem.Malformed, "only the port separator %%3A may be percent-encoded in a did:web host")
	}
	if !isHostName(host) {
		return "", problem.New(problem.Malformed, "the did:web host is not a valid host name")
	}
	if port == "" {
		if host != seg {
			return "", problem.New(problem.Malformed, "the did:web port is empty")
		}
		return host, nil
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 || port[0] == '0' {
		return "", problem.New(problem.Malformed, "the did:web port is not valid")
	}
	return net.JoinHostPort(host, port), nil
}

// isIDSegment reports whether s is a non-empty run of DID idchars:
// letters, digits, '.', '-', '_' and %XX escapes.
func isIDSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c), c == '.', c == '-', c == '_':
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

// isHostName reports whether s is a DNS name (or IPv4 address) of
// letters, digits and hyphens in non-empty labels.
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

// sameHost compares the authorities of two https URLs.
func sameHost(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		return "443"
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
