package bake

import (
	"bytes"
	"strings"
	"testing"

	"backpack/openbadges/problem"
)

const svgOpen = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">`

func TestUnbakeSVGHostile(t *testing.T) {
	laughs := `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"><openbadges:assertion>&lol9;</openbadges:assertion></svg>`
	for _, tc := range []struct {
		name string
		svg  string
		code problem.Code
		msg  string
	}{
		{"XXE", xxeSVG, problem.Malformed, "DOCTYPE not allowed"},
		{"XXE without DOCTYPE", svgOpen + `<x:assertion xmlns:x="http://openbadges.org">&xxe;</x:assertion></svg>`, problem.Malformed, ""},
		{"billion laughs", laughs, problem.Malformed, "DOCTYPE not allowed"},
		{"deep nesting", svgOpen + strings.Repeat("<g>", 10_000) + strings.Repeat("</g>", 10_000) + "</svg>", problem.Malformed, "too deeply nested"},
		{"too many tokens", svgOpen + strings.Repeat("<g/>", maxSVGTokens/2) + "</svg>", problem.TooLarge, ""},
		{"over 2 MiB", svgOpen + strings.Repeat(" ", 2<<20) + "</svg>", problem.TooLarge, ""},
		{"two assertions", svgOpen + `<a:assertion xmlns:a="http://openbadges.org" verify="https://e.org/1"/><b:assertion xmlns:b="http://openbadges.org" verify="https://e.org/2"/></svg>`, problem.Malformed, "more than one badge"},
		{"assertion and credential", svgOpen + `<a:assertion xmlns:a="http://openbadges.org" verify="https://e.org/1"/><b:credential xmlns:b="https://purl.imsglobal.org/ob/v3p0">{}</b:credential></svg>`, problem.Malformed, "more than one badge"},
		{"nested assertion", svgOpen + `<a:assertion xmlns:a="http://openbadges.org" verify="https://e.org/1"><a:assertion verify="https://e.org/2"/></a:assertion></svg>`, problem.Malformed, "more than one badge"},
		{"empty element", svgOpen + `<a:assertion xmlns:a="http://openbadges.org"><![CDATA[ ]]></a:assertion></svg>`, problem.Malformed, "empty badge element"},
		{"undeclared entity", svgOpen + `<title>&nbsp;</title></svg>`, problem.Malformed, ""},
		{"unclosed", svgOpen + `<g>`, problem.Malformed, ""},
		{"mismatched tags", svgOpen + `<g></h></svg>`, problem.Malformed, ""},
		{"directive inside", svgOpen + `<!DOCTYPE svg></svg>`, problem.Malformed, "DOCTYPE"},
		{"second root", svgOpen + `</svg><svg xmlns="http://www.w3.org/2000/svg"/>`, problem.Malformed, "root"},
		{"text after root", svgOpen + `</svg>junk`, problem.Malformed, ""},
		{"html root", `<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>`, problem.Unsupported, ""},
		{"no namespace", `<svg><title>x</title></svg>`, problem.Unsupported, ""},
		{"UTF-16", `<?xml version="1.0" encoding="UTF-16"?>` + svgOpen + `</svg>`, problem.Unsupported, "UTF-8"},
		{"no root", `<?xml version="1.0"?><!-- nothing -->`, problem.Unsupported, ""},
		{"empty", ``, problem.Unsupported, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := UnbakeSVG([]byte(tc.svg))
			wantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want it to mention %q", err, tc.msg)
			}
			if p != (Payload{}) {
				t.Errorf("payload %+v on error", p)
			}
			// Baking replaces bad badge elements, but needs a sound SVG.
			out, err := BakeSVG([]byte(tc.svg), OB2, "https://example.org/a")
			if strings.Contains(tc.msg, "badge") {
				if p, err := UnbakeSVG(out); err != nil || p.Text != "https://example.org/a" {
					t.Errorf("after BakeSVG: %+v, %v", p, err)
				}
				return
			}
			wantCode(t, err, tc.code)
			if out != nil {
				t.Error("BakeSVG output on error")
			}
		})
	}
}

const xxeSVG = `<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">
<openbadges:assertion verify="https://example.org/a">&xxe;</openbadges:assertion><text>&xxe;</text></svg>`

func TestXXENeverLeaks(t *testing.T) {
	for _, call := range []func() (string, error){
		func() (string, error) { p, err := Unbake([]byte(xxeSVG)); return p.Text, err },
		func() (string, error) { p, err := UnbakeSVG([]byte(xxeSVG)); return p.Text, err },
		func() (string, error) { b, err := Bake([]byte(xxeSVG), OB2, "{}"); return string(b), err },
	} {
		out, err := call()
		wantCode(t, err, problem.Malformed)
		for _, s := range []string{out, err.Error(), problem.MessageOf(err)} {
			if strings.Contains(s, "/etc/passwd") || strings.Contains(s, "root:") {
				t.Fatalf("leak: %q", s)
			}
		}
	}
}

func TestUnbakeSVGCases(t *testing.T) {
	for _, tc := range []struct {
		name string
		svg  string
		want Payload // zero: ErrNotBaked
	}{
		{"any prefix", svgOpen + `<x:assertion xmlns:x="http://openbadges.org" verify="https://example.org/a"/></svg>`,
			Payload{Format: SVG, Kind: OB2, Text: "https://example.org/a"}},
		{"default namespace", svgOpen + `<credential xmlns="https://purl.imsglobal.org/ob/v3p0">{"a":1}</credential></svg>`,
			Payload{Format: SVG, Kind: OB3, Text: `{"a":1}`}},
		{"prefix bound elsewhere", svgOpen + `<openbadges:assertion xmlns:openbadges="http://evil.example" verify="https://example.org/a"/></svg>`,
			Payload{}},
		{"right name, no namespace", svgOpen + `<assertion verify="https://example.org/a"/></svg>`, Payload{}},
		{"OB2 name in OB3 namespace", svgOpen + `<o:assertion xmlns:o="https://purl.imsglobal.org/ob/v3p0" verify="https://example.org/a"/></svg>`, Payload{}},
		{"body wins over verify", svgOpen + `<o:assertion xmlns:o="http://openbadges.org" verify="https://example.org/a"> <![CDATA[{"x":"]]]]><![CDATA[>"}]]> </o:assertion></svg>`,
			Payload{Format: SVG, Kind: OB2, Text: `{"x":"]]>"}`}},
		{"text of nested elements ignored", svgOpen + `<o:assertion xmlns:o="http://openbadges.org" verify="eyJh.eyJi.c2ln"><desc>hi</desc></o:assertion></svg>`,
			Payload{Format: SVG, Kind: OB2, Text: "eyJh.eyJi.c2ln"}},
		{"deep inside", svgOpen + `<g><g><o:credential xmlns:o="https://purl.imsglobal.org/ob/v3p0" verify="eyJh.eyJi.c2ln"/></g></g></svg>`,
			Payload{Format: SVG, Kind: OB3, Text: "eyJh.eyJi.c2ln"}},
		{"script is just an element", svgOpen + `<script>alert(document.cookie)</script><o:assertion xmlns:o="http://openbadges.org" verify="https://example.org/a" onload="alert(1)"/></svg>`,
			Payload{Format: SVG, Kind: OB2, Text: "https://example.org/a"}},
		{"BOM and CRLF", "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n" + svgOpen + "\r\n<o:assertion xmlns:o=\"http://openbadges.org\">{\r\n\"a\": 1}</o:assertion></svg>",
			Payload{Format: SVG, Kind: OB2, Text: "{\n\"a\": 1}"}},
		{"plain SVG 1.1 DOCTYPE", `<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">` + svgOpen + `</svg>`, Payload{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := UnbakeSVG([]byte(tc.svg))
			if tc.want == (Payload{}) {
				wantNotBaked(t, err)
				return
			}
			if err != nil || p != tc.want {
				t.Fatalf("got %+v, %v; want %+v", p, err, tc.want)
			}
		})
	}
}

func TestBakeSVGSplices(t *testing.T) {
	orig := readFile(t, "ob1-ob2/bakery-unbaked.svg")
	out, err := BakeSVG(orig, OB2, "https://example.org/a")
	if err != nil {
		t.Fatal(err)
	}
	el := `<openbadges:assertion xmlns:openbadges="http://openbadges.org" verify="https://example.org/a"></openbadges:assertion>`
	i := bytes.Index(orig, []byte(`viewBox="0 0 512 512">`)) + len(`viewBox="0 0 512 512">`)
	want := string(orig[:i]) + el + string(orig[i:])
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}

	// The root already binds the prefix: no second declaration, and the old
	// element goes; everything else stays byte for byte.
	orig = readFile(t, "ob1-ob2/bakery-baked.svg")
	out, err = BakeSVG(orig, OB2, "eyJh.eyJi.c2ln")
	if err != nil {
		t.Fatal(err)
	}
	el = `<openbadges:assertion verify="eyJh.eyJi.c2ln"></openbadges:assertion>`
	oldStart := bytes.Index(orig, []byte("<openbadges:assertion"))
	oldEnd := bytes.Index(orig, []byte("</openbadges:assertion>")) + len("</openbadges:assertion>")
	i = bytes.Index(orig, []byte(`viewBox="0 0 512 512">`)) + len(`viewBox="0 0 512 512">`)
	want = string(orig[:i]) + el + string(orig[i:oldStart]) + string(orig[oldEnd:])
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestBakeSVGSelfClosingRoot(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`<svg xmlns="http://www.w3.org/2000/svg"/>`,
			`<svg xmlns="http://www.w3.org/2000/svg"><openbadges:credential xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><![CDATA[{"a":"é"}]]></openbadges:credential></svg>`},
		{"\xEF\xBB\xBF<s:svg xmlns:s=\"http://www.w3.org/2000/svg\"\n/> ",
			"\xEF\xBB\xBF<s:svg xmlns:s=\"http://www.w3.org/2000/svg\"\n><openbadges:credential xmlns:openbadges=\"https://purl.imsglobal.org/ob/v3p0\"><![CDATA[{\"a\":\"é\"}]]></openbadges:credential></s:svg> "},
	} {
		out, err := Bake([]byte(tc.in), OB3, `{"a":"é"}`)
		if err != nil || string(out) != tc.want {
			t.Errorf("got %q, %v\nwant %q", out, err, tc.want)
		}
	}
}

func TestWriteCDATA(t *testing.T) {
	for _, s := range []string{"", "a", "]]>", "]]]>>", "a]]>b]]>c", "]", "]]", "x]]", "\r", "a\r\nb\rc", "]]\r>", "]\r]>"} {
		var b strings.Builder
		writeCDATA(&b, s)
		doc := svgOpen + `<o:credential xmlns:o="https://purl.imsglobal.org/ob/v3p0" verify="v">` + b.String() + `</o:credential></svg>`
		p, err := UnbakeSVG([]byte(doc))
		want := trim(s)
		if want == "" {
			want = "v"
		}
		if err != nil || p.Text != want {
			t.Errorf("%q: wrote %q, read back %q, %v", s, b.String(), p.Text, err)
		}
	}
}

func TestHostedURL(t *testing.T) {
	for in, want := range map[string]string{
		`{"id":"https://example.org/a"}`:                          "https://example.org/a",
		`{"id":"urn:uuid:1","verify":{"url":"http://e.org/v"}}`:   "http://e.org/v",
		`{"id":"urn:uuid:1","verify":{"type":"signed"}}`:          "",
		`{"id":42,"verify":"x"}`:                                  "",
		`{verify:{"url":"http://example.org"}}`:                   "",
		`["https://example.org/a"]`:                               "",
		`{"id":"javascript:alert(1)","verify":{"url":"ftp://x"}}`: "",
	} {
		if got := hostedURL(in); got != want {
			t.Errorf("hostedURL(%s) = %q, want %q", in, got, want)
		}
	}
}
