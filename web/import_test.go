package web

import (
	"bytes"
	"fmt"
	"image/color"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"backpack/openbadges/bake"
)

type upload struct {
	name string
	data []byte
}

// postFiles posts the add-badges form as multipart, with the CSRF token.
func (b *browser) postFiles(files []upload, fields map[string]string, accept string) *page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", b.csrf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		fw, _ := w.CreateFormFile("files", f.name)
		fw.Write(f.data)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, b.origin()+"/badges", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return b.do(req)
}

func TestImportEveryPath(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")

	hostedJSON := is.hosted("/a/1", "Alice@Example.org") // hashed from another case
	pngBaked, err := bake.Bake(plainPNG(t, color.Black), bake.OB2, string(is.hosted("/a/2", "alice@example.org")))
	if err != nil {
		t.Fatal(err)
	}
	svgBaked, err := bake.Bake([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>`), bake.OB2, string(is.hosted("/a/3", "alice@example.org")))
	if err != nil {
		t.Fatal(err)
	}
	is.hosted("/a/4", "alice@example.org")
	jws := is.signed("/s/1", "ALICE@example.org")

	alice.get("/badges/new")
	p := alice.postFiles([]upload{
		{"badge.json", hostedJSON},
		{"baked.png", pngBaked},
		{"baked.svg", svgBaked},
		{"signed.jws", []byte(jws)},
	}, map[string]string{"urls": is.url("/a/4") + "\n", "text": is.signed("/s/2", "alice@example.org")}, "")
	wantStatus(t, p, http.StatusOK)
	got := p.doc.Find(`[data-testid=import-result]`)
	if got.Length() != 6 {
		t.Fatalf("%d results, want 6: %s", got.Length(), p.text())
	}
	got.Each(func(i int, s *goquerySelection) {
		if o := s.AttrOr("data-outcome", ""); o != "added" {
			t.Errorf("result %d: %s: %s", i, o, strings.Join(strings.Fields(s.Text()), " "))
		}
	})

	// The same again: duplicates, nothing new stored.
	alice.get("/badges/new")
	p = alice.postFiles([]upload{{"again.png", pngBaked}}, nil, "")
	if o := p.doc.Find(`[data-testid=import-result]`).AttrOr("data-outcome", ""); o != "duplicate" {
		t.Fatalf("second upload: %s", p.text())
	}

	list := alice.get("/badges")
	if n := list.doc.Find(`[data-testid=badge-card]`).Length(); n != 6 {
		t.Fatalf("%d cards, want 6", n)
	}
}

func TestImportJSONAnswerForScripts(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	p := alice.postFiles([]upload{{"b.json", is.hosted("/a/1", "alice@example.org")}, {"junk.txt", []byte("not a badge")}}, nil, "application/json")
	wantStatus(t, p, http.StatusOK)
	if !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("content type %q", p.Header.Get("Content-Type"))
	}
	for _, want := range []string{`"outcome":"added"`, `"outcome":"rejected"`, `"badgeUrl":"/badges/`, `"item":"junk.txt"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("JSON lacks %s: %s", want, p.body)
		}
	}
}

func TestImportRejectsWithReasons(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	revoked := is.hosted("/a/gone", "alice@example.org")
	is.status("/a/gone", http.StatusGone)
	alice.get("/badges/new")
	p := alice.postFiles([]upload{
		{"huge.png", bytes.Repeat([]byte("x"), maxFileBytes+1)},
		{"junk.txt", []byte("hello")},
		{"revoked.json", revoked},
		{"good.json", is.hosted("/a/ok", "alice@example.org")},
	}, nil, "")
	wantStatus(t, p, http.StatusOK)
	text := p.text()
	// "hello" is text that is no badge: malformed (README, verify), not an unsupported kind.
	for _, want := range []string{"larger than Backpack accepts", "is not a badge", "revoked"} {
		if !strings.Contains(text, want) {
			t.Errorf("page lacks %q: %s", want, text)
		}
	}
	outcomes := map[string]int{}
	p.doc.Find(`[data-testid=import-result]`).Each(func(_ int, s *goquerySelection) { outcomes[s.AttrOr("data-outcome", "")]++ })
	if outcomes["rejected"] != 3 || outcomes["added"] != 1 {
		t.Fatalf("outcomes %v", outcomes)
	}
	// Nothing half-imported: only the good badge is in the backpack.
	if n := alice.get("/badges").doc.Find(`[data-testid=badge-card]`).Length(); n != 1 {
		t.Fatalf("%d badges stored, want 1", n)
	}
}

func TestImportTooManyFiles(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	var files []upload
	for i := range maxFiles + 1 {
		files = append(files, upload{fmt.Sprintf("f%d.json", i), []byte("{}")})
	}
	p := alice.postFiles(files, nil, "")
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text(), "at most 50") {
		t.Fatalf("page: %s", p.text())
	}
}

func TestImportPendingUntilTheAddressIsConfirmed(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	p := alice.postFiles([]upload{{"work.json", is.hostedPlain("/a/w", "alice@work.example")}, {"hashed.json", is.hosted("/a/h", "alice@work.example")}}, nil, "")
	res := p.doc.Find(`[data-testid=import-result]`)
	if res.First().AttrOr("data-outcome", "") != "pending" || !strings.Contains(res.First().Text(), "alice@work.example") ||
		!p.has(`form[action="/settings/identities"] input[value="alice@work.example"]`) {
		t.Fatalf("result: %s", strings.Join(strings.Fields(res.Text()), " "))
	}
	if res.Last().AttrOr("data-outcome", "") != "pending" || !strings.Contains(res.Last().Text(), "hashed") {
		t.Fatalf("hashed result: %s", strings.Join(strings.Fields(res.Last().Text()), " "))
	}
	if n := alice.get("/badges").doc.Find(`[data-testid=badge-card]`).Length(); n != 0 {
		t.Fatalf("pending badge listed as a badge")
	}
	// Adding and confirming the address finishes the import.
	alice.get("/settings")
	alice.post("/settings/identities", url.Values{"kind": {"email"}, "value": {"Alice@Work.example"}})
	alice.get(a.mail.lastLink(t, "Alice@Work.example"))
	list := alice.get("/badges")
	if n := list.doc.Find(`[data-testid=badge-card]`).Length(); n != 2 {
		t.Fatalf("%d badges after confirming the address, want 2 (the plain and the hashed): %s", n, list.text())
	}
}

func TestBadgePagesAreOwnerOnly(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	alice.postFiles([]upload{{"b.json", is.hosted("/a/1", "alice@example.org")}}, nil, "")
	href, _ := alice.get("/badges").doc.Find(`[data-testid=badge-card] a`).First().Attr("href")
	if href == "" {
		t.Fatal("no badge link")
	}
	bob := a.signUpConfirmed(t, "bob@example.org")
	for _, path := range []string{href, href + "/download", href + "/download?format=json", href + "/download?format=png"} {
		wantStatus(t, bob.get(path), http.StatusNotFound)
	}
	bob.get("/badges")
	for _, path := range []string{href + "/verify", href + "/delete"} {
		wantStatus(t, bob.post(path, url.Values{"confirm": {"yes"}}), http.StatusNotFound)
	}
	wantStatus(t, alice.get(href), http.StatusOK)
}

func TestBadgePageAndActions(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	alice.postFiles([]upload{{"b.json", is.hosted("/a/1", "alice@example.org")}}, nil, "")
	href, _ := alice.get("/badges").doc.Find(`[data-testid=badge-card] a`).First().Attr("href")
	p := alice.get(href)
	wantStatus(t, p, http.StatusOK)
	if !strings.Contains(p.text(), "Robot Wrangler") || !strings.Contains(p.text(), "Test Academy") {
		t.Fatalf("badge page: %s", p.text())
	}
	if strings.Contains(p.body, "<script>alert(1)") || !strings.Contains(p.body, "<strong>three</strong>") {
		t.Fatal("criteria narrative not rendered safely from Markdown")
	}
	img, _ := p.doc.Find(`img[src^="/img/"]`).First().Attr("src")
	if img == "" {
		t.Fatal("no stored image on the badge page")
	}
	if n := p.doc.Find(`img[src^="/img/"]`).Length(); n != 2 {
		t.Fatalf("%d stored images on the badge page, want the badge's and the issuer's", n)
	}
	p.doc.Find(`img`).Each(func(_ int, s *goquerySelection) {
		if src := s.AttrOr("src", ""); !strings.HasPrefix(src, "/") {
			t.Errorf("image from another origin: %s", src)
		}
	})
	ip := alice.get(img)
	wantStatus(t, ip, http.StatusOK)
	if csp := ip.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || ip.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(ip.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("image headers %v", ip.Header)
	}

	// Downloads: the original as uploaded, and a baked PNG of the JSON badge.
	orig := alice.get(href + "/download")
	if !strings.Contains(orig.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(orig.body, is.url("/a/1")) {
		t.Fatalf("original download: %v %s", orig.Header, orig.body)
	}
	baked := alice.get(href + "/download?format=png")
	wantStatus(t, baked, http.StatusOK)
	if pl, err := bake.Unbake([]byte(baked.body)); err != nil || !strings.Contains(pl.Text, is.url("/a/1")) {
		t.Fatalf("baked download does not carry the badge: %v", err)
	}

	// The issuer revokes it: re-verifying shows it.
	is.status("/a/1", http.StatusGone)
	alice.get(href)
	wantRedirect(t, alice.post(href+"/verify", nil), href)
	if p := alice.get(href); !strings.Contains(p.text(), "Revoked") {
		t.Fatalf("after revocation: %s", p.text())
	}
	// The issuer disappears: the last result stays, marked unreachable.
	is.status("/a/1", http.StatusInternalServerError)
	alice.post(href+"/verify", nil)
	if p := alice.get(href); !strings.Contains(p.text(), "Revoked") || !strings.Contains(p.text(), "unreachable") {
		t.Fatalf("issuer unreachable: %s", p.text())
	}

	// Delete needs the confirmation box.
	alice.post(href+"/delete", nil)
	wantStatus(t, alice.get(href), http.StatusOK)
	wantRedirect(t, alice.post(href+"/delete", url.Values{"confirm": {"yes"}}), "/badges")
	wantStatus(t, alice.get(href), http.StatusNotFound)
}

func TestHostileSVGIsServedInert(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	svg := `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`
	baked, err := bake.Bake([]byte(svg), bake.OB2, string(is.hosted("/a/1", "alice@example.org")))
	if err != nil {
		t.Fatal(err)
	}
	alice.get("/badges/new")
	alice.postFiles([]upload{{"evil.svg", baked}}, nil, "")
	list := alice.get("/badges")
	src, _ := list.doc.Find(`[data-testid=badge-card] img`).First().Attr("src")
	if !strings.HasSuffix(src, ".svg") {
		t.Fatalf("image src %q", src)
	}
	p := alice.get(src)
	if ct := p.Header.Get("Content-Type"); ct != "image/svg+xml" || !strings.Contains(p.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("served as %q with CSP %q", ct, p.Header.Get("Content-Security-Policy"))
	}
	if strings.Contains(list.body, "<script>alert") || strings.Contains(list.body, "onload=") {
		t.Fatal("SVG markup inlined into the page")
	}
}

func TestImportFolderField(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	alice.get("/badges/new")
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", alice.csrf)
	for i, name := range []string{"folder/a.json", "folder/sub/b.json"} {
		fw, _ := w.CreateFormFile("folder", name)
		fw.Write(is.hosted(fmt.Sprintf("/a/f%d", i), "alice@example.org"))
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, alice.origin()+"/badges", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	p := alice.do(req)
	if n := p.doc.Find(`[data-testid=import-result][data-outcome=added]`).Length(); n != 2 {
		t.Fatalf("%d of the folder's files added: %s", n, p.text())
	}
}
