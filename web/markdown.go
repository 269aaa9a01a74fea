package web

import (
	"bytes"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
)

// Markdown from issuers (criteria narratives) is rendered by goldmark
// without raw HTML (its default) and then sanitised by bluemonday's UGC
// policy: the result is the only issuer text the templates output as HTML.
var (
	md     = goldmark.New()
	policy = sync.OnceValue(func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		return p
	})
)

// renderMarkdown returns sanitised HTML for untrusted Markdown.
func renderMarkdown(src string) string {
	if src == "" {
		return ""
	}
	if len(src) > 64<<10 {
		src = src[:64<<10]
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return policy().Sanitize(src)
	}
	return policy().Sanitize(buf.String())
}
