package templates

import "time"

// PublicBadge is a badge's public page (/b/{slug}). It holds nothing the
// owner did not choose to show: no account details, no other badges, the
// recipient only when the share says so.
type PublicBadge struct {
	CSS, Icon    string
	URL          string // the page's own absolute URL
	ImageURL     string // absolute, for previews; "" if none
	ImagePath    string // our /img/… path for the page itself
	OEmbedURL    string
	Indexable    bool
	Name         string
	Description  string
	CriteriaURL  string
	CriteriaHTML string // sanitised HTML
	Issuer       IssuerView
	IssuedOn     time.Time
	Expires      *time.Time
	Recipient    string // "" unless the owner shows it
	Status       string
	StatusText   string
	Checks       []CheckView
	VerifiedAt   time.Time
	Now          time.Time
	JSONURL      string
	Unreachable  *time.Time // issuer unreachable since
	Owner        string     // the owner's display name, or ""
	VerifyAction string     // viewers' Verify now posts here
	Checked      string     // what Verify now just did, or ""
	DownloadURL  string     // the baked badge, or "" when not offered
}

// ShareView is the share section of the owner's badge page.
type ShareView struct {
	Shared        bool
	URL           string // public link when shared
	Action        string // POST here
	ShowRecipient bool
	Indexable     bool
	ShareOriginal bool
	Out           ShareOut
}

// ShareOut is what the owner can do with a live share link: copy it, show
// it as a QR code, add it to LinkedIn, or embed it elsewhere.
type ShareOut struct {
	Kind      string // "badge" or "collection"
	URL       string // the public page
	EmbedURL  string // the framable widget
	ScriptURL string // the loader that inserts and resizes the widget
	ShieldURL string // the SVG shield for README files (badges only)
	OEmbedURL string
	QRURL     string // without extension: add .svg or .png
	LinkedIn  string // "Add to profile" link (badges only)
}
