package bake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"backpack/openbadges/problem"
)

// Limits of the SVG scanner.
const (
	maxSVG       = 2 << 20 // whole file
	maxSVGDepth  = 64
	maxSVGTokens = 100_000
	maxSniff     = 64 << 10
)

// The namespaces involved.
const (
	svgNS = "http://www.w3.org/2000/svg"
	ob2NS = "http://openbadges.org"
	ob3NS = "https://purl.imsglobal.org/ob/v3p0"
)

const utf8BOM = "\xEF\xBB\xBF"

var errCharset = errors.New("bake: non-UTF-8 charset")

// newXMLDecoder returns a strict decoder that knows only XML's five
// predefined entities and refuses any declared encoding but UTF-8.
func newXMLDecoder(b []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(string, io.Reader) (io.Reader, error) { return nil, errCharset }
	return d
}

func isSVGRoot(n xml.Name) bool { return n.Space == svgNS && n.Local == "svg" }

// badgeName reports which badge, if any, an element name is. Names are
// matched by namespace URI, never by prefix.
func badgeName(n xml.Name) (Kind, bool) {
	switch {
	case n.Space == ob2NS && n.Local == "assertion":
		return OB2, true
	case n.Space == ob3NS && n.Local == "credential":
		return OB3, true
	}
	return "", false
}

// sniffSVG reports whether the root element of b is an SVG one, reading at
// most the first maxSniff bytes.
func sniffSVG(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte(utf8BOM))
	if len(b) > maxSniff {
		b = b[:maxSniff]
	}
	d := newXMLDecoder(b)
	for range 1000 {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return isSVGRoot(t.Name)
		case xml.CharData:
			if len(bytes.Trim(t, " \t\r\n")) != 0 {
				return false
			}
		}
	}
	return false
}

// svgBadge is one badge element found in an SVG.
type svgBadge struct {
	kind       Kind
	start, end int    // byte range of the element, start tag to end tag
	verify     string // the verify attribute
	body       []byte // its character data (CDATA included), direct children only
}

// svgDoc is what a scan of an SVG found.
type svgDoc struct {
	b          []byte // the document without its BOM
	rootStart  int    // offset of the root start tag's '<'
	rootEnd    int    // offset just after the root start tag
	rootPrefix string // namespace the root binds to the prefix "openbadges"
	badges     []svgBadge
}

// scanSVG checks that b is a well-formed, UTF-8, DTD-free SVG within the
// limits, and finds its badge elements (outermost ones only).
func scanSVG(b []byte) (*svgDoc, error) {
	if len(b) > maxSVG {
		return nil, problem.New(problem.TooLarge, "the SVG is larger than 2 MiB")
	}
	doc := &svgDoc{b: bytes.TrimPrefix(b, []byte(utf8BOM))}
	d := newXMLDecoder(doc.b)
	var (
		depth     int
		rootSeen  bool
		cur       = -1 // index of the badge element being read
		curDepth  int  // its depth
		tokens    int
		malformed = func(msg string) error { return problem.New(problem.Malformed, "%s", msg) }
	)
	for {
		start := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errCharset) {
			return nil, problem.New(problem.Unsupported, "only UTF-8 SVG images are supported")
		}
		if err != nil {
			return nil, problem.Wrap(err, problem.Malformed, "the SVG is not well-formed XML")
		}
		if tokens++; tokens > maxSVGTokens {
			return nil, problem.New(problem.TooLarge, "the SVG has more than 100000 XML tokens")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxSVGDepth {
				return nil, malformed("the SVG is too deeply nested")
			}
			if !rootSeen {
				if !isSVGRoot(t.Name) {
					return nil, problem.New(problem.Unsupported, "the file is not an SVG image")
				}
				rootSeen = true
				doc.rootStart, doc.rootEnd = start, int(d.InputOffset())
				for _, a := range t.Attr {
					if a.Name.Space == "xmlns" && a.Name.Local == "openbadges" {
						doc.rootPrefix = a.Value
					}
				}
				continue
			}
			if depth == 1 {
				return nil, malformed("the SVG has more than one root element")
			}
			k, ok := badgeName(t.Name)
			switch {
			case ok && cur < 0:
				doc.badges = append(doc.badges, svgBadge{kind: k, start: start})
				cur, curDepth = len(doc.badges)-1, depth
				for _, a := range t.Attr {
					if a.Name.Space == "" && a.Name.Local == "verify" {
						doc.badges[cur].verify = a.Value
					}
				}
			case ok:
				// A badge inside a badge: counted, and removed with the outer one.
				doc.badges = append(doc.badges, svgBadge{kind: k, start: start, end: start})
			}
		case xml.EndElement:
			if cur >= 0 && depth == curDepth {
				doc.badges[cur].end = int(d.InputOffset())
				cur = -1
			}
			depth--
		case xml.CharData:
			if cur >= 0 && depth == curDepth {
				doc.badges[cur].body = append(doc.badges[cur].body, t...)
			} else if depth == 0 && len(bytes.Trim(t, " \t\r\n")) != 0 {
				return nil, malformed("the SVG has text outside its root element")
			}
		case xml.Directive:
			if err := checkDirective(t, rootSeen); err != nil {
				return nil, err
			}
		}
	}
	if !rootSeen {
		return nil, problem.New(problem.Unsupported, "the file is not an SVG image")
	}
	return doc, nil
}

// checkDirective allows only a DOCTYPE before the root element without an
// internal subset, such as the SVG 1.1 one many editors write. Entities
// can only be declared in an internal subset, and encoding/xml never loads
// an external DTD, so what is left cannot expand anything (XXE, billion
// laughs); references to undeclared entities fail to parse.
func checkDirective(dir xml.Directive, rootSeen bool) error {
	if rootSeen || !bytes.HasPrefix(dir, []byte("DOCTYPE")) || bytes.ContainsAny(dir, "[<") {
		return problem.New(problem.Malformed, "DOCTYPE not allowed (only a plain <!DOCTYPE svg ...> without declarations)")
	}
	return nil
}

// UnbakeSVG finds the badge payload in an SVG image: the element
// {http://openbadges.org}assertion (OB 0.5–2.0) or
// {https://purl.imsglobal.org/ob/v3p0}credential (OB 3.0), whatever its
// prefix. The payload is the element's non-blank character data (JSON),
// else its verify attribute (a URL or a compact JWS). The image must hold
// at most one badge element.
func UnbakeSVG(img []byte) (Payload, error) {
	doc, err := scanSVG(img)
	if err != nil {
		return Payload{}, err
	}
	switch len(doc.badges) {
	case 0:
		return Payload{}, notBaked("the image carries no badge (it was not baked)")
	case 1:
	default:
		return Payload{}, problem.New(problem.Malformed, "the SVG carries more than one badge element")
	}
	el := doc.badges[0]
	p := Payload{Format: SVG, Kind: el.kind, Text: trim(string(el.body))}
	if p.Text == "" {
		p.Text = trim(el.verify)
	}
	if p.Text == "" {
		return Payload{}, notBaked("empty badge element")
	}
	if len(p.Text) > MaxText {
		return Payload{}, problem.New(problem.TooLarge, "the badge payload is larger than 1 MiB")
	}
	return p, nil
}

// BakeSVG returns a copy of the SVG img with a badge element holding text
// directly after the root start tag, and any badge elements already there
// removed. The rest of the document is kept byte for byte: the new element
// is spliced in, not the document re-serialised. The element uses the
// prefix "openbadges" and declares it itself unless the root already binds
// it to the right namespace.
//
// For OB2, a URL or a compact JWS goes in the verify attribute and the
// element is empty; anything else (JSON) goes in a CDATA body, with
// verify set to the assertion's http(s) id or verify.url if it has one.
// For OB3, a compact JWS goes in verify; anything else in a CDATA body.
func BakeSVG(img []byte, kind Kind, text string) ([]byte, error) {
	text, err := checkBake(kind, text)
	if err != nil {
		return nil, err
	}
	doc, err := scanSVG(img)
	if err != nil {
		return nil, err
	}
	el := badgeElement(kind, text, doc.rootPrefix != nsOf(kind))

	b := doc.b
	var out bytes.Buffer
	out.Grow(len(img) + len(el) + 16)
	if len(b) < len(img) {
		out.WriteString(utf8BOM)
	}
	if bytes.HasSuffix(b[:doc.rootEnd], []byte("/>")) {
		// <svg .../> has no content to insert into: open and close it.
		out.Write(b[:doc.rootEnd-2])
		out.WriteString(">")
		out.WriteString(el)
		out.WriteString("</")
		out.Write(rawName(b[doc.rootStart:]))
		out.WriteString(">")
		out.Write(b[doc.rootEnd:])
		return out.Bytes(), nil
	}
	out.Write(b[:doc.rootEnd])
	out.WriteString(el)
	doc.writeWithoutBadges(&out, doc.rootEnd)
	return out.Bytes(), nil
}

// writeWithoutBadges writes the document from offset from to its end,
// leaving out every badge element in it.
func (doc *svgDoc) writeWithoutBadges(out *bytes.Buffer, from int) {
	prev := from
	for _, bg := range doc.badges {
		if bg.end <= bg.start {
			continue // nested inside another badge element, removed with it
		}
		out.Write(doc.b[prev:bg.start])
		prev = bg.end
	}
	out.Write(doc.b[prev:])
}

// rawName returns the qualified name of the start tag at the head of b.
func rawName(b []byte) []byte {
	b = b[1:]
	if i := bytes.IndexAny(b, " \t\r\n/>"); i >= 0 {
		return b[:i]
	}
	return b
}

func nsOf(k Kind) string {
	if k == OB3 {
		return ob3NS
	}
	return ob2NS
}

// badgeElement writes the badge element for text.
func badgeElement(kind Kind, text string, declare bool) string {
	var b strings.Builder
	name := "openbadges:assertion"
	if kind == OB3 {
		name = "openbadges:credential"
	}
	b.WriteString("<" + name)
	if declare {
		b.WriteString(` xmlns:openbadges="` + nsOf(kind) + `"`)
	}
	verify, body := "", ""
	switch {
	case isJWS(text), kind == OB2 && isHTTPURL(text):
		verify = text
	case kind == OB2:
		verify, body = hostedURL(text), text
	default:
		body = text
	}
	if verify != "" {
		b.WriteString(` verify="`)
		_ = xml.EscapeText(&b, []byte(verify))
		b.WriteString(`"`)
	}
	b.WriteString(">")
	writeCDATA(&b, body)
	b.WriteString("</" + name + ">")
	return b.String()
}

// writeCDATA writes s as CDATA sections. "]]>" cannot appear inside one,
// so it is split across two; a CR would be read back as LF, so it is
// written as a character reference between sections.
func writeCDATA(b *strings.Builder, s string) {
	if s == "" {
		return
	}
	b.WriteString("<![CDATA[")
	for {
		i := strings.IndexAny(s, "]\r")
		if i < 0 {
			break
		}
		switch {
		case s[i] == '\r':
			b.WriteString(s[:i])
			b.WriteString("]]>&#13;<![CDATA[")
			s = s[i+1:]
		case strings.HasPrefix(s[i:], "]]>"):
			b.WriteString(s[:i+2])
			b.WriteString("]]><![CDATA[")
			s = s[i+2:]
		default:
			b.WriteString(s[:i+1])
			s = s[i+1:]
		}
	}
	b.WriteString(s)
	b.WriteString("]]>")
}

// hostedURL returns the http(s) id or verify.url of an OB 1.x/2.0 JSON
// assertion, or "" if it has neither (or is not JSON).
func hostedURL(text string) string {
	var a struct {
		ID     json.RawMessage `json:"id"`
		Verify json.RawMessage `json:"verify"`
	}
	if json.Unmarshal([]byte(text), &a) != nil {
		return ""
	}
	var v struct {
		URL json.RawMessage `json:"url"`
	}
	_ = json.Unmarshal(a.Verify, &v)
	for _, raw := range []json.RawMessage{a.ID, v.URL} {
		var s string
		if json.Unmarshal(raw, &s) == nil && isHTTPURL(s) {
			return s
		}
	}
	return ""
}
