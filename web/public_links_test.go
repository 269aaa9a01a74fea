package web

import (
	"net/http"
	"net/url"
	"testing"
)

// TestReSharedCollectionGetsANewLink: an owner who stops sharing a
// collection takes its link back for good; sharing it again makes a new
// link, and the old one stays dead (issue 15, item 12).
func TestReSharedCollectionGetsANewLink(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	col := collectionWithBadges(t, alice, is, 1)
	old := sharedCollectionPath(t, alice, col)
	visitor := a.browser(t)
	wantStatus(t, visitor.get(old), http.StatusOK)

	alice.get(col)
	alice.post(col+"/share", url.Values{"do": {"off"}})
	wantStatus(t, visitor.get(old), http.StatusNotFound)
	again := sharedCollectionPath(t, alice, col)
	if again == old {
		t.Fatalf("sharing again revived the old link %s", old)
	}
	for _, path := range []string{old, old + ".json", "/embed" + old, old + "/qr.svg"} {
		wantStatus(t, visitor.get(path), http.StatusNotFound)
	}
	wantStatus(t, visitor.get(again), http.StatusOK)
	// Sharing a collection that is shared keeps its link.
	if p := sharedCollectionPath(t, alice, col); p != again {
		t.Fatalf("sharing a shared collection changed its link from %s to %s", again, p)
	}
}
