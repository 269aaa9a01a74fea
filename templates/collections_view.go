package templates

import "time"

// CollectionsList is the collections page.
type CollectionsList struct {
	Items []CollectionItem
	Form  Form // name, description
}

// CollectionItem is one collection in the list.
type CollectionItem struct {
	URL    string
	Name   string
	Count  int
	Shared bool
}

// CollectionView is one collection, for its owner.
type CollectionView struct {
	ID          int64
	Action      string // base URL for the forms (/collections/{id})
	Name        string
	Description string
	DescHTML    string // sanitised
	Shared      bool
	Indexable   bool
	PublicURL   string
	Out         ShareOut
	Badges      []CollectionBadge
	Addable     []Option // the owner's badges not in it
	Form        Form
}

// CollectionBadge is a badge in a collection.
type CollectionBadge struct {
	ID         int64
	URL        string
	Name       string
	Issuer     string
	ImageURL   string
	IssuedOn   time.Time
	Expires    *time.Time
	Status     string
	First      bool
	Last       bool
	VerifiedAt time.Time
	Reason     string      // why it is revoked or could not be verified, or ""
	Checked    string      // what a viewer's Verify now just did, or ""
	Checks     []CheckView // shown with Checked
}

// Option is a select option.
type Option struct {
	Value, Label string
}

// PublicCollection is a shared collection's public page.
type PublicCollection struct {
	CSS, Icon    string
	URL          string
	JSONURL      string
	Name         string
	DescHTML     string
	Description  string // Markdown, for previews
	ImageURL     string // absolute, the first badge's image, for previews
	OEmbedURL    string
	Owner        string
	Indexable    bool
	VerifyAction string // viewers' Verify now posts here (with badge_id)
	Theme        string // embeds: "light", "dark" or "" (follow the system)
	FrameJS      string // embeds: the script that reports the height to the page
	Badges       []CollectionBadge
	Now          time.Time
	// Pages: the neighbours of this page ("" when none; on an embed,
	// NextURL is the full page when it holds more), and the page's place
	// (a badge id, 0 when none) for the Verify now forms to come back to.
	PrevURL, NextURL string
	After, Before    int64
	Later            bool // not the first page
}
