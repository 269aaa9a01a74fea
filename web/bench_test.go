package web

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"backpack/store"
)

// benchmarkBackpackPage renders the first page of a backpack holding n
// badges, through the whole router (session, store, template).
func benchmarkBackpackPage(b *testing.B, n int) {
	a := newApp(b)
	alice := a.signUpConfirmed(b, "alice@example.org")
	u, _ := a.db.UserByEmail(context.Background(), "alice@example.org")
	ctx := context.Background()
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		orig := []byte(fmt.Sprintf(`{"n":%d}`, i))
		sum := sha256.Sum256(orig)
		_, _, err := a.db.SaveBadge(ctx, store.Badge{UserID: u.ID, ContentHash: sum[:], Original: orig, OriginalType: "json",
			Spec: "2.0", Format: "hosted", Name: fmt.Sprintf("Badge %05d", i), IssuerName: fmt.Sprintf("Issuer %d", i%37),
			IssuedOn: t0.Add(time.Duration(i) * time.Hour), BadgeJSON: []byte(`{}`), Status: store.StatusVerified,
			ReportJSON: []byte(`{}`), VerifiedAt: t0, CreatedAt: t0})
		if err != nil {
			b.Fatal(err)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "http://backpack.test/badges", nil)
	for _, c := range alice.jar.Cookies(base) {
		req.AddCookie(c)
	}
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func BenchmarkBackpackPage10(b *testing.B)    { benchmarkBackpackPage(b, 10) }
func BenchmarkBackpackPage10000(b *testing.B) { benchmarkBackpackPage(b, 10000) }
