// Package archtest holds the test that keeps the arrows between Backpack's
// packages pointing one way (docs/ARCHITECTURE.md): it reads the imports of
// every package in the module and fails on a forbidden one.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "backpack"

// rule forbids packages under From (the directory, or any below it) to
// import any path under one of Not. Tests may import more than the code
// they test only where TestsToo is false.
type rule struct {
	From     string
	Not      []string
	Why      string
	TestsToo bool
}

var rules = []rule{
	{From: "openbadges", Not: []string{"backpack/store", "backpack/badges", "backpack/web", "backpack/templates", "backpack/mail", "backpack/cmd", "github.com/labstack/echo"},
		Why: "the domain is a library: it knows nothing of storage, HTTP or pages", TestsToo: true},
	{From: "store", Not: []string{"backpack/badges", "backpack/web", "backpack/templates", "backpack/mail", "backpack/cmd", "github.com/labstack/echo"},
		Why: "the store owns SQL and nothing above it; it may use openbadges' types"},
	{From: "badges", Not: []string{"backpack/web", "backpack/templates", "backpack/static", "backpack/cmd", "github.com/labstack/echo", "github.com/a-h/templ"},
		Why: "the core speaks in typed results and codes, never in HTTP or pages", TestsToo: true},
	{From: "mail", Not: []string{"backpack/store", "backpack/badges", "backpack/web", "backpack/templates", "backpack/cmd", "github.com/labstack/echo"},
		Why: "sending mail needs nothing of the application", TestsToo: true},
	{From: "templates", Not: []string{"backpack/store", "backpack/badges", "backpack/web", "backpack/openbadges", "backpack/cmd", "github.com/labstack/echo", "database/sql"},
		Why: "components render view models; they never fetch data", TestsToo: true},
	{From: "web", Not: []string{"backpack/cmd", "database/sql", "modernc.org/sqlite"},
		Why: "web is HTTP only: no SQL"},
	{From: "", Not: []string{"backpack/web"}, Why: "only cmd wires the HTTP layer"},
	{From: "", Not: []string{"backpack/cmd"}, Why: "nothing imports main"},
	{From: "", Not: []string{"backpack/internal/browsertest", "backpack/internal/testclock"},
		Why: "test helpers are for tests only"},
}

// exempt lists the packages a rule with From "" does not apply to.
var exempt = map[string][]string{
	"backpack/web":                  {"cmd/backpack"},
	"backpack/internal/browsertest": {"internal/browsertest"},
	"backpack/internal/testclock":   {"internal/testclock"},
}

// imports maps each package directory (relative to the module root, with
// "/" separators) to the imports of its files, code and tests apart.
type pkgImports struct{ code, tests map[string]bool }

func readImports(t *testing.T, root string) map[string]*pkgImports {
	t.Helper()
	pkgs := map[string]*pkgImports{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		p := pkgs[rel]
		if p == nil {
			p = &pkgImports{code: map[string]bool{}, tests: map[string]bool{}}
			pkgs[rel] = p
		}
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			if strings.HasSuffix(name, "_test.go") {
				p.tests[ip] = true
			} else {
				p.code[ip] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func under(path, prefix string) bool {
	return prefix == "" || path == prefix || strings.HasPrefix(path, prefix+"/")
}

// violations lists every import that breaks a rule.
func violations(pkgs map[string]*pkgImports) []string {
	var out []string
	for dir, p := range pkgs {
		for _, r := range rules {
			if !under(dir, r.From) {
				continue
			}
			check := func(imports map[string]bool, kind string) {
				for ip := range imports {
					for _, not := range r.Not {
						if !under(ip, not) || isExempt(not, dir) {
							continue
						}
						out = append(out, dir+" ("+kind+") imports "+ip+": "+r.Why)
					}
				}
			}
			check(pkgs[dir].code, "code")
			if r.TestsToo {
				check(p.tests, "tests")
			}
		}
	}
	return out
}

func isExempt(not, dir string) bool {
	for _, d := range exempt[not] {
		if under(dir, d) {
			return true
		}
	}
	return false
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module "+module+"\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("module root not found")
		}
		dir = parent
	}
}

func TestNoForbiddenImports(t *testing.T) {
	pkgs := readImports(t, moduleRoot(t))
	for _, want := range []string{"web", "badges/archive", "store", "openbadges", "templates", "mail", "cmd/backpack"} {
		if pkgs[want] == nil {
			t.Fatalf("package %s not found: the walk is broken", want)
		}
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// TestRulesCatchViolations feeds the rules imports they forbid, so the test
// above cannot pass by checking nothing.
func TestRulesCatchViolations(t *testing.T) {
	for _, tc := range []struct {
		dir, imp string
		test     bool
	}{
		{"badges", "github.com/labstack/echo/v4", false},
		{"badges/archive", "backpack/templates", false},
		{"badges", "backpack/web", true},
		{"openbadges/status", "backpack/store", false},
		{"store", "backpack/web", false},
		{"templates", "backpack/store", false},
		{"mail", "backpack/web", false},
		{"web", "database/sql", false},
		{"store", "backpack/web", false},
		{"badges", "backpack/internal/testclock", false},
		{"openbadges", "backpack/cmd/backpack", true},
	} {
		p := &pkgImports{code: map[string]bool{}, tests: map[string]bool{}}
		if tc.test {
			p.tests[tc.imp] = true
		} else {
			p.code[tc.imp] = true
		}
		if v := violations(map[string]*pkgImports{tc.dir: p}); len(v) == 0 {
			t.Errorf("%s importing %s (test %v) is not caught", tc.dir, tc.imp, tc.test)
		}
	}
	// And what is allowed stays allowed.
	ok := &pkgImports{code: map[string]bool{"backpack/store": true, "backpack/openbadges": true}, tests: map[string]bool{"backpack/internal/testclock": true}}
	if v := violations(map[string]*pkgImports{"badges": ok}); len(v) != 0 {
		t.Errorf("allowed imports refused: %v", v)
	}
	web := &pkgImports{code: map[string]bool{}, tests: map[string]bool{}}
	if v := violations(map[string]*pkgImports{"cmd/backpack": {code: map[string]bool{"backpack/web": true}, tests: web.tests}}); len(v) != 0 {
		t.Errorf("cmd importing web refused: %v", v)
	}
}
