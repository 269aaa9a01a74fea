package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

func hashOf(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}

func TestImagesAreStoredOnce(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	png := []byte("\x89PNG pretend")
	if err := db.PutImage(ctx, hashOf(png), "image/png", png, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.PutImage(ctx, hashOf(png), "image/svg+xml", png, t0.Add(time.Hour)); err != nil {
		t.Fatalf("second put: %v", err)
	}
	if n := countRows(t, db, "images"); n != 1 {
		t.Fatalf("%d images, want 1", n)
	}
	ct, b, err := db.Image(ctx, hashOf(png))
	if err != nil || ct != "image/png" || string(b) != string(png) {
		t.Fatalf("Image = %q, %q, %v", ct, b, err)
	}
	if _, _, err := db.Image(ctx, hashOf([]byte("other"))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing image: %v", err)
	}
	if err := db.PutImage(ctx, hashOf([]byte("other")), "image/png", png, t0); err == nil {
		t.Fatal("an image stored under somebody else's hash")
	}
	if err := db.PutImage(ctx, hashOf([]byte("x")), "", []byte("x"), t0); err == nil {
		t.Fatal("an image without content type stored")
	}
	if n := countRows(t, db, "images"); n != 1 {
		t.Fatalf("%d images after refused puts, want 1", n)
	}
}

func TestImageLivesWhileABadgeShowsIt(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	a := mustUser(t, db, "a@example.org")
	b := mustUser(t, db, "b@example.org")
	img := []byte("<svg>shared</svg>")
	ab := newBadge(a, "A's")
	ab.Image, ab.ImageType = img, "image/svg+xml"
	aid := mustSave(t, db, ab)
	if err := db.PutImage(ctx, hashOf(img), "image/svg+xml", img, t0); err != nil {
		t.Fatal(err)
	}
	bb := newBadge(b, "B's")
	bb.ImageHash = hashOf(img)
	bid := mustSave(t, db, bb)
	if n := countRows(t, db, "images"); n != 1 {
		t.Fatalf("%d images, want 1", n)
	}
	if err := db.DeleteBadge(ctx, a, aid); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Image(ctx, hashOf(img)); err != nil {
		t.Fatalf("image deleted while B's badge shows it: %v", err)
	}
	if n, _ := db.DeleteOrphanImages(ctx, t0.Add(time.Hour)); n != 0 {
		t.Fatalf("DeleteOrphanImages deleted %d images in use", n)
	}
	if err := db.DeleteBadge(ctx, b, bid); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Image(ctx, hashOf(img)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unreferenced image kept: %v", err)
	}
}

func TestSaveBadgeImageFollowsTheOutcome(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	uid := mustUser(t, db, "a@example.org")
	old, dup, newer := []byte("old image"), []byte("duplicate's image"), []byte("newer image")
	b := newBadge(uid, "Badge")
	b.DedupKey, b.ValidFrom = "issuer\nid", t0
	b.Image, b.ImageType = old, "image/png"
	id := mustSave(t, db, b)

	// A duplicate writes nothing, not even its image.
	b.Image = dup
	b.ImageHash = nil
	if _, outcome, err := db.SaveBadge(ctx, b); err != nil || outcome != Duplicate {
		t.Fatalf("SaveBadge = %s, %v", outcome, err)
	}
	if _, _, err := db.Image(ctx, hashOf(dup)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a duplicate stored its image: %v", err)
	}

	// A newer issue brings its image; the old one, now unused, goes.
	n := newBadge(uid, "Badge, reissued")
	n.DedupKey, n.ValidFrom = b.DedupKey, t0.Add(time.Hour)
	n.Image, n.ImageType = newer, "image/png"
	if got, outcome, err := db.SaveBadge(ctx, n); err != nil || outcome != Updated || got != id {
		t.Fatalf("SaveBadge = %d, %s, %v", got, outcome, err)
	}
	if _, _, err := db.Image(ctx, hashOf(old)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the replaced image was kept: %v", err)
	}
	saved, _ := db.BadgeByID(ctx, uid, id)
	if ct, img, err := db.Image(ctx, saved.ImageHash); err != nil || ct != "image/png" || string(img) != string(newer) {
		t.Fatalf("the new image: %q, %q, %v", ct, img, err)
	}
}

func TestDeleteOrphanImagesSparesRecentPuts(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	early, late := []byte("early"), []byte("late")
	db.PutImage(ctx, hashOf(early), "image/png", early, t0)
	db.PutImage(ctx, hashOf(late), "image/png", late, t0.Add(time.Hour))
	if n, err := db.DeleteOrphanImages(ctx, t0.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("DeleteOrphanImages = %d, %v; want 1", n, err)
	}
	if _, _, err := db.Image(ctx, hashOf(late)); err != nil {
		t.Fatalf("the recent image went: %v", err)
	}
}

func TestIssuerImages(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	if _, _, err := db.IssuerImage(ctx, "https://issuer.test/"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no logo yet: %v", err)
	}
	logo := []byte("\x89PNG\r\n\x1a\nlogo")
	if err := db.SetIssuerImage(ctx, "https://issuer.test/", "image/png", logo, now); err != nil {
		t.Fatal(err)
	}
	hash, ct, err := db.IssuerImage(ctx, "https://issuer.test/")
	sum := sha256.Sum256(logo)
	if err != nil || ct != "image/png" || !bytes.Equal(hash, sum[:]) {
		t.Fatalf("IssuerImage = %x %q %v", hash, ct, err)
	}
	// A logo is not an orphan: cleaning up keeps it.
	if _, err := db.DeleteOrphanImages(ctx, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, b, err := db.Image(ctx, hash); err != nil || !bytes.Equal(b, logo) {
		t.Fatalf("logo deleted as an orphan: %v", err)
	}
	// A new logo replaces the old one.
	logo2 := []byte("\x89PNG\r\n\x1a\nlogo2")
	db.SetIssuerImage(ctx, "https://issuer.test/", "image/png", logo2, now)
	hash2, _, _ := db.IssuerImage(ctx, "https://issuer.test/")
	if bytes.Equal(hash, hash2) {
		t.Fatal("logo not replaced")
	}
}
