package web

import (
	"regexp"
	"strings"
	"testing"
)

func TestRenderMarkdownIsSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[a](&#106;avascript:alert(1))", "<p>a</p>"},
		{"[b](javascript&#58;alert(1))", "<p>b</p>"},
		{"[c](data:text/html;base64,PHNjcmlwdD4=)", "<p>c</p>"},
		{"<img src=x onerror=alert(1)>", ""},
		{"**bold** and _it_", "<p><strong>bold</strong> and <em>it</em></p>"},
	}
	for _, tt := range tests {
		if got := strings.TrimSpace(renderMarkdown(tt.in)); got != tt.want {
			t.Errorf("renderMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := renderMarkdown(`[d](https://example.org "t")`)
	if !strings.Contains(got, `href="https://example.org"`) || !strings.Contains(got, `rel="nofollow`) {
		t.Errorf("link: %s", got)
	}
}

var unsafeHTML = regexp.MustCompile(`(?i)<script|javascript:|\son[a-z]+=`)

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{"[a](javascript:x)", "<script>x</script>", "<a href=\"x\" onclick=\"y\">z</a>", "**x**", "<svg><script>alert(1)</script></svg>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if out := renderMarkdown(s); unsafeHTML.MatchString(out) {
			t.Fatalf("unsafe output for %q: %s", s, out)
		}
	})
}
