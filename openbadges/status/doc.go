// Package status decides whether an Open Badges 3.0 credential has been
// revoked or suspended, from its credentialStatus.
//
// Three status methods are understood:
//
//   - BitstringStatusListEntry (W3C Bitstring Status List): the entry names
//     a BitstringStatusListCredential and an index into its GZIP-compressed
//     bitstring, encoded as multibase base64url ('u' prefix).
//   - StatusList2021Entry (its VC 1.1 predecessor): the same, with a
//     StatusList2021Credential whose encodedList is plain base64(url).
//   - 1EdTechRevocationList: the entry's id is a JSON document listing the
//     revoked credential ids.
//
// Status list credentials are fetched through a Getter (a fetch.Session in
// production) and verified by a ListVerifier that the caller supplies, so
// that lists are checked exactly like the credentials that point to them.
// A status list credential must be of the expected type, valid at the time
// of the check, and published for the entry's status purpose.
//
// Entries and lists are untrusted: indexes and encodings are checked, the
// number of entries is capped, and the decompressed bitstring is capped at
// MaxBitstring bytes without ever being held in memory (see Bit).
//
// # Errors and warnings
//
// Check reports three kinds of outcome:
//
//   - A Result with Revoked or Suspended set: the issuer has revoked or
//     suspended the credential.
//   - A Result with Unchecked set and a Note: the status could not be
//     determined, and this is a warning, not an error. That is the case
//     for a 1EdTechRevocationList that cannot be fetched or read (the
//     1EdTech validator treats it so), for status types this package does
//     not know, and for a bitstring list whose bit is clear but whose
//     issuer is not the credential's issuer (see below).
//   - An error (*problem.Error): the status is required to be checked and
//     could not be. A status list that cannot be fetched, an expired or
//     not yet valid list (both FetchFailed: the list cannot be trusted, so
//     the status is unknown), a list whose proof fails (the ListVerifier's
//     own error, typically SignatureInvalid or KeyUnresolved), a list of the
//     wrong type or purpose (Schema), a malformed entry or encodedList
//     (Schema, Malformed), an oversized one (TooLarge), a statusSize other
//     than 1 or a missing ListVerifier (Unsupported).
//
// # Issuer binding
//
// A status list issued by someone other than the credential's issuer could
// otherwise declare any credential "not revoked", so such a list is never
// trusted to clear a credential: when its bit is clear, the Result is
// Unchecked with a Note. A set bit is still honoured (Revoked or Suspended,
// with a Note): the issuer signed the credential that points to the list,
// and trusting a revocation fails safe. Real deployments, the Digital
// Credentials Consortium's test fixtures among them, sign lists with a
// status-service key of their own; refusing them outright would turn every
// such credential into an error.
package status
