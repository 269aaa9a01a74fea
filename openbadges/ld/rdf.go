package ld

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	jsonld "github.com/piprate/json-gold/ld"

	"backpack/openbadges/problem"
)

// IRIs of RDF and XML Schema terms the conversion uses.
const (
	rdfType       = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
	rdfFirst      = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"
	rdfRest       = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"
	rdfNil        = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil"
	rdfJSON       = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"
	rdfLangString = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
	xsdString     = "http://www.w3.org/2001/XMLSchema#string"
	xsdBoolean    = "http://www.w3.org/2001/XMLSchema#boolean"
	xsdInteger    = "http://www.w3.org/2001/XMLSchema#integer"
	xsdDouble     = "http://www.w3.org/2001/XMLSchema#double"
)

// kind is the kind of an RDF term.
type kind uint8

const (
	none    kind = iota // no term: the default graph
	iri                 // an IRI
	blank               // a blank node, numbered in term.id
	literal             // a literal with datatype and maybe language
)

// term is an RDF term.
type term struct {
	kind  kind
	id    int    // blank node number
	value string // IRI, or the lexical form of a literal
	dt    string // literal datatype IRI
	lang  string // language tag of an rdf:langString literal
}

// quad is an RDF quad; g.kind is none in the default graph.
type quad struct{ s, p, o, g term }

// dataset is the RDF dataset of a document, with its blank nodes numbered
// 0 to blanks-1.
type dataset struct {
	quads  []quad
	blanks int
	labels map[string]int // node-map blank node label → number
}

// toDataset converts an expanded document to RDF, as the JSON-LD "Deserialize
// JSON-LD to RDF" algorithm does, with one difference: where that algorithm
// silently drops a statement (a relative IRI, an invalid language tag, a
// blank node property), toDataset fails. A dropped statement is data a
// signature does not cover, shown to the user as if it did.
func toDataset(expanded []any) (*dataset, error) {
	nodeMap := map[string]any{"@default": map[string]any{}}
	issuer := jsonld.NewIdentifierIssuer("_:b")
	if _, err := jsonld.NewJsonLdApi().GenerateNodeMap(expanded, nodeMap, "@default", issuer, "", "", nil); err != nil {
		return nil, jsonldError(err)
	}
	ds := &dataset{labels: make(map[string]int)}
	for _, name := range sortedKeys(nodeMap) {
		var g term
		if name != "@default" {
			var err error
			if g, err = ds.node(name, "graph name"); err != nil {
				return nil, err
			}
		}
		graph, _ := nodeMap[name].(map[string]any)
		for _, id := range sortedKeys(graph) {
			node, _ := graph[id].(map[string]any)
			if err := ds.addNode(g, id, node); err != nil {
				return nil, err
			}
		}
	}
	return ds, nil
}

// addNode adds the statements of one node object of the node map.
func (ds *dataset) addNode(g term, id string, node map[string]any) error {
	s, err := ds.node(id, "id")
	if err != nil {
		return err
	}
	for _, prop := range sortedKeys(node) {
		values, _ := node[prop].([]any)
		if prop == "@type" {
			for _, v := range values {
				t, _ := v.(string)
				o, err := ds.typeTerm(t)
				if err != nil {
					return err
				}
				ds.quads = append(ds.quads, quad{s, term{kind: iri, value: rdfType}, o, g})
			}
			continue
		}
		if jsonld.IsKeyword(prop) {
			continue
		}
		if strings.HasPrefix(prop, "_:") {
			return problem.New(problem.Schema, "a property of the document expands to the blank node %s", quote(prop))
		}
		if !absoluteIRI(prop) {
			return problem.New(problem.Schema, "the property %s is not defined by the document's @context", quote(prop))
		}
		p := term{kind: iri, value: prop}
		for _, v := range values {
			o, err := ds.object(v, g)
			if err != nil {
				return err
			}
			ds.quads = append(ds.quads, quad{s, p, o, g})
		}
	}
	return nil
}

// node returns the term for a node identifier: a blank node label or an
// absolute IRI.
func (ds *dataset) node(id, what string) (term, error) {
	if strings.HasPrefix(id, "_:") {
		n, ok := ds.labels[id]
		if !ok {
			b, err := ds.newBlank()
			if err != nil {
				return term{}, err
			}
			n = b.id
			ds.labels[id] = n
		}
		return term{kind: blank, id: n}, nil
	}
	if !absoluteIRI(id) {
		return term{}, problem.New(problem.Schema, "the %s %s is not an absolute IRI", what, quote(id))
	}
	return term{kind: iri, value: id}, nil
}

// typeTerm returns the object of an rdf:type statement.
func (ds *dataset) typeTerm(t string) (term, error) {
	if strings.HasPrefix(t, "_:") {
		return ds.node(t, "type")
	}
	if !absoluteIRI(t) {
		return term{}, problem.New(problem.Schema, "the type %s is not defined by the document's @context", quote(t))
	}
	return term{kind: iri, value: t}, nil
}

// newBlank numbers a new blank node, refusing more than MaxBlankNodes.
func (ds *dataset) newBlank() (term, error) {
	if ds.blanks >= MaxBlankNodes {
		return term{}, problem.New(problem.TooLarge, "the document has more than %d blank nodes", MaxBlankNodes)
	}
	ds.blanks++
	return term{kind: blank, id: ds.blanks - 1}, nil
}

// object converts a value of the node map: a value object, a list object
// or a node reference.
func (ds *dataset) object(v any, g term) (term, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return term{}, problem.New(problem.Malformed, "the document could not be converted to RDF")
	}
	if value, ok := m["@value"]; ok {
		return literalTerm(value, m)
	}
	if list, ok := m["@list"]; ok {
		items, _ := list.([]any)
		return ds.list(items, g)
	}
	id, _ := m["@id"].(string)
	return ds.node(id, "id")
}

// list converts a list object to an rdf:first/rdf:rest chain and returns
// its head.
func (ds *dataset) list(items []any, g term) (term, error) {
	if len(items) == 0 {
		return term{kind: iri, value: rdfNil}, nil
	}
	head, err := ds.newBlank()
	if err != nil {
		return term{}, err
	}
	first, rest := term{kind: iri, value: rdfFirst}, term{kind: iri, value: rdfRest}
	node := head
	for i, item := range items {
		o, err := ds.object(item, g)
		if err != nil {
			return term{}, err
		}
		next := term{kind: iri, value: rdfNil}
		if i < len(items)-1 {
			if next, err = ds.newBlank(); err != nil {
				return term{}, err
			}
		}
		ds.quads = append(ds.quads, quad{node, first, o, g}, quad{node, rest, next, g})
		node = next
	}
	return head, nil
}

// literalTerm converts a value object to a literal, as jsonld.js does:
// booleans and numbers get XSD datatypes and canonical lexical forms,
// @json values their JSON Canonicalization Scheme form.
func literalTerm(value any, m map[string]any) (term, error) {
	dt, _ := m["@type"].(string)
	if dt == "@json" {
		s, err := canonicalJSON(value)
		if err != nil {
			return term{}, err
		}
		return term{kind: literal, value: s, dt: rdfJSON}, nil
	}
	if dt != "" && !absoluteIRI(dt) {
		return term{}, problem.New(problem.Schema, "the datatype %s is not an absolute IRI", quote(dt))
	}
	switch v := value.(type) {
	case string:
		if dt == xsdDouble {
			// jsonld.js canonicalises a string typed xsd:double
			// (parseFloat); one that is not a number is refused.
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return term{}, problem.New(problem.Schema, "the value %s is typed xsd:double but is not a number", quote(v))
			}
			return numberTerm(f, dt)
		}
		if lang, ok := m["@language"].(string); ok {
			if !validLanguage(lang) {
				return term{}, problem.New(problem.Schema, "the language tag %s is not valid", quote(lang))
			}
			return term{kind: literal, value: v, dt: rdfLangString, lang: lang}, nil
		}
		return term{kind: literal, value: v, dt: orDefault(dt, xsdString)}, nil
	case bool:
		return term{kind: literal, value: strconv.FormatBool(v), dt: orDefault(dt, xsdBoolean)}, nil
	case float64:
		return numberTerm(v, dt)
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return term{}, problem.New(problem.Malformed, "the number %s is out of range", quote(string(v)))
		}
		return numberTerm(f, dt)
	}
	return term{}, problem.New(problem.Malformed, "the document holds a value that is not a string, number or boolean")
}

// numberTerm converts a JSON number as jsonld.js does: a number whose
// JavaScript string form has a decimal point, or whose magnitude is at
// least 1e21, or any number typed xsd:double, is a double in canonical
// form (1.1E0); any other is an integer (value.toFixed(0)).
func numberTerm(f float64, dt string) (term, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return term{}, problem.New(problem.Malformed, "the document holds a number that is not finite")
	}
	if strings.Contains(jsNumber(f), ".") || math.Abs(f) >= 1e21 || dt == xsdDouble {
		return term{kind: literal, value: doubleForm(f), dt: orDefault(dt, xsdDouble)}, nil
	}
	return term{kind: literal, value: integerForm(f), dt: orDefault(dt, xsdInteger)}, nil
}

// integerForm is JavaScript's value.toFixed(0) for a number below 1e21
// whose string form has no decimal point: an integer, or a magnitude
// below 1e-6 ("1e-7"), which rounds to zero.
func integerForm(f float64) string {
	switch {
	case f == math.Trunc(f) && f != 0:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case f < 0:
		return "-0"
	}
	return "0"
}

// doubleForm is the XSD canonical form jsonld.js produces:
// value.toExponential(15) with trailing zeros of the mantissa and the
// exponent's plus sign and leading zeros removed ("1.5E1", "1.0E-7").
func doubleForm(f float64) string {
	s := strconv.FormatFloat(f, 'E', 15, 64) // d.dddddddddddddddE±dd
	e := strings.IndexByte(s, 'E')
	mant, exp := s[:e], s[e+1:]
	mant = strings.TrimRight(mant, "0")
	if strings.HasSuffix(mant, ".") {
		mant += "0"
	}
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return mant + "E" + sign + exp
}

func orDefault(dt, def string) string {
	if dt != "" {
		return dt
	}
	return def
}

// absoluteIRI reports whether s is an absolute IRI that N-Quads can carry
// unescaped: a scheme (a letter, then letters, digits, "+", "-" or ".")
// and a colon, and none of the characters an IRIREF excludes (controls,
// space, <>"{}|^`\).
func absoluteIRI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon < 1 || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < colon; i++ {
		c := s[i]
		if !isAlpha(c) && !('0' <= c && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	for i := colon + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c <= 0x20, c == '<', c == '>', c == '"', c == '{', c == '}', c == '|', c == '^', c == '`', c == '\\':
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// validLanguage reports whether tag has the form of a BCP 47 language tag
// as JSON-LD checks it: letters, then hyphen-separated alphanumerics.
func validLanguage(tag string) bool {
	parts := strings.Split(tag, "-")
	for i, p := range parts {
		if p == "" {
			return false
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			if !isAlpha(c) && (i == 0 || !('0' <= c && c <= '9')) {
				return false
			}
		}
	}
	return true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
