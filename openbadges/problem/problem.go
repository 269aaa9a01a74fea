// Package problem is the vocabulary of what can be wrong with a badge: the
// error codes of the `backpack verify` contract, shared by every part of
// the verifier (unbaking, fetching, parsing, checking proofs).
package problem

import (
	"errors"
	"fmt"
)

// Code names one cause of failure. The set is part of the stable contract
// of `backpack verify --json`: add codes only with care, never rename them.
type Code string

// The error codes, one per cause.
const (
	Malformed         Code = "malformed"          // not parseable: bad PNG/SVG/JSON/JWS structure
	Schema            Code = "schema"             // parseable, but a required property is missing or wrong
	FetchFailed       Code = "fetch-failed"       // a URL could not be fetched (network, HTTP status, TLS)
	BlockedAddress    Code = "blocked-address"    // a URL points at a refused destination (loopback, private, bad port)
	IDMismatch        Code = "id-mismatch"        // the hosted document is not the one presented
	SignatureInvalid  Code = "signature-invalid"  // a signature or proof does not verify
	KeyUnresolved     Code = "key-unresolved"     // no trustworthy key could be found
	RecipientMismatch Code = "recipient-mismatch" // issued to someone else
	Expired           Code = "expired"
	NotYetValid       Code = "not-yet-valid"
	Revoked           Code = "revoked"
	TooLarge          Code = "too-large" // an input or response exceeds a limit
	Unsupported       Code = "unsupported"
)

// Error is a failure with a code and a message safe to show to users (it
// never carries fetched content or internal details).
type Error struct {
	Code    Code
	Message string
	Err     error // underlying cause, for logs and errors.Is; not shown
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with a formatted message.
func New(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with a formatted message and an underlying cause.
func Wrap(err error, code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of the first *Error in err's chain, or "" if
// there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// MessageOf returns the user-safe message of err, or generic text.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
