package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"backpack/openbadges"
	"backpack/openbadges/bake"
	"backpack/openbadges/fetch"
	"backpack/openbadges/problem"
	"backpack/store"
	"backpack/templates"
)

// Import limits, enforced on the server.
const (
	maxFiles      = 50
	maxFileBytes  = 5 << 20
	maxUploadBody = "260M" // 50 files of 5 MiB, with room for form overhead
	maxURLs       = 20
	maxPasteBytes = 1 << 20
)

// importItem is one thing to import: a file, a URL, or pasted text.
type importItem struct {
	label string // file name, URL or "pasted text"
	data  []byte // as given; for a URL, the URL
	kind  string // png svg json jws url (refined by the verifier's source)
	err   error  // refused before verification (too large, …)
	// from is the bulk import item this is, whose outcome is recorded
	// with the badge; nil for the form.
	from *store.ItemOutcome
}

// addBadges imports everything the form carries and answers with one
// result per item: a page, or JSON for the page's script.
func (s *Server) addBadges(c echo.Context) error {
	user := currentUser(c)
	items, err := readImportItems(c)
	if err != nil {
		return s.importRefused(c, err)
	}
	if len(items) == 0 {
		return s.importFormError(c, "Choose badge files, enter badge URLs or paste a badge.")
	}
	ids, err := s.verifiedIdentities(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	var results []templates.ImportResult
	for _, it := range items {
		results = append(results, s.importOne(c.Request().Context(), user.ID, ids, it))
	}
	if wantsJSON(c) || strings.Contains(c.Request().Header.Get("Accept"), "application/json") {
		return c.JSON(http.StatusOK, map[string]any{"results": jsonResults(results)})
	}
	view := templates.AddBadges{Form: newForm(), Results: results, MaxFiles: maxFiles, MaxFileMB: maxFileBytes >> 20, MaxZipBadges: maxJobItems}
	return s.render(c, http.StatusOK, templates.AddBadgesPage(s.base(c, "Add badges"), view))
}

func jsonResults(rs []templates.ImportResult) []map[string]string {
	out := make([]map[string]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, map[string]string{"item": r.Item, "outcome": r.Outcome, "message": r.Message,
			"badgeUrl": r.BadgeURL, "name": r.Name, "addEmail": r.AddEmail})
	}
	return out
}

// importRefused shows a userError on the form as it is; any other error
// is internal and goes to the error handler.
func (s *Server) importRefused(c echo.Context, err error) error {
	var refusal userError
	if errors.As(err, &refusal) {
		return s.importFormError(c, refusal.msg)
	}
	return err
}

func (s *Server) importFormError(c echo.Context, msg string) error {
	if strings.Contains(c.Request().Header.Get("Accept"), "application/json") {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{"status": 422, "message": msg}})
	}
	f := newForm()
	f.Values["urls"], f.Values["text"] = c.FormValue("urls"), c.FormValue("text")
	f.Errors[""] = msg
	view := templates.AddBadges{Form: f, MaxFiles: maxFiles, MaxFileMB: maxFileBytes >> 20, MaxZipBadges: maxJobItems}
	return s.render(c, http.StatusUnprocessableEntity, templates.AddBadgesPage(s.base(c, "Add badges"), view))
}

// readImportItems collects the files, URLs and pasted text of the form. A
// form with too many of them is refused with a userError.
func readImportItems(c echo.Context) ([]importItem, error) {
	var items []importItem
	if form, err := c.MultipartForm(); err == nil && form != nil {
		files := append(form.File["files"], form.File["folder"]...)
		if len(files) > maxFiles {
			return nil, userErrorf("You sent %d files; at most %d can be added at once. Send the rest in another go.", len(files), maxFiles)
		}
		for _, fh := range files {
			items = append(items, readFile(fh))
		}
	}
	var urls []string
	for _, line := range strings.Split(c.FormValue("urls"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			urls = append(urls, line)
		}
	}
	if len(urls) > maxURLs {
		return nil, userErrorf("You entered %d URLs; at most %d can be added at once.", len(urls), maxURLs)
	}
	for _, u := range urls {
		items = append(items, importItem{label: u, data: []byte(u), kind: "url"})
	}
	if text := strings.TrimSpace(c.FormValue("text")); text != "" {
		it := importItem{label: "pasted text", data: []byte(text)}
		if len(text) > maxPasteBytes {
			it.err = problem.New(problem.TooLarge, "the pasted text is larger than 1 MiB")
		}
		items = append(items, it)
	}
	return items, nil
}

func readFile(fh *multipart.FileHeader) importItem {
	name := path.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
	if name == "" || name == "." || name == "/" {
		name = "unnamed file"
	}
	it := importItem{label: truncateText(name, 120)}
	if fh.Size > maxFileBytes {
		it.err = problem.New(problem.TooLarge, "the file is larger than %d MB", maxFileBytes>>20)
		return it
	}
	f, err := fh.Open()
	if err != nil {
		it.err = problem.New(problem.Malformed, "the file could not be read")
		return it
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil || len(b) > maxFileBytes {
		it.err = problem.New(problem.TooLarge, "the file is larger than %d MB", maxFileBytes>>20)
		return it
	}
	it.data = b
	return it
}

func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// verifiedIdentities are the identities badges may be issued to.
func (s *Server) verifiedIdentities(ctx context.Context, userID int64) ([]openbadges.Identity, error) {
	all, err := s.cfg.Store.Identities(ctx, userID)
	if err != nil {
		return nil, err
	}
	var ids []openbadges.Identity
	for _, id := range all {
		if id.Verified() {
			ids = append(ids, openbadges.Identity{Kind: id.Kind, Value: id.Value})
		}
	}
	return ids, nil
}

// importOne verifies one item and stores it: added, duplicate, updated,
// pending (issued to an identity the earner has not confirmed) or
// rejected. Nothing is stored for a rejected item.
func (s *Server) importOne(ctx context.Context, userID int64, ids []openbadges.Identity, it importItem) templates.ImportResult {
	res := templates.ImportResult{Item: it.label}
	if it.err != nil {
		res.Outcome, res.Message = "rejected", rejection(problem.CodeOf(it.err), problem.MessageOf(it.err))
		return res
	}
	rep := s.cfg.Verifier.Verify(ctx, it.data, ids)
	if rep.Badge != nil {
		res.Name = rep.Badge.Name
	}
	status, ok := importStatus(rep)
	if !ok {
		if onlyRecipientMismatch(rep) && rep.Badge != nil {
			return s.pend(ctx, userID, it, rep, res)
		}
		res.Outcome = "rejected"
		if len(rep.Errors) > 0 {
			res.Message = rejection(rep.Errors[0].Code, rep.Errors[0].Message)
		} else {
			res.Message = "This is not a badge Backpack can read."
		}
		return res
	}
	b, err := s.storedBadge(ctx, userID, it, rep, status)
	if err != nil {
		s.log.Error("import: prepare badge", "err", err)
		res.Outcome, res.Message = "rejected", "Something went wrong while saving this badge; please try again."
		return res
	}
	id, outcome, err := s.cfg.Store.SaveBadge(ctx, b)
	if err != nil {
		s.log.Error("import: save badge", "err", err)
		res.Outcome, res.Message = "rejected", "Something went wrong while saving this badge; please try again."
		return res
	}
	res.Outcome, res.Message = string(outcome), saveMessages(status)[outcome]
	res.BadgeURL = fmt.Sprintf("/badges/%d", id)
	if outcome != store.Duplicate {
		s.keepIssuerImage(ctx, rep.Badge.Issuer)
	}
	return res
}

// saveMessages says what each outcome of saving a badge of this status
// means for the earner.
func saveMessages(status string) map[store.SaveOutcome]string {
	added := "Added to your backpack."
	if status == templates.StatusExpired {
		added = "Added to your backpack. It has expired, and is marked so."
	}
	return map[store.SaveOutcome]string{store.Added: added, store.Duplicate: "This badge is already in your backpack.",
		store.Updated: "A newer issue of a badge you had: it replaced the older one."}
}

// importStatus decides whether a verified report can be kept, and as
// what: valid badges are verified; badges whose only problem is that they
// expired are kept as expired (they still record an achievement).
func importStatus(rep *openbadges.Report) (string, bool) {
	if rep.Valid {
		return templates.StatusVerified, true
	}
	if rep.Badge == nil || len(rep.Errors) == 0 {
		return "", false
	}
	for _, e := range rep.Errors {
		if e.Code != problem.Expired {
			return "", false
		}
	}
	return templates.StatusExpired, true
}

func onlyRecipientMismatch(rep *openbadges.Report) bool {
	if len(rep.Errors) == 0 {
		return false
	}
	for _, e := range rep.Errors {
		if e.Code != problem.RecipientMismatch && e.Code != problem.Expired {
			return false
		}
	}
	return true
}

// pend keeps a badge issued to an identity the earner has not confirmed,
// so confirming it later finishes the import without another upload.
func (s *Server) pend(ctx context.Context, userID int64, it importItem, rep *openbadges.Report, res templates.ImportResult) templates.ImportResult {
	r := rep.Badge.Recipient
	readable, isReadable := openbadges.ReadableRecipient(r)
	sum := sha256.Sum256(it.data)
	_, err := s.cfg.Store.AddPending(ctx, store.Pending{UserID: userID, Original: it.data, OriginalType: rep.Source,
		SourceURL: sourceURL(it), RecipientType: r.Type, RecipientIdentity: r.Identity, Hashed: r.Hashed,
		Name: rep.Badge.Name, ContentHash: sum[:], CreatedAt: s.now()})
	if err != nil {
		s.log.Error("import: pending", "err", err)
		res.Outcome, res.Message = "rejected", "Something went wrong while saving this badge; please try again."
		return res
	}
	res.Outcome = "pending"
	switch {
	case isReadable && r.Type == "email":
		res.Message = fmt.Sprintf("This badge was issued to %s, which is not one of your confirmed addresses. Add and confirm it, and the badge will be added.", readable)
		res.AddEmail = readable
	case isReadable:
		res.Message = fmt.Sprintf("This badge was issued to %s, which is not one of your confirmed identities.", readable)
	default:
		res.Message = "This badge was issued to a hidden (hashed) address that matches none of your confirmed addresses. Add and confirm the address it was sent to, and the badge will be added."
	}
	return res
}

func sourceURL(it importItem) string {
	if it.kind == "url" {
		return string(it.data)
	}
	return ""
}

// rejection turns a verifier error into a sentence for the earner.
func rejection(code problem.Code, msg string) string {
	what := map[problem.Code]string{
		problem.Malformed:         "This file is damaged or is not a badge",
		problem.Schema:            "This badge is missing information it must have",
		problem.FetchFailed:       "The issuer's website could not be reached or did not answer properly; try again later",
		problem.BlockedAddress:    "This badge points to an address Backpack does not visit",
		problem.IDMismatch:        "The issuer's website does not confirm this badge",
		problem.SignatureInvalid:  "The badge's signature does not match: it was changed after it was issued, or not issued by whom it says",
		problem.KeyUnresolved:     "The issuer's signing key could not be found, so the badge cannot be checked",
		problem.RecipientMismatch: "This badge was issued to someone else",
		problem.Expired:           "This badge has expired",
		problem.NotYetValid:       "This badge is not valid yet",
		problem.Revoked:           "The issuer has revoked this badge",
		problem.TooLarge:          "This is larger than Backpack accepts",
		problem.Unsupported:       "Backpack cannot read this kind of badge",
	}[code]
	if what == "" {
		what = "This badge could not be verified"
	}
	if msg == "" {
		return what + "."
	}
	return what + " (" + msg + ")."
}

// storedBadge builds the store row for a verified badge, with its image.
func (s *Server) storedBadge(ctx context.Context, userID int64, it importItem, rep *openbadges.Report, status string) (store.Badge, error) {
	bj, err := json.Marshal(rep.Badge)
	if err != nil {
		return store.Badge{}, err
	}
	rj, err := json.Marshal(rep)
	if err != nil {
		return store.Badge{}, err
	}
	sum := sha256.Sum256(it.data)
	now := s.now()
	b := store.Badge{
		UserID: userID, ContentHash: sum[:], Original: it.data, OriginalType: rep.Source, SourceURL: sourceURL(it),
		Spec: rep.Spec, Format: rep.Format, ValidFrom: rep.Badge.IssuedOn,
		Name: rep.Badge.Name, IssuerName: rep.Badge.Issuer.Name, Description: rep.Badge.Description, Tags: rep.Badge.Tags,
		IssuedOn: rep.Badge.IssuedOn, Expires: rep.Badge.Expires, BadgeJSON: bj, Status: status, ReportJSON: rj,
		VerifiedAt: now, Recipient: rep.Recipient.Identity, CreatedAt: now,
	}
	if rep.Badge.Issuer.ID != "" && rep.Badge.ID != "" {
		b.DedupKey = rep.Badge.Issuer.ID + "\n" + rep.Badge.ID
	}
	if rep.Revoked {
		b.Status = templates.StatusRevoked
	}
	b.Image, b.ImageType = s.badgeImage(ctx, it, rep)
	if it.from != nil {
		from := *it.from
		from.Messages = saveMessages(b.Status)
		b.FromItem = &from
	}
	return b, nil
}

// badgeImage finds the badge's picture: the baked image itself, or the
// image the badge names (a data: URI, or fetched once through the guarded
// client). Only PNG and SVG are kept; the store saves it with the badge, in
// one transaction. A missing image is not an error.
func (s *Server) badgeImage(ctx context.Context, it importItem, rep *openbadges.Report) ([]byte, string) {
	if ct := imageType(it.data); ct != "" {
		return it.data, ct
	}
	if rep.Badge.Image == "" {
		return nil, ""
	}
	return s.fetchImage(ctx, rep.Badge.Image)
}

// keepIssuerImage stores the issuer's logo (a data: URI or fetched once
// through the guarded client) so pages never link to the issuer's server.
func (s *Server) keepIssuerImage(ctx context.Context, iss openbadges.Issuer) {
	if iss.ID == "" || iss.Image == "" {
		return
	}
	img, ct := s.fetchImage(ctx, iss.Image)
	if img == nil {
		return
	}
	if err := s.cfg.Store.SetIssuerImage(ctx, iss.ID, ct, img, s.now()); err != nil {
		s.log.Warn("import: issuer image", "err", err)
	}
}

// fetchImage reads a PNG or SVG named by a data: URI or a URL.
func (s *Server) fetchImage(ctx context.Context, src string) ([]byte, string) {
	var img []byte
	if strings.HasPrefix(src, "data:") {
		img = decodeDataURI(src)
	} else if s.cfg.Fetch != nil {
		fctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		resp, err := s.cfg.Fetch.Get(fctx, src, "image/png, image/svg+xml", fetch.ImageLimit)
		if err == nil && resp.Err() == nil {
			img = resp.Body
		} else if err != nil {
			s.log.Info("import: image not fetched", "err", err)
		}
	}
	if ct := imageType(img); ct != "" {
		return img, ct
	}
	return nil, ""
}

// imageType is the content type of a PNG or SVG image, or "".
func imageType(b []byte) string {
	switch f, _ := bake.Sniff(b); f {
	case bake.PNG:
		return "image/png"
	case bake.SVG:
		return "image/svg+xml"
	}
	return ""
}

// decodeDataURI decodes a base64 data: URI of a PNG or SVG image.
func decodeDataURI(src string) []byte {
	meta, data, ok := strings.Cut(strings.TrimPrefix(src, "data:"), ",")
	if !ok || !strings.HasSuffix(meta, ";base64") || len(data) > 8<<20 {
		return nil
	}
	switch strings.TrimSuffix(meta, ";base64") {
	case "image/png", "image/svg+xml":
	default:
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil
	}
	return b
}

// imageURL is the content-hashed address of a stored image.
func imageURL(hash []byte, contentType string) string {
	if len(hash) == 0 {
		return ""
	}
	ext := ".png"
	if contentType == "image/svg+xml" {
		ext = ".svg"
	}
	return "/img/" + hex.EncodeToString(hash) + ext
}

// finishPending imports the badges that were waiting for an identity the
// earner has now confirmed. It returns how many were added.
func (s *Server) finishPending(ctx context.Context, userID int64) int {
	pending, err := s.cfg.Store.PendingImports(ctx, userID)
	if err != nil || len(pending) == 0 {
		return 0
	}
	ids, err := s.verifiedIdentities(ctx, userID)
	if err != nil {
		return 0
	}
	added := 0
	for _, p := range pending {
		it := importItem{label: p.Name, data: p.Original, kind: p.OriginalType}
		if p.SourceURL != "" {
			it.kind = "url"
		}
		res := s.importOne(ctx, userID, ids, it)
		switch res.Outcome {
		case "added", "updated", "duplicate":
			if err := s.cfg.Store.DeletePending(ctx, userID, p.ID); err != nil {
				s.log.Error("finish pending", "err", err)
			}
			if res.Outcome != "duplicate" {
				added++
			}
		case "rejected":
			// The badge no longer verifies (revoked, issuer gone): drop it.
			s.cfg.Store.DeletePending(ctx, userID, p.ID)
		}
	}
	return added
}
