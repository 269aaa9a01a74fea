package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/openbadges"
	"backpack/store"
	"backpack/templates"
)

// Public pages of shared badges: /b/{slug} and its JSON twin. They render
// from stored data only (no network in the request path), set no cookies,
// are cacheable with revalidation, and show nothing the owner did not
// choose to share.

func (s *Server) registerPublic(e *echo.Echo) {
	e.GET("/b/:slug", s.publicBadge)
	e.GET("/oembed", s.oembed)
}

// plausibleSlug reports whether slug could be one that the store made, so
// that junk never reaches the database.
func plausibleSlug(slug string) bool { return len(slug) >= 20 && len(slug) <= 64 }

// sharedBadge looks up the badge shared under slug; anything else is a 404.
func (s *Server) sharedBadge(ctx context.Context, slug string) (store.Badge, store.Share, error) {
	if !plausibleSlug(slug) {
		return store.Badge{}, store.Share{}, echo.ErrNotFound
	}
	b, sh, err := s.cfg.Store.SharedBadge(ctx, slug)
	return b, sh, notFound(err)
}

// sharedCollection looks up the collection shared under slug and its
// badges, in order; anything else is a 404.
func (s *Server) sharedCollection(ctx context.Context, slug string) (store.Collection, []store.Badge, error) {
	if !plausibleSlug(slug) {
		return store.Collection{}, nil, echo.ErrNotFound
	}
	col, err := s.cfg.Store.SharedCollection(ctx, slug)
	if err != nil {
		return store.Collection{}, nil, notFound(err)
	}
	badges, err := s.cfg.Store.CollectionBadges(ctx, col.ID)
	return col, badges, err
}

// decodeBadge reads the badge and its verification report as stored.
func decodeBadge(b store.Badge) (openbadges.Badge, openbadges.Report, error) {
	var ob openbadges.Badge
	var rep openbadges.Report
	if err := json.Unmarshal(b.BadgeJSON, &ob); err != nil {
		return ob, rep, err
	}
	err := json.Unmarshal(b.ReportJSON, &rep)
	return ob, rep, err
}

// oembed describes one of Backpack's own public badge pages. The url is
// only parsed, never fetched: anything but our own /b/{slug} is a 404.
func (s *Server) oembed(c echo.Context) error {
	if f := c.QueryParam("format"); f != "" && f != "json" {
		return echo.NewHTTPError(http.StatusNotImplemented, "only format=json")
	}
	u, err := url.Parse(c.QueryParam("url"))
	if err != nil || !strings.EqualFold(u.Host, s.cfg.BaseURL.Host) || !strings.HasPrefix(u.Path, "/b/") {
		return echo.ErrNotFound
	}
	b, _, err := s.sharedBadge(c.Request().Context(), strings.TrimPrefix(u.Path, "/b/"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	out := map[string]any{"version": "1.0", "type": "link", "title": b.Name, "author_name": b.IssuerName,
		"provider_name": "Backpack", "provider_url": s.link("/"), "cache_age": 60}
	if thumb := imageURL(b.ImageHash, b.ImageType); thumb != "" {
		out["thumbnail_url"] = s.link(thumb)
	}
	return c.JSON(http.StatusOK, out)
}

// shareView describes the share of badge b for its page, or no share.
func (s *Server) shareView(c echo.Context, b store.Badge) templates.ShareView {
	v := templates.ShareView{Action: fmt.Sprintf("/badges/%d/share", b.ID)}
	sh, err := s.cfg.Store.BadgeShare(c.Request().Context(), b.UserID, b.ID)
	if err == nil && sh.Enabled {
		v.Shared, v.URL = true, s.link("/b/"+sh.Slug)
		v.EmbedURL, v.ShieldURL = s.link("/embed/b/"+sh.Slug), s.link("/embed/b/"+sh.Slug+".svg")
		v.ShowRecipient, v.Indexable = sh.ShowRecipient, sh.Indexable
	}
	return v
}

// share turns sharing on or off, changes its options, or makes a new link.
func (s *Server) share(c echo.Context) error {
	b, err := s.ownBadge(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	now := s.now()
	back := fmt.Sprintf("/badges/%d#share-h", b.ID)
	cur, err := s.cfg.Store.BadgeShare(ctx, b.UserID, b.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	switch c.FormValue("do") {
	case "on":
		if _, err := s.cfg.Store.ShareBadge(ctx, b.UserID, b.ID, rand.Text(), now); err != nil {
			return err
		}
		flash(c, "success", "This badge is now shared: anyone with its link can see it.")
	case "off":
		if err == nil {
			if err := s.cfg.Store.UpdateShare(ctx, b.UserID, b.ID, false, cur.ShowRecipient, cur.Indexable, "", now); err != nil {
				return err
			}
		}
		flash(c, "success", "This badge is private again; its link no longer works.")
	case "rotate":
		if errors.Is(err, store.ErrNotFound) {
			return echo.ErrNotFound
		}
		if err := s.cfg.Store.UpdateShare(ctx, b.UserID, b.ID, true, cur.ShowRecipient, cur.Indexable, rand.Text(), now); err != nil {
			return err
		}
		flash(c, "success", "The badge has a new link; the old one no longer works.")
	case "options":
		if errors.Is(err, store.ErrNotFound) {
			return echo.ErrNotFound
		}
		if err := s.cfg.Store.UpdateShare(ctx, b.UserID, b.ID, cur.Enabled, c.FormValue("show_recipient") == "yes", c.FormValue("indexable") == "yes", "", now); err != nil {
			return err
		}
		flash(c, "success", "Sharing options saved.")
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "unknown share action")
	}
	return s.redirect(c, back)
}

// publicBadge serves /b/{slug} as a page, or as JSON for /b/{slug}.json
// and clients that ask for JSON.
func (s *Server) publicBadge(c echo.Context) error {
	slug, asJSON := strings.CutSuffix(c.Param("slug"), ".json")
	asJSON = asJSON || strings.HasPrefix(c.Request().Header.Get("Accept"), "application/json")
	b, sh, err := s.sharedBadge(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	ob, rep, err := decodeBadge(b)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Referrer-Policy", "no-referrer") // the slug must not leak through outbound links
	if !sh.Indexable {
		h.Set("X-Robots-Tag", "noindex")
	}
	h.Set("Vary", "Accept")
	modified := b.VerifiedAt
	if sh.UpdatedAt.After(modified) {
		modified = sh.UpdatedAt
	}
	tag := etag(slug, asJSON, modified, b.Status, sh.ShowRecipient, sh.Indexable, b.ContentHash)
	h.Set("ETag", tag)
	h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", "public, max-age=60, must-revalidate")
	if notModified(c.Request(), tag, modified) {
		return c.NoContent(http.StatusNotModified)
	}
	ct := b.ImageType
	page := s.link("/b/" + slug)
	if asJSON {
		h.Set("Access-Control-Allow-Origin", "*")
		if !sh.ShowRecipient {
			ob.Recipient = openbadges.Recipient{}
		}
		return c.JSON(http.StatusOK, map[string]any{
			"url": page, "status": b.Status, "statusText": statusText(b.Status, rep),
			"verifiedAt": b.VerifiedAt, "unreachableSince": b.UnreachableSince,
			"image": absoluteOr(s.link, imageURL(b.ImageHash, ct)), "badge": ob, "checks": publicChecks(rep.Checks, sh.ShowRecipient),
		})
	}
	p := templates.PublicBadge{
		CSS: s.css, Icon: s.icon, URL: page, ImagePath: imageURL(b.ImageHash, ct),
		ImageURL: absoluteOr(s.link, imageURL(b.ImageHash, ct)), JSONURL: page + ".json",
		OEmbedURL: s.link("/oembed?format=json&url=" + url.QueryEscape(page)), Indexable: sh.Indexable,
		Name: ob.Name, Description: ob.Description, CriteriaURL: ob.Criteria.URL, CriteriaHTML: renderMarkdown(ob.Criteria.Narrative),
		Issuer:   templates.IssuerView{Name: ob.Issuer.Name, URL: ob.Issuer.URL},
		IssuedOn: ob.IssuedOn, Expires: ob.Expires, Status: b.Status, StatusText: statusText(b.Status, rep),
		VerifiedAt: b.VerifiedAt, Now: s.now(),
	}
	if sh.ShowRecipient {
		p.Recipient = recipientText(b, ob)
	}
	for _, ch := range publicChecks(rep.Checks, sh.ShowRecipient) {
		p.Checks = append(p.Checks, templates.CheckView{Name: ch.Name, OK: ch.OK, Message: ch.Message})
	}
	var buf strings.Builder
	if err := templates.PublicBadgePage(p).Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTML(http.StatusOK, buf.String())
}

// publicChecks hides the recipient check's message (it names the owner's
// address) unless the owner chose to show the recipient.
func publicChecks(checks []openbadges.Check, showRecipient bool) []openbadges.Check {
	out := make([]openbadges.Check, 0, len(checks))
	for _, c := range checks {
		if c.Name == openbadges.CheckRecipient && !showRecipient {
			c.Message = "issued to the person who shares it"
			if !c.OK {
				c.Message = "not issued to the person who shares it"
			}
		}
		out = append(out, c)
	}
	return out
}

func absoluteOr(link func(string) string, path string) string {
	if path == "" {
		return ""
	}
	return link(path)
}

// etag is a strong validator of everything a public response depends on.
func etag(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
}

// notModified answers a conditional request: If-None-Match wins over
// If-Modified-Since (RFC 9110 13.2.2).
func notModified(r *http.Request, tag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			if t = strings.TrimSpace(t); t == tag || t == "*" || strings.TrimPrefix(t, "W/") == tag {
				return true
			}
		}
		return false
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil {
		return !modified.Truncate(time.Second).After(ims)
	}
	return false
}
