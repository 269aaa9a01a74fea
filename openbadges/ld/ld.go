// Package ld canonicalises JSON-LD documents with RDF Dataset
// Canonicalization (RDFC-1.0, formerly URDNA2015), as Data Integrity
// proofs such as eddsa-rdfc-2022 require, using only the JSON-LD contexts
// bundled with Backpack: a context is never fetched.
//
// JSON-LD expansion is json-gold's (github.com/piprate/json-gold), run
// in safe mode so that a term the contexts do not define is an error
// rather than data silently left out of the signature. The conversion of
// the expanded document to RDF and the canonicalisation are this
// package's own: they refuse what json-gold would silently drop (relative
// IRIs, invalid language tags), and they bound the work a document may
// cause (size, objects, blank nodes, the permutations of Hash N-Degree
// Quads).
//
// Expansion is most of the cost. The active contexts of the bundled
// context lists are processed once and cached, and for a plain credential
// so are the type-scoped contexts of its nodes (fast.go).
package ld

import (
	"context"
	"crypto"
	"errors"
	"maps"
	"runtime"

	jsonld "github.com/piprate/json-gold/ld"

	"backpack/openbadges/problem"
)

// Canonicalize returns the canonical N-Quads (RDFC-1.0 = URDNA2015) of a
// JSON-LD document. The document is not modified.
//
// Errors are *problem.Error: Unsupported for a context that is not
// bundled (or @import), Schema for a term the contexts do not define
// (naming it when it can) or a relative IRI, TooLarge beyond the bounds
// (MaxDocumentBytes, MaxObjects, MaxLocalTerms, MaxBlankNodes, the work of
// Hash N-Degree Quads) or when ctx ends first, Malformed otherwise.
//
// At most runtime.NumCPU() canonicalisations run at once; others wait,
// as long as ctx allows.
func Canonicalize(ctx context.Context, doc map[string]any) (nquads string, err error) {
	return CanonicalizeWithHash(ctx, doc, crypto.SHA256)
}

// CanonicalizeWithHash is Canonicalize with the hash function RDFC-1.0
// uses to label blank nodes: crypto.SHA256 (the default, as Canonicalize)
// or crypto.SHA384, which ecdsa-rdfc-2019 requires with P-384 keys. Only
// blank node labels, and so the order of lines, depend on it.
func CanonicalizeWithHash(ctx context.Context, doc map[string]any, h crypto.Hash) (nquads string, err error) {
	if h != crypto.SHA256 && h != crypto.SHA384 {
		return "", problem.New(problem.Unsupported, "RDFC-1.0 with %s is not supported", h)
	}
	defer func() {
		if r := recover(); r != nil { // json-gold panics on some invalid input
			nquads, err = "", problem.New(problem.Malformed, "the document could not be processed as JSON-LD")
		}
	}()
	if err := ctx.Err(); err != nil {
		return "", interrupted(err)
	}
	if err := scan(doc); err != nil {
		return "", err
	}
	if err := acquire(ctx); err != nil {
		return "", err
	}
	defer release()

	expanded, err := expand(doc)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", interrupted(err)
	}
	ds, err := toDataset(expanded)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", interrupted(err)
	}
	return canonicalise(ctx, ds, h)
}

// expand expands doc with json-gold in safe mode, substituting a cached
// active context for a top-level @context of bundled URLs: its fast form
// when the document allows it (see fast.go).
func expand(doc map[string]any) ([]any, error) {
	return expandWith(doc, true)
}

func expandWith(doc map[string]any, allowFast bool) (expanded []any, err error) {
	err = withCachedContext(doc["@context"], func(c *activeContext) error {
		input := doc
		if c != nil {
			input = maps.Clone(doc)
			input["@context"] = c.plain
			if allowFast && c.fast != nil && fastEligible(c.fast, doc) {
				input["@context"] = c.fast
			}
		}
		var err error
		expanded, err = jsonld.NewJsonLdProcessor().Expand(input, options)
		return err
	})
	if err != nil {
		return nil, explainUndefined(jsonldError(err), doc)
	}
	return expanded, nil
}

// sem bounds the canonicalisations running at once to the number of CPUs:
// the work is CPU-bound, and more at once only adds latency and memory.
var sem = make(chan struct{}, runtime.NumCPU())

func acquire(ctx context.Context) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return interrupted(ctx.Err())
	}
}

func release() { <-sem }

// interrupted is the error for a ctx that ended before the work did.
func interrupted(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return problem.Wrap(err, problem.TooLarge, "the document took too long to canonicalise")
	}
	return problem.Wrap(err, problem.TooLarge, "canonicalisation was cancelled")
}

// jsonldError translates an error of json-gold.
func jsonldError(err error) error {
	var unknown *unknownContextError
	if errors.As(err, &unknown) {
		return problem.Wrap(err, problem.Unsupported,
			"the context %s is not one Backpack knows; contexts are never fetched", quote(unknown.url))
	}
	var e *jsonld.JsonLdError
	if !errors.As(err, &e) {
		return problem.Wrap(err, problem.Malformed, "the document could not be processed as JSON-LD")
	}
	switch e.Code {
	case jsonld.InvalidProperty:
		return problem.Wrap(err, problem.Schema, "a property of the document is not defined by its @context")
	case jsonld.ProtectedTermRedefinition:
		return problem.Wrap(err, problem.Schema, "the document redefines a protected term of its @context")
	case jsonld.LoadingRemoteContextFailed, jsonld.LoadingDocumentFailed:
		return problem.Wrap(err, problem.Unsupported, "a context of the document could not be loaded; contexts are never fetched")
	}
	return problem.Wrap(err, problem.Malformed, "the document is not valid JSON-LD (%s)", string(e.Code))
}
