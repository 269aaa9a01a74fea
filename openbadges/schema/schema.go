// Package schema validates Open Badges 3.0 and CLR 2.0 credentials against
// the JSON Schemas their credentialSchema entries name
// (type 1EdTechJsonSchemaValidator2019).
//
// Schemas are only ever taken from a Registry: the files bundled with
// Backpack (bundled/, see bundled/PROVENANCE.md) or, in tests, documents
// given to New. Nothing is fetched: the JSON Schema compiler is given a
// loader that answers from the registry alone (the JSON Schema
// metaschemas come embedded in the library), so a schema whose id or one
// of whose $ref targets is not in the registry is reported as unknown,
// never looked up on the network or the file system.
//
// Work is bounded: a schema document is at most MaxSchemaSize bytes and
// MaxDepth levels deep; regular expressions (pattern, patternProperties,
// format regex) use Go's RE2 engine, which runs in linear time, and
// patterns longer than MaxPattern are refused, so that the schema does not
// compile; a Registry keeps at most MaxCompiled compiled schemas. The
// credential itself has been decoded under the verifier's JSON limits
// (size, depth, token count) before it gets here.
package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// ValidatorType is the credentialSchema type whose schemas are checked.
const ValidatorType = "1EdTechJsonSchemaValidator2019"

// Limits on the schemas a Registry accepts and the work they may cause.
const (
	MaxSchemaSize = 1 << 20 // bytes of one schema document
	MaxDepth      = 64      // nesting of a schema document
	MaxPattern    = 1000    // characters of one regular expression
	MaxCompiled   = 64      // compiled schemas a Registry keeps
	MaxViolations = 3       // violations a Result names
)

// Status is the outcome of one validation.
type Status int

const (
	// Valid: the document matches the schema.
	Valid Status = iota
	// Invalid: the document does not match; Violations says where.
	Invalid
	// Unknown: the schema (or a schema it refers to) is not in the
	// registry, so nothing was checked.
	Unknown
	// Unusable: the schema is in the registry but does not compile (or is
	// beyond the limits), so nothing was checked.
	Unusable
)

// Violation is one place where the document does not match its schema.
type Violation struct {
	Pointer string // JSON pointer into the document ("" is the whole document)
	Message string
}

func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = "/"
	}
	return p + ": " + v.Message
}

// Result is the outcome of validating one document against one schema.
type Result struct {
	Status     Status
	Violations []Violation // the first MaxViolations, for Invalid
	Total      int         // how many violations there are in all
	Err        error       // why, for Unknown and Unusable
}

// Registry holds JSON Schemas by their id. It is safe for concurrent use.
type Registry struct {
	docs map[string]any // normalised id -> decoded schema document

	mu       sync.Mutex
	compiled map[string]compiled
	order    []string // compiled ids, oldest first
}

type compiled struct {
	sch *jsonschema.Schema
	err error
}

// New returns a registry of the given schema documents, keyed by the URL
// they are known by (their $id, normally). A document that cannot be read
// is an error.
func New(docs map[string][]byte) (*Registry, error) {
	r := &Registry{docs: map[string]any{}, compiled: map[string]compiled{}}
	for id, b := range docs {
		doc, err := decode(b)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", id, err)
		}
		r.docs[normal(id)] = doc
	}
	return r, nil
}

//go:embed bundled
var bundledFS embed.FS

var (
	bundledOnce sync.Once
	bundled     *Registry
	bundledErr  error
)

// Bundled returns the registry of the schemas that ship with Backpack,
// each known by its $id. It panics if a bundled file is broken (a build
// mistake, caught by the tests).
func Bundled() *Registry {
	bundledOnce.Do(func() {
		docs := map[string][]byte{}
		bundledErr = fs.WalkDir(bundledFS, "bundled", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || path.Ext(p) != ".json" {
				return err
			}
			b, err := bundledFS.ReadFile(p)
			if err != nil {
				return err
			}
			var head struct {
				ID string `json:"$id"`
			}
			if err := json.Unmarshal(b, &head); err != nil || head.ID == "" {
				return fmt.Errorf("%s: no $id", p)
			}
			docs[head.ID] = b
			return nil
		})
		if bundledErr == nil {
			bundled, bundledErr = New(docs)
		}
	})
	if bundledErr != nil {
		panic("schema: bundled schemas: " + bundledErr.Error())
	}
	return bundled
}

// IDs lists the ids of the schemas in the registry, sorted.
func (r *Registry) IDs() []string {
	ids := make([]string, 0, len(r.docs))
	for id := range r.docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Has says whether the schema id is in the registry.
func (r *Registry) Has(id string) bool {
	_, ok := r.docs[normal(id)]
	return ok
}

// Validate checks doc (decoded JSON: map[string]any, []any, string,
// float64 or json.Number, bool, nil) against the schema id.
func (r *Registry) Validate(id string, doc any) Result {
	if !r.Has(id) {
		return Result{Status: Unknown, Err: fmt.Errorf("the schema %s is not one Backpack bundles; schemas are never fetched", id)}
	}
	sch, err := r.compile(normal(id))
	if err != nil {
		if m := asMissing(err); m != nil {
			return Result{Status: Unknown, Err: m}
		}
		return Result{Status: Unusable, Err: err}
	}
	err = sch.Validate(doc)
	if err == nil {
		return Result{Status: Valid}
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return Result{Status: Unusable, Err: err}
	}
	vs, schemaFault := leaves(ve)
	if schemaFault != nil {
		return Result{Status: Unusable, Err: fmt.Errorf("the schema %s cannot be applied: %s", id, truncate(schemaFault.LocalizedString(printer), 200))}
	}
	res := Result{Status: Invalid, Total: len(vs)}
	res.Violations = vs[:min(len(vs), MaxViolations)]
	return res
}

// compile compiles the schema id once; the outcome, errors included, is
// kept (at most MaxCompiled of them, the oldest dropped first).
func (r *Registry) compile(id string) (*jsonschema.Schema, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.compiled[id]; ok {
		return c.sch, c.err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2019)
	c.UseLoader(loader{r})
	c.UseRegexpEngine(boundedRegexp)
	sch, err := c.Compile(id)
	if err != nil && asMissing(err) == nil {
		err = fmt.Errorf("the schema %s does not compile: %w", id, err)
	}
	if len(r.order) >= MaxCompiled {
		delete(r.compiled, r.order[0])
		r.order = r.order[1:]
	}
	r.compiled[id] = compiled{sch, err}
	r.order = append(r.order, id)
	return sch, err
}

// loader answers the compiler from the registry alone: nothing is fetched
// or read from disk.
type loader struct{ r *Registry }

type missingError struct{ url string }

func (e *missingError) Error() string {
	return "the schema refers to " + e.url + ", which Backpack does not bundle; schemas are never fetched"
}

// asMissing finds the missingError in a compile error, if that is why it
// failed.
func asMissing(err error) *missingError {
	var m *missingError
	if errors.As(err, &m) {
		return m
	}
	var le *jsonschema.LoadURLError
	if errors.As(err, &le) {
		if errors.As(le.Err, &m) {
			return m
		}
	}
	return nil
}

func (l loader) Load(url string) (any, error) {
	if doc, ok := l.r.docs[normal(url)]; ok {
		return doc, nil
	}
	return nil, &missingError{url}
}

// boundedRegexp compiles a pattern with RE2 (linear-time matching), and
// refuses long ones.
func boundedRegexp(s string) (jsonschema.Regexp, error) {
	if len(s) > MaxPattern {
		return nil, fmt.Errorf("a pattern of %d characters is longer than %d", len(s), MaxPattern)
	}
	return regexp.Compile(s)
}

// normal is the registry key of a schema URL: without its fragment (an
// empty "#" included).
func normal(u string) string {
	u, _, _ = strings.Cut(u, "#")
	return u
}

// decode reads a schema document, refusing one larger than MaxSchemaSize
// or nested deeper than MaxDepth.
func decode(b []byte) (any, error) {
	if len(b) > MaxSchemaSize {
		return nil, fmt.Errorf("%d bytes, more than %d", len(b), MaxSchemaSize)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > MaxDepth {
				return nil, fmt.Errorf("nested more than %d levels deep", MaxDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// leaves flattens a validation error into the violations at its leaves,
// in the order the validator found them. A leaf that is the schema's
// fault (a $ref cycle, a value the validator cannot handle) is returned
// apart: the document was not really checked.
func leaves(e *jsonschema.ValidationError) (out []Violation, schemaFault jsonschema.ErrorKind) {
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			switch e.ErrorKind.(type) {
			case *kind.RefCycle, *kind.InvalidJsonValue:
				schemaFault = e.ErrorKind
			}
			out = append(out, Violation{Pointer: pointer(e.InstanceLocation), Message: truncate(e.ErrorKind.LocalizedString(printer), 200)})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(e)
	return out, schemaFault
}

var printer = message.NewPrinter(language.English)

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// pointer is the JSON pointer (RFC 6901) of a path.
func pointer(p []string) string {
	var sb strings.Builder
	for _, s := range p {
		sb.WriteByte('/')
		s = strings.ReplaceAll(s, "~", "~0")
		sb.WriteString(strings.ReplaceAll(s, "/", "~1"))
	}
	return sb.String()
}
