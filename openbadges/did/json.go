package did

import (
	"bytes"
	"encoding/json"
	"io"
	"unicode/utf8"

	"backpack/openbadges/problem"
)

// maxDepth bounds the nesting of fetched documents.
const maxDepth = 64

// decodeObject parses a fetched document strictly: one JSON object, valid
// UTF-8, nesting at most maxDepth, and no duplicate keys at any level, so
// that no other reader of the same bytes can see a different id or key.
// Its size is bounded by the fetch limit.
func decodeObject(b []byte) (map[string]any, error) {
	if !utf8.Valid(b) {
		return nil, problem.New(problem.Malformed, "the document is not valid UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := readValue(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, problem.New(problem.Malformed, "the document has data after its JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, problem.New(problem.Malformed, "the document is not a JSON object")
	}
	return obj, nil
}

var errSyntax = problem.New(problem.Malformed, "the document is not valid JSON")

func readValue(d *json.Decoder, depth int) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxDepth {
		return nil, problem.New(problem.Malformed, "the document is nested more than %d levels deep", maxDepth)
	}
	switch delim {
	case '{':
		obj := map[string]any{}
		for d.More() {
			tok, err := d.Token()
			if err != nil {
				return nil, syntaxError(err)
			}
			key, ok := tok.(string)
			if !ok {
				return nil, errSyntax
			}
			if _, dup := obj[key]; dup {
				return nil, problem.New(problem.Malformed, "the document has a duplicate key")
			}
			if obj[key], err = readValue(d, depth+1); err != nil {
				return nil, err
			}
		}
		_, err = d.Token() // '}'
		return obj, syntaxError(err)
	case '[':
		list := []any{}
		for d.More() {
			v, err := readValue(d, depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err = d.Token() // ']'
		return list, syntaxError(err)
	}
	return nil, errSyntax
}

// syntaxError maps a decoder error (nil stays nil) to Malformed, keeping
// the decoder's text, which may quote input, out of the message.
func syntaxError(err error) error {
	if err == nil {
		return nil
	}
	return problem.Wrap(err, problem.Malformed, "the document is not valid JSON")
}
