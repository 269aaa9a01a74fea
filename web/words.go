package web

import (
	"fmt"
	"strconv"
	"strings"

	"backpack/badges"
	"backpack/openbadges"
	"backpack/openbadges/problem"
	"backpack/store"
	"backpack/templates"
)

// The words for the core's codes: what became of an import, why an archive
// was refused, what a badge's status means. The badges package speaks in
// codes only; this file is the one place they become sentences.

// resultMessage says what became of one imported item and what to do.
func resultMessage(r badges.Result) string {
	switch r.Outcome {
	case badges.Added:
		if r.Code == badges.CodeExpired {
			return "Added to your backpack. It has expired, and is marked so."
		}
		return "Added to your backpack."
	case badges.Duplicate:
		return "This badge is already in your backpack."
	case badges.Updated:
		return "A newer issue of a badge you had: it replaced the older one."
	case badges.Pending:
		switch r.Code {
		case badges.CodeIssuedToEmail:
			return fmt.Sprintf("This badge was issued to %s, which is not one of your confirmed addresses. Add and confirm it, and the badge will be added.", r.Detail)
		case badges.CodeIssuedToIdentity:
			return fmt.Sprintf("This badge was issued to %s, which is not one of your confirmed identities.", r.Detail)
		}
		return "This badge was issued to a hidden (hashed) address that matches none of your confirmed addresses. Add and confirm the address it was sent to, and the badge will be added."
	}
	switch r.Code {
	case badges.CodeNotABadge:
		return "This is not a badge Backpack can read."
	case badges.CodeNestedArchive:
		return "An archive inside the archive is not opened: import it on its own."
	case badges.CodeInternal:
		return "Something went wrong while saving this badge; please try again."
	case badges.CodeQuotaExceeded:
		if q, err := strconv.ParseInt(r.Detail, 10, 64); err == nil {
			return fmt.Sprintf("Not added: your backpack is full (it holds up to %s). Delete badges you no longer need to make room, then add this again.", sizeText(q))
		}
		return "Not added: your backpack is full. Delete badges you no longer need to make room, then add this again."
	}
	return rejection(problem.Code(r.Code), r.Detail)
}

// rejection turns a verifier problem into a sentence for the earner.
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

// itemMessage says what became of one file of a bulk import.
func itemMessage(it store.ImportItem) string {
	switch {
	case !it.Done:
		return "Not imported yet."
	case it.Code == "" && it.Message != "":
		return it.Message // recorded before codes were kept
	}
	return resultMessage(badges.Result{Outcome: badges.Outcome(it.Outcome), Code: badges.Code(it.Code), Detail: it.Detail})
}

// jobMessage says how a finished bulk import ended.
func jobMessage(j store.ImportJob) string {
	switch {
	case j.State != store.JobDone:
		return ""
	case j.Message != "":
		return j.Message // recorded before codes were kept
	case j.CollectionsMade > 0:
		return fmt.Sprintf("Finished, and %d collections were recreated.", j.CollectionsMade)
	}
	return "Finished."
}

// refusalMessage says why an archive was not imported.
func refusalMessage(r *badges.Refusal) string {
	switch r.Code {
	case badges.CodeTooManyImports:
		return fmt.Sprintf("You have %d imports still running; start another when one of them has finished.", r.N)
	case badges.CodeArchiveUnsafe:
		return "This ZIP file was not imported: " + r.Detail
	case badges.CodeArchiveEmpty:
		return "This ZIP file holds no files to import."
	case badges.CodeTooManyBadges:
		return fmt.Sprintf("This ZIP file holds %d badges; at most %d can be imported at once. Split it in two.", r.N, r.Max)
	case badges.CodeExportNewer:
		return fmt.Sprintf("This export is in a newer format (version %d) than this Backpack reads (version %d).", r.N, r.Max)
	case badges.CodeExportIncomplete:
		return fmt.Sprintf("This export is incomplete: %s is listed but missing.", r.Detail)
	case badges.CodeTooManyCollections:
		return fmt.Sprintf("This export holds %d collections; at most %d can be imported at once.", r.N, r.Max)
	case badges.CodeTooManyCollectionEntries:
		return fmt.Sprintf("This export's collections list %d badges in all; at most %d can be imported at once.", r.N, r.Max)
	case badges.CodeCollectionUnnamed:
		return fmt.Sprintf("This export's collection number %d has no name; every collection needs one.", r.N)
	case badges.CodeCollectionNameTooLong:
		return fmt.Sprintf("This export's collection “%s” has a name of %d characters; at most %d are allowed.", r.Detail, r.N, r.Max)
	case badges.CodeCollectionDescriptionTooLong:
		return fmt.Sprintf("This export's collection “%s” has a description of %d characters; at most %d are allowed.", r.Detail, r.N, r.Max)
	case badges.CodeCollectionTooManyBadges:
		return fmt.Sprintf("This export's collection “%s” lists %d badges, but the export holds only %d.", r.Detail, r.N, r.Max)
	case badges.CodeTooManySubmissions:
		return fmt.Sprintf("You have sent a lot to check in a short time. Wait %s, then send this again.", waitText(r.Wait))
	}
	return "This ZIP file was not imported."
}

// statusKey is the display key the templates show a stored status by.
func statusKey(st store.Status) string {
	switch st {
	case store.StatusVerified:
		return templates.StatusVerified
	case store.StatusExpired:
		return templates.StatusExpired
	case store.StatusRevoked:
		return templates.StatusRevoked
	}
	return templates.StatusUnverified
}

// statusText says what a badge's status means, with the reason.
func statusText(status store.Status, rep openbadges.Report) string {
	switch status {
	case store.StatusVerified:
		return "All checks passed: genuine, and not revoked"
	case store.StatusExpired:
		return "Genuine, but expired"
	case store.StatusRevoked:
		if rep.RevocationReason != "" {
			return "Revoked: " + rep.RevocationReason
		}
		return "Revoked by the issuer"
	}
	if len(rep.Errors) > 0 {
		return "Could not verify: " + rep.Errors[0].Message
	}
	return "Could not verify"
}

// statusLabel is a status in a few words, inside a sentence.
func statusLabel(st store.Status) string {
	return map[store.Status]string{store.StatusVerified: "verified", store.StatusExpired: "expired",
		store.StatusRevoked: "revoked", store.StatusUnverified: "could not verify"}[st]
}

// sizeText is a number of bytes for people: "512 bytes", "3.5 KiB",
// "20 MiB", "1 GiB".
func sizeText(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	v, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + " " + unit
}

// usageText says how much of their storage a user takes.
func usageText(u badges.Usage) string {
	if u.Quota <= 0 {
		return fmt.Sprintf("Your badges take %s.", sizeText(u.Used))
	}
	return fmt.Sprintf("Your badges take %s of the %s your backpack can hold (%d%%).", sizeText(u.Used), sizeText(u.Quota), min(100, u.Used*100/u.Quota))
}
