package badges

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkImport measures the whole pipeline for one new hosted badge
// (verify over loopback, image, save, issuer logo) against the
// verification alone on the same badges, in the same run: the ratio is
// what keeping a badge costs beyond checking it.
func BenchmarkImport(b *testing.B) {
	for _, mode := range []string{"verify-only", "import"} {
		b.Run(mode, func(b *testing.B) {
			w := newWorld(b)
			alice := w.user(b, "alice@example.org")
			ids, _ := w.svc.VerifiedIdentities(context.Background(), alice)
			docs := make([][]byte, b.N)
			for i := range docs {
				docs[i] = w.is.hosted(fmt.Sprintf("/a/%d", i), "alice@example.org", nil)
			}
			b.ResetTimer()
			for i := range b.N {
				if mode == "verify-only" {
					if rep := w.svc.verifier.Verify(context.Background(), docs[i], ids); !rep.Valid {
						b.Fatal(rep.Errors)
					}
					continue
				}
				if r := w.svc.importOne(context.Background(), alice, ids, Item{Label: "b", Data: docs[i]}); r.Outcome != Added {
					b.Fatalf("%+v", r)
				}
			}
		})
	}
}
