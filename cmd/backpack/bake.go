package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"backpack/openbadges/bake"
	"backpack/openbadges/problem"
)

type bakeConfig struct{ in, image, out string }

func bakeFlags(getenv func(string) string) *flagSet {
	var c bakeConfig
	return bakeFlagSet(&c, getenv)
}

func bakeFlagSet(c *bakeConfig, getenv func(string) string) *flagSet {
	f := newFlagSet("bake")
	f.string(&c.in, "in", "BACKPACK_BAKE_IN", "", "the badge: a .json, .jws or .jwt file, or the URL of a hosted assertion", getenv)
	f.string(&c.image, "image", "BACKPACK_BAKE_IMAGE", "", "the PNG or SVG image to bake it into", getenv)
	f.string(&c.out, "out", "BACKPACK_BAKE_OUT", "", "where to write the baked image (must not exist)", getenv)
	f.usageLine = "backpack bake --in BADGE.(json|jws|jwt) --image IMAGE.(png|svg) --out FILE   (or a URL as --in)"
	return f
}

// runBake embeds a badge into an image. Open Badges 3.0 credentials go into
// the OB 3.0 chunk/element, everything else into the OB 2.0 one.
func runBake(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c bakeConfig
	if err := bakeFlagSet(&c, getenv).parseArgs(args, 0); err != nil {
		return err
	}
	if c.in == "" || c.image == "" || c.out == "" {
		return usageError{"bake: --in, --image and --out are all required; run 'backpack help bake'"}
	}
	text := c.in
	if !strings.HasPrefix(c.in, "http://") && !strings.HasPrefix(c.in, "https://") {
		b, err := readInput(c.in, os.Stdin)
		if err != nil {
			return usageError{"bake: " + err.Error()}
		}
		text = strings.TrimSpace(string(b))
	}
	img, err := readInput(c.image, os.Stdin)
	if err != nil {
		return usageError{"bake: " + err.Error()}
	}
	kind := bake.OB2
	if isCredential(text) {
		kind = bake.OB3
	}
	out, err := bake.Bake(img, kind, text)
	if err != nil {
		return usageError{"bake: " + problemText(err)}
	}
	f, err := os.OpenFile(c.out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return usageError{"bake: " + c.out + " already exists"}
	}
	if err != nil {
		return usageError{"bake: " + err.Error()}
	}
	if _, err := f.Write(out); err != nil {
		f.Close()
		return fmt.Errorf("bake: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bake: %w", err)
	}
	fmt.Fprintf(stdout, "Baked into %s\n", c.out)
	return nil
}

// isCredential tells an OB 3.0 credential (or VC-JWT) from older badges.
func isCredential(text string) bool {
	if strings.HasPrefix(text, "{") {
		return strings.Contains(text, "VerifiableCredential") || strings.Contains(text, "/credentials/")
	}
	if parts := strings.Split(text, "."); len(parts) == 3 {
		p, err := decodeSegment(parts[1])
		return err == nil && (strings.Contains(p, `"vc"`) || strings.Contains(p, "VerifiableCredential"))
	}
	return false
}

func unbakeFlags(getenv func(string) string) *flagSet {
	f := newFlagSet("unbake")
	f.usageLine = "backpack unbake FILE   prints the payload baked into a PNG or SVG (- reads standard input)"
	return f
}

func runUnbake(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := unbakeFlags(getenv)
	if err := f.parseArgs(args, 1); err != nil {
		return err
	}
	img, err := readInput(f.Arg(0), os.Stdin)
	if err != nil {
		return usageError{"unbake: " + err.Error()}
	}
	p, err := bake.Unbake(img)
	if err != nil {
		fmt.Fprintln(stderr, "backpack: unbake:", problemText(err))
		return exitError(1)
	}
	fmt.Fprintln(stdout, p.Text)
	return nil
}

func decodeSegment(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err
}

// problemText is the user-safe text of a verifier error.
func problemText(err error) string {
	if c := problem.CodeOf(err); c != "" {
		return string(c) + ": " + problem.MessageOf(err)
	}
	return err.Error()
}
