package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"backpack/store"
)

// A shared collection's public page, its JSON twin and its embed show its
// badges a page at a time, so that what a request costs (and sends) does
// not grow with the collection: a collection of ten thousand badges must
// not be a cheap way to keep the server busy. Pages follow the
// collection's order; ?after={badge id} is the page after that badge and
// ?before={badge id} the page before it, so a page's address keeps
// naming the same place while badges are added elsewhere. Each page says
// where the next and the previous are: rel="next" and rel="prev" links
// in a Link header, in the page (link elements and the pager) and in the
// JSON twin (next, prev).

// collectionPageSize is how many badges a page of a public collection
// shows; the embed shows the first page.
const collectionPageSize = 16

// collectionCursor reads after or before (a badge id) with get (the
// query's or the form's values); anything else in them is a 404, as is a
// badge that is not in the collection (the store says so).
func collectionCursor(get func(string) string) (store.CollectionPageQuery, error) {
	q := store.CollectionPageQuery{Limit: collectionPageSize}
	for name, dst := range map[string]*int64{"after": &q.After, "before": &q.Before} {
		v := get(name)
		if v == "" {
			continue
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return q, echo.ErrNotFound
		}
		*dst = id
	}
	if q.After != 0 && q.Before != 0 {
		return q, echo.ErrNotFound
	}
	return q, nil
}

// pageLinks are the addresses of the pages before and after one page of
// a collection ("" when there is none), relative to the site.
type pageLinks struct{ prev, next string }

// collectionPageLinks links the pages around page of the collection
// shared under slug; json links the JSON twin's pages.
func (s *Server) collectionPageLinks(slug string, page store.CollectionPage, json bool) pageLinks {
	base := s.url(routePublicCollection, slug)
	if json {
		base = s.url(routePublicCollection, slug+".json")
	}
	var l pageLinks
	if n := len(page.Badges); n > 0 {
		if page.Prev {
			l.prev = base + "?before=" + strconv.FormatInt(page.Badges[0].ID, 10)
		}
		if page.Next {
			l.next = base + "?after=" + strconv.FormatInt(page.Badges[n-1].ID, 10)
		}
	}
	return l
}

// setLinkHeader names the pages around this one in a Link header (RFC
// 8288), with absolute addresses.
func (s *Server) setLinkHeader(c echo.Context, l pageLinks) {
	var parts []string
	if l.prev != "" {
		parts = append(parts, "<"+s.link(l.prev)+`>; rel="prev"`)
	}
	if l.next != "" {
		parts = append(parts, "<"+s.link(l.next)+`>; rel="next"`)
	}
	if len(parts) > 0 {
		c.Response().Header().Set("Link", strings.Join(parts, ", "))
	}
}

// pageQueryValues carries the page's cursor into another address of the
// same page (after Verify now).
func pageQueryValues(q store.CollectionPageQuery, v url.Values) url.Values {
	if q.After != 0 {
		v.Set("after", strconv.FormatInt(q.After, 10))
	}
	if q.Before != 0 {
		v.Set("before", strconv.FormatInt(q.Before, 10))
	}
	return v
}
