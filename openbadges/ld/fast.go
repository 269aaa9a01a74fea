package ld

import (
	"maps"
	"strings"

	jsonld "github.com/piprate/json-gold/ld"
)

// The fast path of expansion.
//
// Two thirds of the expansion of an OB 3.0 credential is json-gold
// processing the type-scoped contexts of its nodes (VerifiableCredential,
// Profile, AchievementSubject, Achievement: 68 term definitions) again for
// every document. Their result depends only on the active context they
// are applied to, and in a plain credential that is always the top-level
// context: every node starts from it again (type-scoped contexts do not
// propagate to nested nodes), unless a property-scoped or embedded context
// intervenes.
//
// So the fast form of a cached top-level context carries, in each type's
// term definition, the already processed context in place of the raw one.
// json-gold accepts a *Context wherever a context is expected and returns
// it as the result of processing: for a type-scoped context applied to the
// top-level context, that is exactly the result it would compute.
//
// It would be wrong anywhere else, so the fast form is used only for a
// document that fastEligible has checked node by node: every type-scoped
// context is applied to the top-level context, and no substituted context
// is ever used in another role. Otherwise expansion uses the plain form.
// Tests compare both forms on every fixture and in the fuzz target.

// withTypeScopes returns the fast form of a processed top-level context,
// or nil if no term has a scoped context to process.
func withTypeScopes(plain *jsonld.Context) *jsonld.Context {
	fast := jsonld.CopyContext(plain)
	scoped := make(map[string]*jsonld.Context)
	for term, td := range plain.TermDefinitions {
		if td == nil || !td.HasContext {
			continue
		}
		local, ok := td.Context.(map[string]any)
		if _, propagates := local["@propagate"]; !ok || propagates {
			continue // stays raw, and documents using it take the plain form
		}
		// json-gold processes a type-scoped context without propagation,
		// which remembers the context it was applied to so that nested
		// nodes revert to it; "@propagate": false asks Parse for the same.
		local = maps.Clone(local)
		local["@propagate"] = false
		c, err := fast.Parse(local)
		if err != nil {
			continue // not usable as a type-scoped context: stays raw
		}
		scoped[term] = c
	}
	if len(scoped) == 0 {
		return nil
	}
	// The processed contexts refer to fast as their previous context, so
	// nested nodes revert to the fast form and find the substitutions.
	for term, c := range scoped {
		td := *plain.TermDefinitions[term] // all fields, unexported ones too
		td.Context = c
		fast.TermDefinitions[term] = &td
	}
	return fast
}

// fastEligible reports whether expanding doc with the fast form of its
// top-level context gives the same result as with the plain form. It
// follows json-gold's expansion (api_expand.go) and refuses anything where
// the active context at a type-scoped context is not the top-level one, or
// where a substituted context would serve another purpose: embedded
// contexts below the top, property-scoped contexts on objects, two scoped
// types on one node, typed value objects, index, language, id and type
// maps, nested arrays, and keywords other than @id and @type in nodes.
func fastEligible(fast *jsonld.Context, doc map[string]any) bool {
	return eligibleNode(fast, fast, doc, true)
}

// eligibleNode checks a JSON object whose parent node was expanded with
// the active context parent. A node object reverts to the top-level
// context before applying its own type-scoped context; a value object
// keeps its parent's.
func eligibleNode(top, parent *jsonld.Context, obj map[string]any, isTop bool) bool {
	if _, ok := obj["@context"]; ok && !isTop {
		return false
	}
	var typeKey string
	isValue := false
	for k := range obj {
		kw, pkw := keywordOf(top, k), keywordOf(parent, k)
		if kw == "@value" || pkw == "@value" {
			isValue = true
		}
		if kw == "@type" || pkw == "@type" {
			if typeKey != "" {
				return false // two keys for @type
			}
			typeKey = k
		}
	}
	if isValue {
		// No type, so no type-scoped context, and nothing to expand.
		return typeKey == ""
	}
	node := top
	if typeKey != "" {
		types, ok := typeValues(obj[typeKey])
		if !ok {
			return false
		}
		scoped := 0
		for _, t := range types {
			td := top.GetTermDefinition(t)
			if td == nil || !td.HasContext {
				continue
			}
			c, ok := td.Context.(*jsonld.Context)
			if !ok {
				return false // a raw type-scoped context: slow path
			}
			node = c
			scoped++
		}
		if scoped > 1 {
			return false
		}
	}
	for k, v := range obj {
		if k == "@context" {
			continue
		}
		switch keywordOf(node, k) {
		case "":
		case "@id", "@type":
			continue
		default:
			return false
		}
		if !eligibleProperty(top, node, k, v) {
			return false
		}
	}
	return true
}

// eligibleProperty checks the value of property k of a node whose active
// context is node.
func eligibleProperty(top, node *jsonld.Context, k string, v any) bool {
	td := node.GetTermDefinition(k)
	if td != nil {
		for _, c := range td.Container {
			switch c {
			case "@list", "@set", "@graph":
			default:
				return false // index, language, id and type maps
			}
		}
		if td.HasContext {
			// A property-scoped context is processed for every value; it
			// must not be one of the substituted ones, and it must not
			// reach a node's type-scoped context.
			if _, ok := td.Context.(*jsonld.Context); ok || holdsObject(v) {
				return false
			}
		}
		if td.Type == "@json" {
			return true // the value is not expanded
		}
	}
	switch v := v.(type) {
	case map[string]any:
		return eligibleNode(top, node, v, false)
	case []any:
		for _, e := range v {
			switch e := e.(type) {
			case []any:
				return false
			case map[string]any:
				if !eligibleNode(top, node, e, false) {
					return false
				}
			}
		}
	}
	return true
}

// keywordOf returns the keyword k stands for in c, as json-gold's
// ExpandIri(k, false, true, nil, nil) does, or "" if it is no keyword.
// An unknown "@…" key, which json-gold ignores, is returned as is.
func keywordOf(c *jsonld.Context, k string) string {
	if strings.HasPrefix(k, "@") {
		return k
	}
	if td := c.GetTermDefinition(k); td != nil && jsonld.IsKeyword(td.ID) {
		return td.ID
	}
	return ""
}

// typeValues returns the strings of a @type value.
func typeValues(v any) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return []string{v}, true
	case []any:
		types := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			types[i] = s
		}
		return types, true
	}
	return nil, false
}

// holdsObject reports whether v is an object or an array holding one.
func holdsObject(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return true
	case []any:
		for _, e := range v {
			if holdsObject(e) {
				return true
			}
		}
	}
	return false
}
