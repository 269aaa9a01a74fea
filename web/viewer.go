package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/badges"
	"backpack/openbadges"
	"backpack/store"
	"backpack/templates"
)

// "Verify now" for viewers of public pages: anyone who has the link may
// ask Backpack to check a shared badge again, and sees each check. It is
// the one public request that fetches from the network, so it is limited
// per viewer (client address; its /64 for IPv6) and per badge. A badge
// checked in the last minute is not checked again: its result is fresh.
// The core checks the stored original, whatever the page had read, and
// keeps the result only when it is a finding (badges.CheckForViewer): a
// viewer never replaces the owner's result with a check that failed for
// reasons of its own.

// viewerStore is what Verify now on a collection's card needs of the
// store.
type viewerStore interface {
	SharedCollectionBadge(ctx context.Context, slug string, badgeID int64) (store.Collection, store.Badge, error)
}

var (
	viewerLimit = Limit{Burst: 6, Every: time.Minute}
	badgeLimit  = Limit{Burst: 2, Every: time.Minute}
)

// freshFor is how long a result counts as just checked.
const freshFor = time.Minute

// checked values in the ?checked= query of a public page after Verify now.
const (
	checkedNow         = "now"
	checkedRecent      = "recent"
	checkedUnreachable = "unreachable"
	checkedNothing     = "inconclusive"
)

// publicVerifyPath reports whether a POST to path is a viewer's Verify now,
// which carries no session (public pages set no cookies) and so no CSRF
// token; the browser's cross-origin checks still apply.
func publicVerifyPath(path string) bool {
	return (strings.HasPrefix(path, "/b/") || strings.HasPrefix(path, "/c/")) && strings.HasSuffix(path, "/verify") &&
		strings.Count(path, "/") == 3
}

// viewerCheck runs Verify now for a viewer within the limits and says
// what happened, as a ?checked= value.
func (s *Server) viewerCheck(c echo.Context, b store.Badge) (string, error) {
	now := s.now()
	if now.Sub(b.VerifiedAt) < freshFor {
		return checkedRecent, nil
	}
	if ok, wait := s.viewerRate.allow(clientKey(c.RealIP()), now); !ok {
		return "", tooMany(wait)
	}
	if ok, _ := s.badgeRate.allow(strconv.FormatInt(b.ID, 10), now); !ok {
		return checkedRecent, nil
	}
	outcome, err := s.core.CheckForViewer(c.Request().Context(), b.UserID, b.ID)
	if err != nil {
		return "", err
	}
	switch outcome {
	case badges.ViewerUnreachable:
		return checkedUnreachable, nil
	case badges.ViewerInconclusive:
		return checkedNothing, nil
	}
	return checkedNow, nil
}

// verifySharedBadge is Verify now on /b/{slug}.
func (s *Server) verifySharedBadge(c echo.Context) error {
	slug := c.Param("slug")
	b, _, err := s.sharedBadge(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	checked, err := s.viewerCheck(c, b)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, s.url(routePublicBadge, slug)+"?checked="+checked+"#checks")
}

// verifyCollectionBadge is Verify now on a card of /c/{slug}: the badge
// must be in that shared collection. The form carries the page it is on
// (after or before), to come back to.
func (s *Server) verifyCollectionBadge(c echo.Context) error {
	slug := c.Param("slug")
	if !plausibleSlug(slug) {
		return echo.ErrNotFound
	}
	id, err := badgeField(c)
	if err != nil {
		return err
	}
	page, err := collectionCursor(c.FormValue)
	if err != nil {
		return err
	}
	_, b, err := s.cfg.Store.SharedCollectionBadge(c.Request().Context(), slug, id)
	if err != nil {
		return err
	}
	checked, err := s.viewerCheck(c, b)
	if err != nil {
		return err
	}
	q := pageQueryValues(page, url.Values{"checked": {checked}, "badge": {strconv.FormatInt(id, 10)}})
	return c.Redirect(http.StatusSeeOther, s.url(routePublicCollection, slug)+"?"+q.Encode()+"#badge-"+strconv.FormatInt(id, 10))
}

// checkedNotice is the sentence shown after Verify now, or "".
func checkedNotice(checked string) string {
	switch checked {
	case checkedNow:
		return "Checked just now. Each check is listed below."
	case checkedRecent:
		return "This badge was checked less than a minute ago; this is that result."
	case checkedUnreachable:
		return "The issuer could not be reached just now; this is the last result Backpack has."
	case checkedNothing:
		return "The check could not be completed just now; this is the last result Backpack has."
	}
	return ""
}

// checkViews shows verification checks on a page.
func checkViews(checks []openbadges.Check) []templates.CheckView {
	out := make([]templates.CheckView, 0, len(checks))
	for _, ch := range checks {
		out = append(out, templates.CheckView{Name: ch.Name, OK: ch.OK, Message: ch.Message})
	}
	return out
}
