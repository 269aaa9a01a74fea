package ld

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// Number forms as jsonld.js produces them (value.toFixed(0) for integers,
// value.toExponential(15) reduced for doubles; a double is a number whose
// string form has a ".", or of 1e21 and more).
func TestNumberForms(t *testing.T) {
	for _, tc := range []struct {
		f        float64
		dt, want string
	}{
		{5, "", `"5"^^<` + xsdInteger + `>`},
		{-12, "", `"-12"^^<` + xsdInteger + `>`},
		{1.1, "", `"1.1E0"^^<` + xsdDouble + `>`},
		{0.5, "", `"5.0E-1"^^<` + xsdDouble + `>`},
		{123.456, "", `"1.23456E2"^^<` + xsdDouble + `>`},
		{1.5e-7, "", `"1.5E-7"^^<` + xsdDouble + `>`},
		{5, xsdDouble, `"5.0E0"^^<` + xsdDouble + `>`},
		{1e21, "", `"1.0E21"^^<` + xsdDouble + `>`},
		{1e20, "", `"100000000000000000000"^^<` + xsdInteger + `>`},
		{1e-7, "https://ex.org/dt", `"0"^^<https://ex.org/dt>`},
		{-1e-7, "", `"-0"^^<` + xsdInteger + `>`},
		{0, "", `"0"^^<` + xsdInteger + `>`},
		{math.Copysign(0, -1), "", `"0"^^<` + xsdInteger + `>`},
		{2.5, "https://ex.org/dt", `"2.5E0"^^<https://ex.org/dt>`},
	} {
		tm, err := numberTerm(tc.f, tc.dt)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendTerm(nil, &tm, nil)); got != tc.want {
			t.Errorf("%v %q: got %s, want %s", tc.f, tc.dt, got, tc.want)
		}
	}
	if _, err := numberTerm(math.Inf(1), ""); err == nil {
		t.Error("infinity accepted")
	}
}

// ECMAScript number formatting and RFC 8785 canonical JSON, for @json
// literals (the RFC's appendix B examples).
func TestCanonicalJSON(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0", 1: "1", -1.5: "-1.5", 1e21: "1e+21", 1e20: "100000000000000000000",
		1e-6: "0.000001", 1e-7: "1e-7", 333333333.3333333: "333333333.3333333",
		5e-324: "5e-324", 1.7976931348623157e308: "1.7976931348623157e+308",
		9007199254740992: "9007199254740992", 295147905179352830000: "295147905179352830000",
	} {
		if got := jsNumber(f); got != want {
			t.Errorf("jsNumber(%v) = %s, want %s", f, got, want)
		}
	}
	var v any
	in := `{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],` +
		`"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false],` +
		`"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3,"\r":4,"1":5}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	got, err := canonicalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"\r":4,"1":5,"literals":[null,true,false],` +
		`"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],` +
		`"string":"` + "\u20ac" + `$\u000f\nA'B\"\\\\\"/",` +
		`"` + "\u20ac" + `":1,"` + "\U0001F600" + `":2,"` + "\ufb33" + `":3}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// An @json value becomes an rdf:JSON literal in canonical JSON.
func TestJSONLiteral(t *testing.T) {
	doc := parse(t, `{"@context":{"data":{"@id":"https://ex.org/data","@type":"@json"}},"@id":"urn:x","data":{"b":[1,2.5],"a":"x"}}`)
	got := canonicalize(t, doc)
	want := `<urn:x> <https://ex.org/data> "{\"a\":\"x\",\"b\":[1,2.5]}"^^<` + rdfJSON + "> .\n"
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	// An array, which json-gold cannot convert.
	doc = parse(t, `{"@context":{"data":{"@id":"https://ex.org/data","@type":"@json"}},"@id":"urn:x","data":[true,null]}`)
	if got := canonicalize(t, doc); !strings.Contains(got, `"[true,null]"^^`) {
		t.Fatalf("got %s", got)
	}
}

// A string typed xsd:double is canonicalised, as jsonld.js does.
func TestDoubleString(t *testing.T) {
	doc := parse(t, `{"@context":{"d":{"@id":"https://ex.org/d","@type":"http://www.w3.org/2001/XMLSchema#double"}},"@id":"urn:x","d":"15"}`)
	if got := canonicalize(t, doc); !strings.Contains(got, `"1.5E1"^^<`+xsdDouble+`>`) {
		t.Fatalf("got %s", got)
	}
	doc["d"] = "fifteen"
	_, err := Canonicalize(context.Background(), doc)
	if err == nil {
		t.Fatal("accepted")
	}
}

// Lists become rdf:first/rdf:rest chains; the empty list is rdf:nil.
func TestLists(t *testing.T) {
	doc := parse(t, `{"@context":{"l":{"@id":"https://ex.org/l","@container":"@list"}},"@id":"urn:x","l":["a","b"],"https://ex.org/e":{"@list":[]}}`)
	got := canonicalize(t, doc)
	if got != jsonGold(t, doc) {
		t.Fatalf("got\n%s\njson-gold\n%s", got, jsonGold(t, doc))
	}
	if !strings.Contains(got, "<urn:x> <https://ex.org/e> <"+rdfNil+"> .") {
		t.Fatalf("no empty list: %s", got)
	}
}

func TestNamedGraphs(t *testing.T) {
	// The proof of a VC 2.0 credential is a named graph (@container @graph).
	doc := readJSON(t, "w3c-vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json")
	got, err := Canonicalize(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	if got != jsonGold(t, doc) {
		t.Fatalf("got\n%s\njson-gold\n%s", got, jsonGold(t, doc))
	}
	if !strings.Contains(got, "_:c14n0 .\n") {
		t.Fatalf("no named graph: %s", got)
	}
}

func TestValidLanguage(t *testing.T) {
	for tag, ok := range map[string]bool{"en": true, "en-us": true, "zh-hant-tw": true, "de-1996": true,
		"": false, "en_us": false, "1en": false, "en-": false, "en us": false} {
		if validLanguage(tag) != ok {
			t.Errorf("%q: %v", tag, !ok)
		}
	}
}

func TestAbsoluteIRI(t *testing.T) {
	for s, ok := range map[string]bool{"https://ex.org/a": true, "urn:uuid:1": true, "did:key:z6Mk#z6Mk": true,
		"https://ex.org/é": true, "relative": false, ":x": false, "1a:b": false, "https://ex.org/a b": false,
		"https://ex.org/<": false, "": false} {
		if absoluteIRI(s) != ok {
			t.Errorf("%q: %v", s, !ok)
		}
	}
}
