package openbadges

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"backpack/openbadges/problem"
)

// Open Badges 2.0 extensions: objects typed "Extension" whose context
// names a JSON Schema they must satisfy. Backpack knows the extensions the
// specification publishes (their contexts and schemas are bundled; nothing
// is fetched) and checks nodes of those types; unknown extensions are
// carried along unchecked, as the specification allows.

//go:embed ob2ext/*/context.json ob2ext/*/schema.json
var extensionFiles embed.FS

// extension is one known extension: the type it validates, its terms
// (compact name -> IRI) and its schema's required properties and types.
type extension struct {
	typeName string // local name, e.g. ExampleExtension
	terms    map[string]string
	required []string
	types    map[string]string // property -> JSON type
}

// extensionContexts maps the published context URLs to their extension.
var extensionContexts = sync.OnceValue(func() map[string]*extension {
	m := map[string]*extension{}
	dirs, _ := fs.ReadDir(extensionFiles, "ob2ext")
	for _, d := range dirs {
		ext, err := loadExtension(path.Join("ob2ext", d.Name()))
		if err != nil {
			panic(err) // bundled files: a broken one is a build mistake
		}
		for _, host := range []string{"https://w3id.org/openbadges/extensions/", "https://openbadgespec.org/extensions/"} {
			m[host+d.Name()+"/context.json"] = ext
		}
	}
	return m
})

func loadExtension(dir string) (*extension, error) {
	var ctx struct {
		Context    map[string]string `json:"@context"`
		Validation []struct {
			Type string `json:"obi:validatesType"`
		} `json:"obi:validation"`
	}
	var schema struct {
		Properties map[string]struct {
			Type string `json:"type"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	for file, v := range map[string]any{"context.json": &ctx, "schema.json": &schema} {
		b, err := extensionFiles.ReadFile(path.Join(dir, file))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("%s/%s: %w", dir, file, err)
		}
	}
	if len(ctx.Validation) == 0 {
		return nil, fmt.Errorf("%s: no obi:validation", dir)
	}
	ext := &extension{typeName: localName(ctx.Validation[0].Type), terms: map[string]string{}, required: schema.Required, types: map[string]string{}}
	for term, iri := range ctx.Context {
		if prefix, rest, ok := strings.Cut(iri, ":"); ok && ctx.Context[prefix] != "" {
			iri = ctx.Context[prefix] + rest // expand compact IRIs such as extensions:applyLink
		}
		ext.terms[term] = iri
	}
	for p, s := range schema.Properties {
		ext.types[p] = s.Type
	}
	return ext, nil
}

// localName is the last segment of a type name: "extensions:ApplyLink",
// "obi:extensions/#ApplyLink" and its full IRI all give "ApplyLink".
func localName(t string) string {
	if i := strings.LastIndexAny(t, "#:/"); i >= 0 {
		return t[i+1:]
	}
	return t
}

// checkExtensions validates the extension nodes of a document against the
// schemas of the known extensions its contexts name.
func checkExtensions(doc Object) error {
	docContexts := strList(doc["@context"])
	for key, v := range doc {
		node, ok := v.(Object)
		if !ok || !hasType(node, "Extension") {
			continue
		}
		for _, c := range append(strList(node["@context"]), docContexts...) {
			ext := extensionContexts()[c]
			if ext == nil || !nodeHasLocalType(node, ext.typeName) {
				continue
			}
			if err := ext.validate(node); err != nil {
				return problem.New(problem.Schema, "extension %s: %v", truncate(key, 60), err)
			}
		}
	}
	return nil
}

func nodeHasLocalType(node Object, name string) bool {
	for _, t := range strList(node["type"]) {
		if localName(t) == name {
			return true
		}
	}
	return false
}

// validate checks the schema's required properties and their JSON types;
// a property may be written as its term or as the IRI the term stands for.
func (e *extension) validate(node Object) error {
	get := func(p string) (any, bool) {
		if v, ok := node[p]; ok {
			return v, true
		}
		v, ok := node[e.terms[p]]
		return v, ok
	}
	for _, p := range e.required {
		if _, ok := get(p); !ok {
			return fmt.Errorf("%s is required", p)
		}
	}
	for p, typ := range e.types {
		v, ok := get(p)
		if !ok {
			continue
		}
		if got := jsonType(v); got != typ && !(typ == "number" && got == "integer") {
			return fmt.Errorf("%s must be a %s, not a %s", p, typ, got)
		}
	}
	return nil
}

func jsonType(v any) string {
	switch v := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case Object:
		return "object"
	case nil:
		return "null"
	}
	return "unknown"
}
