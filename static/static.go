// Package static holds the app's own CSS, JavaScript and icons, embedded in
// the binary and served under content-hashed names so browsers can cache
// them for a year and still see every change at once.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
)

//go:embed files
var embedded embed.FS

// Files is the embedded asset tree, rooted at the asset names.
var Files, _ = fs.Sub(embedded, "files")

// Asset is one file with its hashed name.
type Asset struct {
	Name   string // app.css
	Hashed string // app.3f2a9c1d.css
	Body   []byte
}

var (
	once    sync.Once
	byName  map[string]*Asset
	byHash  map[string]*Asset
	loadErr error
)

func load() {
	byName, byHash = map[string]*Asset{}, map[string]*Asset{}
	loadErr = fs.WalkDir(Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		a := &Asset{Name: p, Hashed: strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:6]) + ext, Body: b}
		byName[p], byHash[a.Hashed] = a, a
		return nil
	})
}

// URL returns the hashed URL path of the named asset under prefix, e.g.
// URL("/static/", "app.css") = "/static/app.3f2a9c1d0b4e.css". It panics on
// an unknown name: that is a programming error caught by any page test.
func URL(prefix, name string) string {
	once.Do(load)
	a, ok := byName[name]
	if !ok || loadErr != nil {
		panic(fmt.Sprintf("static: no asset %q (%v)", name, loadErr))
	}
	return prefix + a.Hashed
}

// ByHashedName finds an asset by its hashed name.
func ByHashedName(hashed string) (*Asset, bool) {
	once.Do(load)
	a, ok := byHash[hashed]
	return a, ok
}
