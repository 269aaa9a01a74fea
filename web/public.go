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
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/openbadges"
	"backpack/openbadges/problem"
	"backpack/store"
	"backpack/templates"
)

// Public pages of shared badges: /b/{slug} and its JSON twin. They render
// from stored data only (no network in the request path), set no cookies,
// are cacheable with revalidation, and show nothing the owner did not
// choose to share.

// publicStore is what shared badges and public collections need of the store.
type publicStore interface {
	BadgeShare(ctx context.Context, userID, badgeID int64) (store.Share, error)
	CollectionBadges(ctx context.Context, collectionID int64) ([]store.Badge, error)
	ShareBadge(ctx context.Context, userID, badgeID int64, slug string, now time.Time) (store.Share, error)
	SharedBadge(ctx context.Context, slug string) (store.Badge, store.Share, error)
	SharedCollection(ctx context.Context, slug string) (store.Collection, error)
	UpdateShare(ctx context.Context, userID, badgeID int64, enabled, showRecipient, indexable bool, newSlug string, now time.Time) error
}

// Route names, for s.url.
const (
	routePublicBadge       = "public-badge"
	routePublicBadgeFile   = "public-badge-file"
	routePublicBadgeVerify = "public-badge-verify"
	routeOEmbed            = "oembed"
)

func (s *Server) registerPublic(e *echo.Echo) {
	e.GET("/b/:slug", s.publicBadge, s.cachedPublic).Name = routePublicBadge
	e.GET("/b/:slug/:file", s.publicBadgeFile).Name = routePublicBadgeFile
	e.POST("/b/:slug/verify", s.verifySharedBadge).Name = routePublicBadgeVerify
	e.GET("/oembed", s.oembed).Name = routeOEmbed
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
	return b, sh, err
}

// sharedCollection looks up the collection shared under slug and its
// badges, in order; anything else is a 404.
func (s *Server) sharedCollection(ctx context.Context, slug string) (store.Collection, []store.Badge, error) {
	if !plausibleSlug(slug) {
		return store.Collection{}, nil, echo.ErrNotFound
	}
	col, err := s.cfg.Store.SharedCollection(ctx, slug)
	if err != nil {
		return store.Collection{}, nil, err
	}
	badges, err := s.cfg.Store.CollectionBadges(ctx, col.ID)
	return col, badges, err
}

// decodeBadge reads the badge and its verification report as stored.
func decodeBadge(b store.Badge) (openbadges.Badge, openbadges.Report, error) {
	var ob openbadges.Badge
	if err := json.Unmarshal(b.BadgeJSON, &ob); err != nil {
		return ob, openbadges.Report{}, err
	}
	rep, err := storedReport(b)
	return ob, rep, err
}

// storedReport reads a badge's verification report as stored.
func storedReport(b store.Badge) (openbadges.Report, error) {
	var rep openbadges.Report
	err := json.Unmarshal(b.ReportJSON, &rep)
	return rep, err
}

// oembed describes one of Backpack's own public pages, /b/{slug} or
// /c/{slug}, as a rich embed: the widget's iframe, sized to fit maxwidth
// and maxheight. The url is only parsed, never fetched: anything else is
// a 404.
func (s *Server) oembed(c echo.Context) error {
	if f := c.QueryParam("format"); f != "" && f != "json" {
		return echo.NewHTTPError(http.StatusNotImplemented, "only format=json")
	}
	u, err := url.Parse(c.QueryParam("url"))
	if err != nil || !strings.EqualFold(u.Host, s.cfg.BaseURL.Host) {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	out := map[string]any{"version": "1.0", "type": "rich", "provider_name": "Backpack", "provider_url": s.link(s.url(routeHome)), "cache_age": 300}
	kind, slug, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	w, h := 320, 130
	embed := routeEmbedBadge
	switch kind {
	case "b":
		b, _, err := s.sharedBadge(ctx, slug)
		if err != nil {
			return err
		}
		out["title"], out["author_name"] = b.Name, b.IssuerName
	case "c":
		col, badges, err := s.sharedCollection(ctx, slug)
		if err != nil {
			return err
		}
		out["title"], embed = col.Name, routeEmbedCollection
		if col.OwnerName != "" {
			out["author_name"] = col.OwnerName
		}
		// Two cards a row in 640 pixels, about 100 pixels a row, and the
		// footer; the script snippet corrects the height on the page.
		w, h = 640, 60+100*((len(badges)+1)/2)
	default:
		return echo.ErrNotFound
	}
	if mw, err := strconv.Atoi(c.QueryParam("maxwidth")); err == nil && mw > 0 && mw < w {
		w = mw
	}
	if mh, err := strconv.Atoi(c.QueryParam("maxheight")); err == nil && mh > 0 && mh < h {
		h = mh
	}
	out["width"], out["height"] = w, h
	out["html"] = templates.IframeHTML(s.link(s.url(embed, slug)), out["title"].(string), w, h)
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, out)
}

// shareView describes the share of badge b for its page, or no share.
func (s *Server) shareView(c echo.Context, b store.Badge) templates.ShareView {
	v := templates.ShareView{Action: s.url(routeBadgeShare, b.ID)}
	sh, err := s.cfg.Store.BadgeShare(c.Request().Context(), b.UserID, b.ID)
	if err == nil && sh.Enabled {
		v.Shared, v.URL = true, s.link(s.url(routePublicBadge, sh.Slug))
		v.ShowRecipient, v.Indexable = sh.ShowRecipient, sh.Indexable
		v.Out = s.shareOut("b", sh.Slug)
		v.Out.ShieldURL = s.link(s.url(routeEmbedBadge, sh.Slug+".svg"))
		if ob, _, err := decodeBadge(b); err == nil {
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
	setOwner(c, b.UserID)
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
	checked := checkedNotice(c.QueryParam("checked"))
	modified, parts := badgeVersion(b, sh)
	h.Set("Cache-Control", "public, max-age=60, must-revalidate")
	if revalidate(c, etag(append(parts, slug, asJSON, checked)...), modified) {
		return c.NoContent(http.StatusNotModified)
	}
	ct := b.ImageType
	page := s.link(s.url(routePublicBadge, slug))
	if asJSON {
		h.Set("Access-Control-Allow-Origin", "*")
		if !sh.ShowRecipient {
			ob.Recipient = openbadges.Recipient{}
		}
		return c.JSON(http.StatusOK, map[string]any{
			"url": page, "status": statusKey(b.Status), "statusText": publicStatusText(b.Status, rep, sh.ShowRecipient),
			"verifiedAt": b.VerifiedAt, "unreachableSince": b.UnreachableSince,
			"image": absoluteOr(s.link, s.imageURL(b.ImageHash, ct)), "badge": ob, "checks": publicChecks(rep.Checks, sh.ShowRecipient),
		})
	}
	p := templates.PublicBadge{
		CSS: s.css, Icon: s.icon, URL: page, ImagePath: s.imageURL(b.ImageHash, ct),
		ImageURL: absoluteOr(s.link, s.imageURL(b.ImageHash, ct)), JSONURL: page + ".json",
		OEmbedURL: s.oembedURL(page), Indexable: sh.Indexable,
		Name: ob.Name, Description: ob.Description, CriteriaURL: ob.Criteria.URL, CriteriaHTML: renderMarkdown(ob.Criteria.Narrative),
		Issuer:   templates.IssuerView{Name: ob.Issuer.Name, URL: ob.Issuer.URL},
		IssuedOn: ob.IssuedOn, Expires: ob.Expires, Status: statusKey(b.Status), StatusText: publicStatusText(b.Status, rep, sh.ShowRecipient),
		VerifiedAt: b.VerifiedAt, Now: s.now(), Unreachable: b.UnreachableSince, Owner: sh.OwnerName,
		VerifyAction: s.url(routePublicBadgeVerify, slug), Checked: checked,
	}
	if sh.ShowRecipient {
		p.Recipient = recipientText(b, ob)
	}
	p.Checks = checkViews(publicChecks(rep.Checks, sh.ShowRecipient))
	if publicDownload(b, ob, sh) {
		p.DownloadURL = s.url(routePublicBadgeFile, slug, bakedName(b))
	}
	var buf strings.Builder
	if err := templates.PublicBadgePage(p).Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTML(http.StatusOK, buf.String())
}

// publicStatusText is statusText for viewers: the reason a badge could not
// be verified names a recipient when it is a recipient mismatch, so that
// reason is told without it unless the owner shows the recipient.
func publicStatusText(status store.Status, rep openbadges.Report, showRecipient bool) string {
	if !showRecipient && len(rep.Errors) > 0 && rep.Errors[0].Code == problem.RecipientMismatch {
		return "Could not verify: not issued to the person who shares it"
	}
	return statusText(status, rep)
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

// badgeVersion is when a shared badge's public responses last changed,
// and what they depend on (for their ETag).
func badgeVersion(b store.Badge, sh store.Share) (time.Time, []any) {
	modified := b.VerifiedAt
	if sh.UpdatedAt.After(modified) {
		modified = sh.UpdatedAt
	}
	return modified, []any{b.ID, b.Status, b.Name, b.IssuerName, b.ImageHash, b.ContentHash, b.VerifiedAt.Unix(),
		sh.ShowRecipient, sh.Indexable, sh.OwnerName}
}

// collectionVersion is badgeVersion for a shared collection and its badges.
func collectionVersion(col store.Collection, badges []store.Badge) (time.Time, []any) {
	modified := col.UpdatedAt
	parts := []any{col.UpdatedAt, col.Name, col.Description, col.Indexable, col.OwnerName}
	for _, b := range badges {
		if b.VerifiedAt.After(modified) {
			modified = b.VerifiedAt
		}
		parts = append(parts, b.ID, b.Status, b.Name, b.IssuerName, b.ImageHash, b.VerifiedAt.Unix())
	}
	return modified, parts
}

// revalidate sets a public response's validators and reports whether the
// client's conditional request says it has the response already.
func revalidate(c echo.Context, tag string, modified time.Time) bool {
	h := c.Response().Header()
	h.Set("ETag", tag)
	h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	return notModified(c.Request(), tag, modified)
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

// publicBadgeFile serves what hangs off a public badge page: the QR code of
// its link (qr.svg, qr.png) and the baked badge (badge.png or badge.svg).
func (s *Server) publicBadgeFile(c echo.Context) error {
	slug := c.Param("slug")
	b, sh, err := s.sharedBadge(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	switch file := c.Param("file"); file {
	case "qr.svg", "qr.png":
		return qrResponse(c, s.link(s.url(routePublicBadge, slug)), strings.TrimPrefix(file, "qr."))
	case bakedName(b):
		ob, _, err := decodeBadge(b)
		if err != nil {
			return err
		}
		if !publicDownload(b, ob, sh) {
			return echo.ErrNotFound
		}
		body, ct, err := s.bakedBadge(c.Request().Context(), b)
		if err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set("Content-Security-Policy", userContentCSP)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "public, max-age=60, must-revalidate")
		h.Set("Content-Disposition", `attachment; filename="`+downloadName(b.Name)+path.Ext(file)+`"`)
		return c.Blob(http.StatusOK, ct, body)
	}
	return echo.ErrNotFound
}

// bakedName is the file name of a badge's baked image on its public page,
// or "" when it has no image to bake into.
func bakedName(b store.Badge) string {
	switch {
	case b.OriginalType == "png" || b.OriginalType == "svg":
		return "badge." + b.OriginalType
	case b.ImageType == "image/svg+xml":
		return "badge.svg"
	case b.ImageType == "image/png":
		return "badge.png"
	}
	return ""
}

// publicDownload reports whether viewers may download the baked badge. The
// file carries the assertion, so it is offered only when that names no
// readable recipient, or the owner chose to show the recipient.
func publicDownload(b store.Badge, ob openbadges.Badge, sh store.Share) bool {
	if bakedName(b) == "" {
		return false
	}
	_, readable := openbadges.ReadableRecipient(ob.Recipient)
	return sh.ShowRecipient || !readable
}

// downloadName makes a badge name safe as a file name.
func downloadName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			b.WriteRune('-')
		}
		if b.Len() >= 60 {
			break
		}
	}
	if b.Len() == 0 {
		return "badge"
	}
	return b.String()
}
