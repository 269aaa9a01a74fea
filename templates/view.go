// Package templates renders Backpack's pages with templ. Components take
// view models built by the web package and never fetch data themselves.
package templates

import "time"

// Base is what every page needs: built once per request by the web package.
type Base struct {
	Title   string
	User    *User // nil when signed out
	Flashes []Flash
	CSRF    string // token for forms that change state
	CSS     string // hashed stylesheet URL
	Icon    string // hashed icon URL
	Narrow  bool   // a small form page: keep the column narrow
	Path    string // current path, to mark the current navigation link
	JS      string // hashed script URL; "" for a page without script
}

// User is the signed-in user as the layout shows them.
type User struct {
	Email string
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // success, error or info
	Text string
}

// Form carries submitted values and per-field errors back to a form.
type Form struct {
	Values map[string]string
	Errors map[string]string
}

// Value returns the submitted value of field.
func (f Form) Value(field string) string { return f.Values[field] }

// Error returns the error message of field ("" if none).
func (f Form) Error(field string) string { return f.Errors[field] }

// HasErrors reports whether any field has an error.
func (f Form) HasErrors() bool { return len(f.Errors) > 0 }

// Settings is the account settings page.
type Settings struct {
	Profile    Form // display_name
	Identities []Identity
	Sessions   []Session
	AddForm    Form
	Password   Form
	Delete     Form
	Displayer  DisplayerSettings
	Storage    string // how much of their storage the user takes, in a sentence
	Now        time.Time
}

// DisplayerSettings is the opt-in to the Mozilla Displayer API, for older
// portfolio plugins.
type DisplayerSettings struct {
	On        bool
	ID        string // the public id, when On
	BaseURL   string // this Backpack's address, for plugins that ask for it
	GroupsURL string // the list of shared collections under ID
}

// Identity is one row of the identities list.
type Identity struct {
	ID       int64
	Kind     string // email, url, telephone
	Value    string
	Primary  bool
	Verified bool
}

// Session is one signed-in device.
type Session struct {
	Current   bool
	UserAgent string
	IP        string
	CreatedAt time.Time
	LastSeen  time.Time
}

// Message is a page that only says something (check your inbox, link used).
type Message struct {
	Heading string
	Text    string
	Link    string // optional follow-up link
	LinkTo  string
}

// Error is the error page.
type Error struct {
	Status  int
	Heading string
	Text    string
}
