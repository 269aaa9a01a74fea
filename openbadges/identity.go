// Package openbadges is Backpack's domain: the kinds of recipient identity a
// badge can name and, as it grows, detecting, unbaking, parsing and verifying
// Open Badges. It knows nothing of HTTP or SQL.
package openbadges

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
)

// IdentityKind is what a recipient identity is: the OB IdentityObject "type".
type IdentityKind string

// The identity kinds Backpack keeps for an earner.
const (
	Email     IdentityKind = "email"
	URL       IdentityKind = "url"
	Telephone IdentityKind = "telephone"
)

// Valid reports whether k is a known kind.
func (k IdentityKind) Valid() bool {
	switch k {
	case Email, URL, Telephone:
		return true
	}
	return false
}

// NormalizeIdentity checks value as an identity of kind k and returns the
// form it is stored as and the form used to compare identities. Email
// addresses compare case-insensitively (the whole address: issuers and
// earners disagree about case far more often than mailboxes differ by it).
func NormalizeIdentity(k IdentityKind, value string) (display, norm string, err error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", "", fmt.Errorf("enter a value")
	}
	if len(v) > 320 {
		return "", "", fmt.Errorf("too long (at most 320 characters)")
	}
	switch k {
	case Email:
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v || !strings.Contains(v[strings.LastIndexByte(v, '@')+1:], ".") {
			return "", "", fmt.Errorf("enter an email address like name@example.org")
		}
		return v, strings.ToLower(v), nil
	case URL:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return "", "", fmt.Errorf("enter a web address starting with https://")
		}
		u.Scheme = strings.ToLower(u.Scheme)
		u.Host = strings.ToLower(u.Host)
		return v, u.String(), nil
	case Telephone:
		var b strings.Builder
		for i, r := range v {
			switch {
			case r >= '0' && r <= '9':
				b.WriteRune(r)
			case r == '+' && i == 0:
				b.WriteRune(r)
			case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
			default:
				return "", "", fmt.Errorf("enter a telephone number like +44 20 7946 0958")
			}
		}
		n := b.String()
		if digits := strings.TrimPrefix(n, "+"); len(digits) < 5 || len(digits) > 15 {
			return "", "", fmt.Errorf("enter a telephone number like +44 20 7946 0958")
		}
		return v, n, nil
	}
	return "", "", fmt.Errorf("unknown identity kind %q", k)
}
