package scores

import (
	"errors"
	"fmt"
)

// Code classifies an error for clients. The HTTP layer maps each code to one
// status; nothing else in the domain knows about HTTP.
type Code string

// The error codes Hush uses.
const (
	CodeInvalid      Code = "invalid"      // the request breaks a rule of the domain
	CodeNotFound     Code = "not_found"    // the thing asked for does not exist
	CodeConflict     Code = "conflict"     // the thing to create exists already
	CodeForbidden    Code = "forbidden"    // the caller may not touch the thing
	CodeUnauthorized Code = "unauthorized" // no caller where one is needed
	CodeTooLarge     Code = "too_large"    // the request body is over the limit
	CodeBusy         Code = "busy"         // other writes held what this one needed: try again
	CodeUnavailable  Code = "unavailable"  // a dependency (the table) cannot be reached
	CodeInternal     Code = "internal"     // anything else: a bug, never shown to clients
)

// Error is the one error type of the domain. Message is safe to show to a
// client; Err, when set, is the cause and is only logged.
type Error struct {
	Code    Code
	Message string
	// Fields maps a field name to what is wrong with it, for CodeInvalid.
	Fields map[string]string
	Err    error
}

// Error returns the message, followed by the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first Error in err's chain, CodeInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-safe message of the first Error in err's
// chain, or a generic message for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
