package web

import (
	"net/url"
	"regexp"
	"strings"
	"time"

	"backpack/openbadges"
	"backpack/openbadges/problem"
	"backpack/store"
	"backpack/templates"
)

// What public pages show: the view models of the pages and embeds, and the
// JSON twins. Only what the owner chose to share goes in: the recipient
// appears only when the share says so, and never in a collection; the
// verifiable original (the file as it came, the address of the issuer's
// assertion, the image the assertion names) only when the owner shares
// it, and never in a collection. Images are served without the badge
// baked into them (see Server.image). README's "What a visitor can learn"
// lists it all.

// publicBadgeView is the page of badge b (its stored badge ob and report
// rep), shared as sh under slug; checked is the notice after Verify now,
// or "".
func (s *Server) publicBadgeView(b store.Badge, ob openbadges.Badge, rep openbadges.Report, sh store.Share, slug, checked string) templates.PublicBadge {
	page, img := s.link(s.url(routePublicBadge, slug)), s.imageURL(b.ImageHash, b.ImageType)
	p := templates.PublicBadge{
		CSS: s.css, Icon: s.icon, URL: page, ImagePath: img, ImageURL: absoluteOr(s.link, img), JSONURL: page + ".json",
		OEmbedURL: s.oembedURL(page), Indexable: sh.Indexable,
		Name: ob.Name, Description: ob.Description, CriteriaURL: ob.Criteria.URL, CriteriaHTML: renderMarkdown(ob.Criteria.Narrative),
		Issuer:   templates.IssuerView{Name: ob.Issuer.Name, URL: ob.Issuer.URL},
		IssuedOn: ob.IssuedOn, Expires: ob.Expires, Status: statusKey(b.Status), StatusText: publicStatusText(b.Status, rep, sh.ShowRecipient),
		VerifiedAt: b.VerifiedAt, Now: s.now(), Unreachable: b.UnreachableSince, Owner: sh.OwnerName,
		VerifyAction: s.url(routePublicBadgeVerify, slug), Checked: checked,
		Checks: checkViews(publicChecks(rep.Checks, sh.ShowRecipient)),
	}
	if sh.ShowRecipient {
		p.Recipient = recipientText(b, ob)
	}
	if publicDownload(b, sh) {
		p.DownloadURL = s.url(routePublicBadgeFile, slug, bakedName(b))
	}
	return p
}

// publicCollectionView is the page of collection col shared under slug
// that shows page (asked for with q; links are its neighbours); the card
// of badge checkedID shows its checks with the notice checked after
// Verify now.
func (s *Server) publicCollectionView(col store.Collection, page store.CollectionPage, q store.CollectionPageQuery, slug string,
	links pageLinks, checkedID int64, checked string) (templates.PublicCollection, error) {
	pageURL := s.link(s.url(routePublicCollection, slug))
	p := templates.PublicCollection{CSS: s.css, Icon: s.icon, URL: pageURL, JSONURL: pageURL + ".json", Name: col.Name,
		DescHTML: renderMarkdown(col.Description), Now: s.now(), Owner: col.OwnerName, Indexable: col.Indexable,
		VerifyAction: s.url(routePublicCollectionVerify, slug), Description: col.Description,
		OEmbedURL: s.oembedURL(pageURL), PrevURL: links.prev, NextURL: links.next, After: q.After, Before: q.Before,
		Later: page.Prev}
	badges := page.Badges
	if len(badges) > 0 {
		p.ImageURL = absoluteOr(s.link, s.imageURL(badges[0].ImageHash, badges[0].ImageType))
	}
	for _, b := range badges {
		cb := s.publicCard(b)
		if b.ID == checkedID && checked != "" {
			rep, err := b.Report()
			if err != nil {
				return p, err
			}
			cb.Checked, cb.Checks = checked, checkViews(publicChecks(rep.Checks, false))
		}
		p.Badges = append(p.Badges, cb)
	}
	return p, nil
}

// embedBadgeView is the widget of badge b, shared under slug: a
// collection of one.
func (s *Server) embedBadgeView(b store.Badge, slug, theme string) templates.PublicCollection {
	return templates.PublicCollection{CSS: s.css, URL: s.link(s.url(routePublicBadge, slug)), Name: b.Name, Theme: theme, FrameJS: s.frameJS,
		Badges: []templates.CollectionBadge{s.publicCard(b)}}
}

// embedCollectionView is the widget of collection col, shared under slug,
// showing its first page.
func (s *Server) embedCollectionView(col store.Collection, page store.CollectionPage, slug, theme string) templates.PublicCollection {
	p := templates.PublicCollection{CSS: s.css, URL: s.link(s.url(routePublicCollection, slug)), Name: col.Name, Theme: theme, FrameJS: s.frameJS}
	for _, b := range page.Badges {
		p.Badges = append(p.Badges, s.publicCard(b))
	}
	if page.Next {
		p.NextURL = p.URL // the widget's footer links to the whole collection
	}
	return p
}

// publicCard is a badge's card on a public page or widget: the owner's
// card without the owner's links and controls.
func (s *Server) publicCard(b store.Badge) templates.CollectionBadge {
	return templates.CollectionBadge{ID: b.ID, Name: b.Name, Issuer: b.IssuerName, ImageURL: s.imageURL(b.ImageHash, b.ImageType),
		IssuedOn: b.IssuedOn, Expires: b.Expires, Status: statusKey(b.Status), VerifiedAt: b.VerifiedAt, Reason: statusReason(b)}
}

// The JSON twins and oEmbed are contracts that other sites read (the
// golden tests pin them). Their fields are in the sorted order of their
// keys, the order encoding/json gave the maps they were first built
// from, so even the bytes stay as they were.

// publicBadgeJSON is the JSON twin of /b/{slug}.
type publicBadgeJSON struct {
	Badge            openbadges.Badge   `json:"badge"`  // see publicBadgeDoc
	Checks           []openbadges.Check `json:"checks"` // [] when none
	Image            string             `json:"image"`  // absolute; "" when the badge has no image
	Status           string             `json:"status"`
	StatusText       string             `json:"statusText"`
	UnreachableSince *time.Time         `json:"unreachableSince"` // null unless the issuer cannot be reached
	URL              string             `json:"url"`
	VerifiedAt       time.Time          `json:"verifiedAt"`
}

// badgeTwin is the JSON twin of badge b (its stored badge ob and report
// rep), shared as sh under slug.
func (s *Server) badgeTwin(b store.Badge, ob openbadges.Badge, rep openbadges.Report, sh store.Share, slug string) publicBadgeJSON {
	return publicBadgeJSON{Badge: publicBadgeDoc(ob, sh.ShowRecipient, sh.ShareOriginal), Checks: publicChecks(rep.Checks, sh.ShowRecipient),
		Image: absoluteOr(s.link, s.imageURL(b.ImageHash, b.ImageType)), Status: statusKey(b.Status),
		StatusText: publicStatusText(b.Status, rep, sh.ShowRecipient), UnreachableSince: b.UnreachableSince,
		URL: s.link(s.url(routePublicBadge, slug)), VerifiedAt: b.VerifiedAt}
}

// publicCollectionJSON is a page of the JSON twin of /c/{slug}.
type publicCollectionJSON struct {
	Badges      []publicCollectionItem `json:"badges"` // this page's, in order; [] when none
	Description string                 `json:"description"`
	Name        string                 `json:"name"`
	Next        *string                `json:"next"` // the next page's absolute address; null on the last
	Prev        *string                `json:"prev"` // the previous page's; null on the first
	URL         string                 `json:"url"`
}

// publicCollectionItem is one badge of a collection's JSON twin.
type publicCollectionItem struct {
	Badge      openbadges.Badge `json:"badge"`    // never with a recipient or the original's address
	Expires    *time.Time       `json:"expires"`  // null: never
	Image      string           `json:"image"`    // absolute; "" when none
	IssuedOn   time.Time        `json:"issuedOn"` // the zero time when unknown
	Issuer     string           `json:"issuer"`
	Name       string           `json:"name"`
	Status     string           `json:"status"`
	StatusText string           `json:"statusText"`
	VerifiedAt time.Time        `json:"verifiedAt"`
}

// collectionTwin is a page of the JSON twin of collection col, shared
// under slug: badges, between the pages links names. A badge whose stored
// data cannot be read fails it.
func (s *Server) collectionTwin(col store.Collection, badges []store.Badge, slug string, links pageLinks) (publicCollectionJSON, error) {
	out := publicCollectionJSON{Badges: make([]publicCollectionItem, 0, len(badges)), Description: col.Description,
		Name: col.Name, URL: s.link(s.url(routePublicCollection, slug)), Next: s.absolute(links.next), Prev: s.absolute(links.prev)}
	for _, b := range badges {
		ob, rep, err := b.Documents()
		if err != nil {
			return publicCollectionJSON{}, err
		}
		// Collections never show the recipient or the original.
		out.Badges = append(out.Badges, publicCollectionItem{Badge: publicBadgeDoc(ob, false, false), Expires: b.Expires,
			Image: absoluteOr(s.link, s.imageURL(b.ImageHash, b.ImageType)), IssuedOn: b.IssuedOn, Issuer: b.IssuerName,
			Name: b.Name, Status: statusKey(b.Status), StatusText: publicStatusText(b.Status, rep, false), VerifiedAt: b.VerifiedAt})
	}
	return out, nil
}

// oEmbedResponse is the oEmbed answer (a "rich" type) for a public page.
type oEmbedResponse struct {
	// AuthorName is a badge's issuer (even unnamed) or a collection's
	// owner (absent without a display name).
	AuthorName   *string `json:"author_name,omitempty"`
	CacheAge     int     `json:"cache_age"` // seconds
	Height       int     `json:"height"`
	HTML         string  `json:"html"` // the widget's iframe
	ProviderName string  `json:"provider_name"`
	ProviderURL  string  `json:"provider_url"`
	Title        string  `json:"title"`
	Type         string  `json:"type"`
	Version      string  `json:"version"`
	Width        int     `json:"width"`
}

// publicBadgeDoc is badge ob as a public JSON answer shows it: without
// the recipient unless the owner shows it, and without the assertion's
// own address and image unless the owner shares the verifiable original
// (original): the issuer's copy of a hosted assertion names the
// recipient, and the image an assertion names may be the baked badge.
func publicBadgeDoc(ob openbadges.Badge, showRecipient, original bool) openbadges.Badge {
	if !showRecipient {
		ob.Recipient = openbadges.Recipient{}
	}
	if !original {
		ob.ID, ob.Image = "", ""
	}
	return ob
}

// publicStatusText is statusText for viewers: the reason a badge could not
// be verified names a recipient when it is a recipient mismatch, so that
// reason is told without it unless the owner shows the recipient; the
// addresses of documents in it are cut to their host (see hideAddresses).
func publicStatusText(status store.Status, rep openbadges.Report, showRecipient bool) string {
	if len(rep.Errors) > 0 && rep.Errors[0].Code == problem.RecipientMismatch {
		if !showRecipient {
			return "Could not verify: not issued to the person who shares it"
		}
		return statusText(status, rep)
	}
	return hideAddresses(statusText(status, rep))
}

// publicChecks hides the recipient check's message (it names the owner's
// address) unless the owner chose to show the recipient, and cuts the
// addresses in the other checks' messages to their host.
func publicChecks(checks []openbadges.Check, showRecipient bool) []openbadges.Check {
	out := make([]openbadges.Check, 0, len(checks))
	for _, c := range checks {
		switch {
		case c.Name == openbadges.CheckRecipient && !showRecipient:
			c.Message = "issued to the person who shares it"
			if !c.OK {
				c.Message = "not issued to the person who shares it"
			}
		case c.Name != openbadges.CheckRecipient:
			c.Message = hideAddresses(c.Message)
		}
		out = append(out, c)
	}
	return out
}

// addressRE finds web addresses in the verifier's messages.
var addressRE = regexp.MustCompile(`https?://[^\s"'<>,;]+`)

// hideAddresses cuts every web address in msg to its host: a failed
// check may quote the address of the issuer's copy of the assertion,
// which names the recipient.
func hideAddresses(msg string) string {
	return addressRE.ReplaceAllStringFunc(msg, func(a string) string {
		trimmed := strings.TrimRight(a, ".:)")
		if u, err := url.Parse(trimmed); err == nil && u.Host != "" {
			return u.Host + a[len(trimmed):]
		}
		return "an address"
	})
}

// absolute is the absolute address of path, or nil when path is "".
func (s *Server) absolute(path string) *string {
	if path == "" {
		return nil
	}
	u := s.link(path)
	return &u
}

func absoluteOr(link func(string) string, path string) string {
	if path == "" {
		return ""
	}
	return link(path)
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

// publicDownload reports whether viewers may download the baked badge:
// the file carries the assertion, which names the recipient (perhaps in
// clear, perhaps hashed, which a guess can confirm), so only when the
// owner shares the verifiable original.
func publicDownload(b store.Badge, sh store.Share) bool {
	return sh.ShareOriginal && bakedName(b) != ""
}
