package web

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/openbadges"
	"backpack/store"
	"backpack/templates"
)

// The owner's side of sharing a badge: turning its public link on and off,
// its options, and what the badge page offers to do with a live link. The
// public pages themselves are in public.go.

// shareView describes the share of badge b for its page, or no share.
func (s *Server) shareView(c echo.Context, b store.Badge) templates.ShareView {
	v := templates.ShareView{Action: s.url(routeBadgeShare, b.ID)}
	sh, err := s.cfg.Store.BadgeShare(c.Request().Context(), b.UserID, b.ID)
	if err == nil && sh.Enabled {
		v.Shared, v.URL = true, s.link(s.url(routePublicBadge, sh.Slug))
		v.ShowRecipient, v.Indexable, v.ShareOriginal = sh.ShowRecipient, sh.Indexable, sh.ShareOriginal
		v.Out = s.shareOut("b", sh.Slug)
		v.Out.ShieldURL = s.link(s.url(routeEmbedBadge, sh.Slug+".svg"))
		if ob, _, err := b.Documents(); err == nil {
			v.Out.LinkedIn = linkedInURL(ob, v.URL)
		}
	}
	return v
}

// shareOut fills the copy, QR and embed options of a live link: kind is
// "b" for a badge, "c" for a collection.
func (s *Server) shareOut(kind, slug string) templates.ShareOut {
	what, pageRoute, fileRoute, embedRoute := "badge", routePublicBadge, routePublicBadgeFile, routeEmbedBadge
	if kind == "c" {
		what, pageRoute, fileRoute, embedRoute = "collection", routePublicCollection, routePublicCollectionFile, routeEmbedCollection
	}
	page := s.link(s.url(pageRoute, slug))
	return templates.ShareOut{Kind: what, URL: page, EmbedURL: s.link(s.url(embedRoute, slug)),
		ScriptURL: s.link(s.url(routeEmbedLoader)), QRURL: s.url(fileRoute, slug, "qr"), // the page adds .svg or .png
		OEmbedURL: s.oembedURL(page)}
}

// oembedURL is the oEmbed address that describes page, a public page.
func (s *Server) oembedURL(page string) string {
	return s.link(s.url(routeOEmbed) + "?format=json&url=" + url.QueryEscape(page))
}

// linkedInURL is LinkedIn's "Add to profile" link for a certification,
// pre-filled with the badge: name, issuer, issue and expiry month, the
// public page as the credential URL and the badge's id as credential id.
func linkedInURL(ob openbadges.Badge, page string) string {
	q := url.Values{"startTask": {"CERTIFICATION_NAME"}, "name": {ob.Name}, "organizationName": {ob.Issuer.Name}, "certUrl": {page}}
	if !ob.IssuedOn.IsZero() {
		q.Set("issueYear", strconv.Itoa(ob.IssuedOn.Year()))
		q.Set("issueMonth", strconv.Itoa(int(ob.IssuedOn.Month())))
	}
	if ob.Expires != nil {
		q.Set("expirationYear", strconv.Itoa(ob.Expires.Year()))
		q.Set("expirationMonth", strconv.Itoa(int(ob.Expires.Month())))
	}
	if ob.ID != "" {
		q.Set("certId", ob.ID)
	}
	return "https://www.linkedin.com/profile/add?" + q.Encode()
}

// shareStore is what sharing a badge needs of the store.
type shareStore interface {
	BadgeShare(ctx context.Context, userID, badgeID int64) (store.Share, error)
	ShareBadge(ctx context.Context, userID, badgeID int64, slug string, now time.Time) (store.Share, error)
	UpdateShare(ctx context.Context, userID, badgeID int64, enabled, showRecipient, indexable bool, newSlug string, now time.Time) error
	UpdateShareOptions(ctx context.Context, userID, badgeID int64, o store.ShareOptions, now time.Time) error
}

// share turns sharing on or off, changes its options, or makes a new link.
func (s *Server) share(c echo.Context) error {
	b, err := s.ownBadge(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	now := s.now()
	back := s.url(routeBadge, b.ID) + "#share-h"
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
		if err != nil {
			return err
		}
		if err := s.cfg.Store.UpdateShare(ctx, b.UserID, b.ID, true, cur.ShowRecipient, cur.Indexable, rand.Text(), now); err != nil {
			return err
		}
		flash(c, "success", "The badge has a new link; the old one no longer works.")
	case "options":
		if err != nil {
			return err
		}
		o := store.ShareOptions{ShowRecipient: c.FormValue("show_recipient") == "yes", Indexable: c.FormValue("indexable") == "yes",
			ShareOriginal: c.FormValue("share_original") == "yes"}
		if err := s.cfg.Store.UpdateShareOptions(ctx, b.UserID, b.ID, o, now); err != nil {
			return err
		}
		flash(c, "success", "Sharing options saved.")
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "unknown share action")
	}
	return s.redirect(c, back)
}
