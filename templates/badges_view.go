package templates

import "time"

// View models of the backpack pages. The web package fills them from the
// store and the verifier; badge fields are issuer text, escaped by templ.

// Badge statuses, as the list and badge pages show them.
const (
	StatusVerified   = "verified"
	StatusExpired    = "expired"
	StatusRevoked    = "revoked"
	StatusUnverified = "unverified" // could not verify
)

// BadgeCard is one badge in the list.
type BadgeCard struct {
	ID       int64
	URL      string // the badge page
	Name     string
	Issuer   string
	ImageURL string // our own /img/… URL, or "" for a placeholder
	IssuedOn time.Time
	Status   string // one of the Status constants
}

// BadgeList is the backpack page.
type BadgeList struct {
	Cards   []BadgeCard
	Total   int    // badges matching the filters
	All     int    // badges in the backpack
	Query   string // search text
	Status  string // filter: "" or a Status constant
	Issuer  string // filter: "" or an issuer name
	Sort    string // date, name or issuer
	Issuers []string
	Page    int // 1-based
	Pages   int
	PrevURL string // "" on the first page
	NextURL string // "" on the last page
	Pending []Pending
}

// Pending is an import waiting for the earner to confirm an identity.
type Pending struct {
	ID       int64
	Name     string // badge name if known
	Identity string // whom the badge names, when readable
}

// AddBadges is the add-badges page, with the results of the last post.
type AddBadges struct {
	Form         Form // fields: urls, text
	Results      []ImportResult
	MaxFiles     int
	MaxFileMB    int
	MaxZipBadges int // badges in one ZIP import
}

// ImportResult is the outcome of one imported item.
type ImportResult struct {
	Item     string // file name, URL or "pasted text"
	Outcome  string // added, duplicate, updated, pending, rejected
	Message  string // what happened and what to do, in a sentence
	BadgeURL string // the badge page, when there is one
	Name     string // badge name, when known
	// AddEmail is set for pending badges issued to a readable email the
	// earner has not confirmed: the page offers to add it.
	AddEmail string
}

// BadgeDetail is one badge's page.
type BadgeDetail struct {
	ID           int64
	Name         string
	Description  string
	ImageURL     string
	CriteriaURL  string
	CriteriaHTML string // narrative rendered from Markdown and sanitised: safe HTML
	Issuer       IssuerView
	IssuedOn     time.Time
	Expires      *time.Time
	Evidence     []EvidenceView
	Alignments   []AlignmentView
	Tags         []string
	Recipient    string // the identity it matched, or what it names
	Status       string
	StatusText   string // e.g. "Revoked: issued in error"
	Spec         string // Open Badges version
	Format       string // hosted, signed, vc-jwt, data-integrity
	Checks       []CheckView
	Warnings     []string
	VerifiedAt   time.Time
	Now          time.Time
	Unreachable  *time.Time // issuer unreachable since
	Downloads    []Link
	VerifyAction string // POST here to re-verify
	DeleteAction string // POST here to delete
	Share        ShareView
	// InCollections are the collections holding the badge; AddTo those it
	// can be added to (Value: the form action).
	InCollections []Link
	AddTo         []Option
}

// IssuerView is the issuer as shown.
type IssuerView struct {
	Name, URL, Email, ImageURL string
}

// EvidenceView is one piece of evidence.
type EvidenceView struct {
	URL, Name, Description, Narrative string
}

// AlignmentView is one alignment.
type AlignmentView struct {
	Name, URL, Description, Framework, Code string
}

// CheckView is one verification check.
type CheckView struct {
	Name    string
	OK      bool
	Message string
}

// Link is a labelled link.
type Link struct {
	Label, URL string
}

// ImportJob is one bulk import, in the list and on its page.
type ImportJob struct {
	URL       string
	Name      string // the uploaded file's name
	Done      int
	Total     int
	Finished  bool
	Outcomes  map[string]int
	Message   string
	CreatedAt time.Time
}

// ImportJobs is the list of the user's bulk imports.
type ImportJobs struct {
	Jobs []ImportJob
}

// ImportJobView is one bulk import's page.
type ImportJobView struct {
	Job        ImportJob
	JSONURL    string // progress, for the page's script
	Items      []ImportResult
	Prev, Next string // pages of the list, "" for none
	PageText   string // which files this page lists, when there are pages
}
