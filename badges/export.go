package badges

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"backpack/openbadges/bake"
	"backpack/store"
)

// The export: one ZIP with everything a user has, streamed as it is read
// from one snapshot of the database (nothing is buffered whole, so it
// works for ten thousand badges), and re-importable by any Backpack.
//
//	manifest.json           what is in the archive (Manifest)
//	data.json               everything stored about the user (for
//	                        data-protection requests): account, identities,
//	                        sessions, badges with their reports, shares,
//	                        collections, pending imports
//	badges/0001/original.*  each badge exactly as it came in
//	badges/0001/badge.json  the normalised badge
//	badges/0001/baked.*     a baked image, for badges that came as JSON,
//	                        a URL or a signature
//	README.txt              the same, for people

// ExportFormat and ExportVersion name the archive format in manifest.json.
const (
	ExportFormat  = "backpack-export"
	ExportVersion = 1
)

// Snapshot is one consistent read of everything a user has, as an export
// needs it; *store.Snapshot is one.
type Snapshot interface {
	User() (store.User, error)
	Identities() ([]store.Identity, error)
	Sessions() ([]store.Session, error)
	Shares() ([]store.Share, error)
	Pending() ([]store.Pending, error)
	Collections() ([]store.Collection, error)
	Badges(withOriginal bool, fn func(store.Badge) error) error
	Image(hash []byte) (contentType string, b []byte, err error)
}

var _ Snapshot = (*store.Snapshot)(nil)

// Manifest is manifest.json: what an export holds.
type Manifest struct {
	Format      string               `json:"format"`
	Version     int                  `json:"version"`
	ExportedAt  time.Time            `json:"exportedAt"`
	Generator   string               `json:"generator"`
	Identities  []ManifestIdentity   `json:"identities"`
	Badges      []ManifestBadge      `json:"badges"`
	Collections []ManifestCollection `json:"collections"`
}

// ManifestIdentity is one of the user's identities in the manifest.
type ManifestIdentity struct {
	Kind     string `json:"kind"`
	Value    string `json:"value"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// ManifestBadge is one badge in the manifest.
type ManifestBadge struct {
	ID           string    `json:"id"` // its folder under badges/
	Name         string    `json:"name"`
	Issuer       string    `json:"issuer"`
	Spec         string    `json:"spec"`
	Format       string    `json:"format"`
	OriginalType string    `json:"originalType"` // png, svg, json, jws or url
	SourceURL    string    `json:"sourceUrl,omitempty"`
	Original     string    `json:"original"` // path in the archive
	SHA256       string    `json:"sha256"`   // of the original
	Badge        string    `json:"badge"`    // path of the normalised badge
	Baked        string    `json:"baked,omitempty"`
	Status       string    `json:"status"` // when exported; importers verify again
	VerifiedAt   time.Time `json:"verifiedAt"`
	AddedAt      time.Time `json:"addedAt"`
}

// ManifestCollection is one collection in the manifest.
type ManifestCollection struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Shared      bool     `json:"shared"`
	Indexable   bool     `json:"indexable"`
	Badges      []string `json:"badges"` // badge ids, in order
}

const exportReadme = `This archive is an export from Backpack, an Open Badges backpack.

badges/NNNN/original.*   each badge exactly as it was added (a baked image, JSON,
                         a signed assertion, or the URL it was added from)
badges/NNNN/badge.json   the badge as Backpack read it
badges/NNNN/baked.*      the badge baked into its image, for badges added as JSON,
                         a URL or a signature
manifest.json            what is in the archive: badges, collections and identities
data.json                everything Backpack stores about you, in one file

Import the whole archive into any Backpack (Add badges, then choose this ZIP):
the badges are verified again, and your collections are recreated.
`

// WriteExport writes the whole export of snap to zw, manifest last; the
// caller closes zw.
func WriteExport(zw *zip.Writer, snap Snapshot, now time.Time) error {
	m := Manifest{Format: ExportFormat, Version: ExportVersion, ExportedAt: now.UTC(), Generator: "Backpack"}
	ids, err := snap.Identities()
	if err != nil {
		return err
	}
	for _, id := range ids {
		m.Identities = append(m.Identities, ManifestIdentity{Kind: string(id.Kind), Value: id.Value, Primary: id.Primary, Verified: id.Verified()})
	}
	if err := writeEntry(zw, "README.txt", now, []byte(exportReadme)); err != nil {
		return err
	}
	if err := writeDataJSON(zw, snap, now); err != nil {
		return err
	}
	folder := map[int64]string{}
	err = snap.Badges(true, func(b store.Badge) error {
		id := fmt.Sprintf("%04d", len(m.Badges)+1)
		folder[b.ID] = id
		dir := "badges/" + id + "/"
		sum := sha256.Sum256(b.Original)
		eb := ManifestBadge{ID: id, Name: b.Name, Issuer: b.IssuerName, Spec: b.Spec, Format: b.Format,
			OriginalType: b.OriginalType, SourceURL: b.SourceURL, Original: dir + "original" + OriginalExt(b.OriginalType),
			SHA256: hex.EncodeToString(sum[:]), Badge: dir + "badge.json", Status: string(b.Status),
			VerifiedAt: b.VerifiedAt.UTC(), AddedAt: b.CreatedAt.UTC()}
		if err := writeEntry(zw, eb.Original, b.CreatedAt, b.Original); err != nil {
			return err
		}
		if err := writeEntry(zw, eb.Badge, b.CreatedAt, b.BadgeJSON); err != nil {
			return err
		}
		if b.OriginalType != "png" && b.OriginalType != "svg" && len(b.ImageHash) > 0 {
			if baked, ext, ok := BakeStored(b, snap.Image); ok {
				eb.Baked = dir + "baked" + ext
				if err := writeEntry(zw, eb.Baked, b.CreatedAt, baked); err != nil {
					return err
				}
			}
		}
		m.Badges = append(m.Badges, eb)
		return nil
	})
	if err != nil {
		return err
	}
	cols, err := snap.Collections()
	if err != nil {
		return err
	}
	for _, col := range cols {
		ec := ManifestCollection{Name: col.Name, Description: col.Description, Shared: col.Shared, Indexable: col.Indexable, Badges: []string{}}
		for _, id := range col.BadgeIDs {
			ec.Badges = append(ec.Badges, folder[id])
		}
		m.Collections = append(m.Collections, ec)
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "manifest.json", Method: zip.Deflate, Modified: now})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// OriginalExt is the file name extension of an original of type t (png,
// svg, json, jws or url).
func OriginalExt(t string) string {
	return map[string]string{"png": ".png", "svg": ".svg", "json": ".json", "jws": ".jws", "url": ".url.txt"}[t]
}

// writeEntry adds one file; images that are already compressed are stored.
func writeEntry(zw *zip.Writer, name string, modified time.Time, body []byte) error {
	method := zip.Deflate
	if strings.HasSuffix(name, ".png") {
		method = zip.Store
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: modified})
	if err != nil {
		return err
	}
	_, err = w.Write(body)
	return err
}

// BakeStored bakes a stored badge's original into its stored image, read with
// image; ok is false when that cannot be done.
func BakeStored(b store.Badge, image func([]byte) (string, []byte, error)) (baked []byte, ext string, ok bool) {
	ct, img, err := image(b.ImageHash)
	if err != nil {
		return nil, "", false
	}
	kind := bake.OB2
	if b.Spec == "3.0" {
		kind = bake.OB3
	}
	baked, err = bake.Bake(img, kind, strings.TrimSpace(string(b.Original)))
	if err != nil {
		return nil, "", false
	}
	if ct == "image/svg+xml" {
		return baked, ".svg", true
	}
	return baked, ".png", true
}

func writeDataJSON(zw *zip.Writer, snap Snapshot, now time.Time) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "data.json", Method: zip.Deflate, Modified: now})
	if err != nil {
		return err
	}
	return WriteData(w, snap, now)
}

// WriteData writes everything stored about the user as one JSON object
// (data.json, for data-protection requests), badge by badge, so that it is
// never held whole.
func WriteData(w io.Writer, snap Snapshot, now time.Time) error {
	u, err := snap.User()
	if err != nil {
		return err
	}
	ids, err := snap.Identities()
	if err != nil {
		return err
	}
	sessions, err := snap.Sessions()
	if err != nil {
		return err
	}
	shares, err := snap.Shares()
	if err != nil {
		return err
	}
	cols, err := snap.Collections()
	if err != nil {
		return err
	}
	pending, err := snap.Pending()
	if err != nil {
		return err
	}
	type identity struct {
		Kind       string     `json:"kind"`
		Value      string     `json:"value"`
		Primary    bool       `json:"primary"`
		VerifiedAt *time.Time `json:"verifiedAt"`
		AddedAt    time.Time  `json:"addedAt"`
	}
	type session struct {
		SignedInAt time.Time `json:"signedInAt"`
		LastSeenAt time.Time `json:"lastSeenAt"`
		ExpiresAt  time.Time `json:"expiresAt"`
		UserAgent  string    `json:"userAgent"`
		IP         string    `json:"ip"`
	}
	type share struct {
		BadgeID       int64     `json:"badgeId"`
		Link          string    `json:"link"` // the slug of /b/{slug}
		On            bool      `json:"on"`
		ShowRecipient bool      `json:"showRecipient"`
		Indexable     bool      `json:"indexable"`
		ShareOriginal bool      `json:"shareOriginal"`
		ChangedAt     time.Time `json:"changedAt"`
	}
	type collection struct {
		ID          int64     `json:"id"`
		Name        string    `json:"name"`
		Description string    `json:"description"`
		Link        string    `json:"link"` // the slug of /c/{slug}
		Shared      bool      `json:"shared"`
		Indexable   bool      `json:"indexable"`
		BadgeIDs    []int64   `json:"badgeIds"`
		CreatedAt   time.Time `json:"createdAt"`
		ChangedAt   time.Time `json:"changedAt"`
	}
	type pend struct {
		OriginalType      string    `json:"originalType"`
		SourceURL         string    `json:"sourceUrl,omitempty"`
		Name              string    `json:"name"`
		RecipientType     string    `json:"recipientType"`
		RecipientIdentity string    `json:"recipientIdentity"`
		Hashed            bool      `json:"hashed"`
		AddedAt           time.Time `json:"addedAt"`
		Original          []byte    `json:"original"` // base64
	}
	head := map[string]any{
		"format": ExportFormat + "-data", "version": ExportVersion, "exportedAt": now.UTC(),
		"account": map[string]any{"id": u.ID, "email": u.Email, "displayName": u.DisplayName, "createdAt": u.CreatedAt.UTC()},
	}
	var list []any
	for _, i := range ids {
		var v *time.Time
		if i.Verified() {
			t := i.VerifiedAt.UTC()
			v = &t
		}
		list = append(list, identity{string(i.Kind), i.Value, i.Primary, v, i.CreatedAt.UTC()})
	}
	head["identities"] = nonNil(list)
	list = nil
	for _, se := range sessions {
		list = append(list, session{se.CreatedAt.UTC(), se.LastSeenAt.UTC(), se.ExpiresAt.UTC(), se.UserAgent, se.IP})
	}
	head["sessions"] = nonNil(list)
	list = nil
	for _, sh := range shares {
		list = append(list, share{sh.BadgeID, sh.Slug, sh.Enabled, sh.ShowRecipient, sh.Indexable, sh.ShareOriginal, sh.UpdatedAt.UTC()})
	}
	head["shares"] = nonNil(list)
	list = nil
	for _, col := range cols {
		list = append(list, collection{col.ID, col.Name, col.Description, col.Slug, col.Shared, col.Indexable, nonNil(col.BadgeIDs), col.CreatedAt.UTC(), col.UpdatedAt.UTC()})
	}
	head["collections"] = nonNil(list)
	list = nil
	for _, p := range pending {
		list = append(list, pend{p.OriginalType, p.SourceURL, p.Name, p.RecipientType, p.RecipientIdentity, p.Hashed, p.CreatedAt.UTC(), p.Original})
	}
	head["pendingImports"] = nonNil(list)

	// The object without its closing brace, then "badges" one by one.
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	if _, err := w.Write(b[:len(b)-1]); err != nil {
		return err
	}
	if _, err := io.WriteString(w, `,"badges":[`); err != nil {
		return err
	}
	first := true
	err = snap.Badges(false, func(b store.Badge) error {
		item := map[string]any{"id": b.ID, "name": b.Name, "issuer": b.IssuerName, "description": b.Description,
			"tags": nonNil(b.Tags), "spec": b.Spec, "format": b.Format, "originalType": b.OriginalType,
			"sourceUrl": b.SourceURL, "issuedOn": zeroNil(b.IssuedOn), "expires": b.Expires, "status": b.Status,
			"verifiedAt": b.VerifiedAt.UTC(), "unreachableSince": b.UnreachableSince, "recipient": b.Recipient,
			"addedAt": b.CreatedAt.UTC(), "sha256": hex.EncodeToString(b.ContentHash),
			"badge": json.RawMessage(orNull(b.BadgeJSON)), "report": json.RawMessage(orNull(b.ReportJSON))}
		out, err := json.Marshal(item)
		if err != nil {
			return err
		}
		if !first {
			out = append([]byte{','}, out...)
		}
		first = false
		_, err = w.Write(out)
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "]}\n")
	return err
}

// nonNil makes a nil list an empty one, so that JSON says [] not null.
func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

func zeroNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func orNull(b []byte) []byte {
	if len(b) == 0 || !json.Valid(b) {
		return []byte("null")
	}
	return b
}
