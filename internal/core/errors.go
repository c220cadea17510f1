package core

import (
	"errors"
	"fmt"
)

// Kind classifies a refusal. The zero Kind means "no error".
//
// Core never speaks a vendor's error codes: each dialect owns one table that
// turns a Kind (and, where it matters, the offending Field) into its codes.
type Kind uint8

const (
	_                  Kind = iota
	Internal                // a bug or a dependency down: never the caller's fault
	Invalid                 // the request breaks a rule of the model
	NotFound                // an account, message or group does not exist
	Forbidden               // the caller may not do this
	Muted                   // the sender is muted
	TooLarge                // a body or list is over its limit
	RateLimited             // too many requests; retry later
	Duplicate               // already done (e.g. already recalled)
	RejectedByCallback      // the app's before-callback refused it
	Conflict                // a compare-and-set lost (e.g. extension Seq)
	Unsupported             // the target does not support the operation
)

var kindNames = [...]string{
	Internal:           "internal",
	Invalid:            "invalid",
	NotFound:           "not found",
	Forbidden:          "forbidden",
	Muted:              "muted",
	TooLarge:           "too large",
	RateLimited:        "rate limited",
	Duplicate:          "duplicate",
	RejectedByCallback: "rejected by callback",
	Conflict:           "conflict",
	Unsupported:        "unsupported",
}

// Kinds lists every Kind, for tests that keep the dialects' tables complete.
func Kinds() []Kind {
	ks := make([]Kind, 0, len(kindNames)-1)
	for k := Internal; int(k) < len(kindNames); k++ {
		ks = append(ks, k)
	}
	return ks
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Field names used in Error.Field. Dialects key some codes on them, so they are
// constants rather than free text.
const (
	FieldFrom     = "From"
	FieldTo       = "To"
	FieldUser     = "User"
	FieldPeer     = "Peer"
	FieldBody     = "Body"
	FieldContent  = "Content" // an element's content breaks its type's format
	FieldLifeTime = "LifeTime"
	FieldKey      = "Key"
	FieldList     = "List"
	FieldPush     = "OfflinePush"
	FieldNick     = "Nick"
	FieldFaceURL  = "FaceURL"
	FieldSync     = "Sync"
	FieldTime     = "Time"
)

// Error is a refusal. Reason is for logs, tests and, where a dialect has no
// fixed text for the code, the error text; it never carries internal detail.
type Error struct {
	Kind   Kind
	Field  string // the offending request field, if any (one of the Field constants)
	Reason string
	Err    error // the cause, if any
}

func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Field != "" {
		s += " " + e.Field
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of kind k about field, with a formatted reason.
func Errorf(k Kind, field, format string, args ...any) *Error {
	return &Error{Kind: k, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// KindOf returns the Kind of the *Error in err's chain: 0 for nil, Internal for
// any other error.
func KindOf(err error) Kind {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// FieldOf returns the Field of the *Error in err's chain, or "".
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
