package ld

import (
	"embed"
	"encoding/json"
	"fmt"
	"sync"

	jsonld "github.com/piprate/json-gold/ld"
)

// The JSON-LD contexts Backpack knows, copied byte for byte from their
// publishers (see contexts/README.md). Contexts are never fetched: a
// document that names any other context cannot be canonicalised.
//
//go:embed contexts/*.json contexts/*.jsonld contexts/ob2-extensions/*/context.json
var contextFiles embed.FS

// contextURLs maps each context URL to its file in contexts/ (the
// "contexts" section of shared/fixtures/url-map.json, without the OB 2.0
// extension JSON schemas, which are not contexts).
var contextURLs = map[string]string{
	"https://w3id.org/openbadges/v1":                                         "openbadges-v1.jsonld",
	"https://openbadgespec.org/v1/context.json":                              "openbadges-v1.jsonld",
	"https://w3id.org/openbadges/legacy-v1":                                  "openbadges-legacy-v1.jsonld",
	"https://openbadgespec.org/v1/legacy-v1.json":                            "openbadges-legacy-v1.jsonld",
	"https://w3id.org/openbadges/v2":                                         "openbadges-v2.jsonld",
	"https://openbadgespec.org/v2/context.json":                              "openbadges-v2.jsonld",
	"https://w3id.org/openbadges/extensions/exampleExtension/context.json":   "ob2-extensions/exampleExtension/context.json",
	"https://openbadgespec.org/extensions/exampleExtension/context.json":     "ob2-extensions/exampleExtension/context.json",
	"https://w3id.org/openbadges/extensions/applyLinkExtension/context.json": "ob2-extensions/applyLinkExtension/context.json",
	"https://openbadgespec.org/extensions/applyLinkExtension/context.json":   "ob2-extensions/applyLinkExtension/context.json",
	"https://purl.imsglobal.org/spec/ob/v3p0/context.json":                   "ob-v3p0-context.json",
	"https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld":         "ob-v3p0-context.json",
	"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json":             "ob-v3p0-context-3.0.1.json",
	"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json":             "ob-v3p0-context-3.0.2.json",
	"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json":             "ob-v3p0-context-3.0.3.json",
	"https://purl.imsglobal.org/spec/ob/v3p0/extensions.json":                "ob-v3p0-extensions.json",
	"https://www.w3.org/2018/credentials/v1":                                 "2018-credentials-v1.jsonld",
	"https://www.w3.org/ns/credentials/v2":                                   "credentials-v2.jsonld",
	"https://w3id.org/security/data-integrity/v1":                            "data-integrity-v1.jsonld",
	"https://w3id.org/security/data-integrity/v2":                            "data-integrity-v2.jsonld",
	"https://w3id.org/security/suites/ed25519-2020/v1":                       "security-suites-ed25519-2020-v1.jsonld",
	"https://w3id.org/security/suites/ed25519-2018/v1":                       "suites-ed25519-2018.jsonld",
	"https://w3id.org/security/suites/jws-2020/v1":                           "suites-jws-2020.jsonld",
	"https://w3id.org/security/suites/x25519-2020/v1":                        "x25519-key-agreement-2020-v1.jsonld",
	"https://w3id.org/security/multikey/v1":                                  "multikey-v1.jsonld",
	"https://w3id.org/security/v1":                                           "security-v1.jsonld",
	"https://w3id.org/security/v2":                                           "security-v2.jsonld",
	"https://www.w3.org/ns/did/v1":                                           "did-v1.jsonld",
	"https://w3id.org/did/v1":                                                "did-v1.jsonld",
	"https://www.w3.org/ns/credentials/status/v1":                            "vc-bitstring-status-list-v1.jsonld",
	"https://w3id.org/vc/status-list/2021/v1":                                "vc-status-list-2021-v1.jsonld",
	"https://w3id.org/dcc/v1":                                                "dcc-v1.jsonld",
	"https://www.w3.org/2018/credentials/examples/v1":                        "2018-credentials-examples-v1.jsonld",
	"https://www.w3.org/ns/credentials/examples/v2":                          "credentials-examples-v2.jsonld",
	"https://www.w3.org/ns/odrl.jsonld":                                      "odrl.jsonld",
	"https://w3id.org/citizenship/v4rc1":                                     "citizenship-v4rc1.jsonld",
}

// Known reports whether a context URL is bundled. The comparison is exact:
// no normalisation of scheme, case or trailing slash.
func Known(url string) bool {
	_, ok := contextURLs[url]
	return ok
}

// loadContexts parses every bundled context once.
var loadContexts = sync.OnceValues(func() (map[string]*jsonld.RemoteDocument, error) {
	docs := make(map[string]*jsonld.RemoteDocument, len(contextURLs))
	parsed := make(map[string]any)
	for url, file := range contextURLs {
		doc, ok := parsed[file]
		if !ok {
			b, err := contextFiles.ReadFile("contexts/" + file)
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				return nil, fmt.Errorf("bundled context %s: %w", file, err)
			}
			parsed[file] = doc
		}
		docs[url] = &jsonld.RemoteDocument{DocumentURL: url, Document: doc}
	}
	return docs, nil
})

// unknownContextError is what the loader returns for a URL that is not
// bundled; Canonicalize turns it into problem.Unsupported.
type unknownContextError struct{ url string }

func (e *unknownContextError) Error() string { return "context not bundled: " + e.url }

// bundledLoader is a json-gold DocumentLoader that serves the bundled
// contexts and nothing else: it never touches the network.
//
// json-gold reads the documents it is given and, with one exception, never
// writes to them: a local context with @import merges itself into the
// imported document. Canonicalize therefore refuses @import, so the shared
// parsed documents stay as bundled.
type bundledLoader struct{}

// LoadDocument implements jsonld.DocumentLoader.
func (bundledLoader) LoadDocument(url string) (*jsonld.RemoteDocument, error) {
	docs, err := loadContexts()
	if err != nil {
		return nil, err
	}
	if d, ok := docs[url]; ok {
		return d, nil
	}
	return nil, &unknownContextError{url}
}
