package bake

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backpack/openbadges/problem"
)

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// wantCode fails the test unless err is a *problem.Error with code.
func wantCode(tb testing.TB, err error, code problem.Code) {
	tb.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) {
		tb.Fatalf("err = %v (%T), want a *problem.Error with code %q", err, err, code)
	}
	if pe.Code != code {
		tb.Fatalf("code = %q (%v), want %q", pe.Code, err, code)
	}
	if pe.Message == "" {
		tb.Fatal("empty message")
	}
}

func wantNotBaked(tb testing.TB, err error) {
	tb.Helper()
	wantCode(tb, err, problem.Malformed)
	if !errors.Is(err, ErrNotBaked) {
		tb.Fatalf("err = %v, want ErrNotBaked", err)
	}
}

const (
	isURL     = "url"
	isJSON    = "json"
	isBadJSON = "bad-json"
	isJWSText = "jws"
)

// The fixtures and what MANIFEST.md says they hold.
var fixtures = []struct {
	file   string
	format Format
	kind   Kind
	legacy bool
	what   string // isURL, isJSON, isBadJSON, isJWSText
	text   string // exact text, or a prefix for JSON and JWS
	code   problem.Code
	unbake bool // false: ErrNotBaked
}{
	{"legacy/backpack-valid-baked.png", PNG, OB2, true, isURL, "https://example.org/assertion", "", true},
	{"legacy/backpack-404.png", PNG, OB2, true, isURL, "https://example.org/404", "", true},
	{"legacy/salava-invalid-metadata.png", PNG, OB2, true, isURL, "https://openbadgefactory.com/v1/assertion/f7f5bc76de4cc1e96eeed3f367ac1f49f943631e.json", "", true},
	{"ob2/1edtech-validator-simple-badge.png", PNG, OB2, false, isJSON, `{"@context":"https://w3id.org/openbadges/v2"`, "", true},
	{"ob3/1edtech-validator-simple-json.png", PNG, OB3, false, isJSON, `{  "@context": [    "https://www.w3.org/ns/credentials/v2"`, "", true},
	{"ob3/1edtech-validator-simple-jwt.png", PNG, OB3, false, isJWSText, "eyJhbGciOiJSUzI1NiIs", "", true},
	{"ob3/1edtech-validator-simple-jwt_v1.png", PNG, OB3, false, isJWSText, "eyJhbGciOiJSUzI1NiIs", "", true},
	{"ob3/1edtech-validator-simple-json.svg", SVG, OB3, false, isJSON, "{\n      \"@context\": [", "", true},
	{"ob3/1edtech-validator-simple-jwt.svg", SVG, OB3, false, isJWSText, "eyJhbGciOiJSUzI1NiIs", "", true},
	{"ob3/1edtech-validator-simple-jwt_v1.svg", SVG, OB3, false, isJWSText, "eyJhbGciOiJSUzI1NiIs", "", true},
	{"ob1-ob2/bakery-baked.svg", SVG, OB2, false, isJSON, `{"verify":{"url":"http://example.org"}}`, "", true},
	{"ob1-ob2/bakery-no-json.svg", SVG, OB2, false, isURL, "http://example.org", "", true},
	{"ob1-ob2/bakery-bad-json.svg", SVG, OB2, false, isBadJSON, `{verify:{"url":"http://example.org"}}`, "", true},
	{"ob1-ob2/bakery-unbaked.png", PNG, "", false, "", "", problem.Malformed, false},
	{"ob1-ob2/bakery-unbaked.svg", SVG, "", false, "", "", problem.Malformed, false},
	{"invalid/salava-no-metadata.png", PNG, "", false, "", "", problem.Malformed, false},
	{"invalid/salava-not-an-image.txt", "", "", false, "", "", problem.Unsupported, false},
	{"invalid/salava-sample.jpg", "", "", false, "", "", problem.Unsupported, false},
}

func TestUnbakeFixtures(t *testing.T) {
	for _, tc := range fixtures {
		t.Run(tc.file, func(t *testing.T) {
			img := readFile(t, tc.file)
			if f, ok := Sniff(img); f != tc.format || ok != (tc.format != "") {
				t.Errorf("Sniff = %q, %v; want %q", f, ok, tc.format)
			}
			p, err := Unbake(img)
			switch {
			case tc.code == problem.Unsupported:
				wantCode(t, err, problem.Unsupported)
				return
			case !tc.unbake:
				wantNotBaked(t, err)
				return
			case err != nil:
				t.Fatal(err)
			}
			if p.Format != tc.format || p.Kind != tc.kind || p.Legacy != tc.legacy {
				t.Errorf("got %s/%s legacy=%v, want %s/%s legacy=%v", p.Format, p.Kind, p.Legacy, tc.format, tc.kind, tc.legacy)
			}
			switch tc.what {
			case isURL, isBadJSON:
				if p.Text != tc.text {
					t.Errorf("Text = %q, want %q", p.Text, tc.text)
				}
			case isJSON:
				if !strings.HasPrefix(p.Text, tc.text) || !json.Valid([]byte(p.Text)) {
					t.Errorf("Text = %.80q…, want valid JSON starting %q", p.Text, tc.text)
				}
			case isJWSText:
				if !strings.HasPrefix(p.Text, tc.text) || !isJWS(p.Text) {
					t.Errorf("Text = %.80q…, want a compact JWS", p.Text)
				}
			}
			if tc.what == isBadJSON && json.Valid([]byte(p.Text)) {
				t.Error("bad-json fixture unbaked to valid JSON")
			}
		})
	}
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Format
	}{
		{"png signature only", pngSignature, PNG},
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg"/>`, SVG},
		{"svg prolog", "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- hi -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n  <svg xmlns=\"http://www.w3.org/2000/svg\">", SVG},
		{"prefixed svg", `<s:svg xmlns:s="http://www.w3.org/2000/svg"></s:svg>`, SVG},
		{"svg without namespace", `<svg></svg>`, ""},
		{"svg in another namespace", `<svg xmlns="http://evil.example/svg"/>`, ""},
		{"html named png", "<html><script>alert(1)</script></html>", ""},
		{"text before root", `hello <svg xmlns="http://www.w3.org/2000/svg"/>`, ""},
		{"jpeg", "\xFF\xD8\xFF\xE0\x00\x10JFIF", ""},
		{"empty", "", ""},
		{"truncated png signature", pngSignature[:7], ""},
		{"latin-1 svg", `<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>`, ""},
	} {
		f, ok := Sniff([]byte(tc.in))
		if f != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: Sniff = %q, %v; want %q", tc.name, f, ok, tc.want)
		}
	}
}

func TestDetectErrors(t *testing.T) {
	_, err := Unbake(nil)
	wantCode(t, err, problem.Malformed)
	_, err = Bake([]byte{}, OB2, "https://example.org/a")
	wantCode(t, err, problem.Malformed)
	_, err = Unbake([]byte("<html><script>alert(1)</script></html>"))
	wantCode(t, err, problem.Unsupported)
	_, err = Bake(readFile(t, "invalid/salava-sample.jpg"), OB2, "https://example.org/a")
	wantCode(t, err, problem.Unsupported)
	// Direct calls on the wrong format.
	_, err = UnbakePNG(readFile(t, "ob1-ob2/bakery-baked.svg"))
	wantCode(t, err, problem.Unsupported)
	_, err = UnbakeSVG(readFile(t, "ob2/1edtech-validator-simple-badge.png"))
	wantCode(t, err, problem.Malformed)
}

func TestBakeRejectsBadText(t *testing.T) {
	img := readFile(t, "ob1-ob2/bakery-unbaked.png")
	svg := readFile(t, "ob1-ob2/bakery-unbaked.svg")
	for _, tc := range []struct {
		name string
		kind Kind
		text string
		code problem.Code
	}{
		{"empty", OB2, "", problem.Malformed},
		{"blank", OB2, " \n\t", problem.Malformed},
		{"NUL", OB2, `{"a":"b` + "\x00" + `"}`, problem.Malformed},
		{"control", OB3, "{\x1b}", problem.Malformed},
		{"invalid UTF-8", OB2, "{\xff}", problem.Malformed},
		{"U+FFFE", OB2, "{\uFFFE}", problem.Malformed},
		{"too large", OB3, `"` + strings.Repeat("a", MaxText) + `"`, problem.TooLarge},
		{"unknown kind", Kind("clrcredential"), "{}", problem.Unsupported},
	} {
		for _, in := range [][]byte{img, svg} {
			out, err := Bake(in, tc.kind, tc.text)
			if out != nil {
				t.Errorf("%s: output on error", tc.name)
			}
			wantCode(t, err, tc.code)
		}
	}
}
