package web

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"backpack/store"
)

// fakeStore answers the store methods whose func fields a test sets. The
// embedded Store is nil: any other method panics, so a test may use a
// fakeStore only on a path that calls no other method, and must check that
// the fake was reached (the router's Recover would turn a stray nil call
// into a 500 too).
type fakeStore struct {
	Store
	ping        func(ctx context.Context) error
	sharedBadge func(ctx context.Context, slug string) (store.Badge, store.Share, error)
}

var _ Store = (*fakeStore)(nil)

func (f *fakeStore) Ping(ctx context.Context) error { return f.ping(ctx) }

func (f *fakeStore) SharedBadge(ctx context.Context, slug string) (store.Badge, store.Share, error) {
	return f.sharedBadge(ctx, slug)
}

// The web layer runs on anything that provides Store, not only *store.DB:
// a store that fails gives the user a generic answer and the log the
// reason, never the reason to the user.
func TestFakeStoreFailures(t *testing.T) {
	const secret = "SECRET disk I/O error in /var/lib/backpack/backpack.db"

	t.Run("healthz", func(t *testing.T) {
		calls := 0
		// GET /healthz calls only Ping: no session cookie is sent, so the
		// session middleware reads nothing.
		fake := &fakeStore{ping: func(context.Context) error { calls++; return errors.New(secret) }}
		a := newApp(t, func(c *Config) { c.Store = fake }) // the temp database newApp opens is not used
		p := a.browser(t).get("/healthz")
		wantStatus(t, p, http.StatusServiceUnavailable)
		if calls != 1 || strings.Contains(p.body, "SECRET") {
			t.Errorf("Ping called %d times; body %q", calls, p.body)
		}
		if logs := a.logs.String(); !strings.Contains(logs, secret) || strings.Contains(logs, "panic") {
			t.Errorf("log: %s", logs)
		}
	})

	t.Run("public badge", func(t *testing.T) {
		calls := 0
		// An anonymous GET of a shared badge calls only SharedBadge: the
		// page cache has nothing kept for it and reads the owner's version
		// only once the handler has named the owner; the error page reads
		// nothing from the store.
		fake := &fakeStore{
			sharedBadge: func(context.Context, string) (store.Badge, store.Share, error) {
				calls++
				return store.Badge{}, store.Share{}, errors.New(secret)
			},
		}
		a := newApp(t, func(c *Config) { c.Store = fake })
		p := a.browser(t).get("/b/" + strings.Repeat("a", 24))
		wantStatus(t, p, http.StatusInternalServerError)
		if calls != 1 || strings.Contains(p.body, "SECRET") || !p.has(`[data-testid=error]`) {
			t.Errorf("SharedBadge called %d times; page: %s", calls, p.body)
		}
		if logs := a.logs.String(); !strings.Contains(logs, secret) || strings.Contains(logs, "panic") {
			t.Errorf("log: %s", logs)
		}
	})
}

// Each file of the package declares the store methods it calls, exactly:
// a call to a method only another file declares would compile (Config.Store
// is all of them) but make the file's interface lie, and a method no
// longer called would make every fake bigger than it has to be.
func TestStoreInterfacesListWhatEachFileCalls(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		called, declared := map[string]bool{}, map[string]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr: // x.cfg.Store.Method
				if st, ok := n.X.(*ast.SelectorExpr); ok && st.Sel.Name == "Store" {
					if cfg, ok := st.X.(*ast.SelectorExpr); ok && cfg.Sel.Name == "cfg" {
						called[n.Sel.Name] = true
					}
				}
			case *ast.TypeSpec: // type xStore interface{ ... }, not Store itself
				if it, ok := n.Type.(*ast.InterfaceType); ok && !n.Name.IsExported() && strings.HasSuffix(n.Name.Name, "Store") {
					for _, m := range it.Methods.List {
						for _, id := range m.Names {
							declared[id.Name] = true
						}
					}
				}
			}
			return true
		})
		if diff := cmp.Diff(slices.Sorted(maps.Keys(called)), slices.Sorted(maps.Keys(declared))); diff != "" {
			t.Errorf("%s: the store methods called (-) and declared in its store interface (+) differ:\n%s", name, diff)
		}
	}
}
