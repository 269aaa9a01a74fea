package web

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"backpack/badges"
	"backpack/openbadges"
	"backpack/openbadges/bake"
	"backpack/store"
	"backpack/templates"
)

// badgeStore is what the badge list, badge pages and images need of the store.
type badgeStore interface {
	BadgeByID(ctx context.Context, userID, id int64) (store.Badge, error)
	DeleteBadge(ctx context.Context, userID, id int64) error
	Image(ctx context.Context, hash []byte) (contentType string, b []byte, err error)
	IssuerImage(ctx context.Context, issuerID string) (hash []byte, contentType string, err error)
	Issuers(ctx context.Context, userID int64) ([]string, error)
	ListBadges(ctx context.Context, userID int64, q store.BadgeQuery) (store.BadgeList, error)
	PendingImports(ctx context.Context, userID int64) ([]store.Pending, error)
}

const badgesPerPage = 24

// Route names, for s.url.
const (
	routeBadges        = "badges"
	routeNewBadges     = "badges-new"
	routeBadge         = "badge"
	routeBadgeVerify   = "badge-verify"
	routeBadgeDelete   = "badge-delete"
	routeBadgeDownload = "badge-download"
	routeBadgeShare    = "badge-share"
	routeImage         = "image"
)

func (s *Server) registerBadges(e *echo.Echo) {
	g := s.usersOnly(e, "/badges")
	g.GET("", s.badges).Name = routeBadges
	g.GET("/new", s.newBadges).Name = routeNewBadges
	s.acceptBody(g.POST("", s.addBadges), maxUploadBody, 0).Name = routeBadges
	g.GET("/:id", s.badge).Name = routeBadge
	g.POST("/:id/verify", s.reverify).Name = routeBadgeVerify
	g.POST("/:id/delete", s.deleteBadge).Name = routeBadgeDelete
	g.GET("/:id/download", s.download).Name = routeBadgeDownload
	g.POST("/:id/share", s.share).Name = routeBadgeShare
	e.GET("/img/:file", s.image).Name = routeImage
}

// badges is the backpack: search, filters, sort and pages.
func (s *Server) badges(c echo.Context) error {
	ctx := c.Request().Context()
	user := currentUser(c)
	q := store.BadgeQuery{Search: strings.TrimSpace(c.QueryParam("q")), Status: store.Status(c.QueryParam("status")),
		Issuer: c.QueryParam("issuer"), Sort: c.QueryParam("sort"), Limit: badgesPerPage}
	switch q.Status {
	case "", store.StatusVerified, store.StatusExpired, store.StatusRevoked, store.StatusUnverified:
	default:
		q.Status = ""
	}
	switch q.Sort {
	case "date", "name", "issuer":
	default:
		q.Sort = "date"
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	if page < 1 || page > 100000 {
		page = 1
	}
	q.Offset = (page - 1) * badgesPerPage
	list, err := s.cfg.Store.ListBadges(ctx, user.ID, q)
	if err != nil {
		return err
	}
	issuers, err := s.cfg.Store.Issuers(ctx, user.ID)
	if err != nil {
		return err
	}
	pending, err := s.cfg.Store.PendingImports(ctx, user.ID)
	if err != nil {
		return err
	}
	v := templates.BadgeList{Total: list.Total, All: list.All, Query: q.Search, Status: string(q.Status), Issuer: q.Issuer,
		Sort: q.Sort, Issuers: issuers, Page: page, Pages: max(1, (list.Total+badgesPerPage-1)/badgesPerPage)}
	for _, b := range list.Items {
		v.Cards = append(v.Cards, templates.BadgeCard{ID: b.ID, URL: s.url(routeBadge, b.ID), Name: b.Name,
			Issuer: b.IssuerName, ImageURL: s.imageURL(b.ImageHash, b.ImageType), IssuedOn: b.IssuedOn, Status: statusKey(b.Status)})
	}
	for _, p := range pending {
		who, _ := openbadges.ReadableRecipient(openbadges.Recipient{Identity: p.RecipientIdentity, Hashed: p.Hashed})
		v.Pending = append(v.Pending, templates.Pending{ID: p.ID, Name: p.Name, Identity: who})
	}
	pageURL := func(n int) string {
		u := url.Values{}
		for k, val := range map[string]string{"q": q.Search, "status": string(q.Status), "issuer": q.Issuer} {
			if val != "" {
				u.Set(k, val)
			}
		}
		if q.Sort != "date" {
			u.Set("sort", q.Sort)
		}
		if n > 1 {
			u.Set("page", strconv.Itoa(n))
		}
		if len(u) == 0 {
			return s.url(routeBadges)
		}
		return s.url(routeBadges) + "?" + u.Encode()
	}
	if page > 1 {
		v.PrevURL = pageURL(page - 1)
	}
	if page < v.Pages {
		v.NextURL = pageURL(page + 1)
	}
	return s.render(c, http.StatusOK, templates.BadgeListPage(s.base(c, "My badges"), v))
}

func (s *Server) newBadges(c echo.Context) error {
	v := templates.AddBadges{Form: newForm(), MaxFiles: maxFiles, MaxFileMB: maxFileBytes >> 20, MaxZipBadges: badges.MaxJobItems}
	return s.render(c, http.StatusOK, templates.AddBadgesPage(s.base(c, "Add badges"), v))
}

// ownBadge loads the badge in the URL; another user's is a 404.
func (s *Server) ownBadge(c echo.Context) (store.Badge, error) {
	return own(c, s.cfg.Store.BadgeByID)
}

// own loads the signed-in user's object named by the URL's :id with get.
// A malformed id, a missing object and another user's object are the same
// 404, so ids reveal nothing about other accounts.
func own[T any](c echo.Context, get func(ctx context.Context, userID, id int64) (T, error)) (T, error) {
	var zero T
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return zero, echo.ErrNotFound
	}
	v, err := get(c.Request().Context(), currentUser(c).ID, id)
	return v, err
}

func (s *Server) badge(c echo.Context) error {
	b, err := s.ownBadge(c)
	if err != nil {
		return err
	}
	ob, rep, err := b.Documents()
	if err != nil {
		return err
	}
	ct := b.ImageType
	v := templates.BadgeDetail{
		ID: b.ID, Name: ob.Name, Description: ob.Description, ImageURL: s.imageURL(b.ImageHash, ct),
		CriteriaURL: ob.Criteria.URL, CriteriaHTML: renderMarkdown(ob.Criteria.Narrative),
		Issuer:   templates.IssuerView{Name: ob.Issuer.Name, URL: ob.Issuer.URL, Email: ob.Issuer.Email},
		IssuedOn: ob.IssuedOn, Expires: ob.Expires, Tags: ob.Tags, Recipient: recipientText(b, ob),
		Status: statusKey(b.Status), StatusText: statusText(b.Status, rep), Spec: b.Spec, Format: b.Format,
		VerifiedAt: b.VerifiedAt, Now: s.now(), Unreachable: b.UnreachableSince,
		VerifyAction: s.url(routeBadgeVerify, b.ID), DeleteAction: s.url(routeBadgeDelete, b.ID),
	}
	for _, e := range ob.Evidence {
		v.Evidence = append(v.Evidence, templates.EvidenceView{URL: e.ID, Name: e.Name, Description: e.Description, Narrative: e.Narrative})
	}
	for _, a := range ob.Alignments {
		v.Alignments = append(v.Alignments, templates.AlignmentView{Name: a.TargetName, URL: a.TargetURL, Description: a.TargetDescription, Framework: a.TargetFramework, Code: a.TargetCode})
	}
	v.Checks = checkViews(rep.Checks)
	for _, w := range rep.Warnings {
		v.Warnings = append(v.Warnings, w.Message)
	}
	v.Downloads = downloads(s.url(routeBadgeDownload, b.ID), b, ct)
	v.Share = s.shareView(c, b)
	if err := s.badgeCollections(c, b, &v); err != nil {
		return err
	}
	if hash, ict, err := s.cfg.Store.IssuerImage(c.Request().Context(), ob.Issuer.ID); err == nil {
		v.Issuer.ImageURL = s.imageURL(hash, ict)
	}
	return s.render(c, http.StatusOK, templates.BadgeDetailPage(s.base(c, ob.Name), v))
}

func recipientText(b store.Badge, ob openbadges.Badge) string {
	if b.Recipient != "" {
		return b.Recipient
	}
	if s, ok := openbadges.ReadableRecipient(ob.Recipient); ok {
		return s
	}
	return "a hashed identity"
}

// downloads lists what can be downloaded for a badge from base, its
// download address.
func downloads(base string, b store.Badge, imageType string) []templates.Link {
	links := []templates.Link{{Label: "Original file (" + strings.ToUpper(b.OriginalType) + ")", URL: base}}
	if b.OriginalType != "png" && b.OriginalType != "svg" && imageType != "" {
		if imageType == "image/svg+xml" {
			links = append(links, templates.Link{Label: "Baked SVG image", URL: base + "?format=svg"})
		} else {
			links = append(links, templates.Link{Label: "Baked PNG image", URL: base + "?format=png"})
		}
	}
	links = append(links, templates.Link{Label: "Badge data (JSON)", URL: base + "?format=json"})
	return links
}

// reverify checks the badge again now.
func (s *Server) reverify(c echo.Context) error {
	b, err := s.ownBadge(c)
	if err != nil {
		return err
	}
	v, err := s.core.Check(c.Request().Context(), b)
	if err != nil {
		return err
	}
	switch {
	case !v.Reachable:
		flash(c, "error", "The issuer could not be reached; the badge keeps its last result.")
	case v.Status == store.StatusVerified:
		flash(c, "success", "Verified just now.")
	default:
		flash(c, "info", "Checked just now: "+statusLabel(v.Status)+".")
	}
	return s.redirect(c, s.url(routeBadge, b.ID))
}

func (s *Server) deleteBadge(c echo.Context) error {
	b, err := s.ownBadge(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		flash(c, "error", "Tick the box to confirm you want to delete this badge.")
		return s.redirect(c, s.url(routeBadge, b.ID))
	}
	if err := s.cfg.Store.DeleteBadge(c.Request().Context(), b.UserID, b.ID); err != nil {
		return err
	}
	flash(c, "success", "Deleted "+truncateText(b.Name, 80)+".")
	return s.redirect(c, s.url(routeBadges))
}

// download sends the original, the badge JSON, or a baked image.
func (s *Server) download(c echo.Context) error {
	b, err := s.ownBadge(c)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", userContentCSP)
	name := "badge-" + strconv.FormatInt(b.ID, 10)
	attach := func(ext, ctype string, body []byte) error {
		h.Set("Content-Disposition", `attachment; filename="`+name+ext+`"`)
		return c.Blob(http.StatusOK, ctype, body)
	}
	switch c.QueryParam("format") {
	case "":
		return attach(badges.OriginalExt(b.OriginalType), originalType(b.OriginalType), b.Original)
	case "json":
		if b.OriginalType == "json" || b.OriginalType == "jws" {
			return attach(badges.OriginalExt(b.OriginalType), originalType(b.OriginalType), b.Original)
		}
		return attach(".json", "application/json", b.BadgeJSON)
	case "png", "svg":
		baked, ct, err := s.bakedBadge(c.Request().Context(), b)
		if err != nil {
			return err
		}
		ext := ".png"
		if ct == "image/svg+xml" {
			ext = ".svg"
		}
		return attach(ext, ct, baked)
	}
	return echo.ErrNotFound
}

// bakedBadge is the badge as a baked image: the original file when it came
// baked, else its image with the original assertion baked in.
func (s *Server) bakedBadge(ctx context.Context, b store.Badge) ([]byte, string, error) {
	if b.OriginalType == "png" || b.OriginalType == "svg" {
		return b.Original, originalType(b.OriginalType), nil
	}
	if len(b.ImageHash) == 0 {
		return nil, "", echo.ErrNotFound
	}
	baked, ext, ok := badges.BakeStored(b, func(hash []byte) (string, []byte, error) { return s.cfg.Store.Image(ctx, hash) })
	if !ok {
		return nil, "", echo.NewHTTPError(http.StatusUnprocessableEntity, "cannot bake")
	}
	return baked, originalType(strings.TrimPrefix(ext, ".")), nil
}

func originalType(t string) string {
	return map[string]string{"png": "image/png", "svg": "image/svg+xml", "json": "application/json",
		"jws": "application/jose", "url": "text/plain; charset=utf-8"}[t]
}

// userContentCSP makes content from issuers inert wherever it is opened:
// no script, no plugins, no requests, a unique origin.
const userContentCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"

// image serves a stored badge image by its content hash, cacheable for a
// year, and inert: an SVG with script cannot run on Backpack's origin. It
// serves the picture only: a baked upload is stored as it came, and its
// badge names the recipient, so it is stripped (bake.Strip) on the way
// out, whoever asks; the same bytes every time, under the same address.
// An image that cannot be stripped is not served.
func (s *Server) image(c echo.Context) error {
	file := c.Param("file")
	name, ext, _ := strings.Cut(file, ".")
	hash, err := hex.DecodeString(name)
	if err != nil || len(hash) != 32 || (ext != "png" && ext != "svg") {
		return echo.ErrNotFound
	}
	ct, b, err := s.cfg.Store.Image(c.Request().Context(), hash)
	if err != nil {
		return err
	}
	if (ext == "svg") != (ct == "image/svg+xml") {
		return echo.ErrNotFound
	}
	if b, err = bake.Strip(b); err != nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", userContentCSP)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	return c.Blob(http.StatusOK, ct, b)
}
