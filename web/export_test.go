package web

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"backpack/badges"
	"backpack/openbadges/bake"
)

// readZip opens a downloaded archive and returns its files by name.
func readZip(t *testing.T, body []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		files[f.Name] = b
	}
	return files
}

func TestExportArchive(t *testing.T) {
	is := newTestIssuer(t)
	a := newApp(t, is.config)
	alice := a.signUpConfirmed(t, "alice@example.org")
	hosted := is.hosted("/a/1", "alice@example.org")
	signed := is.signed("/a/2", "alice@example.org")
	png, err := bake.Bake(plainPNG(t, color.Black), bake.OB2, string(is.hosted("/a/3", "alice@example.org")))
	if err != nil {
		t.Fatal(err)
	}
	originals := map[string][]byte{"json": hosted, "jws": []byte(signed), "png": png}
	alice.get("/badges/new")
	alice.postFiles([]upload{{"h.json", hosted}, {"s.jws", []byte(signed)}, {"b.png", png}}, nil, "")
	col := collectionWithBadges(t, alice, is, 0) // holds the three
	first := strings.TrimPrefix(collectionOrder(alice, col)[0], "/badges/")
	alice.get(col)
	alice.post(col+"/move", url.Values{"badge_id": {first}, "dir": {"down"}})
	wantOrder := collectionOrder(alice, col)
	bob := a.signUpConfirmed(t, "bob@example.org")
	bob.get("/badges/new")
	bob.postFiles([]upload{{"bob.json", is.hosted("/a/bob", "bob@example.org")}}, nil, "")

	p := alice.get("/settings/export.zip")
	wantStatus(t, p, http.StatusOK)
	if p.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(p.Header.Get("Content-Disposition"), `attachment; filename="backpack-export-`) {
		t.Fatalf("headers %v", p.Header)
	}
	files := readZip(t, []byte(p.body))
	var m badges.Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Format != "backpack-export" || m.Version != 1 || len(m.Badges) != 3 || len(m.Identities) != 1 || m.Identities[0].Value != "alice@example.org" {
		t.Fatalf("manifest %+v", m)
	}
	byType := map[string]badges.ManifestBadge{}
	for _, b := range m.Badges {
		byType[b.OriginalType] = b
		orig, ok := files[b.Original]
		sum := sha256.Sum256(orig)
		if !ok || hex.EncodeToString(sum[:]) != b.SHA256 {
			t.Errorf("%s: original missing or its hash is wrong", b.ID)
		}
		if !json.Valid(files[b.Badge]) || !strings.Contains(string(files[b.Badge]), "Robot Wrangler") {
			t.Errorf("%s: normalised badge %q", b.ID, files[b.Badge])
		}
	}
	// Originals are byte-identical; badges that came as JSON or a signature
	// also come baked, carrying exactly what was added.
	for typ, want := range originals {
		b, ok := byType[typ]
		if !ok || !bytes.Equal(files[b.Original], want) {
			t.Errorf("%s original not byte-identical", typ)
		}
		if typ == "png" {
			if b.Baked != "" {
				t.Error("a baked original is baked again")
			}
			continue
		}
		pl, err := bake.Unbake(files[b.Baked])
		if err != nil || pl.Text != strings.TrimSpace(string(want)) {
			t.Errorf("%s: baked image %q does not carry the original: %v", typ, b.Baked, err)
		}
	}
	// The collection, in its order, by the archive's badge ids.
	if len(m.Collections) != 1 || len(m.Collections[0].Badges) != 3 {
		t.Fatalf("collections %+v", m.Collections)
	}
	if m.Collections[0].Name != "Work <i>stuff</i>" || len(wantOrder) != 3 {
		t.Fatalf("collection %+v", m.Collections[0])
	}
	// data.json: everything, parseable, nothing of bob's.
	var data struct {
		Account                                                   struct{ Email string }
		Sessions, Identities, Collections, Shares, PendingImports []json.RawMessage
		Badges                                                    []struct {
			ID     int64
			Name   string
			Status string
			Report json.RawMessage
		}
	}
	if err := json.Unmarshal(files["data.json"], &data); err != nil {
		t.Fatalf("data.json: %v\n%s", err, files["data.json"])
	}
	if data.Account.Email != "alice@example.org" || len(data.Badges) != 3 || len(data.Sessions) == 0 || len(data.Collections) != 1 ||
		len(data.Badges[0].Report) < 10 {
		t.Fatalf("data.json %+v", data)
	}
	// data.json lists the badges in the archive's order, with their ids
	// here: the collection keeps the order the owner gave it.
	var ordered []string
	for _, id := range m.Collections[0].Badges {
		for i, b := range m.Badges {
			if b.ID == id {
				ordered = append(ordered, fmt.Sprintf("/badges/%d", data.Badges[i].ID))
			}
		}
	}
	if strings.Join(ordered, " ") != strings.Join(wantOrder, " ") {
		t.Fatalf("collection order %v, want %v", ordered, wantOrder)
	}
	for name, b := range files {
		if bytes.Contains(b, []byte("bob@example.org")) || bytes.Contains(b, []byte("/a/bob")) {
			t.Errorf("%s holds bob's data", name)
		}
	}
	if !bytes.Contains(files["README.txt"], []byte("manifest.json")) {
		t.Error("no README")
	}
	// The JSON alone matches the one in the archive, but for the time.
	d := alice.get("/settings/export/data.json")
	if !json.Valid([]byte(d.body)) || !strings.Contains(d.Header.Get("Content-Disposition"), "backpack-data-") {
		t.Fatalf("data.json alone: %s", d.body)
	}
	// Only for the signed-in owner.
	anon := a.browser(t)
	if p := anon.get("/settings/export.zip"); p.StatusCode != http.StatusSeeOther || strings.Contains(p.body, "PK") {
		t.Fatalf("anonymous export: %d", p.StatusCode)
	}
}

func TestExportTenThousandBadges(t *testing.T) {
	a := newApp(t)
	alice := a.signUpConfirmed(t, "alice@example.org")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	const n = 10_000
	saveBadges(t, a.db, u.ID, n, 0)
	p := alice.get("/settings/export.zip")
	wantStatus(t, p, http.StatusOK)
	files := readZip(t, []byte(p.body))
	var m badges.Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil || len(m.Badges) != n {
		t.Fatalf("manifest: %v, %d badges", err, len(m.Badges))
	}
	var data struct{ Badges []json.RawMessage }
	if err := json.Unmarshal(files["data.json"], &data); err != nil || len(data.Badges) != n {
		t.Fatalf("data.json: %v, %d badges", err, len(data.Badges))
	}
	// README, data and manifest; an original and a badge.json each (the
	// stored test images are not real PNGs, so none is baked).
	if got := len(files); got != 3+n*2 {
		t.Fatalf("%d files in the archive", got)
	}
}
