package badges

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strconv"

	"backpack/openbadges"
	"backpack/openbadges/problem"
	"backpack/store"
)

// MaxFileBytes is the largest badge file the core reads, from a form or an
// archive.
const MaxFileBytes = 5 << 20

// Item is one thing to import: a file, a URL, or pasted text.
type Item struct {
	Label string // a file name, the URL, or "pasted text": what the earner recognises
	Data  []byte // the bytes as given; for a URL, the URL
	URL   bool   // Data is a URL to fetch; otherwise it is judged by its content
	// Err refuses the item before verification: a problem error
	// (openbadges/problem) such as too-large, with a message safe to show.
	Err error

	// from is the bulk-import item this is: its outcome is recorded in the
	// transaction that saves the badge. nil for the form.
	from *store.ItemOutcome
}

// Import verifies the items against the user's confirmed identities and
// keeps each as the outcome says: added, duplicate, updated, pending
// (issued to an identity the earner has not confirmed yet) or rejected.
// Nothing is stored for a rejected item. A user who submitted many badges
// in a short time is refused with a *Refusal (CodeTooManySubmissions); any
// other error is for the identities that could not be read; each item's
// own trouble is in its Result.
func (s *Service) Import(ctx context.Context, userID int64, items []Item) ([]Result, error) {
	if ok, wait := s.items.take(userID, len(items), s.now()); !ok {
		return nil, &Refusal{Code: CodeTooManySubmissions, N: len(items), Wait: wait}
	}
	ids, err := s.VerifiedIdentities(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(items))
	for _, it := range items {
		out = append(out, s.importOne(ctx, userID, ids, it))
	}
	return out, nil
}

// importOne verifies and stores one item. Its fetches count against the
// user's share of the fetch slots.
func (s *Service) importOne(ctx context.Context, userID int64, ids []openbadges.Identity, it Item) Result {
	ctx = forUser(ctx, userID)
	res := Result{Item: it.Label}
	if it.Err != nil {
		res.Outcome, res.Code, res.Detail = Rejected, Code(problem.CodeOf(it.Err)), problem.MessageOf(it.Err)
		return res
	}
	if full, err := s.full(ctx, userID); err != nil || full {
		if err != nil {
			s.log.Error("import: storage used", "err", err)
			res.Outcome, res.Code = Rejected, CodeInternal
			return res
		}
		return s.overQuota(res)
	}
	rep := s.verifier.Verify(ctx, it.Data, ids)
	if rep.Badge != nil {
		res.Name = rep.Badge.Name
	}
	status, ok := Keep(rep)
	if !ok {
		if awaitsIdentity(rep) {
			return s.pend(ctx, userID, it, rep, res)
		}
		res.Outcome, res.Code = Rejected, CodeNotABadge
		if len(rep.Errors) > 0 {
			res.Code, res.Detail = Code(rep.Errors[0].Code), rep.Errors[0].Message
		}
		return res
	}
	b, err := s.storedBadge(ctx, userID, it, rep, status)
	if err != nil {
		s.log.Error("import: prepare badge", "err", err)
		res.Outcome, res.Code = Rejected, CodeInternal
		return res
	}
	id, saved, err := s.store.SaveBadge(ctx, b)
	if errors.Is(err, store.ErrQuota) {
		return s.overQuota(res)
	}
	if err != nil {
		s.log.Error("import: save badge", "err", err)
		res.Outcome, res.Code = Rejected, CodeInternal
		return res
	}
	res.Outcome, res.Code, res.BadgeID = Outcome(saved), Code(savedCodes(b.Status)[saved]), id
	if saved != store.Duplicate {
		s.keepIssuerImage(ctx, rep.Badge.Issuer)
	}
	return res
}

// savedCodes is the code each outcome of saving a badge of this status is
// recorded with: an expired badge is added, and said to be expired.
func savedCodes(st store.Status) map[store.SaveOutcome]string {
	if st == store.StatusExpired {
		return map[store.SaveOutcome]string{store.Added: string(CodeExpired), store.Updated: string(CodeExpired)}
	}
	return nil
}

// Keep decides whether a badge with this report can be kept, and as what:
// valid badges as verified; badges whose only problem is that they expired
// as expired (they still record an achievement).
func Keep(rep *openbadges.Report) (store.Status, bool) {
	if rep.Valid {
		return store.StatusVerified, true
	}
	if rep.Badge == nil || len(rep.Errors) == 0 {
		return "", false
	}
	for _, e := range rep.Errors {
		if e.Code != problem.Expired {
			return "", false
		}
	}
	return store.StatusExpired, true
}

// awaitsIdentity reports whether the badge is good but for its recipient:
// issued to someone the earner may yet prove to be.
func awaitsIdentity(rep *openbadges.Report) bool {
	if rep.Badge == nil || len(rep.Errors) == 0 {
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
// so that confirming it later finishes the import without another upload.
func (s *Service) pend(ctx context.Context, userID int64, it Item, rep *openbadges.Report, res Result) Result {
	r := rep.Badge.Recipient
	readable, isReadable := openbadges.ReadableRecipient(r)
	sum := sha256.Sum256(it.Data)
	_, err := s.store.AddPending(ctx, store.Pending{UserID: userID, Original: it.Data, OriginalType: rep.Source,
		SourceURL: sourceURL(it), RecipientType: r.Type, RecipientIdentity: r.Identity, Hashed: r.Hashed,
		Name: rep.Badge.Name, ContentHash: sum[:], CreatedAt: s.now(), Quota: s.quota})
	if errors.Is(err, store.ErrQuota) {
		return s.overQuota(res)
	}
	if err != nil {
		s.log.Error("import: pending", "err", err)
		res.Outcome, res.Code = Rejected, CodeInternal
		return res
	}
	res.Outcome = Pending
	switch {
	case isReadable && r.Type == "email":
		res.Code, res.Detail = CodeIssuedToEmail, readable
	case isReadable:
		res.Code, res.Detail = CodeIssuedToIdentity, readable
	default:
		res.Code = CodeIssuedToHidden
	}
	return res
}

func sourceURL(it Item) string {
	if it.URL {
		return string(it.Data)
	}
	return ""
}

// storedBadge builds the store row for a badge that is kept, with its image.
func (s *Service) storedBadge(ctx context.Context, userID int64, it Item, rep *openbadges.Report, status store.Status) (store.Badge, error) {
	bj, err := json.Marshal(rep.Badge)
	if err != nil {
		return store.Badge{}, err
	}
	rj, err := json.Marshal(rep)
	if err != nil {
		return store.Badge{}, err
	}
	sum := sha256.Sum256(it.Data)
	now := s.now()
	b := store.Badge{
		UserID: userID, ContentHash: sum[:], Original: it.Data, OriginalType: rep.Source, SourceURL: sourceURL(it),
		Spec: rep.Spec, Format: rep.Format, ValidFrom: rep.Badge.IssuedOn,
		Name: rep.Badge.Name, IssuerName: rep.Badge.Issuer.Name, Description: rep.Badge.Description, Tags: rep.Badge.Tags,
		IssuedOn: rep.Badge.IssuedOn, Expires: rep.Badge.Expires, BadgeJSON: bj, Status: status, ReportJSON: rj,
		VerifiedAt: now, Recipient: rep.Recipient.Identity, CreatedAt: now, Quota: s.quota,
	}
	if rep.Badge.Issuer.ID != "" && rep.Badge.ID != "" {
		b.DedupKey = rep.Badge.Issuer.ID + "\n" + rep.Badge.ID
	}
	if rep.Revoked {
		b.Status = store.StatusRevoked
	}
	b.Image, b.ImageType = s.badgeImage(ctx, it, rep)
	if it.from != nil {
		from := *it.from
		from.Codes = savedCodes(b.Status)
		b.FromItem = &from
	}
	return b, nil
}

// FinishPending imports the user's badges that were waiting for an
// identity the earner has now confirmed, and says how many were added.
// Badges that no longer verify (revoked, issuer gone) are dropped; the
// others keep waiting.
func (s *Service) FinishPending(ctx context.Context, userID int64) (int, error) {
	pending, err := s.store.PendingImports(ctx, userID)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	ids, err := s.VerifiedIdentities(ctx, userID)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, p := range pending {
		it := Item{Label: p.Name, Data: p.Original, URL: p.SourceURL != ""}
		res := s.importOne(ctx, userID, ids, it)
		switch {
		case res.Outcome == Rejected && (res.Code == CodeInternal || res.Code == CodeQuotaExceeded):
			continue // keep it: trying again may work
		case res.Outcome == Pending:
			continue
		}
		if err := s.store.DeletePending(ctx, userID, p.ID); err != nil {
			s.log.Error("finish pending", "err", err)
		}
		if res.Outcome == Added || res.Outcome == Updated {
			added++
		}
	}
	return added, nil
}

// full reports whether the user keeps as much as their quota allows
// already: then nothing is verified for them (a badge already there would
// be a duplicate, anything else cannot be kept).
func (s *Service) full(ctx context.Context, userID int64) (bool, error) {
	if s.quota <= 0 {
		return false, nil
	}
	used, err := s.store.StorageUsed(ctx, userID)
	return used >= s.quota, err
}

// overQuota is res refused for the storage quota.
func (s *Service) overQuota(res Result) Result {
	res.Outcome, res.Code, res.Detail = Rejected, CodeQuotaExceeded, strconv.FormatInt(s.quota, 10)
	return res
}

// Usage is what a user keeps against their quota.
type Usage struct {
	Used  int64 // bytes: originals of badges and pending badges, and each badge's image
	Quota int64 // 0: no limit
}

// Usage says how much the user keeps, and may.
func (s *Service) Usage(ctx context.Context, userID int64) (Usage, error) {
	used, err := s.store.StorageUsed(ctx, userID)
	return Usage{Used: used, Quota: s.quota}, err
}
