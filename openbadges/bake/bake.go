// Package bake finds, embeds and removes Open Badges payloads ("baked"
// badges) in PNG and SVG images, from OB 0.5 hosted URLs to OB 3.0
// credentials.
//
// It never decodes pixels and never renders or resolves anything in an SVG:
// PNGs are read as a list of chunks, SVGs as a stream of XML tokens, both
// under fixed size limits. Every error is a *problem.Error with code
// Malformed, TooLarge or Unsupported; an image without a badge gives an
// error that matches ErrNotBaked.
package bake

import (
	"bytes"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"backpack/openbadges/problem"
)

// Format is an image format that can carry a badge.
type Format string

// The image formats.
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// Kind is which badge generation the payload belongs to.
type Kind string

// The badge kinds, named after the PNG keyword that carries them.
const (
	// OB2 is OB 0.5–2.0: PNG keyword "openbadges"; SVG <assertion> in
	// http://openbadges.org.
	OB2 Kind = "openbadges"
	// OB3 is OB 3.0: PNG keyword "openbadgecredential"; SVG <credential> in
	// https://purl.imsglobal.org/ob/v3p0.
	OB3 Kind = "openbadgecredential"
)

// Payload is what was found in a baked image.
type Payload struct {
	Format Format
	Kind   Kind
	// Text is what was embedded: a URL, JSON, or a compact JWS, without
	// surrounding whitespace (space, tab, CR, LF).
	Text string
	// Legacy is set for a PNG tEXt chunk (the pre-2.0 hosted URL form).
	Legacy bool
}

// MaxText is the largest payload text accepted, in bytes (after Latin-1 to
// UTF-8 conversion for legacy PNG chunks).
const MaxText = 1 << 20

// ErrNotBaked is the cause of the error returned for an image that carries
// no badge: errors.Is(err, ErrNotBaked) reports it.
var ErrNotBaked = errors.New("bake: image not baked")

func notBaked(msg string) error {
	return problem.Wrap(ErrNotBaked, problem.Malformed, "%s", msg)
}

// pngSignature is the 8-byte magic number at the start of every PNG.
const pngSignature = "\x89PNG\r\n\x1a\n"

// Sniff reports whether b looks like a PNG (8-byte signature) or an SVG
// (XML whose root element is {http://www.w3.org/2000/svg}svg, after an
// optional BOM, XML declaration, comments, DOCTYPE and whitespace); ok is
// false otherwise. It looks at the bytes only (never a file name), and at
// most at the first 64 KiB of them.
func Sniff(b []byte) (Format, bool) {
	if bytes.HasPrefix(b, []byte(pngSignature)) {
		return PNG, true
	}
	if sniffSVG(b) {
		return SVG, true
	}
	return "", false
}

// Unbake finds the badge payload in a PNG or SVG image.
func Unbake(img []byte) (Payload, error) {
	f, err := detect(img)
	if err != nil {
		return Payload{}, err
	}
	if f == PNG {
		return UnbakePNG(img)
	}
	return UnbakeSVG(img)
}

// Bake returns a copy of img with the payload text embedded as kind,
// replacing any payload already there. Surrounding whitespace of text is
// not kept; what is left must be valid UTF-8 of at most MaxText bytes,
// made of characters XML allows (so no NUL or other C0 controls besides
// tab, CR and LF).
func Bake(img []byte, kind Kind, text string) ([]byte, error) {
	f, err := detect(img)
	if err != nil {
		return nil, err
	}
	if f == PNG {
		return BakePNG(img, kind, text)
	}
	return BakeSVG(img, kind, text)
}

func detect(img []byte) (Format, error) {
	if len(img) == 0 {
		return "", problem.New(problem.Malformed, "the file is empty")
	}
	f, ok := Sniff(img)
	if !ok {
		return "", problem.New(problem.Unsupported, "the file is not a PNG or SVG image")
	}
	return f, nil
}

// trim removes the whitespace that XML and JSON both ignore.
func trim(s string) string { return strings.Trim(s, " \t\r\n") }

// checkBake validates the arguments of a Bake call and returns the text to
// embed.
func checkBake(kind Kind, text string) (string, error) {
	if kind != OB2 && kind != OB3 {
		return "", problem.New(problem.Unsupported, "unknown badge kind")
	}
	text = trim(text)
	switch {
	case text == "":
		return "", problem.New(problem.Malformed, "the badge payload is empty")
	case len(text) > MaxText:
		return "", problem.New(problem.TooLarge, "the badge payload is larger than 1 MiB")
	case !utf8.ValidString(text):
		return "", problem.New(problem.Malformed, "the badge payload is not valid UTF-8")
	}
	for _, r := range text {
		if !xmlChar(r) {
			return "", problem.New(problem.Malformed, "the badge payload contains a control character")
		}
	}
	return text, nil
}

// xmlChar reports whether r is a character XML 1.0 allows in a document.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		0x20 <= r && r <= 0xD7FF ||
		0xE000 <= r && r <= 0xFFFD ||
		0x10000 <= r && r <= 0x10FFFF
}

var jwsPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

// isJWS reports whether s has the shape of a compact JWS.
func isJWS(s string) bool { return jwsPattern.MatchString(s) }

// isHTTPURL reports whether s is an absolute http(s) URL.
func isHTTPURL(s string) bool {
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
