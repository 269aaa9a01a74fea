package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestEveryRouteHasAName: links are built from route names (s.url), so
// every route has one of the route constants, one name means one path,
// and the names give back the paths DESIGN.md promises.
func TestEveryRouteHasAName(t *testing.T) {
	a := newApp(t)
	paths := map[string]string{}
	for _, r := range a.Echo().Routes() {
		if r.Method == echo.RouteNotFound {
			continue // a group's catch-all, echo's own
		}
		// Without a name, echo names a route after its handler function
		// ("backpack/web.(*Server).badges-fm").
		if r.Name == "" || strings.ContainsAny(r.Name, "./()") {
			t.Errorf("%s %s has no name of its own (%q): give it a route constant", r.Method, r.Path, r.Name)
			continue
		}
		if p, ok := paths[r.Name]; ok && p != r.Path {
			t.Errorf("route name %q names both %s and %s", r.Name, p, r.Path)
		}
		paths[r.Name] = r.Path

		// The name gives the path back, parameters filled in.
		var params []any
		want := r.Path
		for i, seg := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(seg, ":") {
				v := fmt.Sprint("p", i)
				params = append(params, v)
				want = strings.Replace(want, seg, v, 1)
			}
		}
		if got := a.url(r.Name, params...); got != want {
			t.Errorf("url(%q, %v) = %q, want %q", r.Name, params, got, want)
		}
	}
	if len(paths) < 50 {
		t.Errorf("only %d named routes", len(paths))
	}

	for _, tc := range []struct {
		name   string
		params []any
		want   string
	}{
		{routeHome, nil, "/"},
		{routeHealthz, nil, "/healthz"},
		{routeSignup, nil, "/signup"},
		{routeLogin, nil, "/login"},
		{routeLogout, nil, "/logout"},
		{routeConfirm, []any{"tok"}, "/confirm/tok"},
		{routeForgot, nil, "/password/forgot"},
		{routeReset, []any{"tok"}, "/password/reset/tok"},
		{routeSettings, nil, "/settings"},
		{routeBadges, nil, "/badges"},
		{routeNewBadges, nil, "/badges/new"},
		{routeBadge, []any{int64(42)}, "/badges/42"},
		{routeBadgeVerify, []any{int64(42)}, "/badges/42/verify"},
		{routeBadgeDelete, []any{int64(42)}, "/badges/42/delete"},
		{routeBadgeDownload, []any{int64(42)}, "/badges/42/download"},
		{routeCollections, nil, "/collections"},
		{routeCollection, []any{int64(7)}, "/collections/7"},
		{routeCollectionOrder, []any{int64(7)}, "/collections/7/order"},
		{routePublicCollection, []any{"SLUG"}, "/c/SLUG"},
		{routePublicBadge, []any{"SLUG"}, "/b/SLUG"},
		{routePublicBadge, []any{"SLUG.json"}, "/b/SLUG.json"},
		{routePublicBadgeVerify, []any{"SLUG"}, "/b/SLUG/verify"},
		{routePublicBadgeFile, []any{"SLUG", "qr.svg"}, "/b/SLUG/qr.svg"},
		{routeEmbedCollection, []any{"SLUG"}, "/embed/c/SLUG"},
		{routeEmbedBadge, []any{"SLUG"}, "/embed/b/SLUG"},
		{routeEmbedBadge, []any{"SLUG.svg"}, "/embed/b/SLUG.svg"},
		{routeEmbedLoader, nil, "/embed.js"},
		{routeOEmbed, nil, "/oembed"},
		{routeImport, []any{int64(3)}, "/imports/3"},
		{routeDisplayerGroupsJSON, []any{"ID"}, "/displayer/ID/groups.json"},
	} {
		if got := a.url(tc.name, tc.params...); got != tc.want {
			t.Errorf("url(%q, %v) = %q, want %q", tc.name, tc.params, got, tc.want)
		}
	}
}
