// Package badges keeps badges verified and in the backpack: it is the core
// that every way a badge comes in goes through.
//
// The form's files, URLs and pasted text, a ZIP of badges or a Backpack
// export (a background import job), and later the standard APIs and
// wallets, all call the same entry points: Import for badges in hand,
// StartImport and RunImports for archives. The package decides what a
// verification report means for a stored badge (its store.Status), keeps
// badges issued to an identity the earner has not confirmed yet until they
// do (FinishPending), verifies stored badges again (Check, RunReverify; for
// viewers of public pages CheckForViewer, which stores only findings), and
// owns the export archive's format (WriteExport, WriteData) that an import
// reads back.
//
// It speaks in typed results and codes (Outcome, Code), never in sentences
// or HTTP: the web layer chooses the words from one table when it shows
// them. It imports store and openbadges, never web, templates or echo
// (internal/archtest checks). It depends on the store through the Store
// interface declared here, the methods it calls.
package badges
