package control

import (
	"errors"
	"fmt"
)

// Refusals a handler returns (wrapped with %w to add detail). The server
// sends each as its wire Code; the client's *Error matches the same
// sentinel with errors.Is.
var (
	// ErrNotMember: this device is not a member of the authority named in
	// the request (code "not_member").
	ErrNotMember = errors.New("control: not a member of the authority")
	// ErrBelowThreshold: fewer devices than the policy threshold M are
	// available or approving, so the operation cannot commit (code
	// "below_threshold").
	ErrBelowThreshold = errors.New("control: below the policy threshold")
	// ErrDeviceOffline: a device the operation needs stayed silent past its
	// timeout, e.g. a DKG participant past DKGTimeout (code
	// "device_offline").
	ErrDeviceOffline = errors.New("control: device offline past timeout")
	// ErrBadRequest: the request line or its params are malformed,
	// oversized, late, or semantically invalid (code "bad_request").
	ErrBadRequest = errors.New("control: bad request")
	// ErrUnknownMethod: no handler is registered under the method (code
	// "unknown_method").
	ErrUnknownMethod = errors.New("control: unknown method")
	// ErrInternal: any other handler failure (code "internal").
	ErrInternal = errors.New("control: internal error")
)

// Local errors (never sent on the wire).
var (
	// ErrNotRunning: no daemon answers on the data directory's socket.
	ErrNotRunning = errors.New("control: no daemon is running")
	// ErrAlreadyRunning: a server already answers on the socket.
	ErrAlreadyRunning = errors.New("control: a daemon already serves this data directory")
	// ErrUnsafeDataDir: the data directory is group- or world-writable,
	// or the socket path is taken by something that is not a socket.
	ErrUnsafeDataDir = errors.New("control: unsafe data directory")
	// ErrDuplicateMethod: Register was called twice for one method.
	ErrDuplicateMethod = errors.New("control: method already registered")
	// ErrBadMethodName: a method name outside [a-z0-9_.-]{1,64}.
	ErrBadMethodName = errors.New("control: bad method name")
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("control: server already started")
	// ErrClosed: Start after Close.
	ErrClosed = errors.New("control: server closed")
	// ErrBadResponse: the daemon's answer is not a valid response line.
	ErrBadResponse = errors.New("control: bad response")
)

// Code is a wire error code.
type Code string

// The wire error codes.
const (
	CodeNotMember      Code = "not_member"
	CodeBelowThreshold Code = "below_threshold"
	CodeDeviceOffline  Code = "device_offline"
	CodeBadRequest     Code = "bad_request"
	CodeUnknownMethod  Code = "unknown_method"
	CodeInternal       Code = "internal"
)

// codes maps each wire code to its sentinel, in the order the server
// tests them with errors.Is.
var codes = []struct {
	code Code
	err  error
}{
	{CodeNotMember, ErrNotMember},
	{CodeBelowThreshold, ErrBelowThreshold},
	{CodeDeviceOffline, ErrDeviceOffline},
	{CodeBadRequest, ErrBadRequest},
	{CodeUnknownMethod, ErrUnknownMethod},
	{CodeInternal, ErrInternal},
}

// Sentinel returns the sentinel of a wire code, nil for an unknown code.
func (c Code) Sentinel() error {
	for _, e := range codes {
		if e.code == c {
			return e.err
		}
	}
	return nil
}

// codeOf is the wire code of a handler error: the first control sentinel
// it matches, else CodeInternal.
func codeOf(err error) Code {
	for _, e := range codes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return CodeInternal
}

// Error is a refusal received from the daemon. It matches the sentinel of
// its Code with errors.Is (an unknown code matches ErrInternal).
type Error struct {
	// Method is the method called.
	Method string
	// Code is the wire code.
	Code Code
	// Message is the daemon's text (the handler error's Error()).
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("control: %s: %s", e.Method, e.Code)
	}
	return e.Message
}

// Is matches the sentinel of e.Code.
func (e *Error) Is(target error) bool {
	s := e.Code.Sentinel()
	if s == nil {
		s = ErrInternal
	}
	return target == s
}
