package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestLoadPageCacheMemory reads 2000 distinct public pages of 256 KiB
// (each twice, so that it is kept) through the page cache and reports the
// heap in use after a collection, before and after. Reported, not
// asserted.
func TestLoadPageCacheMemory(t *testing.T) {
	if !*loadOn {
		t.Skip("memory of the page cache; run it with: go test ./web -run TestLoadPageCacheMemory -load -v")
	}
	a := newApp(t)
	owner, _, _ := a.db.CreateUser(context.Background(), "owner@example.org", "h", a.clock.now())
	const pages, size = 2000, 256 << 10
	h := a.cachedPublic(func(c echo.Context) error {
		setOwner(c, owner.ID)
		return c.Blob(http.StatusOK, "text/html; charset=utf-8", bytes.Repeat([]byte{'x'}, size))
	})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	for i := range pages {
		for range 2 {
			c := a.echo.NewContext(httptest.NewRequest(http.MethodGet, fmt.Sprintf("http://backpack.test/b/p%d", i), nil), httptest.NewRecorder())
			if err := h(c); err != nil {
				t.Fatal(err)
			}
		}
	}
	after := heap()
	fmt.Fprintf(os.Stdout, "\nTestLoadPageCacheMemory: %d pages of %d KiB read twice each: heap in use %.1f MiB before, %.1f MiB after (+%.1f MiB)\n\n",
		pages, size>>10, float64(before)/(1<<20), float64(after)/(1<<20), (float64(after)-float64(before))/(1<<20))
	runtime.KeepAlive(a)
}
