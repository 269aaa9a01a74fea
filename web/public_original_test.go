package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"backpack/openbadges/bake"
	"backpack/store"
)

var imgPathRE = regexp.MustCompile(`/img/[0-9a-f]{64}\.(png|svg)`)

// TestPublicPagesDoNotNameTheRecipient holds item 4 of issue 15: a badge
// uploaded as a baked PNG whose assertion names alice's address in clear,
// shared alone and in a collection. No public response (pages, JSON twins,
// embeds, shield, oEmbed, and every image they point to) carries the
// address or the address of the issuer's copy of the assertion, not even
// in a failed check's message, until alice shares the verifiable
// original, and then only on the badge's own page, its JSON twin and the
// download.
func TestPublicPagesDoNotNameTheRecipient(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	const email = "alice@example.org"
	alice := a.signUpConfirmed(t, email)
	assertion := is.url("/a/baked")
	baked, err := bake.Bake(plainPNG(t, color.RGBA{10, 200, 30, 255}), bake.OB2, string(is.hostedPlain("/a/baked", email)))
	if err != nil {
		t.Fatal(err)
	}
	alice.get("/badges/new")
	alice.postFiles([]upload{{"baked.png", baked}}, nil, "")
	href, _ := alice.get("/badges").doc.Find(`[data-testid=badge-card] a`).First().Attr("href")
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"on"}})
	link, _ := alice.get(href).doc.Find(`[data-testid=share-link]`).Attr("href")
	pub := mustPath(t, link)
	cpub := sharedCollectionPath(t, alice, collectionWithBadges(t, alice, is, 0))

	// The issuer's copy now says it is another assertion: the owner's
	// check records an id mismatch, whose message quotes addresses.
	is.put("/a/baked", bytes.Replace(is.hostedPlain("/a/baked", email), []byte(assertion), []byte(is.url("/a/other")), 1))
	a.clock.add(time.Hour)
	alice.get(href)
	alice.post(href+"/verify", nil)
	u, _ := a.db.UserByEmail(context.Background(), email)
	list, _ := a.db.ListBadges(context.Background(), u.ID, store.BadgeQuery{Limit: 10})
	if len(list.Items) != 1 || list.Items[0].Status != store.StatusUnverified {
		t.Fatalf("after the issuer changed its copy: %+v", list.Items)
	}

	visitor := a.browser(t)
	visitor.remote = "198.51.100.40:1"
	publicPaths := func() []string {
		paths := []string{pub, pub + ".json", "/embed" + pub, "/embed" + pub + ".svg", cpub, cpub + ".json", "/embed" + cpub}
		for _, p := range []string{pub, cpub} {
			paths = append(paths, "/oembed?url="+url.QueryEscape("http://backpack.test"+p))
		}
		return paths
	}
	check := func(when string, mayName map[string]bool) {
		t.Helper()
		images := map[string]bool{}
		for _, path := range publicPaths() {
			p := visitor.get(path)
			wantStatus(t, p, http.StatusOK)
			for _, secret := range []string{email, assertion} {
				if strings.Contains(p.body, secret) && !mayName[path] {
					t.Errorf("%s: %s names %q", when, path, secret)
				}
			}
			for _, img := range imgPathRE.FindAllString(p.body, -1) {
				images[img] = true
			}
		}
		if len(images) == 0 {
			t.Fatalf("%s: no images on the public pages", when)
		}
		for img := range images {
			p := visitor.get(img)
			wantStatus(t, p, http.StatusOK)
			if strings.Contains(p.body, email) || strings.Contains(p.body, assertion) {
				t.Errorf("%s: %s names the recipient or the assertion", when, img)
			}
			if _, err := bake.Unbake([]byte(p.body)); !errors.Is(err, bake.ErrNotBaked) {
				t.Errorf("%s: %s still carries a badge: %v", when, img, err)
			}
			if strings.HasSuffix(img, ".png") {
				if _, err := png.Decode(strings.NewReader(p.body)); err != nil {
					t.Errorf("%s: %s is no longer a PNG: %v", when, img, err)
				}
			}
		}
	}
	check("by default", nil)
	if visitor.get(pub).has(`[data-testid=public-download]`) {
		t.Fatal("the original is offered by default")
	}

	// Alice shares the verifiable original: her badge's page offers the
	// file and its JSON twin the assertion's address; nothing else
	// changes, and the collection never shows them.
	alice.get(href)
	alice.post(href+"/share", url.Values{"do": {"options"}, "share_original": {"yes"}})
	check("with the original shared", map[string]bool{pub + ".json": true})
	var twin struct{ Badge struct{ ID string } }
	if err := json.Unmarshal([]byte(visitor.get(pub+".json").body), &twin); err != nil || twin.Badge.ID != assertion {
		t.Fatalf("the JSON twin gives the assertion's address %q (%v)", twin.Badge.ID, err)
	}
	f := visitor.get(pub + "/badge.png")
	wantStatus(t, f, http.StatusOK)
	if !bytes.Equal([]byte(f.body), baked) {
		t.Fatal("the download is not the file alice brought in")
	}
}
