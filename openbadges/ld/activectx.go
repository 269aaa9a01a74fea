package ld

import (
	"strings"
	"sync"

	jsonld "github.com/piprate/json-gold/ld"
)

// options are the json-gold options of every expansion. They are shared
// and never modified: the cached active contexts keep a pointer to them.
var options = func() *jsonld.JsonLdOptions {
	o := jsonld.NewJsonLdOptions("")
	o.DocumentLoader = bundledLoader{}   // the default loader fetches over HTTP
	o.SafeMode = true                    // an undefined term is an error, not dropped
	o.ProcessingMode = jsonld.JsonLd_1_1 // as jsonld.js
	// Expansion ignores these; canonicalisation is this package's own
	// (RDFC-1.0). Set so that the options are never json-gold's defaults
	// (URGNA2012) should they reach Normalize.
	o.Algorithm = jsonld.AlgorithmURDNA2015
	o.Format = "application/n-quads"
	return o
}()

// maxCachedContexts bounds the cache of processed top-level contexts: a
// verifier meets a handful of context lists, and each cached one takes
// about 200 KB per CPU (VC 2.0 + OB 3.0.3). Beyond the bound, contexts are
// processed per document, as json-gold does by default.
const maxCachedContexts = 32

// activeContexts caches the active contexts that result from processing a
// top-level @context made only of bundled URLs, keyed by the URL list.
// Processing the VC 2.0 and OB 3.0 contexts is a third of the cost of an
// expansion; it depends on nothing but the URLs (the base IRI is empty),
// so it is done once per list. json-gold accepts a processed *Context in
// place of a @context value.
//
// json-gold does write to a context given that way: it sets its processing
// mode again (to the same value). So a cached context is used by one
// expansion at a time: each key has a free list of them, and an expansion
// that finds none free processes a new one. As expansions are bounded by
// sem, each key ends up with at most cap(sem) of them.
var activeContexts struct {
	sync.RWMutex
	m map[string]chan *activeContext
}

// activeContext is a processed top-level context in two forms: plain, as
// json-gold makes it, and fast, with its type-scoped contexts processed
// too (see fast.go).
type activeContext struct {
	plain *jsonld.Context
	fast  *jsonld.Context
}

// withCachedContext calls f with the processed active context for a
// top-level @context value, which f has to itself until it returns; or
// with nil if the value is not a list of bundled URLs or the cache has as
// many keys as it may. An error is the error of processing the context.
func withCachedContext(value any, f func(*activeContext) error) error {
	key, ok := contextKey(value)
	if !ok {
		return f(nil)
	}
	activeContexts.RLock()
	free, ok := activeContexts.m[key]
	activeContexts.RUnlock()
	if !ok {
		activeContexts.Lock()
		if free, ok = activeContexts.m[key]; !ok && len(activeContexts.m) < maxCachedContexts {
			if activeContexts.m == nil {
				activeContexts.m = make(map[string]chan *activeContext)
			}
			free = make(chan *activeContext, cap(sem))
			activeContexts.m[key] = free
		}
		activeContexts.Unlock()
		if free == nil {
			return f(nil)
		}
	}
	var c *activeContext
	select {
	case c = <-free:
	default:
		plain, err := jsonld.NewContext(nil, options).Parse(value)
		if err != nil {
			return err
		}
		c = &activeContext{plain: plain, fast: withTypeScopes(plain)}
	}
	defer func() {
		select {
		case free <- c:
		default: // more in use at once than sem allows: let it go
		}
	}()
	return f(c)
}

// contextKey is the cache key of a @context value made only of bundled
// URLs: the URLs joined by newlines (a URL has no newline).
func contextKey(value any) (string, bool) {
	switch v := value.(type) {
	case string:
		return v, Known(v)
	case []any:
		if len(v) == 0 {
			return "", false
		}
		var b strings.Builder
		for i, e := range v {
			s, ok := e.(string)
			if !ok || !Known(s) {
				return "", false
			}
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(s)
		}
		return b.String(), true
	}
	return "", false
}
