package openbadges

import "time"

// Badge is one badge in the normalised model every version (0.5 to 3.0)
// is read into. Field values come from issuers: they are untrusted text,
// to be escaped wherever they are shown.
type Badge struct {
	ID          string      `json:"id,omitempty"` // the assertion's (or credential's) id
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Image       string      `json:"image,omitempty"` // URL or data: URI
	Criteria    Criteria    `json:"criteria"`
	Issuer      Issuer      `json:"issuer"`
	IssuedOn    time.Time   `json:"issuedOn"`
	Expires     *time.Time  `json:"expires,omitempty"`
	Recipient   Recipient   `json:"recipient"`
	Narrative   string      `json:"narrative,omitempty"` // the assertion's own narrative
	Evidence    []Evidence  `json:"evidence,omitempty"`
	Alignments  []Alignment `json:"alignments,omitempty"`
	Tags        []string    `json:"tags,omitempty"`
	BadgeClass  string      `json:"badgeClass,omitempty"` // BadgeClass / Achievement id
}

// Criteria says what earning the badge took.
type Criteria struct {
	URL       string `json:"url,omitempty"`
	Narrative string `json:"narrative,omitempty"` // Markdown
}

// Issuer is the organisation or person that issued the badge.
type Issuer struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name"`
	URL   string `json:"url,omitempty"`
	Email string `json:"email,omitempty"`
	Image string `json:"image,omitempty"`
}

// Recipient is the IdentityObject: who the badge was issued to, possibly
// as a salted hash.
type Recipient struct {
	Type     string `json:"type"` // email, url, telephone (or id)
	Identity string `json:"identity"`
	Hashed   bool   `json:"hashed"`
	Salt     string `json:"salt,omitempty"`
}

// Evidence is one piece of evidence of the achievement.
type Evidence struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Narrative   string `json:"narrative,omitempty"`
}

// Alignment links the badge to an educational framework or standard.
type Alignment struct {
	TargetName        string `json:"targetName"`
	TargetURL         string `json:"targetUrl,omitempty"`
	TargetDescription string `json:"targetDescription,omitempty"`
	TargetFramework   string `json:"targetFramework,omitempty"`
	TargetCode        string `json:"targetCode,omitempty"`
}
