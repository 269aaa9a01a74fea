package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"backpack/openbadges"
	"backpack/openbadges/fetch"
)

type verifyConfig struct {
	json       bool
	recipients list
	allowHosts list
	now        string
}

func verifyFlags(getenv func(string) string) *flagSet {
	var c verifyConfig
	return verifyFlagSet(&c, getenv)
}

func verifyFlagSet(c *verifyConfig, getenv func(string) string) *flagSet {
	f := newFlagSet("verify")
	f.BoolVar(&c.json, "json", false, "print exactly one JSON report object instead of the human summary")
	f.list(&c.recipients, "recipient", "BACKPACK_RECIPIENTS", "an identity (email, URL or telephone) the badge should be issued to; repeatable; matched when any matches", getenv)
	f.list(&c.allowHosts, "allow-host", "BACKPACK_ALLOW_HOSTS", "let the verifier fetch from this loopback or private HOST (ports 80 and 443) or HOST:PORT (that port only), refused by default; repeatable", getenv)
	f.string(&c.now, "now", "BACKPACK_NOW", "", "judge expiry and validity at this instant (RFC 3339) instead of now", getenv)
	f.usageLine = "backpack verify [--json] [--recipient ID]... [--allow-host HOST[:PORT]]... [--now RFC3339] INPUT\n\nINPUT is a file (.png, .svg, .json, .jws/.jwt or any text file holding JSON or a compact JWS),\n- for standard input, or an http(s) URL. Exit status: 0 valid, 1 not valid, 2 could not run."
	return f
}

// exitError carries an exit status without a message of its own (the
// report has been printed already).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// maxInputFile bounds what verify reads from a file or stdin.
const maxInputFile = 16 << 20

func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c verifyConfig
	f := verifyFlagSet(&c, getenv)
	if err := f.parseArgs(args, 1); err != nil {
		return err
	}
	input := f.Arg(0)
	now := time.Now
	if c.now != "" {
		t, err := time.Parse(time.RFC3339, c.now)
		if err != nil {
			return usageError{fmt.Sprintf("verify: --now %q: want an RFC 3339 time like 2026-01-02T15:04:05Z", c.now)}
		}
		now = func() time.Time { return t }
	}
	var ids []openbadges.Identity
	for _, r := range c.recipients {
		ids = append(ids, openbadges.Identity{Kind: guessKind(r), Value: r})
	}
	for _, h := range c.allowHosts {
		if err := checkHostPort(h); err != nil {
			return usageError{fmt.Sprintf("verify: --allow-host %q: %v", h, err)}
		}
	}
	client, err := fetch.New(fetch.Options{AllowHosts: c.allowHosts})
	if err != nil {
		return usageError{fmt.Sprintf("verify: --allow-host: %v", err)}
	}
	v := &openbadges.Verifier{Fetch: client, Now: now}

	var data []byte
	switch {
	case strings.HasPrefix(input, "http://") || strings.HasPrefix(input, "https://"):
		data = []byte(input)
	default:
		data, err = readInput(input, os.Stdin)
		if err != nil {
			return usageError{"verify: " + err.Error()}
		}
	}
	report := v.Verify(ctx, data, ids)
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		printReport(stdout, report)
	}
	if !report.Valid {
		return exitError(1)
	}
	return nil
}

// readInput reads a file or, for "-", stdin, up to the input limit.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%s: no such file", name)
			}
			return nil, err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return nil, fmt.Errorf("%s is a folder, not a file", name)
		}
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInputFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInputFile {
		// Let the verifier report it as too-large: an answer, not a crash.
		return b[:maxInputFile+1], nil
	}
	return b, nil
}

// guessKind tells an email, URL or telephone number apart.
func guessKind(s string) openbadges.IdentityKind {
	switch {
	case strings.Contains(s, "@") && !strings.Contains(s, "://"):
		return openbadges.Email
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		return openbadges.URL
	}
	return openbadges.Telephone
}

// printReport writes the human summary: each check, then the badge.
func printReport(w io.Writer, r *openbadges.Report) {
	for _, c := range r.Checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
		}
		fmt.Fprintf(w, "%s %-18s %s\n", mark, c.Name, oneLine(c.Message))
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "! %-18s %s\n", "warning", oneLine(wn.Message))
	}
	fmt.Fprintln(w)
	if r.Badge != nil {
		fmt.Fprintf(w, "Badge:     %s\n", oneLine(r.Badge.Name))
		fmt.Fprintf(w, "Issuer:    %s\n", oneLine(r.Badge.Issuer.Name))
	}
	switch {
	case r.Recipient.Matched == nil:
		fmt.Fprintln(w, "Recipient: not checked (no --recipient given)")
	case *r.Recipient.Matched:
		fmt.Fprintf(w, "Recipient: matches %s\n", oneLine(r.Recipient.Identity))
	default:
		fmt.Fprintln(w, "Recipient: does not match")
	}
	kind := strings.TrimSpace("Open Badges " + r.Spec + " " + r.Format)
	if r.Valid {
		fmt.Fprintf(w, "VALID (%s, from %s)\n", kind, r.Source)
		return
	}
	codes := make([]string, 0, len(r.Errors))
	for _, e := range r.Errors {
		codes = append(codes, string(e.Code))
	}
	fmt.Fprintf(w, "NOT VALID: %s\n", strings.Join(codes, ", "))
}

// oneLine keeps issuer-supplied text from breaking the layout (or the
// terminal: control characters are dropped).
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
