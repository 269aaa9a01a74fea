package web

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/store"
	"backpack/templates"
)

// The Mozilla Displayer API, so that older portfolio plugins written for
// Mozilla's backpack can list a user's shared collections:
//
//	GET /displayer/{userId}/groups.json          the shared collections
//	GET /displayer/{userId}/group/{groupId}.json the badges of one
//
// (".json" is optional, as it was at Mozilla). The shapes follow
// openbadges-backpack's controllers/displayer.js and its documentation
// (docs/apis/displayer_api.md) field by field; where Backpack's data
// differs:
//
//   - userId is not the account's number but an opaque random id the user
//     opted in to on the settings page; opting out deletes it (the URLs
//     answer 404) and opting in again makes a new one. groupId is the
//     collection's share slug, so only shared collections can be named,
//     and a new collection link changes the groupId.
//   - Mozilla's numbers were ids; ours are strings. Clients that build the
//     group URL from the groups response work unchanged.
//   - Badges listed are the collection's verified and expired ones, in its
//     order (Mozilla told clients the badges it returns can be taken as
//     valid, so revoked and unverified ones are left out, and left out of
//     the groups' counts too).
//   - "assertion" is not the issuer's document as received but a 1.0-style
//     summary built from the stored, normalised badge: badge.name,
//     .description, .image, .criteria and badge.issuer.name, .url, .origin,
//     plus issuedOn (and its 0.5 twin issued_on) and expires as unix
//     seconds. It never has a recipient (nor uid, _originalRecipient or
//     salt): nothing that names or confirms the owner's address. The issuer's
//     contact email, evidence and alignments are left out as well.
//   - Only http(s) URLs are passed on (a hostile issuer's javascript: link
//     must not reach a plugin that puts it in an href). badge.image and
//     imageUrl are both Backpack's stored copy of the image.
//   - lastValidated is when Backpack last verified the badge.
//     assertionType is "hosted", or "signed" for every signed format
//     (JWS, VC-JWT, Data Integrity).
//   - hostedUrl (and verify) are given only for hosted badges whose
//     assertion hashes its recipient: fetching a plain-text assertion
//     would reveal the owner's address. Otherwise hostedUrl is null, as
//     Mozilla sent it for signed badges.
//   - Not found is Mozilla's {"httpStatus": 404, "status": "missing"}, the
//     same for an unknown id, another user's group and an unshared one.
//   - JSONP (?callback=) is not supported: every response has
//     Access-Control-Allow-Origin: *, which every current browser honours.
//   - POST /displayer/convert/email (and its form) is deliberately not
//     implemented: it would tell anyone which email addresses have
//     accounts here. Users copy their displayer id from the settings page.

// displayerStore is what the Displayer API and its settings need of the store.
type displayerStore interface {
	DisableDisplayer(ctx context.Context, userID int64) error
	DisplayerByID(ctx context.Context, id string) (store.Displayer, error)
	DisplayerGroup(ctx context.Context, userID int64, slug string) (store.Collection, []store.Badge, time.Time, error)
	DisplayerGroups(ctx context.Context, userID int64) ([]store.Collection, time.Time, error)
	EnableDisplayer(ctx context.Context, userID int64, id string, now time.Time) (store.Displayer, error)
	UserDisplayer(ctx context.Context, userID int64) (store.Displayer, error)
}

// Route names, for s.url.
const (
	routeDisplayerGroups     = "displayer-groups"
	routeDisplayerGroupsJSON = "displayer-groups-json"
	routeDisplayerGroup      = "displayer-group"
	routeDisplayerSettings   = "settings-displayer"
)

func (s *Server) registerDisplayer(e *echo.Echo) {
	e.GET("/displayer/:uid/groups", s.displayerGroups).Name = routeDisplayerGroups
	e.GET("/displayer/:uid/groups.json", s.displayerGroups).Name = routeDisplayerGroupsJSON
	e.GET("/displayer/:uid/group/:gid", s.displayerGroup).Name = routeDisplayerGroup
	e.POST("/settings/displayer", s.setDisplayer, s.requireUser).Name = routeDisplayerSettings
}

// displayerOwner looks up the user who opted in under the id in the URL.
func (s *Server) displayerOwner(c echo.Context) (store.Displayer, error) {
	id := c.Param("uid")
	if !plausibleSlug(id) {
		return store.Displayer{}, store.ErrNotFound
	}
	return s.cfg.Store.DisplayerByID(c.Request().Context(), id)
}

// displayerHeaders sets what every Displayer API answer carries: open to
// every origin (without credentials), no referrer, not indexed.
func displayerHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
}

// displayerMissing answers not found the way Mozilla's API did, or passes
// on any other error.
func displayerMissing(c echo.Context, err error) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	displayerHeaders(c)
	return c.JSON(http.StatusNotFound, displayerNotFound{HTTPStatus: http.StatusNotFound, Status: "missing"})
}

// displayerNotFound is Mozilla's answer for anything not found.
type displayerNotFound struct {
	HTTPStatus int    `json:"httpStatus"`
	Status     string `json:"status"`
}

type displayerGroupsResponse struct {
	UserID string               `json:"userId"`
	Groups []displayerGroupItem `json:"groups"`
}

type displayerGroupItem struct {
	GroupID string `json:"groupId"`
	Name    string `json:"name"`
	Badges  int    `json:"badges"` // how many, as Mozilla sent it
}

func (s *Server) displayerGroups(c echo.Context) error {
	d, err := s.displayerOwner(c)
	if err != nil {
		return displayerMissing(c, err)
	}
	cols, changed, err := s.cfg.Store.DisplayerGroups(c.Request().Context(), d.UserID)
	if err != nil {
		return err
	}
	out := displayerGroupsResponse{UserID: d.ID, Groups: []displayerGroupItem{}}
	parts := []any{"groups", d.ID, changed}
	for _, col := range cols {
		out.Groups = append(out.Groups, displayerGroupItem{GroupID: col.Slug, Name: col.Name, Badges: col.Count})
		parts = append(parts, col.Slug, col.Name, col.Count)
	}
	return s.displayerJSON(c, etag(parts...), changed, out)
}

type displayerGroupResponse struct {
	UserID  string           `json:"userId"`
	GroupID string           `json:"groupId"`
	Badges  []displayerBadge `json:"badges"`
}

type displayerBadge struct {
	LastValidated string             `json:"lastValidated"`
	AssertionType string             `json:"assertionType,omitempty"`
	HostedURL     *string            `json:"hostedUrl"`
	Assertion     displayerAssertion `json:"assertion"`
	ImageURL      string             `json:"imageUrl,omitempty"`
}

type displayerAssertion struct {
	Badge      displayerBadgeClass `json:"badge"`
	Verify     *displayerVerify    `json:"verify,omitempty"`
	IssuedOn   *int64              `json:"issuedOn,omitempty"`
	IssuedOn05 *int64              `json:"issued_on,omitempty"`
	Expires    *int64              `json:"expires,omitempty"`
}

type displayerBadgeClass struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Image       string          `json:"image,omitempty"`
	Criteria    string          `json:"criteria,omitempty"`
	Issuer      displayerIssuer `json:"issuer"`
}

type displayerIssuer struct {
	Name   string `json:"name"`
	URL    string `json:"url,omitempty"`
	Origin string `json:"origin,omitempty"`
}

type displayerVerify struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

func (s *Server) displayerGroup(c echo.Context) error {
	d, err := s.displayerOwner(c)
	if err != nil {
		return displayerMissing(c, err)
	}
	slug := strings.TrimSuffix(c.Param("gid"), ".json")
	if !plausibleSlug(slug) {
		return displayerMissing(c, store.ErrNotFound)
	}
	col, badges, changed, err := s.cfg.Store.DisplayerGroup(c.Request().Context(), d.UserID, slug)
	if err != nil {
		return displayerMissing(c, err)
	}
	out := displayerGroupResponse{UserID: d.ID, GroupID: col.Slug, Badges: []displayerBadge{}}
	parts := []any{"group", d.ID, col.Slug, changed}
	for _, b := range badges {
		item, err := s.displayerBadge(b)
		if err != nil {
			return err
		}
		out.Badges = append(out.Badges, item)
		parts = append(parts, b.ID, b.Status, b.VerifiedAt.Unix(), b.ContentHash)
	}
	return s.displayerJSON(c, etag(parts...), changed, out)
}

// displayerBadge describes one stored badge in Mozilla's shape.
func (s *Server) displayerBadge(b store.Badge) (displayerBadge, error) {
	ob, err := b.Badge()
	if err != nil {
		return displayerBadge{}, err
	}
	img := absoluteOr(s.link, s.imageURL(b.ImageHash, b.ImageType))
	out := displayerBadge{
		LastValidated: b.VerifiedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		ImageURL:      img,
		Assertion: displayerAssertion{Badge: displayerBadgeClass{
			Name: b.Name, Description: b.Description, Image: img, Criteria: httpURL(ob.Criteria.URL),
			Issuer: displayerIssuer{Name: b.IssuerName, URL: httpURL(ob.Issuer.URL), Origin: origin(ob.Issuer.URL)},
		}},
	}
	switch b.Format {
	case "":
	case "hosted":
		out.AssertionType = "hosted"
		if u := httpURL(ob.ID); u != "" && ob.Recipient.Hashed {
			out.HostedURL = &u
			out.Assertion.Verify = &displayerVerify{Type: "hosted", URL: u}
		}
	default:
		out.AssertionType = "signed"
	}
	if !b.IssuedOn.IsZero() {
		t := b.IssuedOn.Unix()
		out.Assertion.IssuedOn, out.Assertion.IssuedOn05 = &t, &t
	}
	if b.Expires != nil {
		t := b.Expires.Unix()
		out.Assertion.Expires = &t
	}
	return out, nil
}

// httpURL returns u if it is an absolute http(s) URL, else "".
func httpURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return u
}

// origin is the scheme and host of an http(s) URL, as OB 0.5's issuer
// origin was; "" for anything else.
func origin(u string) string {
	if httpURL(u) == "" {
		return ""
	}
	p, _ := url.Parse(u)
	return p.Scheme + "://" + p.Host
}

// displayerJSON sends a Displayer API answer, or 304 to a client that has
// it already.
func (s *Server) displayerJSON(c echo.Context, tag string, modified time.Time, v any) error {
	displayerHeaders(c) // before servePublic: a 304 carries them too
	return servePublic(c, publicAnswer{tag: tag, modified: modified, maxAge: 60, noindex: true}, func() error {
		return c.JSON(http.StatusOK, v)
	})
}

// displayerSettings describes the user's opt-in for the settings page.
func (s *Server) displayerSettings(c echo.Context, userID int64) (templates.DisplayerSettings, error) {
	v := templates.DisplayerSettings{BaseURL: s.link("")}
	d, err := s.cfg.Store.UserDisplayer(c.Request().Context(), userID)
	if errors.Is(err, store.ErrNotFound) {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.On, v.ID, v.GroupsURL = true, d.ID, s.link(s.url(routeDisplayerGroupsJSON, d.ID))
	return v, nil
}

// setDisplayer opts the user in to the Displayer API (keeping an id they
// have) or out of it (forgetting the id).
func (s *Server) setDisplayer(c echo.Context) error {
	ctx := c.Request().Context()
	user := currentUser(c)
	switch c.FormValue("do") {
	case "on":
		if _, err := s.cfg.Store.EnableDisplayer(ctx, user.ID, rand.Text(), s.now()); err != nil {
			return err
		}
		flash(c, "success", "Older portfolio plugins can now list your shared collections. Give them the ID below.")
	case "off":
		if err := s.cfg.Store.DisableDisplayer(ctx, user.ID); err != nil {
			return err
		}
		flash(c, "success", "Older portfolio plugins can no longer list your collections; the old ID no longer works.")
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "unknown displayer action")
	}
	return s.redirect(c, s.url(routeSettings)+"#displayer")
}
