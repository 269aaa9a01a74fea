package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/badges"
	"backpack/store"
	"backpack/templates"
)

// Collections: named, ordered groups of badges, private or shared by link.
// A shared collection's public page is in public.go.

// collectionStore is what the collection pages need of the store.
type collectionStore interface {
	AddToCollection(ctx context.Context, userID, collectionID, badgeID int64, now time.Time) error
	CollectionBadges(ctx context.Context, collectionID int64) ([]store.Badge, error)
	CollectionByID(ctx context.Context, userID, id int64) (store.Collection, error)
	CollectionIDsOf(ctx context.Context, userID, badgeID int64) (map[int64]bool, error)
	Collections(ctx context.Context, userID int64) ([]store.Collection, error)
	CreateCollection(ctx context.Context, userID int64, name, description, slug string, now time.Time) (int64, error)
	DeleteCollection(ctx context.Context, userID, id int64) error
	ListBadges(ctx context.Context, userID int64, q store.BadgeQuery) (store.BadgeList, error)
	MoveInCollection(ctx context.Context, userID, collectionID, badgeID int64, delta int, now time.Time) error
	RemoveFromCollection(ctx context.Context, userID, collectionID, badgeID int64, now time.Time) error
	SetCollectionOrder(ctx context.Context, userID, collectionID int64, badgeIDs []int64, now time.Time) error
	UpdateCollection(ctx context.Context, userID, id int64, name, description string, shared, indexable bool, newSlug string, now time.Time) error
}

// The limits of a collection, shared with what an import brings back.
const (
	maxCollectionName        = badges.MaxCollectionName
	maxCollectionDescription = badges.MaxCollectionDescription
)

// Route names, for s.url.
const (
	routeCollections            = "collections"
	routeCollectionsAdd         = "collections-add"
	routeCollection             = "collection"
	routeCollectionEdit         = "collection-edit"
	routeCollectionShare        = "collection-share"
	routeCollectionAdd          = "collection-add"
	routeCollectionRemove       = "collection-remove"
	routeCollectionMove         = "collection-move"
	routeCollectionOrder        = "collection-order"
	routeCollectionDelete       = "collection-delete"
	routePublicCollection       = "public-collection"
	routePublicCollectionFile   = "public-collection-file"
	routePublicCollectionVerify = "public-collection-verify"
)

func (s *Server) registerCollections(e *echo.Echo) {
	g := s.usersOnly(e, "/collections")
	g.GET("", s.collections).Name = routeCollections
	g.POST("", s.createCollection).Name = routeCollections
	g.POST("/add", s.addFromBadgePage).Name = routeCollectionsAdd
	g.GET("/:id", s.collection).Name = routeCollection
	g.POST("/:id/edit", s.editCollection).Name = routeCollectionEdit
	g.POST("/:id/share", s.shareCollection).Name = routeCollectionShare
	g.POST("/:id/add", s.addToCollection).Name = routeCollectionAdd
	g.POST("/:id/remove", s.removeFromCollection).Name = routeCollectionRemove
	g.POST("/:id/move", s.moveInCollection).Name = routeCollectionMove
	g.POST("/:id/order", s.orderCollection).Name = routeCollectionOrder
	g.POST("/:id/delete", s.deleteCollection).Name = routeCollectionDelete
	e.GET("/c/:slug", s.publicCollection, s.cachedPublic).Name = routePublicCollection
	e.GET("/c/:slug/:file", s.publicCollectionFile).Name = routePublicCollectionFile
	e.POST("/c/:slug/verify", s.verifyCollectionBadge).Name = routePublicCollectionVerify
}

func (s *Server) collections(c echo.Context) error {
	return s.renderCollections(c, http.StatusOK, newForm())
}

func (s *Server) renderCollections(c echo.Context, status int, f templates.Form) error {
	list, err := s.cfg.Store.Collections(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	v := templates.CollectionsList{Form: f}
	for _, col := range list {
		v.Items = append(v.Items, templates.CollectionItem{URL: s.url(routeCollection, col.ID), Name: col.Name, Count: col.Count, Shared: col.Shared})
	}
	return s.render(c, status, templates.CollectionsPage(s.base(c, "Collections"), v))
}

// collectionForm reads and checks the name and description fields.
func collectionForm(c echo.Context) (name, desc string, f templates.Form) {
	f = newForm()
	name, desc = strings.TrimSpace(c.FormValue("name")), strings.TrimSpace(c.FormValue("description"))
	f.Values["name"], f.Values["description"] = name, desc
	switch {
	case name == "":
		f.Errors["name"] = "Give the collection a name."
	case len([]rune(name)) > maxCollectionName:
		f.Errors["name"] = fmt.Sprintf("Use at most %d characters.", maxCollectionName)
	}
	if len(desc) > maxCollectionDescription {
		f.Errors["description"] = "Use at most 10,000 characters."
	}
	return name, desc, f
}

func (s *Server) createCollection(c echo.Context) error {
	name, desc, f := collectionForm(c)
	if f.HasErrors() {
		return s.renderCollections(c, http.StatusUnprocessableEntity, f)
	}
	id, err := s.cfg.Store.CreateCollection(c.Request().Context(), currentUser(c).ID, name, desc, rand.Text(), s.now())
	if err != nil {
		return err
	}
	flash(c, "success", "Collection created. Add badges to it below.")
	return s.redirect(c, s.url(routeCollection, id))
}

func (s *Server) ownCollection(c echo.Context) (store.Collection, error) {
	return own(c, s.cfg.Store.CollectionByID)
}

func (s *Server) collection(c echo.Context) error {
	col, err := s.ownCollection(c)
	if err != nil {
		return err
	}
	f := newForm()
	f.Values["name"], f.Values["description"] = col.Name, col.Description
	return s.renderCollection(c, http.StatusOK, col, f)
}

func (s *Server) renderCollection(c echo.Context, status int, col store.Collection, f templates.Form) error {
	ctx := c.Request().Context()
	badges, err := s.cfg.Store.CollectionBadges(ctx, col.ID)
	if err != nil {
		return err
	}
	all, err := s.cfg.Store.ListBadges(ctx, col.UserID, store.BadgeQuery{Sort: "name", Limit: store.MaxPageSize})
	if err != nil {
		return err
	}
	v := templates.CollectionView{ID: col.ID, Action: s.url(routeCollection, col.ID), Name: col.Name,
		Description: col.Description, DescHTML: renderMarkdown(col.Description), Shared: col.Shared,
		Indexable: col.Indexable, PublicURL: s.link(s.url(routePublicCollection, col.Slug)), Out: s.shareOut("c", col.Slug), Form: f}
	in := map[int64]bool{}
	for i, b := range badges {
		in[b.ID] = true
		v.Badges = append(v.Badges, s.collectionBadge(b, i == 0, i == len(badges)-1))
	}
	for _, b := range all.Items {
		if !in[b.ID] {
			v.Addable = append(v.Addable, templates.Option{Value: strconv.FormatInt(b.ID, 10), Label: b.Name + " — " + b.IssuerName})
		}
	}
	return s.render(c, status, templates.CollectionPage(s.base(c, col.Name), v))
}

func (s *Server) collectionBadge(b store.Badge, first, last bool) templates.CollectionBadge {
	return templates.CollectionBadge{ID: b.ID, URL: s.url(routeBadge, b.ID), Name: b.Name, Issuer: b.IssuerName,
		ImageURL: s.imageURL(b.ImageHash, b.ImageType), IssuedOn: b.IssuedOn, Expires: b.Expires, Status: statusKey(b.Status),
		First: first, Last: last, VerifiedAt: b.VerifiedAt, Reason: statusReason(b)}
}

// statusReason says why a badge is revoked or could not be verified, as
// viewers may read it, or "" for the other statuses.
func statusReason(b store.Badge) string {
	if b.Status != store.StatusRevoked && b.Status != store.StatusUnverified {
		return ""
	}
	rep, err := b.Report()
	if err != nil {
		return ""
	}
	return publicStatusText(b.Status, rep, false)
}

func (s *Server) editCollection(c echo.Context) error {
	col, err := s.ownCollection(c)
	if err != nil {
		return err
	}
	name, desc, f := collectionForm(c)
	if f.HasErrors() {
		return s.renderCollection(c, http.StatusUnprocessableEntity, col, f)
	}
	if err := s.cfg.Store.UpdateCollection(c.Request().Context(), col.UserID, col.ID, name, desc, col.Shared, col.Indexable, "", s.now()); err != nil {
		return err
	}
	flash(c, "success", "Saved.")
	return s.redirect(c, s.url(routeCollection, col.ID))
}

func (s *Server) shareCollection(c echo.Context) error {
	col, err := s.ownCollection(c)
	if err != nil {
		return err
	}
	shared, indexable, slug := col.Shared, col.Indexable, ""
	switch c.FormValue("do") {
	case "options":
		indexable = c.FormValue("indexable") == "yes"
		flash(c, "success", "Sharing options saved.")
	case "on":
		if !col.Shared {
			// A link that was turned off stays dead: sharing again makes a
			// new one, so a link the owner took back is never revived.
			slug = rand.Text()
		}
		shared = true
		flash(c, "success", "This collection is now shared: anyone with its link can see it.")
	case "off":
		shared = false
		flash(c, "success", "This collection is private again; its link no longer works.")
	case "rotate":
		shared, slug = true, rand.Text()
		flash(c, "success", "The collection has a new link; the old one no longer works.")
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "unknown share action")
	}
	if err := s.cfg.Store.UpdateCollection(c.Request().Context(), col.UserID, col.ID, col.Name, col.Description, shared, indexable, slug, s.now()); err != nil {
		return err
	}
	return s.redirect(c, s.url(routeCollection, col.ID)+"#cshare-h")
}

// badgeField reads the badge_id field of a collection form.
func badgeField(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.FormValue("badge_id"), 10, 64)
	if err != nil {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

func (s *Server) addToCollection(c echo.Context) error {
	col, err := s.ownCollection(c)
	if err != nil {
		return err
	}
	id, err := badgeField(c)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.AddToCollection(c.Request().Context(), col.UserID, col.ID, id, s.now()); err != nil {
		return err
	}
	flash(c, "success", "Added to "+col.Name+".")
	return s.redirect(c, s.url(routeCollection, col.ID)+"#cbadges-h")
}

// addFromBadgePage adds the badge shown on its page to a collection.
func (s *Server) addFromBadgePage(c echo.Context) error {
	badgeID, err := badgeField(c)
	if err != nil {
		return err
	}
	colID, err := strconv.ParseInt(c.FormValue("collection_id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	if err := s.cfg.Store.AddToCollection(c.Request().Context(), currentUser(c).ID, colID, badgeID, s.now()); err != nil {
		return err
	}
	flash(c, "success", "Added to the collection.")
	return s.redirect(c, s.url(routeBadge, badgeID)+"#bcol-h")
}

// badgeCollections fills the badge page's collections section.
func (s *Server) badgeCollections(c echo.Context, b store.Badge, v *templates.BadgeDetail) error {
	ctx := c.Request().Context()
	cols, err := s.cfg.Store.Collections(ctx, b.UserID)
	if err != nil {
		return err
	}
	in, err := s.cfg.Store.CollectionIDsOf(ctx, b.UserID, b.ID)
	if err != nil {
		return err
	}
	for _, col := range cols {
		if in[col.ID] {
			v.InCollections = append(v.InCollections, templates.Link{Label: col.Name, URL: s.url(routeCollection, col.ID)})
		} else {
			v.AddTo = append(v.AddTo, templates.Option{Value: strconv.FormatInt(col.ID, 10), Label: col.Name})
		}
	}
	return nil
}

func (s *Server) removeFromCollection(c echo.Context) error {
	col, err := s.ownCollection(c)
	if err != nil {
		return err
	}
	id, err := badgeField(c)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.RemoveFromCollection(c.Request().Context(), col.UserID, col.ID, id, s.now()); err != nil {
		return err
	}
	flash(c, "success", "Removed from "+col.Name+"; the badge stays in your backpack.")
	return s.redirect(c, s.url(routeCollection, col.ID)+"#cbadges-h")
}

func (s *Server) moveInCollection(c echo.Context) error {
	col, err := s.ownCollection(c)
	if err != nil {
		return err
	}
	id, err := badgeField(c)
	if err != nil {
		return err
	}
	delta := 1
	if c.FormValue("dir") == "up" {
		delta = -1
	}
	if err := s.cfg.Store.MoveInCollection(c.Request().Context(), col.UserID, col.ID, id, delta, s.now()); err != nil {
		return err
	}
	return s.redirect(c, s.url(routeCollection, col.ID)+"#cbadges-h")
}

// orderCollection saves a whole new order, sent by app.js after a drag
// and drop: the form field order lists the badge ids, comma-separated. A
// script (Accept: application/json) gets 204 or a JSON error; a plain form
// post goes back to the collection.
func (s *Server) orderCollection(c echo.Context) error {
	col, err := s.ownCollection(c)
	if err != nil {
		return err
	}
	ids, err := orderField(c.FormValue("order"))
	if err != nil {
		return s.orderError(c, http.StatusUnprocessableEntity, "The new order could not be read. Reload the page and try again.")
	}
	err = s.cfg.Store.SetCollectionOrder(c.Request().Context(), col.UserID, col.ID, ids, s.now())
	if errors.Is(err, store.ErrStaleOrder) {
		return s.orderError(c, http.StatusConflict, "The collection has changed since this page was loaded. Reload the page and try again.")
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.NoContent(http.StatusNoContent)
	}
	flash(c, "success", "Saved the new order.")
	return s.redirect(c, s.url(routeCollection, col.ID)+"#cbadges-h")
}

// orderField parses comma-separated badge ids ("" is the empty order).
func orderField(v string) ([]int64, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	ids := make([]int64, 0, len(parts))
	for _, p := range parts {
		id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("bad badge id %q", p)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// orderError refuses a new order with status and a message for the user:
// JSON for the script, else the error page.
func (s *Server) orderError(c echo.Context, status int, msg string) error {
	if wantsJSON(c) {
		return c.JSON(status, map[string]any{"error": map[string]any{"status": status, "message": msg}})
	}
	return s.render(c, status, templates.ErrorPage(s.base(c, "Order not saved"), templates.Error{Status: status, Heading: "Order not saved", Text: msg}))
}

func (s *Server) deleteCollection(c echo.Context) error {
	col, err := s.ownCollection(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		flash(c, "error", "Tick the box to confirm you want to delete this collection.")
		return s.redirect(c, s.url(routeCollection, col.ID))
	}
	if err := s.cfg.Store.DeleteCollection(c.Request().Context(), col.UserID, col.ID); err != nil {
		return err
	}
	flash(c, "success", "Deleted the collection "+col.Name+"; its badges stay in your backpack.")
	return s.redirect(c, s.url(routeCollections))
}
