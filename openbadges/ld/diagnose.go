package ld

import (
	"errors"
	"slices"
	"strings"

	jsonld "github.com/piprate/json-gold/ld"

	"backpack/openbadges/problem"
)

// explainUndefined names the undefined term when err is json-gold's safe
// mode error, whose message does not say which property it dropped.
//
// It walks the document with the same contexts as expansion applies them
// (embedded, property-scoped and type-scoped contexts) and returns the
// first key that does not expand to an IRI. It runs only for documents
// that already failed, and it is an approximation: scoped contexts are
// not reverted as expansion reverts them, so it may find nothing, and then
// the error keeps its generic message.
func explainUndefined(err error, doc map[string]any) error {
	var e *jsonld.JsonLdError
	if !errors.As(err, &e) || e.Code != jsonld.InvalidProperty {
		return err
	}
	path, key := undefinedTerm(jsonld.NewContext(nil, options), doc, "")
	if key == "" {
		return err
	}
	where := ""
	if path != "" {
		where = " (in " + quote(path) + ")"
	}
	return problem.Wrap(e, problem.Schema,
		"the property %s%s is not defined by the document's @context", quote(key), where)
}

// undefinedTerm returns the path of the object holding the first
// undefined key in v, and the key, or "" if it finds none.
func undefinedTerm(ctx *jsonld.Context, v any, path string) (string, string) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if p, k := undefinedTerm(ctx, e, path); k != "" {
				return p, k
			}
		}
	case map[string]any:
		if local, ok := v["@context"]; ok {
			c, err := ctx.Parse(local)
			if err != nil {
				return "", ""
			}
			ctx = c
		}
		ctx = withTypeContexts(ctx, v)
		for _, key := range sortedKeys(v) {
			if strings.HasPrefix(key, "@") {
				continue
			}
			iri, err := ctx.ExpandIri(key, false, true, nil, nil)
			if err != nil {
				return "", ""
			}
			if !jsonld.IsKeyword(iri) && !strings.Contains(iri, ":") {
				return path, key
			}
			inner := ctx
			if td := ctx.GetTermDefinition(key); td != nil && td.HasContext {
				if c, err := ctx.Parse(td.Context); err == nil {
					inner = c
				}
			}
			if p, k := undefinedTerm(inner, v[key], path+"/"+key); k != "" {
				return p, k
			}
		}
	}
	return "", ""
}

// withTypeContexts applies the type-scoped contexts of the types of obj,
// in lexicographic order as expansion does.
func withTypeContexts(ctx *jsonld.Context, obj map[string]any) *jsonld.Context {
	for _, key := range sortedKeys(obj) {
		if iri, _ := ctx.ExpandIri(key, false, true, nil, nil); iri != "@type" {
			continue
		}
		var types []string
		switch t := obj[key].(type) {
		case string:
			types = []string{t}
		case []any:
			for _, e := range t {
				if s, ok := e.(string); ok {
					types = append(types, s)
				}
			}
		}
		slices.Sort(types)
		for _, t := range types {
			if td := ctx.GetTermDefinition(t); td != nil && td.HasContext {
				if c, err := ctx.Parse(td.Context); err == nil {
					ctx = c
				}
			}
		}
	}
	return ctx
}
