package ld

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"backpack/openbadges/problem"
)

// Bounds on the work one document may cause. json-gold copies the active
// context at every node with a scoped context, so expansion costs about
// objects × terms in context: 2500 objects under the OB 3.0 contexts take
// a third of a second; a large local context multiplies that.
const (
	MaxDocumentBytes = 256 << 10 // the document as JSON
	MaxBlankNodes    = 1000      // blank nodes in its RDF dataset
	MaxObjects       = 2500      // JSON objects in the document
	MaxLocalTerms    = 250       // terms defined by the document's own contexts
	maxDepth         = 64        // nesting of JSON objects and arrays
)

// Check makes the checks Canonicalize makes before any JSON-LD
// processing, without canonicalising: the document is made of JSON
// values, within MaxDocumentBytes, MaxObjects, MaxLocalTerms and the
// nesting bound, and every context it names is bundled and free of
// @import. The JCS cryptosuites, which sign JSON rather than RDF, use it
// so that what they accept is as bounded, and names only contexts as
// known, as what the RDFC suites accept. Errors are those of Canonicalize.
func Check(doc map[string]any) error { return scan(doc) }

// scan checks a document before any JSON-LD processing: that it is made of
// JSON values, that it is within the bounds above (its JSON encoding, its
// objects, the terms of its own contexts, its nesting), and that every
// context it names is bundled and free of @import. It walks the document
// once and allocates nothing.
func scan(doc map[string]any) error {
	s := scanner{}
	s.value(doc, 0)
	return s.err
}

type scanner struct {
	size    int // bytes of JSON encoding so far (escapes not counted)
	objects int // JSON objects so far
	terms   int // terms defined in local contexts so far
	err     error
}

func (s *scanner) value(v any, depth int) {
	if s.err != nil {
		return
	}
	if depth > maxDepth {
		s.err = problem.New(problem.TooLarge, "the document is nested more than %d levels deep", maxDepth)
		return
	}
	switch v := v.(type) {
	case map[string]any:
		s.size += 2 + len(v)
		if s.objects++; s.objects > MaxObjects {
			s.err = problem.New(problem.TooLarge, "the document has more than %d JSON objects", MaxObjects)
			return
		}
		for k, e := range v {
			s.size += len(k) + 3
			if k == "@context" {
				s.context(e, depth+1)
			}
			s.value(e, depth+1)
		}
	case []any:
		s.size += 2 + len(v)
		for _, e := range v {
			s.value(e, depth+1)
		}
	case string:
		s.size += len(v) + 2
	case float64:
		var b [32]byte
		s.size += len(strconv.AppendFloat(b[:0], v, 'g', -1, 64))
	case json.Number:
		s.size += len(v)
	case bool:
		s.size += 5
	case nil:
		s.size += 4
	default:
		s.err = problem.New(problem.Malformed, "the document holds a %T, which is not a JSON value", v)
		return
	}
	if s.size > MaxDocumentBytes {
		s.err = problem.New(problem.TooLarge, "the document is larger than %d KiB", MaxDocumentBytes>>10)
	}
}

// context checks a @context value: each URL must be bundled, and no local
// context may use @import (see bundledLoader). Scoped contexts inside term
// definitions are checked too.
func (s *scanner) context(v any, depth int) {
	if s.err != nil {
		return
	}
	if depth > maxDepth {
		s.err = problem.New(problem.TooLarge, "the document is nested more than %d levels deep", maxDepth)
		return
	}
	switch v := v.(type) {
	case string:
		if !Known(v) {
			s.err = unknownContext(v)
		}
	case []any:
		for _, e := range v {
			s.context(e, depth+1)
		}
	case map[string]any:
		if _, ok := v["@import"]; ok {
			s.err = problem.New(problem.Unsupported, "the @context uses @import, which Backpack does not support")
			return
		}
		for k, e := range v {
			if k == "@context" {
				s.context(e, depth+1)
				continue
			}
			if !strings.HasPrefix(k, "@") {
				if s.terms++; s.terms > MaxLocalTerms {
					s.err = problem.New(problem.TooLarge, "the document's own @context defines more than %d terms", MaxLocalTerms)
					return
				}
			}
			if def, ok := e.(map[string]any); ok {
				if scoped, ok := def["@context"]; ok {
					s.context(scoped, depth+1)
				}
			}
		}
	}
}

// unknownContext is the error for a context URL that is not bundled.
func unknownContext(url string) error {
	return problem.New(problem.Unsupported,
		"the context %s is not one Backpack knows; contexts are never fetched", quote(url))
}

// quote returns s for a message: quoted, escaped and at most 200 bytes.
func quote(s string) string {
	const max = 200
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return strconv.Quote(s)
}
