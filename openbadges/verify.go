package openbadges

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"backpack/openbadges/bake"
	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// Verifier checks badges. It is safe for concurrent use.
type Verifier struct {
	Fetch *fetch.Client
	// Now is the clock expiry is judged by; nil means time.Now.
	Now func() time.Time
	// Budget is how many documents one verification may fetch (default 16).
	Budget int
	// Timeout bounds one whole verification (default 25 s).
	Timeout time.Duration
}

// WarnTransport is the code of the warning that a document came over
// plain http (message "insecure: ..."). It never makes a badge invalid.
const WarnTransport Code = "transport"

// Accept headers for the documents the verifier fetches.
const (
	acceptJSON  = "application/ld+json, application/json;q=0.9, */*;q=0.1"
	acceptInput = "application/ld+json, application/json, image/png, image/svg+xml, text/plain;q=0.5"
)

// run is the state of one verification.
type run struct {
	v    *Verifier
	sess *fetch.Session
	rep  *Report
	ids  []Identity
	now  time.Time
}

// Verify checks the badge in b: a baked PNG or SVG, JSON, a compact JWS, or
// text holding just a URL. ids are the identities the badge should be
// issued to (none: the recipient is not checked). Whatever b holds, the
// answer is a report, never a panic.
func (v *Verifier) Verify(ctx context.Context, b []byte, ids []Identity) *Report {
	r := v.newRun(ids)
	ctx, cancel := context.WithTimeout(ctx, or(v.Timeout, 25*time.Second))
	defer cancel()
	r.input(ctx, b)
	r.finish()
	return r.rep
}

// VerifyURL checks the badge at rawURL.
func (v *Verifier) VerifyURL(ctx context.Context, rawURL string, ids []Identity) *Report {
	return v.Verify(ctx, []byte(rawURL), ids)
}

func (v *Verifier) newRun(ids []Identity) *run {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	return &run{v: v, sess: v.Fetch.Session(or(v.Budget, 16)), rep: newReport(), ids: ids, now: now()}
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

var jwsRE = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)

// Input limits: whatever the source, no more than this is read.
const maxInput = 16 << 20

func (r *run) input(ctx context.Context, b []byte) {
	if len(b) > maxInput {
		r.rep.fail(CheckInput, problem.New(problem.TooLarge, "the input is larger than %d MiB", maxInput>>20))
		return
	}
	if f, ok := bake.Sniff(b); ok {
		r.rep.Source = string(f)
		r.image(ctx, b, f)
		return
	}
	text := strings.TrimSpace(string(bytes.TrimPrefix(b, []byte("\ufeff"))))
	switch {
	case text == "":
		r.rep.fail(CheckInput, problem.New(problem.Malformed, "the input is empty"))
	case isHTTPURL(text) && !strings.ContainsAny(text, " \t\r\n"):
		r.rep.Source = "url"
		r.hosted(ctx, text, nil, true)
	case strings.HasPrefix(text, "{") || strings.HasPrefix(text, "["):
		r.rep.Source = "json"
		r.json(ctx, []byte(text))
	case jwsRE.MatchString(text):
		r.rep.Source = "jws"
		r.signed(ctx, text)
	case !utf8.ValidString(text) || !strings.HasPrefix(http.DetectContentType([]byte(text)), "text/plain"):
		// Another file format (JPEG, GIF, PDF, ZIP, HTML, XML that is not
		// SVG, binary data): recognisably not a badge format Backpack reads.
		r.rep.fail(CheckInput, problem.New(problem.Unsupported, "this is a file of a kind Backpack does not read (%s): expected a PNG or SVG image, JSON, a signed badge (JWS) or a URL", kindOf(text)))
	default:
		r.rep.fail(CheckInput, problem.New(problem.Malformed, "this text is neither JSON, a signed badge (compact JWS) nor an http(s) URL"))
	}
}

// kindOf names the content type of a non-badge input for messages.
func kindOf(text string) string {
	if !utf8.ValidString(text) {
		return "binary data"
	}
	ct, _, _ := strings.Cut(http.DetectContentType([]byte(text)), ";")
	return ct
}

// image unbakes a PNG or SVG and verifies what it carries.
func (r *run) image(ctx context.Context, b []byte, f bake.Format) {
	p, err := bake.Unbake(b)
	if err != nil {
		r.rep.fail(CheckUnbake, err)
		return
	}
	r.rep.pass(CheckUnbake, "found a badge in the "+strings.ToUpper(string(f))+" image")
	r.payload(ctx, p.Text)
}

// payload verifies the text found in an image: a URL, JSON or a JWS.
func (r *run) payload(ctx context.Context, text string) {
	text = strings.TrimSpace(text)
	switch {
	case isHTTPURL(text):
		r.hosted(ctx, text, nil, false)
	case strings.HasPrefix(text, "{"):
		r.json(ctx, []byte(text))
	case jwsRE.MatchString(text):
		r.signed(ctx, text)
	default:
		r.rep.fail(CheckParse, problem.New(problem.Malformed, "the image carries something that is neither a URL, JSON nor a signed badge"))
	}
}

// json verifies a badge given as JSON. For hosted badges the JSON only says
// where the real assertion lives: the issuer's copy is fetched and used.
func (r *run) json(ctx context.Context, b []byte) {
	o, err := decodeObject(b)
	if err != nil {
		r.rep.fail(CheckParse, err)
		return
	}
	if isOB3(o) {
		r.diCredential(ctx, o)
		return
	}
	as, err := readAssertion(o, "")
	if err != nil {
		r.rep.Spec = ob2Version(o)
		r.rep.fail(CheckParse, err)
		return
	}
	r.rep.Spec = as.version
	if as.revoked {
		r.revoked(as.revokeReason)
		return
	}
	r.rep.pass(CheckParse, "Open Badges "+as.version+" assertion")
	if as.verifyType == "signed" {
		r.rep.Format = "signed"
		r.rep.fail(CheckSignature, problem.New(problem.Unsupported, "this is a signed badge: verify the signed form (JWS) it came in, not its JSON"))
		return
	}
	u := as.id
	if as.version != v20 && as.verifyURL != "" {
		u = as.verifyURL
	}
	if !isHTTPURL(u) {
		r.rep.Format = "hosted"
		r.rep.fail(CheckFetch, problem.New(problem.Schema, "the assertion names no http(s) URL where the issuer hosts it, so it cannot be checked"))
		return
	}
	r.hosted(ctx, u, as, false)
}

func (r *run) revoked(reason string) {
	msg := "the issuer has revoked this badge"
	if reason != "" {
		msg += ": " + truncate(reason, 300)
	}
	r.rep.RevocationReason = reason
	r.rep.fail(CheckRevocation, problem.New(problem.Revoked, "%s", msg))
}

// fetchJSON fetches a JSON document (a BadgeClass, Profile, key or list).
func (r *run) fetchJSON(ctx context.Context, rawURL, what string) (Object, error) {
	resp, err := r.sess.Get(ctx, rawURL, acceptJSON, fetch.JSONLimit)
	if err != nil {
		return nil, err
	}
	if err := resp.Err(); err != nil {
		return nil, err
	}
	o, err := decodeObject(resp.Body)
	if err != nil {
		return nil, problem.Wrap(err, problem.CodeOf(err), "the %s at %s: %s", what, hostOf(rawURL), problem.MessageOf(err))
	}
	return o, nil
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "its address"
	}
	return u.Host
}

// finish makes the verdict, valid when no error was recorded, and puts
// the errors in the order of precedence (see Report).
func (r *run) finish() {
	for _, h := range r.sess.Insecure() {
		r.rep.warn(WarnTransport, "insecure: what came from "+h+" came over plain http (or through a plain-http redirect), so anyone on the network path could have changed it")
	}
	r.rep.Valid = len(r.rep.Errors) == 0 && r.rep.Badge != nil
	if !r.rep.Valid && len(r.rep.Errors) == 0 {
		r.rep.fail(CheckParse, problem.New(problem.Malformed, "no badge was found"))
	}
	r.rep.order()
}
