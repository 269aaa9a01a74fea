package did

import (
	"context"
	"net/url"
	"strings"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

const acceptJSON = "application/ld+json, application/json;q=0.9"

// resolveURL resolves an http(s) verification method id.
//
// The 1EdTech validator first checks whether the fragment is itself a
// multibase key (https://issuer.example/profile#z6Mk…) and, if so, uses it
// without fetching anything, requiring only that the part before '#' be
// the issuer id. That shortcut is deliberately not implemented: the key
// would be chosen by whoever wrote the credential, so anyone could sign as
// any https issuer. The key must be published by its controller.
func resolveURL(ctx context.Context, g Getter, vmID string) (Key, error) {
	u, err := url.Parse(vmID)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return Key{}, problem.New(problem.Malformed, "the verification method is not a valid URL")
	}
	docURL, _, _ := strings.Cut(vmID, "#")
	doc, err := fetchDocument(ctx, g, docURL, u.Host, acceptJSON)
	if err != nil {
		return Key{}, err
	}
	return keyInURLDocument(ctx, g, doc, vmID, docURL, u.Host)
}

// keyInURLDocument reads the method vmID from doc, fetched from docURL:
// a key document served at its own id, or a controller document listing
// the method.
func keyInURLDocument(ctx context.Context, g Getter, doc map[string]any, vmID, docURL, host string) (Key, error) {
	docID, _ := doc["id"].(string)
	if docID == vmID && hasKey(doc) {
		return keyDocument(ctx, g, doc, vmID)
	}
	// A controller document must be served at its own id, or its
	// methods would count for whatever id it claims.
	if docID != docURL {
		return Key{}, problem.New(problem.KeyUnresolved, "the document at %s names another id", host)
	}
	return keyIn(doc, docID, vmID)
}

// keyDocument reads a key document (a verification method served at its
// own id). It names its controller itself, so that claim is checked
// against the controller's own document before it is reported.
func keyDocument(ctx context.Context, g Getter, doc map[string]any, vmID string) (Key, error) {
	controller, _ := doc["controller"].(string)
	if controller == "" {
		return Key{}, problem.New(problem.KeyUnresolved, "the key document names no controller")
	}
	pub, err := methodKey(doc)
	if err != nil {
		return Key{}, err
	}
	if controller != vmID {
		if err := confirm(ctx, g, controller, vmID); err != nil {
			return Key{}, err
		}
	}
	return Key{ID: vmID, Controller: controller, Public: pub}, nil
}

// confirm checks that controller's document (a did:web DID document, or a
// document served at the http(s) URL controller) lists keyID for
// assertionMethod. Without it anyone could publish a key document naming
// somebody else's issuer id as its controller.
func confirm(ctx context.Context, g Getter, controller, keyID string) error {
	var (
		doc map[string]any
		err error
	)
	switch {
	case strings.HasPrefix(controller, "did:web:"):
		doc, err = webDocument(ctx, g, controller)
	case isHTTP(controller) && !strings.Contains(controller, "#"):
		u, perr := url.Parse(controller)
		if perr != nil || u.Host == "" {
			return problem.New(problem.KeyUnresolved, "the key document's controller is not a valid URL")
		}
		doc, err = fetchDocument(ctx, g, controller, u.Host, acceptJSON)
		if err == nil && doc["id"] != controller {
			err = problem.New(problem.KeyUnresolved, "the controller document at %s names another id", u.Host)
		}
	default:
		return problem.New(problem.KeyUnresolved, "the key document's controller cannot be checked")
	}
	if c := problem.CodeOf(err); c == problem.Malformed || c == problem.Unsupported {
		return problem.Wrap(err, problem.KeyUnresolved, "the key document's controller cannot be checked: %s", problem.MessageOf(err))
	}
	if err != nil {
		return err
	}
	if !authorises(doc, controller, keyID) {
		return problem.New(problem.KeyUnresolved, "the key document's controller does not list the key for assertionMethod")
	}
	return nil
}

// fetchDocument fetches and parses a key or controller document. Issuer
// Profiles may embed images, hence the general JSON limit.
func fetchDocument(ctx context.Context, g Getter, rawURL, host, accept string) (map[string]any, error) {
	resp, err := g.Get(ctx, rawURL, accept, fetch.JSONLimit)
	if err == nil {
		err = resp.Err()
	}
	if err != nil {
		return nil, unresolved(err, "the key or controller document could not be fetched")
	}
	doc, err := decodeObject(resp.Body)
	if err != nil {
		return nil, unresolved(err, "the document at "+host+" is not valid")
	}
	return doc, nil
}

// isHTTP reports whether s starts with an http or https scheme.
func isHTTP(s string) bool {
	scheme, _, _ := strings.Cut(s, ":")
	return strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "http")
}

func hasKey(doc map[string]any) bool {
	_, mb := doc["publicKeyMultibase"]
	_, jwk := doc["publicKeyJwk"]
	return mb || jwk
}
