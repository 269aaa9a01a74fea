package did

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
)

// shapeChecker is a Getter for fuzzing: it checks the shape of every URL
// asked for and answers with a refusal, so nothing reaches the network.
type shapeChecker struct{ t *testing.T }

func (s shapeChecker) Get(_ context.Context, rawURL, _ string, limit fetch.Limit) (*fetch.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		s.t.Fatalf("asked for an unparsable URL %q", rawURL)
	}
	if u.Scheme == "https" && strings.HasSuffix(u.Path, "did.json") {
		if limit != didDocLimit || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
			strings.Contains(u.Path, "/../") || strings.Contains(u.Host, "@") {
			s.t.Fatalf("unsafe did:web URL %q", rawURL)
		}
	}
	return nil, problem.New(problem.FetchFailed, "no network in fuzzing")
}

func FuzzDIDKey(f *testing.F) {
	for _, s := range []string{
		"did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q#z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q",
		"did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169#zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169",
		"did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme#zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
		"did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q0",
		"did:key:z", "did:key:", "did:key:u", "did:key:z1111111", "did:key:z#z",
		"did:web:issuer.example#key-1", "did:web:127.0.0.1%3A6379#k", "did:web:a%3A1:b:..:c#d",
		"did:web:x%2F%2Fy", "did:example:123", "https://issuer.example/issuer#key-1", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Resolve(context.Background(), shapeChecker{t}, s)
		if err != nil {
			if problem.CodeOf(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
		} else if k.Public == nil || k.ID != s || !strings.HasPrefix(s, "did:key:z") {
			t.Fatalf("Resolve(%q) = %+v", s, k)
		}
		if mb, ok := strings.CutPrefix(s, "did:key:"); ok {
			if _, err := PublicKeyFromMultibase(mb); err != nil && problem.CodeOf(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
		}
	})
}
