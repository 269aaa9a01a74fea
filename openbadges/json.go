package openbadges

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"backpack/openbadges/problem"
)

// Limits on JSON documents (assertions, badge classes, profiles, keys).
const (
	maxJSONBytes  = 1 << 20
	maxJSONDepth  = 64
	maxJSONTokens = 200_000
)

// Object is a decoded JSON object. Keys are matched exactly, never
// case-insensitively.
type Object = map[string]any

// decodeJSON parses b as one JSON value, strictly: no duplicate keys at any
// level (a signature must cover the same reading the app uses), limited
// size, depth and token count, valid UTF-8, nothing after the value.
// Numbers stay json.Number so Unix timestamps survive exactly.
func decodeJSON(b []byte) (any, error) {
	if len(b) > maxJSONBytes {
		return nil, problem.New(problem.TooLarge, "the JSON document is larger than %d KiB", maxJSONBytes>>10)
	}
	if !utf8.Valid(b) {
		return nil, problem.New(problem.Malformed, "the JSON document is not valid UTF-8")
	}
	if err := checkJSONShape(b); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, problem.Wrap(err, problem.Malformed, "not valid JSON: %s", jsonErrText(err))
	}
	return v, nil
}

// decodeObject is decodeJSON for documents that must be an object.
func decodeObject(b []byte) (Object, error) {
	v, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	o, ok := v.(Object)
	if !ok {
		return nil, problem.New(problem.Malformed, "the JSON document is not an object")
	}
	return o, nil
}

type frame struct {
	object bool
	keys   map[string]bool
	key    bool // next string token in an object is a key
}

// checkJSONShape walks the tokens once to enforce depth, token count,
// duplicate keys and a single top-level value.
func checkJSONShape(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var stack []*frame
	tokens := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return problem.Wrap(err, problem.Malformed, "not valid JSON: %s", jsonErrText(err))
		}
		if tokens++; tokens > maxJSONTokens {
			return problem.New(problem.TooLarge, "the JSON document has more than %d values", maxJSONTokens)
		}
		if len(stack) == 0 && tokens > 1 {
			// Decoder.Token accepts a stream of values; a document is one.
			if _, isDelim := tok.(json.Delim); !isDelim || (tok != json.Delim('}') && tok != json.Delim(']')) {
				return problem.New(problem.Malformed, "not valid JSON: more than one value")
			}
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			k, ok := tok.(string)
			if !ok {
				if tok == json.Delim('}') {
					stack = stack[:len(stack)-1]
					continue
				}
				return problem.New(problem.Malformed, "not valid JSON")
			}
			if top.keys[k] {
				return problem.New(problem.Malformed, "duplicate key %q in a JSON object", truncate(k, 40))
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= maxJSONDepth {
				return problem.New(problem.Malformed, "the JSON document is nested too deeply (more than %d levels)", maxJSONDepth)
			}
			if top != nil && top.object {
				top.key = true
			}
			f := &frame{object: tok == json.Delim('{')}
			if f.object {
				f.keys, f.key = map[string]bool{}, true
			}
			stack = append(stack, f)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].key = true
			}
			continue
		}
		if top != nil && top.object {
			top.key = true // a value was read; the next string is a key
		}
	}
	if tokens == 0 {
		return problem.New(problem.Malformed, "empty JSON document")
	}
	return nil
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end"
	}
	return "syntax error"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
