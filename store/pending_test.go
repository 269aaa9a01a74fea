package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPendingImports(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	a := mustUser(t, db, "a@example.org")
	b := mustUser(t, db, "b@example.org")
	p := Pending{UserID: a, Original: []byte("baked png"), OriginalType: "png", SourceURL: "https://issuer.example/a",
		RecipientType: "email", RecipientIdentity: "sha256$abc", Hashed: true, Name: `'); DROP TABLE pending_imports;--`, CreatedAt: t0}
	id, err := db.AddPending(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	again := p
	again.CreatedAt, again.Name = t0.Add(time.Hour), "again"
	if id2, err := db.AddPending(ctx, again); err != nil || id2 != id {
		t.Fatalf("same content again: %d, %v; want %d", id2, err, id)
	}
	second := Pending{UserID: a, Original: []byte("other"), OriginalType: "json", RecipientType: "url",
		RecipientIdentity: "https://a.example/", CreatedAt: t0.Add(time.Minute)}
	sid, err := db.AddPending(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	forB := p
	forB.UserID = b
	bid, err := db.AddPending(ctx, forB)
	if err != nil || bid == id {
		t.Fatalf("the same content for another user: %d, %v", bid, err)
	}
	if _, err := db.AddPending(ctx, Pending{UserID: a, Original: []byte("x"), OriginalType: "png", ContentHash: make([]byte, 32)}); err == nil {
		t.Fatal("a wrong content hash was accepted")
	}

	list, err := db.PendingImports(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	p.ID, p.ContentHash = id, hashOf(p.Original)
	second.ID, second.ContentHash = sid, hashOf(second.Original)
	if diff := cmp.Diff([]Pending{second, p}, list); diff != "" {
		t.Fatalf("PendingImports (-want +got):\n%s", diff)
	}

	if err := db.DeletePending(ctx, b, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B deleted A's pending import: %v", err)
	}
	if err := db.DeletePending(ctx, a, id); err != nil {
		t.Fatal(err)
	}
	if err := db.DeletePending(ctx, a, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
	if list, _ := db.PendingImports(ctx, a); len(list) != 1 || list[0].ID != sid {
		t.Fatalf("after delete: %+v", list)
	}
	if list, _ := db.PendingImports(ctx, b); len(list) != 1 || list[0].ID != bid {
		t.Fatalf("B's: %+v", list)
	}
}
