package ld

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"backpack/openbadges/problem"
)

const vc2 = "https://www.w3.org/ns/credentials/v2"

func parse(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func wantCode(t *testing.T, err error, code problem.Code, fragment string) {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %v (%T), want a *problem.Error", err, err)
	}
	if pe.Code != code || !strings.Contains(pe.Message, fragment) {
		t.Fatalf("got %q %q, want %q containing %q", pe.Code, pe.Message, code, fragment)
	}
}

// json-gold's Normalize drops SafeMode (SECURITY.md J3): an undefined term
// must be an error here, and the message names it.
func TestSafeModeRejectsUndefinedTerm(t *testing.T) {
	doc := parse(t, `{"@context":{"name":"https://schema.org/name"},"name":"x","unmapped":"y"}`)
	_, err := Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.Schema, `"unmapped"`)
}

func TestSafeModeNamesNestedTerm(t *testing.T) {
	// A VC 1.1 credential using a VC 2.0 term (validFrom) and an
	// undefined one in the subject.
	doc := parse(t, `{
		"@context": ["https://www.w3.org/2018/credentials/v1", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
		"id": "urn:uuid:1", "type": ["VerifiableCredential", "OpenBadgeCredential"],
		"issuer": "https://example.edu/issuer", "issuanceDate": "2024-01-01T00:00:00Z",
		"credentialSubject": {"type": ["AchievementSubject"], "achievement": {"id": "urn:a", "type": ["Achievement"], "name": "A", "colour": "red"}}
	}`)
	_, err := Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.Schema, `"colour"`)
	if !strings.Contains(problem.MessageOf(err), "/credentialSubject/achievement") {
		t.Errorf("message %q does not say where", problem.MessageOf(err))
	}
}

// A type the contexts do not define stays a relative IRI. jsonld.js safe
// mode rejects it; json-gold would emit it as <Foo>.
func TestUndefinedTypeRejected(t *testing.T) {
	doc := parse(t, `{"@context":{"name":"https://schema.org/name"},"@type":"Foo","name":"x"}`)
	_, err := Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.Schema, `type "Foo"`)
}

// A relative id would make json-gold (and jsonld.js without safe mode) drop
// every statement about the node: data shown but not signed.
func TestRelativeIDRejected(t *testing.T) {
	doc := parse(t, `{"@context":{"name":"https://schema.org/name","knows":{"@id":"https://schema.org/knows","@type":"@id"}},
		"@id":"urn:x","name":"x","knows":{"@id":"relative","name":"Mallory"}}`)
	_, err := Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.Schema, `"relative" is not an absolute IRI`)
}

// json-gold silently drops statements whose http(s) IRI fails its URL
// regular expression; here such an IRI is either kept or refused, never
// dropped.
func TestIRIsAreNotDropped(t *testing.T) {
	doc := parse(t, `{"@context":{"url":{"@id":"https://schema.org/url","@type":"@id"}},
		"@id":"urn:x","url":"https://exa_mple.com/a"}`)
	got, err := Canonicalize(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "<https://exa_mple.com/a>") {
		t.Fatalf("statement dropped: %q", got)
	}
	doc = parse(t, `{"@context":{"url":{"@id":"https://schema.org/url","@type":"@id"}},
		"@id":"urn:x","url":"https://example.com/a b"}`)
	_, err = Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.Schema, "not an absolute IRI")
}

func TestInvalidLanguageRejected(t *testing.T) {
	doc := parse(t, `{"@context":{"name":"https://schema.org/name"},"@id":"urn:x","name":{"@value":"x","@language":"en us"}}`)
	_, err := Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.Schema, `language tag "en us"`)
}

// Canonical N-Quads escapes control characters (RDFC-1.0, rdf-canonize 4):
// a tab as \t, others as \u00XX.
func TestLiteralEscapes(t *testing.T) {
	doc := parse(t, `{"@context":{"name":"https://schema.org/name"},"@id":"urn:x","name":"a\tb\u0001\"\\\n"}`)
	got := canonicalize(t, doc)
	if want := `<urn:x> <https://schema.org/name> "a\tb\u0001\"\\\n" .` + "\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// countingServer counts requests; contexts must never be fetched.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/ld+json")
		fmt.Fprint(w, `{"@context":{"name":"https://schema.org/name","unmapped":"https://evil.example/unmapped"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestUnknownContextIsNeverFetched(t *testing.T) {
	srv, hits := countingServer(t)
	docs := map[string]string{
		"top level":    `{"@context":["` + vc2 + `","` + srv.URL + `/ctx"],"name":"x"}`,
		"string":       `{"@context":"` + srv.URL + `/ctx","name":"x"}`,
		"embedded":     `{"@context":"` + vc2 + `","credentialSubject":{"@context":"` + srv.URL + `/ctx","unmapped":"y"}}`,
		"scoped":       `{"@context":[{"x":{"@id":"https://ex.org/x","@context":"` + srv.URL + `/ctx"}}],"x":{"name":"y"}}`,
		"nested array": `{"@context":[[` + `"` + srv.URL + `/ctx"]],"name":"x"}`,
	}
	for name, s := range docs {
		t.Run(name, func(t *testing.T) {
			_, err := Canonicalize(context.Background(), parse(t, s))
			if problem.CodeOf(err) != problem.Unsupported && problem.CodeOf(err) != problem.Malformed {
				t.Fatalf("got %v", err)
			}
		})
	}
	// Past the pre-scan, json-gold asks the loader, which refuses too.
	_, err := expand(parse(t, docs["top level"]))
	wantCode(t, err, problem.Unsupported, "is not one Backpack knows; contexts are never fetched")
	if _, err := (bundledLoader{}).LoadDocument(srv.URL + "/ctx"); err == nil {
		t.Fatal("the loader served an unknown URL")
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the context server was hit %d times", n)
	}
}

func TestUnknownContextMessage(t *testing.T) {
	_, err := Canonicalize(context.Background(), parse(t, `{"@context":["`+vc2+`","https://example.org/ctx"],"name":"x"}`))
	wantCode(t, err, problem.Unsupported, `the context "https://example.org/ctx" is not one Backpack knows; contexts are never fetched`)
}

// @import merges a local context into the imported document, which would
// change the shared bundled copy for every later document.
func TestImportRefused(t *testing.T) {
	doc := parse(t, `{"@context":{"@version":1.1,"@import":"`+vc2+`","name":"https://evil.example/name"},"name":"x"}`)
	_, err := Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.Unsupported, "@import")
}

func TestKnown(t *testing.T) {
	if !Known(vc2) || !Known("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json") {
		t.Fatal("bundled context unknown")
	}
	if Known("https://www.w3.org/ns/credentials/v2/") || Known("http://www.w3.org/ns/credentials/v2") {
		t.Fatal("Known is not exact")
	}
}

func TestDocumentTooLarge(t *testing.T) {
	doc := map[string]any{"@context": vc2, "description": strings.Repeat("x", MaxDocumentBytes)}
	_, err := Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.TooLarge, "larger than 256 KiB")
}

func TestTooDeep(t *testing.T) {
	var v any = "x"
	for range 100 {
		v = map[string]any{"https://ex.org/p": v}
	}
	_, err := Canonicalize(context.Background(), map[string]any{"@context": vc2, "https://ex.org/p": v})
	wantCode(t, err, problem.TooLarge, "nested")
}

func TestNotJSON(t *testing.T) {
	_, err := Canonicalize(context.Background(), map[string]any{"@context": vc2, "n": 3})
	wantCode(t, err, problem.Malformed, "not a JSON value")
}

// blankNodes returns a document with n blank nodes, each linked to the
// next and the last to the first (a cycle, so no node is unique by its
// place in a tree).
func blankNodes(n int) map[string]any {
	nodes := make([]any, n)
	for i := range nodes {
		nodes[i] = map[string]any{"@id": fmt.Sprintf("_:n%d", i), "next": fmt.Sprintf("_:n%d", (i+1)%n)}
	}
	return map[string]any{
		"@context": map[string]any{"next": map[string]any{"@id": "https://ex.org/next", "@type": "@id"}},
		"@graph":   nodes,
	}
}

// Too many blank nodes are refused while the RDF dataset is built, before
// canonicalisation (whose cost grows with them) begins.
func TestTooManyBlankNodes(t *testing.T) {
	start := time.Now()
	_, err := Canonicalize(context.Background(), blankNodes(2000))
	wantCode(t, err, problem.TooLarge, "more than 1000 blank nodes")
	t.Logf("2000 blank nodes refused in %v", time.Since(start))
	expanded, err := expand(blankNodes(2000))
	if err != nil {
		t.Fatal(err)
	}
	_, err = toDataset(expanded)
	wantCode(t, err, problem.TooLarge, "more than 1000 blank nodes")

	// A list makes a blank node per item.
	items := make([]any, 2000)
	for i := range items {
		items[i] = "x"
	}
	doc := map[string]any{
		"@context": map[string]any{"l": map[string]any{"@id": "https://ex.org/l", "@container": "@list"}},
		"@id":      "urn:x", "l": items,
	}
	_, err = Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.TooLarge, "more than 1000 blank nodes")
}

// A cycle of identical blank nodes is the simplest symmetric graph: every
// node has the same first-degree hash. It canonicalises within the bounds
// and matches json-gold.
func TestSymmetricCycle(t *testing.T) {
	got, err := Canonicalize(context.Background(), blankNodes(50))
	if err != nil {
		t.Fatal(err)
	}
	if want := jsonGold(t, blankNodes(50)); got != want {
		t.Fatalf("got\n%s\nwant (json-gold)\n%s", got, want)
	}
}

// canonWork canonicalises doc as Canonicalize does, and returns the state
// of the algorithm afterwards, for a test to count the work done.
func canonWork(t *testing.T, doc map[string]any) (*canon, error) {
	t.Helper()
	expanded, err := expand(doc)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := toDataset(expanded)
	if err != nil {
		t.Fatal(err)
	}
	c := &canon{
		ctx:   context.Background(),
		quads: ds.quads,
		nodes: make([]blankInfo, ds.blanks),
		canon: newIssuer(ds.blanks),
		hash:  crypto.SHA256,
		md:    sha256.New(),
	}
	_, err = c.run()
	return c, err
}

// A clique of identical blank nodes is a poison graph: Hash N-Degree
// Quads would try n! permutations. It must be refused by the work bounds,
// not processed: the context never ends here, so nothing else can stop it,
// and the work done is counted against the bounds.
func TestPoisonGraph(t *testing.T) {
	const n = 20
	nodes := make([]any, n)
	for i := range nodes {
		var links []any
		for j := range n {
			if j != i {
				links = append(links, map[string]any{"@id": fmt.Sprintf("_:n%d", j)})
			}
		}
		nodes[i] = map[string]any{"@id": fmt.Sprintf("_:n%d", i), "link": links}
	}
	doc := map[string]any{
		"@context": map[string]any{"link": map[string]any{"@id": "https://ex.org/link", "@type": "@id"}},
		"@graph":   nodes,
	}
	start := time.Now()
	_, err := Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.TooLarge, "too symmetric")
	t.Logf("poison graph of %d nodes refused in %v", n, time.Since(start))

	c, err := canonWork(t, doc)
	wantCode(t, err, problem.TooLarge, "too symmetric")
	if c.permutations > maxPermutations+1 || c.deepLeft < 0 {
		t.Errorf("%d permutations tried (bound %d), %d calls of Hash N-Degree Quads left: the work went past its bounds",
			c.permutations, maxPermutations, c.deepLeft)
	}
	if c.permutations <= maxPermutations && c.deepLeft > 0 {
		t.Errorf("refused after %d permutations with %d calls left: not by a work bound", c.permutations, c.deepLeft)
	}
	t.Logf("refused after %d permutations, %d calls of Hash N-Degree Quads left", c.permutations, c.deepLeft)
}

func TestContextDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Canonicalize(ctx, readJSON(t, "w3c-vc-di-eddsa/unsigned.json"))
	wantCode(t, err, problem.TooLarge, "cancelled")
	if !errors.Is(err, context.Canceled) {
		t.Fatal("not context.Canceled")
	}
}

// json-gold panics on some invalid contexts ("@protected" that is not a
// boolean); Canonicalize recovers and reports the document as malformed,
// and the semaphore is released.
func TestPanicRecovered(t *testing.T) {
	doc := parse(t, `{"@context":{"@protected":"yes","name":"https://schema.org/name"},"name":"x"}`)
	for range cap(sem) + 1 {
		_, err := Canonicalize(context.Background(), doc)
		wantCode(t, err, problem.Malformed, "could not be processed")
	}
}

// The document given is not modified, and canonicalising it twice gives
// the same result (the cached contexts are not modified either).
func TestNoMutation(t *testing.T) {
	doc := readJSON(t, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json")
	before, _ := json.Marshal(doc)
	first := canonicalize(t, doc)
	after, _ := json.Marshal(doc)
	if string(before) != string(after) {
		t.Fatal("document modified")
	}
	if second := canonicalize(t, doc); second != first {
		t.Fatal("not deterministic")
	}
}

// Concurrent canonicalisations share the cached contexts; run with -race.
func TestConcurrent(t *testing.T) {
	doc, proof := split(readJSON(t, "ob3-spec/ob3-eddsa-rdfc-2022-test-vector-signed.json"))
	want := readText(t, "ob3-spec/document-canon.txt")
	wantProof := readText(t, "ob3-spec/proof-canon.txt")
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 10 {
				got, err := Canonicalize(context.Background(), doc)
				if err == nil && got != want {
					err = errors.New("document differs")
				}
				if err == nil {
					got, err = Canonicalize(context.Background(), proof)
					if err == nil && got != wantProof {
						err = errors.New("proof differs")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Expansion costs about objects × terms in context (json-gold copies the
// context at scoped nodes): both are bounded before it starts.
func TestTooManyObjects(t *testing.T) {
	nodes := make([]any, MaxObjects)
	for i := range nodes {
		nodes[i] = map[string]any{"id": fmt.Sprintf("urn:%d", i), "type": "Achievement"}
	}
	doc := map[string]any{
		"@context":          []any{vc2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"},
		"type":              "VerifiableCredential",
		"credentialSubject": map[string]any{"type": "AchievementSubject", "achievement": nodes},
	}
	_, err := Canonicalize(context.Background(), doc)
	wantCode(t, err, problem.TooLarge, "more than 2500 JSON objects")
	// Refused by the scan before any JSON-LD processing, which stops
	// counting at the first object past the bound.
	s := scanner{}
	s.value(doc, 0)
	wantCode(t, s.err, problem.TooLarge, "more than 2500 JSON objects")
	if s.objects != MaxObjects+1 {
		t.Errorf("the scan counted %d objects; want it to stop at %d", s.objects, MaxObjects+1)
	}
}

func TestLargeLocalContext(t *testing.T) {
	local := map[string]any{}
	for i := range MaxLocalTerms + 1 {
		local[fmt.Sprintf("t%d", i)] = fmt.Sprintf("https://ex.org/%d", i)
	}
	_, err := Canonicalize(context.Background(), map[string]any{"@context": local, "t0": "x"})
	wantCode(t, err, problem.TooLarge, "defines more than 250 terms")
}

// Past maxCachedContexts distinct context lists, contexts are processed
// per document: still correct, no more memory.
func TestContextCacheBound(t *testing.T) {
	var urls []string
	for url := range contextURLs {
		if url != "https://www.w3.org/2018/credentials/examples/v1" {
			urls = append(urls, url)
		}
	}
	want, ok := "", 0
	for i := range maxCachedContexts + 8 {
		list := []any{"https://www.w3.org/2018/credentials/v1", urls[i%len(urls)], urls[(i/len(urls)+i+1)%len(urls)]}
		doc := map[string]any{"@context": list, "@id": "urn:x", "type": "VerifiableCredential", "https://ex.org/p": "v"}
		got, err := Canonicalize(context.Background(), doc)
		if err != nil {
			continue // some lists conflict (protected terms)
		}
		ok++
		if want == "" {
			want = got
		} else if got != want {
			t.Fatalf("%v:\n%s\nwant\n%s", list, got, want)
		}
	}
	if ok <= maxCachedContexts/2 {
		t.Fatalf("only %d lists canonicalised", ok)
	}
	activeContexts.RLock()
	n := len(activeContexts.m)
	activeContexts.RUnlock()
	if n > maxCachedContexts {
		t.Fatalf("%d cached context lists", n)
	}
}
